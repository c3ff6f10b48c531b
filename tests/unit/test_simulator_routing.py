"""The simulator answers like Model Studio: hosts, keys, surfaces, shapes and error codes.

Every request goes over real TLS with the production host name, pinned to the simulator's
loopback socket, so what these tests pin is what the doctor and the SDKs will see.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest

from app.core.catalog import load_catalog
from app.simulator.accounts import Account, account_models, default_accounts
from app.simulator.server import Simulator
from tests.fixtures.simulator import pinned_client

OPENAI = "/compatible-mode/v1"
NATIVE = "/api/v1"
ANTHROPIC = "/apps/anthropic"
GEN = f"{NATIVE}/services/aigc/text-generation/generation"


def ws_host(sim: Simulator, name: str) -> str:
    acc = sim.accounts[name]
    return f"{acc.workspace_id}.{acc.region}.maas.aliyuncs.com"


def bearer(sim: Simulator, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.key(name)}"}


def chat(model: str = "qwen-plus", **extra) -> dict:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 1,
        **extra,
    }


def native(model: str = "qwen-plus") -> dict:
    return {
        "model": model,
        "input": {"messages": [{"role": "user", "content": "ping"}]},
        "parameters": {"result_format": "message", "max_tokens": 1},
    }


# ---- accounts -------------------------------------------------------------------------------


def test_default_accounts_cover_every_region_and_the_special_cases():
    accounts = {a.name: a for a in default_accounts()}
    catalog = load_catalog()
    assert set(catalog.regions) <= set(accounts)
    assert {"plan", "arrears", "limited", "demo"} <= set(accounts)
    for region in catalog.regions:
        assert accounts[region].region == region
        assert re.fullmatch(r"ws-[a-z0-9]{16}", accounts[region].workspace_id)
    shapes = {
        "ws-key": r"sk-ws-[A-Za-z0-9]+(\.[A-Za-z0-9]+){2}",
        "token-sg": r"sk-sp-[0-9a-f]{106}",
        "token-cn": r"sk-sp-[0-9a-f]{106}",
    }
    for acc in accounts.values():
        assert re.fullmatch(shapes.get(acc.name, r"sk-(sp-)?[0-9a-f]{32}"), acc.key), acc.name
    assert len(accounts["ws-key"].key) == 125 and len(accounts["token-sg"].key) == 112
    assert accounts["plan"].key.startswith("sk-sp-") and accounts["plan"].plan == "coding-plan"
    assert accounts["eu-central-1"].scope == "eu"
    assert accounts["arrears"].arrears and accounts["arrears"].region == "ap-southeast-1"
    assert accounts["limited"].models == ("qwen-plus",)
    assert len({a.key for a in accounts.values()}) == len(accounts)


def test_keys_are_deterministic_so_docs_can_cite_them():
    assert [a.key for a in default_accounts()] == [a.key for a in default_accounts()]


def test_account_repr_hides_the_key():
    acc = default_accounts()[0]
    assert acc.key not in repr(acc)


def test_model_availability_follows_the_catalog_scopes():
    accounts = {a.name: a for a in default_accounts()}
    eu = account_models(accounts["eu-central-1"])
    assert "qwen-flash" not in eu and "qwen3-max" in eu
    us = account_models(accounts["us-east-1"])
    assert {"qwen-flash-us", "qwen-plus-us", "qwen-plus"} <= set(us)
    sg = account_models(accounts["ap-southeast-1"])
    assert not any(m.endswith("-us") for m in sg)
    assert account_models(accounts["limited"]) == ("qwen-plus",)


# ---- surfaces and shapes --------------------------------------------------------------------


def test_openai_models_list_shape(simulator, sim_client):
    r = sim_client.get(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=bearer(simulator, "demo")
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    assert "qwen-plus" in ids and all(m["object"] == "model" for m in body["data"])
    uuid.UUID(r.headers["x-request-id"])


def test_openai_chat_completion_shape(simulator, sim_client):
    r = sim_client.post(
        f"https://{ws_host(simulator, 'demo')}{OPENAI}/chat/completions",
        headers=bearer(simulator, "demo"),
        json=chat(),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "pong"}
    assert body["choices"][0]["finish_reason"] == "length"
    usage = body["usage"]
    assert usage["completion_tokens"] == 1
    assert usage["total_tokens"] == usage["prompt_tokens"] + 1 and usage["prompt_tokens"] > 1


def test_openai_streaming_is_sse_ending_with_done(simulator, sim_client):
    with sim_client.stream(
        "POST",
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions",
        headers=bearer(simulator, "demo"),
        json=chat(stream=True, stream_options={"include_usage": True}),
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    import json

    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "pong"
    assert chunks[-1]["usage"]["completion_tokens"] == 1


def test_native_generation_message_shape(simulator, sim_client):
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{GEN}",
        headers=bearer(simulator, "demo"),
        json=native(),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["output"]["choices"][0]["message"]["content"] == "pong"
    assert body["usage"]["output_tokens"] == 1
    assert body["request_id"] == r.headers["x-request-id"]


def test_native_generation_text_format_without_result_format(simulator, sim_client):
    payload = native()
    del payload["parameters"]
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{GEN}", headers=bearer(simulator, "demo"), json=payload
    )
    assert r.json()["output"]["text"] == "pong"


def test_native_models_list_and_filter(simulator, sim_client):
    url = f"https://dashscope-intl.aliyuncs.com{NATIVE}/models"
    r = sim_client.get(url, headers=bearer(simulator, "demo"))
    assert r.status_code == 200
    out = r.json()["output"]
    assert "qwen-plus" in [m["model"] for m in out["models"]]
    r = sim_client.get(
        url, params={"model": "qwen-plus", "page_size": 1}, headers=bearer(simulator, "demo")
    )
    assert [m["model"] for m in r.json()["output"]["models"]] == ["qwen-plus"]


@pytest.mark.parametrize("auth", ["x-api-key", "bearer"])
def test_anthropic_messages_with_either_auth_header(simulator, sim_client, auth):
    key = simulator.key("demo")
    headers = {"x-api-key": key} if auth == "x-api-key" else {"Authorization": f"Bearer {key}"}
    headers["anthropic-version"] = "2023-06-01"
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{ANTHROPIC}/v1/messages",
        headers=headers,
        json=chat(model="qwen3-max"),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "message" and body["role"] == "assistant"
    assert body["content"] == [{"type": "text", "text": "pong"}]
    assert body["stop_reason"] == "max_tokens"
    assert body["usage"]["output_tokens"] == 1
    assert simulator.requests[-1].auth_scheme == auth


def test_anthropic_models_endpoint_is_404_as_observed(simulator, sim_client):
    r = sim_client.get(
        f"https://dashscope-intl.aliyuncs.com{ANTHROPIC}/v1/models",
        headers=bearer(simulator, "demo"),
    )
    assert r.status_code == 404
    assert r.json()["type"] == "error"


def test_x_api_key_is_not_accepted_on_the_openai_surface(simulator, sim_client):
    r = sim_client.get(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/models",
        headers={"x-api-key": simulator.key("demo")},
    )
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "No API-key provided."


# ---- the error table (MODEL_STUDIO.md section 4) --------------------------------------------


def _openai_error(r):
    body = r.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["request_id"] == r.headers["x-request-id"]
    return r.status_code, body["error"]["code"]


def _native_error(r):
    body = r.json()
    assert set(body) == {"code", "message", "request_id"}
    assert body["request_id"] == r.headers["x-request-id"]
    return r.status_code, body["code"]


def test_missing_key_is_401_no_api_key(simulator, sim_client):
    r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{OPENAI}/models")
    assert _openai_error(r) == (401, "invalid_api_key")
    assert r.json()["error"]["message"] == "No API-key provided."
    r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{NATIVE}/models")
    assert _native_error(r) == (401, "InvalidApiKey")


def test_unknown_key_is_401(simulator, sim_client):
    headers = {"Authorization": "Bearer sk-00000000000000000000000000000000"}
    r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=headers)
    assert _openai_error(r) == (401, "invalid_api_key")
    assert r.json()["error"]["message"] == "Invalid API-key provided."


def test_key_of_another_region_is_401_but_its_own_shared_host_accepts_it(simulator, sim_client):
    headers = bearer(simulator, "cn-beijing")
    r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=headers)
    assert _openai_error(r) == (401, "invalid_api_key")
    r = sim_client.get(f"https://dashscope.aliyuncs.com{OPENAI}/models", headers=headers)
    assert r.status_code == 200


def test_shared_host_accepts_any_key_of_its_region(simulator, sim_client):
    for name in ("ap-southeast-1", "demo", "limited"):
        r = sim_client.get(
            f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=bearer(simulator, name)
        )
        assert r.status_code == 200, name


def test_workspace_host_accepts_only_its_own_workspace_key(simulator, sim_client):
    host = ws_host(simulator, "ap-southeast-1")
    ok = sim_client.get(
        f"https://{host}{OPENAI}/models", headers=bearer(simulator, "ap-southeast-1")
    )
    assert ok.status_code == 200
    other = sim_client.get(f"https://{host}{OPENAI}/models", headers=bearer(simulator, "demo"))
    assert _openai_error(other) == (401, "invalid_api_key")


def test_wrong_workspace_can_be_403_workspace_access_denied(simulator_ca):
    with Simulator(ca=simulator_ca, wrong_workspace_status=403) as sim, pinned_client(sim) as c:
        host = ws_host(sim, "ap-southeast-1")
        r = c.get(f"https://{host}{NATIVE}/models", headers=bearer(sim, "demo"))
        assert _native_error(r) == (403, "Workspace.AccessDenied")
        r = c.get(f"https://{host}{OPENAI}/models", headers=bearer(sim, "demo"))
        assert _openai_error(r) == (403, "access_denied")


def test_unknown_workspace_is_404_workspace_not_found(simulator, sim_client):
    r = sim_client.get(
        f"https://ws-doesnotexist0000.ap-southeast-1.maas.aliyuncs.com{NATIVE}/models",
        headers=bearer(simulator, "demo"),
    )
    assert _native_error(r) == (404, "WorkSpaceNotFound")


def test_frankfurt_and_tokyo_work_on_their_workspace_hosts(simulator, sim_client):
    for region in ("eu-central-1", "ap-northeast-1"):
        r = sim_client.post(
            f"https://{ws_host(simulator, region)}{OPENAI}/chat/completions",
            headers=bearer(simulator, region),
            json=chat("qwen3.5-flash"),
        )
        assert r.status_code == 200, region


def test_plan_key_on_pay_as_you_go_host_is_401_and_works_on_the_plan_host(simulator, sim_client):
    headers = bearer(simulator, "plan")
    r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=headers)
    assert _openai_error(r) == (401, "invalid_api_key")
    r = sim_client.post(
        "https://coding-intl.dashscope.aliyuncs.com/v1/chat/completions",
        headers=headers,
        json=chat(),
    )
    assert r.status_code == 200
    r = sim_client.post(
        "https://coding-intl.dashscope.aliyuncs.com/v1/chat/completions",
        headers=bearer(simulator, "demo"),
        json=chat(),
    )
    assert r.status_code == 401


def test_unknown_model(simulator, sim_client):
    headers = bearer(simulator, "demo")
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions",
        headers=headers,
        json=chat("qwen-nope"),
    )
    assert _openai_error(r) == (404, "model_not_found")
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{GEN}", headers=headers, json=native("qwen-nope")
    )
    assert _native_error(r) == (400, "InvalidParameter")
    assert r.json()["message"] == "Model not exist."


def test_us_names_exist_only_in_the_us_region(simulator, sim_client):
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions",
        headers=bearer(simulator, "demo"),
        json=chat("qwen-plus-us"),
    )
    assert _openai_error(r) == (404, "model_not_found")
    for model in ("qwen-plus-us", "qwen-plus"):
        r = sim_client.post(
            f"https://dashscope-us.aliyuncs.com{OPENAI}/chat/completions",
            headers=bearer(simulator, "us-east-1"),
            json=chat(model),
        )
        assert r.status_code == 200, model


def test_eu_scope_has_no_qwen_flash(simulator, sim_client):
    r = sim_client.post(
        f"https://{ws_host(simulator, 'eu-central-1')}{OPENAI}/chat/completions",
        headers=bearer(simulator, "eu-central-1"),
        json=chat("qwen-flash"),
    )
    assert _openai_error(r) == (404, "model_not_found")


def test_model_not_granted_is_403(simulator, sim_client):
    headers = bearer(simulator, "limited")
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions",
        headers=headers,
        json=chat("qwen3-max"),
    )
    assert _openai_error(r) == (403, "access_denied")
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{GEN}", headers=headers, json=native("qwen3-max")
    )
    assert _native_error(r) == (403, "AccessDenied")
    r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=headers)
    assert [m["id"] for m in r.json()["data"]] == ["qwen-plus"]


def test_arrears_is_400_arrearage_on_inference(simulator, sim_client):
    headers = bearer(simulator, "arrears")
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions",
        headers=headers,
        json=chat(),
    )
    assert _openai_error(r) == (400, "Arrearage")
    r = sim_client.post(f"https://dashscope-intl.aliyuncs.com{GEN}", headers=headers, json=native())
    assert _native_error(r) == (400, "Arrearage")
    r = sim_client.post(
        f"https://dashscope-intl.aliyuncs.com{ANTHROPIC}/v1/messages", headers=headers, json=chat()
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert r.json()["error"]["code"] == "Arrearage"


def test_anthropic_surface_serves_only_its_listed_models(simulator, sim_client):
    url = f"https://dashscope-intl.aliyuncs.com{ANTHROPIC}/v1/messages"
    r = sim_client.post(url, headers=bearer(simulator, "demo"), json=chat("qwen3.5-flash"))
    assert r.status_code == 404
    assert r.json() == {
        "type": "error",
        "error": {
            "type": "not_found_error",
            "message": r.json()["error"]["message"],
            "code": "model_not_found",
        },
        "request_id": r.headers["x-request-id"],
    }
    r = sim_client.post(
        f"https://dashscope-us.aliyuncs.com{ANTHROPIC}/v1/messages",
        headers=bearer(simulator, "us-east-1"),
        json=chat("qwen-plus-us"),
    )
    assert r.status_code == 200


def test_anthropic_missing_key_uses_the_anthropic_envelope(simulator, sim_client):
    r = sim_client.post(f"https://dashscope-intl.aliyuncs.com{ANTHROPIC}/v1/messages", json=chat())
    assert r.status_code == 401
    assert r.json()["type"] == "error"
    assert r.json()["error"]["type"] == "authentication_error"


def test_bad_json_and_missing_model_are_400(simulator, sim_client):
    url = f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions"
    r = sim_client.post(url, headers=bearer(simulator, "demo"), content=b"{not json")
    assert r.status_code == 400
    r = sim_client.post(url, headers=bearer(simulator, "demo"), json={"messages": []})
    assert r.status_code == 400


def test_unknown_path_and_wrong_method(simulator, sim_client):
    r = sim_client.get(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/nope", headers=bearer(simulator, "demo")
    )
    assert r.status_code == 404
    r = sim_client.get(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/chat/completions",
        headers=bearer(simulator, "demo"),
    )
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = sim_client.get("https://dashscope-intl.aliyuncs.com/", headers=bearer(simulator, "demo"))
    assert r.status_code == 404


def test_unknown_host_is_404(simulator_ca):
    # The certificate does not cover foreign names; a client that skips the name check (here:
    # plain HTTP with a Host header) still gets a clear 404 instead of another host's answers.
    with Simulator(tls=False) as sim, pinned_client(sim) as c:
        r = c.get(f"http://example.com{OPENAI}/models", headers=bearer(sim, "demo"))
        assert r.status_code == 404
        assert "example.com" in r.json()["error"]["message"]


def test_every_response_has_a_uuid_request_id(simulator, sim_client):
    for path in (f"{OPENAI}/models", f"{NATIVE}/models", "/nope"):
        r = sim_client.get(f"https://dashscope-intl.aliyuncs.com{path}")
        uuid.UUID(r.headers["x-request-id"])


# ---- records --------------------------------------------------------------------------------


def test_records_hold_the_fingerprint_never_the_key(simulator, sim_client):
    key = simulator.key("demo")
    sim_client.get(
        f"https://dashscope-intl.aliyuncs.com{OPENAI}/models", headers=bearer(simulator, "demo")
    )
    rec = simulator.requests[-1]
    assert rec.key_fingerprint == hashlib.sha256(key.encode()).hexdigest()[:12]
    assert rec.host == "dashscope-intl.aliyuncs.com" and rec.path == f"{OPENAI}/models"
    assert rec.method == "GET" and rec.status == 200 and rec.auth_scheme == "bearer"
    assert rec.account == "demo" and rec.surface == "openai"
    assert rec.t_end is not None and rec.t_end >= rec.t_start
    assert key not in repr(simulator.requests)


def test_plain_http_mode_serves_loopback_as_the_default_host(plain_simulator):
    import httpx

    sim = plain_simulator
    with httpx.Client(trust_env=False) as c:
        r = c.get(f"{sim.url}{OPENAI}/models", headers=bearer(sim, "demo"))
    assert r.status_code == 200
    assert sim.requests[-1].host == "dashscope-intl.aliyuncs.com"
    with pytest.raises(RuntimeError):
        _ = sim.ca_file


def test_custom_accounts(simulator_ca):
    acc = Account(
        name="mine",
        key="sk-" + "1" * 32,
        region="cn-hongkong",
        workspace_id="ws-mine",
        scope="hongkong",
    )
    with Simulator([acc], ca=simulator_ca) as sim, pinned_client(sim) as c:
        assert list(sim.accounts) == ["mine"]
        r = c.get(
            f"https://ws-mine.cn-hongkong.maas.aliyuncs.com{OPENAI}/models",
            headers=bearer(sim, "mine"),
        )
        ids = [m["id"] for m in r.json()["data"]]
        assert "qwen3-max" in ids and "qwen-flash" not in ids


def test_bad_constructor_arguments_are_refused():
    with pytest.raises(ValueError):
        Simulator(tls=False, wrong_workspace_status=404)
    with pytest.raises(ValueError):
        Account(name="x", key="sk-x", region="cn-beijing", workspace_id=None, plan="gold")


def test_trial_host_accepts_keys_of_its_region_only(simulator, sim_client):
    url = f"https://trial.ap-southeast-1.maas.aliyuncs.com{OPENAI}/models"
    assert sim_client.get(url, headers=bearer(simulator, "demo")).status_code == 200
    assert sim_client.get(url, headers=bearer(simulator, "cn-beijing")).status_code == 401


def test_other_methods_are_405_on_a_reused_connection(simulator, sim_client):
    url = f"https://dashscope-intl.aliyuncs.com{OPENAI}/models"
    for method in ("HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"):
        r = sim_client.request(method, url, headers=bearer(simulator, "demo"))
        assert (r.status_code, r.headers["allow"]) == (405, "GET"), method
    assert sim_client.get(url, headers=bearer(simulator, "demo")).status_code == 200
    assert simulator.errors == []


def test_request_id_factory_makes_ids_predictable(simulator_ca):
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 100))
    sim = Simulator(ca=simulator_ca, request_id_factory=lambda: next(ids))
    with sim, pinned_client(sim) as c:
        first = c.get(f"https://dashscope-intl.aliyuncs.com{NATIVE}/models")
        second = c.get(f"https://dashscope-intl.aliyuncs.com{NATIVE}/models")
    assert first.headers["x-request-id"] == "00000000-0000-4000-8000-000000000001"
    assert second.json()["request_id"] == "00000000-0000-4000-8000-000000000002"


def test_docs_cite_the_real_fake_keys():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "simulator.md").read_text()
    for acc in default_accounts():
        assert acc.key in doc, acc.name
        assert acc.workspace_id is None or acc.workspace_id in doc, acc.name
