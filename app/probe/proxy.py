"""Which proxy a request to Model Studio would take, and how to show it without its password.

Proxies are the most common reason a probe works on one machine and fails on the next, and
the variables are full of traps (SECURITY.md T15): `HTTPS_PROXY=proxy:3128` without a
scheme, credentials inside the URL, `ALL_PROXY=socks5://...`, `NO_PROXY` entries with
leading dots, ports or CIDR ranges. The rules here follow curl's, so what doctor reports is
what curl would do on the same machine.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from app.core.errors import UserError
from app.core.i18n import t
from app.core.text import hide_if_key, inert, looks_like_key

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


class ProxyConfigError(UserError):
    """A proxy variable cannot be used; the message names the variable, never its password."""


@dataclass(frozen=True)
class ProxySettings:
    """The proxy variables found in an environment, normalised (each with its variable name)."""

    https: str | None = None
    https_var: str | None = None
    http: str | None = None
    http_var: str | None = None
    all: str | None = None
    all_var: str | None = None
    no_proxy: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.https or self.http or self.all)


@dataclass(frozen=True)
class ProxyChoice:
    """The proxy one URL goes through (None url = direct), and why."""

    url: str | None
    variable: str | None = None
    bypassed_by_no_proxy: bool = False

    @property
    def redacted(self) -> str | None:
        return redact_proxy_url(self.url) if self.url else None

    @property
    def resolves_names(self) -> bool:
        """True when the proxy, not this machine, looks up the target host name.

        An HTTP CONNECT proxy always does; socks5h does by definition; httpcore2's socks5
        client also sends the host name, so every proxy resolves names here.
        """
        return self.url is not None


def _get(env: Mapping[str, str], name: str) -> tuple[str | None, str | None]:
    """curl's precedence: the lowercase variable first, then the uppercase one."""
    for var in (name.lower(), name.upper()):
        value = env.get(var)
        if value is not None and value.strip():
            return value.strip(), var
    return None, None


def normalize_proxy_url(raw: str, variable: str) -> str:
    """Give a scheme-less value (`proxy:3128`) curl's default scheme and check the rest."""
    value = raw.strip()
    if "://" not in value:
        value = "http://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ProxyConfigError("probe.proxy_malformed", variable=variable) from None
    scheme = parts.scheme.lower()
    if scheme not in PROXY_SCHEMES:
        raise ProxyConfigError("probe.proxy_bad_scheme", variable=variable, scheme=scheme)
    if not parts.hostname:
        raise ProxyConfigError("probe.proxy_malformed", variable=variable)
    if port is not None and not (0 < port < 65536):
        raise ProxyConfigError("probe.proxy_malformed", variable=variable)
    _check_as_httpx2_parses(value, variable)
    return value


def refuse_key_in_settings(
    env: Mapping[str, str], ca_file: str | None = None, key: str | None = None
) -> None:
    """A proxy or CA setting that holds the API key is never used or shown (T16/T17).

    `export HTTPS_PROXY="$DASHSCOPE_API_KEY"` (or a key variable named HTTPS_PROXY) would
    make doctor look the key up in DNS, send it to a proxy and print it as "Proxy: ...";
    SSL_CERT_FILE set to the key would print it as a broken CA path. A key-shaped value
    (credentials in a proxy URL are a password, not checked for shape) or one containing
    `key`, the profile's own key, is refused naming only the variable: exit 2, nothing sent.
    """
    settings: list[tuple[str, str]] = []
    for name in PROXY_VARIABLES:
        settings += [(v, env[v]) for v in (name, name.upper()) if env.get(v)]
    settings += [(v, env[v]) for v in TRUST_VARIABLES if env.get(v)]
    if ca_file:
        settings.append(("--ca-file", str(ca_file)))
    for variable, value in settings:
        if key and key in value:
            raise ProxyConfigError("probe.setting_holds_key", variable=variable)
        if "proxy" in variable.lower():
            shaped = looks_like_key(value.rpartition("@")[2])
        else:  # a CA path that exists is a file, not a key (/nix/store/<hash>-cacert/...)
            shaped = looks_like_key(value) and not _exists(value)
        if shaped:
            raise ProxyConfigError("probe.setting_holds_key", variable=variable)


def _exists(path: str) -> bool:
    try:
        return len(path) < 4096 and os.path.exists(path)
    except (OSError, ValueError):
        return False


def _check_as_httpx2_parses(value: str, variable: str) -> None:
    """The URL as the transport will parse it. Python 3.10's urlsplit accepts a bracketed
    host that is no IPv6 address (`http://[::zz]:3128`), which httpx2 later refuses with
    InvalidURL mid-run (C15): refuse it here, by variable name, the value never shown."""
    # lazy: only a proxy variable that is set needs httpx2's parser; reading none costs nothing
    import httpx2

    try:
        httpx2.URL(value)
    except (httpx2.InvalidURL, ValueError, TypeError):
        raise ProxyConfigError("probe.proxy_malformed", variable=variable) from None


