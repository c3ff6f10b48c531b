"""Workspace-ID validation and the ONLY place Model Studio URLs are built.

The workspace ID is user input that becomes part of a hostname which then receives the API
key. Everything here is about making sure a crafted ID can never turn that hostname into
another one (SECURITY.md T1-T4): ASCII is checked before lowercasing, exactly one LDH label
is accepted with `re.fullmatch`, nothing is IDNA-mapped, and every URL built is re-parsed by
two parsers and compared with what was intended.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.core.catalog import Catalog, Region, load_catalog
from app.core.errors import Notice, UserError
from app.core.record import Record
from app.core.text import looks_like_key

# The pay-as-you-go access domains (MODEL_STUDIO.md section 2) as a profile stores them:
# `endpoint_style` is the file's field name (schema v1 had workspace / shared); the access
# domain is what the user is shown. Trial is never a default (RPM 1000, no SLA).
STYLES = ("workspace", "shared", "trial")
ACCESS_DOMAIN_OF_STYLE = {"workspace": "workspace", "shared": "dashscope", "trial": "trial"}
STYLE_OF_ACCESS_DOMAIN = {v: k for k, v in ACCESS_DOMAIN_OF_STYLE.items()}
MAX_RAW_INPUT = 1000
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PASTE_WHITESPACE = " \t\r\n\f\v"


class InvalidWorkspaceId(UserError):
    """The workspace ID cannot be used; the message says why and what an ID looks like."""


class EndpointError(UserError):
    """A base URL cannot be built for this region / style / workspace."""


class WorkspaceId(Record):
    """A validated, normalised workspace ID (one lowercase DNS label)."""

    value: str
    notices: tuple[Notice, ...] = ()
    changed: bool = False  # True when normalisation altered the input (shown back to the user)

    def __str__(self) -> str:
        return self.value


def _describe_char(ch: str) -> str:
    """Name a character safely (a control or invisible character is shown as its code)."""
    code = f"U+{ord(ch):04X}"
    if ch.isprintable() and not ch.isspace():
        import unicodedata  # lazy: only this message names a character

        name = unicodedata.name(ch, "")
        return f"'{ch}' ({code}{' ' + name if name else ''})"
    return code


def pasted_ascii(raw: object) -> str:
    """A paste without its surrounding whitespace, refused unless it is printable ASCII
    (T2: checked before anything lowercases it) and not an API key (T16). The first checks
    of a workspace ID and of a pasted API host alike."""
    if not isinstance(raw, str):
        raise InvalidWorkspaceId("endpoints.ws_empty")
    if len(raw) > MAX_RAW_INPUT:
        raise InvalidWorkspaceId("endpoints.ws_too_long_input", length=len(raw))
    if looks_like_key(raw):
        # `sk-` + 32 hex is a valid DNS label: it would be shown as valid, written into the
        # config and key-less exports, and looked up in DNS (SECURITY.md T16).
        raise InvalidWorkspaceId("endpoints.ws_looks_like_key")
    stripped = raw.strip(_PASTE_WHITESPACE)
    if not stripped:
        raise InvalidWorkspaceId("endpoints.ws_empty")
    # ASCII before anything else: lowercasing first would let the Kelvin sign become 'k'.
    for pos, ch in enumerate(stripped, start=1):
        if not (0x20 < ord(ch) < 0x7F):
            if ch == " ":
                raise InvalidWorkspaceId("endpoints.ws_inner_space", pos=pos)
            if ord(ch) < 0x80:
                raise InvalidWorkspaceId(
                    "endpoints.ws_control_char", char=_describe_char(ch), pos=pos
                )
            raise InvalidWorkspaceId("endpoints.ws_non_ascii", char=_describe_char(ch), pos=pos)
    return stripped


def normalize_workspace_id(raw: object, catalog: Catalog | None = None) -> WorkspaceId:
    """Turn pasted input into a workspace ID, or explain precisely why it is not one."""
    catalog = catalog or load_catalog()
    value = pasted_ascii(raw).lower()
    if "." in value:
        raise InvalidWorkspaceId("endpoints.ws_dot")
    for pos, ch in enumerate(value, start=1):
        if not (ch.isalnum() or ch == "-"):
            raise InvalidWorkspaceId("endpoints.ws_bad_char", char=_describe_char(ch), pos=pos)
    if len(value) > 63:
        raise InvalidWorkspaceId("endpoints.ws_too_long", length=len(value))
    if value.startswith("-") or value.endswith("-"):
        raise InvalidWorkspaceId("endpoints.ws_hyphen_edge")
    if value.startswith("xn--") or value[2:4] == "--":
        raise InvalidWorkspaceId("endpoints.ws_idna")
    if not _LABEL.fullmatch(value):
        raise InvalidWorkspaceId("endpoints.ws_bad_shape")
    if value in catalog.reserved_workspace_labels:
        raise InvalidWorkspaceId("endpoints.ws_reserved", label=value)
    notices: list[Notice] = []
    if not value.startswith(catalog.workspace_id_prefixes):
        notices.append(
            Notice(
                "endpoints.ws_unusual_prefix", prefixes=" / ".join(catalog.workspace_id_prefixes)
            )
        )
    return WorkspaceId(value=value, notices=tuple(notices), changed=value != raw)


class BaseUrls(Record):
    """The three API surfaces of one endpoint; identical paths on every host."""

    openai: str
    anthropic: str
    dashscope: str
    host: str

    def as_dict(self) -> dict[str, str]:
        return {"openai": self.openai, "anthropic": self.anthropic, "dashscope": self.dashscope}


def host_for(
    region: Region | str,
    style: str,
    workspace_id: str | WorkspaceId | None,
    catalog: Catalog | None = None,
) -> str:
    """The host name for a region / style / workspace, with every combination checked."""
    catalog = catalog or load_catalog()
    if isinstance(region, str):
        if region not in catalog.regions:
            raise EndpointError(
                "endpoints.unknown_region", region=region, known=", ".join(catalog.regions)
            )
        region = catalog.regions[region]
    if style not in STYLES:
        raise EndpointError("endpoints.unknown_style", style=style)
    if style == "shared":
        if region.hosts.shared is None:
            raise EndpointError(
                "endpoints.no_shared_host",
                region=region.id,
                console=region.console_workspaces,
            )
        return region.hosts.shared
    if style == "trial":
        if region.hosts.trial is None:
            raise EndpointError(
                "endpoints.no_trial_host",
                region=region.id,
                console=region.console_workspaces,
            )
        return region.hosts.trial
    if workspace_id is None or workspace_id == "":
        raise EndpointError(
            "endpoints.workspace_required"
            if region.workspace_required
            else "endpoints.workspace_missing",
            region=region.id,
            console=region.console_workspaces,
        )
    ws = normalize_workspace_id(str(workspace_id), catalog).value
    return region.hosts.workspace.replace("{ws}", ws)


# A base URL is `https://` + lowercase DNS labels + plain path segments: characters every URL
# parser (urllib, httpx, an SDK's own) reads the same way, with nothing to normalise (no case,
# no percent-encoding, no IDNA, no dot segments, no port, no userinfo).
_PLAIN_HOST = re.compile(rf"{_LABEL.pattern}(?:\.{_LABEL.pattern})+")
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)+")


def _assert_url(url: str, expected_host: str, expected_path: str) -> None:
    """Check a built URL: made only of characters no parser reads differently, and re-parsed
    by urllib to exactly that host and path; any disagreement is a bug, never a request.

    (httpx is not asked: `env` and `key get` validate the config's URLs on every run and
    must not import it; on these characters its parse cannot differ from urllib's.)"""
    split = urlsplit(url)
    ok = (
        _PLAIN_HOST.fullmatch(expected_host) is not None
        and _PLAIN_PATH.fullmatch(expected_path) is not None
        and url == f"https://{expected_host}{expected_path}"
        and split.scheme == "https"
        and split.hostname == expected_host
        and split.netloc == expected_host
        and split.port is None
        and split.username is None
        and split.password is None
        and not split.query
        and not split.fragment
        and split.path == expected_path
    )
    if not ok:
        raise EndpointError("endpoints.url_assert_failed", host=expected_host)


def base_urls(
    region: Region | str,
    style: str,
    workspace_id: str | WorkspaceId | None = None,
    catalog: Catalog | None = None,
) -> BaseUrls:
    """The OpenAI-compatible, Anthropic-compatible and DashScope base URLs of an endpoint."""
    catalog = catalog or load_catalog()
    host = host_for(region, style, workspace_id, catalog)
    urls = {}
    for surface, path in catalog.paths.items():
        url = f"https://{host}{path}"
        _assert_url(url, host, path)
        urls[surface] = url
    return BaseUrls(host=host, **urls)


class HostInfo(Record):
    """What a production host name means: its region, style and workspace (if any)."""

    host: str
    region: str
    style: str  # workspace | shared | trial
    workspace_id: str | None


def classify_host(host: str, catalog: Catalog | None = None) -> HostInfo | None:
    """Map a host name back to region / style / workspace; None for a host that is not ours.

    Used to check a URL found in a config file and by the simulator to route requests.
    Matching is on the whole label structure, so `x.cn-beijing.maas.aliyuncs.com.evil.com`
    and `evil-dashscope.aliyuncs.com` are not ours.
    """
    catalog = catalog or load_catalog()
    host = host.lower().rstrip(".") if host.isascii() else host
    if not host.isascii():
        return None
    for region in catalog.regions.values():
        if host == region.hosts.shared:
            return HostInfo(host, region.id, "shared", None)
        if region.hosts.trial and host == region.hosts.trial:
            return HostInfo(host, region.id, "trial", None)
        suffix = region.hosts.workspace.removeprefix("{ws}")
        if host.endswith(suffix):
            label = host[: -len(suffix)]
            # Only a label normalize_workspace_id accepts: a host this tool would never build
            # (xn--..., reserved labels) is not ours either.
            try:
                ws = normalize_workspace_id(label, catalog)
            except InvalidWorkspaceId:
                continue
            if ws.value == label:
                return HostInfo(host, region.id, "workspace", label)
    return None


class PlanUrls(Record):
    """The base URLs of a plan host (Coding Plan or Token Plan): OpenAI- and
    Anthropic-compatible only, with the plan's own paths (Coding Plan's OpenAI path is `/v1`)."""

    plan: str
    plan_region: str
    host: str
    openai: str
    anthropic: str

    def as_dict(self) -> dict[str, str]:
        return {"openai": self.openai, "anthropic": self.anthropic}


def plan_base_urls(plan: str, plan_region: str, catalog: Catalog | None = None) -> PlanUrls:
    """The base URLs of `plan` in `plan_region`, from the catalog's plan table; a clear
    error naming the regions the plan has when there is no such host (`--plan token
    --plan-region eu-central-1`)."""
    catalog = catalog or load_catalog()
    if plan not in catalog.plans:
        raise EndpointError("endpoints.unknown_plan", plan=plan, known=", ".join(catalog.plans))
    entry = catalog.plans[plan]
    if plan_region not in entry.hosts:
        raise EndpointError(
            "endpoints.no_plan_host",
            plan=entry.name.en,
            region=plan_region,
            known=", ".join(entry.hosts),
        )
    host = entry.hosts[plan_region]
    urls = {}
    for surface, path in entry.paths.items():
        url = f"https://{host}{path}"
        _assert_url(url, host, path)
        urls[surface] = url
    return PlanUrls(plan=plan, plan_region=plan_region, host=host, **urls)


def all_plan_urls(catalog: Catalog | None = None) -> list[PlanUrls]:
    """Every plan host's URLs (the ownership matrix asks each of them)."""
    catalog = catalog or load_catalog()
    return [plan_base_urls(p, r, catalog) for p in catalog.plans for r in catalog.plans[p].hosts]


def plan_of_host(host: str | None, catalog: Catalog | None = None) -> PlanUrls | None:
    """The plan host entry of `host`, None for a pay-as-you-go (or unknown) host."""
    if not host:
        return None
    return next((p for p in all_plan_urls(catalog) if p.host == host), None)
