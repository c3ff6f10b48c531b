"""The OpenAI Responses API as Model Studio serves it: `POST {base}/compatible-mode/v1/responses`.

Codex (`@openai/codex`) speaks only this API to a custom provider (`wire_api = "responses"`;
recent releases refuse `"chat"`), so an export for Codex is proven only if the simulator
answers it the way Codex reads it. Model Studio serves it for a limited set of models
(CLIENTS.md: qwen3.5-plus, qwen3-max and newer); any other model gets the surface's
`model_not_found`, which is what a Codex user with a wrongly picked model would see.

The event names and fields follow OpenAI's Responses streaming format as Codex parses it
(openai/codex, codex-rs/codex-api/src/sse/responses.rs, `process_sse`): `response.created`
must carry a `response` object; text arrives as `response.output_text.delta` events with a
`delta`; the assistant message is taken from `response.output_item.done` (`item` of type
`message` with `output_text` content); the turn ends only with `response.completed` whose
`response` has an `id` and `usage` {input_tokens, input_tokens_details.cached_tokens,
output_tokens, output_tokens_details.reasoning_tokens, total_tokens}. A stream that closes
without `response.completed` is an error there ("stream closed before response.completed").
The in-between events (`response.in_progress`, `content_part.*`, `output_text.done`) are
those of OpenAI's format; Codex ignores them, other clients may not.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from app.simulator import responses as resp

# Which models answer on the Responses surface (the simulator's reading of "qwen3.5-plus,
# qwen3-max and newer"): the qwen3-max family, qwen3.5-plus, and every model of the qwen3.6
# and later generations, with dated snapshots and the legacy `-us` names of those. Older
# models (qwen-plus, qwen-flash, qwen-max, qwen3-coder-*, qwen3.5-flash) are refused.
_SERVED = re.compile(
    r"(qwen3-max|qwen3\.5-plus|qwen3\.(?:[6-9]|[1-9][0-9])-[a-z]+)(?:-[a-z]+)?(?:-\d{4}-\d{2}-\d{2})?"
)

_TYPES: dict[str, tuple[type, ...]] = {
    "input": (str, list),
    "instructions": (str,),
    "stream": (bool,),
    "max_output_tokens": (int,),
    "tools": (list,),
    "store": (bool,),
    "parallel_tool_calls": (bool,),
}


def served(model: str) -> bool:
    """True when the Responses surface serves this model (see `_SERVED`)."""
    return _SERVED.fullmatch(model.removesuffix("-us")) is not None


def body_problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a Responses request body, or None (the 400 the service answers)."""
    if body.get("input") is None:
        return "Field required: input."
    for name, types in _TYPES.items():
        value = body.get(name)
        if value is None:
            continue
        # bool is an int in Python, never in JSON schemas.
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            return f"Field {name} has the wrong type."
    items = body["input"]
    if isinstance(items, list) and not all(isinstance(item, dict) for item in items):
        return "Field input must be a string or a list of objects."
    return None


def _usage(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(usage, cut short): the reply is one token, so max_output_tokens=1 stops it."""
    items = body.get("input")
    messages = (
        [item for item in items if item.get("type", "message") == "message"]
        if (isinstance(items, list))
        else items
    )
    prompt = resp.prompt_tokens(messages, body.get("instructions"))
    usage = {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 1,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + 1,
    }
    return usage, body.get("max_output_tokens") == 1


def _message(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if text else []
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _response(
    response_id: str, model: str, body: dict[str, Any], status: str, output: list[Any]
) -> dict[str, Any]:
    usage, short = _usage(body)
    done = status != "in_progress"
    if done and short:
        status = "incomplete"
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if done and short else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "store": body.get("store", True),
        "temperature": body.get("temperature"),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p"),
        "usage": usage if done else None,
    }


def response_object(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The non-streaming answer: a `response` object whose output is one assistant message."""
    item = _message(f"msg_{uuid.uuid4().hex}", resp.REPLY_TEXT, "completed")
    return _response(f"resp_{uuid.uuid4().hex}", model, body, "completed", [item])


def response_stream(model: str, body: dict[str, Any]) -> Iterator[bytes]:
    """The streaming answer: OpenAI's event sequence for one text message (module docstring)."""
    response_id = f"resp_{uuid.uuid4().hex}"
    item_id = f"msg_{uuid.uuid4().hex}"
    text = resp.REPLY_TEXT
    seq = iter(range(1_000))
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}

    def event(name: str, **data: Any) -> bytes:
        payload = {"type": name, "sequence_number": next(seq), **data}
        return f"event: {name}\n".encode() + b"data: " + resp.dumps(payload) + b"\n\n"

    started = _response(response_id, model, body, "in_progress", [])
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    yield event(
        "response.output_item.added", output_index=0, item=_message(item_id, "", "in_progress")
    )
    part = {"type": "output_text", "text": "", "annotations": []}
    yield event("response.content_part.added", **where, part=part)
    yield event("response.output_text.delta", **where, delta=text, logprobs=[])
    yield event("response.output_text.done", **where, text=text, logprobs=[])
    yield event("response.content_part.done", **where, part={**part, "text": text})
    item = _message(item_id, text, "completed")
    yield event("response.output_item.done", output_index=0, item=item)
    final = _response(response_id, model, body, "completed", [item])
    end = "response.completed" if final["status"] == "completed" else "response.incomplete"
    yield event(end, response=final)
