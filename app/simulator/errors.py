"""The errors the simulator answers with: one `SimError` carries the status and both codes of
a row of MODEL_STUDIO.md section 4's table, and is rendered in the envelope of whichever
surface the request hit (OpenAI-compatible, Anthropic-compatible, DashScope native).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Anthropic's error `type` by HTTP status (what the anthropic SDK and Claude Code expect).
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


@dataclass
class SimError(Exception):
    """One row of MODEL_STUDIO.md's error table, renderable in every surface's envelope."""

    status: int
    openai_code: str
    native_code: str
    message: str
    openai_type: str | None = None
    native_status: int | None = None  # when the native surface answers with another status
    headers: list[tuple[str, str]] = field(default_factory=list)
    param: str | None = None  # the request field an OpenAI-mode 400 names

    def status_for(self, surface: str) -> int:
        if surface == "dashscope" and self.native_status is not None:
            return self.native_status
        return self.status

    def body_for(self, surface: str, request_id: str) -> dict[str, Any]:
        if surface == "dashscope":
            return {"code": self.native_code, "message": self.message, "request_id": request_id}
        if surface == "anthropic":
            status = self.status_for(surface)
            return {
                "type": "error",
                "error": {
                    "type": _ANTHROPIC_TYPES.get(status, "api_error"),
                    "message": self.message,
                    # Not part of Anthropic's envelope: Model Studio's own code, so a client can
                    # tell arrears from a missing grant without parsing the message.
                    "code": self.openai_code,
                },
                "request_id": request_id,
            }
        return {
            "error": {
                "message": self.message,
                "type": self.openai_type or self.openai_code,
                "param": self.param,
                "code": self.openai_code,
            },
            "request_id": request_id,
        }


def invalid_key(*, missing: bool) -> SimError:
    message = "No API-key provided." if missing else "Invalid API-key provided."
    return SimError(401, "invalid_api_key", "InvalidApiKey", message, "invalid_request_error")


def invalid_access_token() -> SimError:
    """Coding Plan's 401 for a key that is not a Coding Plan key of that host (observed)."""
    return SimError(
        401,
        "invalid_api_key",
        "InvalidApiKey",
        "invalid access token or token expired",
        "invalid_request_error",
    )


def illegal_endpoint() -> SimError:
    """A Token Plan host of a region without a Token Plan (observed: 401 IllegalEndpoint)."""
    return SimError(
        401, "IllegalEndpoint", "IllegalEndpoint", "The request endpoint is not valid.", None
    )


def plan_key_denied() -> SimError:
    """A plan key on a pay-as-you-go host, where the account answers 403 instead of 401."""
    return SimError(
        403,
        "access_denied",
        "AccessDenied",
        "This API key belongs to a subscription plan and cannot be used on this endpoint.",
    )


def model_not_found(model: str) -> SimError:
    return SimError(
        404,
        "model_not_found",
        "InvalidParameter",
        f"The model `{model}` does not exist or you do not have access to it."
        if model
        else "Model not exist.",
        "invalid_request_error",
        native_status=400,
    )


def native_model_not_found() -> SimError:
    return SimError(
        404, "model_not_found", "InvalidParameter", "Model not exist.", native_status=400
    )


def model_not_found_404(model: str) -> SimError:
    """The newer native answer to an unknown model (404 ModelNotFound, official page)."""
    return SimError(
        404,
        "model_not_found",
        "ModelNotFound",
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
    )


def model_access_denied(model: str) -> SimError:
    return SimError(403, "access_denied", "AccessDenied", f"Access denied to model {model}.")


def workspace_access_denied() -> SimError:
    return SimError(
        403, "access_denied", "Workspace.AccessDenied", "Access to this workspace is denied."
    )


def workspace_not_found(workspace_id: str) -> SimError:
    return SimError(
        404, "WorkSpaceNotFound", "WorkSpaceNotFound", f"Workspace {workspace_id} not found."
    )


def arrearage() -> SimError:
    return SimError(
        400,
        "Arrearage",
        "Arrearage",
        "Access denied, please make sure your account is in good standing.",
    )


def arrears_denied() -> SimError:
    """Arrears as the newer official page describes it: 403 AccessDenied, arrears message."""
    return SimError(
        403,
        "access_denied",
        "AccessDenied",
        "Access denied: your account has an overdue payment. Please top up and retry.",
    )


def denied(code: str) -> SimError:
    """403 Endpoint.AccessDenied / App.AccessDenied (or any other denial code)."""
    what = {"Endpoint.AccessDenied": "this endpoint", "App.AccessDenied": "this application"}
    message = f"Access to {what.get(code, 'this resource')} is denied."
    return SimError(403, "access_denied", code, message)


def list_denied() -> SimError:
    return SimError(403, "access_denied", "AccessDenied", "You are not authorized to list models.")


def burst(retry_after: int = 1) -> SimError:
    """The 429 for a sudden rise in request rate (not the steady RPM limit)."""
    return SimError(
        429,
        "limit_requests",
        "Throttling.RateQuota",
        "Request rate increased too quickly. Please reduce the rate and try again later.",
        headers=[("retry-after", str(retry_after))],
    )


def token_refused() -> SimError:
    """POST /api/v1/tokens with a plan key or a temporary key: only a pay-as-you-go key may
    issue temporary keys."""
    return SimError(
        403,
        "access_denied",
        "AccessDenied",
        "Temporary API keys can only be issued with a pay-as-you-go API key.",
    )


def rate_limited(retry_after: int) -> SimError:
    return SimError(
        429,
        "limit_requests",
        "Throttling.RateQuota",
        "Requests rate limit exceeded, please try again later.",
        headers=[("retry-after", str(retry_after))],
    )


def quota_exceeded(retry_after: int) -> SimError:
    return SimError(
        429,
        "insufficient_quota",
        "Throttling.AllocationQuota",
        "Allocated quota exceeded, please increase your quota limit.",
        headers=[("retry-after", str(retry_after))],
    )


def internal_error() -> SimError:
    return SimError(
        500, "internal_error", "InternalError", "An internal error has occurred, please retry."
    )


def model_unavailable() -> SimError:
    return SimError(
        503,
        "internal_error",
        "ModelUnavailable",
        "The model is temporarily unavailable, please retry later.",
    )


def bad_request(message: str) -> SimError:
    return SimError(400, "invalid_request_error", "InvalidParameter", message)


def unsupported_parameter(name: str, instead: str) -> SimError:
    """A 400 that names the refused request field (OpenAI's `param`; the native envelope
    only quotes it in the message). The wording is the simulator's, on the pattern OpenAI
    uses for the same refusal; clients must match on `param` / the quoted name, not on it."""
    message = f"Unsupported parameter: '{name}' is not supported with this model. Use '{instead}'."
    return SimError(400, "invalid_parameter_error", "InvalidParameter", message, param=name)


def not_found(path: str) -> SimError:
    return SimError(404, "not_found", "NotFound", f"Not found: {path}", "invalid_request_error")


def method_not_allowed(method: str) -> SimError:
    return SimError(405, "method_not_allowed", "MethodNotAllowed", f"Method {method} not allowed.")


def too_large(limit: int) -> SimError:
    return SimError(
        413, "request_too_large", "RequestTooLarge", f"Request body larger than {limit} bytes."
    )


def request_timeout() -> SimError:
    return SimError(408, "request_timeout", "RequestTimeout", "The request was not sent in time.")


def custom(status: int, code: str | None, message: str | None) -> SimError:
    code = code or f"Status{status}"
    return SimError(status, code, code, message or f"Simulated status {status}.")
