"""The Workspace step's plan-host pieces: the Token Plan edition choice, the URL preview of a
plan host, and what a pasted host that is no workspace's means there. Here so the step keeps
to one job per module; the decisions (which plan hosts a region has, their editions) are
app.core.access_advice's.
"""

from __future__ import annotations

from rich.text import Text

from app.core.access_advice import PlanOption
from app.core.api_host import read_workspace_input
from app.core.catalog import Catalog
from app.core.endpoints import InvalidWorkspaceId, WorkspaceId, plan_base_urls
from app.core.i18n import t
from screens.parts.choices import ChoiceRadioSet, MarkedRadioButton

# A pasted host that is an access domain or plan host, not a workspace's: the style it names.
HOST_STYLES = {"endpoints.host_is_shared": "shared", "endpoints.host_is_trial": "trial"}
PLAN_PREFIX = "plan:"  # the step's name of a plan host's style: "plan:<plan id>"
# The edition choices of a region with both Token Plan editions; "" = not said.
EDITION_CHOICES = ("", "personal", "team")


def edition_choice(edition: str) -> ChoiceRadioSet:
    """Personal / Team / not sure, `edition` ("" = not said) selected; Enter goes on."""
    return ChoiceRadioSet(
        *(
            MarkedRadioButton(
                t(f"screen_workspace.edition_{choice or 'unsaid'}"), value=edition == choice
            )
            for choice in EDITION_CHOICES
        ),
        highlight=EDITION_CHOICES.index(edition),
        enter_continues=True,
        id="edition",
    )


def plan_preview(plan: PlanOption, region: str, catalog: Catalog) -> Text:
    """The plan host's URLs as Export writes them (and why there is no native one)."""
    urls = plan_base_urls(plan.plan, region, catalog)
    text = Text()
    host_kind = t("screen_workspace.host_plan", plan=plan.name)
    text.append(f"{host_kind}: {urls.host}\n", style="bold")
    text.append(f"{t('screen_workspace.surface_openai')}: {urls.openai}\n")
    text.append(f"{t('screen_workspace.surface_anthropic')}: {urls.anthropic}\n")
    no_native = t("screen_workspace.plan_no_native")
    text.append(f"{t('screen_workspace.surface_dashscope')}: {no_native}")
    return text


def style_of_host(exc: InvalidWorkspaceId, region: str) -> str | None:
    """The style a refused paste names when it is a DashScope / trial / plan host of
    `region` (the step then chooses it); None for any other refusal."""
    if exc.params.get("region") != region:
        return None
    if exc.key == "endpoints.host_is_plan":
        return PLAN_PREFIX + str(exc.params.get("plan"))
    return HOST_STYLES.get(exc.key)


def read_in_step(raw: str, region: str, catalog: Catalog, lang: str) -> WorkspaceId:
    """read_workspace_input for the step: a DashScope / trial / plan host of another region
    is said as "go Back and choose that region" (the CLI flags its message names are not
    this screen's way); everything else as the core says it."""
    try:
        return read_workspace_input(raw, region, catalog).workspace
    except InvalidWorkspaceId as exc:
        other = exc.params.get("region")
        names_style = exc.key in HOST_STYLES or exc.key == "endpoints.host_is_plan"
        if not names_style or other == region or other not in catalog.regions:
            raise
        name = catalog.regions[str(other)].name.get(lang)
        raise InvalidWorkspaceId(
            "screen_workspace.host_elsewhere", host=exc.params.get("host"), region=name
        ) from None
