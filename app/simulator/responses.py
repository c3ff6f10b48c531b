"""Bodies the simulator answers with: the three API surfaces' success shapes.

Shapes follow MODEL_STUDIO.md sections 4-6 and what the real SDKs parse (openai, anthropic,
dashscope), because the point of the simulator is that client code and the diagnosis cannot
tell it from the service. The error envelopes are app.simulator.errors, the model lists
app.simulator.model_lists.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

REPLY_TEXT = "pong"
# How a stream delivers REPLY_TEXT: in two pieces, so a streamed answer has several content
# events (the doctor's stream check tells a buffered stream from a live one by their timing).
REPLY_PIECES = ("po", "ng")

CAPTIVE_PORTAL_HTML = (
    "<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
    "<body><h1>Welcome to Guest Wi-Fi</h1><p>Please accept the terms of use to continue."
    "</p><form method='post'><button>Accept</button></form></body></html>"
)


def new_request_id() -> str:
    return str(uuid.uuid4())


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---- request validation: wrong field types get a 400, as the real service answers -------

_TYPES: dict[str, dict[str, tuple[type, ...]]] = {
    "openai": {
        "messages": (list,),
        "max_tokens": (int,),
        "max_completion_tokens": (int,),
        "stream": (bool,),
        "stream_options": (dict,),
    },
    "anthropic": {
        "messages": (list,),
        "max_tokens": (int,),
        "stream": (bool,),
        "system": (str, list),
    },
    "dashscope": {"input": (dict,), "parameters": (dict,)},
}
_REQUIRED = {
    "openai": ("messages",),
    "anthropic": ("messages", "max_tokens"),
    "dashscope": ("input",),
}


def _bad_type(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int in Python, never in JSON schemas.
    if isinstance(value, bool) and bool not in types:
        return True
    return not isinstance(value, types)


def body_problem(surface: str, body: dict[str, Any]) -> str | None:
    """What is wrong with a request body, or None: fields present with the right JSON types."""
    for name in _REQUIRED[surface]:
        if body.get(name) is None:
            return f"Field required: {name}."
    for name, types in _TYPES[surface].items():
        value = body.get(name)
        if value is not None and _bad_type(value, types):
            return f"Field {name} has the wrong type."
    messages = body.get("messages")
    if surface == "dashscope":
        inp = body["input"]
        messages = inp.get("messages")
        if messages is None and not isinstance(inp.get("prompt"), str):
            return "Field required: input.messages or input.prompt."
        params = body.get("parameters") or {}
        if params.get("max_tokens") is not None and _bad_type(params["max_tokens"], (int,)):
            return "Field parameters.max_tokens has the wrong type."
    if messages is not None and (
        not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages)
    ):
        return "Field messages must be a list of objects."
    return None


# ---- token accounting: small, stable, plausible numbers ---------------------------------


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def prompt_tokens(messages: Any, system: Any = None) -> int:
    """About what Qwen's tokenizer and chat template count for a short prompt."""
    total = 9
    if system:
        total += 4 + len(_text_of(system)) // 4
    if isinstance(messages, list):
        for msg in messages:
            if isinstance(msg, dict):
                total += 4 + max(1, len(_text_of(msg.get("content"))) // 4)
    elif isinstance(messages, str):
        total += max(1, len(messages) // 4)
    return total


def finish(max_tokens: Any) -> tuple[str, int]:
    """The reply is one token long; with max_tokens=1 the model stops for length."""
    return ("length" if max_tokens == 1 else "stop"), 1


# ---- OpenAI-compatible ---------------------------------------------------------------------


def openai_chat(model: str, body: dict[str, Any]) -> dict[str, Any]:
    reason, completion = finish(body.get("max_tokens", body.get("max_completion_tokens")))
    prompt = prompt_tokens(body.get("messages"))
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY_TEXT},
                "finish_reason": reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
        "system_fingerprint": None,
    }


