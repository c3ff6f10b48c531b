"""Step 1, Scenario: data residency, needed features, where the callers run.

Residency is a legal decision, so it is never taken silently: the default (or the saved
answer) is highlighted with its explanation, and the user confirms it with Enter. Where the
callers run can be measured: TCP+TLS handshakes to every region at once (app.probe.latency), in an
exclusive async worker so a slow network never freezes the screen.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, RadioSet, Select, Static

from app.core.answers import NEAR, NEEDS
from app.core.catalog import load_catalog
from app.core.i18n import t
from app.probe.latency import measure_with_options
from app.services import Services
from app.state import WizardState
from screens.base import StepScreen
from screens.parts.choices import ChoiceRadioSet, MarkedCheckbox, MarkedRadioButton
from screens.parts.policy_banner import locked_line, refusal
from screens.widgets import MARK_FAIL, MARK_OK, Prose, gap

DEFAULT_RESIDENCY = "none"


class ScenarioScreen(StepScreen):
    STEP = "scenario"
    FOCUS: ClassVar[str | None] = "#residency"

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__(state, services)
        self.catalog = load_catalog()
        self.residencies = list(self.catalog.scenarios)
        pinned = services.policy.pinned("residency") if services.policy else None
        self.residency: str | None = pinned or state.residency  # a pin is preselected
        self.measured = state.measured_latency
        # Always the residency list, even when an answer is already chosen (coming back, the
        # demo): the hint above it says "↑/↓ to move, Enter to choose", and Enter on the chosen
        # answer confirms it and moves on to Next, so Enter-only still walks through (B13).

    def compose_step(self) -> ComposeResult:
        lang = self.state.lang
        highlight = self.residencies.index(self.residency or DEFAULT_RESIDENCY)
        locked = locked_line(self.services.policy, "residency")
        yield Prose(t("screen_scenario.residency"), classes="field-label tight")
        residency = ChoiceRadioSet(
            *(
                MarkedRadioButton(
                    s.name.get(lang), value=s.id == self.residency, tooltip=s.explain.get(lang)
                )
                for s in self.catalog.scenarios.values()
            ),
            highlight=highlight,
            id="residency",
        )
        residency.disabled = locked is not None  # a pinned residency: shown, not changeable
        yield residency
        if locked is not None:
            yield locked  # the rule and the reason from the file
        yield Prose("", id="residency-explain", classes="hint tight")
        yield Prose(self._residency_status(), id="residency-status", classes="field-status")
        yield Prose(t("screen_scenario.needs"), classes="field-label tight")
        # Three to a row: five boxes in one row do not fit at 80 columns.
        for first in range(0, len(NEEDS), 3):
            with Horizontal(classes="row"):
                for need in NEEDS[first : first + 3]:
                    yield MarkedCheckbox(
                        t(f"screen_scenario.need_{need}"),
                        need in self.state.needs,
                        id=f"need-{need}",
                    )
        yield Prose(t("screen_scenario.near"), classes="field-label tight")
        yield Select(
            [(t(f"screen_scenario.near_{z}"), z) for z in NEAR],
            value=self.state.near if self.state.near in NEAR else Select.NULL,
            prompt=t("screen_scenario.near_unknown"),
            id="near",
        )
        with Horizontal(classes="row"):
            yield Button(t("screen_scenario.measure"), id="measure", compact=True)
        yield Prose(self._latency_text(), id="latency-result")

    # -- residency ------------------------------------------------------------------------------
    def _residency_status(self) -> Text:
        if self.residency is None:
            return Text(t("screen_scenario.confirm_hint"))
        name = self.catalog.scenarios[self.residency].name.get(self.state.lang)
        return Text(f"{MARK_OK}{gap()}{t('screen_scenario.chosen', name=name)}")

    def on_choice_radio_set_highlighted(self, event: ChoiceRadioSet.Highlighted) -> None:
        if event.radio_set.id != "residency":
            return
        scenario = self.catalog.scenarios[self.residencies[event.index]]
        self.query_one("#residency-explain", Static).update(
            Text(scenario.explain.get(self.state.lang))
        )

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id != "residency":
            return
        event.stop()
        self.residency = self.residencies[event.index]
        self.query_one("#residency-status", Static).update(self._residency_status())
        self._confirmed()

    def on_choice_radio_set_confirmed(self, event: ChoiceRadioSet.Confirmed) -> None:
        if event.radio_set.id != "residency":
            return
        event.stop()
        self._confirmed()

    def _confirmed(self) -> None:
        """Chosen: the next Enter goes on with the answer under the cursor; the focus stays
        on the list so ↑/↓ still change it (E23), the needs and location one Tab away."""
        self.query_one("#residency-status", Static).update(self._residency_status())
        self.show_status(t("screen_scenario.enter_continues"), error=False)

    # -- latency --------------------------------------------------------------------------------
    def _latency_text(self) -> Text:
        if not self.measured:
            return Text(t("screen_scenario.measure_hint"), style="italic")
        text = Text()
        for rank, (region_id, ms) in enumerate(self.measured, start=1):
            name = self.catalog.regions[region_id].name.get(self.state.lang)
            if ms is None:
                text.append(f"   {MARK_FAIL}{gap()}{name}: {t('screen_scenario.not_measured')}\n")
            else:
                text.append(f"{rank:>2}. {MARK_OK}{gap()}{name}: {ms:.0f} ms\n")
        return text

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "measure":
            event.stop()
            self.measure_latency()
        # Next and Back: StepScreen.on_button_pressed runs too (Textual calls every class's).

    @work(exclusive=True, group="latency", exit_on_error=False)
    async def measure_latency(self) -> None:
        """Handshake with every region concurrently; the fastest suggests the callers' area."""
        result_view = self.query_one("#latency-result", Static)
        result_view.update(Text(t("screen_scenario.measuring")))
        self.query_one("#measure", Button).disabled = True
        try:
            results = await measure_with_options(self.services.probe_options)
        finally:
            self.query_one("#measure", Button).disabled = False
        self.measured = tuple((r.region, r.ms) for r in results)
        text = Text()
        rank = 0
        for r in results:
            name = self.catalog.regions[r.region].name.get(self.state.lang)
            if r.ms is None:
                problem = t(r.problem or "screen_scenario.latency_failed")
                text.append(f"    {MARK_FAIL}{gap()}{name}: {problem}\n")
            else:
                rank += 1
                text.append(f"{rank:>2}. {MARK_OK}{gap()}{name}: {r.ms:.0f} ms\n")
        fastest = next((r for r in results if r.ms is not None), None)
        near = self.query_one("#near", Select)
        if fastest is not None and near.value is Select.NULL:
            geo = self.catalog.regions[fastest.region].geo
            near.value = geo
            text.append(
                t("screen_scenario.near_from_latency", near=t(f"screen_scenario.near_{geo}"))
            )
        elif fastest is None:
            text.append(t("screen_scenario.nothing_measured"))
        result_view.update(text)

    # -- results ------------------------------------------------------------------------------
    def _answers(self) -> tuple[tuple[str, ...], str | None]:
        needs = tuple(n for n in NEEDS if self.query_one(f"#need-{n}", Checkbox).value)
        near_value = self.query_one("#near", Select).value
        near = near_value if isinstance(near_value, str) else None
        return needs, near

    def collect(self) -> WizardState:
        if not self.is_mounted:
            return self.state
        needs, near = self._answers()
        return dataclasses.replace(
            self.state,
            residency=self.residency,
            needs=needs,
            near=near,
            measured_latency=self.measured,
        )

    def submit(self) -> WizardState | None:
        if self.residency is None:
            self.show_status(t("screen_scenario.residency_required"))
            self.query_one("#residency").focus()
            return None
        if (refused := refusal(self.services.policy, "residency", self.residency)) is not None:
            self.show_status(refused)
            return None
        new = self.collect()
        before = (self.state.residency, self.state.needs, self.state.near)
        after = (new.residency, new.needs, new.near)
        if before != after and (self.state.residency is not None or new.region is None):
            # Other answers, other recommendation: the earlier choice of region is void.
            new = dataclasses.replace(new, recommendation=None, region=None, scope=None)
        return new
