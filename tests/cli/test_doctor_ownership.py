"""`doctor --all-regions` with a key of the wrong kind (issue 9 section 3): the ownership
matrix names what the key is and prints a configure command for that profile. Against the
simulator over real TLS, through the CLI in-process (doctor --json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.secrets.stores import KeyRef
from tests.fixtures.doctor import KEY_VAR, doctor


@pytest.fixture
def env(env):
    """The doctor tests' clean machine; commands spelt as for an installed tool."""
    env.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    return env


def work_profile(tmp_path: Path, sim) -> Path:
    """A Singapore workspace profile `work` that reads its key from KEY_VAR."""
    acct = sim.accounts["ap-southeast-1"]
    profile, _ = make_profile(
        "work",
        region=acct.region,
        endpoint_style="workspace",
        workspace_id=acct.workspace_id,
        model="qwen-plus",
        api_key=KeyRef(store="env", env=KEY_VAR),
    )
    path = tmp_path / "team" / "config.yaml"
    path.parent.mkdir()
    atomic_write(path, Config().with_profile(profile, make_default=True).dump())
    return path


def test_a_plan_key_on_a_pay_as_you_go_profile_is_named_with_a_plan_command(
    capsys, env, tmp_path, simulator
):
    cfg = work_profile(tmp_path, simulator)
    key = simulator.key("plan")
    run = doctor(
        capsys, env, tmp_path, simulator, key, "--profile", "work", "--all-regions", config=cfg
    )
    assert run.code != 0
    (finding,) = [f for f in run.data["findings"] if f["code"] == "key_is_plan"]
    assert "Coding Plan key" in finding["message"]
    assert "configure --profile work --config" in finding["remedy"]
    assert "--plan coding --plan-region" in finding["remedy"]
    hosts = {c["host"] for c in run.data["ownership"]}
    assert {"coding-intl.dashscope.aliyuncs.com", "token-plan.cn-beijing.maas.aliyuncs.com"} <= (
        hosts
    )
    assert "key accepted" not in run.out.lower()


def test_without_all_regions_a_plan_key_goes_nowhere_else(capsys, env, tmp_path, simulator):
    cfg = work_profile(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("plan"), "--profile", "work",
                 config=cfg)  # fmt: skip
    assert run.codes == {"plan_key_mismatch"}
    assert run.data["ownership"] == []
