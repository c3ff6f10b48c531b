"""Step 4, API key: a secret input, a masked preview, and where the key will be kept.

The key is the one secret this tool handles (SECURITY.md T6-T9). It is typed into a
SecretInput (no copy, no cut, no select-on-focus), shown back only masked (`sk-…a1b2`),
checked for shape by app.secrets.key, and written to a store only after the user confirms in a
dialog. A key already known (typed earlier, or the demo key) is never put back into a widget:
an empty field means "keep it".

Keyring calls block and may hang on an unlock prompt nobody can see (SSH, CI, WSL), so the
probe, the read of a saved key and the write each run in a thread worker with a timeout;
the thread only posts messages, the screen updates widgets, and the UI never freezes.
"""

from __future__ import annotations

import dataclasses
import time
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from app import flow
from app.config.policy_rules import refusal
from app.core.catalog import load_catalog
from app.core.i18n import t
from app.secrets.key import ApiKey, InvalidApiKey
from app.secrets.keyring import KeyringStatus
from app.services import Services
from app.state import WizardState, with_plan
from screens.base import StepScreen
from screens.parts import key_jobs
from screens.parts.choices import ChoiceRadioSet, MarkedCheckbox, MarkedRadioButton
from screens.parts.dialogs import ConfirmDialog
from screens.parts.key_texts import key_check, keyring_verdict, store_label
from screens.parts.plan_offer import PlanOffer
from screens.widgets import CopyLine, Prose, SecretInput

STORES = ("keyring", "env", "file")


