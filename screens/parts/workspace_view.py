"""The Workspace step's read-only views: what an access domain or plan host guarantees, the
base URLs as Export will write them, and how the team policy marks the hosts it rules out.

Here so the step keeps to one job per module (its fields and their validation); the URLs
come from app.core.endpoints (the one place they are built) and the policy's words from
app.config.policy_rules, so this module only lays out what they say.
"""

from __future__ import annotations

from typing import Protocol

from rich.text import Text
from textual.validation import ValidationResult, Validator

from app.config.policy import Policy
from app.config.policy_rules import host_refusal, refusal
from app.core.access_advice import DomainOption, PlanOption
from app.core.catalog import Catalog, Region
from app.core.endpoints import EndpointError, InvalidWorkspaceId, WorkspaceId, base_urls
from app.core.i18n import t
from screens.parts.plan_hosts import PLAN_PREFIX, plan_preview
from screens.widgets import MARK_FAIL, MARK_OK, MARK_WARN, gap

# The access domain each style is (the profile's `endpoint_style` names it). A plan host is
# the choice "plan:<id>" here, endpoint_style "plan" with that plan in the state.
DOMAIN_OF_STYLE = {"workspace": "workspace", "shared": "dashscope", "trial": "trial"}
SURFACE_LABELS = ("openai", "anthropic", "dashscope")
FROM_HOST = "endpoints.ws_from_host"  # said as the ✓ line itself, not as a warning


class IdField(Protocol):
    """What the validator asks of the Workspace step (a Protocol: parts never import steps)."""

    @property
    def plan(self) -> PlanOption | None: ...

    style: str

    def missing_message(self) -> str: ...

    def read_id(self, raw: str) -> WorkspaceId: ...


class WorkspaceIdValidator(Validator):
    """Textual validator over app.core.endpoints: the failure text is the core's own message."""

    def __init__(self, screen: IdField) -> None:
        super().__init__()
        self.screen = screen

    def validate(self, value: str) -> ValidationResult:
        if self.screen.plan is not None:  # a plan host takes no workspace ID
            return self.success()
        if not value.strip():
            if self.screen.style == "workspace":
                return self.failure(self.screen.missing_message())
            return self.success()
        try:
            self.screen.read_id(value)
        except InvalidWorkspaceId as exc:
            return self.failure(exc.message)
        return self.success()


def style_refusals(policy: Policy | None, styles: tuple[str, ...]) -> dict[str, str]:
    """The hosts of `styles` the team policy rules out, each with the rule and its reason
    (the same rules Export checks on the profile the host would make)."""
    out = {}
    for style in styles:
        plan = style.removeprefix(PLAN_PREFIX) if style.startswith(PLAN_PREFIX) else None
        domain = None if plan is not None else DOMAIN_OF_STYLE[style]
        refused = host_refusal(policy, domain, plan)
        if refused is not None:
            out[style] = refused
    return out


def domain_text(plan: PlanOption | None, domain: DomainOption | None) -> Text:
    """What the chosen access domain guarantees; the trial domain's warning marked, and a
    plan host's usage rule (interactive coding tools only) likewise."""
    if plan is not None:
        return Text(f"{MARK_WARN}{gap()}{plan.name}: {plan.summary}", style="bold")
    assert domain is not None
    if not domain.production:
        return Text(f"{MARK_WARN}{gap()}{domain.name}: {domain.summary}", style="bold")
    return Text(f"{domain.name}: {domain.summary}")


def url_preview(
    region: Region,
    style: str,
    plan: PlanOption | None,
    workspace: str | None,
    blocked: bool,
    catalog: Catalog,
) -> Text:
    """The host and the three base URLs as Export writes them; `blocked`: what is typed is
    no valid ID, so nothing is previewed (the reason is under the field)."""
    if plan is not None:
        return plan_preview(plan, region.id, catalog)
    if blocked:
        return Text(f"{MARK_FAIL}{gap()}{t('screen_workspace.preview_blocked')}")
    try:
        urls = base_urls(region, style, workspace)
    except EndpointError as exc:
        return Text(f"{MARK_FAIL}{gap()}{exc.message}")
    text = Text()
    host_kind = t(f"screen_workspace.host_{style}")
    text.append(f"{host_kind}: {urls.host}\n", style="bold")
    for surface in SURFACE_LABELS:
        text.append(f"{t(f'screen_workspace.surface_{surface}')}: ")
        text.append(getattr(urls, surface) + ("\n" if surface != "dashscope" else ""))
    return text


def valid_id_status(ws: WorkspaceId, region: str, policy: Policy | None) -> tuple[list[str], str]:
    """The lines under the field for a valid ID (read from a pasted API Host, normalised,
    or as typed; the reader's notices; the team policy's refusal of another workspace) and
    the field status' style class."""
    notices = [f"{MARK_WARN}{gap()}{n.message}" for n in ws.notices if n.key != FROM_HOST]
    if any(n.key == FROM_HOST for n in ws.notices):
        line = t("screen_workspace.from_host", value=ws.value, region=region)
    elif ws.changed:
        line = t("screen_workspace.normalised", value=ws.value)
    else:
        line = t("screen_workspace.valid", value=ws.value)
    lines = [f"{MARK_OK}{gap()}{line}", *notices]
    if (refused := refusal(policy, "workspace_id", ws.value)) is not None:
        return [*lines, f"{MARK_FAIL}{gap()}{refused}"], "-invalid"  # valid, not the team's
    return lines, "-warning" if notices else "-valid"
