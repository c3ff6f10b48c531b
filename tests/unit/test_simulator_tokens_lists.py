"""Issue 9 in the simulator: temporary `st-` keys from POST /api/v1/tokens, and model lists
that are refused, huge, malformed or deeply nested. Real TLS over loopback."""

from __future__ import annotations

import json

import pytest

from app.simulator.accounts import Account, fake_key, fake_workspace_id
from app.simulator.faults import Fault
from app.simulator.server import Simulator
from tests.fixtures.simulator import pinned_client

SG = "dashscope-intl.aliyuncs.com"
TOKENS = f"https://{SG}/api/v1/tokens"
MODELS = f"https://{SG}/compatible-mode/v1/models"
NATIVE_MODELS = f"https://{SG}/api/v1/models"


class Clock:
    """A hand-moved clock (unix seconds) so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_temporary_key_works_like_its_parent_until_it_expires(simulator_ca):
    clock = Clock()
    with Simulator(ca=simulator_ca, clock=clock) as sim, pinned_client(sim) as c:
        r = c.post(TOKENS, params={"expire_in_seconds": 30}, headers=bearer(sim.key("demo")))
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"token", "expires_at", "request_id"}
        assert body["token"].startswith("st-") and body["expires_at"] == int(clock.now) + 30
        st = body["token"]
        assert c.get(MODELS, headers=bearer(st)).status_code == 200
        assert sim.requests[-1].account == "demo"
        # Bound to the parent's region like the parent key.
        r = c.get("https://dashscope.aliyuncs.com/compatible-mode/v1/models", headers=bearer(st))
        assert r.status_code == 401
        clock.now += 30
        r = c.get(NATIVE_MODELS, headers=bearer(st))
        assert (r.status_code, r.json()["code"]) == (401, "InvalidApiKey")


def test_default_lifetime_is_60_seconds(simulator_ca):
    clock = Clock()
    with Simulator(ca=simulator_ca, clock=clock) as sim, pinned_client(sim) as c:
        r = c.post(TOKENS, headers=bearer(sim.key("demo")))
        assert r.json()["expires_at"] == int(clock.now) + 60


@pytest.mark.parametrize("value", ["0", "1801", "-5", "abc", "", "1.5"])
def test_lifetime_out_of_range_is_400_invalid_parameter(simulator, sim_client, value):
    r = sim_client.post(
        TOKENS, params={"expire_in_seconds": value}, headers=bearer(simulator.key("demo"))
    )
    assert (r.status_code, r.json()["code"]) == (400, "InvalidParameter")
    assert "1800" in r.json()["message"]


@pytest.mark.parametrize("value", ["1", "1800"])
def test_lifetime_bounds_are_accepted(simulator, sim_client, value):
    r = sim_client.post(
        TOKENS, params={"expire_in_seconds": value}, headers=bearer(simulator.key("demo"))
    )
    assert r.status_code == 200


def test_plan_keys_and_temporary_keys_cannot_issue_temporary_keys(simulator, sim_client):
    for name in ("plan", "token-sg"):
        r = sim_client.post(TOKENS, headers=bearer(simulator.key(name)))
        assert (r.status_code, r.json()["code"]) == (403, "AccessDenied"), name
    st = sim_client.post(TOKENS, headers=bearer(simulator.key("demo"))).json()["token"]
    r = sim_client.post(TOKENS, headers=bearer(st))
    assert r.status_code == 403
    assert sim_client.post(TOKENS, headers=bearer("sk-unknown")).status_code == 401
    assert sim_client.get(TOKENS, headers=bearer(simulator.key("demo"))).status_code == 405


def test_model_list_refused_is_403_access_denied_on_both_surfaces(simulator, sim_client):
    key = simulator.key("no-list")
    r = sim_client.get(NATIVE_MODELS, headers=bearer(key))
    assert (r.status_code, r.json()["code"]) == (403, "AccessDenied")
    r = sim_client.get(MODELS, headers=bearer(key))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "access_denied")
    # Inference still works: only listing is refused.
    r = sim_client.post(
        f"https://{SG}/compatible-mode/v1/chat/completions",
        headers=bearer(key),
        json={"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 200


@pytest.mark.parametrize("mode", ["huge", "malformed", "nested"])
def test_bad_model_lists_by_account_setting(simulator_ca, mode):
    acc = Account("x", fake_key("x"), "ap-southeast-1", fake_workspace_id("x"), model_list=mode)
    with Simulator([acc], ca=simulator_ca) as sim, pinned_client(sim, timeout=60) as c:
        for url in (MODELS, NATIVE_MODELS):
            r = c.get(url, headers=bearer(acc.key))
            assert r.status_code == 200
            if mode == "huge":
                assert len(r.content) > 10_000_000
                assert (
                    len(
                        json.loads(r.content).get("data")
                        or json.loads(r.content)["output"]["models"]
                    )
                    == 200_000
                )
            elif mode == "malformed":
                with pytest.raises(ValueError):
                    json.loads(r.content)
            else:
                with pytest.raises(RecursionError):
                    json.loads(r.content)


def test_list_faults_huge_and_malformed(simulator, sim_client):
    simulator.inject(Fault("huge_list", entries=5, path_prefix="/compatible-mode", times=1))
    r = sim_client.get(MODELS, headers=bearer(simulator.key("demo")))
    assert [m["id"] for m in r.json()["data"]] == [f"qwen-sim-{i}" for i in range(5)]
    simulator.inject(Fault("huge_list", entries=3, path_prefix="/api", times=1))
    out = sim_client.get(NATIVE_MODELS).json()["output"]  # no key: faults come first
    assert (out["total"], len(out["models"])) == (3, 3)
    simulator.inject(Fault("malformed_json", times=1))
    with pytest.raises(ValueError):
        sim_client.get(MODELS).json()
    simulator.inject(Fault("status", status=403, code="AccessDenied", times=1))
    r = sim_client.get(NATIVE_MODELS, headers=bearer(simulator.key("demo")))
    assert (r.status_code, r.json()["code"]) == (403, "AccessDenied")
