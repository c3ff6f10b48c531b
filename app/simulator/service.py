"""What the simulated Model Studio answers to one request: routing, keys, models, faults.

Kept apart from the socket handling in app/simulator/server.py so the rules that mirror the real
service (MODEL_STUDIO.md sections 2-7) read in one place: which host belongs to which region
and workspace, which key is accepted where, which model a key may call, and in which
surface's envelope an error is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from app.core.catalog import Catalog
from app.core.endpoints import HostInfo, classify_host
from app.simulator import errors as simerr
from app.simulator import responses as resp
from app.simulator.accounts import Account, account_models, anthropic_models, region_models
from app.simulator.faults import Fault

_PLAN_HOST_REGIONS = {
    "coding.dashscope.aliyuncs.com": "cn-beijing",
    "coding-intl.dashscope.aliyuncs.com": "ap-southeast-1",
}

# (surface, path below the surface prefix) -> the one method it accepts.
ENDPOINTS = {
    ("openai", "/models"): "GET",
    ("openai", "/chat/completions"): "POST",
    ("anthropic", "/v1/messages"): "POST",
    ("dashscope", "/models"): "GET",
    ("dashscope", "/services/aigc/text-generation/generation"): "POST",
}


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
    # The names the body gave its token limit (max_tokens / max_completion_tokens), in order.
    token_limits: tuple[str, ...] = ()


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


class Service:
    """The simulated service's decisions for a fixed set of accounts."""

    def __init__(
        self, accounts: list[Account], catalog: Catalog, wrong_workspace_status: int = 401
    ) -> None:
        self.catalog = catalog
        self.wrong_workspace_status = wrong_workspace_status
        self.by_key = {a.key: a for a in accounts}
        self._known_workspaces = {
            (a.region, a.workspace_id) for a in accounts if a.workspace_id is not None
        }

    def credentials(self, headers: dict[str, str], path: str) -> tuple[str | None, str | None]:
        """The key and how it was sent; x-api-key counts only on the Anthropic surface."""
        auth = headers.get("authorization", "").strip()
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
            if token:
                return token, "bearer"
        if path.startswith("/apps/anthropic"):
            token = headers.get("x-api-key", "").strip()
            if token:
                return token, "x-api-key"
        return None, None

    def plan_region(self, host: str) -> str | None:
        if host in _PLAN_HOST_REGIONS:
            return _PLAN_HOST_REGIONS[host]
        if host.startswith("token-plan.") and host.endswith(".maas.aliyuncs.com"):
            region = host.removeprefix("token-plan.").removesuffix(".maas.aliyuncs.com")
            return region if region in self.catalog.regions else None
        return None

    def route(self, host: str, path: str) -> Route:
        paths = self.catalog.paths
        for surface in ("openai", "anthropic", "dashscope"):
            prefix = paths[surface]
            if path == prefix or path.startswith(prefix + "/"):
                return Route(surface, path[len(prefix) :])
        if self.plan_region(host) and (path == "/v1" or path.startswith("/v1/")):
            return Route("openai", path[len("/v1") :])
        if path.startswith("/compatible-mode"):
            return Route("openai", "")
        if path.startswith("/api/"):
            return Route("dashscope", "")
        return Route(None, path)

    def error(
        self, record: RequestRecord, err: simerr.SimError, status: int | None = None
    ) -> Reply:
        surface = record.surface or "dashscope"
        code = status or err.status_for(surface)
        return Reply(
            code,
            [("content-type", "application/json"), *err.headers],
            resp.dumps(err.body_for(surface, record.request_id)),
        )

    def json_reply(self, payload: dict[str, Any], status: int = 200) -> Reply:
        return Reply(status, [("content-type", "application/json")], resp.dumps(payload))

    def sse_reply(self, chunks: Iterable[bytes]) -> Reply:
        return Reply(
            200,
            [("content-type", "text/event-stream;charset=UTF-8"), ("cache-control", "no-cache")],
            stream=chunks,
        )

    def authenticate(
        self,
        host_info: HostInfo | None,
        plan_region: str | None,
        key: str | None,
        account: Account | None,
    ) -> simerr.SimError | None:
        """Whether this key may use this host, checked in order: no key, unknown key, plan
        vs pay-as-you-go, region, then workspace (404 when no account has that workspace).
        Every 401 of the simulator comes from here, so any later error means the key was
        accepted, which is the distinction the doctor's findings rest on."""
        if key is None:
            return simerr.invalid_key(missing=True)
        if account is None:
            return simerr.invalid_key(missing=False)
        if plan_region is not None:
            return None if account.plan == "coding-plan" else simerr.invalid_key(missing=False)
        assert host_info is not None
        if account.plan != "payg":
            return simerr.invalid_key(missing=False)
        if account.region != host_info.region:
            return simerr.invalid_key(missing=False)
        if host_info.style == "workspace" and account.workspace_id != host_info.workspace_id:
            if (host_info.region, host_info.workspace_id) not in self._known_workspaces:
                return simerr.workspace_not_found(host_info.workspace_id or "")
            if self.wrong_workspace_status == 403:
                return simerr.workspace_access_denied()
            return simerr.invalid_key(missing=False)
        return None

    def handle(
        self,
        host: str,
        method: str,
        route: Route,
        query: str,
        headers: dict[str, str],
        body: bytes,
        key: str | None,
        account: Account | None,
        record: RequestRecord,
    ) -> Reply:
        """The normal answer to a request that no response fault replaced."""
        host_info = classify_host(host, self.catalog)
        plan_region = self.plan_region(host)
        if host_info is None and plan_region is None:
            return self.error(
                record, simerr.SimError(404, "UnknownHost", "UnknownHost", f"Unknown host {host}.")
            )
        if route.surface is None:
            return self.error(record, simerr.not_found(record.path))
        expected = ENDPOINTS.get((route.surface, route.sub.rstrip("/") or "/"))
        if expected is None:
            return self.error(record, simerr.not_found(record.path))
        if method != expected:
            reply = self.error(record, simerr.method_not_allowed(method))
            reply.headers.append(("allow", expected))
            return reply
        denied = self.authenticate(host_info, plan_region, key, account)
        if denied is not None:
            return self.error(record, denied)
        assert account is not None
        if method == "GET":
            models = account_models(account, self.catalog)
            if route.surface == "openai":
                return self.json_reply(resp.openai_models(models))
            params = dict(parse_qsl(query))
            return self.json_reply(resp.native_models(models, params, record.request_id))
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            return self.error(record, simerr.bad_request("The request body is not valid JSON."))
        if not isinstance(payload, dict):
            return self.error(record, simerr.bad_request("The request body must be a JSON object."))
        model = payload.get("model")
        if not isinstance(model, str) or not model:
            return self.error(record, simerr.bad_request("Field required: model."))
        problem = resp.body_problem(route.surface, payload)
        if problem is not None:
            return self.error(record, simerr.bad_request(problem))
        if account.arrears:
            return self.error(record, simerr.arrearage())
        denied = self.check_model(route.surface, model, account)
        if denied is not None:
            return self.error(record, denied)
        record.token_limits = _token_limits(route.surface, payload)
        refused = refused_token_limit(route.surface, model, payload, account)
        if refused is not None:
            return self.error(record, refused)
        stream = payload.get("stream") is True
        if route.surface == "openai":
            if stream:
                return self.sse_reply(resp.openai_chat_stream(model, payload))
            return self.json_reply(resp.openai_chat(model, payload))
        if route.surface == "anthropic":
            if stream:
                return self.sse_reply(resp.anthropic_stream(model, payload))
            return self.json_reply(resp.anthropic_message(model, payload))
        if headers.get("x-dashscope-sse", "").lower() == "enable":
            return self.sse_reply(resp.native_generation_stream(payload, record.request_id))
        return self.json_reply(resp.native_generation(payload, record.request_id))

    def check_model(self, surface: str, model: str, account: Account) -> simerr.SimError | None:
        """Unknown model vs not granted: a sub-workspace key that lacks a grant must read
        differently (403) from a typo (404 / native 400), because the remedies differ."""
        granted = account_models(account, self.catalog)
        if surface == "anthropic":
            if model in anthropic_models(account, self.catalog):
                return None
            if model in granted:
                # Exists, but the Anthropic surface does not serve it.
                return simerr.model_not_found(model)
        if model in granted:
            return None
        if account.models is not None and model in region_models(account.region, self.catalog):
            return simerr.model_access_denied(model)
        if surface == "dashscope":
            return simerr.native_model_not_found()
        return simerr.model_not_found(model)

    def fault_reply(self, fault: Fault, route: Route, record: RequestRecord) -> Reply:
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
        errors: dict[str, Callable[[], simerr.SimError]] = {
            "rate_limit": lambda: simerr.rate_limited(fault.retry_after),
            "quota": lambda: simerr.quota_exceeded(fault.retry_after),
            "server_error": simerr.internal_error,
            "unavailable": simerr.model_unavailable,
            "status": lambda: simerr.custom(fault.status or 500, fault.code, fault.message),
        }
        return self.error(record, errors[kind]())


