"""HTTP answers -> finding codes, and a run's findings -> one per cause.

Judgement uses the HTTP status and the API's error code. The message text (it changes and
often ends with a docs link, MODEL_STUDIO.md section 4) is only a tie-breaker where the
service gives two causes one status and code (the `_WORDS` below say which).
What an answer says about the key is one rule, `key_proven` (MODEL_STUDIO.md section 4):
a 401 refuses it; a 2xx, and a 400/404 naming the request's model or content, prove it;
a 429 (a rate limiter may answer before the key is checked), a 403 (a plan/key mismatch
answers 403 too), a 5xx and a missing workspace prove nothing. Only the messages of
proving answers say "key accepted, but ...".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.core.json_limits import json_too_deep, parse_json
from app.core.text import inert
from app.findings.codes import (
    API_CODE_MAX,
    CERT_NAME_MAX,
    MESSAGE_MAX,
    REQUEST_ID_MAX,
    SHORT_MAX,
    Finding,
)

# API error codes (OpenAI-compatible, native and Anthropic-compatible envelopes) -> finding.
_RATE_CODES = {"limit_requests", "Throttling.RateQuota", "Throttling", "rate_limit_error"}
_QUOTA_CODES = {"insufficient_quota", "Throttling.AllocationQuota"}
_DENIED_CODES = {
    "access_denied",
    "AccessDenied",
    "Model.AccessDenied",
    "AccessDenied.Unpurchased",
    "permission_error",
}
WORKSPACE_DENIED_CODES = {"Workspace.AccessDenied"}
_MODEL_CODES = {"model_not_found", "ModelNotFound", "not_found_error"}
# 403s of their own (MODEL_STUDIO.md section 4): the endpoint, or the app, refuses the caller.
_OWN_DENIALS = {
    "Endpoint.AccessDenied": "endpoint_access_denied",
    "App.AccessDenied": "app_access_denied",
}
# Codes a 401 can carry that are more than "bad key" (observed, MODEL_STUDIO.md section 2).
_ILLEGAL_ENDPOINT = "IllegalEndpoint"
# Every finding of a 401 that refused the key on this host (the ownership probe asks others).
KEY_REFUSED_CODES = frozenset({"key_rejected", "illegal_endpoint", "plan_token_invalid"})

# Message fragments, lower-cased. Judgement is by status + code; these are only tie-breakers
# where the service gives two causes one code: the new official page answers arrears with the
# generic 403 AccessDenied, the Coding Plan host answers a bad or expired key with an observed
# 401 whose code says nothing, the burst limit shares Throttling.RateQuota with the steady
# one, and the older native page answers an unknown model with 400 InvalidParameter.
_ARREARS_WORDS = ("good standing", "arrear", "overdue", "欠费")
_PLAN_TOKEN_WORDS = ("invalid access token", "token expired")
_BURST_WORDS = ("increased too quickly",)
_NO_MODEL_WORDS = ("model not exist", "model does not exist")


@dataclass(frozen=True)
class Judgement:
    """What one HTTP answer means: the finding code (None = fine) and whether the key was
    accepted (True), refused (False) or not judged (None)."""

    code: str | None
    key_accepted: bool | None
    api_code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def api_error_code(body: object) -> str | None:
    """The error code of any of the three envelopes (OpenAI, native flat, Anthropic)."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, dict):
        for name in ("code", "type"):
            value = err.get(name)
            if isinstance(value, str) and value:
                return inert(value, API_CODE_MAX)
    code = body.get("code")
    if isinstance(code, str) and code:
        return inert(code, API_CODE_MAX)
    return None


def api_error_message(body: object) -> str:
    """The error message of any of the three envelopes, lower-cased, "" when none: used only
    as a tie-breaker between causes that share a status and a code (see the words above)."""
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    value = err.get("message") if isinstance(err, dict) else body.get("message")
    return value[:MESSAGE_MAX].lower() if isinstance(value, str) else ""


def _says(message: str, words: tuple[str, ...]) -> bool:
    return any(w in message for w in words)


def body_request_id(body: object) -> str | None:
    if isinstance(body, dict):
        for name in ("request_id", "requestId"):
            value = body.get(name)
            if isinstance(value, str) and value:
                return inert(value, REQUEST_ID_MAX)
    return None


def judge_response(
    status: int,
    content_type: str,
    raw: bytes,
    *,
    oversized: bool,
    inference: bool,
    location: str | None = None,
    retry_after: str | None = None,
) -> Judgement:
    """Map one answer to a finding, by status and error code only."""
    if 300 <= status < 400:
        target = _location_host(location)
        return Judgement("redirect_refused", None, params={"status": status, "location": target})
    if oversized:
        return Judgement("unexpected_response", None, params={"reason": "oversized"})
    is_json, body = parse_json(content_type, raw)
    code = api_error_code(body) if is_json else None
    if "html" in content_type.lower():
        reason = "html"
    else:
        reason = "too_deep" if json_too_deep(raw) else "not_json"
    if 200 <= status < 300:
        if not is_json or not isinstance(body, dict | list):
            return Judgement("unexpected_response", None, params={"reason": reason})
        if isinstance(body, dict) and code and not body.get("choices") and not body.get("output"):
            # The native SDK treats a 200 whose body carries a `code` as a failure.
            return _judge_error(400, code, inference, retry_after, api_error_message(body))
        return Judgement(None, key_proven(status, None))
    if reason == "too_deep" or (not is_json and status < 500 and status != 401):
        # A hostile nesting is no Model Studio answer, whatever its status (a 401 or a 5xx
        # of such a body proves nothing either).
        return Judgement("unexpected_response", None, params={"reason": reason, "status": status})
    message = api_error_message(body) if is_json else ""
    return _judge_error(status, code, inference, retry_after, message)


