"""`--debug`: a trace of what was sent and received, for "show me what you sent".

One process-wide sink, off unless the CLI turns it on (`--debug`, MODELSTUDIO_SETUP_DEBUG=1),
writing to stderr or a private `--debug-file` (0600). The network layer (app.probe.transport,
the one place every request passes) calls `http()` and `connect()`; they cost nothing when
the trace is off. What a line may hold is decided here, once: method, URL (query values
redacted), status, timings, header NAMES with values only for the few harmless headers
(content type and length, request ids, server, date, retry-after, rate limits) and
`<redacted>` for the rest. Never a body, never the key: every shown value also goes through
the key detector, and a value that holds the key passed to `add_secret` is hidden.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from app.core.errors import UserError, refuse_if_key
from app.core.text import inert, looks_like_key

# Headers whose values say what happened and carry nothing secret.
SHOWN_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "x-request-id",
        "x-dashscope-request-id",
        "request-id",
        "server",
        "date",
        "retry-after",
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "anthropic-version",
        "accept",
        "user-agent",
        "x-dashscope-sse",
        "transfer-encoding",
        "location",
    }
)
_VALUE_MAX = 160

_sink: TextIO | None = None
_start = 0.0
_secrets: list[str] = []


def start(path: str | None, *, tui: bool, what: str) -> TextIO:
    """Trace to stderr, or to `path`, created 0600 and never through a symlink (an existing
    file is made private too). A TUI owns the terminal: it needs the file (exit 2)."""
    stream: TextIO = sys.stderr
    if path is None and tui:
        raise UserError("cli.debug_needs_file")
    if path is not None:
        refuse_if_key(path, "--debug-file")
        if not path.strip():
            raise UserError("cli.debug_file_empty")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP or os.path.islink(path):  # O_NOFOLLOW refused it
                raise UserError("cli.debug_file_link", path=inert(path)) from None
            reason = exc.strerror or type(exc).__name__
            raise UserError("cli.debug_file_failed", path=inert(path), reason=reason) from None
        os.fchmod(fd, 0o600)
        stream = os.fdopen(fd, "w", encoding="utf-8")
    enable(stream)
    note(f"{what} (python {sys.version.split()[0]})")
    return stream


def stop(stream: TextIO) -> None:
    """End the trace; close the debug file (never stderr)."""
    disable()
    if stream is not sys.stderr:
        stream.close()


def enable(stream: TextIO) -> None:
    """Start tracing to `stream` (the CLI opens it: stderr or the private debug file)."""
    global _sink, _start
    _sink, _start = stream, time.monotonic()


def disable() -> None:
    global _sink
    _sink = None
    _secrets.clear()


def enabled() -> bool:
    return _sink is not None


def add_secret(value: str) -> None:
    """A value never to show, even in a part of a line that is otherwise shown."""
    if value and value not in _secrets:
        _secrets.append(value)


def _safe(value: object) -> str:
    text = inert(value, _VALUE_MAX)
    if looks_like_key(text) or any(s in text for s in _secrets):
        return "<redacted>"
    return text


def shown_url(url: str) -> str:
    """The URL with userinfo dropped and every query value redacted."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    query = "&".join(f"{k}=<redacted>" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return _safe(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


def shown_headers(headers: Iterable[tuple[bytes | str, bytes | str]]) -> str:
    out = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1") if isinstance(raw_name, bytes) else raw_name
        value = raw_value.decode("latin-1") if isinstance(raw_value, bytes) else raw_value
        lower = name.lower()
        shown = _safe(value) if lower in SHOWN_HEADERS else "<redacted>"
        out.append(f"{_safe(lower)}={shown}")
    return ", ".join(out) or "-"


def _write(line: str) -> None:
    sink = _sink
    if sink is None:
        return
    elapsed = (time.monotonic() - _start) * 1000
    try:
        sink.write(f"[debug +{elapsed:8.1f} ms] {line}\n")
        sink.flush()
    except (OSError, ValueError):  # a closed pipe or file: the trace is not worth a crash
        pass


def note(text: str) -> None:
    """A line of the tool's own (the command that runs, a config path)."""
    if _sink is not None:
        _write(_safe(text))


def connect(
    host: str, port: int, address: str, real_port: int, ms: float, error: str | None
) -> None:
    """One TCP connection (after pins and the probe's own DNS answer)."""
    if _sink is None:
        return
    outcome = f"failed: {_safe(error)}" if error else "ok"
    _write(f"tcp {_safe(host)}:{port} -> {_safe(address)}:{real_port} {outcome} ({ms:.1f} ms)")


def http(
    method: str,
    url: str,
    request_headers: Iterable[tuple[bytes | str, bytes | str]],
    body_bytes: int | None,
    status: int | None,
    response_headers: Iterable[tuple[bytes | str, bytes | str]],
    ms: float,
    error: str | None = None,
) -> None:
    """One request and its answer's head (the body is never read here nor shown)."""
    if _sink is None:
        return
    body = "-" if body_bytes is None else f"{body_bytes} bytes (not shown)"
    _write(f"http {_safe(method)} {shown_url(url)} request body: {body}")
    _write(f"  request headers: {shown_headers(request_headers)}")
    if error is not None:
        _write(f"  failed after {ms:.1f} ms: {_safe(error)}")
        return
    _write(f"  -> {status} in {ms:.1f} ms (to the response head)")
    _write(f"  response headers: {shown_headers(response_headers)}")
