"""Commands this tool prints are spelt the way that works in the user's shell (D26)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from app.core import invocation


def _fake_tool(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / invocation.COMMAND
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_under_uv_run_the_venv_bin_does_not_count_as_the_users_path(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    _fake_tool(venv / "bin")
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin",
        "VIRTUAL_ENV": str(venv),
        "UV_RUN_RECURSION_DEPTH": "1",
    }
    assert not invocation.on_user_path(env)
    assert invocation.command("doctor", "--profile", "p", env=env) == (
        "uv run modelstudio-setup doctor --profile p"
    )
    assert "uv tool install ." in (invocation.install_hint(env) or "")


def test_an_installed_tool_is_called_by_its_name(tmp_path: Path) -> None:
    _fake_tool(tmp_path / "tools")
    env = {"PATH": str(tmp_path / "tools")}
    assert invocation.on_user_path(env)
    assert (
        invocation.command("env", "--profile", "a b", env=env)
        == "modelstudio-setup env --profile 'a b'"
    )
    assert invocation.install_hint(env) is None


def test_a_folder_or_a_file_that_cannot_run_is_not_the_tool(tmp_path: Path) -> None:
    (tmp_path / "a" / invocation.COMMAND).mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / invocation.COMMAND).write_text("#!/bin/sh\n")  # not executable
    env = {"PATH": f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}{os.pathsep}"}
    assert not invocation.on_user_path(env)
    _fake_tool(tmp_path / "c")
    assert invocation.on_user_path({"PATH": f"{env['PATH']}{os.pathsep}{tmp_path / 'c'}"})


def test_without_the_name_or_uv_the_interpreter_runs_the_module(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}
    words = invocation.prefix(env)
    assert words[1:] == ["-m", "modelstudio_setup"]
    # The printed command really starts this tool.
    out = subprocess.run(
        [*words, "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip()


def test_under_the_real_uv_run_the_command_starts_the_tool() -> None:
    """`uv run` puts .venv/bin first on PATH; the printed command must not rely on that."""
    root = Path(__file__).resolve().parents[2]
    code = "from app.core import invocation; print(invocation.command('--version'))"
    env = dict(os.environ, UV_RUN_RECURSION_DEPTH="1", VIRTUAL_ENV=str(Path(sys.prefix)))
    env["PATH"] = f"{Path(sys.prefix) / 'bin'}{os.pathsep}/usr/bin:/bin"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True
    )
    assert out.stdout.strip() == "uv run modelstudio-setup --version"


def test_uv_run_from_outside_the_project_names_the_project(tmp_path: Path, monkeypatch) -> None:
    """`uv run --project DIR modelstudio-setup` run from elsewhere: a printed bare `uv run
    modelstudio-setup` would fail there ("Failed to spawn"), so the project is named."""
    project = tmp_path / "clone"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\\nname = 'x'\\n")
    env = {
        "PATH": f"{project / '.venv' / 'bin'}{os.pathsep}/usr/bin",
        "VIRTUAL_ENV": str(project / ".venv"),
        "UV_RUN_RECURSION_DEPTH": "1",
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert invocation.command("doctor", env=env) == (
        f"uv run --project {project} modelstudio-setup doctor"
    )
    hint = invocation.install_hint(env) or ""
    assert f"uv tool install {project}" in hint and "from this folder" not in hint, hint
    monkeypatch.chdir(project)
    assert invocation.command("doctor", env=env) == "uv run modelstudio-setup doctor"
    assert "uv tool install ." in (invocation.install_hint(env) or "")
