"""ALL_PROXY=socks5h://... reaches Model Studio through a real SOCKS5 server on loopback."""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Iterator

import pytest

from app.findings.report import render_markdown, to_json
from app.probe.engine import ProbeOptions, run_checks
from app.probe.targets import targets_for
from app.secrets.key import ApiKey


class Socks5Server:
    """A minimal RFC 1928 server (no-auth or RFC 1929 user/password) that sends every
    CONNECT to `upstream`, recording the host names asked for (the proxy resolves them)."""

    def __init__(self, upstream: tuple[str, int], auth: tuple[str, str] | None = None) -> None:
        self.upstream = upstream
        self.auth = auth
        self.requested: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        server.close()

    def start(self) -> Socks5Server:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, n = await reader.readexactly(2)
            methods = await reader.readexactly(n)
            wanted = 0x02 if self.auth else 0x00
            if wanted not in methods:
                writer.write(b"\x05\xff")
                return
            writer.write(bytes([5, wanted]))
            if self.auth:
                _, ulen = await reader.readexactly(2)
                user = await reader.readexactly(ulen)
                (plen,) = await reader.readexactly(1)
                password = await reader.readexactly(plen)
                ok = (user.decode(), password.decode()) == self.auth
                writer.write(b"\x01\x00" if ok else b"\x01\x01")
                if not ok:
                    return
            _, _cmd, _, atyp = await reader.readexactly(4)
            if atyp == 3:
                (length,) = await reader.readexactly(1)
                self.requested.append((await reader.readexactly(length)).decode())
            else:
                await reader.readexactly(4 if atyp == 1 else 16)
            await reader.readexactly(2)
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            writer.write(b"\x05\x00\x00\x01" + bytes(4) + struct.pack("!H", 0))
            await writer.drain()

            async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
                try:
                    while data := await src.read(65536):
                        dst.write(data)
                        await dst.drain()
                finally:
                    dst.close()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
def socks(simulator) -> Iterator[Socks5Server]:
    server = Socks5Server((simulator.host, simulator.port), auth=("bob", "pa ss")).start()
    try:
        yield server
    finally:
        server.stop()


def _targets(sim):
    acct = sim.accounts["ap-southeast-1"]
    return targets_for(acct.region, "workspace", acct.workspace_id, model="qwen-plus")


async def test_socks5h_proxy_with_credentials(simulator, socks):
    env = {"ALL_PROXY": f"socks5h://bob:pa%20ss@127.0.0.1:{socks.port}"}
    key = ApiKey(simulator.key("ap-southeast-1"))
    result = await run_checks(
        _targets(simulator), key, ProbeOptions(ca_file=str(simulator.ca_file), env=env)
    )
    assert result.verdict == "ok", [f.code for f in result.findings]
    host = result.checks[0].host
    assert set(socks.requested) == {host}, "the proxy, not this machine, resolved the name"
    assert all(c.phases["dns_ms"] is None for c in result.checks)
    assert result.proxy.startswith("socks5h://***:***@127.0.0.1")
    rendered = render_markdown(result) + str(to_json(result))
    assert "pa%20ss" not in rendered and "pa ss" not in rendered
    assert key.reveal() not in rendered


async def test_socks5_wrong_password_is_proxy_failed(simulator, socks):
    env = {"ALL_PROXY": f"socks5://bob:wrong@127.0.0.1:{socks.port}"}
    result = await run_checks(
        _targets(simulator),
        ApiKey(simulator.key("ap-southeast-1")),
        ProbeOptions(ca_file=str(simulator.ca_file), env=env),
    )
    assert {f.code for f in result.findings} == {"proxy_failed"}
    assert simulator.requests == []


@pytest.mark.parametrize("scheme", ["socks5h", "http"])
async def test_a_proxy_that_never_answers_is_a_proxy_timeout(simulator, scheme):
    """A proxy that accepts the connection and then says nothing: the check's deadline or
    httpcore2's read timeout on the SOCKS handshake / CONNECT answer (set to what is left of
    the deadline), whichever ends first, and either way the finding is proxy_failed/timeout."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or writes
    try:
        env = {"ALL_PROXY": f"{scheme}://127.0.0.1:{silent.getsockname()[1]}"}
        opts = ProbeOptions(ca_file=str(simulator.ca_file), env=env, timeout=1.0)
        result = await run_checks(_targets(simulator)[:1], None, opts)
    finally:
        silent.close()
    finding = result.checks[0].finding
    assert (finding.code, finding.params["detail"]) == ("proxy_failed", "timeout")
    assert simulator.requests == []


def test_a_read_timeout_in_the_proxy_handshake_is_a_proxy_timeout():
    """The read-timeout side of the race above, made deterministic: httpx2.ReadTimeout (from
    httpcore2's) while talking to the proxy is proxy_failed/timeout, as the deadline is."""
    import httpcore2
    import httpx2

    from app.probe.classify import classify_exception

    try:
        try:
            raise httpcore2.ReadTimeout("")
        except httpcore2.ReadTimeout as core:
            raise httpx2.ReadTimeout("") from core
    except httpx2.ReadTimeout as exc:
        assert classify_exception(exc, "proxy") == ("proxy_failed", {"detail": "timeout"})
