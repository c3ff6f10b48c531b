"""`key temp`: a temporary `st-` key issued by the simulator over real TLS under the
production host names, printed for a CI job and stored nowhere. The simulator's clock
decides expiry, so "works now, refused after its TTL" is checked without sleeping. Every
output is searched for the profile's key; the temporary key may appear on stdout only."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import main
from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.secrets.stores import KeyRef
from app.simulator.server import Simulator
from tests.fixtures.doctor import KEY_VAR
from tests.fixtures.simulator import pinned_client


@dataclass
class Run:
    code: int
    out: str
    err: str


class Clock:
    """The simulator's clock: real time plus whatever a test adds."""

    def __init__(self) -> None:
        import time

        self.offset = 0.0
        self._time = time.time

    def __call__(self) -> float:
        return self._time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(simulator_ca, clock):
    server = Simulator(ca=simulator_ca, clock=clock).start_in_thread()
    try:
        yield server
    finally:
        server.stop_thread()
    assert not server.errors, server.errors


@pytest.fixture
def env(env, tmp_path):
    """The doctor tests' clean machine with a private home, no keyring and no stdin."""
    env.setenv("HOME", str(tmp_path / "home"))
    env.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    env.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    env.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    env.setattr(sys, "stdin", io.StringIO(""))
    return env


def config_for(tmp_path: Path, sim, account: str = "ap-southeast-1", **kw) -> Path:
    acct = sim.accounts[account]
    settings = {
        "region": acct.region,
        "endpoint_style": "workspace",
        "workspace_id": acct.workspace_id,
        "model": "qwen-plus",
        "api_key": KeyRef(store="env", env=KEY_VAR),
        **kw,
    }
    profile, _ = make_profile("ci", **settings)
    path = tmp_path / "cfg" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, Config().with_profile(profile, make_default=True).dump())
    return path


