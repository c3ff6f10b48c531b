"""The proxy rules of the httpx family: httpx2 (openai >= 3), the anthropic SDK's own
NO_PROXY parser on top of httpx2, and httpx 0.28 (litellm's sync client, older SDKs).

All three turn the environment into "mounts" (URL patterns mapped to a proxy or to
"direct"), sort them most specific first and take the first pattern that matches. What
differs is how a NO_PROXY entry becomes a pattern, and what a pattern can express:

- httpx2 2.16 (httpx2/_utils.py `get_environment_proxies`, `URLPattern`): `*.domain` is
  kept as a subdomain wildcard, CIDR ranges (IPv4 and IPv6) are networks, and an entry that
  does not parse is skipped (as curl and Go do). The wildcard came in httpx2 2.15.0, which
  needs Python >= 3.11: on Python 3.10 the SDKs get httpx2 2.14, where `*.domain` becomes
  `**.domain` as in httpx 0.28 and matches nothing (`httpx2_star_domains`).
- httpx 0.28.1 (httpx/_utils.py): every name entry becomes `*<entry>`, so `*.domain`
  turns into `**.domain` and matches nothing; a CIDR keeps only its network address; an
  entry that does not parse makes `httpx.Client()` raise, so the client never starts.
- anthropic 2.14 (anthropic/_utils/_httpx.py, copied from httpx 0.28) builds the same
  patterns as httpx 0.28 but hands them to httpx2's `URLPattern` as explicit mounts: CIDR
  works, `*.domain` still matches nothing, and an unparsable entry still raises.

An entry `host:port` only ever matches a URL that spells that port out, and never the
scheme's default port (httpx drops a default port from the URL it compares with); a
trailing dot matches nothing. Measured against the real libraries in
tests/unit/test_client_proxy_rules.py.
"""

from __future__ import annotations

import functools
import importlib.metadata
import ipaddress
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from app.clients.proxy_decision import (
    DEFAULT_PORTS,
    ProxyDecision,
    Target,
    urllib_proxies,
    with_scheme,
)

_URL = re.compile(
    r"(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*):)?(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)"
)
_AUTHORITY = re.compile(r"(?:(?P<userinfo>.*)@)?(?P<host>(\[.*\]|[^:@]*)):?(?P<port>.*)?")
_IPV4_STYLE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")
_HOST_SAFE = "!$&'()*+,;=" + '"`{}%|\\'  # httpx._urlparse SUB_DELIMS + WHATWG_SAFE
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


class InvalidURL(ValueError):
    """What httpx / httpx2 raise for a URL they cannot parse."""


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str
    port: int | None
    path: str
    userinfo: str


def parse_url(url: str) -> _Url:
    """httpx._urlparse.urlparse (identical in httpx2), reduced to the parts patterns and
    proxy URLs use: scheme, userinfo, host (lower-cased, IPv6 without brackets), port
    (None when it is the scheme's default) and path."""
    if any(ch.isascii() and not ch.isprintable() for ch in url):
        raise InvalidURL("non-printable character")
    match = _URL.match(url)
    assert match is not None  # every part of the regex is optional
    scheme = (match.group("scheme") or "").lower()
    authority = _AUTHORITY.match(match.group("authority") or "")
    assert authority is not None
    host = _encode_host(authority.group("host") or "")
    port = _normalize_port(authority.group("port"), scheme)
    path = match.group("path") or ""
    if (host or port is not None) and path and not path.startswith("/"):
        raise InvalidURL("path must begin with '/'")
    return _Url(scheme, host, port, path, authority.group("userinfo") or "")


def _encode_host(host: str) -> str:
    if not host:
        return ""
    if _IPV4_STYLE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ipaddress.AddressValueError:
            raise InvalidURL("invalid IPv4 address") from None
        return host
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ipaddress.AddressValueError:
            raise InvalidURL("invalid IPv6 address") from None
        return host[1:-1]
    if host.isascii():
        return quote(host.lower(), safe=_HOST_SAFE)
    try:  # httpx uses the `idna` package (IDNA 2008); the stdlib codec is IDNA 2003
        return host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidURL("invalid IDNA hostname") from None


