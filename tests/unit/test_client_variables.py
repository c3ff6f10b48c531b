"""What the exports tell each client, per kind of profile (app.clients.variables): the
DashScope SDK's own variable names (its source, dashscope 2.0.2), the WebSocket host its
realtime / TTS / ASR calls use, Claude Code's small tier and Codex's Responses model."""

from __future__ import annotations

from app.clients.variables import env_pairs, responses_model, small_model, websocket_url
from app.config.validate import make_profile
from app.core.catalog import load_catalog

CATALOG = load_catalog()


def _env(profile) -> dict[str, str]:
    return dict(env_pairs(profile, CATALOG))


def test_a_workspace_profile_names_the_sdk_variables_of_both_apis():
    p = make_profile("w", region="ap-southeast-1", workspace_id="ws-abcdefghijklmnop")[0]
    env = _env(p)
    host = "ws-abcdefghijklmnop.ap-southeast-1.maas.aliyuncs.com"
    # The SDK builds https://{host}/api/v1 itself: an explicit base would become the 2.x
    # Client's base for every protocol.
    assert "DASHSCOPE_HTTP_BASE_URL" not in env
    assert env["DASHSCOPE_WEBSOCKET_BASE_URL"] == f"wss://{host}/api-ws/v1/inference"
    assert env["DASHSCOPE_COMPATIBLE_BASE_URL"] == f"https://{host}/compatible-mode/v1"
    assert env["DASHSCOPE_API_REGION"] == env["DASHSCOPE_REGION"] == "ap-southeast-1"
    assert env["DASHSCOPE_WORKSPACE_ID"] == env["DASHSCOPE_WORKSPACE"] == "ws-abcdefghijklmnop"
    # 2.x Client sends every protocol to DASHSCOPE_BASE_URL: never written.
    assert "DASHSCOPE_BASE_URL" not in env


def test_the_trial_domain_speaks_no_websocket_so_its_region_shared_host_does():
    trial = make_profile("t", region="cn-beijing", endpoint_style="trial")[0]
    assert websocket_url(trial, CATALOG) == "wss://dashscope.aliyuncs.com/api-ws/v1/inference"
    env = _env(trial)
    assert "DASHSCOPE_WORKSPACE" not in env
    # Not a host the SDK builds: the 1.x API needs the base, spelt out.
    assert env["DASHSCOPE_HTTP_BASE_URL"] == "https://trial.cn-beijing.maas.aliyuncs.com/api/v1"


def test_a_plan_host_has_no_native_variables():
    plan = make_profile("p", region="ap-southeast-1", endpoint_style="plan", plan="coding")[0]
    env = _env(plan)
    assert not {"DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_WEBSOCKET_BASE_URL"} & set(env)
    assert env["OPENAI_BASE_URL"] == "https://coding-intl.dashscope.aliyuncs.com/v1"
    assert websocket_url(plan, CATALOG) is None
    # A plan's own flash model is its small tier; Codex gets a plan model the Responses
    # API serves.
    assert small_model(plan, CATALOG) == "qwen3.6-flash"
    assert responses_model(plan, CATALOG) in CATALOG.plan("coding").models


def test_small_tier_stays_in_the_scope():
    """A flash model of another scope would leave the data boundary (or answer 404)."""
    eu = make_profile("e", region="eu-central-1", workspace_id="ws-abc", scope="eu")[0]
    assert small_model(eu, CATALOG) == "qwen-plus"  # EU's Anthropic surface serves no flash
    intl = make_profile("i", region="ap-southeast-1", workspace_id="ws-abc")[0]
    assert small_model(intl, CATALOG) == "qwen-flash"


def test_codex_keeps_a_model_the_responses_api_serves_and_else_picks_one():
    own = make_profile("o", region="ap-southeast-1", workspace_id="ws-abc", model="qwen3.7-max")[0]
    assert responses_model(own, CATALOG) == "qwen3.7-max"
    flash = make_profile("f", region="ap-southeast-1", workspace_id="ws-abc")[0]
    assert responses_model(flash, CATALOG) in CATALOG.responses_models
