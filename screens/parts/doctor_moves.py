"""The doctor screen's moves after a result (D21): find the key's region, then offer to
switch the profile to the region that accepted the key.

A base class of `DoctorScreen` (screens/doctor.py), so that the screen keeps to loading,
running and reporting, and this keeps to what a refusal leads to. It reads the screen's
state (profile, key, result) and calls back its status line and its re-run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button

from app import flow
from app.config.io import modify_config
from app.config.region_switch import owner_region, region_name, switched_profile
from app.core.errors import UserError
from app.core.i18n import t
from app.services import Services
from screens.parts.dialogs import ConfirmDialog, ConsentScreen

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.findings.results import ProbeResult
    from app.secrets.key import ApiKey


class DoctorMoves(Screen[Any]):
    """Region search and region switch; the screen provides the state and the callbacks."""

    services: Services
    profile: Profile | None
    key: ApiKey | None
    result: ProbeResult | None
    _consented: bool
    _store_text: str | None

    def _set_status(self, key: str, params: dict[str, Any] | None = None) -> None:
        raise NotImplementedError  # DoctorScreen's status line

    def _show_subtitle(self) -> None:
        raise NotImplementedError

    def _rerun(self, consent_all_regions: bool = False) -> Any:
        raise NotImplementedError  # DoctorScreen's run worker

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
