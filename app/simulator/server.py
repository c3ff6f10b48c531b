"""A local Model Studio: a real HTTP(S) server on loopback for tests, benchmarks and --demo.

The doctor's whole value is telling apart failures that look alike from the outside (a key of
another region vs a bad key, a captive portal vs an API error, a slow body vs a dead server).
Mocks would only prove that our code agrees with our mocks; this server speaks the real
shapes, statuses and error codes of MODEL_STUDIO.md over real sockets and real TLS, routes by
Host header across every region's hosts, and misbehaves on demand (see simulator_faults).

Run it standalone with `python -m app.simulator --help`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h11

from app.core.catalog import Catalog, load_catalog
from app.simulator import errors as simerr
from app.simulator import responses as resp
from app.simulator.accounts import Account, default_accounts
from app.simulator.faults import DELIVERY_KINDS, Fault, FaultSet
from app.simulator.loop_thread import ThreadedServer
from app.simulator.service import RequestRecord, Service
from app.simulator.wire import send_reply, send_simple

if TYPE_CHECKING:
    import trustme

__all__ = [
    "Account",
    "Fault",
    "RequestRecord",
    "Simulator",
    "default_accounts",
]

MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _host_of(header: str) -> str:
    """Host header without port, lowercased; IPv6 brackets removed."""
    host = header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Simulator(ThreadedServer):
    """Model Studio on a loopback socket. See the module docstring and docs/simulator.md."""

    _thread_name = "modelstudio-simulator"

    def __init__(
        self,
        accounts: list[Account] | None = None,
        *,
        tls: bool = True,
        ca: trustme.CA | None = None,
        wrong_workspace_status: int = 401,
        latency: float = 0.0,
        cert: str = "valid",
        default_host: str = "dashscope-intl.aliyuncs.com",
        tls_dir: Path | None = None,
        request_timeout: float = 30.0,
        max_body: int = MAX_BODY_BYTES,
        catalog: Catalog | None = None,
        request_id_factory: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
        stream_interval: float = 0.02,
    ) -> None:
        if wrong_workspace_status not in (401, 403):
            raise ValueError("wrong_workspace_status must be 401 or 403")
        self.catalog = catalog or load_catalog()
        accounts = default_accounts() if accounts is None else accounts
        self.accounts: dict[str, Account] = {a.name: a for a in accounts}
        if len(self.accounts) != len(accounts):
            raise ValueError("account names must be unique")
        self.tls = tls
        self.wrong_workspace_status = wrong_workspace_status
        self.latency = latency
        self.cert_mode = cert
        self.default_host = default_host
        self.request_timeout = request_timeout
        self.max_body = max_body
        # Seconds between two events of a streamed (SSE) answer: a model produces tokens at a
        # pace, and a stream whose events all arrive together is what a buffering proxy makes
        # of it (the doctor's stream check tells the two apart). Settable while running.
        self.stream_interval = stream_interval
        self.requests: list[RequestRecord] = []
        # Snapshot tests need stable request ids; None = a fresh UUID4 per request.
        self.request_id_factory = request_id_factory
        self.errors: list[str] = []  # internal errors (simulator bugs); tests expect none
        self.host = "127.0.0.1"
        self.port = 0
        self._faults = FaultSet()
        self._tls_dir = tls_dir
        self._ca = ca
        self._ca_file: Path | None = None
        self._ssl = None
        self._server: asyncio.AbstractServer | None = None
        self._conn_tasks: set[asyncio.Task[None]] = set()
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tmp_dir: Path | None = None  # our own temp dir for ca.pem, removed at stop
        if tls:
            # lazy: trustme and cryptography load only when TLS is on
            from app.simulator.tls import load_or_create_ca, server_context, write_ca_file

            if self._ca is None:
                self._ca = load_or_create_ca(tls_dir)
            self._ca_file = write_ca_file(self._ca, tls_dir)
            if tls_dir is None:
                self._tmp_dir = self._ca_file.parent
            self._ssl = server_context(self._ca, cert, self.catalog)
        # `clock` (unix seconds) decides when temporary keys expire and the trial RPM window.
        self._service = Service(accounts, self.catalog, wrong_workspace_status, clock)

    # ---- public API ------------------------------------------------------------------------

    @property
    def ca(self) -> trustme.CA | None:
        return self._ca

    @property
    def ca_file(self) -> Path:
        """PEM of the test CA: clients pass it as --ca-file / SSL_CERT_FILE / REQUESTS_CA_BUNDLE."""
        if self._ca_file is None:
            raise RuntimeError("this simulator serves plain HTTP; it has no CA")
        return self._ca_file

    @property
    def connect_to(self) -> str:
        """curl --connect-to value sending every host and port to this server."""
        return f"::{self._host_literal}:{self.port}"

    @property
    def _host_literal(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def url(self) -> str:
        """Loopback base URL (plain mode, or TLS clients that pin the address themselves)."""
        return f"{'https' if self.tls else 'http'}://{self._host_literal}:{self.port}"

    def key(self, name: str) -> str:
        """The raw key of an account (keys are fake: tests and the demo need the literal)."""
        return self.accounts[name].key

    def inject(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if self._ca is not None and self._ca_file is not None and not self._ca_file.exists():
            self._ca_file.parent.mkdir(parents=True, exist_ok=True)
            self._ca_file.write_bytes(self._ca.cert_pem.bytes())
        self._server = await asyncio.start_server(
            self._on_connection,
            host,
            port,
            ssl=self._ssl,
            ssl_handshake_timeout=self.request_timeout if self._ssl else None,
            backlog=256,
            limit=MAX_HEADER_BYTES,
        )
        sockname = self._server.sockets[0].getsockname()
        self.host, self.port = sockname[0], sockname[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        assert self._stopping is not None
        self._stopping.set()
        self._server.close()
        for task in list(self._conn_tasks):
            task.cancel()
        if self._conn_tasks:
            await asyncio.gather(*self._conn_tasks, return_exceptions=True)
        close_clients = getattr(self._server, "close_clients", None)  # Python 3.13+
        if close_clients is not None:
            close_clients()
        # From Python 3.12 on, wait_closed also waits for connections still in their TLS
        # handshake; a client stuck there must not hold up a test's teardown.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 5)
        self._server = None
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)

    def __enter__(self) -> Simulator:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- connection handling ---------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conn_tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.TimeoutError, OSError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._conn_tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _next_event(self, conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await asyncio.wait_for(reader.read(65536), self.request_timeout)
            conn.receive_data(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        while True:
            try:
                event = await self._next_event(conn, reader)
            except h11.RemoteProtocolError:
                await send_simple(conn, writer, 400, b"bad request\n")
                return
            except asyncio.TimeoutError:
                # An idle keep-alive connection just closes; a half-sent request gets a 408.
                if conn.their_state is h11.SEND_BODY or conn.trailing_data[0]:
                    await send_simple(conn, writer, 408, b"request timeout\n")
                return
            if isinstance(event, h11.ConnectionClosed) or not isinstance(event, h11.Request):
                return
            try:
                keep_going = await self._handle_request(conn, reader, writer, event)
            except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.CancelledError):
                raise
            except Exception as exc:
                # A bug in the simulator: answer 500 and keep the failure visible to tests.
                self.errors.append(f"{type(exc).__name__}: {exc}")
                await send_simple(conn, writer, 500, b"simulator error\n")
                return
            if not keep_going or conn.our_state is not h11.DONE:
                return
            if conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _read_body(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        declared: int | None,
    ) -> bytes | None:
        """The request body, or None when it exceeds the cap (the rest is not read)."""
        if declared is not None and declared > self.max_body:
            return None
        if conn.they_are_waiting_for_100_continue:  # curl, for bodies over 1 MB
            writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
            await writer.drain()
        chunks: list[bytes] = []
        size = 0
        while True:
            event = await self._next_event(conn, reader)
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > self.max_body:
                    return None
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                return b"".join(chunks)

    async def _handle_request(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
    ) -> bool:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        method = request.method.decode("ascii", "replace").upper()
        target = request.target.decode("latin-1")
        path, _, query = target.partition("?")
        host = _host_of(headers.get("host", ""))
        if host in LOOPBACK_NAMES or host == "":
            host = self.default_host
        key, scheme = self._service.credentials(headers, path)
        account = self._service.account_for(key)
        record = RequestRecord(
            host=host,
            method=method,
            path=path,
            auth_scheme=scheme,
            key_fingerprint=_fingerprint(key) if key else None,
            status=None,
            request_id=(self.request_id_factory or resp.new_request_id)(),
            t_start=time.monotonic(),
            account=account.name if account else None,
            key_headers=tuple(
                h for h in ("authorization", "x-api-key") if headers.get(h, "").strip()
            ),
        )
        self.requests.append(record)
        try:
            declared = int(headers["content-length"]) if "content-length" in headers else None
        except ValueError:
            declared = None
        try:
            body = await self._read_body(conn, reader, writer, declared)
        except asyncio.TimeoutError:
            await self._send_error(conn, writer, record, simerr.request_timeout())
            return False
        except h11.RemoteProtocolError:
            await self._send_error(conn, writer, record, simerr.bad_request("Malformed body."))
            return False
        if body is None:
            record.surface = self._service.route(host, path).surface
            await self._send_error(conn, writer, record, simerr.too_large(self.max_body))
            await self._discard(reader)
            return False

        faults = self._faults.take(host, path, key, record.account)
        record.faults = tuple(f.kind for f in faults)
        delay = self.latency + sum(f.seconds for f in faults if f.kind == "latency")
        if delay > 0:
            await asyncio.sleep(delay)
        response_fault = next(
            (f for f in faults if f.kind != "latency" and f.kind not in DELIVERY_KINDS), None
        )
        delivery = next((f for f in faults if f.kind in DELIVERY_KINDS), None)

        route = self._service.route(host, path)
        record.surface = route.surface
        if response_fault is not None and response_fault.kind == "hang":
            await self._hang(reader)
            record.t_end = time.monotonic()
            return False
        if response_fault is not None:
            reply = self._service.fault_reply(response_fault, route, record)
        else:
            reply = self._service.handle(
                host, method, route, query, headers, body, key, account, record
            )
        record.status = reply.status
        if not any(k == "x-request-id" for k, _ in reply.headers) and (
            response_fault is None or response_fault.kind not in ("html", "redirect")
        ):
            reply.headers.append(("x-request-id", record.request_id))
        if route.surface == "anthropic":
            reply.headers.append(("request-id", record.request_id))
        # Stamped before the bytes go out too: a client holding the whole response may read
        # the record before this coroutine resumes after the last drain (t_end was None then).
        record.t_end = time.monotonic()
        ok = await send_reply(
            conn, writer, reply, delivery, head=method == "HEAD", pace=self.stream_interval
        )
        record.t_end = time.monotonic()
        return ok

    async def _discard(self, reader: asyncio.StreamReader) -> None:
        """Swallow what the client is still uploading after a 413, so that closing does not
        reset the connection before the client has read the answer."""
        deadline = time.monotonic() + 2.0
        budget = 16 * self.max_body
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError, OSError):
            while budget > 0 and (left := deadline - time.monotonic()) > 0:
                data = await asyncio.wait_for(reader.read(65536), left)
                if not data:
                    return
                budget -= len(data)

    async def _hang(self, reader: asyncio.StreamReader) -> None:
        """Say nothing until the client leaves or the server stops."""
        assert self._stopping is not None
        eof = asyncio.ensure_future(reader.read(1))
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({eof, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            eof.cancel()
            stop.cancel()

    # ---- sending ---------------------------------------------------------------------------

    async def _send_error(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        record: RequestRecord,
        err: simerr.SimError,
        status: int | None = None,
    ) -> None:
        reply = self._service.error(record, err, status)
        reply.headers.append(("x-request-id", record.request_id))
        reply.headers.append(("connection", "close"))
        record.status = reply.status
        record.t_end = time.monotonic()  # before sending, as in _handle (a reader may be first)
        with contextlib.suppress(Exception):
            await send_reply(conn, writer, reply, None)
        record.t_end = time.monotonic()
