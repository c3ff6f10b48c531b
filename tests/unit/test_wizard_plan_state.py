"""The wizard's plan decisions without a screen (issue 9 part 2): moving a state onto a plan
host and off it, a region chosen later that has no such host, a key of the other kind, the
plan found by a region search, and the profile and Done commands of a plan setup."""

from __future__ import annotations

import dataclasses

import pytest

from app import flow
from app.config.next_steps import next_commands
from app.core.access_advice import plan_options
from app.findings.codes import Finding
from app.findings.results import ProbeResult
from app.secrets.key import ApiKey
from app.state import (
    WizardState,
    key_plan_mismatch,
    probe_inputs,
    reconcile_plan,
    with_plan,
    without_plan,
)

SG = WizardState(region="ap-southeast-1", scope="international", model="qwen-flash")
PLAN_KEY = ApiKey("sk-sp-0123456789abcdef0123456789abcdef")
PAYG_KEY = ApiKey("sk-0123456789abcdef0123456789abcdef")


def test_plan_options_are_the_regions_plan_hosts_with_their_editions():
    sg = {o.plan: o for o in plan_options("ap-southeast-1")}
    assert sg["coding"].host == "coding-intl.dashscope.aliyuncs.com"
    assert sg["token"].editions == ("personal", "team")
    assert "Main account only" in sg["coding"].summary
    assert "/v1" in sg["coding"].summary and "interactive coding tools" in sg["token"].summary
    beijing = {o.plan: o for o in plan_options("cn-beijing")}
    assert beijing["token"].editions == ("team",)  # Personal is Singapore-only
    assert plan_options("eu-central-1") == ()
    assert "套餐密钥" in plan_options("cn-beijing", "zh")[0].summary


def test_with_plan_keeps_a_served_model_and_replaces_another():
    coding = with_plan(dataclasses.replace(SG, model="qwen3.6-flash"), "coding", "ap-southeast-1")
    assert (coding.endpoint_style, coding.plan, coding.model) == ("plan", "coding", "qwen3.6-flash")
    other = with_plan(SG, "token", "ap-southeast-1", "personal")
    assert other.model == "qwen3.6-plus" and other.plan_edition == "personal"
    assert with_plan(SG, "token", "cn-beijing", "personal").plan_edition is None
    with pytest.raises(ValueError):
        with_plan(SG, "token", "eu-central-1")


def test_a_plan_found_in_another_region_takes_that_regions_default_scope():
    eu = WizardState(region="eu-central-1", scope="eu", model="qwen-plus")
    moved = with_plan(eu, "token", "ap-southeast-1")
    assert (moved.region, moved.scope) == ("ap-southeast-1", None)
    profile = flow.build_profile(moved)
    assert profile.scope == "international" and profile.plan == "token"


def test_without_plan_keeps_a_pay_as_you_go_style_and_leaves_the_workspace_domain():
    plan = with_plan(SG, "coding", "ap-southeast-1")
    assert without_plan(plan).endpoint_style == "workspace" and without_plan(plan).plan is None
    shared = dataclasses.replace(plan, endpoint_style="shared")
    assert without_plan(shared).endpoint_style == "shared"
    assert without_plan(SG) is SG


def test_a_region_without_the_plans_host_drops_the_plan():
    plan = with_plan(SG, "token", "ap-southeast-1", "personal")
    moved, dropped = reconcile_plan(dataclasses.replace(plan, region="eu-central-1"))
    assert dropped == "token" and moved.endpoint_style == "workspace" and moved.plan is None
    beijing, dropped = reconcile_plan(dataclasses.replace(plan, region="cn-beijing"))
    assert dropped is None and beijing.plan == "token" and beijing.plan_edition is None
    assert reconcile_plan(plan) == (plan, None)


