"""The Workspace step's plan-host pieces: the Token Plan edition choice and the URL preview
of a plan host. Here so the step keeps to one job per module; the decisions (which plan
hosts a region has, their editions) are app.core.access_advice's.
"""

from __future__ import annotations

from rich.text import Text

from app.core.access_advice import PlanOption
from app.core.catalog import Catalog
from app.core.endpoints import plan_base_urls
from app.core.i18n import t
from screens.parts.choices import ChoiceRadioSet, MarkedRadioButton

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
