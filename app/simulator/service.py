"""What the simulated Model Studio answers to one request: routing, keys, models, limits.

Kept apart from the socket handling in app/simulator/server.py so the rules that mirror the real
service (MODEL_STUDIO.md sections 2-7) read in one place: which host belongs to which region,
workspace or plan, which key is accepted where (in which order the checks run, because a
status only proves the key was accepted when it comes after the key check), which model a
key may call, and which of an account's settings turns an answer into one of the rarer errors.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from app.core.catalog import Catalog
from app.core.endpoints import HostInfo, classify_host
from app.simulator import errors as simerr
from app.simulator import model_lists, plans, responses_api
from app.simulator import responses as resp
from app.simulator.accounts import (
    Account,
    account_deployments,
    account_models,
    anthropic_models,
    region_models,
)
from app.simulator.fault_replies import fault_reply
from app.simulator.faults import Fault
from app.simulator.limits import RpmWindow
from app.simulator.replies import Reply, RequestRecord, Route, error_reply, json_reply, sse_reply
from app.simulator.tokens import TokenIssuer, expiry_seconds

__all__ = ["ENDPOINTS", "Reply", "RequestRecord", "Route", "Service"]

# (surface, path below the surface prefix) -> the one method it accepts.
ENDPOINTS = {
    ("openai", "/models"): "GET",
    ("openai", "/chat/completions"): "POST",
    ("openai", "/responses"): "POST",  # the Responses API (Codex), app/simulator/responses_api.py
    ("anthropic", "/v1/messages"): "POST",
    ("dashscope", "/models"): "GET",
    ("dashscope", "/services/aigc/text-generation/generation"): "POST",
    ("dashscope", "/tokens"): "POST",
}
_JSON = ("content-type", "application/json")


class Service:
    """The simulated service's decisions for a fixed set of accounts."""

    def __init__(
        self,
        accounts: list[Account],
        catalog: Catalog,
        wrong_workspace_status: int = 401,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.wrong_workspace_status = wrong_workspace_status
        self.by_key = {a.key: a for a in accounts}
        self.tokens = TokenIssuer(clock)
        self.trial_rpm = RpmWindow(clock)
        self._known_workspaces = {
            (a.region, a.workspace_id) for a in accounts if a.workspace_id is not None
        }

    def account_for(self, key: str | None) -> Account | None:
        """The account a key stands for: its own, or a live temporary key's parent."""
        if not key:
            return None
        account = self.by_key.get(key)
        if account is None and key.startswith("st-"):
            account = self.tokens.resolve(key)
        return account

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

    def route(self, host: str, path: str) -> Route:
        plan = plans.plan_host(host)
        if plan is not None:
            surface, sub = plans.route(plan, path)
            return Route(surface, sub)
        paths = self.catalog.paths
        for surface in ("openai", "anthropic", "dashscope"):
            prefix = paths[surface]
            if path == prefix or path.startswith(prefix + "/"):
                return Route(surface, path[len(prefix) :])
        if path.startswith("/compatible-mode"):
            return Route("openai", "")
        if path.startswith("/api/"):
            return Route("dashscope", "")
        return Route(None, path)

    def error(
        self, record: RequestRecord, err: simerr.SimError, status: int | None = None
    ) -> Reply:
        return error_reply(record, err, status)

    def json_reply(self, payload: dict[str, Any], status: int = 200) -> Reply:
        return json_reply(payload, status)

    def fault_reply(self, fault: Fault, route: Route, record: RequestRecord) -> Reply:
        return fault_reply(fault, route, record)

    def authenticate(
        self,
        host_info: HostInfo | None,
        plan: plans.PlanHost | None,
        key: str | None,
        account: Account | None,
        route: Route,
    ) -> simerr.SimError | None:
        """Whether this key may use this host, checked in order: no key, unknown key, plan
        vs pay-as-you-go, region, then workspace (404 when no account has that workspace).
        Every 401 of the simulator comes from here (and IllegalEndpoint, before it), so any
        later error means the key was accepted: the distinction the doctor's findings rest
        on. The exceptions are the ones the real service has: a plan key may get 403 here
        (plan_status_on_payg, and always on POST /tokens)."""
        if plan is not None:
            return plans.refusal(plan, account, missing=key is None)
        if key is None:
            return simerr.invalid_key(missing=True)
        if account is None:
            return simerr.invalid_key(missing=False)
        assert host_info is not None
        if account.plan != "payg":
            if route.sub.rstrip("/") == "/tokens" and route.surface == "dashscope":
                return simerr.token_refused()
            if account.plan_status_on_payg == 403:
                return simerr.plan_key_denied()
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

    def limited(self, host_info: HostInfo | None, account: Account) -> simerr.SimError | None:
        """After the key check: the trial host's RPM, then an account's burst or denial."""
        trial = host_info is not None and host_info.style == "trial"
        if trial and not self.trial_rpm.allow(account.name, account.trial_rpm):
            return simerr.rate_limited(60)
        if account.burst:
            return simerr.burst()
        if account.denied is not None:
            return simerr.denied(account.denied)
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
        plan = plans.plan_host(host)
        if plans.illegal_token_plan_host(host):
            return self.error(record, simerr.illegal_endpoint())
        host_info = None if plan is not None else classify_host(host, self.catalog)
        if host_info is None and plan is None:
            return self.error(
                record, simerr.SimError(404, "UnknownHost", "UnknownHost", f"Unknown host {host}.")
            )
        if route.surface is None:
            return self.error(record, simerr.not_found(record.path))
        sub = route.sub.rstrip("/") or "/"
        expected = ENDPOINTS.get((route.surface, sub))
        if expected is None:
            return self.error(record, simerr.not_found(record.path))
        if method != expected:
            reply = self.error(record, simerr.method_not_allowed(method))
            reply.headers.append(("allow", expected))
            return reply
        denied = self.authenticate(host_info, plan, key, account, route) or (
            self.limited(host_info, account) if account is not None else None
        )
        if denied is not None:
            return self.error(record, denied)
        assert account is not None
        if method == "GET":
            return self.model_list(route.surface, query, account, record)
        if sub == "/tokens":
            return self.issue_token(query, key, account, record)
        if route.surface == "openai" and sub == "/responses":
            return self.generate_response(body, account, record)
        return self.generate(route.surface, headers, body, account, record)

    def model_list(
        self, surface: str, query: str, account: Account, record: RequestRecord
    ) -> Reply:
        """GET …/models for an accepted key, or the bad answer its account asks for."""
        mode = account.model_list
        if mode == "denied":
            return self.error(record, simerr.list_denied())
        if mode == "huge":
            return Reply(200, [_JSON], stream=model_lists.huge_list(surface))
        if mode == "malformed":
            return Reply(200, [_JSON], model_lists.malformed_list(surface))
        if mode == "nested":
            return Reply(200, [_JSON], model_lists.nested_list())
        deployed = account_deployments(account, self.catalog)
        if surface == "openai":
            return self.json_reply(model_lists.openai_models(deployed))
        return self.json_reply(model_lists.native_models(deployed, query, record.request_id))

    def issue_token(
        self, query: str, key: str | None, account: Account, record: RequestRecord
    ) -> Reply:
        """POST /api/v1/tokens: a temporary `st-` key for an accepted pay-as-you-go key."""
        if key is not None and key.startswith("st-"):
            return self.error(record, simerr.token_refused())
        seconds = expiry_seconds(query)
        if isinstance(seconds, simerr.SimError):
            return self.error(record, seconds)
        issued = self.tokens.issue(account, seconds)
        payload = {"token": issued.token, "expires_at": issued.expires_at}
        return self.json_reply({**payload, "request_id": record.request_id})

    def generate(
        self,
        surface: str,
        headers: dict[str, str],
        body: bytes,
        account: Account,
        record: RequestRecord,
    ) -> Reply:
        """An inference call of an accepted key: body checks, arrears, the model, the reply."""
        checked = self._checked_call(body, account, record, lambda p: resp.body_problem(surface, p))
        if isinstance(checked, Reply):
            return checked
        payload, model = checked
        denied = self.check_model(surface, model, account)
        if denied is not None:
            return self.error(record, denied)
        record.token_limits = _token_limits(surface, payload)
        refused = refused_token_limit(surface, model, payload, account)
        if refused is not None:
            return self.error(record, refused)
        stream = payload.get("stream") is True
        if surface == "openai":
            if stream:
                return sse_reply(resp.openai_chat_stream(model, payload))
            return self.json_reply(resp.openai_chat(model, payload))
        if surface == "anthropic":
            if stream:
                return sse_reply(resp.anthropic_stream(model, payload))
            return self.json_reply(resp.anthropic_message(model, payload))
        if headers.get("x-dashscope-sse", "").lower() == "enable":
            record.stream = True  # DashScope native asks for a stream by header, not body
            return sse_reply(resp.native_generation_stream(payload, record.request_id))
        return self.json_reply(resp.native_generation(payload, record.request_id))

    def generate_response(self, body: bytes, account: Account, record: RequestRecord) -> Reply:
        """POST …/responses: the checks of `generate` in the same order, then the model must
        be one the Responses surface serves (404 model_not_found otherwise, as for a model
        that does not exist: a Codex export with an older model fails exactly there)."""
        checked = self._checked_call(body, account, record, responses_api.body_problem)
        if isinstance(checked, Reply):
            return checked
        payload, model = checked
        denied = self.check_model("openai", model, account)
        if denied is None and not responses_api.served(model):
            denied = simerr.model_not_found(model)
        if denied is not None:
            return self.error(record, denied)
        record.token_limits = tuple(n for n in payload if n == "max_output_tokens")
        if payload.get("stream") is True:
            return sse_reply(responses_api.response_stream(model, payload))
        return self.json_reply(responses_api.response_object(model, payload))

    def _checked_call(
        self,
        body: bytes,
        account: Account,
        record: RequestRecord,
        body_problem: Callable[[dict[str, Any]], str | None],
    ) -> tuple[dict[str, Any], str] | Reply:
        """The checks every inference call passes first, in the service's order: a JSON
        object, a model, the surface's own body rules, arrears. (payload, model), or the
        error reply."""
        payload = _json_object(body)
        if isinstance(payload, simerr.SimError):
            return self.error(record, payload)
        model = _model_of(payload, record)
        if model is None:
            return self.error(record, simerr.bad_request("Field required: model."))
        problem = body_problem(payload)
        if problem is not None:
            return self.error(record, simerr.bad_request(problem))
        if account.arrears:
            arrears = simerr.arrears_denied() if account.arrears_status == 403 else None
            return self.error(record, arrears or simerr.arrearage())
        return payload, model

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
            if account.unknown_model == "ModelNotFound":
                return simerr.model_not_found_404(model)
            return simerr.native_model_not_found()
        return simerr.model_not_found(model)


# Models of the 2026 families (qwen3.6 and later, MODEL_STUDIO.md section 7) that, on an
# account with `current_token_limit_only`, know the compatible surface's token limit only by
# its current name: `max_tokens` is deprecated there since 2026-04-20 (official notice 724).
# A later page says newer models read it as max_completion_tokens, and Alibaba's own Qwen
# Code sends it, so by default it is accepted: a client must survive either answer.
_CURRENT_NAME_ONLY = re.compile(r"qwen3\.([6-9]|[1-9][0-9])")


def refused_token_limit(
    surface: str, model: str, payload: dict[str, Any], account: Account
) -> simerr.SimError | None:
    """The 400 a token-limit name gets where it is not known, else None."""
    if (
        account.current_token_limit_only
        and surface == "openai"
        and "max_tokens" in payload
        and _CURRENT_NAME_ONLY.match(model)
    ):
        return simerr.unsupported_parameter("max_tokens", "max_completion_tokens")
    if not account.legacy_token_limit or surface == "anthropic":
        return None
    fields = payload if surface == "openai" else payload.get("parameters") or {}
    if isinstance(fields, dict) and "max_completion_tokens" in fields:
        return simerr.unsupported_parameter("max_completion_tokens", "max_tokens")
    return None


def _json_object(body: bytes) -> dict[str, Any] | simerr.SimError:
    """The request body as a JSON object, or the 400 the service answers instead."""
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return simerr.bad_request("The request body is not valid JSON.")
    if not isinstance(payload, dict):
        return simerr.bad_request("The request body must be a JSON object.")
    return payload


def _model_of(payload: dict[str, Any], record: RequestRecord) -> str | None:
    """The body's model (None when missing), noted on the record with the stream flag and
    the body's top-level field names, so a test can say what a real client sent."""
    model = payload.get("model")
    record.body_fields = tuple(sorted(payload))
    record.stream = payload.get("stream") is True
    if not isinstance(model, str) or not model:
        return None
    record.model = model
    return model


def _token_limits(surface: str, payload: dict[str, Any]) -> tuple[str, ...]:
    fields = payload.get("parameters") if surface == "dashscope" else payload
    if not isinstance(fields, dict):
        return ()
    return tuple(n for n in fields if n in ("max_tokens", "max_completion_tokens"))