def openai_chat_stream(model: str, body: dict[str, Any]) -> Iterator[bytes]:
    reason, completion = finish(body.get("max_tokens", body.get("max_completion_tokens")))
    prompt = prompt_tokens(body.get("messages"))
    base = {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
    }
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> bytes:
        payload = {
            **base,
            "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            ],
        }
        if include_usage:
            payload["usage"] = None
        return b"data: " + dumps(payload) + b"\n\n"

    yield chunk({"role": "assistant", "content": ""}, None)
    for piece in REPLY_PIECES:
        yield chunk({"content": piece}, None)
    yield chunk({}, reason)
    if include_usage:
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        yield b"data: " + dumps({**base, "choices": [], "usage": usage}) + b"\n\n"
    yield b"data: [DONE]\n\n"


# ---- DashScope native ----------------------------------------------------------------------


def _native_usage(body: dict[str, Any]) -> tuple[dict[str, int], str]:
    inp = body.get("input") or {}
    params = body.get("parameters") or {}
    prompt = prompt_tokens(inp.get("messages") or inp.get("prompt"))
    reason, completion = finish(params.get("max_tokens"))
    usage = {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": prompt + completion,
    }
    return usage, reason


def native_generation(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    usage, reason = _native_usage(body)
    params = body.get("parameters") or {}
    if params.get("result_format") == "message":
        output: dict[str, Any] = {
            "choices": [
                {"finish_reason": reason, "message": {"role": "assistant", "content": REPLY_TEXT}}
            ]
        }
    else:
        output = {"text": REPLY_TEXT, "finish_reason": reason}
    return {"output": output, "usage": usage, "request_id": request_id}


def native_generation_stream(body: dict[str, Any], request_id: str) -> Iterator[bytes]:
    """DashScope's SSE framing (id/event/:HTTP_STATUS/data lines) as the dashscope SDK reads it:
    an opening event with no text, then one per piece; each carries the text so far, or only
    its own piece with `incremental_output`; `finish_reason` is "null" until the last."""
    final = native_generation(body, request_id)
    incremental = (body.get("parameters") or {}).get("incremental_output") is True
    texts = ["", *REPLY_PIECES]
    for i, piece in enumerate(texts):
        last = i == len(texts) - 1
        text = piece if incremental else "".join(texts[: i + 1])
        event = json.loads(dumps(final))
        output = event["output"]
        if "choices" in output:
            output["choices"][0]["message"]["content"] = text
            if not last:
                output["choices"][0]["finish_reason"] = "null"
        else:
            output["text"] = text
            if not last:
                output["finish_reason"] = "null"
        head = f"id:{i + 1}\nevent:result\n:HTTP_STATUS/200\ndata:".encode()
        yield head + dumps(event) + b"\n\n"


# ---- Anthropic-compatible ------------------------------------------------------------------


def anthropic_message(model: str, body: dict[str, Any]) -> dict[str, Any]:
    reason, completion = finish(body.get("max_tokens"))
    return {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": REPLY_TEXT}],
        "stop_reason": "max_tokens" if reason == "length" else "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": prompt_tokens(body.get("messages"), body.get("system")),
            "output_tokens": completion,
        },
    }


def anthropic_stream(model: str, body: dict[str, Any]) -> Iterator[bytes]:
    msg = anthropic_message(model, body)

    def event(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\n".encode() + b"data: " + dumps({"type": name, **data}) + b"\n\n"

    start = {**msg, "content": [], "stop_reason": None}
    start["usage"] = {**msg["usage"], "output_tokens": 0}
    yield event("message_start", {"message": start})
    yield event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
    for piece in REPLY_PIECES:
        delta = {"type": "text_delta", "text": piece}
        yield event("content_block_delta", {"index": 0, "delta": delta})
    yield event("content_block_stop", {"index": 0})
    yield event(
        "message_delta",
        {
            "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": msg["usage"]["output_tokens"]},
        },
    )
    yield event("message_stop", {})
