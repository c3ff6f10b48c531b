"""The dialogs more than one screen asks: a yes/no question, and the consent before a
rejected key is tried in other regions (Connectivity and Doctor both offer that search).

Finding which region a key belongs to means sending that key to every other region's hosts.
That is a real disclosure (to the same vendor, but to hosts the user never chose), so it
happens only after the user has read what will be sent where and said yes. Escape, the
default button and closing the dialog all mean "no"; a ConfirmDialog's Esc means no too.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from app.core.i18n import t
from screens.widgets import Prose


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; Esc answers no. Used for the key store and for quitting."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "answer(False)", show=False)]

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 64;
        max-width: 95%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ConfirmDialog #confirm-body { margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align: right middle; }
    ConfirmDialog Button { margin-left: 2; }
    """

    def __init__(self, title: str, body: str, yes: str, no: str, *, default_yes: bool) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no
        self._default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Prose(Text(self._title, style="bold"), id="confirm-title")
            yield Prose(self._body, id="confirm-body", markup=False)
            with Horizontal():
                yield Button(self._no, id="confirm-no")
                yield Button(self._yes, id="confirm-yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes" if self._default_yes else "#confirm-no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ConsentScreen(ModalScreen[bool]):
    """Ask before the key leaves the profile's own hosts; dismisses True only on an explicit yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "decline", t("screen_connectivity.consent_no"))
    ]
    DEFAULT_CSS = """
    ConsentScreen { align: center middle; }
    ConsentScreen > #consent-box {
        width: 72; max-width: 95%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    ConsentScreen #consent-title { text-style: bold; margin-bottom: 1; }
    ConsentScreen #consent-hosts { margin: 1 0; color: $text-muted; }
    ConsentScreen #consent-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ConsentScreen Button { margin-left: 2; }
    """

    def __init__(self, key_masked: str, hosts: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self._key_masked = key_masked
        self._hosts = tuple(hosts)

    def compose(self) -> ComposeResult:
        with Vertical(id="consent-box"):
            yield Prose(t("screen_connectivity.consent_title"), id="consent-title")
            yield Prose(t("screen_connectivity.consent_body", key=self._key_masked), markup=False)
            if self._hosts:
                hosts = "\n".join(f"• {h}" for h in self._hosts)
                yield Prose(hosts, id="consent-hosts", markup=False)
            yield Prose(t("screen_connectivity.consent_readonly"))
            with Horizontal(id="consent-buttons"):
                yield Button(t("screen_connectivity.consent_no"), id="consent-no")
                yield Button(
                    t("screen_connectivity.consent_yes"), id="consent-yes", variant="warning"
                )

    def on_mount(self) -> None:
        # The safe answer has the focus: Enter without reading must not send the key anywhere.
        self.query_one("#consent-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "consent-yes")

    def action_decline(self) -> None:
        self.dismiss(False)