def settings_from_env(env: Mapping[str, str]) -> ProxySettings:
    """Read HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY (either case) from `env`."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for name in ("https_proxy", "http_proxy", "all_proxy"):
        value, var = _get(env, name)
        found[name] = (normalize_proxy_url(value, var or name) if value else None, var)
    no_proxy_raw, _ = _get(env, "no_proxy")
    entries = tuple(e.strip().lower() for e in (no_proxy_raw or "").split(",") if e.strip())
    return ProxySettings(
        https=found["https_proxy"][0],
        https_var=found["https_proxy"][1],
        http=found["http_proxy"][0],
        http_var=found["http_proxy"][1],
        all=found["all_proxy"][0],
        all_var=found["all_proxy"][1],
        no_proxy=entries,
    )


def _split_host_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port) if port.isdigit() else None
    return entry, None


def bypassed(host: str, port: int, no_proxy: tuple[str, ...]) -> bool:
    """Whether NO_PROXY sends `host` direct: `*`, exact names, domain suffixes, IPs, CIDR."""
    host = host.lower().rstrip(".")
    try:
        host_ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        host_ip = None
    for raw in no_proxy:
        if raw == "*":
            return True
        entry, entry_port = _split_host_port(raw)
        if entry_port is not None and entry_port != port:
            continue
        entry = entry.removeprefix("*").lstrip(".").rstrip(".")
        if not entry:
            continue
        if host_ip is not None:
            try:
                if host_ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if host == entry or host.endswith("." + entry):
            return True
    return False


def choose_proxy(
    scheme: str, host: str, port: int, settings: ProxySettings | None, *, disabled: bool = False
) -> ProxyChoice:
    """The proxy for one URL: https uses HTTPS_PROXY, else ALL_PROXY; NO_PROXY wins."""
    if disabled or settings is None or not settings.any:
        return ProxyChoice(None)
    if scheme == "https":
        url, var = (settings.https, settings.https_var)
    else:
        url, var = (settings.http, settings.http_var)
    if not url:
        url, var = settings.all, settings.all_var
    if not url:
        return ProxyChoice(None)
    if bypassed(host, port, settings.no_proxy):
        return ProxyChoice(None, bypassed_by_no_proxy=True)
    return ProxyChoice(url, var)


def proxy_credentials(url: str) -> tuple[str, str] | None:
    """User and password from a proxy URL, percent-decoded (as curl does)."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    return unquote(parts.username), unquote(parts.password or "")


def strip_credentials(url: str) -> str:
    """The proxy URL without its userinfo (credentials travel in a header instead)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=netloc).geturl()


def redact_proxy_url(url: str) -> str:
    """`http://***:***@proxy:3128`: show that credentials exist, never what they are.

    By string rules, not a URL parse: a proxy value is often scheme-less
    (`alice:secret@proxy:3128`, which urlsplit reads as a path) and a password may hold `/`
    or `@`; everything up to the LAST `@` before the host is userinfo."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    userinfo, _, hostpart = rest.rpartition("@")
    masked = "***:***" if ":" in userinfo else "***"
    return f"{scheme}{sep}{masked}@{hostpart}"


def has_credentials(url: str | None) -> bool:
    return url is not None and proxy_credentials(url) is not None


def shown_proxy(value: str | None) -> str:
    """A proxy URL or NO_PROXY entry as doctor prints it: inert, and never a key (T17)."""
    return inert(hide_if_key(value or "-"), 200)


def proxy_summary(
    urls: Iterable[str], settings: ProxySettings | None, *, disabled: bool
) -> str | None:
    """The report's "Proxy:" line for a run: the first proxy one of `urls` goes through,
    or the proxy NO_PROXY made it bypass; None when every URL goes direct."""
    for raw in urls:
        url = urlsplit(raw)
        scheme, host, port = url.scheme, url.hostname or "", url.port or 443
        choice = choose_proxy(scheme, host, port, settings, disabled=disabled)
        if choice.url:
            return f"{shown_proxy(choice.redacted)} ({choice.variable})"
        bypass = _bypass_summary(settings, scheme, host, port)
        if choice.bypassed_by_no_proxy and bypass:
            return bypass
    return None


def _bypass_summary(
    settings: ProxySettings | None, scheme: str, host: str, port: int
) -> str | None:
    """D22: a proxy variable that NO_PROXY bypassed is named, with the entry that matched:
    "direct (NO_PROXY=.aliyuncs.com matches; HTTPS_PROXY=http://***:***@p:3128 bypassed)"."""
    if settings is None:
        return None
    value: str | None
    if scheme == "https" and settings.https:
        variable, value = settings.https_var, settings.https
    elif scheme != "https" and settings.http:
        variable, value = settings.http_var, settings.http
    else:
        variable, value = settings.all_var, settings.all
    if not value:
        return None
    entry = next((e for e in settings.no_proxy if bypassed(host, port, (e,))), "-")
    return t(
        "doctor.proxy_bypassed",
        entry=shown_proxy(entry),
        variable=(variable or "HTTPS_PROXY").upper(),
        proxy=shown_proxy(redact_proxy_url(value)),
    )