class ApiKeyScreen(StepScreen):
    STEP = "apikey"
    FOCUS: ClassVar[str | None] = "#api-key"
    STEP_BINDINGS = (
        *StepScreen.STEP_BINDINGS,
        ("ctrl+t", "toggle_key", "screen_apikey.binding_toggle", True),
    )

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__(state, services)
        self.catalog = load_catalog()
        self.known_key: ApiKey | None = state.api_key or self._demo_key()
        if state.demo and state.api_key in (services.demo_key, services.demo_plan_key):
            self.known_key = self._demo_key()  # the demo's key for the host chosen now
        self.keyring: KeyringStatus | None = None
        self.keyring_problem: str | None = None
        self.probe_started = 0.0
        self.store = state.key_store if state.key_store in STORES else "keyring"
        self._store_chosen = state.key_store in STORES
        self.saved_key: ApiKey | None = None  # read back from the profile's store (editing)
        self._ticker: Timer | None = None
        self._writing = False
        self._declined_store = False  # "Not now" was answered: say what happens instead

    def _demo_key(self) -> ApiKey | None:
        """The demo's key for the setup: its plan key on a plan host (the demo's plan path),
        else its pay-as-you-go key; None outside the demo."""
        plan_key = self.services.demo_plan_key
        if self.state.endpoint_style == "plan" and plan_key is not None:
            return plan_key
        return self.services.demo_key

    # -- layout -------------------------------------------------------------------------------
    def compose_step(self) -> ComposeResult:
        region = self.catalog.regions.get(self.state.region or "", None)
        if region is not None:
            yield Prose(
                Text(t("screen_apikey.where", region=region.name.get(self.state.lang))),
                classes="tight",
            )
            # On a line of its own, never folded inside the URL (E25).
            yield CopyLine(region.console_api_keys, id="console-url")
        yield Prose(t("screen_apikey.key_label"), classes="field-label tight")
        with Horizontal(classes="row"):
            yield SecretInput(
                placeholder=self._placeholder(),
                id="api-key",
            )
            yield Button(t("screen_apikey.show"), id="toggle-visibility", compact=True)
        yield Prose(self._preview(""), id="key-preview", classes="field-status")
        yield PlanOffer(self.state, id="plan-offer")  # a plan key on a pay-as-you-go host
        yield Prose(t("screen_apikey.store_label"), classes="field-label tight")
        # Enter goes on with the highlighted store, as the footer's "Enter: Next" says.
        yield ChoiceRadioSet(
            *(
                MarkedRadioButton(
                    self._store_label(kind), value=kind == self.store, id=f"store-{kind}"
                )
                for kind in STORES
            ),
            highlight=STORES.index(self.store),
            enter_continues=True,
            id="store",
        )
        # The path in a wrapping Static, the box short: a long label inside a Checkbox is cut
        # at the edge, and the user must read where the plain-text key goes (QA B30, T6).
        yield Prose(
            Text(t("screen_apikey.file_consent", path=self._location("file"))),
            id="file-consent-text",
            classes="hint tight",
        )
        yield MarkedCheckbox(t("screen_apikey.file_consent_box"), False, id="file-consent")
        yield Prose("", id="keyring-status")
        yield Prose("", id="store-explain", classes="hint")

    def _placeholder(self) -> str:
        if self.known_key is None:
            return t("screen_apikey.placeholder")
        # The demo's key for another host (its plan key on a plan host) is not "kept".
        swapped = self.state.demo and self.known_key != self.state.api_key
        key = (
            "screen_apikey.placeholder_demo"
            if self.state.api_key is None or swapped
            else ("screen_apikey.placeholder_kept")
        )
        return t(key, masked=self.known_key.masked())

    def _location(self, kind: str) -> str:
        try:
            return self.services.key_store_factory(kind).location(self.state.profile_name)
        except Exception:  # a store that cannot even describe itself is reported on use
            return kind

    def _store_label(self, kind: str) -> str:
        return store_label(kind, self.state, self.keyring, self.keyring_problem)

    def on_mount(self) -> None:
        self._update_store_widgets()
        self.probe_started = time.monotonic()
        self._ticker = self.set_interval(0.5, self._tick_probe)
        self._tick_probe()
        self.query_one(PlanOffer).show_for(self.state, self.known_key)
        self.probe_keyring()
        if self.known_key is None and self.state.editing_existing and self.state.key_store:
            self.load_saved_key()

    # -- key preview ----------------------------------------------------------------------------
    def _preview(self, raw: str) -> Text:
        return self._check(raw)[0]

    def _check(self, raw: str) -> tuple[Text, str]:
        return key_check(raw, self.known_key, self.state)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "api-key":
            return
        event.stop()
        text, status_class = self._check(event.value)
        preview = self.query_one("#key-preview", Static)
        preview.remove_class("-invalid", "-warning", "-valid")
        if status_class:
            preview.add_class(status_class)
        preview.update(text)
        if status_class in ("-valid", "-warning"):
            self.clear_error()
        try:
            typed = self._typed_key()
        except InvalidApiKey:
            typed = None
        self.query_one(PlanOffer).show_for(self.state, typed)

    def on_plan_offer_chosen(self, message: PlanOffer.Chosen) -> None:
        """A plan host of this region for the plan key: the setup moves there (Back shows
        it on the Workspace step; the test says if the key is of the other plan)."""
        self.state = with_plan(self.state, message.plan, self.state.region or "")
        self.query_one(PlanOffer).show_for(self.state, self._typed_key())
        host = flow.plan_words(message.plan, self.state.region or "")
        self.show_status(t("screen_apikey.plan_chosen", **host), error=False)

    def on_secret_input_copy_refused(self, event: SecretInput.CopyRefused) -> None:
        self.show_status(t("wizard.copy_refused"), error=False)

    # -- store choice ---------------------------------------------------------------------------
    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id != "store":
            return
        event.stop()
        self.store = STORES[event.index]
        self._store_chosen = True
        self._update_store_widgets()

    def _update_store_widgets(self) -> None:
        self.query_one("#file-consent", Checkbox).display = self.store == "file"
        self.query_one("#file-consent-text", Static).display = self.store == "file"
        explain = t(
            f"screen_apikey.explain_{self.store}",
            var=self.state.key_env,
            path=self._location("file"),
        )
        if self._declined_store and self.store == "env":
            explain = t("screen_apikey.declined_explain", var=self.state.key_env) + "\n" + explain
        if self.state.demo and self.store != "env":
            # The demo never reaches the OS keyring: say where the key really goes (D18).
            explain = t("screen_apikey.explain_demo", path=self._location("file"))
        self.query_one("#store-explain", Static).update(Text(explain))
        for kind in STORES:
            self.query_one(f"#store-{kind}", RadioButton).label = self._store_label(kind)
        keyring_button = self.query_one("#store-keyring", RadioButton)
        keyring_button.disabled = self.keyring is not None and not self.keyring.available

    def _tick_probe(self) -> None:
        if self.keyring is not None or self.keyring_problem is not None:
            return
        waited = time.monotonic() - self.probe_started
        self.query_one("#keyring-status", Static).update(
            Text(
                t(
                    "screen_apikey.probing",
                    seconds=f"{waited:.0f}",
                    limit=f"{self.services.keyring_timeout:.0f}",
                )
            )
        )

    @work(thread=True, exclusive=True, group="keyring-probe", exit_on_error=False)
    def probe_keyring(self) -> None:
        """Ask the keyring whether it can be trusted; off the UI thread, bounded in time."""
        self.post_message(key_jobs.ask_keyring(self.services))

    def on_keyring_probed(self, message: key_jobs.KeyringProbed) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        self.keyring = message.status
        self.keyring_problem = message.problem
        usable = message.status is not None and message.status.available
        if not usable and self.store == "keyring" and not self._store_chosen:
            # The default cannot be used: move to the one that writes nothing, visibly.
            self.store = "env"
            with self.prevent(RadioSet.Changed):
                self.query_one("#store-env", RadioButton).value = True
        self._render_keyring()
        self._update_store_widgets()

    def _render_keyring(self) -> None:
        """The probe's verdict under the store choice (nothing yet while it runs)."""
        if self.keyring is None and self.keyring_problem is None:
            self._tick_probe()
            return
        status_view = self.query_one("#keyring-status", Static)
        status_view.update(keyring_verdict(self.state, self.keyring, self.keyring_problem))

    async def relocalize(self) -> None:
        """Redraw in the other language; the typed key moves out of the field into memory."""
        self.known_key = self.collect().api_key or self.known_key
        await super().relocalize()
        self._render_keyring()
        self._update_store_widgets()
        self.query_one("#key-preview", Static).update(self._preview(""))
        self.query_one(PlanOffer).show_for(self.state, self.known_key)

    @work(thread=True, exclusive=True, group="keyring-read", exit_on_error=False)
    def load_saved_key(self) -> None:
        """Editing a profile: the saved key can be kept without typing it again."""
        kind = self.state.key_store or "keyring"
        self.post_message(key_jobs.read_saved_key(self.services, kind, self.state.profile_name))

    def on_saved_key_loaded(self, message: key_jobs.SavedKeyLoaded) -> None:
        if message.key is None or self.known_key is not None:
            return
        self.known_key = self.saved_key = message.key
        field = self.query_one("#api-key", SecretInput)
        field.placeholder = t("screen_apikey.placeholder_kept", masked=message.key.masked())
        if not field.value:
            self.query_one("#key-preview", Static).update(self._preview(""))
            self.query_one(PlanOffer).show_for(self.state, message.key)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "toggle-visibility":
            event.stop()
            self.action_toggle_key()
        # Next and Back: StepScreen.on_button_pressed runs too (Textual calls every class's).

    def action_toggle_key(self) -> None:
        """Show or hide the key: the user's explicit request, never automatic."""
        hidden = self.query_one("#api-key", SecretInput).toggle_visibility()
        button = self.query_one("#toggle-visibility", Button)
        button.label = t("screen_apikey.show" if hidden else "screen_apikey.hide")

    # -- results ------------------------------------------------------------------------------
    def _typed_key(self) -> ApiKey | None:
        """The key in the field (raises InvalidApiKey), or the known one when it is empty."""
        raw = self.query_one("#api-key", SecretInput).value
        if raw:
            return ApiKey.parse(raw)[0]
        return self.known_key

    def collect(self) -> WizardState:
        if not self.is_mounted:
            return self.state
        try:
            key = self._typed_key()
        except InvalidApiKey:
            key = self.state.api_key
        same = key is not None and key == self.state.api_key and self.store == self.state.key_store
        return dataclasses.replace(
            self.state,
            api_key=key,
            key_store=self.store,
            key_saved=self.state.key_saved and same,
        )

    def submit(self) -> WizardState | None:
        if self._writing:
            return None
        try:
            key = self._typed_key()
        except InvalidApiKey as exc:
            self.show_status(exc.message)
            return None
        if key is None:
            self.show_status(t("secrets.key_empty"))
            return None
        if self.store == "keyring":
            if self.keyring is None and self.keyring_problem is None:
                self.show_status(t("screen_apikey.still_probing"))
                return None
            if self.keyring is None or not self.keyring.available:
                self.show_status(t("screen_apikey.keyring_unusable"))
                return None
        if (refused := refusal(self.services.policy, "key_store", self.store)) is not None:
            return self.show_status(refused)  # type: ignore[func-returns-value]
        if self.store == "file" and not self.query_one("#file-consent", Checkbox).value:
            self.show_status(t("screen_apikey.file_needs_consent"))
            return None
        new = dataclasses.replace(self.state, api_key=key, key_store=self.store)
        if self.store == "env":
            return dataclasses.replace(new, key_saved=False)
        if (
            self.state.key_saved
            and self.state.api_key == key
            and self.state.key_store == self.store
        ):
            return new
        if key == self.saved_key and self.store == self.state.key_store:
            # Editing a profile and keeping its key where it already is: nothing to write.
            return dataclasses.replace(new, key_saved=True)
        self._confirm_store(new, key)
        return None

    def action_back(self) -> None:
        if self._writing:  # the store is being written: its answer decides what Back means
            self.show_status(t("screen_apikey.storing"), error=False)
            return
        super().action_back()

    def _confirm_store(self, new: WizardState, key: ApiKey) -> None:
        """The key store is written only after the user said yes to exactly this."""
        kind = self.store  # what the dialog names is what gets written
        where = self._location(kind)
        body = t(
            "screen_apikey.confirm_body",
            masked=key.masked(),
            where=where,
            profile=self.state.profile_name,
        )
        if kind == "file":
            body += "\n" + t("screen_apikey.confirm_plaintext")

        def answered(yes: bool | None) -> None:
            if yes:
                self._writing = True
                self.show_status(t("screen_apikey.storing"), error=False)
                self.write_key(new, key, kind)
            else:
                self._declined()

        self.app.push_screen(
            ConfirmDialog(
                t("screen_apikey.confirm_title"),
                body,
                t("screen_apikey.confirm_yes"),
                t("screen_apikey.confirm_no"),
                default_yes=True,
            ),
            callback=answered,
        )

    def _declined(self) -> None:
        """ "Not now": nothing is stored, and the way on is made visible (QA B47).

        Asking the same question on the next Enter would loop. The one choice that stores
        nothing is "Only in the environment variable": it is selected for the user, so Next
        goes on with the key held in memory for the connectivity test only, and the line
        under the buttons says so. The user can still pick another store and confirm it.
        """
        self.store = "env"
        self._store_chosen = True
        self._declined_store = True
        with self.prevent(RadioSet.Changed):
            self.query_one("#store-env", RadioButton).value = True
        self._update_store_widgets()
        self.show_status(t("screen_apikey.not_stored", var=self.state.key_env), error=False)

    @work(thread=True, exclusive=True, group="key-store", exit_on_error=False)
    def write_key(self, new: WizardState, key: ApiKey, kind: str) -> None:
        self.post_message(key_jobs.store_key(self.services, kind, new, key))

    def on_key_stored(self, message: key_jobs.KeyStored) -> None:
        self._writing = False
        if message.state is None:
            self.show_status(t("screen_apikey.store_failed", why=message.problem or ""))
            return
        self.finish(message.state)
