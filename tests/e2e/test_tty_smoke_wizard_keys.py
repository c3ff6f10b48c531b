"""The wizard's keys and layout in a real terminal at 80x24 (issue 7: E23, E24, E25, D18).

tmux draws what a person sees; keys are sent as a person types them. The pane is 80x24 and
COLUMNS/LINES are not inherited (else the wizard would draw at another size than the pane).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from app.simulator.accounts import default_accounts
from tests.fixtures.tmux import Tmux, demo_command, sidebar_step

pytestmark = pytest.mark.slow


def _start_80x24(tmux: Tmux, command: list[str]) -> None:
    wrapped = f'{shlex.join(command)}; echo "EXIT-STATUS:$?"; sleep 600'
    tmux.run("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", "sh", "-c", wrapped)


def _content(screen: str) -> list[str]:
    """The step's own column: right of the 20-cell step list."""
    return [line[21:] if len(line) > 21 else "" for line in screen.splitlines()]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_keys_and_layout_at_80x24_in_a_real_terminal(terminal_env, tmp_path: Path) -> None:
    env = {k: v for k, v in terminal_env.items() if k not in ("COLUMNS", "LINES")}
    keys = [a.key for a in default_accounts()]
    tmux = Tmux(env)
    screens: list[str] = []

    def step_is(name: str):
        return lambda s: sidebar_step(s) == name

    def press(*keys_: str, then=None, what: str = "the screen to react") -> str:
        before = tmux.wait_stable()
        tmux.keys(*keys_)
        if then is None:
            screen = tmux.wait_for(lambda s: s != before, what, 30)
        else:
            screen = tmux.wait_for(then, what, 60)
        screen = tmux.wait_stable()
        screens.append(screen)
        return screen

    try:
        _start_80x24(tmux, demo_command())
        tmux.wait_for(lambda s: "DEMO" in s and "Welcome" in s, "the Welcome step")
        screen = press("Enter", then=step_is("Scenario"), what="Scenario")
        # E23: confirm the residency, then ↓/↑ still move the highlight (its explanation).
        screen = press("Enter", what="the residency confirmed")
        assert "Enter: Next with the highlighted" in screen, screen
        explained = screen
        screen = press("Down", what="the highlight to move")
        assert sidebar_step(screen) == "Scenario" and screen != explained
        screen = press("Up", what="the highlight to move back")
        # Enter on a focused checkbox means Next, as the hint says; the box stays as it was.
        tmux.keys("Tab")
        screen = press("Enter", then=step_is("Recommendation"), what="Recommendation")
        screen = press("Escape", then=step_is("Scenario"), what="back on Scenario")
        assert "▐ ▌ Batch" in screen, screen
        screen = press("Enter", what="confirmed")
        screen = press("Enter", then=step_is("Recommendation"), what="Recommendation")
        # E25: Workspace opens at its top, the console URL on one line, never folded.
        screen = press("Enter", then=step_is("Workspace"), what="Workspace")
        content = _content(screen)
        assert any("Find your workspace ID" in line for line in content), screen
        url_rows = [i for i, line in enumerate(content) if "https://" in line]
        assert url_rows, screen
        assert not any("business_management" in content[i + 1] for i in url_rows), screen
        screen = press("Enter", then=step_is("API key"), what="API key")
        press("Enter", then=lambda s: "Store the key" in s, what="the store question")
        press("Enter", then=step_is("Connectivity"), what="Connectivity")
        screen = tmux.wait_for(lambda s: s.count(" passed ") >= 3, "three passed rows", 90)
        # E25: Export opens at its top.
        screen = press("Enter", then=step_is("Export"), what="Export")
        assert "Choose what to write" in screen, screen
        # E24: Tab, Tab, Space does not wipe the destination (a bordered field now).
        tmux.keys("Tab")
        screen = press("Tab", what="the focus to move")
        shown = re.search(r"▊  (/\S+/export/)", screen)  # the field's start (it scrolls)
        assert shown, screen
        path = shown.group(1)
        screen = press("Space", what="a keystroke to land")
        # The cursor was at the end: one space added there; the path is all still there.
        assert "/export/modelstudio-profile.yaml" in screen and path[-12:] in screen, screen
        screen = press("Enter", then=lambda s: "Written" in s, what="the files written")
        screen = press("Enter", then=step_is("Done"), what="Done")
        # E25: Tab reaches the commands; each is one unfolded line with its Copy button.
        for _ in range(4):  # the scrolling body first, then the first Copy button
            screen = press("Tab", what="the focus to move")
            if "Copy" in screen:
                break
        content = _content(screen)
        rows = [i for i, line in enumerate(content) if "Copy  " in line]
        assert rows, screen
        for i in rows:
            follower = content[i + 1].strip() if i + 1 < len(content) else ""
            assert not follower.startswith(("--", "-H", "-d", "env ", "doctor")), screen
        # D18: quit here (Ctrl+Q); the last lines say what is true of the demo, and it is.
        tmux.keys("C-q")
        tmux.wait_for(lambda s: tmux.exit_status() != "", "the wizard to exit", 30)
        assert tmux.exit_status() == "0"
        final = tmux.screen(history=True)
        screens.append(final)
        flat = " ".join(final.split())
        joined = "".join(final.splitlines())  # the terminal wrapped the long path
        match = re.search(r"\((/tmp/\S+?)\) were removed", joined)
        assert match, final
        assert not Path(match.group(1)).exists()
        real = re.search(r"Set up your real account with: (.+?)(?: EXIT-STATUS|$)", flat)
        assert real, final
        done = subprocess.run(
            [*shlex.split(real.group(1)), "--version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    finally:
        tmux.kill()
    for screen in screens:
        for key in keys:
            assert key not in screen
            assert key[3:15] not in screen
