"""A failed connection -> a stable finding code, from exception types and errno.

The engine catches what httpx2/httpcore2 raise and asks this module what it means: a DNS
failure, a refused or reset connection, an untrusted certificate, a proxy that wants a
password or does not speak SOCKS. Message text is never parsed (it changes between
versions), except httpcore2's proxy status line, which is the only carrier of the status.
"""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Any

import httpx2

from app.core.text import inert
from app.findings.codes import MESSAGE_MAX, SHORT_MAX
from app.probe.trust import classify_verify_error

# Codes whose connection may be tried once more (another address of the name, a moment later).
RETRYABLE = {"connect_refused", "connect_failed", "connection_reset"}
_PROXY_CODES = {
    "proxy_failed",
    "proxy_auth_required",
    "proxy_auth_refused",
    "proxy_unreachable",
    "proxy_protocol",
}
# Connection failures towards a proxy -> the `detail` tag of proxy_unreachable.
_UNREACHABLE = {
    "connect_refused": "refused",
    "connect_timeout": "timeout",
    "dns_failed": "dns",
    "connect_failed": "failed",
}


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes/contexts, to find the OS or TLS error underneath."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        nested = getattr(current, "exceptions", None)  # ExceptionGroup from anyio
        if nested:
            for sub in nested:
                chain.extend(exception_chain(sub))
        current = current.__cause__ or current.__context__
    return chain


def classify_exception(exc: BaseException, phase: str) -> tuple[str, dict[str, Any]]:
    """A transport failure -> finding code (+params), from exception types and errno, never
    from message text (except httpcore2's proxy status line, which is the only carrier)."""
    chain = exception_chain(exc)
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            detail = inert(getattr(item, "verify_message", None) or "-", MESSAGE_MAX)
            return classify_verify_error(item), {"detail": detail}
    for item in chain:
        if isinstance(item, httpx2.ProxyError) or type(item).__name__ == "ProxyError":
            status = str(item).split(" ", 1)[0]
            if status == "407":
                return "proxy_auth_required", {}
            return "proxy_failed", {"detail": _safe_detail(item)}
    if phase == "proxy":
        # httpcore2 bounds each read of the proxy handshake (SOCKS replies, the CONNECT
        # answer) by the request's timeout: a proxy that never answers is a timeout, as
        # when the check's deadline ends it first.
        if any(isinstance(i, httpx2.TimeoutException | TimeoutError) for i in chain):
            return "proxy_failed", {"detail": "timeout"}
        return "proxy_failed", {"detail": _first_os_error(chain)}
    for item in chain:
        if isinstance(item, socket.gaierror):
            return "dns_failed", {}
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return "connect_refused", {}
    for item in chain:
        if isinstance(item, httpx2.ConnectTimeout) or (
            isinstance(item, TimeoutError) and phase in ("tcp", "dns")
        ):
            return "connect_timeout", {}
    for item in chain:
        if isinstance(item, ssl.SSLError):
            return "tls_failed", {
                "detail": inert(getattr(item, "reason", None) or "-", MESSAGE_MAX)
            }
    for item in chain:
        if isinstance(item, httpx2.TimeoutException | TimeoutError):
            return ("connect_timeout" if phase == "tcp" else "timeout"), {}
    if phase == "http" and any(
        isinstance(i, ConnectionResetError | httpx2.RemoteProtocolError | httpx2.ReadError)
        for i in chain
    ):
        # The request went out and the connection was cut (a reset mid-body, a middlebox
        # dropping the stream): not a connect failure, so it gets its own stable code.
        return "connection_reset", {"detail": _first_os_error(chain)}
    if phase in ("tcp", "tls"):
        return "connect_failed", {"detail": _first_os_error(chain)}
    return "timeout" if phase == "deadline" else "connect_failed", {
        "detail": _first_os_error(chain)
    }


def is_socks_protocol_error(exc: BaseException) -> bool:
    """Whether a SOCKS reply could not be parsed (socksio's ProtocolError, anywhere in the
    chain): the proxy at a socks5:// URL answered with something else, or hung up."""
    return any(
        type(item).__name__ == "ProtocolError" and type(item).__module__.startswith("socksio")
        for item in exception_chain(exc)
    )


def _first_os_error(chain: list[BaseException]) -> str:
    for item in chain:
        if isinstance(item, OSError) and item.errno:
            return inert(errno.errorcode.get(item.errno, str(item.errno)), SHORT_MAX)
    return type(chain[-1]).__name__ if chain else "-"


def _safe_detail(item: BaseException) -> str:
    """httpcore2's proxy error text is a status line or a SOCKS reply: no key, but the
    proxy chose it, so it is shown inert and short."""
    return inert(str(item), 120)


def through_proxy(
    code: str, params: dict[str, Any], phase: str, proxy: str | None
) -> tuple[str, dict[str, Any]]:
    """A failure before TLS through a proxy is the proxy's: a TCP failure towards it is
    proxy_unreachable (B5), anything else on the way to it proxy_failed; `proxy` (redacted)
    is added to the params for the message."""
    if phase == "tcp" and code in _UNREACHABLE:
        params = {"detail": _UNREACHABLE[code]}
        code = "proxy_unreachable"
    elif code not in _PROXY_CODES and phase in ("tcp", "proxy"):
        params = {"detail": code}
        code = "proxy_failed"
    params["proxy"] = proxy
    return code, params


def gai_reason(errno_value: int | None) -> str:
    """The `reason` tag of dns_failed, from getaddrinfo's error number."""
    names = {
        socket.EAI_NONAME: "nxdomain",
        socket.EAI_AGAIN: "temporary",
        getattr(socket, "EAI_NODATA", -5): "no_address",
    }
    return names.get(errno_value, "lookup_failed") if errno_value is not None else "lookup_failed"
