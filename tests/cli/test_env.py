"""`env`: eval "$(modelstudio-setup env)" puts the stored key and the URLs in the shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "sk-0123456789abcdef0123456789abcdef"
VENV_BIN = str(Path(sys.executable).parent)
WS = "ws-g3ganedl8go5vc5i"
OPENAI_URL = f"https://{WS}.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1"


def _configure(cli, *extra: str, **kw) -> None:
    r = cli("configure", "--region", "ap-southeast-1", "--workspace-id", WS, *extra, **kw)
    assert r.rc == 0, r


def _eval(shell: list[str], script: str, config: Path) -> list[str]:
    env = {
        "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "MODELSTUDIO_SETUP_CONFIG": str(config),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    out = subprocess.run(
        [*shell, script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return out.stdout.splitlines()


def test_eval_env_in_sh_exports_key_and_urls(cli) -> None:
    _configure(cli, "--store", "file", "--api-key-stdin", input=KEY)
    script = (
        'eval "$(modelstudio-setup env)"; '
        'printf "%s\\n" "$DASHSCOPE_API_KEY" "$OPENAI_API_KEY" '
        '"$OPENAI_BASE_URL" "$ANTHROPIC_MODEL"'
    )
    assert _eval(["sh", "-c"], script, cli.config) == [KEY, KEY, OPENAI_URL, "qwen-flash"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
def test_env_for_fish(cli) -> None:
    _configure(cli, "--store", "file", "--api-key-stdin", input=KEY)
    script = (
        "modelstudio-setup env --shell fish | source; "
        "printf '%s\\n' $DASHSCOPE_API_KEY $ANTHROPIC_AUTH_TOKEN $OPENAI_BASE_URL"
    )
    assert _eval(["fish", "-c"], script, cli.config) == [KEY, KEY, OPENAI_URL]


def test_env_powershell_syntax(cli) -> None:
    _configure(cli, "--store", "file", "--api-key-stdin", input=KEY)
    r = cli("env", "--shell", "powershell")
    assert r.rc == 0
    assert f"$env:DASHSCOPE_API_KEY = '{KEY}'" in r.stdout
    assert f"$env:OPENAI_BASE_URL = '{OPENAI_URL}'" in r.stdout
    assert "$env:OPENAI_API_KEY = $env:DASHSCOPE_API_KEY" in r.stdout


def test_env_with_custom_variable_store(cli) -> None:
    _configure(cli, "--store", "env", "--api-key-env", "TEAM_KEY", env={"TEAM_KEY": KEY})
    r = cli("env", env={"TEAM_KEY": KEY})
    assert r.rc == 0
    assert f"export TEAM_KEY={KEY}" in r.stdout
    assert 'export DASHSCOPE_API_KEY="$TEAM_KEY"' in r.stdout


def test_env_exits_1_when_the_key_is_not_in_its_store(cli) -> None:
    _configure(cli, "--store", "env")
    r = cli("env")
    assert r.rc == 1
    assert r.stdout == ""
    # QA B19: the fix is to set the variable (configure refuses --api-key-stdin here).
    assert "variable DASHSCOPE_API_KEY, which is not set. Export it first" in r.stderr
    assert "--api-key-stdin" not in r.stderr

    # file store whose key file was removed
    _configure(cli, "--store", "file", "--api-key-stdin", "--profile", "f", input=KEY)
    (cli.config.parent / "keys" / "f.key").unlink()
    r = cli("env", "--profile", "f")
    assert r.rc == 1 and r.stdout == ""
    assert "f.key" in r.stderr
    assert "modelstudio-setup key set --profile f" in r.stderr  # the advice key get gives


def test_env_without_a_config_is_a_clear_usage_error(cli) -> None:
    r = cli("env")
    assert r.rc == 2
    assert "configure" in r.stderr


def test_env_refuses_a_tampered_config(cli) -> None:
    _configure(cli, "--store", "file", "--api-key-stdin", input=KEY)
    text = cli.config.read_text().replace(
        f"https://{WS}.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
        "https://collector.example/compatible-mode/v1",
    )
    cli.config.write_text(text)
    r = cli("env")
    assert r.rc == 2
    assert KEY not in r.output
    assert "base_urls.openai" in r.stderr
