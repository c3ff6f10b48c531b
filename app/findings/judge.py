"""Probe outcomes -> findings: a stable code, a severity, one message and one remedy.

Codes are an interface (scripts read `doctor --json`, support reads the report), so they
never change meaning. Judgement uses the HTTP status and the API's error code, never the
message text, which changes and often ends with a docs link (MODEL_STUDIO.md section 4).
What an answer says about the key is one rule, `key_proven` (MODEL_STUDIO.md section 4):
a 401 refuses it; a 2xx, and a 400/404 naming the request's model or content, prove it;
a 429 (a rate limiter may answer before the key is checked), a 403 (a plan/key mismatch
answers 403 too), a 5xx and a missing workspace prove nothing. Only the messages of
proving answers say "key accepted, but ...".
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from app.core.i18n import t
from app.core.json_limits import json_too_deep, parse_json
from app.core.text import inert

ERROR = "error"
WARNING = "warning"
INFO = "info"

# Every code doctor can report, with its severity. Order = order of the docs.
CODES: dict[str, str] = {
    "dns_failed": ERROR,
    "connect_refused": ERROR,
    "connect_timeout": ERROR,
    "connect_failed": ERROR,
    "connection_reset": ERROR,
    "tls_untrusted": ERROR,
    "tls_hostname_mismatch": ERROR,
    "tls_expired": ERROR,
    "tls_failed": ERROR,
    "proxy_unreachable": ERROR,
    "proxy_failed": ERROR,
    "proxy_auth_required": ERROR,
    "proxy_auth_refused": ERROR,
    "proxy_protocol": ERROR,
    "timeout": ERROR,
    "redirect_refused": ERROR,
    "unexpected_response": ERROR,
    "request_refused": ERROR,
    "key_rejected": ERROR,
    "key_other_region": ERROR,
    "key_other_workspace": ERROR,
    "plan_key_mismatch": ERROR,
    "model_not_found": ERROR,
    "access_denied": ERROR,
    "workspace_access_denied": ERROR,
    "workspace_not_found": ERROR,
    "arrears": ERROR,
    "rate_limited": WARNING,
    "quota_exceeded": ERROR,
    "server_error": ERROR,
    "env_key_differs": WARNING,
    "no_key": ERROR,
    "ssl_cert_env_broken": WARNING,
    "anthropic_model_unserved": INFO,
    "pins_not_applied": INFO,
}

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
# Placeholders of the commands remedies print, and their bare forms; doctor (CLI and screen)
# fills them for the user's profile, config and pins (commands.doctor.RemedyCommands).
REMEDY_COMMANDS = {
    "command": "modelstudio-setup doctor",
    "configure_model": "modelstudio-setup configure --model MODEL",
    "configure_region": "modelstudio-setup configure --region REGION --shared-host",
    "env_command": "modelstudio-setup env",
    "key_set_command": "modelstudio-setup key set --api-key-stdin",
}
# Placeholders some messages use; "-" when a finding has no such detail.
_DETAIL_PARAMS = (
    "reason",
    "detail",
    "issuer",
    "names",
    "not_after",
    "proxy",
    "seconds",
    "status",
    "location",
    "regions",
    "unchecked",
    "shared",
    "model",
    "api_code",
    "retry_after",
    "env_key",
    "stored_key",
    "source",
    "variable",
    "path",
    "profile",
    "models",
)
_MODEL_CODES = {"model_not_found", "ModelNotFound", "not_found_error"}

# Length caps for text that comes from the network (B45): enough for any real value, small
# enough that a hostile server cannot flood the terminal or the report.
REQUEST_ID_MAX = 128
API_CODE_MAX = 100
MESSAGE_MAX = 300
CERT_NAME_MAX = 200
SHORT_MAX = 40  # Retry-After and similar single values


# Message placeholders whose values come from the network (B45): escaped in Markdown.
NETWORK_PARAMS = frozenset(
    {
        "issuer",
        "subject",
        "names",
        "not_after",
        "location",
        "api_code",
        "retry_after",
        "detail",
        "reason",
    }
)
_MARKDOWN_SPECIAL = set("\\`*_[]<>|~&!#")


def markdown_inline(text: str) -> str:
    """Text placed in a Markdown paragraph or table cell, shown literally: every character
    that could start a link, an HTML tag, emphasis, a code span or a cell is backslash-
    escaped (CommonMark lets any ASCII punctuation be escaped), and no line break."""
    out = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
    return out.replace("\n", " ").replace("\r", " ")


def inert_or_none(value: object, limit: int) -> str | None:
    """`inert` for optional values: None and "" stay None (nothing was sent)."""
    if value is None or value == "":
        return None
    return inert(value, limit)


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) found by a run; message and remedy render in the UI language."""

    code: str
    surface: str | None = None
    region: str | None = None
    host: str | None = None
    request_ids: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return CODES.get(self.code, ERROR)

    @property
    def request_id(self) -> str | None:
        return self.request_ids[0] if self.request_ids else None

    @property
    def message(self) -> str:
        return t(f"findings.{self.code}.message", **self._render_params())

    @property
    def remedy(self) -> str:
        return t(f"findings.{self.code}.remedy", **self._render_params())

    def markdown_message(self) -> str:
        """The message for the Markdown report: values a server chose (an issuer, an API
        code) cannot open a link, an HTML tag or a code span in the support ticket (B45)."""
        return t(f"findings.{self.code}.message", **self._render_params(markdown=True))

    def markdown_remedy(self) -> str:
        return t(f"findings.{self.code}.remedy", **self._render_params(markdown=True))

    def _render_params(self, *, markdown: bool = False) -> dict[str, Any]:
        base: dict[str, Any] = dict.fromkeys(_DETAIL_PARAMS, "-")
        base.update(
            host=self.host or "-",
            name=self.host or "-",
            surface=self.surface or "-",
            surfaces=self.surface or "-",
            region=self.region or "-",
            **REMEDY_COMMANDS,
        )
        base.update({k: v for k, v in self.params.items() if v is not None})
        _localize_lists(base)
        for tagged in ("detail", "reason"):
            tag = self.params.get(tagged)
            if isinstance(tag, str):
                # A short tag (e.g. `refused`) shown as words of the current language when
                # the code has them; rendered here, not when found, so a language switch
                # applies.
                key = f"findings.{self.code}.{tagged}_{tag}"
                words = t(key)
                if words != key:
                    base[tagged] = words
        # Whatever a caller stored, no control character reaches a terminal (B45).
        for name, value in base.items():
            if isinstance(value, str):
                value = inert(value)
                if markdown and name in NETWORK_PARAMS:
                    value = markdown_inline(value)
                base[name] = value
        return base

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "remedy": self.remedy,
            "surface": self.surface,
            "region": self.region,
            "host": self.host,
            "request_ids": [inert(i, REQUEST_ID_MAX) for i in self.request_ids],
        }


