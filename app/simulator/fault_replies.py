"""The answers of response faults (app/simulator/faults.py): each replaces the service's
normal answer before the key is looked at, as a middlebox, a captive portal or an
overloaded front end would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.simulator import errors as simerr
from app.simulator import model_lists
from app.simulator import responses as resp
from app.simulator.faults import Fault
from app.simulator.replies import Reply, RequestRecord, Route, error_reply


def fault_reply(fault: Fault, route: Route, record: RequestRecord) -> Reply:
    """The answer a response fault puts in place of the normal one (before any key check)."""
    kind = fault.kind
    if kind == "redirect":
        location = fault.location or "https://example.com/"
        return Reply(
            fault.status or 301,
            [("location", location), ("content-type", "text/html"), ("content-length", "0")],
        )
    if kind == "html":
        return Reply(
            200,
            [("content-type", "text/html; charset=utf-8")],
            resp.CAPTIVE_PORTAL_HTML.encode(),
        )
    if kind == "huge":
        size = fault.size
        piece = b" " * 65536

        def body() -> Iterable[bytes]:
            sent = 0
            yield b'{"data":"'
            sent += 9
            while sent < size - 2:
                n = min(len(piece), size - 2 - sent)
                yield piece[:n]
                sent += n
            yield b'"}'

        return Reply(200, [("content-type", "application/json")], stream=body(), length=size)
    if kind == "nested_json":
        depth = max(fault.depth, 1)
        nested = b"[" * depth + b"]" * depth
        return Reply(fault.status or 200, [("content-type", "application/json")], nested)
    if kind == "endless_brackets":

        def brackets() -> Iterable[bytes]:
            piece = b"[" * 16384
            while True:
                yield piece

        headers = [("content-type", "application/json")]
        return Reply(fault.status or 200, headers, stream=brackets())
    if kind == "huge_list":
        surface = route.surface if route.surface == "openai" else "dashscope"
        stream = model_lists.huge_list(surface, fault.entries)
        return Reply(200, [("content-type", "application/json")], stream=stream)
    if kind == "malformed_json":
        surface = route.surface if route.surface == "openai" else "dashscope"
        cut = model_lists.malformed_list(surface)
        return Reply(fault.status or 200, [("content-type", "application/json")], cut)
    errors: dict[str, Callable[[], simerr.SimError]] = {
        "burst": lambda: simerr.burst(fault.retry_after),
        "rate_limit": lambda: simerr.rate_limited(fault.retry_after),
        "quota": lambda: simerr.quota_exceeded(fault.retry_after),
        "server_error": simerr.internal_error,
        "unavailable": simerr.model_unavailable,
        "status": lambda: simerr.custom(fault.status or 500, fault.code, fault.message),
    }
    return error_reply(record, errors[kind]())
