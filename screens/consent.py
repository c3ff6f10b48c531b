"""The consent dialog before a rejected key is tried in other regions.

Finding which region a key belongs to means sending that key to every other region's hosts.
That is a real disclosure (to the same vendor, but to hosts the user never chose), so it
happens only after the user has read what will be sent where and said yes. Escape, the
default button and closing the dialog all mean "no".
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from app.core.i18n import t
from screens.widgets import Prose


class ConsentScreen(ModalScreen[bool]):
    """Ask before the key leaves the profile's own hosts; dismisses True only on an explicit yes."""

    BINDINGS: ClassVar[list[Binding]] = [
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