def _localize_lists(params: dict[str, Any]) -> None:
    """Region and surface ids kept as tuples are shown as names of the current language,
    joined its way (E27: no English region names or `a, b` lists inside Chinese text)."""
    from app.config.region_switch import joined, region_label, region_name

    for name, value in list(params.items()):
        if not isinstance(value, tuple | list):
            continue
        if name == "regions":
            params[name] = joined([region_label(r) for r in value])
        elif name == "unchecked":
            params[name] = joined([region_name(r) for r in value])
        elif name == "surfaces":
            params[name] = joined([t(f"doctor.surface_{s}") for s in value])
        else:
            params[name] = joined([str(v) for v in value])


@dataclass(frozen=True)
class Judgement:
    """What one HTTP answer means: the finding code (None = fine) and whether the key was
    accepted (True), refused (False) or not judged (None)."""

    code: str | None
    key_accepted: bool | None
    api_code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def api_error_code(body: Any) -> str | None:
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


def body_request_id(body: Any) -> str | None:
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
            return _judge_error(400, code, inference, retry_after)
        return Judgement(None, key_proven(status, None))
    if reason == "too_deep" or (not is_json and status < 500 and status != 401):
        # A hostile nesting is no Model Studio answer, whatever its status (a 401 or a 5xx
        # of such a body proves nothing either).
        return Judgement("unexpected_response", None, params={"reason": reason, "status": status})
    return _judge_error(status, code, inference, retry_after)


def key_proven(status: int, code: str | None) -> bool | None:
    """What one answer proves about the key: True accepted, False refused, None nothing.

    The one copy of MODEL_STUDIO.md section 4's rule. A 401 refuses the key (it may still
    be right for another region or plan: the ownership probe tells). A 2xx proves it. A
    429 proves nothing (a rate limiter may answer before the key is checked), nor does a
    403 (a plan/key mismatch answers 403 as well; only `Arrearage` names the account), a
    5xx, or a workspace that does not exist. Other 4xx with a Model Studio error code
    (unknown model, content moderation) were judged for an authenticated caller.
    """
    if 200 <= status < 300:
        return True
    if status == 401:
        return False
    if code == "Arrearage":
        return True
    if status == 429 or status == 403 or status >= 500:
        return None
    if code in _RATE_CODES or code in _QUOTA_CODES or code in _DENIED_CODES:
        return None
    if code in WORKSPACE_DENIED_CODES or code == "WorkSpaceNotFound":
        return None
    return True


