"""`doctor --watch` in a real terminal (tmux), stopped with Ctrl+C as a person would stop it:
the summary of the runs so far is printed, and the exit code is their verdict (like `ping`);
Ctrl+C before any run finished prints an empty summary and exits 130. The CLI runs as its
own process against the simulator over real TLS; the screen is read with capture-pane.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from app.simulator.faults import Fault
from tests.fixtures.doctor import KEY_VAR, MACHINE_VARS, write_config
from tests.fixtures.tmux import Tmux

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)"
)


def _watch(tmp_path: Path, sim, terminal_env: dict[str, str], *extra: str) -> tuple[Tmux, str]:
    write_config(tmp_path, sim)
    key = sim.key("ap-southeast-1")
    env = {k: v for k, v in terminal_env.items() if k not in MACHINE_VARS}
    env[KEY_VAR] = key
    command = [sys.executable, "-m", "app", "doctor", "--watch", "--lang", "en"]
    command += ["--config", str(tmp_path / "config.yaml"), "--no-environment"]
    command += ["--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file), *extra]
    tmux = Tmux(env)
    tmux.start(command, survive_ctrl_c=True)
    return tmux, key


def _runs(screen: str) -> list[str]:
    return [line.split()[0] for line in screen.splitlines() if re.match(r"#\d+\s", line)]


def test_ctrl_c_prints_the_summary_of_the_runs_so_far(tmp_path, simulator, terminal_env):
    tmux, key = _watch(tmp_path, simulator, terminal_env, "--interval", "0.3", "--no-stream")
    try:
        tmux.wait_for(lambda s: len(_runs(s)) >= 3, "three runs of the watch", limit=90)
        tmux.keys("C-c")
        screen = tmux.wait_for(lambda s: "EXIT-STATUS:" in s, "the watch to end", limit=60)
        full = tmux.screen(history=True)
        done = _runs(full)
        match = re.search(r"Summary of (\d+) runs \(stopped with Ctrl\+C\)", full)
        assert match, screen
        # The summary counts the runs that finished, each of which printed its line.
        assert int(match.group(1)) == len(done) >= 3, full
        assert "total over time:" in full and "p95" in full
        assert "Traceback" not in full and "KeyboardInterrupt" not in full
        assert key not in full
        assert tmux.exit_status() == "0"  # every finished run passed
    finally:
        tmux.kill()


def test_ctrl_c_before_the_first_run_ends_is_exit_130(tmp_path, simulator, terminal_env):
    simulator.inject(Fault("hang"))
    tmux, key = _watch(tmp_path, simulator, terminal_env, "--timeout", "60")
    try:
        tmux.wait_for(lambda s: "Watching:" in s, "the watch to start", limit=60)
        tmux.wait_for(lambda s: bool(simulator.requests), "the first request", limit=60)
        tmux.keys("C-c")
        tmux.wait_for(lambda s: "EXIT-STATUS:" in s, "the watch to end", limit=60)
        full = tmux.screen(history=True)
        assert "Summary of 0 runs (stopped with Ctrl+C)" in full, full
        assert "Traceback" not in full and key not in full
        assert tmux.exit_status() == "130"
    finally:
        tmux.kill()
