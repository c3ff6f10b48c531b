"""The proxy rules of the Node agents and of Codex: undici (Node apps, and Node's own copy
behind NODE_USE_ENV_PROXY=1), Qwen Code, and reqwest (Codex). Bun's (opencode) and Claude
Code's are in app.clients.bun_proxy_rules.

Sources, one per function:
- undici lib/dispatcher/env-http-proxy-agent.js (`#getProxyAgentForUrl`, `#shouldProxy`,
  `#parseNoProxy`), 8.14.1 and 7.30.3 from npm (nodejs/undici @7eb7c8e, 8.10, still had
  `*` only as the whole value): both measured in tests/e2e/test_client_network_node.py.
- Qwen Code 0.24.4 (npm @qwen-code/qwen-code, chunks of cli.js: `resolveProxyUrl`,
  `normalizeProxyUrl`; the undici it bundles is the 7.x matcher): its bundled agent is
  measured; the variable order is read from the bundle, not run.
- Codex 0.171.0: reqwest 0.12.28 `Proxy::system()` -> hyper-util 0.1.20
  src/client/proxy/matcher.rs (`Builder::from_env`, `parse_env_uri`, `NoProxy`,
  `DomainMatcher::contains`), both read from hyperium/hyper-util and seanmonstar/reqwest
  at those versions (the crate versions are the ones named in the codex binary): from
  source, not measured.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from app.clients.proxy_decision import (
    ProxyDecision,
    Target,
    first_defined,
    first_nonempty,
)

_UNDICI_SPLIT = re.compile(r"[,\s]")


def _whatwg_parsable(value: str) -> bool:
    """`new URL(value).host` is non-empty: a scheme that starts with a letter, then "//"."""
    parts = urlsplit(value)
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value) and parts.hostname)


def _undici_entries(no_proxy: str, *, modern: bool) -> list[tuple[str, int, bool]]:
    """`#parseNoProxy`: (host, port or 0, starts with `*`) per entry."""
    entries = []
    for entry in _UNDICI_SPLIT.split(no_proxy):
        if not entry:
            continue
        with_port = re.match(r"^\[(.+)\]:(\d+)$", entry) if modern else None
        if with_port:
            host, port = with_port.group(1), int(with_port.group(2))
        else:
            bare = re.sub(r"^\[(.+)\]$", r"\1", entry) if modern else entry
            parsed = re.match(r"^(.+):(\d+)$", bare)
            if modern and bare.count(":") != 1:
                parsed = None
            host, port = (parsed.group(1), int(parsed.group(2))) if parsed else (bare, 0)
        host = re.sub(r"^\*?\.", "", host)
        if modern:
            host = re.sub(r"^(.+)\.$", r"\1", host)
        entries.append((host.lower(), port, entry.startswith("*")))
    return entries


def undici_bypass(target: Target, no_proxy: str, *, modern: bool = True) -> str | None:
    """EnvHttpProxyAgent `#shouldProxy`: the entry that sends `target` direct, or None.

    undici 8.14 (`modern`): a `*` entry anywhere matches everything, `*.domain` only the
    subdomains, `.domain` and `domain` the domain and its subdomains, `host:port` that
    port (the scheme's default included), trailing dots ignored on both sides, IPv6 with or
    without brackets. undici 7 (Node's own copy, Qwen Code's bundle): `*` only as the whole
    value, `*.domain` also the apex, a trailing dot never matches, `::1` is read as host
    `:` port 1 and an IPv6 URL keeps its brackets, so only `[::1]` matches."""
    entries = _undici_entries(no_proxy, modern=modern)
    if not entries:
        return None
    if not modern and no_proxy == "*":
        return "*"
    host = target.host
    if modern:
        host = host[:-1] if len(host) > 1 and host.endswith(".") else host
    elif ":" in host:
        host = f"[{host}]"
    for name, port, wildcard in entries:
        if port and port != target.effective_port:
            continue
        if modern and name == "*":
            return "*" if not port else f"*:{port}"
        exact = host == name and not (modern and wildcard)
        if exact or host.endswith("." + name):
            return name if not port else f"{name}:{port}"
    return None


def decide_undici(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """`new EnvHttpProxyAgent()` without options, undici 8.14: http_proxy ?? HTTP_PROXY,
    https_proxy ?? HTTPS_PROXY (an empty lower-case one hides the other), an https URL
    without an https proxy falls back to the http proxy, no ALL_PROXY; no_proxy ??
    NO_PROXY."""
    return _undici("undici", target, env, modern=True)


def decide_undici_7(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """The same agent in undici 7.30 (Node's own copy behind NODE_USE_ENV_PROXY=1 in Node 22
    and 24): the older NO_PROXY matcher (see `undici_bypass`)."""
    return _undici("undici-7", target, env, modern=False)


def _undici(stack: str, target: Target, env: Mapping[str, str], *, modern: bool) -> ProxyDecision:
    http, http_var = first_defined(env, "http_proxy", "HTTP_PROXY")
    https, https_var = first_defined(env, "https_proxy", "HTTPS_PROXY")
    if target.secure and https:
        value, variable = https, https_var
    elif http:
        value, variable = http, http_var
    else:
        return ProxyDecision(stack, target.url, None)
    no_proxy, _ = first_defined(env, "no_proxy", "NO_PROXY")
    entry = undici_bypass(target, no_proxy or "", modern=modern)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    if not _whatwg_parsable(value):
        return ProxyDecision(stack, target.url, None, variable, refused="proxy_unparsable")
    return ProxyDecision(stack, target.url, value, variable)


def decide_qwen_code(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """Qwen Code: `--proxy` || settings `proxy` || HTTPS_PROXY || https_proxy || HTTP_PROXY ||
    http_proxy (upper case first, empty skipped; one proxy for every scheme), a scheme-less
    value gets http://, a socks:// one stops Qwen Code with an error; NO_PROXY through its
    bundled EnvHttpProxyAgent. Without a proxy variable nothing is proxied (no ALL_PROXY)."""
    stack = "qwen-code"
    raw, variable = first_nonempty(env, "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
    value = (raw or "").strip()
    if not value:
        return ProxyDecision(stack, target.url, None)
    if re.match(r"^socks[a-z0-9]*://", value, re.IGNORECASE):
        return ProxyDecision(stack, target.url, None, variable, refused="socks_unsupported")
    if not re.match(r"^https?://", value, re.IGNORECASE):
        value = "http://" + value
    no_proxy, _ = first_defined(env, "no_proxy", "NO_PROXY")
    entry = undici_bypass(target, no_proxy or "", modern=False)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    return ProxyDecision(stack, target.url, value, variable)


def reqwest_bypass(target: Target, no_proxy: str) -> str | None:
    """hyper-util `NoProxy::contains`: IPs and CIDR ranges for IP hosts; for names `*`,
    the name itself and its subdomains at a dot (`.domain` and `domain` alike),
    case-insensitive. No `*.domain`, no ports, no trailing-dot folding."""
    host = target.host.lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for item in no_proxy.split(","):
        entry = item.strip()
        if not entry:
            continue
        network = _ip_network(entry)
        if network is not None:
            if address is not None and address.version == network.version and address in network:
                return entry
            continue
        if address is not None:
            continue
        name = entry.lower()
        if name in (host, "." + host) or name == "*":
            return entry
        if host.endswith(name) and (name.startswith(".") or host[-len(name) - 1] == "."):
            return entry
    return None


def _ip_network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An IP or CIDR entry (`ipnet::IpNet` / `IpAddr`), host bits allowed; else None."""
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def _reqwest_proxy_uri(value: str | None) -> str | None:
    """hyper-util `parse_env_uri`: http/https/socks4(a)/socks5(h) kept, no scheme -> http,
    any other scheme or no authority -> not a proxy (ignored)."""
    if not value:
        return None
    if "://" not in value:
        value = "http://" + value
    scheme = value.partition("://")[0].lower()
    if scheme not in ("http", "https", "socks4", "socks4a", "socks5", "socks5h"):
        return None
    return value if urlsplit(value).netloc else None


def decide_reqwest(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """Codex (reqwest 0.12.28 system proxy): upper case first, an empty HTTPS_PROXY hides
    https_proxy and falls back to ALL_PROXY; nothing at all under CGI (REQUEST_METHOD)."""
    stack = "reqwest"
    if "REQUEST_METHOD" in env:
        return ProxyDecision(stack, target.url, None, note="cgi_no_proxy")
    if target.scheme not in ("http", "https"):
        return ProxyDecision(stack, target.url, None)
    own, own_var = first_defined(env, target.scheme.upper() + "_PROXY", target.scheme + "_proxy")
    every, every_var = first_defined(env, "ALL_PROXY", "all_proxy")
    proxy, variable = _reqwest_proxy_uri(own), own_var
    if proxy is None:
        proxy, variable = _reqwest_proxy_uri(every), every_var
    if proxy is None:
        return ProxyDecision(stack, target.url, None)
    no_proxy, _ = first_defined(env, "NO_PROXY", "no_proxy")
    entry = reqwest_bypass(target, no_proxy or "")
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    return ProxyDecision(stack, target.url, proxy, variable)