def temp(capsys, config: Path, sim, *args: str, lang: str = "en") -> Run:
    argv = ["key", "temp", "--lang", lang, "--config", str(config), *args]
    argv += ["--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file), "--timeout", "5"]
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def no_leak(key: str, *texts: str) -> None:
    for text in texts:
        assert key not in text and key[3:15] not in text


def works(sim, token: str, host: str) -> int:
    """The status a call with `token` gets (the model list of the profile's host)."""
    with pinned_client(sim) as client:
        answer = client.get(
            f"https://{host}/compatible-mode/v1/models",
            headers={"Authorization": f"Bearer {token}"},
        )
    return answer.status_code


# ------------------------------------------------------------------------------ the good paths


def test_the_env_line_holds_a_key_that_works_until_its_ttl_ends(capsys, env, tmp_path, sim, clock):
    parent = sim.key("ap-southeast-1")
    env.setenv(KEY_VAR, parent)
    config = config_for(tmp_path, sim)
    before = config.read_bytes()
    run = temp(capsys, config, sim, "--ttl", "120")
    assert run.code == 0, run.err
    (line,) = run.out.splitlines()
    var, _, token = line.partition("=")
    assert var == KEY_VAR and token.startswith("st-")
    host = f"{sim.accounts['ap-southeast-1'].workspace_id}.ap-southeast-1.maas.aliyuncs.com"
    (issue,) = sim.requests
    assert issue.method == "POST" and issue.path == "/api/v1/tokens" and issue.host == host
    assert f"st-…{token[-4:]}" in run.err and "not stored anywhere" in run.err
    assert "valid for 120 s" in run.err and "expires at" in run.err
    assert token not in run.err
    no_leak(parent, run.out, run.err)
    assert works(sim, token, host) == 200
    clock.offset = 115  # the TTL asked for, not the service's default of 60 s
    assert works(sim, token, host) == 200
    clock.offset = 121
    assert works(sim, token, host) == 401  # expired: just an unknown key now
    assert works(sim, parent, host) == 200
    assert config.read_bytes() == before  # nothing recorded
    assert token not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*.yaml"))


def test_github_masks_first_then_the_line_for_github_env(capsys, env, tmp_path, sim):
    parent = sim.key("ap-southeast-1")
    env.setenv(KEY_VAR, parent)
    run = temp(capsys, config_for(tmp_path, sim), sim, "--format", "github")
    assert run.code == 0, run.err
    mask, line = run.out.splitlines()
    token = mask.removeprefix("::add-mask::")
    assert token.startswith("st-") and line == f"{KEY_VAR}={token}"
    assert "GITHUB_ENV" in run.err and token not in run.err
    no_leak(parent, run.out, run.err)


def test_the_documented_github_step_fills_github_env_and_logs_only_the_mask(run_cli, tmp_path, sim):
    """The README's step, run by bash: the log gets the ::add-mask:: command only, and
    $GITHUB_ENV the variable line (what the runner then exports to later steps)."""
    parent = sim.key("ap-southeast-1")
    acct = sim.accounts["ap-southeast-1"]
    profile, _ = make_profile(
        "ci",
        region=acct.region,
        workspace_id=acct.workspace_id,
        model="qwen-plus",
        api_key=KeyRef(store="env", env=KEY_VAR),
    )
    run_cli.config.parent.mkdir(parents=True)
    atomic_write(run_cli.config, Config().with_profile(profile, make_default=True).dump())
    github_env = tmp_path / "github_env"
    pins = f"--connect-to {sim.connect_to} --ca-file {sim.ca_file}"
    step = (
        f'"{sys.executable}" -m app key temp --format github {pins}'
        ' | { read -r mask; echo "$mask"; cat >> "$GITHUB_ENV"; }'
    )
    env = {**run_cli.base_env(), KEY_VAR: parent, "GITHUB_ENV": str(github_env)}
    proc = subprocess.run(
        ["bash", "-c", step], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    (log,) = proc.stdout.splitlines()
    token = log.removeprefix("::add-mask::")
    assert token.startswith("st-")
    assert github_env.read_text() == f"{KEY_VAR}={token}\n"
    no_leak(parent, proc.stdout, proc.stderr, github_env.read_text())
    assert token not in proc.stderr


def test_gitlab_lines_export_the_key_under_eval_with_the_hint_first(capsys, env, tmp_path, sim):
    parent = sim.key("ap-southeast-1")
    env.setenv(KEY_VAR, parent)
    run = temp(capsys, config_for(tmp_path, sim), sim, "--format", "gitlab")
    assert run.code == 0, run.err
    hint, export = run.out.splitlines()
    assert hint.startswith("# ") and "masks only variables" in hint
    proc = subprocess.run(
        ["bash", "-c", f'eval "$1"; printf %s "${KEY_VAR}"', "sh", run.out],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("st-"), proc.stderr
    assert export == f"export {KEY_VAR}='{proc.stdout}'"
    no_leak(parent, run.out, run.err)


def test_json_carries_the_key_and_what_was_done(capsys, env, tmp_path, sim, clock):
    parent = sim.key("ap-southeast-1")
    env.setenv(KEY_VAR, parent)
    run = temp(capsys, config_for(tmp_path, sim), sim, "--json", "--ttl", "30")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["schema_version"] == 1 and doc["action"] == "temp"
    assert doc["token"].startswith("st-") and doc["stored"] is False
    assert doc["ttl_seconds"] == 30 and doc["lines"] == [f"{KEY_VAR}={doc['token']}"]
    assert abs(doc["expires_at"] - (clock() + 30)) < 5
    assert doc["token"] not in run.err
    no_leak(parent, run.out, run.err)


@pytest.mark.parametrize(
    ("form", "shown"),
    [
        ("env", 'export "$({command})"'),
        ("github", "{command} --format github | { read -r mask;"),
        ("gitlab", 'eval "$({command} --format gitlab)"'),
    ],
)
def test_the_usage_hint_runs_as_typed_for_the_same_profile(capsys, env, tmp_path, sim, form, shown):
    """Inside `uv run` the bare name is not on the user's PATH: the hint says `uv run …`,
    and keeps the --profile the user typed and the config it came from."""
    venv = tmp_path / "clone" / ".venv"
    (venv / "bin").mkdir(parents=True)
    env.setenv("PATH", f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin")
    env.setenv("VIRTUAL_ENV", str(venv))
    env.setenv("UV_RUN_RECURSION_DEPTH", "1")
    env.setenv(KEY_VAR, sim.key("ap-southeast-1"))
    config = config_for(tmp_path, sim)
    run = temp(capsys, config, sim, "--profile", "ci", "--format", form)
    assert run.code == 0, run.err
    command = f"uv run modelstudio-setup key temp --profile ci --config {config}"
    assert shown.replace("{command}", command) in run.err


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "ttl", ["0", "1801", "-5", "abc", "1e3", "60s", "", "６０", "00600", "9" * 5000, "6\x1b[2J"]
)
def test_a_ttl_outside_1_to_1800_is_exit_2_and_nothing_is_sent(capsys, env, tmp_path, sim, ttl):
    parent = sim.key("ap-southeast-1")
    env.setenv(KEY_VAR, parent)
    run = temp(capsys, config_for(tmp_path, sim), sim, "--ttl", ttl)
    assert run.code == 2, run.err
    assert "--ttl takes whole seconds from 1 to 1800" in run.err
    assert run.out == "" and sim.requests == []
    no_leak(parent, run.out, run.err)


def test_a_plan_profile_is_refused_with_the_reason(capsys, env, tmp_path, sim):
    plan_key = sim.key("plan")
    env.setenv(KEY_VAR, plan_key)
    config = config_for(
        tmp_path,
        sim,
        endpoint_style="plan",
        plan="coding",
        workspace_id=None,
        model="qwen3.6-plus",
    )
    run = temp(capsys, config, sim)
    assert run.code == 2, run.err
    assert "plan keys are for interactive coding tools only" in run.err
    assert run.out == "" and sim.requests == []
    no_leak(plan_key, run.out, run.err)


def test_a_plan_key_on_a_pay_as_you_go_profile_is_refused_before_sending(
    capsys, env, tmp_path, sim
):
    plan_key = sim.key("plan")
    env.setenv(KEY_VAR, plan_key)
    run = temp(capsys, config_for(tmp_path, sim), sim)
    assert run.code == 2 and "is a plan key" in run.err, run.err
    assert sim.requests == []
    no_leak(plan_key, run.out, run.err)


def test_a_key_the_host_refuses_is_exit_1_with_the_service_code(capsys, env, tmp_path, sim):
    other = sim.key("cn-beijing")  # a Beijing key on a Singapore workspace host
    env.setenv(KEY_VAR, other)
    run = temp(capsys, config_for(tmp_path, sim), sim)
    assert run.code == 1, run.err
    assert "refused the profile's key (HTTP 401, InvalidApiKey" in run.err
    assert run.out == ""
    no_leak(other, run.out, run.err)


def test_json_of_a_refused_key_is_a_document_with_exit_1_and_no_key(capsys, env, tmp_path, sim):
    """Exit 1 is no refusal of bad input (docs/json.md): the script gets its document."""
    other = sim.key("cn-beijing")
    env.setenv(KEY_VAR, other)
    run = temp(capsys, config_for(tmp_path, sim), sim, "--json")
    assert run.code == 1, run.err
    doc = json.loads(run.out)  # the whole of stdout: one document
    assert next(iter(doc)) == "schema_version" and doc["exit_code"] == 1
    assert doc["action"] == "temp" and doc["profile"] == "ci" and doc["error"] == "refused"
    assert doc["token"] is None and doc["lines"] == [] and doc["stored"] is False
    assert doc["http_status"] == 401 and doc["service_code"] == "InvalidApiKey"
    assert "refused the profile's key" in doc["message"] and "refused the profile's key" in run.err
    no_leak(other, run.out, run.err)


def test_no_key_is_exit_2_and_nothing_is_sent(capsys, env, tmp_path, sim):
    run = temp(capsys, config_for(tmp_path, sim), sim)
    assert run.code == 2 and KEY_VAR in run.err, run.err
    assert sim.requests == [] and run.out == ""


def test_an_unreachable_host_says_so_without_a_traceback(capsys, env, tmp_path, sim):
    parent = sim.key("ap-southeast-1")
    env.setenv(KEY_VAR, parent)
    config = config_for(tmp_path, sim)
    argv = ["key", "temp", "--config", str(config), "--connect-to", "::127.0.0.1:1"]
    argv += ["--ca-file", str(sim.ca_file), "--timeout", "3"]
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1 and "could not be reached" in err, err
    assert "Traceback" not in err and out == ""
    no_leak(parent, out, err)


def test_messages_in_chinese(capsys, env, tmp_path, sim):
    env.setenv(KEY_VAR, sim.key("ap-southeast-1"))
    run = temp(capsys, config_for(tmp_path, sim), sim, "--ttl", "0", lang="zh")
    assert run.code == 2 and "整秒" in run.err and "未发送任何内容" in run.err
