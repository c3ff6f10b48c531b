"""Welcome's "Replace the key of a profile": `key rotate` in a dialog (issue 12 §2).

The new key is typed (hidden), its shape checked, then the same checks as the CLI
(app.clients.key_replace: a store that keeps two keys, an old key and no unfinished
rotation, the new key accepted on the profile's own hosts with a 1-token call) before
app.secrets.rotation writes: the new key in place, the old one kept under its backup name
until a later doctor run passes (`key rotate --rollback` puts it back). A rejected key
changes nothing and says why. The keyring and the network run in a worker; the dialog
stays responsive, and Esc closes it: a check under way is cancelled (nothing written);
during the write itself (milliseconds) Esc waits, so Welcome is always told what was done.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input

from app import flow
from app.core.errors import UserError
from app.core.i18n import t
from app.secrets.key import ApiKey
from app.services import Services
from screens.widgets import Prose

if TYPE_CHECKING:
    from app.config.schema import Profile


class KeyReplaceScreen(ModalScreen[str | None]):
    """Dismisses with the status line for Welcome (None: nothing was done)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]
    DEFAULT_CSS = """
    KeyReplaceScreen { align: center middle; }
    KeyReplaceScreen > Vertical {
        width: 76; max-width: 95%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    KeyReplaceScreen #replace-title { text-style: bold; margin-bottom: 1; }
    KeyReplaceScreen #replace-status { margin-top: 1; }
    KeyReplaceScreen Horizontal { height: auto; align: right middle; margin-top: 1; }
    KeyReplaceScreen Button { margin-left: 2; }
    """

    def __init__(self, profile: Profile, services: Services) -> None:
        super().__init__()
        self.profile = profile
        self.services = services
        self.done: str | None = None  # the status for Welcome once the key was replaced
        self._writing = False  # the rotation's writes are under way: Esc waits for them

    def compose(self) -> ComposeResult:
        name = self.profile.name
        with Vertical():
            yield Prose(Text(t("screen_welcome.replace_title", profile=name)), id="replace-title")
            yield Prose(t("screen_welcome.replace_body", profile=name), markup=False)
            yield Input(password=True, placeholder="sk-…", id="replace-key", select_on_focus=False)
            yield Prose("", id="replace-status", markup=False)
            with Horizontal():
                yield Button(t("screen_welcome.replace_cancel"), id="replace-cancel")
                yield Button(t("screen_welcome.replace_go"), id="replace-go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#replace-key", Input).focus()

    def _say(self, text: str) -> None:
        self.query_one("#replace-status", Prose).update(text)

    @on(Input.Submitted, "#replace-key")
    @on(Button.Pressed, "#replace-go")
    def _go(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if self.done is not None:
            self.dismiss(self.done)
            return
        raw = self.query_one("#replace-key", Input).value
        try:
            key, _ = ApiKey.parse(raw)
        except UserError as exc:
            self._say(exc.message)
            return
        self.query_one("#replace-go", Button).disabled = True
        self._say(t("screen_welcome.replace_checking", masked=key.masked()))
        self._replace(key)

    @work(exclusive=True, group="replace")
    async def _replace(self, key: ApiKey) -> None:
        # lazy: the probe engine (httpx2) and the rotation only when a key is replaced
        from app.clients.key_replace import old_key, require_store, verify_new_key
        from app.config.shell import cli_address
        from app.probe.engine import ProbeOptions
        from app.secrets.rotation import rotate, slots

        p, path = self.profile, self.services.config_path
        timeout = self.services.keyring_timeout
        try:
            store = flow.key_store_for(p, self.services)
            await asyncio.to_thread(require_store, p, store, path, timeout)
            current, backup = slots(store, p.name)
            # The refusal of a pending rotation prints --finish / --rollback commands: for
            # this profile of this config, whatever the default is.
            address = cli_address(path, p.name, None)
            old = await asyncio.wait_for(
                asyncio.to_thread(old_key, p.name, current, backup, key, address), timeout
            )
            options = self.services.probe_options or ProbeOptions()
            check = await verify_new_key(options, path, p, key)
            if check.verdict != "accepted":
                lines = [t(f"screen_welcome.replace_{check.verdict}", old=old.masked())]
                for f in check.findings:  # what is wrong, and what to do with the new key
                    lines.append(f"• {f.message}")
                    if f.remedy:
                        lines.append(f"  → {f.remedy}")
                self._say("\n".join(lines))
                return
            self._writing = True
            try:
                done = await asyncio.to_thread(rotate, current, backup, old, key)
            finally:
                self._writing = False
        except UserError as exc:  # a RotationError says where each key now is
            self._say(exc.message)
            return
        except (asyncio.TimeoutError, OSError) as exc:
            self._say(t("screen_welcome.replace_store_failed", error=type(exc).__name__))
            return
        finally:
            self.query_one("#replace-go", Button).disabled = False
        self.done = t(
            "screen_welcome.replace_done",
            profile=p.name,
            masked=done.key,
            old=old.masked(),
            backup=done.backup_where,
        )
        self._say(self.done)
        self.query_one("#replace-key", Input).value = ""
        self.query_one("#replace-go", Button).label = t("screen_welcome.replace_close")

    @on(Button.Pressed, "#replace-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        if self._writing:
            return
        self.workers.cancel_group(self, "replace")
        self.dismiss(self.done)
