"""Smoke test in a real terminal: the installed command, `--demo`, driven by keystrokes in tmux.

Pilot tests drive the App object; this one proves the console script starts in a real
pseudo-terminal, draws, reacts to keys, walks to Done with Enter, and exits cleanly, with
the screen read back by `tmux capture-pane` the way a person would see it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.simulator.accounts import default_accounts

pytestmark = pytest.mark.slow

STEP_TITLES = {
    "welcome": "Welcome",
    "connectivity": "Connectivity test",
    "export": "Export",
    "done": "Done",
}


def _command() -> list[str]:
    script = Path(sys.executable).with_name("modelstudio-setup")
    if script.exists():
        return [str(script), "--demo", "--lang", "en"]
    return [sys.executable, "-m", "app", "--demo", "--lang", "en"]


class Tmux:
    """One tmux server of our own (its own socket), so nothing else is touched."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"mss-smoke-{uuid.uuid4().hex[:8]}"
        self.env = env

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout

    def start(self, command: list[str]) -> None:
        # The exit status is printed by a wrapper shell: tmux 3.3 may leave an exited
        # child unreaped for a while, so "pane dead" is not a reliable signal.
        wrapped = f'{shlex.join(command)}; echo "EXIT-STATUS:$?"; sleep 600'
        self.run("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "sh", "-c", wrapped)

    def screen(self, history: bool = False) -> str:
        extra = ("-S", "-") if history else ()
        return self.run("capture-pane", "-p", "-t", "t", *extra)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def exit_status(self) -> str:
        """The command's exit status once it has ended (printed by the wrapper), else ''."""
        match = re.search(r"EXIT-STATUS:(\d+)", self.screen(history=True))
        return match.group(1) if match else ""

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, check=False)

    def wait_stable(self, limit: float = 30.0) -> str:
        """Wait until two captures 0.5 s apart are equal: the app is idle (a Button ignores a
        second press during its 0.2 s "active" effect, as it would for a person)."""
        deadline = time.monotonic() + limit
        previous = self.screen()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            current = self.screen()
            if current == previous:
                return current
            previous = current
        return previous

    def wait_for(self, predicate, what: str, limit: float = 60.0) -> str:
        """Poll the screen until `predicate(screen)`; a bounded wait, not a timing claim."""
        deadline = time.monotonic() + limit
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")


@pytest.fixture
def terminal_env(tmp_path: Path) -> dict[str, str]:
    # COLUMNS/LINES are dropped: under xdist a worker may carry them, and the app would then
    # draw at that size instead of the pane's 120x40.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TMUX", "PYTEST")) and k not in ("COLUMNS", "LINES")
    }
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir()
        env[var] = str(d)
    env.pop("MODELSTUDIO_SETUP_CONFIG", None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["TERM"] = "xterm-256color"
    env["LANG"] = "C.UTF-8"
    return env


def _step_of(screen: str) -> str | None:
    """The current step, read from the sidebar marker ("▸ Name")."""
    for line in screen.splitlines():
        stripped = line.strip()
        if stripped.startswith("▸ "):
            return stripped[2:].split("  ")[0].strip()
    return None


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_demo_walks_to_done_with_enter_in_a_real_terminal(terminal_env, tmp_path: Path):
    keys = [a.key for a in default_accounts()]
    tmux = Tmux(terminal_env)
    screens: list[str] = []
    export_written = False
    try:
        tmux.start(_command())
        first = tmux.wait_for(lambda s: "DEMO" in s and "Welcome" in s, "the Welcome step")
        screens.append(first)
        seen: list[str] = []
        for _ in range(25):
            screen = tmux.wait_stable()
            screens.append(screen)
            step = _step_of(screen)
            if step and (not seen or seen[-1] != step):
                seen.append(step)
            if step == "Done" and "Finish" in screen:
                break
            if step == "Export":
                flat = " ".join(screen.split())
                if "Write files" in screen:  # before the write: states readable without colour
                    assert "▐ ▌ .env file" in screen, screen
                    assert "▐ ▌ Write the key itself" in screen, screen
                    assert "Nothing has been written yet." in flat, screen
                else:  # after it, the intro says so (QA B9)
                    assert "Nothing has been written yet." not in flat, screen
                    export_written = True
            if step == "Connectivity":
                screen = tmux.wait_for(
                    lambda s: "All checks passed" in s or "failed" in s, "the probe verdict"
                )
                screens.append(screen)
                assert "All checks passed" in screen, screen
                screen = tmux.wait_stable()
            tmux.keys("Enter")
            tmux.wait_for(lambda s, b=screen: s != b, "the screen to react to Enter", 30)
        else:
            raise AssertionError(f"never reached Done; steps seen: {seen}")
        assert seen[0] == "Welcome" and seen[-1] == "Done", seen
        assert {"Connectivity", "Export"} <= set(seen), seen
        assert export_written
        done = tmux.wait_for(lambda s: "Connectivity test passed" in s, "the Done summary")
        screens.append(done)
        assert "config.yaml" in done and "-rw-------" in done
        assert "DEMO" in done
        # Finish: the app exits and says what happened in plain text.
        tmux.keys("Enter")
        tmux.wait_for(lambda s: tmux.exit_status() != "", "the wizard to exit", 30)
        assert tmux.exit_status() == "0"
        final = tmux.screen(history=True)
        screens.append(final)
        assert "demo" in final, final  # the plain-text summary names the profile
    finally:
        tmux.kill()
    for screen in screens:
        for key in keys:
            assert key not in screen
            assert key[3:15] not in screen
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        assert list(Path(terminal_env[var]).iterdir()) == [], var