def _normalize_port(port: str | None, scheme: str) -> int | None:
    if port is None or port == "":
        return None
    try:
        value = int(port)
    except ValueError:
        raise InvalidURL("invalid port") from None
    return None if value == DEFAULT_PORTS.get(scheme) else value


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text.split("/")[0])
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.split("/")[0])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Pattern:
    """httpx's / httpx2's URLPattern: scheme ("" = any), host regex or network, port."""

    text: str
    scheme: str
    host: str
    port: int | None
    regex: re.Pattern[str] | None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None

    def matches(self, target: Target) -> bool:
        if self.scheme and self.scheme != target.scheme:
            return False
        if self.network is not None:
            try:
                if ipaddress.ip_address(target.host) not in self.network:
                    return False
            except ValueError:
                return False
        elif self.host and self.regex is not None and not self.regex.match(target.host):
            return False
        target_port = None if target.port == DEFAULT_PORTS.get(target.scheme) else target.port
        return not (self.port is not None and self.port != target_port)

    def priority(self, httpx2: bool) -> tuple[int, ...]:
        port = 0 if self.port is not None else 1
        if not httpx2:
            return (port, -len(self.host), -len(self.scheme))
        kind = 1 if self.network is not None else 0 if self.host else 2
        size = self.network.num_addresses if self.network is not None else 0
        length = -len(self.host) if self.network is None else 0
        return (port, kind, size, length, -len(self.scheme))


def compile_pattern(text: str, *, httpx2: bool) -> _Pattern:
    """URLPattern(text); InvalidURL as the library raises it."""
    if text and ":" not in text:
        raise InvalidURL("a pattern needs a scheme")
    url = parse_url(text)
    network = None
    prefix = url.path.removeprefix("/")
    if httpx2 and prefix and (_is_ipv4(url.host) or _is_ipv6(url.host)):
        bracketed = f"[{url.host}]" if ":" in url.host else url.host
        if "@" in text or "%" in text or not prefix.isdigit():
            raise InvalidURL("invalid network")
        if not text.endswith(f"{bracketed}/{prefix}"):
            raise InvalidURL("invalid network")
        try:
            network = ipaddress.ip_network(f"{url.host}/{prefix}", strict=False)
        except ValueError:
            raise InvalidURL("invalid network") from None
    host = "" if url.host == "*" else url.host
    regex = None
    if network is None and url.host and url.host != "*":
        if url.host.startswith("*."):
            regex = re.compile(f"^.+\\.{re.escape(url.host[2:])}$")
        elif url.host.startswith("*"):
            regex = re.compile(f"^(.+\\.)?{re.escape(url.host[1:])}$")
        else:
            regex = re.compile(f"^{re.escape(url.host)}$")
    scheme = "" if url.scheme == "all" else url.scheme
    return _Pattern(text, scheme, host, url.port, regex, network)


@functools.cache
def httpx2_star_domains() -> bool:
    """Whether the httpx2 the SDKs run on here keeps `*.domain` (2.15 and later). The
    installed httpx2 is the one an SDK installed beside this tool gets (same Python); without
    one, the Python decides: 2.15 and later need Python >= 3.11."""
    try:
        version = importlib.metadata.version("httpx2")
    except importlib.metadata.PackageNotFoundError:
        return sys.version_info >= (3, 11)
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    return parts >= (2, 15)


def _httpx2_entry(entry: str, star_domains: bool = True) -> str | None:
    """httpx2 2.16 `get_environment_proxies`: a NO_PROXY entry as a pattern (None: none);
    `star_domains` False is httpx2 2.14 (no `*.domain` branch)."""
    if "://" in entry:
        return entry
    if _is_ipv4(entry):
        return f"all://{entry}"
    if _is_ipv6(entry):
        if "/" in entry:
            addr, _, subnet = entry.partition("/")
            return f"all://[{addr}]/{subnet}"
        return f"all://[{entry}]"
    if entry.lower() == "localhost" or entry.startswith("["):
        return f"all://{entry}"
    if star_domains and entry.startswith("*.") and "/" not in entry:
        return f"all://{entry}"
    if "/" not in entry:
        return f"all://*{entry}"
    return None


