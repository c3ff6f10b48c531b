"""Issue 9 in the simulator: plan hosts, scopes by model and by workspace, the trial host, the
rarer error codes. Real TLS over loopback with the production host names."""

from __future__ import annotations

import pytest

from app.simulator.accounts import Account, fake_key, fake_workspace_id
from app.simulator.faults import Fault
from app.simulator.server import Simulator
from tests.fixtures.simulator import pinned_client

OPENAI = "/compatible-mode/v1"
ANTHROPIC = "/apps/anthropic"
GEN = "/api/v1/services/aigc/text-generation/generation"
SG = "dashscope-intl.aliyuncs.com"
TOKEN_SG = "token-plan.ap-southeast-1.maas.aliyuncs.com"
TOKEN_CN = "token-plan.cn-beijing.maas.aliyuncs.com"


def bearer(sim: Simulator, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.key(name)}"}


def chat(model: str = "qwen-plus") -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}


def native(model: str = "qwen-plus") -> dict:
    return {"model": model, "input": {"messages": [{"role": "user", "content": "ping"}]}}


def openai_error(r) -> tuple[int, str, str]:
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    return r.status_code, err["code"], err["message"]


def native_error(r) -> tuple[int, str]:
    body = r.json()
    assert set(body) == {"code", "message", "request_id"}
    return r.status_code, body["code"]


# ---- plan hosts ---------------------------------------------------------------------------


def test_coding_plan_hosts_serve_v1_and_anthropic_and_refuse_in_their_own_words(
    simulator, sim_client
):
    intl, cn = "coding-intl.dashscope.aliyuncs.com", "coding.dashscope.aliyuncs.com"
    r = sim_client.post(
        f"https://{cn}/v1/chat/completions", headers=bearer(simulator, "coding-cn"), json=chat()
    )
    assert r.status_code == 200
    r = sim_client.post(
        f"https://{cn}{ANTHROPIC}/v1/messages",
        headers=bearer(simulator, "coding-cn"),
        json=chat("qwen3.7-plus"),
    )
    assert r.status_code == 200 and r.json()["type"] == "message"
    # The mainland key on the international host, a pay-as-you-go key, a Token Plan key:
    for name in ("coding-cn", "demo", "token-sg"):
        r = sim_client.post(
            f"https://{intl}/v1/chat/completions", headers=bearer(simulator, name), json=chat()
        )
        assert openai_error(r) == (401, "invalid_api_key", "invalid access token or token expired")
    # No compatible-mode path and no native surface on a Coding Plan host.
    r = sim_client.get(f"https://{cn}{OPENAI}/models", headers=bearer(simulator, "coding-cn"))
    assert r.status_code == 404
    r = sim_client.post(f"https://{cn}{GEN}", headers=bearer(simulator, "coding-cn"), json=native())
    assert r.status_code == 404


def test_token_plan_hosts_and_the_personal_edition_is_singapore_only(simulator, sim_client):
    r = sim_client.post(
        f"https://{TOKEN_SG}{OPENAI}/chat/completions",
        headers=bearer(simulator, "token-sg"),
        json=chat(),
    )
    assert r.status_code == 200
    r = sim_client.post(
        f"https://{TOKEN_CN}{OPENAI}/chat/completions",
        headers=bearer(simulator, "token-cn"),
        json=chat(),
    )
    assert r.status_code == 200
    r = sim_client.post(
        f"https://{TOKEN_CN}{OPENAI}/chat/completions",
        headers=bearer(simulator, "token-sg"),
        json=chat(),
    )
    assert openai_error(r)[:2] == (401, "invalid_api_key")
    r = sim_client.post(
        f"https://{TOKEN_SG}{ANTHROPIC}/v1/messages",
        headers={"x-api-key": simulator.key("token-sg")},
        json=chat("qwen3.7-plus"),
    )
    assert r.status_code == 200
    # A pay-as-you-go key and a Coding Plan key on a Token Plan host: 401.
    for name in ("demo", "plan"):
        r = sim_client.get(f"https://{TOKEN_SG}{OPENAI}/models", headers=bearer(simulator, name))
        assert openai_error(r)[:2] == (401, "invalid_api_key"), name
    assert (
        sim_client.get(
            f"https://{TOKEN_SG}/v1/models", headers=bearer(simulator, "token-sg")
        ).status_code
        == 404
    )


def test_token_plan_host_of_another_region_is_401_illegal_endpoint_for_any_key(
    simulator, sim_client
):
    host = "token-plan.eu-central-1.maas.aliyuncs.com"
    for headers in (bearer(simulator, "token-sg"), bearer(simulator, "eu-central-1"), {}):
        r = sim_client.post(
            f"https://{host}{OPENAI}/chat/completions", headers=headers, json=chat()
        )
        assert openai_error(r)[:2] == (401, "IllegalEndpoint")


