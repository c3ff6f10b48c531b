"""`completion bash|zsh|fish|powershell` (issue 12 section 6): the scripts, generated from the
parser, completed by the real shells. bash and zsh run interactively in tmux and get a Tab
as a person presses it; fish answers through its own completion engine (`complete -C`).
PowerShell is not on this machine (nor in Debian): its script is checked for the tree only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import build_parser  # the tests compare with it
from app.core.completion import tree
from tests.fixtures.tmux import Tmux

PROG = "modelstudio-setup"


def _script(shell: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "app", "completion", shell],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return out.stdout


@pytest.fixture
def shell_env(terminal_env, tmp_path: Path) -> dict[str, str]:
    """A terminal whose PATH has `modelstudio-setup` (this checkout), and a config with two
    profiles, for the --profile completion."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / PROG
    root = Path(__file__).resolve().parents[2]
    launcher.write_text(f'#!/bin/sh\nPYTHONPATH={root} exec {sys.executable} -m app "$@"\n')
    launcher.chmod(0o755)
    env = {**terminal_env, "PATH": f"{bin_dir}:{terminal_env['PATH']}"}
    env["MODELSTUDIO_SETUP_CONFIG"] = str(tmp_path / "config.yaml")
    env["PYTHONPATH"] = str(root)
    for name in ("work", "play"):
        subprocess.run(
            [str(launcher), "configure", "--profile", name, "--region", "ap-southeast-1",
             "--workspace-id", "ws-g3ganedl8go5vc5i", "--store", "env"],
            env=env, capture_output=True, timeout=60, check=True,
        )  # fmt: skip
    return env


def _line(tmux: Tmux) -> str:
    lines = [x for x in tmux.screen().splitlines() if x.strip()]
    return lines[-1] if lines else ""


def _interactive(shell_env, tmp_path, shell: list[str], setup: str) -> Tmux:
    tmux = Tmux(shell_env)
    tmux.start(shell)
    tmux.keys("-l", setup)
    tmux.keys("Enter")
    tmux.keys("-l", "echo READY")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "\nREADY" in s, "the shell to load the script", 30)
    tmux.keys("C-l")
    time.sleep(0.3)
    return tmux


def test_bash_completes_commands_options_choices_and_profiles(shell_env, tmp_path) -> None:
    script = tmp_path / "c.bash"
    script.write_text(_script("bash", shell_env))
    tmux = _interactive(shell_env, tmp_path, ["bash", "--norc", "--noprofile"], f"source {script}")
    try:
        tmux.keys("-l", f"{PROG} key ro")
        tmux.keys("Tab")
        tmux.wait_for(lambda s: f"{PROG} key rotate" in s, "key ro<Tab> -> key rotate", 20)
        tmux.keys("C-u")
        tmux.keys("-l", f"{PROG} configure --region cn-b")
        tmux.keys("Tab")
        tmux.wait_for(lambda s: "--region cn-beijing" in s, "a region from the catalog", 20)
        tmux.keys("C-u")
        tmux.keys("-l", f"{PROG} doctor --profile ")
        tmux.keys("Tab")
        tmux.keys("Tab")
        screen = tmux.wait_for(lambda s: "play" in s and "work" in s, "the configured profiles", 20)
        assert "play" in screen
        tmux.keys("C-u")
        tmux.keys("-l", f"{PROG} completion f")  # a positional's choices: the shell's name
        tmux.keys("Tab")
        tmux.wait_for(lambda s: f"{PROG} completion fish" in s, "completion f<Tab> -> fish", 20)
    finally:
        tmux.kill()


def test_zsh_completes_through_its_own_completion_system(shell_env, tmp_path) -> None:
    if shutil.which("zsh") is None:
        pytest.fail("zsh is installed by .ci/run; it is missing here")
    script = tmp_path / "c.zsh"
    script.write_text(_script("zsh", shell_env))
    setup = f"autoload -U compinit && compinit -u && source {script}"
    tmux = _interactive(shell_env, tmp_path, ["zsh", "-f"], setup)
    try:
        tmux.keys("-l", f"{PROG} key te")
        tmux.keys("Tab")
        tmux.wait_for(lambda s: f"{PROG} key temp" in s, "key te<Tab> -> key temp", 20)
        tmux.keys("C-u")
        tmux.keys("-l", f"{PROG} doctor --sur")
        tmux.keys("Tab")
        tmux.wait_for(lambda s: "doctor --surface" in s, "doctor --sur<Tab>", 20)
    finally:
        tmux.kill()


def test_fish_completes_with_its_own_engine(shell_env, tmp_path) -> None:
    if shutil.which("fish") is None:
        pytest.fail("fish is installed by .ci/run; it is missing here")
    script = tmp_path / "c.fish"
    script.write_text(_script("fish", shell_env))

    def complete(line: str) -> list[str]:
        out = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C {json.dumps(line)}"],
            env=shell_env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return [row.split("\t")[0] for row in out.stdout.splitlines()]

    assert {"rotate", "temp", "import", "set"} <= set(complete(f"{PROG} key "))
    assert "cn-beijing" in complete(f"{PROG} configure --region ")
    assert set(complete(f"{PROG} status --profile ")) == {"play", "work"}
    assert "--api-key-stdin" in complete(f"{PROG} key set --api")
    assert {"bash", "zsh", "fish", "powershell"} <= set(complete(f"{PROG} completion "))


def test_every_command_and_option_of_the_parser_is_in_every_script(shell_env) -> None:
    """The scripts come from the parser: each command path and each long option of it is
    in each of them (a new option cannot be forgotten)."""
    nodes = tree(build_parser())
    assert {"status", "key rotate", "doctor", "completion"} <= set(nodes)
    for shell in ("bash", "zsh", "fish", "powershell"):
        text = _script(shell, shell_env)
        for path, node in nodes.items():
            if path:
                assert f"'{path}'" in text, (shell, path)
            for option in node["options"]:  # type: ignore[union-attr]
                word = option if shell != "fish" else f"-l {option[2:]}"
                assert word in text, (shell, path, option)


def test_a_bad_shell_is_refused_with_the_choices(shell_env) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app", "completion", "tcsh"],
        env=shell_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 2 and "bash" in out.stderr and "powershell" in out.stderr
