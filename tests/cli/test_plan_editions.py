"""Token Plan editions (issue 9 part 2): `configure --plan token --plan-edition personal|team`
records the edition; the Personal edition is Singapore-only (MODEL_STUDIO.md section 2, the
catalog's `editions`), so it needs no --plan-region and is refused anywhere else, by name and
with nothing written; an edition on a plan without editions is refused; the edition is shown
and kept through edits, and the RAM policies each edition needs are said."""

from __future__ import annotations

import json

import pytest
import yaml

from app.config.io import load_config

PLAN_KEY = "sk-sp-" + "0123456789abcdef" * 2


def configure(cli, *args: str):
    return cli("configure", "--store", "env", *args, env={"DASHSCOPE_API_KEY": PLAN_KEY})


def test_personal_needs_no_region_and_is_shown_everywhere(cli) -> None:
    r = configure(cli, "--plan", "token", "--plan-edition", "Personal")
    assert r.rc == 0, r
    assert "Token Plan Personal host token-plan.ap-southeast-1.maas.aliyuncs.com" in r.stdout
    assert "AliyunTokenPlanReadOnlyAccess" in r.stderr
    assert "AliyunBSSReadOnlyAccess" not in r.stderr  # the Team edition's extra policy only
    saved = load_config(cli.config).profiles["default"]
    assert (saved.plan, saved.plan_edition, saved.region) == ("token", "personal", "ap-southeast-1")
    assert (
        yaml.safe_load(cli.config.read_text())["profiles"]["default"]["plan_edition"] == "personal"
    )
    shown = cli("profiles", "show", "--json")
    assert json.loads(shown.stdout)["plan_edition"] == "personal"
    listed = json.loads(cli("profiles", "list", "--json").stdout)["profiles"][0]
    assert listed["plan_edition"] == "personal"
    assert "Token Plan Personal host" in cli("profiles", "show").stdout


def test_team_in_beijing_says_the_bss_policy_and_singapore_asks_the_edition(cli) -> None:
    r = configure(cli, "--plan", "token", "--plan-region", "cn-beijing", "--plan-edition", "team")
    assert r.rc == 0 and "AliyunBSSReadOnlyAccess" in r.stderr
    assert "--plan-edition personal|team" not in r.stderr  # said, and Beijing has one edition
    r = configure(cli, "--profile", "sg", "--plan", "token", "--plan-region", "ap-southeast-1")
    assert r.rc == 0 and "--plan-edition personal|team" in r.stderr  # Singapore has both
    r = configure(cli, "--profile", "bj", "--plan", "token", "--plan-region", "cn-beijing")
    assert r.rc == 0 and "--plan-edition personal|team" not in r.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--plan", "token", "--plan-region", "cn-beijing", "--plan-edition", "personal"),
            "The Token Plan Personal edition does not exist in cn-beijing: it is offered in "
            "ap-southeast-1 only",
        ),
        (
            ("--plan", "coding", "--plan-region", "cn-beijing", "--plan-edition", "team"),
            "belongs only to a Token Plan profile",
        ),
        (
            ("--region", "cn-beijing", "--plan-edition", "team"),
            "belongs only to a Token Plan profile",
        ),
        (("--plan", "token", "--plan-edition", "family"), "invalid choice: 'family'"),
        (("--plan", "token", "--plan-edition", "team"), "--region"),  # two regions: say one
    ],
)
def test_a_bad_edition_is_refused_with_nothing_written(cli, args, words) -> None:
    r = configure(cli, *args)
    assert r.rc == 2, r
    assert words in r.stderr
    assert not cli.config.exists()
    assert PLAN_KEY not in r.stdout + r.stderr


def test_an_edit_keeps_the_edition_and_refuses_to_move_personal_to_beijing(cli) -> None:
    assert configure(cli, "--plan", "token", "--plan-edition", "personal").rc == 0
    before = cli.config.read_text()
    r = cli("configure", "--plan", "token", "--plan-region", "cn-beijing")
    assert r.rc == 2 and "Personal edition does not exist in cn-beijing" in r.stderr
    assert cli.config.read_text() == before  # nothing written
    r = cli("configure", "--plan", "token", "--plan-region", "cn-beijing", "--plan-edition", "team")
    assert r.rc == 0, r
    assert "plan_edition: personal -> team" in r.stdout
    saved = load_config(cli.config).profiles["default"]
    assert (saved.region, saved.plan_edition) == ("cn-beijing", "team")
    r = cli("configure", "--plan", "coding", "--plan-region", "cn-beijing")
    assert r.rc == 0, r
    assert load_config(cli.config).profiles["default"].plan_edition is None  # not a Coding one


def test_a_file_with_an_impossible_edition_is_refused_on_load(cli) -> None:
    assert configure(cli, "--plan", "token", "--plan-region", "cn-beijing").rc == 0
    doc = yaml.safe_load(cli.config.read_text())
    doc["profiles"]["default"]["plan_edition"] = "personal"
    cli.config.write_text(yaml.safe_dump(doc))
    r = cli("profiles", "show")
    assert r.rc == 2 and "plan_edition" in r.stderr and "Traceback" not in r.stderr


def test_the_edition_messages_are_translated(cli) -> None:
    args = ("--plan", "token", "--plan-region", "cn-beijing", "--plan-edition", "personal")
    r = configure(cli, "--lang", "zh", *args)
    assert r.rc == 2 and "Token Plan 个人版在 cn-beijing 不提供" in r.stderr


def test_an_edit_of_a_plan_profile_may_give_the_plan_region_alone(cli) -> None:
    assert configure(cli, "--plan", "coding", "--plan-region", "cn-beijing").rc == 0
    r = cli("configure", "--plan-region", "ap-southeast-1")
    assert r.rc == 0, r
    saved = load_config(cli.config).profiles["default"]
    assert (saved.plan, saved.region) == ("coding", "ap-southeast-1")
    assert saved.host == "coding-intl.dashscope.aliyuncs.com"
    # A new profile still needs --plan with it: the region alone names no plan.
    r = configure(cli, "--profile", "new", "--plan-region", "ap-southeast-1")
    assert r.rc == 2 and "needs --plan" in r.stderr


def test_profiles_list_keeps_its_columns_with_a_long_plan_label(cli) -> None:
    assert configure(cli, "--plan", "token", "--plan-edition", "personal").rc == 0
    env = {"DASHSCOPE_API_KEY": "sk-0123456789abcdef0123456789abcdef"}
    args = ("--profile", "ws", "--region", "ap-southeast-1", "--workspace-id", "ws-abc123")
    assert cli("configure", "--store", "env", *args, env=env).rc == 0
    rows = [line for line in cli("profiles", "list").stdout.splitlines() if "env" in line]
    assert len(rows) == 2
    assert len({row.index(" env ") for row in rows}) == 1, rows  # the store column lines up
