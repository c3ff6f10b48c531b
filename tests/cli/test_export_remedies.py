"""Commands this tool prints work when pasted (D19, D26).

Messages and the .env header address the same profile and config they were made from, and
are spelt the way the tool runs from the user's shell (`uv run modelstudio-setup` inside a
clone). Files that run the tool later (`key get` references) keep the bare name, and the
export says how to make that name resolve.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.fixtures.cli import CliRunner

KEY = "sk-0123456789abcdef0123456789abcdef"
VENV_BIN = str(Path(sys.executable).parent)
# The tool installed: its name resolves in the user's shell.
INSTALLED = {
    "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
    "UV_RUN_RECURSION_DEPTH": "",
}


def _uv_run(tmp_path: Path) -> dict[str, str]:
    """Inside `uv run`: the venv's bin is on PATH only for uv's child, not in the shell."""
    venv = tmp_path / "clone" / ".venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    tool = venv / "bin" / "modelstudio-setup"  # as `uv sync` installs it
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    return {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "VIRTUAL_ENV": str(venv),
        "UV_RUN_RECURSION_DEPTH": "1",
    }


def _two_profiles(run_cli: CliRunner, config: Path) -> None:
    """A config outside the default place, whose default profile is not `work`."""
    for name in ("main", "work"):
        r = run_cli(
            "configure",
            "--config",
            str(config),
            "--profile",
            name,
            "--region",
            "ap-southeast-1",
            "--shared-host",
            "--store",
            "file",
            "--api-key-stdin",
            input=KEY,
        )
        assert r.rc == 0, r
    (config.parent / "keys" / "work.key").unlink()


def _sh(
    command: str, env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess:
    full = {
        **env,
        "HOME": str(cwd),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    return subprocess.run(
        ["bash", "-c", command],
        input=stdin,
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_key_missing_remedy_names_profile_and_config_and_works_pasted(
    run_cli: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "team" / "cli.yaml"
    _two_profiles(run_cli, config)
    for args in (("key", "get"), ("env",), ("export", "--format", "sh", "--include-key")):
        r = run_cli(*args, "--profile", "work", "--config", str(config), env=INSTALLED)
        assert r.rc == 1, r
        remedy = r.stderr.rstrip().split("Store one with: ", 1)[1]
        assert remedy == f"modelstudio-setup key set --profile work --config {config}"
    pasted = _sh(f"{remedy} --api-key-stdin", INSTALLED, tmp_path, stdin=KEY)
    assert pasted.returncode == 0, pasted.stderr
    r = run_cli("key", "get", "--profile", "work", "--config", str(config), env=INSTALLED)
    assert r.rc == 0 and r.stdout.strip() == KEY


def test_under_uv_run_the_remedy_is_the_uv_run_command(run_cli: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "team" / "cli.yaml"
    _two_profiles(run_cli, config)
    r = run_cli("key", "get", "--profile", "work", "--config", str(config), env=_uv_run(tmp_path))
    assert r.rc == 1
    assert r.stderr.rstrip().endswith(
        f"Store one with: uv run modelstudio-setup key set --profile work --config {config}"
    )


def test_the_dotenv_header_command_addresses_the_profile_and_runs(
    run_cli: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "team" / "cli.yaml"
    _two_profiles(run_cli, config)
    r = run_cli(
        "export", "--format", "dotenv", "--profile", "main", "--config", str(config), env=INSTALLED
    )
    assert r.rc == 0, r
    header = next(line for line in r.stdout.splitlines() if "in your environment" in line)
    command = re.fullmatch(
        r'# Set DASHSCOPE_API_KEY in your environment, e\.g\. (eval ".*")\.', header
    )
    assert command, header
    assert command.group(1) == (f'eval "$(modelstudio-setup env --profile main --config {config})"')
    out = _sh(f'{command.group(1)}; printf %s "$DASHSCOPE_API_KEY"', INSTALLED, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == KEY

    r = run_cli(
        "export",
        "--format",
        "dotenv",
        "--profile",
        "main",
        "--config",
        str(config),
        env=_uv_run(tmp_path),
    )
    assert 'eval "$(uv run modelstudio-setup env --profile main' in r.stdout


def test_a_reexport_replaces_the_old_header_line(run_cli: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "team" / "cli.yaml"
    _two_profiles(run_cli, config)
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# Model Studio profile 'main': ap-southeast-1, scope international, shared host\n"
        "# Written by modelstudio-setup export.\n"
        "# The API key is not in this file; it is referenced.\n"
        '# Set DASHSCOPE_API_KEY in your environment, e.g. eval "$(modelstudio-setup env)".\n'
        "DATABASE_URL=postgres://x\n"
    )
    r = run_cli(
        "export",
        "--format",
        "dotenv",
        "--profile",
        "main",
        "--config",
        str(config),
        "-o",
        str(env_file),
    )
    assert r.rc == 0, r
    text = env_file.read_text()
    assert text.count("in your environment") == 1
    assert f"env --profile main --config {config})" in text
    assert "DATABASE_URL=postgres://x" in text


def test_key_references_keep_the_bare_name_and_the_export_says_how_to_install(
    run_cli: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "team" / "cli.yaml"
    _two_profiles(run_cli, config)
    for fmt in ("sh", "fish", "powershell", "claude-code"):
        r = run_cli(
            "export",
            "--format",
            fmt,
            "--profile",
            "main",
            "--config",
            str(config),
            env=_uv_run(tmp_path),
        )
        assert r.rc == 0, r
        assert "uv run" not in r.stdout  # a file run later by other programs
        assert "modelstudio-setup" in r.stdout and "key" in r.stdout
        assert "uv tool install ." in r.stderr, fmt
        r = run_cli(
            "export", "--format", fmt, "--profile", "main", "--config", str(config), env=INSTALLED
        )
        assert "uv tool install" not in r.stderr, fmt


def test_the_demo_remedy_is_spelt_for_uv_run(run_cli: CliRunner, tmp_path: Path) -> None:
    r = run_cli("--demo", "doctor", env=_uv_run(tmp_path))
    assert r.rc == 2
    assert "(run: uv run modelstudio-setup --demo)" in r.stderr


def test_an_unusable_stored_key_names_the_exact_command_to_store_it_again(
    run_cli: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "team" / "cli.yaml"
    _two_profiles(run_cli, config)
    key_file = config.parent / "keys" / "work.key"
    key_file.write_text("not a key\n")
    key_file.chmod(0o600)
    for args in (("key", "get"), ("env",), ("export", "--format", "dotenv", "--include-key")):
        r = run_cli(*args, "--profile", "work", "--config", str(config), env=INSTALLED)
        assert r.rc == 2, r
        remedy = r.stderr.rstrip().split("Store it again with: ", 1)[1]
        assert remedy == f"modelstudio-setup key set --profile work --config {config}", args
    pasted = _sh(f"{remedy} --api-key-stdin", INSTALLED, tmp_path, stdin=KEY)
    assert pasted.returncode == 0, pasted.stderr
    assert key_file.read_text().strip() == KEY
