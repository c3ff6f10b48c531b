"""The exported snippets and variables really work: the real SDKs, run as a user would run
them, complete a call against the simulator (real TLS, production host names, through a
CONNECT proxy), with the key coming from the environment as the export references it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from app.config.validate import make_profile
from app.export.formats import export
from app.secrets.stores import KeyRef
from tests.fixtures.simulator import proxy_env

REGION = "ap-southeast-1"


@pytest.fixture
def sim_profile(simulator):
    account = simulator.accounts[REGION]
    profile = make_profile(
        "default",
        region=REGION,
        workspace_id=account.workspace_id,
        api_key=KeyRef("keyring", "DASHSCOPE_API_KEY"),
    )[0]
    return profile, account.key


def _run(code_or_file: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    base.update(env)
    return subprocess.run(
        [sys.executable, *code_or_file],
        env=base,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("fmt", ["openai-python", "anthropic-python", "dashscope-python"])
def test_python_snippet_runs_against_the_simulator(
    fmt: str, sim_profile, simulator, sim_proxy, tmp_path: Path
) -> None:
    profile, key = sim_profile
    script = tmp_path / "snippet.py"
    script.write_text(export(profile, fmt))
    assert key not in script.read_text()
    env = {**proxy_env(simulator, sim_proxy), "DASHSCOPE_API_KEY": key}
    result = _run([str(script)], env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the snippet printed the model's answer"
    assert key not in result.stdout + result.stderr


def test_dotenv_variables_configure_the_openai_and_anthropic_sdks(
    sim_profile, simulator, sim_proxy, tmp_path: Path, monkeypatch
) -> None:
    """Only the variables of the .env (interpolated by python-dotenv) configure the clients."""
    profile, key = sim_profile
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)  # the user's shell has the key
    values = dotenv_values(stream=io.StringIO(export(profile, "dotenv")), interpolate=True)
    assert values["OPENAI_API_KEY"] == key
    values["DASHSCOPE_API_KEY"] = key
    code = (
        "import os\n"
        "from openai import OpenAI\n"
        "import anthropic\n"
        "r = OpenAI().chat.completions.create(model=os.environ['MODELSTUDIO_MODEL'],"
        " messages=[{'role': 'user', 'content': 'hi'}], max_tokens=1)\n"
        "print('openai', r.object)\n"
        "m = anthropic.Anthropic(api_key=None).messages.create("
        "model=os.environ['ANTHROPIC_MODEL'], max_tokens=1,"
        " messages=[{'role': 'user', 'content': 'hi'}])\n"
        "print('anthropic', m.type)\n"
    )
    env = {**proxy_env(simulator, sim_proxy), **{k: v for k, v in values.items() if v}}
    result = _run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["openai", "chat.completion", "anthropic", "message"]
