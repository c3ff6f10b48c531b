"""The doctor screen: re-run the connectivity test on a saved profile, explain, report.

Opened from Welcome ("troubleshoot a profile"), from the command palette and by
`doctor --tui`. It shows the same rows and findings as the Connectivity step (`ProbeView`),
and saves the same redacted Markdown report as `doctor --report`, so support sees one
format whichever way the user ran it. The key is read from its store in a thread worker:
a keyring may block on an unlock prompt nobody can answer (SECURITY.md T7).
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
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from app import flow
from app.config.io import load_config, modify_config, update_verified
from app.config.region_switch import (
    owner_region,
    region_label,
    region_name,
    scope_label,
    switched_profile,
)
from app.config.write import atomic_write
from app.core.errors import UserError
from app.core.i18n import get_language, t
from app.findings.remedies import RemedyCommands
from app.secrets.key import ApiKey
from app.services import Services
from screens.parts.dialogs import ConfirmDialog, ConsentScreen
from screens.parts.probe_view import ProbeEventMessage, ProbeView, post_events_to
from screens.parts.textual_private import replace_bindings
from screens.widgets import DemoBanner, Prose, localized_bindings

if TYPE_CHECKING:  # only the types: the engine (httpx, ssl) loads when the probe runs
    from app.config.schema import Profile
    from app.findings.remedies import RemedyCommands
    from app.findings.report import DoctorReport
    from app.findings.results import ProbeResult


class DoctorScreen(Screen[Any]):
    """Doctor for one profile; dismisses (None) on Close / Esc."""

    # (key, action, locale key): labels are looked up per instance, in the current language.
    DOCTOR_BINDINGS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("escape", "close", "screen_doctor.close"),
        ("r", "retry", "screen_doctor.retry"),
    )
    DEFAULT_CSS = """
    DoctorScreen #doctor-body { padding: 0 1; height: 1fr; }
    DoctorScreen #doctor-scroll { height: 1fr; }
    DoctorScreen #doctor-title { text-style: bold; color: $text-accent; }
    DoctorScreen #doctor-subtitle { color: $text-muted; margin-bottom: 1; }
    DoctorScreen #doctor-actions { height: auto; margin-top: 1; }
    DoctorScreen #doctor-actions > Button { margin-right: 1; }
    DoctorScreen #doctor-status { height: auto; margin-top: 1; }
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
                yield Prose("", id="doctor-status", markup=False)
            with Horizontal(id="doctor-actions"):
                yield Button(t("screen_doctor.find_region"), id="doctor-find-region", compact=True)
                yield Button("", id="doctor-switch-region", variant="warning", compact=True)
                yield Button(
                    t("screen_doctor.retry"), id="doctor-retry", disabled=True, compact=True
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
        for button_id, key in (
            ("#doctor-find-region", "find_region"),
            ("#doctor-retry", "retry"),
            ("#doctor-report", "report"),
            ("#doctor-close", "close"),
        ):
            self.query_one(button_id, Button).label = t(f"screen_doctor.{key}")
        for banner in self.query(DemoBanner):
            banner.update(t("wizard.demo_banner"))
        self._set_status(*(self._status or ("", {})))
        self.query_one(ProbeView).relocalize()
        self._label_switch()
        self.refresh_bindings()

    def _set_status(self, key: str, params: dict[str, Any] | None = None) -> None:
        """Show a status line and remember it, so a language switch can redraw it."""
        params = params or {}
        self._status = (key, params) if key else None
        self.query_one("#doctor-status", Static).update(t(key, **params) if key else "")

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
        try:
            # Blocking keyring call: a thread, bounded, so the UI stays responsive.
            self.key = await asyncio.wait_for(
                asyncio.to_thread(store.get, p.name), timeout=self.services.keyring_timeout
            )
        except UserError as exc:
            self._set_status("screen_doctor.key_store_failed", {"error": exc.message})
            return
        except (asyncio.TimeoutError, OSError) as exc:
            self._set_status("screen_doctor.key_store_failed", {"error": type(exc).__name__})
            return
        if self.key is None:
            self._set_status(
                "screen_doctor.no_key", {"profile": p.name, "store": flow.describe_store(store)}
            )
            return
        self._set_status("")
        await self._run()

    async def _run(self, consent_all_regions: bool = False) -> None:
        view = self.query_one(ProbeView)
        self.query_one("#doctor-retry", Button).disabled = True
        self.query_one("#doctor-report", Button).disabled = True
        self.query_one("#doctor-find-region", Button).display = False
        self.query_one("#doctor-switch-region", Button).display = False
        self._consented = consent_all_regions
        p, key = self.profile, self.key
        if p is None or key is None:
            return
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
            view.show_result(self.result)
            self._record_verdict()
        self.query_one("#doctor-retry", Button).disabled = False
        self.query_one("#doctor-report", Button).disabled = self.result is None
        self._show_next_moves()

    # -- after a result: find the key's region, then offer to switch the profile (D21) --
    def _show_next_moves(self) -> None:
        """Offer the region search after a refusal; after the search, offer to switch the
        profile to the region that accepted the key. The focus goes to that offer or to the
        result itself, never to Retry: one Enter must not erase what was just found."""
        result = self.result
        find = self.query_one("#doctor-find-region", Button)
        switch = self.query_one("#doctor-switch-region", Button)
        find.display = flow.offers_region_search(result, self._consented)
        owner = self._owner_region()
        switch.display = False
        workspace = self.profile is not None and self.profile.endpoint_style == "workspace"
        if owner is not None and workspace:
            self._set_status(
                "screen_doctor.switch_needs_workspace",
                {"region": region_name(owner), "region_id": owner},
            )
        elif owner is not None:
            switch.display = True
            self._label_switch()
        if switch.display:
            switch.focus()
        elif find.display:
            find.focus()
        elif result is not None:
            self.query_one("#doctor-scroll", VerticalScroll).focus()

    def _owner_region(self) -> str | None:
        if self.result is None or self.profile is None:
            return None
        return owner_region(self.result, self.profile.region)

    def _label_switch(self) -> None:
        owner = self._owner_region()
        if owner is not None:
            label = t("screen_doctor.switch_region", region=region_name(owner))
            self.query_one("#doctor-switch-region", Button).label = label

    @on(Button.Pressed, "#doctor-find-region")
    def _find_region_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_find_region()

    def action_find_region(self) -> None:
        """The CLI's --all-regions, behind the wizard's consent dialog (safe answer: no)."""
        if self.profile is None or self.key is None:
            return
        hosts = flow.ownership_hosts(self.profile.region, self.profile.host)

        def answered(yes: bool | None) -> None:
            if yes:
                self._rerun(consent_all_regions=True)
            else:
                self._set_status("screen_connectivity.find_region_declined")

        self.app.push_screen(ConsentScreen(self.key.masked(), hosts), answered)

    @on(Button.Pressed, "#doctor-switch-region")
    def _switch_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_switch_region()

    def action_switch_region(self) -> None:
        """Point the profile at the region that accepted the key, after a confirmation."""
        owner = self._owner_region()
        if owner is None or self.profile is None:
            return
        try:
            switched = switched_profile(self.profile, owner)
        except UserError as exc:
            self._set_status("screen_doctor.switch_failed", {"error": exc.message})
            return
        params = {
            "profile": self.profile.name,
            "old": region_name(self.profile.region),
            "new": region_name(owner),
            "host": switched.host,
            "model": switched.model,
            "store": self._store_text or switched.api_key.store,
        }

        def answered(yes: bool | None) -> None:
            if yes:
                self._write_switch(owner)
            else:
                self._set_status("screen_doctor.switch_declined")

        dialog = ConfirmDialog(
            t("screen_doctor.switch_title", **params),
            t("screen_doctor.switch_body", **params),
            t("screen_doctor.switch_yes", **params),
            t("screen_doctor.switch_no"),
            default_yes=False,
        )
        self.app.push_screen(dialog, answered)

    def _write_switch(self, region: str) -> None:
        """Through the config write API (lock, backup, atomic): the profile as it is in the
        file now, with the new region; the key reference stays (the key is not touched)."""
        if self.profile is None:
            return
        name = self.profile.name
        try:
            config, _ = modify_config(
                self.services.config_path,
                lambda c: c.with_profile(switched_profile(c.profile(name), region)),
            )
        except UserError as exc:
            self._set_status("screen_doctor.switch_failed", {"error": exc.message})
            return
        self.profile = config.profile(name)
        self._show_subtitle()
        self.query_one("#doctor-switch-region", Button).display = False
        self._set_status(
            "screen_doctor.switch_done",
            {"profile": name, "region": region_name(region), "host": self.profile.host},
        )
        self.query_one("#doctor-retry", Button).focus()

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
        await self._run(consent_all_regions)

    @on(Button.Pressed, "#doctor-report")
    def _report_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save_report()

    def save_report(self) -> Path | None:
        """Write the redacted Markdown report next to the exports (0600, atomic)."""
        # lazy: the report module (importlib.metadata, platform: ~40 ms) loads when a
        # report is written, not when the doctor screen opens
        from app.findings.report import render_markdown

        p, result = self.profile, self.result
        if result is None or p is None:
            return None
        stamp = self.services.clock().strftime("%Y%m%d-%H%M%S")
        path = Path(self.services.export_dir) / f"modelstudio-doctor-{p.name}-{stamp}.md"
        try:
            text = render_markdown(self._report(p, result))
            written = atomic_write(path, text, secret=True, backup=False)
        except (UserError, OSError) as exc:
            message = exc.message if isinstance(exc, UserError) else type(exc).__name__
            self._set_status("screen_doctor.report_failed", {"error": message})
            return None
        self._set_status(
            "screen_doctor.report_saved", {"path": str(written.path), "mode": f"{written.mode:04o}"}
        )
        return written.path

    def _report(self, p: Profile, result: ProbeResult) -> DoctorReport:
        """The same report `doctor --report` writes: redacted, the key masked at most."""
        from app.findings.report import DoctorReport, environment  # lazy: see save_report

        env = environment(
            proxy=result.proxy,
            no_proxy=False,
            trust=result.trust.describe(),
            keyring_backend=None,
            key_source=self._store_text,
            key_masked=self.key.masked() if self.key is not None else None,
        )
        return DoctorReport(p.name, p.region, p.scope, p.model, result, env)

    @on(Button.Pressed, "#doctor-close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        self.workers.cancel_group(self, "doctor")
        self.dismiss(None)
