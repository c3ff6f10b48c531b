"""Step 5, Connectivity: the probe engine run live, one row per API surface.

The rows fill in while the probe runs, so a slow TLS handshake is visible as it happens
instead of after a silent wait. They are drawn by `ProbeView` (screens/parts/probe_view.py,
shared with the doctor screen); what to probe, with which options, and when to offer the
region search are app.flow's answers. Back from Export, the result of this very setup is
shown again (not re-run unasked: a run sends the key).

After a result, two moves a user would otherwise make by hand: when the region search found
the plan host that accepts the key ("a Singapore Token Plan key": sk-sp- keys of both plans
look alike, only the search tells them apart), "Use that host" points the setup there and
tests again; when the key's model list could be read, the profile's model is chosen from it
(the models the service says this key can call in this scope), and a change is tested at once.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Select, Static

from app import flow
from app.core.errors import UserError
from app.core.i18n import t
from app.services import Services
from app.state import WizardState, probe_inputs, with_plan
from screens.base import StepScreen
from screens.parts.dialogs import ConfirmDialog, ConsentScreen
from screens.parts.probe_view import ProbeEventMessage, ProbeView, post_events_to
from screens.widgets import Prose

if TYPE_CHECKING:  # only the type: the engine (httpx, ssl) loads when the probe runs
    from app.findings.results import ProbeResult


class ConnectivityScreen(StepScreen):
    """Step 5: test the endpoint just configured, explain failures, allow Retry and Back."""

    STEP = "connectivity"

    def __init__(self, state: WizardState, services: Services) -> None:
        # A result of this very setup (Back from Export) is shown again, not re-run unasked.
        same = state.probe_result is not None and state.probed_for == probe_inputs(state)
        self._result: ProbeResult | None = state.probe_result if same else None
        self._consented = False
        super().__init__(state, services)

    def compose_step(self) -> ComposeResult:
        model = self.state.model or "-"
        yield Prose(t("screen_connectivity.intro", model=model), id="conn-intro", markup=False)
        with Horizontal(id="conn-actions", classes="row"):
            yield Button(t("screen_connectivity.retry"), id="conn-retry", compact=True)
            yield Button(t("screen_connectivity.find_region"), id="conn-find-region", compact=True)
            yield Button("", id="conn-use-plan", compact=True)
            # Beside Retry, not above the rows: at 80x24 the three rows stay on screen.
            yield Prose(t("screen_connectivity.model_label"), id="conn-model-label")
            yield Select[str]([], id="conn-model", allow_blank=True, compact=True)
        yield Prose("", id="conn-hint", markup=False)
        yield ProbeView(id="probe", result=self._result)

    def on_mount(self) -> None:
        self._hide_moves()
        self._hint("")
        if self._result is not None:  # back from Export: the result stands unless asked
            self._show_next_moves()
            self._ask_rerun()
            return
        self.run_probe(consent_all_regions=False)

    def _ask_rerun(self) -> None:
        """Running the test sends the key again: ask, and keep the result by default."""
        key = self.state.api_key
        hosts = flow.probed_hosts(self._result)

        def answered(again: bool | None) -> None:
            if again:
                self.run_probe(consent_all_regions=False)
            else:
                self.show_status(t("screen_connectivity.rerun_kept"), error=False)

        self.app.push_screen(
            ConfirmDialog(
                t("screen_connectivity.rerun_title"),
                t(
                    "screen_connectivity.rerun_body",
                    key=key.masked() if key is not None else "…",
                    hosts=", ".join(hosts) or "-",
                ),
                t("screen_connectivity.rerun_yes"),
                t("screen_connectivity.rerun_no"),
                default_yes=False,
            ),
            answered,
        )

    def _hint(self, text: str) -> None:
        hint = self.query_one("#conn-hint", Static)
        hint.update(text)
        hint.display = bool(text)

    # -- probe ---------------------------------------------------------------------------
    @work(exclusive=True, group="probe")
    async def run_probe(self, consent_all_regions: bool = False) -> None:
        view = self.query_one(ProbeView)
        self._hide_moves()
        self._hint("")
        s = self.state
        if s.api_key is None:
            view.show_error(t("screen_connectivity.no_key"))
            return
        self._intro()
        targets = flow.state_targets(s)
        view.start(targets)
        try:
            result = await flow.run_probe_checks(
                targets,
                s.api_key,
                self.services.probe_options,
                model=s.model,
                consent_all_regions=consent_all_regions,
                on_event=post_events_to(self),
            )
        except UserError as exc:  # unusable settings (CA file, proxy variables): say which
            view.show_error(t("screen_connectivity.crashed", error=exc.message))
            return
        except Exception as exc:  # named by type only: an error text may quote a header
            view.show_error(t("screen_connectivity.crashed", error=type(exc).__name__))
            return
        self._result = result
        self._consented = consent_all_regions
        view.show_result(result)
        self._show_next_moves()

    def _intro(self) -> None:
        model = self.state.model or "-"
        self.query_one("#conn-intro", Static).update(t("screen_connectivity.intro", model=model))

    def _hide_moves(self) -> None:
        for selector in ("#conn-find-region", "#conn-use-plan", "#conn-model", "#conn-model-label"):
            self.query_one(selector).display = False

    def _show_next_moves(self) -> None:
        """After a result: offer the region search (401, no consent yet), the plan host it
        found, the key's listed models, and say what Back is for when something failed."""
        result = self._result
        if result is None:
            return
        self._offer_plan(result)
        self._offer_models(result)
        offer = flow.offers_region_search(result, self._consented)
        self.query_one("#conn-find-region", Button).display = offer
        if offer:
            hint = t("screen_connectivity.find_region_hint")
            self._hint(hint + "\n" + t("screen_connectivity.back_hint"))
        elif result.verdict == "fail":
            self._hint(t("screen_connectivity.back_hint"))
        else:
            self._hint("")

    async def relocalize(self) -> None:
        """Language switch: redraw, then restore what only exists after a result."""
        await super().relocalize()
        self._show_next_moves()
        if self._result is None:
            self._hide_moves()
            self._hint("")

    def _offer_plan(self, result: ProbeResult) -> None:
        found = flow.plan_found(result)
        button = self.query_one("#conn-use-plan", Button)
        button.display = found is not None and found != (self.state.plan, self.state.region)
        if found is not None:
            button.label = t("screen_connectivity.use_plan", **flow.plan_words(*found))

    def _offer_models(self, result: ProbeResult) -> None:
        """The key's listed models as the profile's model (the current one first when the
        list lacks it: the finding above says so)."""
        listed = flow.offered_models(result)
        select = self.query_one("#conn-model", Select)
        shown = bool(listed)
        select.display = shown
        self.query_one("#conn-model-label").display = shown
        if not shown:
            return
        model = self.state.model
        # Text, not markup: the names come from the service.
        options = [(Text(name), name) for name in listed]
        if model and model not in listed:
            options.insert(0, (Text(t("screen_connectivity.model_unlisted", model=model)), model))
        with self.prevent(Select.Changed):
            select.set_options(options)
            if model:
                select.value = model

    @on(Select.Changed, "#conn-model")
    def _model_chosen(self, event: Select.Changed) -> None:
        """Another model of the key's list: the setup changes, and is tested again (the key
        goes to the hosts it just went to)."""
        event.stop()
        if not isinstance(event.value, str) or event.value == self.state.model:
            return
        self.state = dataclasses.replace(self.state, model=event.value)
        self.show_status(t("screen_connectivity.model_changed", model=event.value), error=False)
        self.run_probe(consent_all_regions=False)

    @on(Button.Pressed, "#conn-use-plan")
    def _use_plan(self, event: Button.Pressed) -> None:
        """Point the setup at the plan host the search found, and test it there."""
        event.stop()
        found = flow.plan_found(self._result)
        if found is None:
            return
        self.state = with_plan(self.state, found[0], found[1], self.state.plan_edition)
        words = flow.plan_words(*found)
        self.show_status(t("screen_connectivity.plan_chosen", **words), error=False)
        self.run_probe(consent_all_regions=False)

    @on(ProbeEventMessage)
    def _on_probe_event(self, message: ProbeEventMessage) -> None:
        self.query_one(ProbeView).apply_event(message.event)

    @on(Button.Pressed, "#conn-retry")
    def _retry(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_probe(consent_all_regions=False)

    @on(Button.Pressed, "#conn-find-region")
    def _find_region(self, event: Button.Pressed) -> None:
        event.stop()
        key = self.state.api_key
        masked = key.masked() if key is not None else "…"

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_probe(consent_all_regions=True)
            else:
                self._hint(t("screen_connectivity.find_region_declined"))

        hosts = flow.other_region_hosts(self.state)
        self.app.push_screen(ConsentScreen(masked, hosts), answered)

    def collect(self) -> WizardState:
        """The state this step hands on: the last probe result (None when never finished).

        Next is allowed after a failed test too: the user may save a profile for a network
        they are not on right now; Done and doctor say it was not verified.
        """
        probed_for = probe_inputs(self.state) if self._result is not None else None
        return dataclasses.replace(self.state, probe_result=self._result, probed_for=probed_for)