def test_plan_key_on_a_pay_as_you_go_host_is_401_or_403_by_account(simulator_ca):
    key = fake_key("plan-403", shape="token-plan")
    acc = Account(
        "p",
        key,
        "ap-southeast-1",
        None,
        plan="token-plan",
        edition="personal",
        plan_status_on_payg=403,
    )
    with Simulator([acc], ca=simulator_ca) as sim, pinned_client(sim) as c:
        r = c.get(f"https://{SG}{OPENAI}/models", headers={"Authorization": f"Bearer {key}"})
        assert openai_error(r)[:2] == (403, "access_denied")


def test_plan_model_list_names_the_plan_models(simulator, sim_client):
    r = sim_client.get(f"https://{TOKEN_SG}{OPENAI}/models", headers=bearer(simulator, "token-sg"))
    ids = [m["id"] for m in r.json()["data"]]
    assert "qwen3.7-plus" in ids and "qwen-max" not in ids


# ---- scopes -------------------------------------------------------------------------------


def test_beijing_models_carry_mainland_or_elastic_by_launch_date(simulator, sim_client):
    url = "https://dashscope.aliyuncs.com/api/v1/models"
    r = sim_client.get(url, headers=bearer(simulator, "cn-beijing"))
    scopes = {m["model"]: m["deployment_scope"] for m in r.json()["output"]["models"]}
    for m in ("qwen-flash", "qwen-plus", "qwen3.6-flash", "qwen3.6-plus"):
        assert scopes[m] == "mainland", m
    for m in ("qwen3.7-plus", "qwen3.7-max", "qwen3.8-max-preview"):
        assert scopes[m] == "elastic", m
    r = sim_client.get(
        url, params={"deployment_scope": "mainland"}, headers=bearer(simulator, "cn-beijing")
    )
    out = r.json()["output"]
    assert out["models"] and {m["deployment_scope"] for m in out["models"]} == {"mainland"}
    assert out["total"] == len([s for s in scopes.values() if s == "mainland"])
    r = sim_client.post(
        f"https://dashscope.aliyuncs.com{OPENAI}/chat/completions",
        headers=bearer(simulator, "cn-beijing"),
        json={"model": "qwen3.7-plus", "messages": [{"role": "user", "content": "ping"}]},
    )
    assert r.status_code == 200


def test_virginia_scope_is_per_workspace_and_the_us_suffix_still_answers(simulator, sim_client):
    url = "https://dashscope-us.aliyuncs.com/api/v1/models"
    us = sim_client.get(url, headers=bearer(simulator, "us-east-1-us")).json()["output"]["models"]
    glob = sim_client.get(url, headers=bearer(simulator, "us-east-1")).json()["output"]["models"]
    us_scopes = {m["model"]: m["deployment_scope"] for m in us}
    glob_scopes = {m["model"]: m["deployment_scope"] for m in glob}
    assert us_scopes["qwen-plus"] == "us" and glob_scopes["qwen-plus"] == "global"
    assert "qwen3.7-plus" in glob_scopes and "qwen3.7-plus" not in us_scopes
    assert glob_scopes["qwen-plus-us"] == "us" == us_scopes["qwen-plus-us"]
    for name in ("us-east-1", "us-east-1-us"):
        r = sim_client.post(
            f"https://dashscope-us.aliyuncs.com{OPENAI}/chat/completions",
            headers=bearer(simulator, name),
            json=chat("qwen-flash-us"),
        )
        assert r.status_code == 200, name


def test_native_model_list_shape_and_pages(simulator, sim_client):
    url = f"https://{SG}/api/v1/models"
    r = sim_client.get(
        url, params={"page_no": 2, "page_size": 3}, headers=bearer(simulator, "demo")
    )
    body = r.json()
    assert set(body) == {"request_id", "output"}
    out = body["output"]
    assert (out["page_no"], out["page_size"]) == (2, 3) and len(out["models"]) == 3
    assert out["total"] > 6
    first = sim_client.get(url, params={"page_size": 3}, headers=bearer(simulator, "demo")).json()
    assert not {m["model"] for m in first["output"]["models"]} & {m["model"] for m in out["models"]}
    entry = next(
        m
        for m in sim_client.get(url, headers=bearer(simulator, "demo")).json()["output"]["models"]
        if m["model"] == "qwen3.6-flash"
    )
    assert entry["name"] == "Qwen3.6-Flash" and entry["deployment_scope"] == "international"


# ---- trial host ---------------------------------------------------------------------------


