"""What the simulator knows of a request and the answer it writes, before any bytes: shared
by the service's decisions (app/simulator/service.py), the fault answers
(app/simulator/fault_replies.py) and the wire (app/simulator/wire.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.simulator import errors as simerr
from app.simulator import responses as resp


@dataclass
class RequestRecord:
    """What the simulator saw of one request; never the key itself, only its fingerprint."""

    host: str
    method: str
    path: str
    auth_scheme: str | None  # "bearer" | "x-api-key" | None
    key_fingerprint: str | None  # sha256(key)[:12], the same digest as ApiKey.fingerprint()
    status: int | None
    request_id: str
    t_start: float  # time.monotonic()
    t_end: float | None = None
    surface: str | None = None  # openai | anthropic | dashscope | None
    account: str | None = None  # account name the key belongs to, if any
    faults: tuple[str, ...] = ()
    # The names the body gave its token limit (max_tokens / max_completion_tokens, or
    # max_output_tokens on the Responses API), in order.
    token_limits: tuple[str, ...] = ()
    # What an inference body asked for (None / () until one is parsed): the model, whether it
    # asked for a stream, and its top-level field names (never their values: a prompt may
    # hold anything), so tests can say what a real client sent.
    model: str | None = None
    stream: bool | None = None
    body_fields: tuple[str, ...] = ()
    # Which of the headers that can carry a key were sent with one (`authorization`,
    # `x-api-key`), whichever `auth_scheme` was used: Claude Code's apiKeyHelper sends both.
    key_headers: tuple[str, ...] = ()


@dataclass
class Reply:
    """An answer before it is written: the connection layer decides how (faults may drip or
    cut it)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Iterable[bytes] | None = None  # sent chunked, each piece flushed
    length: int | None = None  # with stream: a declared Content-Length instead of chunking


@dataclass
class Route:
    """Which API surface a path belongs to, and the path below the surface's prefix."""

    surface: str | None
    sub: str  # path below the surface prefix


JSON = ("content-type", "application/json")


def error_reply(record: RequestRecord, err: simerr.SimError, status: int | None = None) -> Reply:
    """`err` in the envelope of the surface the request hit (native when none)."""
    surface = record.surface or "dashscope"
    code = status or err.status_for(surface)
    return Reply(code, [JSON, *err.headers], resp.dumps(err.body_for(surface, record.request_id)))


def json_reply(payload: dict[str, Any], status: int = 200) -> Reply:
    return Reply(status, [JSON], resp.dumps(payload))


def sse_reply(chunks: Iterable[bytes]) -> Reply:
    return Reply(
        200,
        [("content-type", "text/event-stream;charset=UTF-8"), ("cache-control", "no-cache")],
        stream=chunks,
    )
