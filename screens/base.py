"""StepScreen: the frame every wizard step shares.

How to write a step (this is the contract between the flow driver and the screens):

    class ExportScreen(StepScreen):
        STEP = "export"                      # one of app.state.STEPS

        def compose_step(self) -> ComposeResult:
            yield Prose(...)                  # the step's own widgets, built from self.state

        def collect(self) -> WizardState:     # optional: the inputs as they are now
            return replace(self.state, ...)   # (kept by Back and by a language switch)

        def submit(self) -> WizardState | None:
            ...                               # validate; None = stay (call self.show_status)
            return replace(self.state, ...)   # the driver moves on with this state

The frame around `compose_step` is: the DEMO banner (when `state.demo`), the step list at the
side (current step marked, finished ones ticked), the step's title, a scrolling body, the nav
bar (Back / status line / Next) and the Footer with the bindings. Enter anywhere that does not
use Enter itself, the Next button, or Enter in an Input means Next; Esc or the Back button
means Back. Textual calls the handlers of every class in the MRO, so a subclass handling
Button.Pressed for its own buttons must not call super(): the base one runs anyway
(and ignores ids other than next/back). `submit` may also be async, or start a
dialog/worker and later call `self.finish(new_state)` itself (return None meanwhile).

The screen is a view of one frozen WizardState: `compose` reads `self.state` only, so a
language switch is `relocalize()` = collect the inputs, recompose (override it, calling
super(), when a step shows results that live outside `self.state`, e.g. a worker's verdict).
Screens hold no decisions: validation and recommendations come from app/.

Other knobs: `FOCUS` (CSS selector of the widget focused on entry; default the Next button;
a class-level `AUTO_FOCUS` is honoured the same way). The focused widget must make the step's
on-screen hint true: a list whose label says "↑/↓ to move" is focused, not Next (QA B13).
`STEP_BINDINGS` (extra keys as (keys, action, locale key, show); labels follow the
language), `title_text()` / `next_label()`, `show_status(message)` for the line between
Back and Next. Careful with attribute names: Screen already has `region`, `size`, `styles`.
Workers: a failed worker of a step is reported once, by `WizardApp.report_worker_error`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Static
from textual.worker import Worker

from app.core.i18n import t
from app.services import Services
from app.state import BACK, WizardState
from screens.parts.choices import ChoiceRadioSet
from screens.parts.textual_private import replace_bindings
from screens.widgets import DemoBanner, NavBar, Prose, StepList, localized_bindings


class StepScreen(Screen[Any]):
    """Base of every wizard step; see the module docstring for how to build one."""

    STEP: ClassVar[str] = ""
    # (keys, action, locale key of the footer label, shown in footer)
    STEP_BINDINGS: ClassVar[tuple[tuple[str, str, str, bool], ...]] = (
        ("escape", "back", "wizard.nav.back", True),
        ("enter", "next", "wizard.nav.next", True),
    )
    # Which widget gets the focus when the step opens (a CSS selector); None = Next button.
    FOCUS: ClassVar[str | None] = None

    AUTO_FOCUS: ClassVar[str | None] = "#next"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A step that declares Textual's own AUTO_FOCUS gets it too (QA B13: Export did, and
        # the frame used to override it with Next).
        declared = cls.AUTO_FOCUS
        own = declared if declared != Screen.AUTO_FOCUS else None
        cls.AUTO_FOCUS = cls.FOCUS or own or "#next"

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__()
        self.state = state
        self.services = services
        # What Back hands to the driver: the inputs of this step as they were left.
        self.draft: WizardState | None = None
        self._localize_bindings()

    # -- to override ---------------------------------------------------------------------------
    def compose_step(self) -> ComposeResult:
        yield Prose(self.STEP)

    def collect(self) -> WizardState:
        """The state with this step's inputs as they are now (no validation)."""
        return self.state

    def submit(self) -> WizardState | Awaitable[WizardState | None] | None:
        """Validate and return the next state, or None to stay on this step."""
        return self.collect()

    def title_text(self) -> str:
        return t(f"wizard.title.{self.STEP}")

    def next_label(self) -> str:
        return t("wizard.nav.next")

    @property
    def has_back(self) -> bool:
        return self.STEP != "welcome"

    # -- frame --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        if self.state.demo:
            yield DemoBanner()
        with Horizontal(id="frame"):
            yield StepList(self.STEP)
            with Vertical(id="step-body"):
                yield Prose(Text(self.title_text(), style="bold"), id="step-title")
                with VerticalScroll(id="step-content"):
                    yield from self.compose_step()
                yield NavBar(back=self.has_back, next_label=self.next_label())
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._initial_focus)

    def _step_content(self) -> VerticalScroll | None:
        """The scrolling body, or None once the screen has been left: these callbacks run
        after a refresh, and a step left quickly (Back from Done, CI seen) has no body any
        more by then."""
        found = self.query("#step-content").results(VerticalScroll)
        return next(found, None)

    def _initial_focus(self) -> None:
        if self._step_content() is None:
            return
        target = self.query(self.AUTO_FOCUS).first() if self.AUTO_FOCUS else None
        if target is None or not target.focusable:
            target = self.query_one("#next", Button)
        # Without scrolling: focusing a list would scroll its label (the hint that says how
        # to use it) out of view at 80x24; the step opens at its top.
        target.focus(scroll_visible=False)
        self.call_after_refresh(self._scroll_to_start, target)

    def _scroll_to_start(self, target: Widget) -> None:
        """The step from its top (E25: Workspace and Export opened past their first lines);
        scrolled only when the focused widget would otherwise not be on screen at all."""
        content = self._step_content()
        if content is None:
            return
        content.scroll_home(animate=False, immediate=True)
        self.call_after_refresh(self._show_focused, target)

    def _show_focused(self, target: Widget) -> None:
        content = self._step_content()
        if content is None or target not in content.walk_children():
            return
        if not content.region.overlaps(target.region):
            target.scroll_visible(animate=False, immediate=True)

    def _localize_bindings(self) -> None:
        """Footer labels in the current language (class-level BINDINGS cannot be translated)."""
        own = (
            Binding(keys, action, t(label), show=show)
            for keys, action, label, show in self.STEP_BINDINGS
        )
        replace_bindings(self, localized_bindings(own, self.BINDINGS))

    async def relocalize(self) -> None:
        """Redraw in the current language, keeping what the user typed."""
        self.state = self.collect()
        self._localize_bindings()
        await self.recompose()
        self._initial_focus()
        self.refresh_bindings()

    def show_status(self, message: str, *, error: bool = True) -> None:
        """The line next to the buttons (it wraps): why Next did not move on, or a hint."""
        mark = "✗ " if error else ""
        status = self.query_one("#nav-status", Static)
        status.update(Text(f"{mark}{message}"))
        status.tooltip = message
        self._status_error = error

    def clear_error(self) -> None:
        """The input the error was about is valid now: the reason goes (E24: a stale red
        "not a key" stayed after a valid key was pasted). A hint stays."""
        if getattr(self, "_status_error", False):
            self.show_status("", error=False)
            self.query_one("#nav-status", Static).tooltip = None

    # -- navigation ---------------------------------------------------------------------------
    async def action_next(self) -> None:
        result = self.submit()
        if inspect.isawaitable(result):
            result = await result
        if result is not None:
            self.finish(result)

    def finish(self, new_state: WizardState) -> None:
        """Leave the step with `new_state` (used directly by steps that confirm first)."""
        self.state = new_state
        self.dismiss(new_state)

    def action_back(self) -> None:
        if not self.has_back:
            return
        self.draft = self.collect()
        self.dismiss(BACK)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "next":
            event.stop()
            await self.action_next()
        elif event.button.id == "back":
            event.stop()
            self.action_back()

    async def on_choice_radio_set_continue(self, event: ChoiceRadioSet.Continue) -> None:
        event.stop()
        await self.action_next()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_next()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report = getattr(self.app, "report_worker_error", None)
        if report is not None:
            report(event.worker, event.state)
