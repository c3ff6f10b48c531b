"""Step 7, Done: what was written where, and the next commands to run.

The next commands are the point of this screen: a user who closes the wizard should be able
to paste one line and see their code talk to Model Studio. They reference the key through
its environment variable, never show it. They come from app.flow.next_commands (spelt the way
they run from the user's shell, with the config and network options of this run); each sits on
a line of its own that never wraps (a wrapped command pasted is a broken one, E25) and has a
Copy button that puts exactly that command on the clipboard (OSC 52).
"""

from __future__ import annotations

from textual.app import ComposeResult

from app import export_flow, flow
from app.core.i18n import t
from app.core.invocation import install_hint
from screens.base import StepScreen
from screens.widgets import CopyLine, Prose


class DoneScreen(StepScreen):
    """Step 7: the summary; Next (Finish) ends the wizard with the final state."""

    STEP = "done"

    def next_label(self) -> str:
        return t("screen_done.finish")

    def compose_step(self) -> ComposeResult:
        s = self.state
        region, scope = flow.place_names(s)
        yield Prose(
            t(
                "screen_done.summary",
                profile=s.profile_name,
                region=region,
                scope=scope,
                model=s.model or "-",
            ),
            id="done-summary",
            markup=False,
        )
        yield Prose(flow.verdict_text(s), id="done-verdict", markup=False)
        yield Prose(t("screen_done.written_title"), classes="section-title")
        written = export_flow.written_rows(s.written) or [t("screen_done.nothing_written")]
        yield Prose("\n".join(written), id="done-written", markup=False)
        if s.demo:
            yield Prose(t("screen_done.demo_note"), id="done-demo-note")
        yield Prose(t("screen_done.next_title"), classes="section-title")
        for index, (caption, command) in enumerate(self.commands()):
            yield Prose(caption, classes="done-caption tight", markup=False)
            yield CopyLine(command, caption=caption, id=f"done-command-{index}")
        hint = install_hint()
        if hint:
            yield Prose(hint, id="done-install-hint", classes="hint", markup=False)

    def commands(self) -> list[tuple[str, str]]:
        """The (caption, command) pairs shown: app.flow decides them."""
        return flow.next_commands(self.state, self.services)
