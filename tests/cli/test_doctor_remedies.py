"""D19/D21: every command a doctor remedy prints works when pasted. Each test provokes a
finding against the simulator (real loopback TLS), takes the command out of the remedy,
and runs it with shlex.split in a real subprocess, in an environment where a command that
forgot --profile or --config would address another profile of another file."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from app.config.io import load_config
from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.secrets.stores import KeyRef
from tests.fixtures.cli import _SCRUBBED, REPO_ROOT
from tests.fixtures.doctor import KEY_VAR, doctor


@pytest.fixture
def env(env):
    """No proxy, trust or key variables from the machine; commands spelt with the bare
    name (as for an installed tool: the venv's bin is on PATH here)."""
    env.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    return env


def two_profiles(tmp_path: Path, sim, *, model="qwen-plus", store="env") -> Path:
    """`default` (healthy, the file's default) and `work` (the one under test) in a config
    that is not the default location; a decoy config is what MODELSTUDIO_SETUP_CONFIG names."""
    acct = sim.accounts["ap-southeast-1"]
    config = Config()
    for name, mdl, st in (("default", "qwen-plus", "env"), ("work", model, store)):
        profile, _ = make_profile(
            name,
            region=acct.region,
            endpoint_style="workspace",
            workspace_id=acct.workspace_id,
            model=mdl,
            api_key=KeyRef(store=st, env=KEY_VAR if st == "env" else "DASHSCOPE_API_KEY"),
        )
        config = config.with_profile(profile, make_default=name == "default")
    path = tmp_path / "team" / "config.yaml"
    path.parent.mkdir()
    atomic_write(path, config.dump())
    return path


def commands_in(remedy: str) -> list[str]:
    """The commands of a remedy: code spans, `eval "$(…)"` and `printf … | …` unwrapped."""
    out = []
    for span in re.findall(r"`([^`]+)`", remedy):
        inner = re.fullmatch(r'eval "\$\((.+)\)"', span)
        if inner:
            span = inner.group(1)
        if " | " in span:
            span = span.split(" | ", 1)[1]
        if span.startswith(_prefix() + " "):
            out.append(span)
    return out


def _prefix() -> str:
    """How this tool is spelt in this environment (bare name, or `python -m app`)."""
    from app.core.invocation import prefix

    return shlex.join(prefix())


def paste(
    cmd: str, tmp_path: Path, key: str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        HOME=str(tmp_path / "home"),
        MODELSTUDIO_SETUP_CONFIG=str(tmp_path / "decoy.yaml"),  # a forgotten --config lands here
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        LC_ALL="C.UTF-8",
        PYTHONPATH=str(REPO_ROOT),
    )
    if key:
        env[KEY_VAR] = key
    return subprocess.run(
        shlex.split(cmd),
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


def remedy_of(run, code: str) -> str:
    return next(f["remedy"] for f in run.data["findings"] if f["code"] == code)


def test_key_rejected_rerun_addresses_the_same_profile_file_and_pins(
    capsys, env, tmp_path, simulator
):
    cfg = two_profiles(tmp_path, simulator)
    bad = "sk-" + "a" * 32
    run = doctor(capsys, env, tmp_path, simulator, bad, "--profile", "work", config=cfg)
    (cmd,) = commands_in(remedy_of(run, "key_rejected"))
    assert cmd.endswith(" --all-regions")
    done = paste(cmd, tmp_path, key=bad)
    assert done.returncode == 1, done.stderr
    assert "profile work" in done.stdout and "Key ownership check" in done.stdout
    assert not (tmp_path / "decoy.yaml").exists()


def test_model_not_found_remedy_changes_the_model_of_that_profile(capsys, env, tmp_path, simulator):
    cfg = two_profiles(tmp_path, simulator, model="qwen-does-not-exist")
    key = simulator.key("ap-southeast-1")
    run = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    remedy = remedy_of(run, "model_not_found")
    (cmd,) = commands_in(remedy)
    words = shlex.split(cmd)
    model = words[words.index("--model") + 1]
    assert words[len(shlex.split(_prefix()))] == "configure"
    assert words[words.index("--profile") + 1] == "work"
    assert words[words.index("--config") + 1] == str(cfg)
    assert model in remedy.split("(e.g. ", 1)[1] and model != "MODEL"
    done = paste(cmd, tmp_path, key=key)
    assert done.returncode == 0, done.stderr
    config = load_config(cfg)
    assert config.profile("work").model == model
    assert config.profile("default").model == "qwen-plus"
    again = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    assert "model_not_found" not in again.codes


def test_env_key_differs_remedy_exports_that_profile(capsys, env, tmp_path, simulator):
    cfg = two_profiles(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    env.setenv("DASHSCOPE_API_KEY", simulator.key("demo"))
    run = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    remedy = remedy_of(run, "env_key_differs")
    assert f'eval "$({_prefix()} env --profile work --config ' in remedy
    (cmd,) = commands_in(remedy)
    done = paste(cmd, tmp_path, key=key)
    assert done.returncode == 0, done.stderr
    host = simulator.accounts["ap-southeast-1"].workspace_id
    assert host in done.stdout and "DASHSCOPE_API_KEY" in done.stdout


def test_no_key_remedy_stores_the_key_of_that_profile(capsys, env, tmp_path, simulator):
    cfg = two_profiles(tmp_path, simulator, store="file")
    key = simulator.key("ap-southeast-1")
    run = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    (cmd,) = commands_in(remedy_of(run, "no_key"))
    done = paste(cmd, tmp_path, stdin=key)
    assert done.returncode == 0, done.stderr
    assert key not in done.stdout + done.stderr
    again = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    assert again.code == 0, again.data["findings"]


def test_key_of_another_region_names_request_ids_and_a_command_that_moves_the_profile(
    capsys, env, tmp_path, simulator
):
    """QA: `--all-regions` showed the region id as "Request ids (for support)", and its remedy
    said "configure the profile for that region" in words only."""
    cfg = two_profiles(tmp_path, simulator)
    key = simulator.key("us-east-1")
    run = doctor(
        capsys, env, tmp_path, simulator, key, "--profile", "work", "--all-regions", config=cfg
    )
    (finding,) = [f for f in run.data["findings"] if f["code"] == "key_other_region"]
    assert finding["request_ids"], finding
    assert all(re.fullmatch(r"[0-9a-f-]{36}", rid) for rid in finding["request_ids"]), finding
    (cmd,) = commands_in(finding["remedy"])
    assert "--region us-east-1 --shared-host" in cmd
    done = paste(cmd, tmp_path, key=key)
    assert done.returncode == 0, done.stderr
    moved = load_config(cfg).profile("work")
    assert (moved.region, moved.endpoint_style) == ("us-east-1", "shared")
    again = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    assert "key_other_region" not in again.codes and again.code == 0, again.codes