def _judge_error(
    status: int, code: str | None, inference: bool, retry_after: str | None
) -> Judgement:
    params: dict[str, Any] = {"status": status, "api_code": code or "-"}
    proven = key_proven(status, code)
    if status == 401:
        return Judgement("key_rejected", proven, code, params)
    if status >= 500:
        return Judgement("server_error", proven, code, params)
    if code == "Arrearage":
        return Judgement("arrears", proven, code, params)
    if status == 429 or code in _RATE_CODES or code in _QUOTA_CODES:
        params["retry_after"] = inert(retry_after, SHORT_MAX) if retry_after else "-"
        if code in _QUOTA_CODES:
            return Judgement("quota_exceeded", proven, code, params)
        return Judgement("rate_limited", proven, code, params)
    if code == "WorkSpaceNotFound":
        return Judgement("workspace_not_found", proven, code, params)
    if code in WORKSPACE_DENIED_CODES:
        # Undocumented answer for another workspace's key (MODEL_STUDIO.md section 10): point
        # to the workspace, not to model grants.
        return Judgement("workspace_access_denied", proven, code, params)
    if code in _DENIED_CODES or status == 403:
        return Judgement("access_denied", proven, code, params)
    if code in _MODEL_CODES or (inference and status in (400, 404) and code == "InvalidParameter"):
        # The 1-token call varies only the model: a native InvalidParameter means the model.
        return Judgement("model_not_found", proven, code, params)
    # A Model Studio error envelope with a code this tool does not know (e.g. content
    # moderation's data_inspection_failed): the key authenticated; name the code.
    return Judgement("request_refused", proven, code, params)


def _location_host(location: str | None) -> str:
    if not location:
        return "-"
    from urllib.parse import urlsplit

    try:
        return inert(urlsplit(location).hostname or "-", CERT_NAME_MAX)
    except ValueError:
        return "-"


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes/contexts, to find the OS or TLS error underneath."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        nested = getattr(current, "exceptions", None)  # ExceptionGroup from anyio
        if nested:
            for sub in nested:
                chain.extend(exception_chain(sub))
        current = current.__cause__ or current.__context__
    return chain


def classify_exception(exc: BaseException, phase: str) -> tuple[str, dict[str, Any]]:
    """A transport failure -> finding code (+params), from exception types and errno, never
    from message text (except httpcore's proxy status line, which is the only carrier)."""
    import httpx

    from app.probe.trust import classify_verify_error

    chain = exception_chain(exc)
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            detail = inert(getattr(item, "verify_message", None) or "-", MESSAGE_MAX)
            return classify_verify_error(item), {"detail": detail}
    for item in chain:
        if isinstance(item, httpx.ProxyError) or type(item).__name__ == "ProxyError":
            status = str(item).split(" ", 1)[0]
            if status == "407":
                return "proxy_auth_required", {}
            return "proxy_failed", {"detail": _safe_detail(item)}
    if phase == "proxy":
        return "proxy_failed", {"detail": _first_os_error(chain)}
    for item in chain:
        if isinstance(item, socket.gaierror):
            return "dns_failed", {}
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return "connect_refused", {}
    for item in chain:
        if isinstance(item, httpx.ConnectTimeout) or (
            isinstance(item, TimeoutError) and phase in ("tcp", "dns")
        ):
            return "connect_timeout", {}
    for item in chain:
        if isinstance(item, ssl.SSLError):
            return "tls_failed", {
                "detail": inert(getattr(item, "reason", None) or "-", MESSAGE_MAX)
            }
    for item in chain:
        if isinstance(item, httpx.TimeoutException | TimeoutError):
            return ("connect_timeout" if phase == "tcp" else "timeout"), {}
    if phase == "http" and any(
        isinstance(i, ConnectionResetError | httpx.RemoteProtocolError | httpx.ReadError)
        for i in chain
    ):
        # The request went out and the connection was cut (a reset mid-body, a middlebox
        # dropping the stream): not a connect failure, so it gets its own stable code.
        return "connection_reset", {"detail": _first_os_error(chain)}
    if phase in ("tcp", "tls"):
        return "connect_failed", {"detail": _first_os_error(chain)}
    return "timeout" if phase == "deadline" else "connect_failed", {
        "detail": _first_os_error(chain)
    }


def is_socks_protocol_error(exc: BaseException) -> bool:
    """Whether a SOCKS reply could not be parsed (socksio's ProtocolError, anywhere in the
    chain): the proxy at a socks5:// URL answered with something else, or hung up."""
    return any(
        type(item).__name__ == "ProtocolError" and type(item).__module__.startswith("socksio")
        for item in exception_chain(exc)
    )


def _first_os_error(chain: list[BaseException]) -> str:
    for item in chain:
        if isinstance(item, OSError) and item.errno:
            import errno

            return inert(errno.errorcode.get(item.errno, str(item.errno)), SHORT_MAX)
    return type(chain[-1]).__name__ if chain else "-"


def _safe_detail(item: BaseException) -> str:
    """httpcore's proxy error text is a status line or a SOCKS reply: no key, but the
    proxy chose it, so it is shown inert and short."""
    return inert(str(item), 120)
