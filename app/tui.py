"""The Textual App: the wizard's flow driver, the doctor app, the palette and quitting.

The only module of app/ that imports Textual. The App is built by `make_app` with its
services injected (config path, key store, probe options, clock), so tests and the demo run
the very same App against a simulator and an in-memory key store instead of patching.

The flow is one driver coroutine awaiting typed step results, as in Textual's questions01
example (`push_screen_wait` in a `@work` method), except that it runs as a plain task so that
`app.workers` holds only real background work: a step dismisses with a new frozen
WizardState or with BACK.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import importlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from platformdirs import user_downloads_path
from textual.app import SystemCommand
from textual.binding import Binding, BindingsMap
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from app.core.catalog import load_catalog
from app.core.errors import UserError
from app.core.i18n import LANGUAGES, get_language, set_language, t
from app.core.text import inert
from app.services import Services
from app.state import BACK, STEPS, WizardState, reconcile_plan, reconcile_workspace
from screens.base import StepScreen
from screens.parts.requests import DoctorRequested
from screens.parts.textual_private import (
    CrashWithoutLocals,
    bindings_of,
    end_with_crash,
    replace_bindings,
)
from screens.widgets import SecretInput

ASSETS = Path(__file__).resolve().parent.parent / "assets"

# step id -> (module, class); imported when the step is reached so startup stays light.
STEP_SCREENS: dict[str, tuple[str, str]] = {
    "welcome": ("screens.welcome", "WelcomeScreen"),
    "scenario": ("screens.scenario", "ScenarioScreen"),
    "recommendation": ("screens.recommendation", "RecommendationScreen"),
    "workspace": ("screens.workspace", "WorkspaceScreen"),
    "apikey": ("screens.apikey", "ApiKeyScreen"),
    "connectivity": ("screens.connectivity", "ConnectivityScreen"),
    "export": ("screens.export", "ExportScreen"),
    "done": ("screens.done", "DoneScreen"),
}


def _screen_class(step: str) -> type[StepScreen]:
    module, name = STEP_SCREENS[step]
    cls: type[StepScreen] = getattr(importlib.import_module(module), name)
    return cls


def _doctor_screen(profile_name: str, services: Services) -> Screen[Any]:
    from screens.doctor import DoctorScreen  # lazy: loaded when the doctor is opened

    return DoctorScreen(profile_name, services)


class WizardApp(CrashWithoutLocals[WizardState | None]):
    """The wizard (or, with `doctor_profile`, just the doctor screen for one profile)."""

    CSS_PATH = str(ASSETS / "app.tcss")
    TITLE = "modelstudio-setup"
    ENABLE_COMMAND_PALETTE = True
    # (keys, action, locale key, show, priority); localised per instance like the steps.
    APP_BINDINGS: tuple[tuple[str, str, str, bool, bool], ...] = (
        ("ctrl+q", "quit", "wizard.binding.quit", True, True),
        ("f2", "switch_language", "wizard.binding.language", True, False),
        ("ctrl+p", "command_palette", "wizard.binding.palette", False, True),
    )

    def __init__(
        self,
        services: Services,
        state: WizardState,
        *,
        start_step: str = "welcome",
        doctor_profile: str | None = None,
    ) -> None:
        if start_step not in STEPS:
            raise ValueError(f"unknown step {start_step!r}")
        super().__init__()
        self.services = services
        self.state = state
        self.initial_state = state
        self.start_step = start_step
        self.doctor_profile = doctor_profile
        self.current_step = start_step
        self._flow: asyncio.Task[None] | None = None
        self._base_bindings: BindingsMap | None = None
        # The App speaks its state's language (F2 switches it) and gives the process its
        # language back when it ends (on_unmount): a test, or a second App in the same
        # process, never inherits this one's.
        self._language_before = get_language()
        set_language(state.lang)
        self._localize_bindings()

    # -- start --------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.doctor_profile is not None:
            self.push_screen(
                _doctor_screen(self.doctor_profile, self.services),
                callback=lambda _result: self.exit(None),
            )
        else:
            self._flow = asyncio.create_task(self._drive(), name="wizard-flow")

    def on_unmount(self) -> None:
        if self._flow is not None:
            self._flow.cancel()
        set_language(self._language_before)

    async def step(self, screen: Screen[Any]) -> Any:
        """Show one step and wait for its result (a WizardState or BACK).

        Equivalent to `push_screen_wait`, but awaited from a plain task instead of a
        long-lived worker, so `app.workers.wait_for_complete()` in tests waits for the
        step's own work (probes, keyring) and not for the whole wizard to end.
        """
        result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def dismissed(value: Any) -> None:
            if not result.done():
                result.set_result(value)

        await self.push_screen(screen, callback=dismissed)
        return await result

    async def _drive(self) -> None:
        try:
            await self.run_flow()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug: end like any crash, but without locals
            end_with_crash(self, error)

    async def run_flow(self) -> None:
        """Walk STEPS: each step gets the current state and returns the next one or BACK."""
        index = STEPS.index(self.start_step)
        while index < len(STEPS):
            step = STEPS[index]
            self.current_step = step
            screen = _screen_class(step)(self.state, self.services)
            result = await self.step(screen)
            if result is BACK:
                draft = getattr(screen, "draft", None)
                if isinstance(draft, WizardState):
                    self.state = self._adopt(draft)
                index = max(index - 1, 0)
            elif isinstance(result, WizardState):
                self.state = self._adopt(result)
                index += 1
            # Anything else (a screen popped without a result): show the same step again.
        self.exit(self.state)

    def _adopt(self, state: WizardState) -> WizardState:
        """The state a step handed back, with a plan or a workspace ID the region no longer
        has dropped and the user told which one and why (D16: it was kept and shown "valid")."""
        dropped = state.workspace_id
        lang = state.lang

        def name(region_id: str | None) -> str:
            region = load_catalog().regions.get(region_id or "")
            return region.name.get(lang) if region is not None else str(region_id)

        state, dropped_plan = reconcile_plan(state)
        if dropped_plan is not None:  # the region chosen later has no host of that plan
            plan = load_catalog().plan(dropped_plan)
            self.notify(
                t(
                    "wizard.plan_cleared",
                    plan=plan.name.get(lang),
                    region=name(state.region),
                    regions=", ".join(plan.hosts),
                ),
                severity="warning",
                timeout=20,
            )
        state, old_region = reconcile_workspace(state)
        if old_region is not None:
            self.notify(
                t(
                    "wizard.workspace_cleared",
                    workspace=dropped or "",
                    old=name(old_region),
                    new=name(state.region),
                ),
                severity="warning",
                timeout=20,
            )
        return state

    # -- language -----------------------------------------------------------------------------
    def _localize_bindings(self) -> None:
        """Our bindings with labels in the current language, over Textual's own ones."""
        if self._base_bindings is None:
            self._base_bindings = bindings_of(self).copy()
        bindings: BindingsMap = self._base_bindings.copy()
        for keys, action, label, show, priority in self.APP_BINDINGS:
            for key in keys.split(","):
                bindings.key_to_bindings[key] = [
                    Binding(key, action, t(label), show=show, priority=priority)
                ]
        replace_bindings(self, bindings)

    async def action_switch_language(self, lang: str | None = None) -> None:
        """Switch every visible text between English and Chinese, keeping the inputs."""
        current = self.state.lang
        new = lang if lang in LANGUAGES else LANGUAGES[(LANGUAGES.index(current) + 1) % 2]
        set_language(new)
        self.state = dataclasses.replace(self.state, lang=new)
        self._localize_bindings()
        for screen in list(self.screen_stack):
            if isinstance(screen, StepScreen):
                screen.state = dataclasses.replace(screen.state, lang=new)
                await screen.relocalize()
        self.refresh_bindings()

    # -- palette ------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.callback == self.action_quit:  # ours asks before losing input
                continue
            if command.title == "Screenshot":  # ours says where it went, or why not
                continue
            yield command
        yield SystemCommand(
            t("wizard.cmd.screenshot"), t("wizard.cmd.screenshot_help"), self.action_screenshot
        )
        yield SystemCommand(t("wizard.cmd.doctor"), t("wizard.cmd.doctor_help"), self.action_doctor)
        yield SystemCommand(
            t("wizard.cmd.language"), t("wizard.cmd.language_help"), self.action_switch_language
        )
        yield SystemCommand(t("wizard.cmd.quit"), t("wizard.cmd.quit_help"), self.action_quit)

    def screenshot_directory(self) -> Path | None:
        """Where a screenshot goes: Downloads when it exists (Textual's default), else the
        current directory, else the config file's folder; None when none is writable."""
        for candidate in (user_downloads_path(), Path.cwd(), self.services.config_path.parent):
            try:
                if candidate.is_dir() and os.access(candidate, os.W_OK):
                    return candidate
            except OSError:
                continue
        return None

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen and say where (E28: without ~/Downloads it failed with
        no reason). Refused while the key is shown in clear on screen."""
        if any(not field.password for field in self.screen.query(SecretInput)):
            self.notify(t("wizard.screenshot_key_shown"), severity="warning")
            return
        directory = Path(path) if path else self.screenshot_directory()
        if directory is None:
            self.notify(t("wizard.screenshot_nowhere"), severity="error", timeout=10)
            return
        try:
            saved = self.save_screenshot(filename, str(directory))
        except OSError as exc:
            reason = inert(exc.strerror or type(exc).__name__)
            self.notify(
                t("wizard.screenshot_failed", path=inert(str(directory)), reason=reason),
                severity="error",
                timeout=10,
            )
            return
        self.notify(t("wizard.screenshot_saved", path=inert(saved)), timeout=10)

    def action_doctor(self) -> None:
        self.push_screen(_doctor_screen(self.state.profile_name, self.services))

    def on_doctor_requested(self, message: DoctorRequested) -> None:
        """A step asks for the doctor of a saved profile (Welcome: troubleshoot one)."""
        self.push_screen(_doctor_screen(message.profile_name, self.services))

    # -- quitting -----------------------------------------------------------------------------
    def current_state(self) -> WizardState:
        """The state including the inputs of the step on screen."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, StepScreen):
                return screen.collect()
        return self.state

    def has_unsaved(self) -> bool:
        """True when the user entered something that Export has not written yet."""
        current = self.current_state()
        if current.written:
            return False
        baseline = dataclasses.replace(self.initial_state, lang=current.lang)
        return current != baseline

    async def action_quit(self) -> None:
        from screens.parts.dialogs import ConfirmDialog  # lazy: only when quitting asks

        # The state goes out either way: the last lines say what was written (D18).
        if not self.has_unsaved():
            self.exit(self.current_state())
            return
        if any(isinstance(s, ConfirmDialog) for s in self.screen_stack):
            return

        def answered(really: bool | None) -> None:
            if really:
                self.exit(self.current_state())

        self.push_screen(
            ConfirmDialog(
                t("wizard.quit.title"),
                t("wizard.quit.body"),
                t("wizard.quit.yes"),
                t("wizard.quit.no"),
                default_yes=False,
            ),
            callback=answered,
        )

    # -- errors -------------------------------------------------------------------------------
    def report_worker_error(self, worker: Worker[Any], state: WorkerState) -> None:
        """The one place a failed worker is reported: a notification, never a traceback.

        Only a UserError's own (key-free) message is shown; any other exception is named by
        its type, since its text may quote a header that carries the key (SECURITY.md T8).
        """
        if state != WorkerState.ERROR:
            return
        error = worker.error
        detail = error.message if isinstance(error, UserError) else type(error).__name__
        self.notify(t("wizard.worker_failed", error=detail), severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_error(event.worker, event.state)


_frozen = False


def _freeze_imports() -> None:
    """Move every object alive now (modules, classes, the parsed catalog and locales) out
    of the garbage collector's sight, once per process.

    They live as long as the process, yet each full collection walks them all: the wizard
    allocates enough before its first frame to set off the first one, which cost ~25 ms
    of the time to first paint (issue 8; the bare Textual app stays below its trigger).
    Only objects allocated later, the App's, are collected as usual.
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def make_app(
    services: Services,
    state: WizardState | None = None,
    *,
    start_step: str = "welcome",
    doctor_profile: str | None = None,
) -> WizardApp:
    """Build the wizard App with its services injected (real use, demo mode, tests)."""
    _freeze_imports()
    return WizardApp(
        services,
        state or WizardState(lang=get_language()),
        start_step=start_step,
        doctor_profile=doctor_profile,
    )
