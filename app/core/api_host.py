"""The workspace answer as people paste it: an ID (`ws-…` / `llm-…`) or the console's "API Host"
column (`llm-xxx.cn-beijing.maas.aliyuncs.com`, maybe as `https://…/compatible-mode/v1`).

A pasted host decides where the key goes, so the WHOLE host is validated before the ID is
taken from it (SECURITY.md T1-T4): https or no scheme (never http), no user name, port,
query, fragment or percent-escape anywhere, a path of plain characters only (it is dropped:
the paths are the tool's), and the host must be, exactly, a workspace host this tool would
build itself for a known region (app.core.endpoints.classify_host, the one classifier of
production hosts). The region comes with it; where a region is already chosen the two must
agree. The DashScope, trial and plan hosts are named as what they are, with the flag that
chooses them, rather than refused as "not an ID".
"""

from __future__ import annotations

import re

from app.core.catalog import Catalog, load_catalog
from app.core.endpoints import (
    InvalidWorkspaceId,
    WorkspaceId,
    classify_host,
    normalize_workspace_id,
    pasted_ascii,
    plan_of_host,
)
from app.core.errors import Notice
from app.core.i18n import get_language
from app.core.record import Record

# What a path may hold after the host: the API paths people copy with it, nothing that could
# carry another host or a query (`?`, `#`, `@`, `%`, `\` are refused before this is tried).
_PATH = re.compile(r"[A-Za-z0-9._/-]*")
_HOST_CHARS = re.compile(r"[a-z0-9.-]+")
_TRICKS = "@?#%\\"


class WorkspaceInput(Record):
    """A workspace answer read: the ID, and the region when a pasted API host named one."""

    workspace: WorkspaceId
    region: str | None = None


def looks_like_host(raw: str) -> bool:
    """A paste meant as a host or URL rather than an ID: it has a dot or a slash."""
    return "." in raw or "/" in raw


def read_workspace_input(
    raw: object, region: str | None = None, catalog: Catalog | None = None
) -> WorkspaceInput:
    """The workspace ID of an ID or an API host; InvalidWorkspaceId (exit 2) says why not.

    `region`: the region already chosen (a host of another region is refused, naming both);
    None takes the region from the host.
    """
    catalog = catalog or load_catalog()
    text = pasted_ascii(raw)
    if not looks_like_host(text):
        return WorkspaceInput(normalize_workspace_id(text, catalog))
    host = _host_of(text)
    info = classify_host(host, catalog)
    if info is None:
        plan = plan_of_host(host, catalog)
        if plan is not None:
            name = catalog.plan(plan.plan).name.get(get_language())
            raise InvalidWorkspaceId(
                "endpoints.host_is_plan",
                host=host,
                name=name,
                plan=plan.plan,
                region=plan.plan_region,
            )
        raise InvalidWorkspaceId("endpoints.host_unknown", host=_shown(host))
    if info.style != "workspace" or info.workspace_id is None:
        key = "endpoints.host_is_trial" if info.style == "trial" else "endpoints.host_is_shared"
        raise InvalidWorkspaceId(key, host=host, region=info.region)
    if region is not None and region != info.region:
        raise InvalidWorkspaceId(
            "endpoints.host_other_region", host=host, host_region=info.region, region=region
        )
    ws = normalize_workspace_id(info.workspace_id, catalog)
    taken = Notice("endpoints.ws_from_host", ws=ws.value, region=info.region)
    workspace = WorkspaceId(value=ws.value, notices=(*ws.notices, taken), changed=True)
    return WorkspaceInput(workspace, info.region)


def _host_of(text: str) -> str:
    """The host of a pasted host or URL, every trick refused with its own message."""
    rest = text
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme.lower() != "https":
            raise InvalidWorkspaceId("endpoints.host_scheme", scheme=_shown(scheme))
    for ch in _TRICKS:
        if ch in rest:
            raise InvalidWorkspaceId("endpoints.host_trick", char=ch)
    host, slash, path = rest.partition("/")
    if ":" in host:
        raise InvalidWorkspaceId("endpoints.host_port")
    if slash and not _PATH.fullmatch(path):
        raise InvalidWorkspaceId("endpoints.host_path")
    host = host.lower()
    if not host or not _HOST_CHARS.fullmatch(host):
        raise InvalidWorkspaceId("endpoints.host_unknown", host=_shown(host or text))
    return host


def _shown(value: str) -> str:
    """A refused host as it may be echoed: printable ASCII already, cut to a sane length."""
    return value if len(value) <= 80 else value[:77] + "..."
