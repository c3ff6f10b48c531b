"""Ask the service for a temporary `st-` key (`POST {base}/api/v1/tokens?expire_in_seconds=N`,
MODEL_STUDIO.md section 3) for `key temp`, with the probe's network stack.

The same transport as doctor and `models` (app.probe: pins, proxy choice, trust store,
no redirects, a capped body, one deadline for the whole exchange, DNS included), the key
only in the Authorization header of the profile's own native host. Whatever the server
answers is read as data: the token must look like a temporary key and contain nothing a
shell line or an env file would read differently, or it is refused without being shown.
Failures are TempKeyError (exit 1) whose message names the host, the status and the
service's code, never a key (the parent key is redacted from anything shown, T8).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass

import httpx2

from app.core.errors import EXIT_PROBLEMS, UserError
from app.core.json_limits import parse_json
from app.core.models import Target
from app.core.text import redact
from app.findings.codes import Finding
from app.probe.classify import classify_exception, through_proxy
from app.probe.engine import ProbeOptions
from app.probe.proxy import choose_proxy, refuse_key_in_settings, settings_from_env
from app.probe.surfaces import USER_AGENT, send
from app.probe.transport import PinnedBackend, PinnedTransport, default_backend
from app.probe.trust import build_ssl_context
from app.secrets.key import TEMP_KEY_PREFIX, ApiKey

MIN_TTL, MAX_TTL, DEFAULT_TTL = 1, 1800, 600
_MAX_ANSWER = 64 * 1024  # a token answer is a few hundred bytes
# A token is printed into shell lines and env files: only characters none of them reads
# specially, so no quoting question can arise (the simulator's, and the documented, shape).
_TOKEN = re.compile(r"st-[A-Za-z0-9._~+/=-]{5,997}")
_CODE_MAX = 80


class TempKeyError(UserError):
    """The service gave no temporary key (exit 1): refused, unreachable, or an odd answer."""

    exit_code = EXIT_PROBLEMS


@dataclass(frozen=True)
class TempKey:
    """The issued key (masked when printed by accident) and what the service said with it."""

    token: ApiKey
    expires_at: object  # as the service sent it (epoch seconds, usually); None when absent
    request_id: str | None
    host: str


def parse_ttl(raw: object) -> int:
    """--ttl as whole seconds in 1-1800 (the service's range), else UserError (exit 2)."""
    text = str(raw).strip()
    # The length first: int() of thousands of digits raises instead of answering (T18).
    if (
        len(text) > 4
        or not (text.isascii() and text.isdigit())
        or not MIN_TTL <= int(text) <= MAX_TTL
    ):
        raise UserError("key_temp.bad_ttl", min=MIN_TTL, max=MAX_TTL)
    return int(text)


def native_target(targets: list[Target]) -> Target | None:
    """The profile's DashScope native surface (the one that issues tokens), if it has one."""
    return next((t for t in targets if t.surface == "dashscope" and t.role == "profile"), None)


async def issue_temp_key(target: Target, key: ApiKey, ttl: int, options: ProbeOptions) -> TempKey:
    """One POST to `target`'s /tokens with `key`; the temporary key, or TempKeyError."""
    env = options.env if options.env is not None else os.environ
    refuse_key_in_settings(env, options.ca_file, key.reveal())
    if options.ssl_context is not None:
        context = options.ssl_context
    else:
        context, _ = build_ssl_context(options.ca_file, env)
    url = httpx2.URL(target.base_url)
    port = url.port or 443
    settings = None if options.no_proxy else settings_from_env(env)
    proxy = choose_proxy(url.scheme, url.host, port, settings, disabled=options.no_proxy)
    backend = PinnedBackend(pins=options.pins, inner=options.network_backend or default_backend())
    transport = PinnedTransport(context, backend, proxy.url)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        "Authorization": f"Bearer {key.reveal()}",
    }
    async with httpx2.AsyncClient(
        transport=transport, follow_redirects=False, trust_env=False
    ) as client:
        request = client.build_request(
            "POST",
            target.base_url + "/tokens",
            params={"expire_in_seconds": ttl},
            headers=headers,
            timeout=options.timeout,
        )
        try:
            answer = await asyncio.wait_for(send(client, request, _MAX_ANSWER), options.timeout)
        except asyncio.TimeoutError:
            raise _network(target, "timeout", {"seconds": options.timeout}) from None
        except httpx2.HTTPError as exc:
            phase = "http" if backend.last_destination else "tcp"
            code, params = classify_exception(exc, phase)
            if proxy.url:
                code, params = through_proxy(code, params, phase, proxy.redacted)
            raise _network(target, code, params) from None
    return _judge(target, key, answer.status, answer.content_type, answer.body, answer)


def _network(target: Target, code: str, params: dict[str, object]) -> TempKeyError:
    """A transport failure in the doctor's words (its finding's message and remedy)."""
    finding = Finding(code, target.surface, target.region, target.host, (), dict(params))
    return TempKeyError(
        "key_temp.network_failed",
        host=target.host,
        why=finding.message,
        remedy=finding.remedy,
    )


def _judge(
    target: Target, key: ApiKey, status: int, content_type: str, body: bytes, answer: object
) -> TempKey:
    request_id = getattr(answer, "request_id", None)
    ok, doc = parse_json(content_type, body)
    doc = doc if ok and isinstance(doc, dict) else {}
    request_id = request_id or _text(doc.get("request_id"), key)
    shown_id = request_id or "-"
    if 300 <= status < 400:
        raise TempKeyError("key_temp.redirected", host=target.host, status=status)
    if status != 200:
        service_code = _text(doc.get("code"), key) or "-"
        reason = "key_temp.refused" if status in (401, 403) else "key_temp.service_error"
        raise TempKeyError(
            reason, host=target.host, status=status, code=service_code, request_id=shown_id
        )
    token = doc.get("token")
    if getattr(answer, "oversized", False) or not isinstance(token, str):
        raise TempKeyError("key_temp.bad_answer", host=target.host, request_id=shown_id)
    if (
        not _TOKEN.fullmatch(token)
        or not token.startswith(TEMP_KEY_PREFIX)
        or token == key.reveal()
    ):
        raise TempKeyError("key_temp.bad_token", host=target.host, request_id=shown_id)
    return TempKey(ApiKey(token), doc.get("expires_at"), request_id, target.host)


def _text(value: object, key: ApiKey) -> str | None:
    """A short value the server chose, made inert, with the parent key redacted."""
    if not isinstance(value, str) or not value.strip():
        return None
    return redact(value.strip(), key.reveal(), _CODE_MAX)
