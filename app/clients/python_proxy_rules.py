"""The proxy rules of the Python stacks outside the httpx family: requests (the DashScope
SDK's HTTP calls), aiohttp (its async calls and its task websockets), litellm's async
transport, and websocket-client (its realtime and TTS websockets).

Each function is a rewrite of the library code named in its docstring (versions of the
dev venv: requests 2.34.2 + urllib3 2.8, aiohttp 3.14.5, litellm 1.110.2, websocket-client
1.9.2, dashscope 2.0.2), over a given environment. Measured against the libraries in
tests/unit/test_client_proxy_rules.py.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from collections.abc import Mapping
from urllib.parse import urlsplit

from app.clients.proxy_decision import (
    ProxyDecision,
    Target,
    first_defined,
    urllib_bypass,
    urllib_proxies,
    with_scheme,
)

# urllib3.util.url._SCHEME_RE: what urllib3 takes for a scheme in a value without "://".
_URLLIB3_SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+-]*:|/)")
_SOCKS = ("socks4", "socks4a", "socks5", "socks5h")


def decide_requests(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """requests.Session.request with trust_env: `should_bypass_proxies` (its own NO_PROXY
    check, then urllib's `proxy_bypass`), `getproxies()`, `select_proxy` (scheme://host,
    scheme, all://host, all) and the adapter's `prepend_scheme_if_needed` + ProxyManager.

    A scheme-less value is handed to urllib3's parser, which reads a leading `word:` as a
    scheme: `proxy:3128`, `localhost:3128` and `user:pw@proxy:3128` all fail with
    ProxySchemeUnknown, while `proxy.corp:3128` and `10.0.0.1:3128` work.
    """
    stack = "requests"
    entry = _requests_bypass(target, env)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    proxies = urllib_proxies(env)
    for key in (f"{target.scheme}://{target.host}", target.scheme, f"all://{target.host}", "all"):
        if key in proxies:
            value, variable = proxies[key]
            break
    else:
        return ProxyDecision(stack, target.url, None)
    if "://" not in value:
        if _URLLIB3_SCHEME.match(value):
            return ProxyDecision(stack, target.url, None, variable, refused="proxy_unparsable")
        value = "http://" + value
    scheme = value.partition("://")[0].lower()
    if not urlsplit(value).hostname:
        return ProxyDecision(stack, target.url, None, variable, refused="proxy_unparsable")
    if value.lower().startswith("socks"):
        if scheme not in _SOCKS:
            return ProxyDecision(stack, target.url, None, variable, refused="proxy_unparsable")
        return ProxyDecision(stack, target.url, value, variable, note="socks_needs_extra")
    if scheme not in ("http", "https"):
        return ProxyDecision(stack, target.url, None, variable, refused="proxy_scheme_unsupported")
    return ProxyDecision(stack, target.url, value, variable)


def _requests_bypass(target: Target, env: Mapping[str, str]) -> str | None:
    """requests.utils.should_bypass_proxies(url, no_proxy=None): the matching entry."""
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY")
    host = target.host
    if no_proxy:
        entries = [e for e in no_proxy.replace(" ", "").split(",") if e]
        if _is_ipv4_address(host):
            for entry in entries:
                if _is_valid_cidr(entry):
                    if _address_in_network(host, entry):
                        return entry
                elif host == entry:
                    return entry
        else:
            with_port = f"{host}:{target.port}" if target.port else host
            for entry in entries:
                name = entry.lstrip(".")
                if name in (host, with_port):
                    return entry
                if host.endswith("." + name) or with_port.endswith("." + name):
                    return entry
    # then urllib.request.proxy_bypass(hostname), which reads the variables itself
    found = urllib_proxies(env).get("no")
    return urllib_bypass(host, found[0] if found else None)


def _is_ipv4_address(text: str) -> bool:
    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return True


def _is_valid_cidr(text: str) -> bool:
    if text.count("/") != 1:
        return False
    address, _, mask = text.partition("/")
    try:
        bits = int(mask)
    except ValueError:
        return False
    return 1 <= bits <= 32 and _is_ipv4_address(address)


def _address_in_network(ip: str, net: str) -> bool:
    address, _, bits = net.partition("/")
    mask = (0xFFFFFFFF << (32 - int(bits))) & 0xFFFFFFFF
    (host_value,) = struct.unpack("!L", socket.inet_aton(ip))
    (net_value,) = struct.unpack("!L", socket.inet_aton(address))
    return (host_value & mask) == (net_value & mask)


def decide_litellm_aiohttp(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """litellm's async default (litellm/llms/custom_httpx/aiohttp_transport.py
    `_proxy_from_env`): urllib's `proxy_bypass(host)`, then the URL scheme's proxy or
    ALL_PROXY, scheme-less values get http://. DISABLE_AIOHTTP_TRUST_ENV=True turns proxies
    off; DISABLE_AIOHTTP_TRANSPORT=True switches to httpx 0.28 (http_handler.py)."""
    stack = "litellm-aiohttp"
    if env.get("DISABLE_AIOHTTP_TRUST_ENV", "").strip().lower() in ("true", "1", "yes", "on"):
        return ProxyDecision(stack, target.url, None, note="trust_env_disabled")
    proxies = urllib_proxies(env)
    no_proxy = proxies.get("no")
    entry = urllib_bypass(target.host, no_proxy[0] if no_proxy else None)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    found = proxies.get(target.scheme) or proxies.get("all")
    if not found:
        return ProxyDecision(stack, target.url, None)
    value, variable = with_scheme(found[0]), found[1]
    note = "socks_unsupported" if value.lower().startswith("socks") else None
    return ProxyDecision(stack, target.url, value, variable, note=note)


def decide_aiohttp(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """aiohttp ClientSession(trust_env=True) (aiohttp/helpers.py `get_env_proxy_for_url`,
    `proxies_from_env`): urllib's `proxy_bypass(host)`, then the proxy of the URL's own
    scheme only, out of http / https / ws / wss: a wss:// URL reads WSS_PROXY, never
    HTTPS_PROXY, and nothing reads ALL_PROXY. An https:// proxy is ignored with a warning.
    The DashScope SDK uses this for its async HTTP calls and its task websockets."""
    stack = "aiohttp"
    proxies = urllib_proxies(env)
    no_proxy = proxies.get("no")
    entry = urllib_bypass(target.host, no_proxy[0] if no_proxy else None)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    found = proxies.get(target.scheme) if target.scheme in ("http", "https", "ws", "wss") else None
    if not found:
        return ProxyDecision(stack, target.url, None)
    value, variable = found
    parts = urlsplit(value)
    if parts.scheme.lower() in ("https", "wss"):
        return ProxyDecision(stack, target.url, None, variable, note="https_proxy_ignored")
    if not parts.hostname:  # yarl reads `proxy.corp:3128` as scheme + path: InvalidURL
        return ProxyDecision(stack, target.url, None, variable, refused="proxy_unparsable")
    note = None if parts.scheme.lower() == "http" else "proxy_spoken_as_http"
    return ProxyDecision(stack, target.url, value, variable, note=note)


def decide_websocket_client(target: Target, env: Mapping[str, str]) -> ProxyDecision:
    """websocket-client 1.9 `get_proxy_info` (websocket/_url.py), as the DashScope SDK's
    realtime, TTS v2 and v2 websockets call it (no proxy options): wss:// reads
    `https_proxy`, else `HTTPS_PROXY` (ws:// the http ones), an empty lower-case variable
    counts as set, no ALL_PROXY. The value goes through `urlparse`: without "://" it has no
    host and the connection goes DIRECT without a word. The scheme is ignored: every proxy
    is spoken to with HTTP CONNECT, a socks5:// one included."""
    stack = "websocket-client"
    entry = _websocket_bypass(target.host, env)
    if entry is not None:
        return ProxyDecision(stack, target.url, None, bypass=entry)
    base = "https_proxy" if target.secure else "http_proxy"
    raw, variable = first_defined(env, base, base.upper())
    value = (raw or "").replace(" ", "")
    if not value:
        return ProxyDecision(stack, target.url, None)
    parts = urlsplit(value)
    if not parts.hostname:
        return ProxyDecision(stack, target.url, None, variable, note="proxy_ignored_unparsable")
    note = None if parts.scheme.lower() == "http" else "proxy_spoken_as_http"
    return ProxyDecision(stack, target.url, value, variable, note=note)


def _websocket_bypass(host: str, env: Mapping[str, str]) -> str | None:
    """websocket._url._is_no_proxy_host(hostname, None): `*`, exact names, CIDR for IP
    hosts, `.domain` as a bare suffix (no dot boundary), `domain` for itself and
    subdomains."""
    raw, _ = first_defined(env, "no_proxy", "NO_PROXY")
    value = (raw or "").replace(" ", "")
    entries = value.split(",") if value else []
    if "*" in entries:
        return "*"
    if host in entries:
        return host
    if _is_ip(host):
        for entry in entries:
            if _subnet_contains(entry, host):
                return entry
        return None
    for entry in entries:
        if entry.startswith("."):
            if host.endswith(entry.lstrip(".")):
                return entry
        elif host == entry or host.endswith("." + entry):
            return entry
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _subnet_contains(entry: str, host: str) -> bool:
    """`ip_network(host).subnet_of(ip_network(entry))`, strict as websocket-client's (an
    entry with host bits set, `10.1.2.3/8`, is no subnet)."""
    try:
        network = ipaddress.ip_network(entry)
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.version == network.version and address in network


__all__ = [
    "decide_aiohttp",
    "decide_litellm_aiohttp",
    "decide_requests",
    "decide_websocket_client",
]
