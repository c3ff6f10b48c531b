"""Step 0, Welcome: what will happen, what will be written where, and which profile.

Before asking anything, the user learns that nothing is written until Export (except the key
store, after an explicit confirmation) and where each file goes. Existing profiles are found
in the config file: the user can edit one, troubleshoot one (the doctor screen), replace
its key (checked live first, parts/key_replace) or create a new one. The language switches
live here. A key another tool left in plain text (the bl CLI's config, a `.env`,
~/.bashrc) is offered a move into the OS keyring (parts/key_offer).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, RadioSet, Select

from app.config.io import load_config
from app.config.policy_rules import wizard_pins
from app.core.errors import UserError
from app.core.i18n import LANGUAGES, t
from app.core.names import check_profile_name
from app.services import Services
from app.state import WizardState
from screens.base import StepScreen
from screens.parts.choices import ChoiceRadioSet, MarkedRadioButton
from screens.parts.key_offer import KeyOffer, KeyOffers, KeyOfferScanned, deliver, start_profile
from screens.parts.key_replace import KeyReplaceScreen
from screens.parts.policy_banner import PolicyBanner
from screens.parts.requests import DoctorRequested
from screens.widgets import MARK_WARN, Prose, gap

if TYPE_CHECKING:
    from app.config.schema import Config, Profile

ACTIONS = ("new", "edit", "troubleshoot", "replace_key")
LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}


class WelcomeScreen(StepScreen):
    STEP = "welcome"
    FOCUS: ClassVar[str | None] = None  # Next: Enter starts the wizard

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__(state, services)
        self._config, self._config_problem = self._load_profiles()
        # A profile of that name exists (e.g. `--profile work`, or "default" on a second
        # run): editing it is the likelier wish than creating "default-2".
        existing = state.profile_name in self.profile_names
        self._action = "edit" if state.editing_existing or existing else "new"
        # Kept here, not in the widget: a language switch recomposes the step. The demo
        # looks for nothing (its profile is not the user's).
        demo = services.demo_key is not None or state.demo
        self._offers = KeyOffers(None if demo else start_profile(self._config, state.profile_name))

    def _load_profiles(self) -> tuple[Config | None, str | None]:
        """The existing config, or why it could not be read (then only "new" is offered)."""
        try:
            return load_config(self.services.config_path), None
        except UserError as exc:
            return None, exc.message

    @property
    def profile_names(self) -> list[str]:
        return list(getattr(self._config, "profiles", {}) or {})

    def _suggested_name(self) -> str:
        names = set(self.profile_names)
        if self.state.editing_existing or self.state.profile_name not in names:
            return self.state.profile_name
        n = 2
        while f"{self.state.profile_name}-{n}" in names:
            n += 1
        return f"{self.state.profile_name}-{n}"

    def compose_step(self) -> ComposeResult:
        yield KeyOffer(self.services, self._offers, id="key-offer")  # hidden until one is found
        if self.services.policy is not None:  # which team policy applies, and what it pins
            yield PolicyBanner(self.services.policy)
        yield Prose(t("screen_welcome.intro"), id="welcome-intro")
        yield Prose(
            Text(
                t(
                    "screen_welcome.writes",
                    config=str(self.services.config_path),
                    exports=str(self.services.export_dir),
                )
            ),
            id="welcome-writes",
        )
        yield Prose(t("screen_welcome.language"), classes="field-label")
        with RadioSet(id="language"):
            for lang in LANGUAGES:
                yield MarkedRadioButton(LANGUAGE_NAMES[lang], value=lang == self.state.lang)
        if self._config_problem:
            problem = t("screen_welcome.config_unreadable", problem=self._config_problem)
            yield Prose(
                Text(f"{MARK_WARN}{gap()}{problem}"),
                classes="field-status -warning",
                id="config-problem",
            )
        names = self.profile_names
        if names:
            yield Prose(
                t("screen_welcome.found", count=len(names), path=str(self.services.config_path)),
                classes="field-label",
            )
            yield ChoiceRadioSet(
                *(
                    MarkedRadioButton(t(f"screen_welcome.action_{a}"), value=a == self._action)
                    for a in ACTIONS
                ),
                highlight=ACTIONS.index(self._action),
                id="action",
            )
            selected = self.state.profile_name if self.state.profile_name in names else names[0]
            yield Select([(n, n) for n in names], value=selected, allow_blank=False, id="existing")
        yield Prose(t("screen_welcome.profile_name"), classes="field-label tight")
        yield Input(
            self._suggested_name(),
            id="profile-name",
            disabled=self._action != "new",
            select_on_focus=False,
        )

    # -- events -------------------------------------------------------------------------------
    def on_key_offer_scanned(self, message: KeyOfferScanned) -> None:
        deliver(self, self._offers, message)

    async def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if event.radio_set.id == "language":
            lang = LANGUAGES[event.index]
            if lang != self.state.lang:
                await self.app.run_action(f"switch_language('{lang}')")
        elif event.radio_set.id == "action":
            self._action = ACTIONS[event.index]
            self.query_one("#profile-name", Input).disabled = self._action != "new"

    # -- results ------------------------------------------------------------------------------
    def _selected_profile(self) -> str | None:
        if not self.profile_names:
            return None
        value = self.query_one("#existing", Select).value
        return value if isinstance(value, str) else None

    def collect(self) -> WizardState:
        if not self.is_mounted:
            return self.state
        name = self.query_one("#profile-name", Input).value.strip()
        return dataclasses.replace(self.state, profile_name=name or self.state.profile_name)

    def submit(self) -> WizardState | None:
        if self._action == "troubleshoot":
            name = self._selected_profile()
            if name is not None:
                self.post_message(DoctorRequested(name))
            return None
        if self._action == "replace_key":  # `key rotate` in a dialog (parts/key_replace)
            name = self._selected_profile()
            if name is not None and self._config is not None:
                dialog = KeyReplaceScreen(self._config.profiles[name], self.services)
                self.app.push_screen(dialog, self._replaced)
            return None
        if self._action == "edit":
            name = self._selected_profile()
            if name is None:
                return None
            assert self._config is not None  # names come from it
            profile = self._config.profiles[name]
            return self._prefill(profile)
        name = self.query_one("#profile-name", Input).value.strip()
        try:
            check_profile_name(name)
        except UserError as exc:
            self.show_status(exc.message)
            return None
        if name in self.profile_names:
            self.show_status(t("screen_welcome.name_taken", name=name))
            return None
        pinned = dataclasses.replace(self.state, profile_name=name, editing_existing=False)
        return wizard_pins(self.services.policy, pinned)  # the policy's pins are preselected

    def _replaced(self, status: str | None) -> None:
        if status:
            self.show_status(status, error=False)

    def _prefill(self, profile: Profile) -> WizardState:
        """Start from a saved profile: every later step shows its values as the defaults."""
        return dataclasses.replace(
            self.state,
            profile_name=profile.name,
            editing_existing=True,
            residency=profile.residency,
            region=profile.region,
            scope=profile.scope,
            endpoint_style=profile.endpoint_style,
            plan=profile.plan,
            plan_edition=profile.plan_edition,
            workspace_id=profile.workspace_id,
            workspace_region=profile.region if profile.workspace_id else None,
            model=profile.model,
            key_store=profile.api_key.store,
            key_env=profile.api_key.env,
        )
