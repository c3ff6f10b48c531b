"""The stable finding codes, their severities, and `Finding`: one code with its details,
rendered in the UI language when shown.

Codes are an interface (scripts read `doctor --json`, support reads the report), so they
never change meaning; the message and remedy of each live in assets/locales under
`findings.<code>.message` / `.remedy`. The length caps below bound text that came from the
network (B45); the probe (trust, engine) applies them where it captures such text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.config.region_switch import joined, region_label, region_name
from app.core.i18n import t
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
    "illegal_endpoint": ERROR,
    "plan_token_invalid": ERROR,
    "key_is_plan": ERROR,
    "key_other_region": ERROR,
    "key_other_workspace": ERROR,
    "plan_key_mismatch": ERROR,
    "model_not_found": ERROR,
    "access_denied": ERROR,
    "endpoint_access_denied": ERROR,
    "app_access_denied": ERROR,
    "workspace_access_denied": ERROR,
    "workspace_not_found": ERROR,
    "arrears": ERROR,
    "rate_limited": WARNING,
    "rate_burst": WARNING,
    "quota_exceeded": ERROR,
    "server_error": ERROR,
    "env_key_differs": WARNING,
    "no_key": ERROR,
    "ssl_cert_env_broken": WARNING,
    "anthropic_model_unserved": INFO,
    "pins_not_applied": INFO,
    # What the user's clients read (app.clients.environment): their variables and files.
    "base_url_elsewhere": WARNING,
    "base_url_bad_path": WARNING,
    "client_key_differs": WARNING,
    "auth_vars_conflict": WARNING,
    "client_model_unserved": WARNING,
    "file_shadows_profile": WARNING,
    "client_config_partial": INFO,
    "plaintext_key_found": WARNING,
    "client_file_unreadable": INFO,
    "proxy_clients_disagree": WARNING,
    "client_proxy_refused": WARNING,
    "client_path_fails": ERROR,
    "client_trust_missing": WARNING,
    "client_trust_differs": WARNING,
    # The streaming check (doctor --stream, app.probe.stream).
    "stream_buffered": WARNING,
    "stream_cut": ERROR,
    # The team policy file (app.findings.policy): a profile that breaks it, an unusable file.
    "policy_violation": WARNING,
    "policy_invalid": WARNING,
}

# Placeholders of the commands remedies print, and their bare forms; doctor (CLI and screen)
# fills them for the user's profile, config and pins (app.findings.remedies.RemedyCommands).
REMEDY_COMMANDS = {
    "command": "modelstudio-setup doctor",
    "configure_model": "modelstudio-setup configure --model MODEL",
    "configure_region": "modelstudio-setup configure --region REGION --shared-host",
    "configure_plan": "modelstudio-setup configure --plan PLAN --plan-region REGION",
    "env_command": "modelstudio-setup env",
    "key_set_command": "modelstudio-setup key set --api-key-stdin",
}
# Placeholders some messages use; "-" when a finding has no such detail.
_DETAIL_PARAMS = (
    "routes",
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
    # what the clients read (app.clients.environment)
    "url",
    "expected",
    "clients",
    "found_key",
    "value",
    "variables",
    "line",
    # the team policy (app.findings.policy)
    "rule",
    "allowed",
    "because",
    # the streaming check (app.probe.stream)
    "events",
    "first_ms",
    "total_ms",
)

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
class Worded:
    """A parameter worded when the finding is shown, not when it is found: a sentence built
    from parts (which client goes which way) follows a language switch like the rest of
    the message. `words(lang)` gets None for the current language."""

    words: Callable[[str | None], str]

    def __str__(self) -> str:
        return self.words(None)


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
    def surfaces(self) -> tuple[str, ...]:
        """The surfaces it is about (a list in params, else its one surface; () for a
        finding about a file or a variable, which has no "where" line)."""
        listed = self.params.get("surfaces")
        if isinstance(listed, str):
            return tuple(s.strip() for s in listed.split(",") if s.strip() not in ("", "-"))
        if isinstance(listed, tuple | list) and listed:
            return tuple(str(s) for s in listed)
        return (self.surface,) if self.surface else ()

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
        for name, value in base.items():
            if isinstance(value, Worded):
                base[name] = value.words(None)
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
