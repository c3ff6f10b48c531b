"""An httpx2 transport that connects where the user pinned a host, with real TLS to its name.

curl's `--resolve HOST:PORT:ADDR` and `--connect-to HOST1:PORT1:HOST2:PORT2` let a user
pin an edge IP or step around poisoned DNS, and let tests reach the local simulator under
the production host names with full certificate verification: only the TCP destination
changes, while the TLS server name (SNI) and the name checked in the certificate stay the
host of the URL. httpx2 has no such option, so this is a small `httpx2.AsyncBaseTransport`
over `httpcore2`'s pool (or its HTTP / SOCKS proxy) whose network backend rewrites
`(host, port)` in `connect_tcp` (DESIGN.md "Connectivity engine"). httpx2 / httpcore2 are
what the openai (3.x) and anthropic (2.x) SDKs run on (CLIENTS.md "HTTP stacks"), and only
their public API is used here, so an upgrade cannot break a private import.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpcore2
import httpx2

if TYPE_CHECKING:
    # Exported by httpcore2, but only a type alias (kept out of its __module__ rewrite,
    # which fails for it on Python 3.14): needed for annotations alone.
    from httpcore2 import SOCKET_OPTION

from app.core import debug
from app.core.errors import UserError, refuse_if_key
from app.probe.proxy import proxy_credentials, strip_credentials

_HOSTNAME = re.compile(r"(?:\*|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)")


class PinError(UserError):
    """A malformed --resolve / --connect-to value (exit 2, nothing sent). The value is
    quoted back with control characters escaped: a terminal escape typed into a flag must
    not reach the terminal."""

    single_line_params = True


@dataclass(frozen=True)
class Pin:
    """One --resolve or --connect-to rule; None fields match anything / keep the original."""

    kind: str  # resolve | connect-to
    host1: str | None
    port1: int | None
    host2: str | None
    port2: int | None
    raw: str

    def matches(self, host: str, port: int) -> bool:
        host_ok = self.host1 in (None, "*") or self.host1 == host.lower()
        return host_ok and (self.port1 is None or self.port1 == port)


def _split_fields(value: str, count: int) -> list[str] | None:
    """Split on ':' while keeping bracketed IPv6 literals whole; None when the brackets
    do not pair up (a stray `]`, an unclosed or nested `[`), so callers refuse the value."""
    fields: list[str] = []
    current = ""
    depth = 0
    for ch in value:
        if ch == "[":
            depth += 1
            if depth > 1:
                return None
        elif ch == "]":
            depth -= 1
            if depth < 0:
                return None
        if ch == ":" and depth == 0 and len(fields) < count - 1:
            fields.append(current)
            current = ""
        else:
            current += ch
    if depth != 0:
        return None
    fields.append(current)
    return fields


def _port(text: str, option: str, raw: str, *, allow_empty: bool) -> int | None:
    if text == "" and allow_empty:
        return None
    if not text.isdigit() or not (0 < int(text) < 65536):
        raise PinError("probe.pin_bad_port", option=option, value=raw, port=text)
    return int(text)


def _host(text: str, option: str, raw: str, *, allow_empty: bool) -> str | None:
    if text == "" and allow_empty:
        return None
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise PinError("probe.pin_bad_host", option=option, value=raw, host=text) from None
        return text
    if not text.isascii() or not _HOSTNAME.fullmatch(text):
        raise PinError("probe.pin_bad_host", option=option, value=raw, host=text)
    return text.lower()


def parse_resolve(raw: str) -> Pin:
    """curl `--resolve HOST:PORT:ADDR` (ADDR numeric, IPv6 in brackets or bare)."""
    option = "--resolve"
    if not isinstance(raw, str) or raw.count(":") < 2 or any(c.isspace() for c in raw):
        raise PinError("probe.pin_shape_resolve", value=raw)
    fields = _split_fields(raw, 3)
    if fields is None or len(fields) != 3:
        raise PinError("probe.pin_shape_resolve", value=raw)
    host, port, addr = fields
    host1 = _host(host, option, raw, allow_empty=False)
    port1 = _port(port, option, raw, allow_empty=False)
    if addr.startswith("[") != addr.endswith("]"):
        raise PinError("probe.pin_bad_addr", value=raw, addr=addr)
    addr = addr[1:-1] if addr.startswith("[") else addr
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        raise PinError("probe.pin_bad_addr", value=raw, addr=addr) from None
    return Pin("resolve", host1, port1, addr, port1, raw)


def parse_connect_to(raw: str) -> Pin:
    """curl `--connect-to HOST1:PORT1:HOST2:PORT2`; any field may be empty (= any / same)."""
    option = "--connect-to"
    if not isinstance(raw, str) or any(c.isspace() for c in raw):
        raise PinError("probe.pin_shape_connect_to", value=raw)
    fields = _split_fields(raw, 4)
    if fields is None or len(fields) != 4:
        raise PinError("probe.pin_shape_connect_to", value=raw)
    host1 = _host(fields[0], option, raw, allow_empty=True)
    port1 = _port(fields[1], option, raw, allow_empty=True)
    host2 = _host(fields[2], option, raw, allow_empty=True)
    port2 = _port(fields[3], option, raw, allow_empty=True)
    if host2 == "*":
        raise PinError("probe.pin_bad_host", option=option, value=raw, host="*")
    return Pin("connect-to", host1, port1, host2, port2, raw)


@dataclass(frozen=True)
class Pins:
    """All pins of a run. connect-to rules apply first, then --resolve (as in curl)."""

    connect_to: tuple[Pin, ...] = ()
    resolve: tuple[Pin, ...] = ()

    @classmethod
    def parse(cls, resolve: list[str] | None, connect_to: list[str] | None) -> Pins:
        # A pin whose host is a pasted key would be resolved in DNS and shown (T16); the
        # CLI refuses it in argv already, this covers every other caller (the wizard).
        for option, values in (("--resolve", resolve), ("--connect-to", connect_to)):
            for value in values or ():
                refuse_if_key(value, option)
        return cls(
            connect_to=tuple(parse_connect_to(v) for v in connect_to or ()),
            resolve=tuple(parse_resolve(v) for v in resolve or ()),
        )

    def route(self, host: str, port: int) -> tuple[str, int, bool]:
        """Where a connection to (host, port) goes: (host-or-address, port, address_pinned)."""
        for pin in self.connect_to:
            if pin.matches(host, port):
                host, port = pin.host2 or host, pin.port2 or port
                break
        for pin in self.resolve:
            if pin.matches(host, port):
                return pin.host2 or host, port, True
        return host, port, False

    def __bool__(self) -> bool:
        return bool(self.connect_to or self.resolve)


def default_backend() -> httpcore2.AsyncNetworkBackend:
    """The real network backend under a PinnedBackend: httpcore2's public `AnyIOBackend`.

    The probe always runs under asyncio (`asyncio.run` in the CLI, Textual's loop in the
    TUI), where anyio drives asyncio's own sockets; it is also what httpcore2's pool picks by
    itself there (its private auto backend chooses anyio unless trio is running).
    """
    return httpcore2.AnyIOBackend()


@dataclass
class PinnedBackend(httpcore2.AsyncNetworkBackend):
    """A network backend that rewrites the TCP destination; TLS still targets the URL's host.

    `resolved` holds addresses found by the probe's own DNS phase, so the connection goes to
    the address that was timed and reported, not to a second, possibly different, lookup.
    """

    pins: Pins = field(default_factory=Pins)
    resolved: dict[tuple[str, int], str] = field(default_factory=dict)
    inner: httpcore2.AsyncNetworkBackend = field(default_factory=default_backend)
    last_destination: tuple[str, int] | None = None

    def destination(self, host: str, port: int) -> tuple[str, int]:
        routed_host, routed_port, _ = self.pins.route(host, port)
        address = self.resolved.get((routed_host, routed_port), routed_host)
        return address, routed_port

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        address, real_port = self.destination(host, port)
        self.last_destination = (address, real_port)
        if not debug.enabled():
            return await self.inner.connect_tcp(
                address,
                real_port,
                timeout=timeout,
                local_address=local_address,
                socket_options=socket_options,
            )
        started = time.monotonic()
        try:
            stream = await self.inner.connect_tcp(
                address,
                real_port,
                timeout=timeout,
                local_address=local_address,
                socket_options=socket_options,
            )
        except Exception as exc:
            ms = (time.monotonic() - started) * 1000
            debug.connect(host, port, address, real_port, ms, type(exc).__name__)
            raise
        debug.connect(host, port, address, real_port, (time.monotonic() - started) * 1000, None)
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:  # pragma: no cover - never used for Model Studio
        return await self.inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


_EXC_MAP: tuple[tuple[type[Exception], type[httpx2.HTTPError]], ...] = (
    (httpcore2.ConnectTimeout, httpx2.ConnectTimeout),
    (httpcore2.ReadTimeout, httpx2.ReadTimeout),
    (httpcore2.WriteTimeout, httpx2.WriteTimeout),
    (httpcore2.PoolTimeout, httpx2.PoolTimeout),
    (httpcore2.TimeoutException, httpx2.TimeoutException),
    (httpcore2.ConnectError, httpx2.ConnectError),
    (httpcore2.ReadError, httpx2.ReadError),
    (httpcore2.WriteError, httpx2.WriteError),
    (httpcore2.ProxyError, httpx2.ProxyError),
    (httpcore2.RemoteProtocolError, httpx2.RemoteProtocolError),
    (httpcore2.LocalProtocolError, httpx2.LocalProtocolError),
    (httpcore2.UnsupportedProtocol, httpx2.UnsupportedProtocol),
    (httpcore2.ProtocolError, httpx2.ProtocolError),
    (httpcore2.NetworkError, httpx2.NetworkError),
)


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    """httpcore2 errors become httpx2 errors; the original stays as __cause__ for diagnosis."""
    try:
        yield
    except Exception as exc:
        for source, target in _EXC_MAP:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class _ResponseStream(httpx2.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        if hasattr(
            self._stream, "aclose"
        ):  # httpcore2's streams have it; any async iterable need not
            with _mapped_errors():
                await self._stream.aclose()


class PinnedTransport(httpx2.AsyncBaseTransport):
    """httpx2 transport over an httpcore2 pool or proxy that uses a PinnedBackend."""

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        backend: PinnedBackend,
        proxy_url: str | None = None,
    ) -> None:
        self.backend = backend
        self.proxy_url = proxy_url
        # The two proxies are connection pools too (subclasses), so one type covers all three.
        self._pool: httpcore2.AsyncConnectionPool
        if proxy_url is None:
            self._pool = httpcore2.AsyncConnectionPool(
                ssl_context=ssl_context, network_backend=backend, retries=0
            )
            return
        auth = proxy_credentials(proxy_url)
        clean = strip_credentials(proxy_url)
        scheme = httpx2.URL(clean).scheme
        if scheme in ("socks5", "socks5h"):
            # httpcore2's SOCKS5 client always sends the host name: the proxy resolves it.
            self._pool = httpcore2.AsyncSOCKSProxy(
                proxy_url=clean.replace("socks5h://", "socks5://", 1),
                proxy_auth=auth,
                ssl_context=ssl_context,
                network_backend=backend,
                retries=0,
            )
        else:
            self._pool = httpcore2.AsyncHTTPProxy(
                proxy_url=clean,
                proxy_auth=auth,
                proxy_ssl_context=ssl_context if scheme == "https" else None,
                ssl_context=ssl_context,
                network_backend=backend,
                retries=0,
            )

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        assert isinstance(request.stream, httpx2.AsyncByteStream)
        core_request = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        if debug.enabled():
            response = await self._traced(request, core_request)
        else:
            with _mapped_errors():
                response = await self._pool.handle_async_request(core_request)
        # An async pool answers with an async stream (httpcore2 types it as either kind).
        assert isinstance(response.stream, AsyncIterable)
        return httpx2.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def _traced(
        self, request: httpx2.Request, core_request: httpcore2.Request
    ) -> httpcore2.Response:
        """The request with its --debug trace (app.core.debug decides what a line shows)."""
        for name, value in request.headers.raw:
            if name.lower() in (b"authorization", b"x-api-key", b"proxy-authorization"):
                debug.add_secret(value.decode("latin-1").split(" ")[-1])
        length = request.headers.get("content-length")
        body = int(length) if length and length.isdigit() else None
        started = time.monotonic()
        try:
            with _mapped_errors():
                response = await self._pool.handle_async_request(core_request)
        except Exception as exc:
            ms = (time.monotonic() - started) * 1000
            debug.http(request.method, str(request.url), request.headers.raw, body, None, (), ms,
                       type(exc).__name__)  # fmt: skip
            raise
        ms = (time.monotonic() - started) * 1000
        debug.http(
            request.method, str(request.url), request.headers.raw, body, response.status,
            response.headers, ms,
        )  # fmt: skip
        return response

    async def aclose(self) -> None:
        await self._pool.aclose()
