"""Step 2, Recommendation: region and scope, why, what it costs, and a picture of both.

The recommendation itself comes from app.core.recommend. The picture answers the question users
actually ask ("where does my data go?"): one row for where data is stored (the region), one
for where inference may run (the scope), across four areas. The user may pick another region
or scope; the consequences are then re-explained from the catalog's facts, so an override is
always an informed one.

Under a team policy only its placements are recommended; the others stay in the lists,
marked "(not allowed by the team policy)", and Next refuses them; a list the policy leaves
one value in is locked, with the file's reason where it pins the rule.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Select, Static

from app.config.policy_parse import allowed_placements
from app.config.policy_rules import limits, placement_refusal
from app.core.answers import Answers
from app.core.catalog import Catalog, load_catalog
from app.core.i18n import t
from app.core.placement_text import Alternative
from app.core.recommend import Recommendation, explain_placement, recommend
from app.services import Services
from app.state import WizardState
from screens.base import StepScreen
from screens.parts.policy_banner import locked_line
from screens.widgets import MARK_FAIL, MARK_OK, MARK_WARN, Prose, gap

AREAS = ("americas", "europe", "asia", "china")
# Where inference may run, per scope (MODEL_STUDIO.md section 1 boundaries).
SCOPE_AREAS: dict[str, tuple[str, ...]] = {
    "global": AREAS,
    "mainland": ("china",),
    "international": ("americas", "europe", "asia"),
    "us": ("americas",),
    "eu": ("europe",),
    "japan": ("asia",),
    "hongkong": ("asia",),
}
YES = "■"
NO = "·"


def placement_diagram(catalog: Catalog, region_id: str, scope_id: str) -> Table:
    """Two rows over four areas: where data is stored, where inference may run."""
    region = catalog.regions[region_id]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("")
    for area in AREAS:
        table.add_column(t(f"screen_recommendation.area_{area}"), justify="center")
    stored = [YES if region.geo == area else NO for area in AREAS]
    runs = [YES if area in SCOPE_AREAS.get(scope_id, AREAS) else NO for area in AREAS]
    table.add_row(t("screen_recommendation.row_data"), *stored)
    table.add_row(t("screen_recommendation.row_inference"), *runs)
    table.caption = t("screen_recommendation.legend", yes=YES, no=NO)
    return table


class RecommendationScreen(StepScreen):
    STEP = "recommendation"
    FOCUS: ClassVar[str | None] = None

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__(state, services)
        self.catalog = load_catalog()
        self.rec = self._recommend()
        policy = services.policy  # None: every placement; else those the team policy allows
        self.allowed = set(allowed_placements(policy, self.catalog)) if policy else None
        self.chosen_region = (
            state.region if state.region in self.catalog.regions else self.rec.region
        )
        if not self._region_allowed(self.chosen_region):  # e.g. chosen before the policy
            self.chosen_region = self.rec.region
        regions_scopes = self.catalog.regions[self.chosen_region].scopes
        if state.region == self.chosen_region and state.scope in regions_scopes:
            self.chosen_scope = state.scope
        elif self.chosen_region == self.rec.region:
            self.chosen_scope = self.rec.scope
        else:
            self.chosen_scope = regions_scopes[0]
        if self.allowed and (self.chosen_region, self.chosen_scope) not in self.allowed:
            self.chosen_scope = next(
                (s for s in regions_scopes if (self.chosen_region, s) in self.allowed),
                self.chosen_scope,
            )

    def _region_allowed(self, region: str) -> bool:
        return self.allowed is None or any(r == region for r, _ in self.allowed)

    def _marked(self, label: str, allowed: bool) -> str:
        return label if allowed else label + t("policy.not_allowed_mark")

    def _recommend(self) -> Recommendation:
        policy = self.services.policy  # only what the team policy allows is recommended
        limited = limits(policy, self.catalog) if policy is not None else None
        return recommend(self._answers(), self.state.lang, limited)

    async def relocalize(self) -> None:
        self.state = self.collect()
        self.rec = self._recommend()
        await super().relocalize()

    # -- layout -------------------------------------------------------------------------------
    def compose_step(self) -> ComposeResult:
        yield Prose(self._card(), id="rec-card")
        yield Static(self._diagram(), id="diagram", classes="diagram")
        yield Prose(self._why(), id="rec-why")
        yield Prose(t("screen_recommendation.override"), classes="field-label tight")
        lang = self.state.lang
        regions = [
            (self._marked(r.name.get(lang), self._region_allowed(r.id)), r.id)
            for r in self.catalog.regions.values()
        ]
        region = Select(regions, value=self.chosen_region, allow_blank=False, id="region")
        # A list the team policy leaves one value in: shown, locked.
        region.disabled = self.allowed is not None and len({r for r, _ in self.allowed}) == 1
        yield region
        scope = Select(
            self._scope_options(), value=self.chosen_scope, allow_blank=False, id="scope"
        )
        scope.disabled = self.allowed is not None and len({s for _, s in self.allowed}) == 1
        yield scope
        for rule in ("residency", "regions", "scopes"):
            if (line := locked_line(self.services.policy, rule)) is not None:
                yield line
        yield Prose(self._consequences(), id="consequences")

    def _scope_options(self) -> list[tuple[str, str]]:
        lang = self.state.lang
        region = self.chosen_region
        return [
            (self._marked(self.catalog.scopes[s].name.get(lang), self._allows(region, s)), s)
            for s in self.catalog.regions[region].scopes
        ]

    def _allows(self, region: str, scope: str) -> bool:
        return self.allowed is None or (region, scope) in self.allowed

    def _card(self) -> Text:
        lang = self.state.lang
        region = self.catalog.regions[self.chosen_region]
        scope = self.catalog.scopes[self.chosen_scope]
        text = Text()
        chosen = self._is_recommended()
        head = (
            "screen_recommendation.recommended" if chosen else "screen_recommendation.your_choice"
        )
        text.append(t(head) + "\n")
        text.append(f"{region.name.get(lang)} ({region.id})", style="bold")
        text.append(f" · {scope.name.get(lang)}\n", style="bold")
        text.append(scope.boundary.get(lang))
        return text

    def _diagram(self) -> Table:
        return placement_diagram(self.catalog, self.chosen_region, self.chosen_scope)

    def _is_recommended(self) -> bool:
        return (self.chosen_region, self.chosen_scope) == (self.rec.region, self.rec.scope)

    def _answers(self) -> Answers:
        return Answers(
            residency=self.state.residency or "none", needs=self.state.needs, near=self.state.near
        )

    def _placement(self) -> Alternative:
        """The chosen placement explained like an alternative (app.core.recommend decides)."""
        return explain_placement(
            self._answers(), self.chosen_region, self.chosen_scope, self.state.lang
        )

    def _why(self) -> Text:
        if not self._is_recommended():
            return self._why_choice()
        rec = self.rec
        text = Text()
        text.append(t("screen_recommendation.why", region=rec.region_name) + "\n", style="bold")
        for reason in rec.reasons:
            text.append(f"•{gap()}{reason}\n")
        for caveat in rec.caveats:
            text.append(f"{MARK_WARN}{gap()}{caveat}\n")
        if rec.model_advice:  # Beijing: which models keep the recommended scope
            text.append(f"{MARK_WARN}{gap()}{rec.model_advice}\n")
        if rec.unmet_needs:
            needs = ", ".join(t(f"screen_scenario.need_{n}") for n in rec.unmet_needs)
            key = (
                "screen_recommendation.conflict" if rec.conflict else "screen_recommendation.unmet"
            )
            text.append(f"{MARK_FAIL}{gap()}{t(key, needs=needs)}\n")
        if rec.alternatives:
            text.append(t("screen_recommendation.alternatives") + "\n", style="bold")
            for alt in rec.alternatives:
                name = alt.region_name or alt.region
                scope = alt.scope_name or alt.scope
                text.append(f"→{gap()}{name} · {scope}: {alt.why}\n")
        return text

    def _why_choice(self) -> Text:
        """An override, re-explained: the recommendation's reasons and caveats were about
        another placement, so they give way to what this one means (QA B49)."""
        placement = self._placement()
        text = Text()
        head = t(
            "screen_recommendation.about_choice",
            region=placement.region_name,
            scope=placement.scope_name,
        )
        text.append(head + "\n", style="bold")
        text.append(f"•{gap()}{placement.why}\n")
        back = t(
            "screen_recommendation.recommended_instead",
            region=self.rec.region_name,
            scope=self.rec.scope_name,
        )
        text.append(f"→{gap()}{back}\n")
        return text

    def _residency_line(self, keeps: bool) -> str:
        residency = self.state.residency or "none"
        if residency == "none":
            return f"{MARK_OK}{gap()}{t('screen_recommendation.no_requirement')}"
        name = self.catalog.scenarios[residency].name.get(self.state.lang)
        if keeps:
            return f"{MARK_OK}{gap()}{t('screen_recommendation.meets', requirement=name)}"
        return f"{MARK_FAIL}{gap()}{t('screen_recommendation.breaks', requirement=name)}"

    def _consequences(self) -> Text:
        """What the chosen placement means, recomputed from catalog facts on every change."""
        lang = self.state.lang
        region = self.catalog.regions[self.chosen_region]
        scope = self.catalog.scopes[self.chosen_scope]
        lines: list[str] = []
        if self._is_recommended():
            lines.append(f"{MARK_OK}{gap()}{t('screen_recommendation.is_recommended')}")
        else:
            lines.append(self._residency_line(self._placement().keeps_residency))
        lines.append(
            t(
                "screen_recommendation.data_and_inference",
                region=region.name.get(lang),
                boundary=scope.boundary.get(lang),
            )
        )
        marks = {"yes": MARK_OK, "no": MARK_FAIL, "unknown": "?"}
        for need in self.state.needs:
            value = region.features.get(need, "unknown")
            lines.append(
                f"{marks[value]} "
                + t(
                    f"screen_recommendation.feature_{value}",
                    feature=t(f"screen_scenario.need_{need}"),
                )
            )
        if not region.has_shared_host:
            lines.append(f"{MARK_WARN}{gap()}{t('screen_recommendation.needs_workspace')}")
        if self.chosen_scope == "us":
            lines.append(f"{MARK_WARN}{gap()}{t('screen_recommendation.us_suffix')}")
        if region.scope_choice == "workspace":
            at_creation = t("screen_recommendation.scope_at_creation", scope=scope.name.get(lang))
            lines.append(f"{MARK_WARN}{gap()}{at_creation}")
        for conflict in region.doc_conflicts:
            lines.append(f"{MARK_WARN}{gap()}{conflict.get(lang)}")
        return Text("\n".join(lines))

    def _refresh_choice(self) -> None:
        self.query_one("#rec-card", Static).update(self._card())
        self.query_one("#diagram", Static).update(self._diagram())
        self.query_one("#rec-why", Static).update(self._why())
        self.query_one("#consequences", Static).update(self._consequences())

    # -- events -------------------------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if not isinstance(event.value, str):
            return
        if event.select.id == "region" and event.value != self.chosen_region:
            self.chosen_region = event.value
            scopes = self.catalog.regions[self.chosen_region].scopes
            self.chosen_scope = self.rec.scope if self.rec.scope in scopes else scopes[0]
            if self.chosen_region == self.rec.region:
                self.chosen_scope = self.rec.scope
            scope_select = self.query_one("#scope", Select)
            with self.prevent(Select.Changed):
                scope_select.set_options(self._scope_options())
                scope_select.value = self.chosen_scope
        elif event.select.id == "scope":
            self.chosen_scope = event.value
        self._refresh_choice()

    # -- results ------------------------------------------------------------------------------
    def collect(self) -> WizardState:
        return dataclasses.replace(
            self.state, recommendation=self.rec, region=self.chosen_region, scope=self.chosen_scope
        )

    def submit(self) -> WizardState | None:
        new = self.collect()
        refused = placement_refusal(self.services.policy, new.region, new.scope)
        if refused is not None:  # an override the team policy does not allow
            self.show_status(refused)
            return None
        # A workspace ID of the region shown before is dropped by the flow driver
        # (app.state.reconcile_workspace), on this path and every other.
        scope_changed = self.state.scope != self.chosen_scope and new.model is not None
        if scope_changed and new.model not in self.catalog.ping_models(self.chosen_scope):
            new = dataclasses.replace(new, model=None)
        return new
