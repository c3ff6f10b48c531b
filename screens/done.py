"""Step 7, Done: what was written where, and the next commands to run.

The next commands are the point of this screen: a user who closes the wizard should be able
to paste one line and see their code talk to Model Studio. They reference the key through
its environment variable, never show it. They come from app.next_steps (spelt the way they
run from the user's shell, with the config and network options of this run); each sits on
a line of its own that never wraps (a wrapped command pasted is a broken one, E25) and has a
Copy button that puts exactly that command on the clipboard (OSC 52).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, HorizontalScroll
from textual.widgets import Button, Static

from app.i18n import t
from app.invocation import install_hint
from screens.base import StepScreen


def written_lines(state: Any) -> list[str]:
    if not state.written:
        return [t("screen_done.nothing_written")]
    lines = []
    for item in state.written:
        holds = t("screen_export.holds_key") if item.holds_key else ""
        lines.append(
            t("screen_export.written_row", path=str(item.path), mode=_mode(item.mode), key=holds)
        )
    return lines


def _mode(mode: int) -> str:
    from screens.export import mode_text

    return mode_text(mode)


def _verdict(state: Any) -> str:
    result = state.probe_result
    if result is None:
        return t("screen_done.verdict.none")
    if isinstance(result, dict):
        verdict = result.get("verdict")
    else:
        verdict = getattr(result, "verdict", None)
    return t(f"screen_done.verdict.{verdict if verdict in ('ok', 'warn', 'fail') else 'none'}")


class DoneScreen(StepScreen):
    """Step 7: the summary; Next (Finish) ends the wizard with the final state."""

    STEP = "done"

    def next_label(self) -> str:
        return t("screen_done.finish")

    def compose_step(self) -> ComposeResult:
        s = self.state
        yield Static(
            t(
                "screen_done.summary",
                profile=s.profile_name,
                region=s.region or "-",
                scope=s.scope or "-",
                model=s.model or "-",
            ),
            id="done-summary",
            markup=False,
        )
        yield Static(_verdict(s), id="done-verdict", markup=False)
        yield Static(t("screen_done.written_title"), classes="section-title")
        yield Static("\n".join(written_lines(s)), id="done-written", markup=False)
        if s.demo:
            yield Static(t("screen_done.demo_note"), id="done-demo-note")
        yield Static(t("screen_done.next_title"), classes="section-title")
        if s.region:
            for index, (caption, command) in enumerate(self.commands()):
                yield Static(caption, classes="done-caption tight", markup=False)
                with Horizontal(classes="done-command-row"):
                    yield Button(t("screen_done.copy"), id=f"copy-{index}", compact=True)
                    with HorizontalScroll(classes="done-command-scroll"):
                        yield Static(command, classes="done-command", markup=False)
        hint = install_hint()
        if hint:
            yield Static(hint, id="done-install-hint", classes="hint", markup=False)

    def commands(self) -> list[tuple[str, str]]:
        from app.next_steps import next_commands

        return next_commands(self.state, self.services.config_path, self.services.network_args)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if not button_id.startswith("copy-"):
            return  # Next and Back: StepScreen.on_button_pressed runs too
        event.stop()
        caption, command = self.commands()[int(button_id.removeprefix("copy-"))]
        self.app.copy_to_clipboard(command)
        self.show_status(t("screen_done.copied", caption=caption.rstrip(":：")), error=False)
