"""The streaming check (`doctor --stream`): one short SSE request per surface, timed event by
event, to catch what the 1-token call cannot: a proxy that buffers a stream, or cuts it.

Streaming clients (Claude Code, Qwen Code, Codex, any chat UI) show tokens as they arrive.
A middlebox that holds server-sent events back until the answer is complete (a buffering
reverse proxy, an antivirus, a TLS-inspecting gateway) makes them look hung, and one that
closes long-lived responses truncates answers; a non-streamed call passes through both.

Each surface is asked in its own streaming form (MODEL_STUDIO.md sections 4-6):
OpenAI-compatible `chat/completions` with `stream: true` (ends with `data: [DONE]`),
Anthropic `messages` with `stream: true` (ends with `message_stop`), DashScope native with
`X-DashScope-SSE: enable` and `incremental_output` (ends with a `finish_reason`), and the
Responses API with `stream: true` (ends with `response.completed`). Only surfaces whose
normal check passed with the key are asked, with the model that check used.

Buffered: at least MIN_EVENTS events, all arriving within BURST_MS of each other (a model
produces tokens over tens of milliseconds each; a buffered stream arrives in one read).
Cut: the stream ended (closed, failed or the deadline passed) before its final event.
The same connection pieces as the engine (pins, proxy, trust) are used, so the stream
takes the path the check took.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx2

from app.core.json_limits import parse_json
from app.core.models import RESPONSES
from app.findings.codes import REQUEST_ID_MAX, Finding, inert_or_none
from app.findings.judge import judge_response, merge_findings
from app.findings.results import CheckResult, ProbeResult
from app.findings.stream_section import StreamSample
from app.probe.classify import classify_exception
from app.probe.engine import ProbeOptions, run_checks
from app.probe.proxy import choose_proxy, settings_from_env
from app.probe.surfaces import ANTHROPIC_VERSION, USER_AGENT
from app.probe.transport import PinnedBackend, PinnedTransport, Pins, default_backend
from app.probe.trust import build_ssl_context
from app.secrets.key import ApiKey

if TYPE_CHECKING:
    import ssl

STREAM_TOKENS = 16  # a short answer, but several tokens: enough events to time
MIN_EVENTS = 3
BURST_MS = 10.0
MAX_EVENTS = 2000
_PROMPT = [{"role": "user", "content": "Count from 1 to 10."}]
_FINAL_RESPONSES = ("response.completed", "response.incomplete", "response.failed")

# (has text, is final) of one event, from its `event:` name and its parsed `data:`.
Reader = Callable[[str | None, str, Any], tuple[bool, bool]]


def eligible(result: ProbeResult, key: ApiKey | None, options: ProbeOptions) -> list[CheckResult]:
    """The profile's checks that passed with the key and an inference call (or, for the
    Anthropic and Responses surfaces, their message with the key): those worth streaming."""
    if key is None or not options.inference:
        return []
    return [
        c
        for c in result.checks
        if c.role == "profile"
        and c.status == "pass"
        and not c.keyless
        and c.target.unserved_model is None
        and _model(c, options)
    ]


def _model(check: CheckResult, options: ProbeOptions) -> str | None:
    return check.ping_model or check.target.model or options.model


async def stream_checks(
    result: ProbeResult, key: ApiKey | None, options: ProbeOptions
) -> tuple[list[StreamSample], list[Finding]]:
    """Stream once on every eligible surface, concurrently: the samples and their findings
    (stream_buffered, stream_cut, or the failure of a stream request), merged per host."""
    checks = eligible(result, key, options)
    if not checks or key is None:
        return [], []
    env = options.env if options.env is not None else os.environ
    if options.ssl_context is not None:
        context = options.ssl_context
    else:
        context, _ = build_ssl_context(options.ca_file, env)
    samples = await asyncio.gather(*(_one(c, key, options, context, env) for c in checks))
    findings = [f for f in (_finding(s) for s in samples) if f is not None]
    return list(samples), merge_findings(findings)


async def _one(
    check: CheckResult,
    key: ApiKey,
    options: ProbeOptions,
    context: ssl.SSLContext,
    env: Any,
) -> StreamSample:
    t = check.target
    sample = StreamSample(t.surface, t.host, t.region)
    url = httpx2.URL(t.base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    settings = None if options.no_proxy else settings_from_env(env)
    proxy = choose_proxy(url.scheme, url.host, port, settings, disabled=options.no_proxy)
    inner = options.network_backend or default_backend()
    backend = PinnedBackend(pins=Pins() if proxy.url else options.pins, inner=inner)
    transport = PinnedTransport(context, backend, proxy.url)
    started = time.monotonic()
    try:
        async with httpx2.AsyncClient(
            transport=transport, follow_redirects=False, trust_env=False
        ) as client:
            await asyncio.wait_for(
                _stream(client, check, key, options, sample, started), options.timeout
            )
    except asyncio.TimeoutError:
        if sample.headers_ms is None:
            sample.status, sample.code = "failed", "timeout"
        else:
            sample.status, sample.code = "cut", "stream_cut:timeout"
    except httpx2.TransportError as exc:
        if sample.headers_ms is None:
            sample.status, sample.code = "failed", classify_exception(exc, "http")[0]
        else:  # a connection closed mid-body is a protocol error to httpx2
            closed = isinstance(exc, httpx2.RemoteProtocolError)
            sample.status, sample.code = "cut", f"stream_cut:{'closed' if closed else 'error'}"
    except httpx2.DecodingError:
        sample.status, sample.code = "failed", "unexpected_response"
    sample.total_ms = _since(started)
    return sample


def _since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _request(check: CheckResult, model: str, key: ApiKey) -> tuple[str, dict[str, str], Any]:
    """(path, headers, body) of the surface's streaming form of a short answer."""
    t = check.target
    sse = {"Accept": "text/event-stream", "User-Agent": USER_AGENT}
    if t.surface == "anthropic":
        headers = {**sse, "anthropic-version": ANTHROPIC_VERSION, "x-api-key": key.reveal()}
        body = {"model": model, "max_tokens": STREAM_TOKENS, "messages": _PROMPT, "stream": True}
        return "/v1/messages", headers, body
    bearer = {**sse, "Authorization": f"Bearer {key.reveal()}"}
    if t.surface == RESPONSES:
        body = {"model": model, "input": _PROMPT[0]["content"], "stream": True}
        return "/responses", bearer, {**body, "max_output_tokens": STREAM_TOKENS}
    if t.surface == "openai":
        field = check.token_field or "max_completion_tokens"
        body = {"model": model, "messages": _PROMPT, "stream": True, field: STREAM_TOKENS}
        return "/chat/completions", bearer, body
    field = check.token_field or "max_tokens"
    parameters = {"result_format": "message", "incremental_output": True, field: STREAM_TOKENS}
    body = {"model": model, "input": {"messages": _PROMPT}, "parameters": parameters}
    path = "/services/aigc/text-generation/generation"
    return path, {**bearer, "X-DashScope-SSE": "enable"}, body


