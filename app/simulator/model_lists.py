"""Model list answers: native `GET /api/v1/models` (with each model's deployment scope) and
the compatible `GET /compatible-mode/v1/models` (OpenAI's list shape), plus the bad bodies a
client must survive (a huge list, malformed JSON, deeply nested JSON).

The native shape follows the official "List models" page (MODEL_STUDIO.md section 5): pages
(`page_no`, `page_size`) and a filter by deployment scope, one entry per model the key may
call, `deployment_scope` naming where that model's inference runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from app.simulator.models import BY_ID

MAX_PAGE_SIZE = 100
HUGE_LIST_ENTRIES = 200_000  # ~20 MB of valid JSON: a client must cap what it reads


def _display(model_id: str) -> str:
    known = BY_ID.get(model_id)
    if known is not None:
        return known.name
    return "-".join(part[:1].upper() + part[1:] for part in model_id.split("-"))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def native_models(deployed: dict[str, str], query: str, request_id: str) -> dict[str, Any]:
    """One page of the key's models; `model=` and `deployment_scope=` filter the list."""
    params = dict(parse_qsl(query))
    name, scope = params.get("model"), params.get("deployment_scope")
    selected = [
        (m, s)
        for m, s in deployed.items()
        if (name is None or m == name) and (scope is None or s == scope)
    ]
    page_no = max(1, _int(params.get("page_no"), 1))
    page_size = max(1, min(MAX_PAGE_SIZE, _int(params.get("page_size"), MAX_PAGE_SIZE)))
    page = selected[(page_no - 1) * page_size : page_no * page_size]
    return {
        "request_id": request_id,
        "output": {
            "page_no": page_no,
            "page_size": page_size,
            "total": len(selected),
            "models": [
                {"model": m, "name": _display(m), "deployment_scope": s, "provider": "qwen"}
                for m, s in page
            ],
        },
    }


def openai_models(models: Iterable[str]) -> dict[str, Any]:
    created = 1_700_000_000
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": created, "owned_by": "system"} for m in models
        ],
    }


def huge_list(surface: str, entries: int = HUGE_LIST_ENTRIES) -> Iterator[bytes]:
    """A valid list body with `entries` models, streamed in pieces (never built whole)."""
    if surface == "openai":
        head, tail = b'{"object":"list","data":[', b"]}"
        entry = b'{"id":"qwen-sim-%d","object":"model","created":1700000000,"owned_by":"system"}'
    else:
        head = b'{"request_id":"huge","output":{"page_no":1,"page_size":%d,"total":%d,"models":['
        head = head % (entries, entries)
        tail = b"]}}"
        entry = b'{"model":"qwen-sim-%d","name":"Qwen-Sim","deployment_scope":"international"}'
    yield head
    batch = 1000
    for start in range(0, entries, batch):
        stop = min(entries, start + batch)
        yield b",".join(entry % i for i in range(start, stop)) + (b"," if stop < entries else b"")
    yield tail


def malformed_list(surface: str) -> bytes:
    """A list body cut mid-way (a proxy that truncated it): not valid JSON."""
    if surface == "openai":
        return b'{"object":"list","data":[{"id":"qwen-plus","object":"model",'
    return b'{"request_id":"x","output":{"models":[{"model":"qwen-plus","name":'


def nested_list(depth: int = 100_000) -> bytes:
    """Valid JSON nested far deeper than any recursive parser's stack."""
    return b'{"output":{"models":' + b"[" * depth + b"]" * depth + b"}}"
