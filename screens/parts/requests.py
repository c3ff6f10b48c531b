"""Requests a screen makes of the App, as messages: a step never imports another step's
screen (nor the App), it asks and the App (app/tui.py) decides what to push."""

from __future__ import annotations

from textual.message import Message


class DoctorRequested(Message):
    """Open the doctor screen for `profile_name` (Welcome's "troubleshoot a profile")."""

    def __init__(self, profile_name: str) -> None:
        super().__init__()
        self.profile_name = profile_name