async def _stream(
    client: httpx2.AsyncClient,
    check: CheckResult,
    key: ApiKey,
    options: ProbeOptions,
    sample: StreamSample,
    started: float,
) -> None:
    model = _model(check, options) or ""
    path, headers, body = _request(check, model, key)
    request = client.build_request("POST", check.target.base_url + path, headers=headers, json=body)
    response = await client.send(request, stream=True)
    try:
        sample.headers_ms = _since(started)
        sample.http_status = response.status_code
        sample.request_id = inert_or_none(response.headers.get("x-request-id"), REQUEST_ID_MAX)
        ctype = response.headers.get("content-type", "")
        if response.status_code != 200 or not ctype.lower().startswith("text/event-stream"):
            await _refused(response, ctype, sample, options.max_body_bytes)
            return
        await _events(response, READERS[check.target.surface], sample, options.max_body_bytes)
    finally:
        await response.aclose()


async def _refused(response: httpx2.Response, ctype: str, sample: StreamSample, cap: int) -> None:
    """A stream request answered without a stream: judged like any answer."""
    raw = bytearray()
    async for chunk in response.aiter_bytes():
        raw += chunk
        if len(raw) > cap:
            break
    judged = judge_response(
        response.status_code,
        ctype,
        bytes(raw[:cap]),
        oversized=len(raw) > cap,
        inference=True,
        location=response.headers.get("location"),
        retry_after=response.headers.get("retry-after"),
    )
    sample.status = "failed"
    sample.code = judged.code or "unexpected_response"


