"""The simulator's side of the wire: writing a reply with h11, including the ways a real
network delivers one badly (a reset halfway, a body dripped byte by byte, a stream held back
whole by a buffering proxy or cut before its last event).

Apart from app.simulator.server so that the server holds routing and connections, and this
holds bytes on the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Iterable
from http import HTTPStatus

import h11

from app.simulator.faults import STREAM_KINDS, Fault
from app.simulator.service import Reply


def reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


async def send_simple(
    conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: bytes
) -> None:
    with contextlib.suppress(h11.LocalProtocolError, ConnectionError, OSError):
        headers = [
            ("content-type", "text/plain"),
            ("content-length", str(len(body))),
            ("connection", "close"),
        ]
        writer.write(
            conn.send(h11.Response(status_code=status, headers=headers, reason=reason(status)))
        )
        writer.write(conn.send(h11.Data(data=body)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()


async def send_reply(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    reply: Reply,
    delivery: Fault | None,
    *,
    head: bool = False,
    pace: float = 0.0,
) -> bool:
    """Write the reply; False when the connection must not be reused. The events of an SSE
    reply go out `pace` seconds apart (a model's token rate)."""
    sse = reply.stream is not None and is_sse(reply)
    if delivery is not None and (not sse or head) and delivery.kind in STREAM_KINDS:
        delivery = None  # a stream fault leaves every other answer alone
    if sse and delivery is not None and delivery.kind == "stream_buffer":
        reply = await _buffered(reply, pace)
        delivery, sse = None, False
    headers = [(k, v) for k, v in reply.headers if k != "content-length"]
    if reply.stream is None:
        headers.append(("content-length", str(len(reply.body))))
    elif reply.length is not None:
        headers.append(("content-length", str(reply.length)))
    headers.append(("date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())))
    headers.append(("server", "modelstudio-simulator"))
    if delivery is not None:
        headers.append(("connection", "close"))
    writer.write(
        conn.send(
            h11.Response(status_code=reply.status, headers=headers, reason=reason(reply.status))
        )
    )
    await writer.drain()
    pieces: Iterable[bytes] = [reply.body] if reply.stream is None else reply.stream
    if head:  # same headers as GET, never a body
        pieces = []
    if delivery is not None and delivery.kind == "reset":
        data = b"".join(pieces) if reply.stream is None else next(iter(pieces), b"")
        half = data[: max(1, len(data) // 2)] if len(data) > 1 else b""
        if half:
            writer.write(conn.send(h11.Data(data=half)))
            await writer.drain()
        reset(writer)
        return False
    cut_after = delivery.events if delivery is not None and delivery.kind == "stream_cut" else -1
    try:
        for index, piece in enumerate(pieces):
            if index == cut_after:
                writer.close()  # FIN without the final event or the chunked body's end
                return False
            if sse and index and pace > 0:
                await asyncio.sleep(pace)
            if not piece:
                continue
            if delivery is not None and delivery.kind == "drip":
                for i in range(0, len(piece), delivery.chunk_size):
                    writer.write(conn.send(h11.Data(data=piece[i : i + delivery.chunk_size])))
                    await writer.drain()
                    await asyncio.sleep(delivery.drip_delay)
            else:
                writer.write(conn.send(h11.Data(data=piece)))
                await writer.drain()
            if reply.stream is not None:
                # drain() returns without suspending while the buffer is small, so an
                # endless stream would never let connection_lost() run: yield once per
                # piece, and stop when the client has hung up.
                await asyncio.sleep(0)
                if writer.transport.is_closing():
                    return False
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()
    except (ConnectionError, OSError):
        return False
    return delivery is None


def is_sse(reply: Reply) -> bool:
    return any(
        k.lower() == "content-type" and v.lower().startswith("text/event-stream")
        for k, v in reply.headers
    )


async def _buffered(reply: Reply, pace: float) -> Reply:
    """The whole SSE reply as one body, ready only once its last event has been produced at
    the usual pace: what a client behind a buffering proxy receives."""
    body = bytearray()
    for index, piece in enumerate(reply.stream or ()):
        if index and pace > 0:
            await asyncio.sleep(pace)
        body += piece
    return Reply(reply.status, list(reply.headers), bytes(body))


def reset(writer: asyncio.StreamWriter) -> None:
    """Abort with a TCP RST (SO_LINGER 0), as a middlebox dropping the connection would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