def test_a_key_of_the_other_kind_is_named():
    assert key_plan_mismatch(SG, PLAN_KEY) == "plan_key"
    plan = with_plan(SG, "coding", "ap-southeast-1")
    assert key_plan_mismatch(plan, PAYG_KEY) == "payg_key"
    assert key_plan_mismatch(plan, PLAN_KEY) is None
    assert key_plan_mismatch(SG, PAYG_KEY) is None
    assert key_plan_mismatch(SG, None) is None


def test_the_plan_is_part_of_what_a_probe_result_depends_on():
    coding = with_plan(SG, "coding", "ap-southeast-1")
    token = with_plan(SG, "token", "ap-southeast-1")
    assert probe_inputs(coding) != probe_inputs(token)


def _result(*findings: Finding) -> ProbeResult:
    return ProbeResult([], [], list(findings), "certifi", None, "2026-12-07T00:00:00")


def test_the_plan_found_by_a_search_and_when_a_search_is_offered():
    found = Finding("key_is_plan", params={"plan": "token", "plan_region": "ap-southeast-1"})
    assert flow.plan_found(_result(found)) == ("token", "ap-southeast-1")
    assert flow.plan_found(_result(Finding("key_rejected"))) is None
    assert flow.plan_found(None) is None
    mismatch = _result(Finding("plan_key_mismatch"))
    assert flow.offers_region_search(mismatch, consented=False)
    assert not flow.offers_region_search(mismatch, consented=True)
    assert not flow.offers_region_search(_result(Finding("arrears")), consented=False)


def test_the_probe_targets_and_profile_of_a_plan_setup_are_the_plan_hosts():
    state = with_plan(SG, "coding", "cn-beijing")
    targets = flow.state_targets(state)
    assert [t.surface for t in targets] == ["openai", "anthropic"]
    assert targets[0].base_url == "https://coding.dashscope.aliyuncs.com/v1"
    profile = flow.build_profile(dataclasses.replace(state, workspace_id="ws-g3ganedl8go5vc5i"))
    assert (profile.plan, profile.workspace_id) == ("coding", None)
    assert profile.base_urls["anthropic"] == "https://coding.dashscope.aliyuncs.com/apps/anthropic"


def test_done_offers_a_plan_setup_the_coding_tools_not_scripts():
    state = dataclasses.replace(with_plan(SG, "token", "ap-southeast-1"), profile_name="work")
    commands = [command for _caption, command in next_commands(state)]
    assert any("--format claude-code" in c for c in commands)
    assert not any("curl" in c or "OpenAI(" in c for c in commands)
    payg = dataclasses.replace(SG, endpoint_style="shared", profile_name="work")
    assert any(c.startswith("curl") for _caption, c in next_commands(payg))


def test_only_names_a_profile_can_hold_are_offered_from_the_keys_list():
    """The service's list is not trusted: markup, spaces, a key-like or over-long name is
    left out (the profile would refuse it on save), the order is the service's."""
    from app.core.models import Target
    from app.findings.results import CheckResult

    target = Target("openai", "ap-southeast-1", "dashscope-intl.aliyuncs.com", "https://x/v1")
    check = CheckResult(1, target)
    check.listed_models = ("qwen-plus", "[bold]red[/]", "a b", "x" * 200, "qwen3.6-flash")
    result = _result()
    result.checks.append(check)
    assert flow.offered_models(result) == ["qwen-plus", "qwen3.6-flash"]
    assert flow.offered_models(None) == []


def test_the_consent_names_every_host_the_region_search_sends_the_key_to():
    """The dialog's list is the engine's matrix: the shared hosts AND the four plan hosts."""
    from app.probe.targets import ownership_matrix

    own = "ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com"
    listed = flow.ownership_hosts("ap-southeast-1", own)
    targets, _unchecked = ownership_matrix("ap-southeast-1", own)
    assert set(listed) == {t.host for t in targets}
    assert "token-plan.cn-beijing.maas.aliyuncs.com" in listed
    assert "coding.dashscope.aliyuncs.com" in listed
