"""The doctor screen: re-run the connectivity test on a saved profile, explain, report.

Opened from Welcome ("troubleshoot a profile"), from the command palette and by
`doctor --tui`. It shows the Connectivity step's rows and findings (`ProbeView`), what the
clients read (`ClientView`), and saves the report `doctor --report` writes, so support sees
one format whichever way the user ran it. The key is read from its store in a thread
worker: a keyring may block on an unlock prompt nobody can answer (SECURITY.md T7).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Footer, Static

from app import flow
from app.config.io import load_config, update_verified
from app.config.region_switch import (
    region_label,
    scope_label,
)
from app.core.errors import UserError
from app.core.i18n import get_language, t
from app.findings.remedies import RemedyCommands
from app.findings.series import DEFAULT_WATCH_INTERVAL as WATCH_INTERVAL
from app.findings.series import MAX_DURATION, MAX_RUNS
from app.secrets.key import ApiKey
from app.services import Services
from screens.parts.client_view import ClientView
from screens.parts.doctor_moves import DoctorMoves
from screens.parts.doctor_report import write_report
from screens.parts.latency_plot import LatencyPlot
from screens.parts.probe_view import ProbeEventMessage, ProbeView, post_events_to
from screens.parts.textual_private import replace_bindings
from screens.widgets import DemoBanner, Prose, localized_bindings

if TYPE_CHECKING:  # only the types: the engine (httpx, ssl) loads when the probe runs
    from app.config.schema import Profile
    from app.findings.remedies import RemedyCommands
    from app.findings.results import ProbeResult


class DoctorScreen(DoctorMoves):
    """Doctor for one profile; dismisses (None) on Close / Esc."""

    # (key, action, locale key): labels are looked up per instance, in the current language.
    DOCTOR_BINDINGS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("escape", "close", "screen_doctor.close"),
        ("r", "retry", "screen_doctor.retry"),
        ("w", "watch", "screen_doctor.watch"),
    )
    DEFAULT_CSS = """
    DoctorScreen #doctor-body { padding: 0 1; height: 1fr; }
    DoctorScreen #doctor-scroll { height: 1fr; }
    DoctorScreen #doctor-title { text-style: bold; color: $text-accent; }
    DoctorScreen #doctor-subtitle { color: $text-muted; margin-bottom: 1; }
    DoctorScreen #doctor-actions { height: auto; margin-top: 1; }
    DoctorScreen #doctor-actions > Button { margin-right: 1; }
    DoctorScreen #doctor-status { height: auto; margin: 1 0; }
    """

    def __init__(self, profile_name: str, services: Services) -> None:
        super().__init__()
        self.profile_name = profile_name
        self.services = services
        self.profile: Profile | None = None
        self.key: ApiKey | None = None
        self.result: ProbeResult | None = None
        self._store_text: str | None = None
        self._consented = False  # the last run had consent to try other regions
        self._status: tuple[str, dict[str, Any]] | None = None  # locale key + params
        self._lang = get_language()
        self._watcher: Timer | None = None  # Watch: the runs every WATCH_INTERVAL seconds
        self._watching_since = 0.0
        self._probe_busy = False
        self._localize_bindings()

    def _localize_bindings(self) -> None:
        # Screen's own bindings (Tab / Shift+Tab move the focus) are kept: replacing them
        # left "Close" the only button reachable from the keyboard (D21).
        own = (Binding(key, action, t(label)) for key, action, label in self.DOCTOR_BINDINGS)
        replace_bindings(self, localized_bindings(own, self.BINDINGS))

    def compose(self) -> ComposeResult:
        if self.services.demo_key is not None:
            yield DemoBanner()
        with Vertical(id="doctor-body"):
            yield Prose(
                t("screen_doctor.title", profile=self.profile_name),
                id="doctor-title",
                markup=False,
            )
            yield Prose("", id="doctor-subtitle", markup=False)
            with VerticalScroll(id="doctor-scroll"):
                yield ProbeView(id="probe")
                yield LatencyPlot(id="doctor-plot")
                yield Prose("", id="doctor-status", markup=False)
                yield ClientView(id="doctor-clients")
            with Horizontal(id="doctor-actions"):
                yield Button(t("screen_doctor.find_region"), id="doctor-find-region", compact=True)
                yield Button("", id="doctor-switch-region", variant="warning", compact=True)
                yield Button(
                    t("screen_doctor.retry"), id="doctor-retry", disabled=True, compact=True
                )
                yield Button(
                    t("screen_doctor.watch"), id="doctor-watch", disabled=True, compact=True
                )
                yield Button(
                    t("screen_doctor.report"), id="doctor-report", disabled=True, compact=True
                )
                yield Button(
                    t("screen_doctor.close"), id="doctor-close", variant="primary", compact=True
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#doctor-find-region", Button).display = False
        self.query_one("#doctor-switch-region", Button).display = False
        self.query_one("#doctor-close", Button).focus()
        # The app's language switch (F2, palette) relocalizes wizard steps only; it ends by
        # refreshing the bindings of the top screen, which is how this screen learns of it.
        self.bindings_updated_signal.subscribe(self, self._follow_language)
        self.load_and_run()

    def on_screen_resume(self) -> None:
        self._follow_language()  # switched while a dialog (the palette) was on top

    def _follow_language(self, _screen: Any = None) -> None:
        if self._lang != get_language() and self.is_mounted:
            self.relocalize()

    def relocalize(self) -> None:
        """Redraw every text in the current language, keeping the run and its result."""
        self._lang = get_language()
        self._localize_bindings()
        self.query_one("#doctor-title", Static).update(
            t("screen_doctor.title", profile=self.profile_name)
        )
        if self.profile is not None:
            self._show_subtitle()
        for key in ("find_region", "retry", "report", "close"):
            button = self.query_one(f"#doctor-{key.replace('_', '-')}", Button)
            button.label = t(f"screen_doctor.{key}")
        self._label_watch()
        self.query_one(LatencyPlot).relocalize()
        for banner in self.query(DemoBanner):
            banner.update(t("wizard.demo_banner"))
        self._set_status(*(self._status or ("", {})))
        self.query_one(ProbeView).relocalize()
        self.query_one(ClientView).relocalize()
        self._label_switch()
        self.refresh_bindings()

    def _set_status(self, key: str, params: dict[str, Any] | None = None) -> None:
        """Show a status line and remember it, so a language switch can redraw it."""
        params = params or {}
        self._status = (key, params) if key else None
        status = self.query_one("#doctor-status", Static)
        status.update(t(key, **params) if key else "")
        status.display = bool(key)  # an empty line would push the clients' section down

    def _show_subtitle(self) -> None:
        p = self.profile
        if p is None:
            return
        self.query_one("#doctor-subtitle", Static).update(
            t(
                "screen_doctor.subtitle",
                region=region_label(p.region),
                scope=scope_label(p.scope, with_id=False),
                host=p.host,
            )
        )

    # -- loading -------------------------------------------------------------------------
    @work(exclusive=True, group="doctor")
    async def load_and_run(self) -> None:
        try:
            config = load_config(self.services.config_path)
            self.profile = config.profile(self.profile_name)
        except UserError as exc:
            self._set_status("screen_doctor.bad_config", {"error": exc.message})
            return
        p = self.profile
        self._show_subtitle()
        store = flow.key_store_for(p, self.services)
        self._store_text = flow.describe_store(store)
        self._set_status("screen_doctor.loading_key", {"store": self._store_text})
        error = None
        try:
            # Blocking keyring call: a thread, bounded, so the UI stays responsive.
            self.key = await asyncio.wait_for(
                asyncio.to_thread(store.get, p.name), timeout=self.services.keyring_timeout
            )
        except UserError as exc:
            error = exc.message
        except (asyncio.TimeoutError, OSError) as exc:
            error = type(exc).__name__
        self.query_one(ClientView).read(self.services, p, self.key)  # keyless: keys not compared
        if error is not None:
            self._set_status("screen_doctor.key_store_failed", {"error": error})
        elif self.key is None:
            self._set_status(
                "screen_doctor.no_key", {"profile": p.name, "store": flow.describe_store(store)}
            )
        else:
            self._set_status("")
            await self._run()

    async def _run(self, consent_all_regions: bool = False) -> None:
        view = self.query_one(ProbeView)
        self.query_one("#doctor-retry", Button).disabled = True
        self.query_one("#doctor-report", Button).disabled = True
        self.query_one("#doctor-find-region", Button).display = False
        self.query_one("#doctor-switch-region", Button).display = False
        self._consented = consent_all_regions
        self.result = None
        p, key = self.profile, self.key
        if p is None or key is None:
            return
        self._probe_busy = True
        targets = flow.probe_targets(
            p.region, p.endpoint_style, p.workspace_id, p.model, p.scope, p.base_urls
        )
        view.start(targets)
        try:
            self.result = await flow.run_probe_checks(
                targets,
                key,
                self.services.probe_options,
                model=p.model,
                consent_all_regions=consent_all_regions,
                on_event=post_events_to(self),
            )
        except Exception as exc:  # shown by type only: an error text may quote a header
            view.show_error(t("screen_connectivity.crashed", error=type(exc).__name__))
        else:
            self.result.findings = self._remedies(p).apply(self.result.findings)
            if not self._merge_clients():  # not read yet: shown now, and again once merged
                view.show_result(self.result)
                self._record_verdict()
            clients = self.query_one(ClientView)
            if await clients.check_network(self.services, self.result, targets, key):
                self._merge_clients()
        self._probe_busy = False
        if self.result is not None:
            self.query_one(LatencyPlot).add(self.result)
        self.query_one("#doctor-retry", Button).disabled = False
        self.query_one("#doctor-watch", Button).disabled = False
        self.query_one("#doctor-report", Button).disabled = self.result is None
        if self._watcher is None:  # a watch keeps the focus where the user left it
            self._show_next_moves()

    # -- after a result: the region search and switch are DoctorMoves' (D21) ------------
    @on(Button.Pressed, "#doctor-find-region")
    def _find_region_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_find_region()

    @on(Button.Pressed, "#doctor-switch-region")
    def _switch_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_switch_region()

    def _remedies(self, profile: Profile) -> RemedyCommands:
        """The one remedy-command builder of `doctor`: this profile, this config file and
        this run's pins / CA file / proxy switch (D21)."""
        from app.probe.engine import ProbeOptions  # lazy: the engine pulls in httpx (~0.5 s)

        options = self.services.probe_options or ProbeOptions()
        return RemedyCommands.for_run(options, profile.name, self.services.config_path)

    def _record_verdict(self) -> None:
        """Like `doctor` on the CLI: remember the verdict on the profile (best effort)."""
        verdict = self.result.verdict if self.result is not None else None
        if verdict not in ("ok", "warn", "fail") or self.profile is None:
            return
        with contextlib.suppress(UserError, OSError):
            update_verified(
                self.services.config_path, self.profile.name, verdict, self.services.clock()
            )

    @on(ClientView.Read)
    def _merge_clients(self, _message: object = None) -> bool:
        """Client findings join the run's as on the CLI (verdict, exit code); True: merged now."""
        result, before = self.result, getattr(self.result, "verdict", None)
        if result is None or not self.query_one(ClientView).merge_into(result, self._remedies):
            return False
        self.query_one(ProbeView).show_result(result)
        self._record_verdict()
        on_result = getattr(self.services.probe_options, "on_result", None)
        if on_result is not None and result.verdict != before:  # the engine's call is older
            on_result(result)
        return True

    @on(ProbeEventMessage)
    def _on_probe_event(self, message: ProbeEventMessage) -> None:
        self.query_one(ProbeView).apply_event(message.event)

    # -- actions -------------------------------------------------------------------------
    @on(Button.Pressed, "#doctor-retry")
    def _retry_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_retry()

    def action_retry(self) -> None:
        if self.profile is None or self.key is None:
            self.load_and_run()
        else:
            self._set_status("")
            self._rerun()

    @work(exclusive=True, group="doctor")
    async def _rerun(self, consent_all_regions: bool = False) -> None:
        self.query_one(ClientView).read(self.services, self.profile, self.key)
        await self._run(consent_all_regions)

    @on(Button.Pressed, "#doctor-report")
    def _report_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save_report()

    def save_report(self) -> Path | None:
        """Write the redacted Markdown report next to the exports (0600, atomic): the one
        `doctor --report` writes, with what the clients read."""
        p, result = self.profile, self.result
        if result is None or p is None:
            return None
        clients = self.query_one(ClientView).report_json
        try:
            written = write_report(
                self.services, p, result, key=self.key, key_source=self._store_text, clients=clients
            )
        except (UserError, OSError) as exc:
            message = exc.message if isinstance(exc, UserError) else type(exc).__name__
            self._set_status("screen_doctor.report_failed", {"error": message})
            return None
        self._set_status(
            "screen_doctor.report_saved", {"path": str(written.path), "mode": f"{written.mode:04o}"}
        )
        return written.path

    @on(Button.Pressed, "#doctor-close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    @on(Button.Pressed, "#doctor-watch")
    def _watch_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_watch()

    def action_watch(self) -> None:
        """Watch: run the checks again every WATCH_INTERVAL seconds, plotting each run, until
        pressed again, Close, or the bounds of `doctor --watch` (runs, duration)."""
        if self._watcher is not None:
            self._stop_watch("screen_doctor.watch_stopped")
            return
        if self.profile is None or self.key is None:
            return
        self._watching_since = self.services.clock().timestamp()
        self._watcher = self.set_interval(WATCH_INTERVAL, self._on_watch_interval)
        self._label_watch()
        self._set_status(
            "screen_doctor.watch_on",
            {"interval": f"{WATCH_INTERVAL:g}", "minutes": f"{MAX_DURATION / 60:g}"},
        )
        if not self._probe_busy:
            self._rerun()

    def _on_watch_interval(self) -> None:
        runs = len(self.query_one(LatencyPlot).samples)
        elapsed = self.services.clock().timestamp() - self._watching_since
        if runs >= MAX_RUNS or elapsed >= MAX_DURATION:
            self._stop_watch("screen_doctor.watch_ended")
        elif not self._probe_busy:  # a run slower than the interval is not stacked
            self._rerun()

    def _stop_watch(self, status: str) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        self._watcher = None
        self._label_watch()
        self._set_status(status, {"runs": len(self.query_one(LatencyPlot).samples)})

    def _label_watch(self) -> None:
        key = "screen_doctor.watch_stop" if self._watcher is not None else "screen_doctor.watch"
        self.query_one("#doctor-watch", Button).label = t(key)

    def action_close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        self.workers.cancel_group(self, "doctor")
        self.dismiss(None)