def test_trial_host_rpm_limit_by_account_setting(simulator_ca):
    acc = Account("t", fake_key("t"), "ap-southeast-1", fake_workspace_id("t"), trial_rpm=2)
    other = Account("o", fake_key("o"), "ap-southeast-1", fake_workspace_id("o"))
    url = f"https://trial.ap-southeast-1.maas.aliyuncs.com{OPENAI}/models"
    with Simulator([acc, other], ca=simulator_ca) as sim, pinned_client(sim) as c:
        assert [c.get(url, headers=bearer(sim, "t")).status_code for _ in range(2)] == [200, 200]
        r = c.get(url, headers=bearer(sim, "t"))
        assert openai_error(r)[:2] == (429, "limit_requests") and "retry-after" in r.headers
        assert c.get(url, headers=bearer(sim, "o")).status_code == 200  # every workspace key
        # The shared host has no such limit.
        assert c.get(f"https://{SG}{OPENAI}/models", headers=bearer(sim, "t")).status_code == 200


def test_trial_limit_as_a_fault(simulator, sim_client):
    simulator.inject(Fault("rate_limit", host="trial.*"))
    url = f"https://trial.cn-hongkong.maas.aliyuncs.com{OPENAI}/models"
    assert sim_client.get(url, headers=bearer(simulator, "cn-hongkong")).status_code == 429


# ---- error codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "status", "openai_code", "native_code"),
    [
        ("arrears-403", 403, "access_denied", "AccessDenied"),
        ("endpoint-denied", 403, "access_denied", "Endpoint.AccessDenied"),
        ("app-denied", 403, "access_denied", "App.AccessDenied"),
        ("burst", 429, "limit_requests", "Throttling.RateQuota"),
    ],
)
def test_rarer_errors_by_account_in_both_envelopes(
    simulator, sim_client, account, status, openai_code, native_code
):
    headers = bearer(simulator, account)
    r = sim_client.post(f"https://{SG}{OPENAI}/chat/completions", headers=headers, json=chat())
    assert openai_error(r)[:2] == (status, openai_code)
    r = sim_client.post(f"https://{SG}{GEN}", headers=headers, json=native())
    assert native_error(r) == (status, native_code)
    if account == "burst":
        assert "increased too quickly" in r.json()["message"]
    if account == "arrears-403":
        assert "overdue payment" in r.json()["message"]


def test_unknown_model_native_404_model_not_found_by_account(simulator, sim_client):
    r = sim_client.post(
        f"https://{SG}{GEN}", headers=bearer(simulator, "model-not-found"), json=native("qwen-nope")
    )
    assert native_error(r) == (404, "ModelNotFound")
    r = sim_client.post(
        f"https://{SG}{GEN}", headers=bearer(simulator, "demo"), json=native("qwen-nope")
    )
    assert (
        native_error(r) == (400, "InvalidParameter") and r.json()["message"] == "Model not exist."
    )


def test_burst_fault_is_answered_before_the_key_is_checked(simulator, sim_client):
    simulator.inject(Fault("burst", host=SG))
    for headers in ({"Authorization": "Bearer sk-not-a-key"}, {}):
        r = sim_client.post(f"https://{SG}{GEN}", headers=headers, json=native())
        assert native_error(r) == (429, "Throttling.RateQuota")
        assert "increased too quickly" in r.json()["message"]
    assert simulator.requests[-1].account is None


def test_ws_key_works_like_any_pay_as_you_go_key(simulator, sim_client):
    r = sim_client.post(
        f"https://dashscope.aliyuncs.com{OPENAI}/chat/completions",
        headers=bearer(simulator, "ws-key"),
        json=chat(),
    )
    assert r.status_code == 200


def test_banner_plan_example_works(simulator, sim_client):
    import re

    from app.simulator.cli import banner

    line = next(x for x in banner(simulator).splitlines() if "sk-sp-" in x and "curl" in x)
    key = re.search(r"Bearer (sk-sp-[0-9a-f]+)", line).group(1)
    url = re.search(r"(https://\S+)$", line).group(1)
    r = sim_client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["object"] == "list"


def test_bad_account_settings_are_refused():
    base = ("x", "sk-x", "ap-southeast-1", None)
    for settings in (
        {"plan": "token-plan", "edition": "gold"},
        {"model_list": "sometimes"},
        {"denied": "Nope.AccessDenied"},
        {"unknown_model": "Gone"},
        {"arrears_status": 402},
        {"plan_status_on_payg": 404},
        {"trial_rpm": -1},
    ):
        with pytest.raises(ValueError):
            Account(*base, **settings)
    with pytest.raises(ValueError):
        fake_key("x", shape="round")


def test_certificate_names_both_token_plan_hosts():
    from app.simulator.tls import production_hosts

    names = production_hosts()
    assert {TOKEN_SG, TOKEN_CN, "coding.dashscope.aliyuncs.com"} <= set(names)