async def _events(response: httpx2.Response, read: Reader, sample: StreamSample, cap: int) -> None:
    """Read the SSE body event by event, noting when each arrived; the verdict at the end."""
    buffer = b""
    size = 0
    started = time.monotonic() - (sample.headers_ms or 0) / 1000
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        buffer = (buffer + chunk).replace(b"\r\n", b"\n")
        now = round((time.monotonic() - started) * 1000, 1)
        arrived = 0
        while b"\n\n" in buffer and sample.events < MAX_EVENTS:
            block, buffer = buffer.split(b"\n\n", 1)
            name, data = _fields(block)
            if name is None and data is None:
                continue  # a comment or keep-alive
            arrived += 1
            sample.events += 1
            if sample.first_event_ms is None:
                sample.first_event_ms = now
            sample.last_event_ms = now
            ok, value = parse_json("application/json", (data or "").encode())
            text, final = read(name, data or "", value if ok else None)
            if text and sample.first_token_ms is None:
                sample.first_token_ms = now
            sample.final_event = sample.final_event or final
        sample.reads += 1 if arrived else 0
        if size > cap or sample.events >= MAX_EVENTS:
            break
    if not sample.final_event:
        sample.status, sample.code = "cut", "stream_cut:closed"
    elif sample.events < MIN_EVENTS:
        sample.status = "few_events"
    elif (sample.spread_ms or 0.0) <= BURST_MS:
        sample.status, sample.code = "buffered", "stream_buffered"
    else:
        sample.status = "ok"


def _fields(block: bytes) -> tuple[str | None, str | None]:
    """An SSE event's name and data (data lines joined); (None, None) for a comment."""
    name: str | None = None
    data: list[str] = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if line.startswith(":") or not line:
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return name, ("\n".join(data) if data else None)


def _openai(name: str | None, data: str, value: Any) -> tuple[bool, bool]:
    if data.strip() == "[DONE]":
        return False, True
    choices = value.get("choices") if isinstance(value, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else {}
    delta = first.get("delta") if isinstance(first, dict) else None
    return bool(isinstance(delta, dict) and delta.get("content")), False


def _anthropic(name: str | None, data: str, value: Any) -> tuple[bool, bool]:
    kind = name or (value.get("type") if isinstance(value, dict) else None)
    delta = value.get("delta") if isinstance(value, dict) else None
    text = kind == "content_block_delta" and isinstance(delta, dict) and bool(delta.get("text"))
    return text, kind == "message_stop"


def _native(name: str | None, data: str, value: Any) -> tuple[bool, bool]:
    output = value.get("output") if isinstance(value, dict) else None
    if not isinstance(output, dict):
        return False, False
    choices = output.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else output
    if not isinstance(first, dict):
        return False, False
    message = first.get("message")
    text = message.get("content") if isinstance(message, dict) else first.get("text")
    reason = first.get("finish_reason")
    return bool(text), reason not in (None, "", "null")


def _responses(name: str | None, data: str, value: Any) -> tuple[bool, bool]:
    kind = name or (value.get("type") if isinstance(value, dict) else None)
    text = kind == "response.output_text.delta"
    return text, kind in _FINAL_RESPONSES


READERS: dict[str, Reader] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "dashscope": _native,
    RESPONSES: _responses,
}


def _finding(sample: StreamSample) -> Finding | None:
    """The sample's finding: its code, with the details its message names."""
    if sample.code is None:
        return None
    code, _, detail = sample.code.partition(":")
    sample.code = code
    ids = (sample.request_id,) if sample.request_id else ()
    params: dict[str, object] = {
        "events": sample.events,
        "first_ms": round(sample.first_event_ms or 0),
        "total_ms": round(sample.total_ms or 0),
    }
    if detail:
        params["detail"] = detail
    return Finding(code, sample.surface, sample.region, sample.host, ids, params)


async def checks_with_stream(
    targets: list[Any],
    key: ApiKey | None,
    options: ProbeOptions,
    *,
    stream: bool,
    on_event: Callable[[Any], None] | None = None,
) -> tuple[ProbeResult, list[StreamSample] | None]:
    """One doctor run: the engine's checks, then (with `stream`) the streaming check on the
    surfaces that passed; its findings join the run's. None: the stream check was not asked."""
    result = await run_checks(targets, key, options, on_event=on_event)
    if not stream:
        return result, None
    samples, findings = await stream_checks(result, key, options)
    for finding in findings:
        result.add_finding(finding)
    return result, samples
