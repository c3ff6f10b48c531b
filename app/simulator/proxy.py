"""A tiny HTTP CONNECT proxy for tests: tunnels every `CONNECT host:port` to the simulator.

Real clients (requests inside the dashscope SDK, httpx inside openai / anthropic) honour
HTTPS_PROXY, so with this proxy they reach the simulator under the production hostnames,
with real TLS verification against the simulator's CA and no change to their code. It can
also demand credentials (407) or refuse (403), which is how the doctor's proxy findings are
produced on real sockets.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import threading
from dataclasses import dataclass

from app.simulator.loop_thread import ThreadedServer

MAX_HEAD_BYTES = 64 * 1024


@dataclass
class TunnelRecord:
    """One CONNECT request: the target the client asked for and what the proxy answered."""

    target: str  # "host:port" as sent by the client
    status: int
    user: str | None = None


class ConnectProxy(ThreadedServer):
    """HTTP proxy that only speaks CONNECT; `upstream` None means "the requested target"."""

    _thread_name = "modelstudio-sim-proxy"

    def __init__(
        self,
        upstream: tuple[str, int] | None = None,
        *,
        auth: tuple[str, str] | None = None,
        refuse: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.upstream = upstream
        self.auth = auth
        self.refuse = refuse
        self.timeout = timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.tunnels: list[TunnelRecord] = []
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_with_auth(self) -> str:
        """The proxy URL with the configured credentials in it (HTTPS_PROXY style)."""
        if self.auth is None:
            return self.url
        user, password = self.auth
        return f"http://{user}:{password}@{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._on_client, host, port, backlog=256)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def __enter__(self) -> ConnectProxy:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    # ---- protocol ----------------------------------------------------------------------------

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        except asyncio.LimitOverrunError:
            await self._answer(writer, 431, "Request Header Fields Too Large")
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(
        self, writer: asyncio.StreamWriter, status: int, reason: str, extra: str = ""
    ) -> None:
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: 0\r\n"
            "Connection: close\r\n\r\n".encode("latin-1")
        )
        with contextlib.suppress(ConnectionError, OSError):
            await writer.drain()

    def _user(self, headers: dict[str, str]) -> tuple[bool, str | None]:
        """(authorised, user name) from Proxy-Authorization: Basic."""
        if self.auth is None:
            return True, None
        scheme, _, value = headers.get("proxy-authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False, None
        ok = hmac.compare_digest(user.encode(), self.auth[0].encode()) and hmac.compare_digest(
            password.encode(), self.auth[1].encode()
        )
        return ok, user

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
        if len(head) > MAX_HEAD_BYTES:
            await self._answer(writer, 431, "Request Header Fields Too Large")
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            await self._answer(writer, 400, "Bad Request")
            return
        method, target, _version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if method.upper() != "CONNECT":
            self.tunnels.append(TunnelRecord(target, 405))
            await self._answer(writer, 405, "Method Not Allowed", "Allow: CONNECT\r\n")
            return
        if self.refuse:
            self.tunnels.append(TunnelRecord(target, 403))
            await self._answer(writer, 403, "Forbidden")
            return
        authorised, user = self._user(headers)
        if not authorised:
            self.tunnels.append(TunnelRecord(target, 407, user))
            await self._answer(
                writer,
                407,
                "Proxy Authentication Required",
                'Proxy-Authenticate: Basic realm="modelstudio-simulator"\r\n',
            )
            return
        host, sep, port_text = target.rpartition(":")
        if not sep or not port_text.isdigit():
            self.tunnels.append(TunnelRecord(target, 400, user))
            await self._answer(writer, 400, "Bad Request")
            return
        dest = self.upstream or (host.strip("[]"), int(port_text))
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*dest), self.timeout
            )
        except (OSError, asyncio.TimeoutError):
            self.tunnels.append(TunnelRecord(target, 502, user))
            await self._answer(writer, 502, "Bad Gateway")
            return
        self.tunnels.append(TunnelRecord(target, 200, user))
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()
