"""The proxy rules of the Bun runtime (opencode) and of Claude Code (its own code, on the
Bun it ships), both MEASURED: tests/e2e/test_client_network_node.py runs the real binaries
(opencode 1.18.33's Bun 1.3.14 through BUN_BE_BUN=1, and `claude -p` of Claude Code
2.1.332) in a private network namespace whose /etc/hosts points the Model Studio hosts at
a local listener, and sees which of two listeners each request reaches: the proxy or the
host itself.

What the source said and the runs did not: Bun's src/env_loader.zig (oven-sh/bun @9d93f55)
has an `orelse` between the spellings and a bare suffix match, the 1.3.14 binary skips an
empty spelling and matches at a dot. Claude Code's bundle reads like exact-name matching
and no scheme repair; the binary matches curl-like (ports, CIDR, `*.domain`, trailing
dot) and takes `host:port` as http. Docs ("Enterprise network configuration"): no SOCKS.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from app.clients.native_proxy_rules import _ip_network
from app.clients.proxy_decision import (
    DEFAULT_PORTS,
    ProxyDecision,
    Target,
    first_nonempty,
)

_WORDS = re.compile(r"[,\s]+")


def _scheme_repaired(value: str) -> str | None:
    """Bun's and Claude Code's reading of a proxy value: `http://` or `https://` as given,
    `host:port` without a scheme as http, None when it cannot be used (another scheme,
    SOCKS included, or credentials without a scheme, which parse as a scheme `user:`)."""
    if "://" in value:
        return value if value.split("://", 1)[0].lower() in ("http", "https") else None
    return None if "@" in value else "http://" + value


def _bun_entries(value: str) -> list[str]:
    return [e.strip() for e in value.split(",") if e.strip() and e.strip() not in ('""', "''")]


def bun_bypass(target: Target, env: Mapping[str, str]) -> str | None:
    """Bun's NO_PROXY filter: no_proxy if non-empty, else NO_PROXY; entries at commas only,
    `*` anywhere, one leading dot dropped, then the host itself or a subdomain (at a dot,
    any case). `host:port` is compared with the host as the URL writes it, so a default
    port never matches. No `*.domain`, no CIDR, no trailing-dot folding; IPv6 only in
    brackets."""
    value, _ = first_nonempty(env, "no_proxy", "NO_PROXY")
    host = f"[{target.host}]" if ":" in target.host else target.host
    written = (
        host if target.port in (None, DEFAULT_PORTS.get(target.scheme)) else f"{host}:{target.port}"
    )
    for entry in _bun_entries(value or ""):
        if entry == "*":
            return entry
        name = (entry[1:] if entry.startswith(".") else entry).lower()
        if not name:
            continue
        if ("]:" in name) if name.startswith("[") else name.count(":") == 1:
            if written == name:
                return entry
        elif host == name or host.endswith("." + name):
            return entry
    return None


def decide_bun(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """Bun's fetch (opencode 1.18.33 ships Bun 1.3.14): https URLs read https_proxy, else
    HTTPS_PROXY (empty ones skipped), http URLs the http ones; no ALL_PROXY and no fallback
    from HTTPS to HTTP_PROXY."""
    stack = "bun"
    names = ("https_proxy", "HTTPS_PROXY") if target.secure else ("http_proxy", "HTTP_PROXY")
    value, variable = first_nonempty(env, *names)
    if not value or value in ('""', "''"):
        return ProxyDecision(stack, target.url, None)
    entry = bun_bypass(target, env)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    proxy = _scheme_repaired(value)
    if proxy is None:
        reason = "socks_unsupported" if value.lower().startswith("socks") else "proxy_unparsable"
        return ProxyDecision(stack, target.url, None, variable, refused=reason)
    return ProxyDecision(stack, target.url, proxy, variable)


def claude_bypass(target: Target, env: Mapping[str, str]) -> str | None:
    """Claude Code's NO_PROXY (curl-like): no_proxy if non-empty, else NO_PROXY; entries at
    commas or spaces, any case; `*` anywhere; `*.domain`, `.domain` and `domain` alike match
    the domain and its subdomains (at a dot); a trailing dot is ignored; `host:port` also
    matches subdomains, the scheme's default port included; IPs exactly, CIDR ranges, IPv6
    with or without brackets."""
    value, _ = first_nonempty(env, "no_proxy", "NO_PROXY")
    host = target.host.rstrip(".") or target.host
    address = _address(host)
    for entry in _WORDS.split((value or "").lower()):
        if not entry:
            continue
        if entry == "*":
            return entry
        name, port = _split_entry(entry)
        if port is not None and port != target.effective_port:
            continue
        name = re.sub(r"^\*?\.", "", name).rstrip(".")
        if not name:
            continue
        network = _ip_network(name)
        if network is not None:
            if address is not None and address.version == network.version and address in network:
                return entry
            continue
        if address is None and (host == name or host.endswith("." + name)):
            return entry
    return None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split_entry(entry: str) -> tuple[str, int | None]:
    """`[v6]:port`, `[v6]`, `host:port` (one colon), else the entry itself."""
    bracketed = re.fullmatch(r"\[(.+)\](?::(\d+))?", entry)
    if bracketed:
        port = bracketed.group(2)
        return bracketed.group(1), int(port) if port else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        if port.isdigit():
            return name, int(port)
    return entry, None


def decide_claude_code(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """Claude Code 2.1.332, measured: the first non-empty of https_proxy, HTTPS_PROXY,
    http_proxy, HTTP_PROXY, all_proxy, ALL_PROXY, for every scheme (the order among them is
    the bundle's; each alone was run); `host:port` without a scheme is taken as http; a
    value it cannot use (credentials without a scheme, SOCKS: "Claude Code does not
    support SOCKS proxies", docs) stops the request."""
    stack = "claude-code"
    names = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
    value, variable = first_nonempty(env, *names)
    if not value:
        return ProxyDecision(stack, target.url, None)
    entry = claude_bypass(target, env)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    proxy = _scheme_repaired(value)
    if proxy is None:
        reason = "socks_unsupported" if value.lower().startswith("socks") else "proxy_unparsable"
        return ProxyDecision(stack, target.url, None, variable, refused=reason)
    return ProxyDecision(stack, target.url, proxy, variable)
