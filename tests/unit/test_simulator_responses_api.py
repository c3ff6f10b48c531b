"""The simulator's Responses API (`POST …/compatible-mode/v1/responses`, what Codex speaks) and
the request facts it records for the real-client tests (model, stream, body fields, which key
headers came).

The openai SDK's typed Responses client reads the answers: if it parses the events and the
response object, the shapes are OpenAI's, which is what Codex follows too (the event list is
checked separately, in the order Codex's parser relies on).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from app.simulator.responses_api import served
from tests.fixtures.simulator import pinned_client

SG = "https://dashscope-intl.aliyuncs.com"
RESPONSES = "/compatible-mode/v1/responses"
CHAT = "/compatible-mode/v1/chat/completions"
MODEL = "qwen3.7-plus"  # served by the Responses API in Singapore


def _openai(sim, http, account: str = "demo"):
    import openai  # the real SDK; a dev dependency only this module's tests need

    return openai.OpenAI(
        api_key=sim.key(account),
        base_url=f"{SG}/compatible-mode/v1",
        http_client=http,
        max_retries=0,
    )


def _post(sim, client, body: dict, account: str | None = "demo"):
    headers = {"Authorization": f"Bearer {sim.key(account)}"} if account else {}
    return client.post(f"{SG}{RESPONSES}", json=body, headers=headers)


def _events(text: str) -> list[tuple[str, dict]]:
    """(event name, data) of each SSE event of a body."""
    found = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_the_openai_sdk_reads_a_streamed_response(simulator) -> None:
    with pinned_client(simulator) as http:
        stream = _openai(simulator, http).responses.create(model=MODEL, input="hi", stream=True)
        events = list(stream)
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "pong"
    done = events[-1]
    assert done.type == "response.completed"
    assert done.response.status == "completed" and done.response.model == MODEL
    assert done.response.output_text == "pong"
    usage = done.response.usage
    assert usage is not None and usage.output_tokens == 1
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_the_openai_sdk_reads_a_response_object(simulator) -> None:
    with pinned_client(simulator) as http:
        reply = _openai(simulator, http).responses.create(
            model=MODEL,
            instructions="Answer briefly.",
            input=[{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        )
    assert reply.object == "response" and reply.status == "completed"
    assert reply.output_text == "pong" and reply.instructions == "Answer briefly."
    assert reply.id.startswith("resp_") and reply.output[0].id.startswith("msg_")


def test_the_stream_carries_what_codex_parses_in_order(simulator, sim_client) -> None:
    """Codex needs `response.created` with a response, text deltas, the finished message in
    `output_item.done`, and `response.completed` with an id and usage (module docstring of
    app/simulator/responses_api.py); every event's name matches its data's type."""
    r = _post(simulator, sim_client, {"model": MODEL, "input": "hi", "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    assert [name for name, _ in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert all(name == data["type"] for name, data in events)
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    created, item, completed = events[0][1], events[-2][1]["item"], events[-1][1]["response"]
    assert created["response"]["status"] == "in_progress" and created["response"]["usage"] is None
    assert item["type"] == "message" and item["role"] == "assistant"
    assert item["content"] == [{"type": "output_text", "text": "pong", "annotations": []}]
    assert completed["id"] == created["response"]["id"]
    assert set(completed["usage"]) == {
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    }


def test_a_one_token_limit_ends_incomplete(simulator, sim_client) -> None:
    body = {"model": MODEL, "input": "hi", "max_output_tokens": 1}
    reply = _post(simulator, sim_client, body).json()
    assert reply["status"] == "incomplete"
    assert reply["incomplete_details"] == {"reason": "max_output_tokens"}
    streamed = _events(_post(simulator, sim_client, {**body, "stream": True}).text)
    assert streamed[-1][0] == "response.incomplete"
    assert simulator.requests[-1].token_limits == ("max_output_tokens",)


def test_a_model_the_responses_api_does_not_serve_is_model_not_found(simulator, sim_client) -> None:
    """qwen-flash answers on chat completions but not here: the OpenAI-mode 404 a Codex user
    with an older model sees."""
    assert _post(simulator, sim_client, {"model": "qwen-flash", "input": "hi"}).status_code == 404
    body = _post(simulator, sim_client, {"model": "qwen-flash", "input": "hi"}).json()
    assert body["error"]["code"] == "model_not_found"
    assert body["error"]["type"] == "invalid_request_error"
    assert "qwen-flash" in body["error"]["message"] and body["request_id"]
    chat = {"model": "qwen-flash", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {simulator.key('demo')}"}
    assert sim_client.post(f"{SG}{CHAT}", json=chat, headers=headers).status_code == 200


def test_the_usual_checks_come_first(simulator, sim_client) -> None:
    """No key 401, unknown model 404, a model outside a grant 403, arrears 400, GET 405."""
    body = {"model": MODEL, "input": "hi"}
    assert _post(simulator, sim_client, body, account=None).status_code == 401
    unknown = _post(simulator, sim_client, {**body, "model": "qwen9-max"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert _post(simulator, sim_client, body, account="limited").status_code == 403
    arrears = _post(simulator, sim_client, body, account="arrears")
    assert arrears.status_code == 400 and arrears.json()["error"]["code"] == "Arrearage"
    got = sim_client.get(f"{SG}{RESPONSES}", headers={"Authorization": "Bearer x"})
    assert got.status_code == 405 and got.headers["allow"] == "POST"


@pytest.mark.parametrize(
    "body",
    [
        {"model": MODEL},
        {"model": MODEL, "input": 3},
        {"model": MODEL, "input": ["hi"]},
        {"model": MODEL, "input": "hi", "stream": "yes"},
        {"model": MODEL, "input": "hi", "max_output_tokens": True},
        {"input": "hi"},
    ],
)
def test_a_malformed_body_is_a_400(simulator, sim_client, body: dict) -> None:
    r = _post(simulator, sim_client, body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("model", "answers"),
    [
        ("qwen3-max", True),
        ("qwen3-max-2026-01-23", True),
        ("qwen3-max-us", True),
        ("qwen3.5-plus", True),
        ("qwen3.6-plus", True),
        ("qwen3.6-flash", True),
        ("qwen3.7-max", True),
        ("qwen3.8-max-preview", True),
        ("qwen3.5-flash", False),
        ("qwen-plus", False),
        ("qwen-flash", False),
        ("qwen-max", False),
        ("qwen3-coder-plus", False),
    ],
)
def test_which_models_the_responses_api_serves(model: str, answers: bool) -> None:
    """The simulator's reading of "qwen3.5-plus, qwen3-max and newer" (CLIENTS.md)."""
    assert served(model) is answers


def test_records_say_what_the_client_sent(simulator, sim_client) -> None:
    """Model, stream flag and field names of the body (never its values), and every header
    that carried a key: what the real-client tests assert on."""
    _post(simulator, sim_client, {"model": MODEL, "input": "secret prompt", "stream": True})
    rec = simulator.requests[-1]
    assert (rec.model, rec.stream, rec.status) == (MODEL, True, 200)
    assert rec.body_fields == ("input", "model", "stream")
    assert rec.key_headers == ("authorization",) and rec.auth_scheme == "bearer"
    assert "secret prompt" not in repr(rec)
    key = simulator.key("demo")
    both = {"Authorization": f"Bearer {key}", "x-api-key": key, "anthropic-version": "2023-06-01"}
    message = {
        "model": "qwen3.7-plus",
        "max_tokens": 8,
        "messages": [{"role": "user", "content": "x"}],
    }
    r = sim_client.post(f"{SG}/apps/anthropic/v1/messages", json=message, headers=both)
    assert r.status_code == 200
    rec = simulator.requests[-1]
    assert rec.key_headers == ("authorization", "x-api-key") and rec.stream is False
    assert rec.key_fingerprint == hashlib.sha256(key.encode()).hexdigest()[:12]
