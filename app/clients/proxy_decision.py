"""What one HTTP stack decides about a proxy for one URL, and the environment readers the
Python stacks share.

Doctor answers "which proxy would this client use?" per client (shared/CLIENTS.md "HTTP
stacks"), because the stacks read the same variables differently: which spelling wins
(`https_proxy` or `HTTPS_PROXY`), whether an empty value counts as set, what a scheme-less
value means, and how a NO_PROXY entry matches. The rules are reimplemented, not imported:
the user's clients live in other environments with other versions, and reading the
environment must stay cheap (no httpx, httpx2 or requests import here).

This module holds the result type and the two stdlib routines every Python stack builds on
(urllib's `getproxies_environment` and `proxy_bypass_environment`, CPython 3.11
Lib/urllib/request.py), rewritten over a given mapping instead of `os.environ`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# Default ports of the schemes the stacks know (httpx._urlparse, WHATWG URL, http::Uri).
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_PORT = re.compile(r"(.*):([0-9]*)", re.DOTALL)


@dataclass(frozen=True)
class ProxyDecision:
    """The route one stack takes for one URL.

    `proxy` is the proxy URL as the stack will use it (scheme added where the stack adds
    one), or None for a direct connection. It may hold credentials: show it only through
    app.clients.network (redacted). `refused` names why the client fails instead of
    connecting at all (it raises while building its client or sending the request);
    `note` is a caveat that changes nothing in the route (a SOCKS extra the client needs).
    `bypass` is the NO_PROXY entry that sent the URL direct.
    """

    stack: str
    url: str
    proxy: str | None
    variable: str | None = None
    bypass: str | None = None
    refused: str | None = None
    note: str | None = None

    @property
    def direct(self) -> bool:
        return self.proxy is None and self.refused is None


class ProxySettingRefused(ValueError):
    """The client would fail on this proxy setting (raised by proxy_for)."""

    def __init__(self, decision: ProxyDecision) -> None:
        super().__init__(decision.refused or "refused")
        self.decision = decision


@dataclass(frozen=True)
class Target:
    """A request URL as the stacks compare it: lowercase host without IPv6 brackets, the
    explicit port (None when the URL has none) and the scheme's default port."""

    url: str
    scheme: str
    host: str
    port: int | None

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.scheme, 0)

    @property
    def secure(self) -> bool:
        return self.scheme in ("https", "wss")


def parse_target(url: str) -> Target:
    """Split a request URL; ValueError when it has no host (nothing to route)."""
    parts = urlsplit(url.strip())
    host = parts.hostname
    if not parts.scheme or not host:
        raise ValueError("a request URL needs a scheme and a host")
    return Target(url=url, scheme=parts.scheme.lower(), host=host.lower(), port=parts.port)


def first_defined(env: Mapping[str, str], *names: str) -> tuple[str | None, str | None]:
    """(value, name) of the first variable that is set at all, even to "" (JS `??`, Rust
    `env::var(..).or_else(..)`, Zig `orelse`): an empty first spelling hides the second."""
    for name in names:
        if name in env:
            return env[name], name
    return None, None


def first_nonempty(env: Mapping[str, str], *names: str) -> tuple[str | None, str | None]:
    """(value, name) of the first variable with a non-empty value (JS `||`, Python `or`)."""
    for name in names:
        value = env.get(name)
        if value:
            return value, name
    return None, None


def urllib_proxies(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """urllib.request.getproxies_environment over `env`: scheme -> (value, variable).

    Any spelling of `<scheme>_proxy` counts, in the order of `env`; then every name whose
    last six characters are exactly `_proxy` wins, and an empty one REMOVES the scheme
    (`https_proxy=""` hides `HTTPS_PROXY`). Under CGI (REQUEST_METHOD set) only a
    lower-case `http_proxy` is read. On macOS and Windows urllib falls back to the system
    settings when no variable is set; those are not read here.
    """
    proxies: dict[str, tuple[str, str]] = {}
    for name, value in env.items():
        lower = name.lower()
        if value and lower[-6:] == "_proxy":
            proxies[lower[:-6]] = (value, name)
    if "REQUEST_METHOD" in env:
        proxies.pop("http", None)
    for name, value in env.items():
        if name[-6:] == "_proxy":
            scheme = name.lower()[:-6]
            if value:
                proxies[scheme] = (value, name)
            else:
                proxies.pop(scheme, None)
    return proxies


def urllib_bypass(host: str, no_proxy: str | None) -> str | None:
    """urllib.request.proxy_bypass_environment: the entry of `no_proxy` that matches `host`
    (which may carry ":port"), or None. `*` counts only as the whole value; a leading dot
    is ignored; an entry matches the host itself and its subdomains (at a dot); no CIDR, no
    wildcard inside an entry, no trailing-dot folding."""
    if no_proxy is None:
        return None
    if no_proxy == "*":
        return "*"
    host = host.lower()
    hostonly = _split_port(host)
    for raw in no_proxy.split(","):
        name = raw.strip()
        if not name:
            continue
        name = name.lstrip(".").lower()
        if hostonly == name or host == name:
            return raw.strip()
        if hostonly.endswith("." + name) or host.endswith("." + name):
            return raw.strip()
    return None


def _split_port(host: str) -> str:
    """urllib's `_splitport`: the part before the last ":digits" (greedy, as CPython's
    `(.*):([0-9]*)` fullmatch), else the whole host."""
    match = _PORT.fullmatch(host)
    if match and match.group(2):
        return match.group(1)
    return host


def with_scheme(value: str, scheme: str = "http") -> str:
    """The convention of httpx, httpx2, litellm and undici's callers: a value without
    "://" gets `scheme://` in front."""
    return value if "://" in value else f"{scheme}://{value}"
