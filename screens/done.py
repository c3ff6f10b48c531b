"""Step 7, Done: what was written where, and the next commands to run.

The next commands are the point of this screen: a user who closes the wizard should be able
to paste one line and see their code talk to Model Studio. They reference the key through
its environment variable, never show it. They come from app.config.next_steps (spelt the way they
run from the user's shell, with the config and network options of this run); each sits on
a line of its own that never wraps (a wrapped command pasted is a broken one, E25) and has a
Copy button that puts exactly that command on the clipboard (OSC 52).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult

from app.core.i18n import t
from app.core.invocation import install_hint
from screens.base import StepScreen
from screens.widgets import CopyLine, Prose


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


def _names(state: Any) -> tuple[str, str]:
    """The region and scope as the catalog names them in the current language, with the
    region id kept (it is what the config and the commands say): never a bare scope id
    inside a sentence of the other language (E27: "部署范围 mainland")."""
    from app.core.catalog import load_catalog

    catalog = load_catalog()
    lang = state.lang
    region = catalog.regions.get(state.region or "")
    scope = catalog.scopes.get(state.scope or "")
    region_text = f"{region.name.get(lang)} ({region.id})" if region else (state.region or "-")
    scope_text = scope.name.get(lang) if scope else (state.scope or "-")
    return region_text, scope_text


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
        region, scope = _names(s)
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
        yield Prose(_verdict(s), id="done-verdict", markup=False)
        yield Prose(t("screen_done.written_title"), classes="section-title")
        yield Prose("\n".join(written_lines(s)), id="done-written", markup=False)
        if s.demo:
            yield Prose(t("screen_done.demo_note"), id="done-demo-note")
        yield Prose(t("screen_done.next_title"), classes="section-title")
        if s.region:
            for index, (caption, command) in enumerate(self.commands()):
                yield Prose(caption, classes="done-caption tight", markup=False)
                yield CopyLine(command, caption=caption, id=f"done-command-{index}")
        hint = install_hint()
        if hint:
            yield Prose(hint, id="done-install-hint", classes="hint", markup=False)

    def commands(self) -> list[tuple[str, str]]:
        from app.config.next_steps import next_commands

        return next_commands(self.state, self.services.config_path, self.services.network_args)