# Models of the 2026 families (qwen3.6 and later, MODEL_STUDIO.md section 7) that know the
# compatible surface's token limit only by its current name: `max_tokens` is deprecated there
# since 2026-04-20 and phased out by 2026-05-30 (official notice 724). Which models refuse
# the old name is the simulator's assumption (a later page says newer models read it as
# max_completion_tokens): what matters is that a client survives either answer.
_CURRENT_NAME_ONLY = re.compile(r"qwen3\.([6-9]|[1-9][0-9])")


def refused_token_limit(
    surface: str, model: str, payload: dict[str, Any], account: Account
) -> simerr.SimError | None:
    """The 400 a token-limit name gets where it is not known, else None."""
    if surface == "openai" and "max_tokens" in payload and _CURRENT_NAME_ONLY.match(model):
        return simerr.unsupported_parameter("max_tokens", "max_completion_tokens")
    if not account.legacy_token_limit or surface == "anthropic":
        return None
    fields = payload if surface == "openai" else payload.get("parameters") or {}
    if isinstance(fields, dict) and "max_completion_tokens" in fields:
        return simerr.unsupported_parameter("max_completion_tokens", "max_tokens")
    return None


def _token_limits(surface: str, payload: dict[str, Any]) -> tuple[str, ...]:
    fields = payload.get("parameters") if surface == "dashscope" else payload
    if not isinstance(fields, dict):
        return ()
    return tuple(n for n in fields if n in ("max_tokens", "max_completion_tokens"))
