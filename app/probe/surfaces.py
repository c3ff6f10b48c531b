"""What each API surface is asked, and what its answers mean for the check.

The OpenAI-compatible and native (DashScope) surfaces get a cheap authenticated GET of the
model list (the auth step), then, when the run allows inference, the 1-token call of their
own shape. The Anthropic-compatible surface has no such GET (GET /v1/models answers 404):
its 1-token message is both the auth and the inference step, and with --no-inference, no
usable key or a model it does not serve, the same message goes WITHOUT the key, so that a
JSON 401 proves only that the surface answers. The optional Responses surface (Codex) is
asked the same way: one short response, with the key only when inference is allowed.
Bodies are read up to a cap, and whatever a server chose (a request id header) is made
inert and bounded as it is read (B45).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import httpx2

from app import __version__
from app.core.json_limits import parse_json
from app.core.models import RESPONSES, Step, Target
from app.findings.codes import REQUEST_ID_MAX, inert_or_none
from app.findings.judge import body_request_id, judge_response
from app.findings.results import CheckResult
from app.probe.model_list import choose_ping_model, parse_page
from app.probe.targets import offered_models
from app.secrets.key import ApiKey

ANTHROPIC_VERSION = "2023-06-01"
_PING = [{"role": "user", "content": "ping"}]
USER_AGENT = f"modelstudio-setup/{__version__} (doctor)"


class SurfaceCheck(Protocol):
    """What a surface conversation needs of the check that runs it (app.probe.engine)."""

    target: Target
    result: CheckResult

    @property
    def key(self) -> ApiKey | None: ...

    @property
    def inference(self) -> bool: ...

    @property
    def model(self) -> str | None: ...

    def phase_done(self, phase: str, ms: float | None, ok: bool) -> None: ...

    def fail(self, code: str, *, request_ids: tuple[str, ...] = (), **params: object) -> None: ...

    async def send(
        self,
        client: httpx2.AsyncClient,
        method: str,
        path: str,
        headers: dict[str, str],
        body: object,
    ) -> Answer: ...


@dataclass
class Answer:
    """One HTTP answer as the judge reads it: status, type, capped body, a few headers."""

    status: int
    content_type: str
    body: bytes
    oversized: bool
    request_id: str | None
    location: str | None
    retry_after: str | None
    ms: float


async def converse(check: SurfaceCheck, client: httpx2.AsyncClient) -> None:
    """auth (cheap authenticated GET), then the 1-token inference if that passed."""
    t = check.target
    key = check.key
    model = check.model
    r = check.result
    if t.surface == "anthropic":
        # No cheap authenticated GET exists here, so the 1-token message is both the auth
        # and the inference check (see the module docstring for the keyless case).
        unserved = t.unserved_model is not None
        sent_key = None if not check.inference or not model or unserved else key
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if sent_key is not None:
            headers["x-api-key"] = sent_key.reveal()
        body = {"model": model or "qwen-plus", "max_tokens": 1, "messages": _PING}
        answer = await check.send(client, "POST", "/v1/messages", headers, body)
        keyless = sent_key is None
        step_name = "reachability" if keyless else "inference"
        judge_answer(check, answer, step_name, keyless=keyless, inference=not keyless)
        if unserved and r.finding is None and key is not None and check.inference:
            check.fail("anthropic_model_unserved", model=t.unserved_model)
        return
    if t.surface == RESPONSES:
        await _respond(check, client)
        return
    headers = {} if key is None else {"Authorization": f"Bearer {key.reveal()}"}
    answer = await check.send(client, "GET", "/models", headers, None)
    judge_answer(check, answer, "auth", keyless=key is None, inference=False)
    if r.finding is not None or key is None or not check.inference or r.role != "profile":
        return
    # The auth GET was the key's model list: ping a listed small model when the profile
    # has none or its model is not listed (no extra request; the catalog is the fallback).
    source = "compatible" if t.surface == "openai" else "native"
    page = parse_page(answer.content_type, answer.body, source, answer.oversized)
    chosen, reason = choose_ping_model(page if answer.status == 200 else None, model, t.scope)
    if answer.status == 200 and page.problem is None:
        fits = (m.id for m in page.models if m.scope is None or t.scope in (None, m.scope))
        r.listed_models = tuple(dict.fromkeys(fits))
    wanted = model
    if reason is not None:
        r.ping_model, r.ping_model_reason, model = chosen, reason, chosen
    if not model:
        return
    path = "/chat/completions" if t.surface == "openai" else _NATIVE_GENERATION
    field = TOKEN_FIELDS[t.surface][0]
    answer = await check.send(client, "POST", path, headers, _ping(t.surface, model, field))
    if refused_field(answer) == field:
        # The service refuses this name of the token limit (max_tokens is deprecated on the
        # compatible surface since 2026-04, MODEL_STUDIO.md section 4): once with the other.
        field = TOKEN_FIELDS[t.surface][1]
        answer = await check.send(client, "POST", path, headers, _ping(t.surface, model, field))
    r.token_field = field if answer.status < 300 else None
    judge_answer(check, answer, "inference", keyless=False, inference=True)
    if r.ping_model_reason == "not_listed" and r.finding is None:
        # The connection and the key work (the listed model answered), but the profile's
        # model is not in the key's complete list: its calls would fail, so say so, with the
        # finding its own 1-token call would give: a model the catalog offers in this scope
        # is more likely not granted to the key (403) than nonexistent (404).
        offered = offered_models(t)
        code = "access_denied" if wanted in offered else "model_not_found"
        check.fail(
            code, model=wanted, status=200, api_code="GET /models", models=", ".join(offered)
        )


async def _respond(check: SurfaceCheck, client: httpx2.AsyncClient) -> None:
    """The Responses API (Codex's only API): like the Anthropic surface it has no cheap
    authenticated GET of its own (the chat surface's GET /models covers the same host and
    key), so the short response is both the auth and the inference step; with
    --no-inference or no key it goes without the key and only proves the surface answers."""
    key, model = check.key, check.model
    sent_key = key if check.inference and model else None
    headers = {} if sent_key is None else {"Authorization": f"Bearer {sent_key.reveal()}"}
    # 16, not 1: OpenAI's Responses API refuses max_output_tokens below 16 and Model
    # Studio documents no other minimum; still a tiny answer.
    body = {"model": model or "qwen3-max", "input": "ping", "max_output_tokens": 16}
    answer = await check.send(client, "POST", "/responses", headers, body)
    keyless = sent_key is None
    step = "reachability" if keyless else "inference"
    judge_answer(check, answer, step, keyless=keyless, inference=not keyless)


_NATIVE_GENERATION = "/services/aigc/text-generation/generation"
# The names of the 1-token limit each surface is pinged with, the one tried first first
# the compatible surface's current name and its deprecated one (MODEL_STUDIO.md section 4),
# the native surface's documented name and the compatible one (section 5).
TOKEN_FIELDS: dict[str, tuple[str, str]] = {
    "openai": ("max_completion_tokens", "max_tokens"),
    "dashscope": ("max_tokens", "max_completion_tokens"),
}


def _ping(surface: str, model: str, field: str) -> dict[str, object]:
    """The 1-token request of `surface`, its limit under the name `field`."""
    if surface == "openai":
        return {"model": model, "messages": _PING, field: 1}
    return {
        "model": model,
        "input": {"messages": _PING},
        "parameters": {"result_format": "message", field: 1},
    }


def refused_field(answer: Answer) -> str | None:
    """The token-limit name a 400 refuses, if that is what it refuses: the OpenAI envelope's
    `param`, else the name quoted in its message (the native envelope has no `param`). The
    message is read only for these two exact names, never for what the error means."""
    if answer.status != 400:
        return None
    body = _maybe_json(answer)
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    envelope = error if isinstance(error, dict) else body
    param = envelope.get("param")
    names = ("max_completion_tokens", "max_tokens")
    if isinstance(param, str) and param in names:
        return param
    message = envelope.get("message")
    if isinstance(message, str):
        for name in names:  # the longer first: "max_tokens" is inside the other name
            if f"'{name}'" in message or f"`{name}`" in message or f"parameters.{name}" in message:
                return name
    return None


def judge_answer(
    check: SurfaceCheck, answer: Answer, step: str, *, keyless: bool, inference: bool
) -> None:
    """Record one answer on the check: its step, what it says about the key, its finding."""
    r = check.result
    r.http_status = answer.status
    judged = judge_response(
        answer.status,
        answer.content_type,
        answer.body,
        oversized=answer.oversized,
        inference=inference,
        location=answer.location,
        retry_after=answer.retry_after,
    )
    request_id = answer.request_id or body_request_id(_maybe_json(answer))
    r.request_id = request_id or r.request_id
    r.steps.append(Step(step, round(answer.ms, 1), answer.status, request_id, judged.api_code))
    check.phase_done(step, answer.ms, judged.code is None)
    if judged.api_code:
        r.api_code = judged.api_code
    if keyless:
        r.keyless = True
        if judged.code == "key_rejected" or judged.code is None:
            return  # the surface answered as Model Studio does; the key was not sent
    else:
        r.auth_checked = r.auth_checked or judged.key_accepted is not None
        if judged.key_accepted is not None:
            r.key_accepted = judged.key_accepted
    if judged.code is not None:
        params = dict(judged.params)
        if inference:
            params["model"] = check.target.model or check.model
        if judged.code == "model_not_found":
            params["models"] = ", ".join(offered_models(check.target))
        check.fail(judged.code, request_ids=(request_id,) if request_id else (), **params)


async def send(
    client: httpx2.AsyncClient,
    request: httpx2.Request,
    max_body_bytes: int,
) -> Answer:
    """Send `request` (redirects are never followed) and read its body up to the cap."""
    started = time.monotonic()
    response = await client.send(request, stream=True)
    chunks: list[bytes] = []
    size = 0
    oversized = False
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_body_bytes:
                oversized = True
                break
            chunks.append(chunk)
    finally:
        await response.aclose()
    return Answer(
        status=response.status_code,
        content_type=response.headers.get("content-type", ""),
        body=b"".join(chunks),
        oversized=oversized,
        # Whoever answers chooses this header (B45): inert and bounded from here on.
        request_id=inert_or_none(response.headers.get("x-request-id"), REQUEST_ID_MAX),
        location=response.headers.get("location"),
        retry_after=response.headers.get("retry-after"),
        ms=(time.monotonic() - started) * 1000,
    )


def _maybe_json(answer: Answer) -> object:
    ok, value = parse_json(answer.content_type, answer.body)
    return value if ok else None