def _httpx028_entry(entry: str) -> str | None:
    """httpx 0.28.1 (and anthropic 2.14's copy): a NO_PROXY entry as a pattern."""
    if "://" in entry:
        return entry
    if _is_ipv4(entry):
        return f"all://{entry}"
    if _is_ipv6(entry):
        return f"all://[{entry}]"
    if entry.lower() == "localhost":
        return f"all://{entry}"
    return f"all://*{entry}"


@dataclass(frozen=True)
class _Flavor:
    entry: Callable[[str], str | None]
    httpx2_patterns: bool  # URLPattern of httpx2 (networks, 5-part priority)
    skip_invalid: bool  # httpx2 drops an entry it cannot parse; the others raise


FLAVORS = {
    "httpx2": _Flavor(_httpx2_entry, httpx2_patterns=True, skip_invalid=True),
    "anthropic": _Flavor(_httpx028_entry, httpx2_patterns=True, skip_invalid=False),
    "httpx": _Flavor(_httpx028_entry, httpx2_patterns=False, skip_invalid=False),
}


def decide_httpx(
    stack: str, target: Target, env: Mapping[str, str], star_domains: bool | None = None
) -> ProxyDecision:
    """The mount the client picks for `target` (see the module docstring); `star_domains`
    (httpx2 only) defaults to what the installed httpx2 does."""
    flavor = FLAVORS[stack]
    entry_of = flavor.entry
    if stack == "httpx2":
        stars = httpx2_star_domains() if star_domains is None else star_domains
        entry_of = functools.partial(_httpx2_entry, star_domains=stars)
    proxies = urllib_proxies(env)
    mounts: dict[str, tuple[str | None, str | None]] = {}  # pattern -> (proxy, variable)
    for scheme in ("http", "https", "all"):
        if scheme in proxies:
            found, name = proxies[scheme]
            mounts[f"{scheme}://"] = (with_scheme(found), name)
    no_proxy = proxies["no"][0] if "no" in proxies else ""
    for raw in no_proxy.split(","):
        entry = raw.strip()
        if entry == "*":
            return ProxyDecision(stack, target.url, None, bypass="*")
        text = entry_of(entry) if entry else None
        if text is not None:
            mounts[text] = (None, entry)
    for value, _ in mounts.values():
        refused = _refuse_proxy(value) if value else None
        if refused:  # every proxy mount is built when the client starts, used or not
            return ProxyDecision(stack, target.url, None, refused=refused)
    compiled: list[tuple[_Pattern, str | None, str | None]] = []
    for key, (value, origin) in mounts.items():
        try:
            compiled.append((compile_pattern(key, httpx2=flavor.httpx2_patterns), value, origin))
        except InvalidURL:
            if not flavor.skip_invalid:
                return ProxyDecision(stack, target.url, None, refused="no_proxy_unparsable")
    compiled.sort(key=lambda item: item[0].priority(flavor.httpx2_patterns))
    for pattern, proxy, origin in compiled:  # origin: the variable, or the NO_PROXY entry
        if pattern.matches(target):
            if proxy is None:
                return ProxyDecision(stack, target.url, None, bypass=origin)
            note = "socks_needs_extra" if proxy.lower().startswith("socks") else None
            return ProxyDecision(stack, target.url, proxy, variable=origin, note=note)
    return ProxyDecision(stack, target.url, None)


def _refuse_proxy(proxy: str) -> str | None:
    """httpx's `Proxy(url=...)`, built for every proxy mount when the client starts: an
    unknown scheme raises ValueError, an unparsable URL raises InvalidURL."""
    try:
        url = parse_url(proxy)
    except InvalidURL:
        return "proxy_unparsable"
    return None if url.scheme in PROXY_SCHEMES else "proxy_scheme_unsupported"
