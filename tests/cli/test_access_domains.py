"""Access domains (issue 9 part 1): `configure --access-domain workspace|dashscope|trial`
chooses the host a profile talks to; the trial domain exists only where the region has one,
is never the default, says "not for production" where it is chosen and where it is shown, and
a trial profile passes the doctor against the simulator's trial host over real TLS."""

from __future__ import annotations

import json

import pytest
import yaml

from app.config.io import load_config
from tests.fixtures.doctor import KEY_VAR, doctor

KEY = "sk-0123456789abcdef0123456789abcdef"


def configure(cli, *args: str):
    return cli("configure", "--store", "env", *args, env={"DASHSCOPE_API_KEY": KEY})


@pytest.mark.parametrize(
    ("args", "style", "host"),
    [
        (
            ("--access-domain", "workspace", "--workspace-id", "ws-abc123"),
            "workspace",
            "ws-abc123.ap-southeast-1.maas.aliyuncs.com",
        ),
        (("--access-domain", "dashscope"), "shared", "dashscope-intl.aliyuncs.com"),
        (("--access-domain", "TRIAL"), "trial", "trial.ap-southeast-1.maas.aliyuncs.com"),
        (("--endpoint-style", "trial"), "trial", "trial.ap-southeast-1.maas.aliyuncs.com"),
        (
            ("--shared-host", "--access-domain", "dashscope"),
            "shared",
            "dashscope-intl.aliyuncs.com",
        ),
    ],
)
def test_the_access_domain_chooses_the_host(cli, args, style, host) -> None:
    r = configure(cli, "--region", "ap-southeast-1", *args)
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert p.endpoint_style == style
    assert p.base_urls["openai"] == f"https://{host}/compatible-mode/v1"
    shown = json.loads(cli("profiles", "list", "--json").stdout)["profiles"][0]
    assert shown["access_domain"] == {"shared": "dashscope"}.get(style, style)


def test_trial_says_not_for_production_when_chosen_and_when_shown(cli) -> None:
    r = configure(cli, "--region", "cn-beijing", "--access-domain", "trial")
    assert r.rc == 0, r
    assert "not for production" in r.stderr and "RPM 1000" in r.stderr
    shown = cli("profiles", "show")
    assert "trial domain (not for production)" in shown.stdout
    zh = cli("--lang", "zh", "profiles", "show")
    assert "体验域名（不可用于生产）" in zh.stdout


def test_without_a_domain_flag_the_default_is_never_trial(cli) -> None:
    r = configure(cli, "--region", "cn-beijing", "--workspace-id", "ws-abc123")
    assert r.rc == 0, r
    assert load_config(cli.config).profile().endpoint_style == "workspace"
    assert "not for production" not in r.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--region", "eu-central-1", "--access-domain", "trial"), "eu-central-1 has no trial"),
        (("--region", "us-east-1", "--access-domain", "trial"), "us-east-1 has no trial"),
        (
            ("--region", "cn-beijing", "--access-domain", "trial", "--workspace-id", "ws-a"),
            "only for the workspace domain",
        ),
        (
            ("--region", "cn-beijing", "--access-domain", "workspace", "--shared-host"),
            "--access-domain workspace, --shared-host",
        ),
        (
            ("--region", "cn-beijing", "--access-domain", "trial", "--endpoint-style", "shared"),
            "say different things",
        ),
        (("--region", "cn-beijing", "--access-domain", "trial", "--plan", "token"), "--plan"),
        (("--region", "cn-beijing", "--access-domain", "lunar"), "invalid choice"),
    ],
)
def test_bad_domain_input_is_refused_with_nothing_written(cli, args, words) -> None:
    r = configure(cli, *args)
    assert r.rc == 2, r
    assert words in r.stderr
    assert "Traceback" not in r.stderr
    assert not cli.config.exists()
    assert KEY not in r.stderr + r.stdout


def test_an_edit_moves_a_workspace_profile_to_trial_and_back(cli) -> None:
    assert configure(cli, "--region", "cn-beijing", "--workspace-id", "ws-abc123").rc == 0
    r = cli("configure", "--access-domain", "trial")
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert (p.endpoint_style, p.workspace_id) == ("trial", None)
    assert "not for production" in r.stderr
    r = cli("configure", "--access-domain", "workspace", "--workspace-id", "ws-abc123")
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert p.host == "ws-abc123.cn-beijing.maas.aliyuncs.com"


def test_a_hostile_style_in_the_file_is_refused_on_load(cli) -> None:
    assert configure(cli, "--region", "cn-beijing", "--access-domain", "trial").rc == 0
    doc = yaml.safe_load(cli.config.read_text())
    doc["profiles"]["default"]["endpoint_style"] = "trial\u202e.evil"
    cli.config.write_text(yaml.safe_dump(doc))
    r = cli("profiles", "show")
    assert r.rc == 2 and "Traceback" not in r.stderr
    assert "endpoint_style: 'trial\\u202e.evil' is not one of workspace/shared/trial" in r.stderr
    assert "\u202e" not in r.stderr  # the override character is shown as its code only


@pytest.fixture
def env(env):
    """The doctor tests' clean machine; commands spelt as for an installed tool."""
    env.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    return env


def test_a_trial_profile_passes_the_doctor_on_the_trial_host(
    capsys, env, tmp_path, simulator, cli
) -> None:
    acct = simulator.accounts["ap-southeast-1"]
    cfg = tmp_path / "config.yaml"
    r = cli(
        "--config", str(cfg), "configure", "--store", "env", "--region", acct.region,
        "--access-domain", "trial", "--model", "qwen-plus", "--api-key-env", KEY_VAR,
        env={KEY_VAR: acct.key},
    )  # fmt: skip
    assert r.rc == 0, r
    run = doctor(capsys, env, tmp_path, simulator, acct.key, config=cfg)
    assert run.code == 0, run.data["findings"]
    hosts = {c["host"] for c in run.data["checks"]}
    assert hosts == {"trial.ap-southeast-1.maas.aliyuncs.com"}