def key_proven(status: int, code: str | None, message: str = "") -> bool | None:
    """What one answer proves about the key: True accepted, False refused, None nothing.

    The one copy of MODEL_STUDIO.md section 4's rule. A 401 refuses the key (it may still
    be right for another region or plan: the ownership probe tells). A 2xx proves it. A
    429 proves nothing (a rate limiter may answer before the key is checked), nor does a
    403 (a plan/key mismatch answers 403 as well; only `Arrearage` names the account), a
    5xx, or a workspace that does not exist. The 403 that names arrears (the generic
    AccessDenied with an arrears message, the one place the message decides) proves it.
    Other 4xx with a Model Studio error code (unknown model, content moderation) were
    judged for an authenticated caller.
    """
    if 200 <= status < 300:
        return True
    if status == 401:
        return False
    if is_arrears(status, code, message):
        return True
    if status == 429 or status == 403 or status >= 500:
        return None
    if code in _RATE_CODES or code in _QUOTA_CODES or code in _DENIED_CODES:
        return None
    if code in WORKSPACE_DENIED_CODES or code == "WorkSpaceNotFound":
        return None
    return True


def is_arrears(status: int, code: str | None, message: str) -> bool:
    """Arrears, either shape (MODEL_STUDIO.md section 4): the older 400 `Arrearage` (any
    status carrying that code), or the new page's 403 with the generic AccessDenied code,
    told from other denials only by its message (a tie-breaker: no other carrier exists)."""
    if code == "Arrearage":
        return True
    generic = code in ("AccessDenied", "access_denied")
    return status == 403 and generic and _says(message, _ARREARS_WORDS)


def _judge_error(
    status: int,
    code: str | None,
    inference: bool,
    retry_after: str | None,
    message: str = "",
) -> Judgement:
    params: dict[str, Any] = {"status": status, "api_code": code or "-"}
    proven = key_proven(status, code, message)
    if status == 401:
        if code == _ILLEGAL_ENDPOINT:
            # Token Plan on a host label of another region (observed): the key may be fine.
            return Judgement("illegal_endpoint", proven, code, params)
        if _says(message, _PLAN_TOKEN_WORDS):
            # Coding Plan's own 401 (observed): a bad, expired or other-plan key there.
            return Judgement("plan_token_invalid", proven, code, params)
        return Judgement("key_rejected", proven, code, params)
    if status >= 500:
        return Judgement("server_error", proven, code, params)
    if is_arrears(status, code, message):
        return Judgement("arrears", proven, code, params)
    if status == 429 or code in _RATE_CODES or code in _QUOTA_CODES:
        params["retry_after"] = inert(retry_after, SHORT_MAX) if retry_after else "-"
        if code in _QUOTA_CODES:
            return Judgement("quota_exceeded", proven, code, params)
        if _says(message, _BURST_WORDS):
            # The burst limiter (the rate rose too fast), not the steady RPM: ramp up slower.
            return Judgement("rate_burst", proven, code, params)
        return Judgement("rate_limited", proven, code, params)
    if code in _OWN_DENIALS:
        return Judgement(_OWN_DENIALS[code], proven, code, params)
    if code == "WorkSpaceNotFound":
        return Judgement("workspace_not_found", proven, code, params)
    if code in WORKSPACE_DENIED_CODES:
        # Undocumented answer for another workspace's key (MODEL_STUDIO.md section 10): point
        # to the workspace, not to model grants.
        return Judgement("workspace_access_denied", proven, code, params)
    if code in _DENIED_CODES or status == 403:
        return Judgement("access_denied", proven, code, params)
    invalid = status in (400, 404) and code == "InvalidParameter"
    if code in _MODEL_CODES or (invalid and (inference or _says(message, _NO_MODEL_WORDS))):
        # The 1-token call varies only the model: a native InvalidParameter means the model
        # (the older page's "Model not exist." says so outright, on any call).
        return Judgement("model_not_found", proven, code, params)
    # A Model Studio error envelope with a code this tool does not know (e.g. content
    # moderation's data_inspection_failed): the key authenticated; name the code.
    return Judgement("request_refused", proven, code, params)


def _location_host(location: str | None) -> str:
    if not location:
        return "-"
    try:
        return inert(urlsplit(location).hostname or "-", CERT_NAME_MAX)
    except ValueError:
        return "-"


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """One finding per (code, host): the three surfaces of a host usually fail together."""
    merged: dict[tuple[str, str | None], Finding] = {}
    surfaces: dict[tuple[str, str | None], list[str]] = {}
    for f in findings:
        k = (f.code, f.host)
        if k not in merged:
            merged[k] = f
            surfaces[k] = [f.surface] if f.surface else []
            continue
        old = merged[k]
        ids = tuple(dict.fromkeys(old.request_ids + f.request_ids))
        merged[k] = Finding(old.code, old.surface, old.region, old.host, ids, old.params)
        if f.surface and f.surface not in surfaces[k]:
            surfaces[k].append(f.surface)
    out = []
    for k, f in merged.items():
        params = dict(f.params)
        params["surfaces"] = tuple(surfaces[k])  # ids; shown as names (E27)
        out.append(Finding(f.code, f.surface, f.region, f.host, f.request_ids, params))
    return out
