"""`configure --workspace-id` takes the console's API Host as pasted (issue 9 part 1): the
region comes from the host when none is given, a host of another region than --region is
refused naming both with nothing written, an edit may move the profile to the host's region,
and a trick host (T1-T4) is refused before anything is written or resolved."""

from __future__ import annotations

import pytest

from app.config.io import load_config

KEY = "sk-0123456789abcdef0123456789abcdef"
WS = "llm-4pk8z3x2m9q7r1t5"


def configure(cli, *args: str):
    return cli("configure", "--store", "env", *args, env={"DASHSCOPE_API_KEY": KEY})


def test_the_api_host_gives_the_id_and_the_region(cli) -> None:
    r = configure(
        cli, "--workspace-id", f"https://{WS}.cn-beijing.maas.aliyuncs.com/compatible-mode/v1"
    )
    assert r.rc == 0, r
    assert f"Took the workspace ID {WS} and the region cn-beijing" in r.stderr
    saved = load_config(cli.config).profiles["default"]
    assert (saved.region, saved.workspace_id, saved.endpoint_style) == (
        "cn-beijing",
        WS,
        "workspace",
    )
    assert (
        saved.base_urls["openai"] == f"https://{WS}.cn-beijing.maas.aliyuncs.com/compatible-mode/v1"
    )


def test_the_same_region_given_twice_is_fine_another_is_refused(cli) -> None:
    host = f"{WS}.ap-southeast-1.maas.aliyuncs.com"
    assert configure(cli, "--region", "ap-southeast-1", "--workspace-id", host).rc == 0
    r = configure(cli, "--profile", "bj", "--region", "cn-beijing", "--workspace-id", host)
    assert r.rc == 2
    assert "is in ap-southeast-1, but the region chosen is cn-beijing" in r.stderr
    assert "bj" not in load_config(cli.config).profiles


def test_an_edit_with_a_host_of_another_region_moves_the_profile(cli) -> None:
    assert configure(cli, "--region", "ap-southeast-1", "--workspace-id", "ws-abc123").rc == 0
    r = cli("configure", "--workspace-id", f"{WS}.eu-central-1.maas.aliyuncs.com", "--scope", "eu")
    assert r.rc == 0, r
    assert "region: ap-southeast-1 -> eu-central-1" in r.stdout
    saved = load_config(cli.config).profiles["default"]
    assert (saved.region, saved.workspace_id, saved.scope) == ("eu-central-1", WS, "eu")


@pytest.mark.parametrize(
    ("host", "words"),
    [
        (f"http://{WS}.cn-beijing.maas.aliyuncs.com", "https only"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com:8443", "names a port"),
        (f"https://me@{WS}.cn-beijing.maas.aliyuncs.com", "contains '@'"),
        (f"https://{WS}.cn-beijing.maas.aliyuncs.com.evil.com/", "not a workspace ID, nor"),
        ("dashscope.aliyuncs.com", "--access-domain dashscope"),
        ("trial.cn-beijing.maas.aliyuncs.com", "--access-domain trial"),
        ("coding.dashscope.aliyuncs.com/v1", "--plan coding --plan-region cn-beijing"),
    ],
)
def test_a_trick_or_other_host_is_refused_with_nothing_written(cli, host, words) -> None:
    r = configure(cli, "--workspace-id", host)
    assert r.rc == 2, r
    assert words in r.stderr
    assert not cli.config.exists()
    assert "Traceback" not in r.stderr


def test_the_host_messages_are_translated(cli) -> None:
    host = f"{WS}.ap-southeast-1.maas.aliyuncs.com"
    r = configure(cli, "--lang", "zh", "--region", "cn-beijing", "--workspace-id", host)
    assert r.rc == 2 and "位于 ap-southeast-1，但所选地域是 cn-beijing" in r.stderr
