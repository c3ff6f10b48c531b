"""Plan profiles (issue 9 part 2): `configure --plan coding|token --plan-region R` saves a
profile on the plan's own host and paths (Coding Plan's OpenAI path is /v1, no native
surface), the doctor's plan remedy round-trips into one that passes against the simulator
over real TLS, bad plan regions are refused naming the plan's regions, exports to scripts
carry the plans' usage rule, and v1 config files are rewritten as v2 with a backup."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.config.io import load_config
from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.secrets.stores import KeyRef
from tests.fixtures.doctor import KEY_VAR, doctor

PLAN_KEY = "sk-sp-" + "0123456789abcdef" * 2
PAYG_KEY = "sk-0123456789abcdef0123456789abcdef"


def configure(cli, *args: str, key: str = PLAN_KEY):
    return cli("configure", "--store", "env", *args, env={"DASHSCOPE_API_KEY": key})


def test_a_coding_plan_profile_uses_the_plans_host_and_v1_path(cli) -> None:
    r = configure(cli, "--plan", "coding", "--plan-region", "ap-southeast-1")
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert (p.plan, p.region, p.endpoint_style) == ("coding", "ap-southeast-1", "plan")
    assert p.base_urls == {
        "openai": "https://coding-intl.dashscope.aliyuncs.com/v1",
        "anthropic": "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic",
    }
    assert "Coding Plan host coding-intl.dashscope.aliyuncs.com" in r.stdout
    assert "interactive coding tools only" in r.stderr  # the plans' usage rule, official
    assert "main account only" in r.stderr
    doc = yaml.safe_load(cli.config.read_text())
    assert doc["version"] == 2 and doc["profiles"]["default"]["plan"] == "coding"
    env = cli("env", env={"DASHSCOPE_API_KEY": PLAN_KEY})
    assert "OPENAI_BASE_URL=https://coding-intl.dashscope.aliyuncs.com/v1" in env.stdout
    assert "DASHSCOPE_HTTP_BASE_URL" not in env.stdout  # no native surface on a plan host


def test_the_plan_region_defaults_to_region_and_a_token_plan_keeps_compatible_mode(cli) -> None:
    r = configure(cli, "--region", "cn-beijing", "--plan", "token")
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert p.base_urls["openai"] == (
        "https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1"
    )
    assert "main account only" not in r.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--plan", "token", "--plan-region", "eu-central-1"),
            "Token Plan has no host in eu-central-1: it exists in cn-beijing, ap-southeast-1",
        ),
        (
            ("--plan", "coding", "--plan-region", "us-east-1"),
            "Coding Plan has no host in us-east-1",
        ),
        (("--plan-region", "ap-southeast-1", "--region", "ap-southeast-1"), "needs --plan"),
        (
            ("--plan", "token", "--region", "cn-beijing", "--plan-region", "ap-southeast-1"),
            "disagree",
        ),
        (("--plan", "token", "--region", "cn-beijing", "--shared-host"), "cannot be combined"),
        (("--plan", "lunar", "--region", "cn-beijing"), "lunar"),
        (("--plan", "token"), "--region"),
    ],
)
def test_bad_plan_input_is_refused_with_nothing_written(cli, args, words) -> None:
    r = configure(cli, *args)
    assert r.rc == 2, r
    assert words in r.stderr
    assert not cli.config.exists()
    assert PLAN_KEY not in r.stderr + r.stdout


def test_a_pay_as_you_go_key_on_a_plan_profile_is_said(cli) -> None:
    r = configure(cli, "--plan", "token", "--plan-region", "ap-southeast-1", key=PAYG_KEY)
    assert r.rc == 0
    assert "needs a plan key (sk-sp-" in r.stderr


def test_exports_to_scripts_warn_and_the_native_snippet_is_refused(cli) -> None:
    assert configure(cli, "--plan", "coding", "--plan-region", "cn-beijing").rc == 0
    for fmt in ("dotenv", "sh", "openai-python", "litellm"):
        r = cli("export", "--format", fmt)
        assert r.rc == 0, (fmt, r)
        assert "can get the account suspended" in r.stderr, fmt
    r = cli("export", "--format", "qwen-code")
    assert r.rc == 0 and "suspended" not in r.stderr  # an interactive coding tool
    assert "https://coding.dashscope.aliyuncs.com/v1" in r.stdout
    r = cli("export", "--format", "dashscope-python")
    assert r.rc == 2 and "no DashScope native surface" in r.stderr


@pytest.fixture
def env(env):
    """The doctor tests' clean machine; commands spelt as for an installed tool."""
    env.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    return env


def test_the_doctors_plan_remedy_round_trips_into_a_passing_plan_profile(
    capsys, env, tmp_path, simulator, cli
) -> None:
    """A Coding Plan key on a workspace profile: doctor names the plan; the edit command
    `configure --profile work --plan coding --plan-region ap-southeast-1` (key kept) makes
    a profile the simulator's plan host accepts, on /v1."""
    acct = simulator.accounts["ap-southeast-1"]
    profile, _ = make_profile(
        "work",
        region=acct.region,
        endpoint_style="workspace",
        workspace_id=acct.workspace_id,
        model="qwen-plus",
        api_key=KeyRef(store="env", env=KEY_VAR),
    )
    cfg = tmp_path / "team" / "config.yaml"
    cfg.parent.mkdir()
    atomic_write(cfg, Config().with_profile(profile, make_default=True).dump())
    key = simulator.key("plan")  # a Singapore Coding Plan key
    run = doctor(
        capsys, env, tmp_path, simulator, key, "--profile", "work", "--all-regions", config=cfg
    )
    (finding,) = [f for f in run.data["findings"] if f["code"] == "key_is_plan"]
    assert "Coding Plan key (international)" in finding["message"]
    edit = cli(
        "--config", str(cfg), "configure", "--profile", "work",
        "--plan", "coding", "--plan-region", "ap-southeast-1", "--model", "qwen3.6-plus",
    )  # fmt: skip
    assert edit.rc == 0, edit
    saved = load_config(cfg).profile("work")
    assert (saved.plan, saved.api_key.env) == ("coding", KEY_VAR)  # the key reference kept
    again = doctor(capsys, env, tmp_path, simulator, key, "--profile", "work", config=cfg)
    assert again.code == 0, again.data["findings"]
    checks = again.data["checks"]
    assert {c["surface"] for c in checks} == {"openai", "anthropic"}  # no native surface
    assert {c["host"] for c in checks} == {"coding-intl.dashscope.aliyuncs.com"}
    assert all(c["status"] == "pass" and c["key_accepted"] for c in checks)


def test_a_v1_file_is_rewritten_as_v2_with_a_backup_and_a_notice_once(cli) -> None:
    assert configure(cli, "--region", "ap-southeast-1", "--shared-host", key=PAYG_KEY).rc == 0
    doc = yaml.safe_load(cli.config.read_text())
    doc["version"] = 1
    for p in doc["profiles"].values():
        del p["plan"]
    v1 = yaml.safe_dump(doc, sort_keys=False)
    cli.config.write_text(v1)
    assert cli("profiles", "list").rc == 0  # read as it is
    r = cli("configure", "--model", "qwen-plus")
    assert r.rc == 0, r
    assert "schema v2 (it was v1" in r.stderr + r.stdout
    assert yaml.safe_load(cli.config.read_text())["version"] == 2
    backups = sorted(Path(cli.config.parent).glob(cli.config.name + "*bak*"))
    assert any(b.read_text() == v1 for b in backups), backups
    r = cli("configure", "--model", "qwen-flash")
    assert "schema v2" not in r.stderr + r.stdout
