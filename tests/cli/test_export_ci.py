"""`export --for-ci` (issue 9 part 2): an export a CI job can use as it is. The runner has no
keyring and no modelstudio-setup, so the key comes from the job's secrets as the profile's
variable, a missing secret fails the step by name, a plan profile is refused (the plans'
usage rule: the account can be suspended), a literal key is refused, and the trial domain is
said to have no SLA. The sh export is proven by the real OpenAI SDK against the simulator."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from app.config.validate import make_profile
from app.export.formats import FORMATS, export
from app.secrets.stores import KeyRef
from tests.fixtures.export import KEY, URLS, configured_file_store
from tests.fixtures.export import profile as keyring_profile
from tests.fixtures.simulator import proxy_env

PLAN_KEY = "sk-sp-" + "0123456789abcdef" * 2
# A runner's PATH: the shells and Python, but no modelstudio-setup (never installed in CI).
RUNNER_PATH = os.pathsep.join(
    d
    for d in os.environ.get("PATH", "").split(os.pathsep)
    if not (Path(d) / "modelstudio-setup").exists()
)


def _runner_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"PATH": RUNNER_PATH, "HOME": "/nonexistent", "LC_ALL": "C.UTF-8"}
    env.update(extra or {})
    return env


def _sh(script: Path, env: dict[str, str], then: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", f". {script}; {then}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sh_for_ci_reads_the_jobs_secret_and_never_runs_key_get(cli, tmp_path: Path) -> None:
    configured_file_store(cli)  # the key is in a store a runner does not have
    r = cli("export", "--format", "sh", "--for-ci")
    assert r.rc == 0, r
    assert "key get" not in r.stdout and KEY not in r.stdout
    assert "secrets.DASHSCOPE_API_KEY" in r.stderr  # where the secret goes, said once
    assert "modelstudio-setup key get" not in r.stderr  # no "not on PATH" hint: it is not run
    script = tmp_path / "ci.sh"
    script.write_text(r.stdout)
    ok = _sh(script, _runner_env({"DASHSCOPE_API_KEY": KEY}), 'printf "%s\\n" "$OPENAI_API_KEY"')
    assert ok.returncode == 0 and ok.stdout.split() == [KEY], ok.stderr
    missing = _sh(script, _runner_env(), "echo reached")
    assert missing.returncode != 0 and "reached" not in missing.stdout
    assert "DASHSCOPE_API_KEY is not set: add it to the CI job's secrets" in missing.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
def test_fish_for_ci_fails_by_name_without_the_secret(tmp_path: Path) -> None:
    profile = keyring_profile(store="keyring")
    script = tmp_path / "ci.fish"
    script.write_text(export(profile, "fish", for_ci=True))
    run = [shutil.which("fish") or "fish", "-c", f"source {script}; echo $OPENAI_API_KEY"]
    ok = subprocess.run(
        run, env=_runner_env({"DASHSCOPE_API_KEY": KEY}), capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0 and ok.stdout.split() == [KEY], ok.stderr
    # fish has no `set -e`: the sourcing itself fails, so `source ci.fish; and ...` stops.
    run[-1] = f"source {script}; and echo reached; or echo stopped"
    missing = subprocess.run(run, env=_runner_env(), capture_output=True, text=True, timeout=60)
    assert missing.stdout.split() == ["stopped"]
    assert "DASHSCOPE_API_KEY is not set: add it to the CI job's secrets" in missing.stderr


def test_dotenv_and_claude_code_for_ci_reference_the_secret(cli) -> None:
    configured_file_store(cli)
    r = cli("export", "--format", "dotenv", "--for-ci")
    assert r.rc == 0 and "key get" not in r.stdout and "modelstudio-setup env" not in r.stdout
    values = dotenv_values(stream=io.StringIO(r.stdout), interpolate=False)
    assert values["OPENAI_API_KEY"] == "${DASHSCOPE_API_KEY}"
    assert values["OPENAI_BASE_URL"] == URLS["openai"]
    r = cli("export", "--format", "claude-code", "--for-ci")
    assert r.rc == 0 and "apiKeyHelper" not in r.stdout  # no helper a runner could not run
    assert "ANTHROPIC_AUTH_TOKEN" in r.stderr  # the variable Claude Code reads the key from
    # Without --for-ci the same profile keeps its helper (the flag changed the file).
    assert "apiKeyHelper" in cli("export", "--format", "claude-code").stdout


def test_a_plan_profile_is_refused_for_ci_and_nothing_is_written(cli, tmp_path: Path) -> None:
    env = {"DASHSCOPE_API_KEY": PLAN_KEY}
    r = cli(
        "configure",
        "--store",
        "env",
        "--plan",
        "coding",
        "--plan-region",
        "ap-southeast-1",
        env=env,
    )
    assert r.rc == 0, r
    out = tmp_path / "ci.env"
    for fmt in ("dotenv", "sh", "openai-python", "litellm", "qwen-code"):
        r = cli("export", "--format", fmt, "--for-ci", "-o", str(out), env=env)
        assert r.rc == 2, (fmt, r)
        assert "plan keys are for interactive coding tools only" in r.stderr
        assert "suspended" in r.stderr and not out.exists()
        assert PLAN_KEY not in r.stdout + r.stderr


def test_include_key_is_refused_for_ci_before_the_key_is_read(cli, tmp_path: Path) -> None:
    configured_file_store(cli)
    out = tmp_path / "ci.env"
    r = cli("export", "--format", "dotenv", "--for-ci", "--include-key", "-o", str(out))
    assert r.rc == 2 and not out.exists()
    assert "--for-ci never writes the key" in r.stderr and "DASHSCOPE_API_KEY" in r.stderr
    assert KEY not in r.stdout + r.stderr


def test_a_trial_profile_for_ci_is_written_with_the_no_sla_note(cli) -> None:
    env = {"DASHSCOPE_API_KEY": KEY}
    r = cli(
        "configure", "--store", "env", "--region", "cn-beijing", "--access-domain", "trial", env=env
    )
    assert r.rc == 0, r
    r = cli("export", "--format", "sh", "--for-ci", env=env)
    assert r.rc == 0 and "trial.cn-beijing.maas.aliyuncs.com" in r.stdout
    assert "no SLA" in r.stderr and "--access-domain workspace" in r.stderr


def test_the_ci_messages_are_translated(cli) -> None:
    configured_file_store(cli)
    r = cli("export", "--format", "sh", "--for-ci", "--include-key", "--lang", "zh")
    assert r.rc == 2 and "--for-ci 从不把密钥写入文件" in r.stderr
    r = cli("export", "--format", "sh", "--for-ci", "--lang", "zh")
    assert r.rc == 0 and "用于 CI" in r.stderr


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "yaml"])
def test_no_for_ci_export_runs_the_tool_or_holds_the_key(fmt: str) -> None:
    profile = keyring_profile(store="keyring")
    text = export(profile, fmt, for_ci=True)
    assert "key get" not in text and "modelstudio-setup env" not in text and KEY not in text


def test_the_sh_for_ci_export_drives_the_real_openai_sdk(
    simulator, sim_proxy, tmp_path: Path
) -> None:
    """Nothing but the exported file and the job's secret: the SDK completes a call."""
    account = simulator.accounts["ap-southeast-1"]
    profile = make_profile(
        "default",
        region="ap-southeast-1",
        workspace_id=account.workspace_id,
        api_key=KeyRef("keyring"),
    )[0]
    script = tmp_path / "ci.sh"
    script.write_text(export(profile, "sh", for_ci=True))
    code = (
        "from openai import OpenAI; import os; "
        "r = OpenAI().chat.completions.create(model=os.environ['MODELSTUDIO_MODEL'], "
        "messages=[{'role': 'user', 'content': 'hi'}], max_completion_tokens=1); print(r.object)"
    )
    env = _runner_env({**proxy_env(simulator, sim_proxy), "DASHSCOPE_API_KEY": account.key})
    run = _sh(script, env, f'{sys.executable} -c "{code}"')
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["chat.completion"]
    assert account.key not in run.stderr
