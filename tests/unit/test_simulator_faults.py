"""Every fault kind, produced on a real TLS connection, and the filters that aim it.

The doctor's findings are only as good as the failures it is tested against; each test here
checks what a client actually experiences (a timeout, a reset, a redirect it must not follow,
an HTML page, an oversized body, an error envelope) rather than internal state.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.simulator.faults import Fault
from tests.fixtures.simulator import pinned_async_client

SHARED = "https://dashscope-intl.aliyuncs.com"
MODELS = f"{SHARED}/compatible-mode/v1/models"
NATIVE_MODELS = f"{SHARED}/api/v1/models"
CHAT = f"{SHARED}/compatible-mode/v1/chat/completions"
MESSAGES = f"{SHARED}/apps/anthropic/v1/messages"


def auth(sim, name: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.key(name)}"}


def test_unknown_fault_kind_and_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")
    with pytest.raises(ValueError):
        Fault("status")
    with pytest.raises(ValueError):
        Fault("redirect", status=200)
    with pytest.raises(ValueError):
        Fault("drip", rate=0)


def test_latency_makes_a_short_read_timeout_expire(simulator, sim_client):
    simulator.inject(Fault("latency", seconds=1.0))
    with pytest.raises(httpx.ReadTimeout):
        sim_client.get(MODELS, headers=auth(simulator), timeout=httpx.Timeout(5.0, read=0.2))
    simulator.clear_faults()
    assert (
        sim_client.get(
            MODELS, headers=auth(simulator), timeout=httpx.Timeout(5.0, read=0.2)
        ).status_code
        == 200
    )


def test_hang_never_sends_headers(simulator, sim_client):
    simulator.inject(Fault("hang"))
    with pytest.raises(httpx.ReadTimeout):
        sim_client.get(MODELS, headers=auth(simulator), timeout=httpx.Timeout(5.0, read=0.3))
    assert simulator.requests[-1].status is None


async def test_drip_delivers_the_real_body_slowly_past_a_deadline(simulator):
    simulator.inject(Fault("drip", chunk_size=8, chunk_delay=0.2))
    async with pinned_async_client(simulator) as client:

        async def fetch() -> bytes:
            async with client.stream("GET", MODELS, headers=auth(simulator)) as r:
                assert r.status_code == 200
                return b"".join([chunk async for chunk in r.aiter_raw()])

        # Each read is quick (no read timeout fires) but the whole body takes far longer than
        # the overall deadline: the case httpx's per-read timeouts do not catch.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(fetch(), timeout=0.5)
    simulator.clear_faults()
    simulator.inject(Fault("drip", chunk_size=4096, chunk_delay=0.01))
    async with pinned_async_client(simulator) as client:
        r = await client.get(MODELS, headers=auth(simulator))
    assert r.status_code == 200 and r.json()["object"] == "list"


def test_drip_rate_in_bytes_per_second():
    assert Fault("drip", rate=100, chunk_size=10).drip_delay == pytest.approx(0.1)


def test_reset_mid_body(simulator, sim_client):
    simulator.inject(Fault("reset"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        sim_client.get(MODELS, headers=auth(simulator))
    simulator.clear_faults()
    assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 200


@pytest.mark.parametrize("status", [301, 302])
def test_redirect_to_another_host_is_not_followed(simulator, sim_client, status):
    simulator.inject(Fault("redirect", status=status, location="https://evil.example/steal"))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert r.status_code == status
    assert r.headers["location"] == "https://evil.example/steal"
    assert len(simulator.requests) == 1


def test_html_captive_portal_page(simulator, sim_client):
    simulator.inject(Fault("html"))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html>" in r.text.lower()
    with pytest.raises(ValueError):
        r.json()


def test_huge_body_declares_50_mb_and_a_client_can_stop_early(simulator, sim_client):
    simulator.inject(Fault("huge", times=1))
    cap = 1024 * 1024
    with sim_client.stream("GET", MODELS, headers=auth(simulator)) as r:
        assert r.status_code == 200
        assert int(r.headers["content-length"]) == 50 * 1024 * 1024
        got = 0
        for chunk in r.iter_bytes():
            got += len(chunk)
            if got > cap:
                break
    assert got > cap
    # The server survived the abandoned transfer.
    assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 200


def test_huge_body_is_complete_when_read_fully(simulator, sim_client):
    simulator.inject(Fault("huge", size=3 * 1024 * 1024 + 7))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert len(r.content) == 3 * 1024 * 1024 + 7


def test_rate_limit_429_with_retry_after_in_every_envelope(simulator, sim_client):
    simulator.inject(Fault("rate_limit", retry_after=7))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.json()["error"]["code"] == "limit_requests"
    r = sim_client.get(NATIVE_MODELS, headers=auth(simulator))
    assert r.status_code == 429 and r.json()["code"] == "Throttling.RateQuota"
    r = sim_client.post(
        MESSAGES,
        headers=auth(simulator),
        json={"model": "qwen-plus", "max_tokens": 1, "messages": []},
    )
    assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"


def test_quota(simulator, sim_client):
    simulator.inject(Fault("quota"))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert r.status_code == 429 and r.json()["error"]["code"] == "insufficient_quota"
    assert "retry-after" in r.headers
    r = sim_client.get(NATIVE_MODELS, headers=auth(simulator))
    assert r.json()["code"] == "Throttling.AllocationQuota"


def test_server_error_and_unavailable(simulator, sim_client):
    simulator.inject(Fault("server_error", times=2))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    r = sim_client.get(NATIVE_MODELS, headers=auth(simulator))
    assert r.status_code == 500 and r.json()["code"] == "InternalError"
    simulator.inject(Fault("unavailable"))
    r = sim_client.get(NATIVE_MODELS, headers=auth(simulator))
    assert r.status_code == 503 and r.json()["code"] == "ModelUnavailable"
    assert r.headers["x-request-id"] == r.json()["request_id"]


def test_status_fault_any_status_and_code(simulator, sim_client):
    simulator.inject(
        Fault("status", status=400, code="DataInspectionFailed", message="Inappropriate content.")
    )
    r = sim_client.get(NATIVE_MODELS, headers=auth(simulator))
    assert r.status_code == 400
    assert r.json()["code"] == "DataInspectionFailed"
    assert r.json()["message"] == "Inappropriate content."


def test_faults_apply_before_auth(simulator, sim_client):
    simulator.inject(Fault("server_error"))
    assert sim_client.get(MODELS).status_code == 500


# ---- filters --------------------------------------------------------------------------------


def test_times_limits_a_fault(simulator, sim_client):
    simulator.inject(Fault("server_error", times=2))
    statuses = [sim_client.get(MODELS, headers=auth(simulator)).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_host_filter_exact_and_pattern(simulator, sim_client):
    simulator.inject(Fault("unavailable", host="*.ap-southeast-1.maas.aliyuncs.com"))
    ws = simulator.accounts["demo"].workspace_id
    r = sim_client.get(
        f"https://{ws}.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1/models",
        headers=auth(simulator),
    )
    assert r.status_code == 503
    assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 200
    simulator.clear_faults()
    simulator.inject(Fault("unavailable", host="dashscope-intl.aliyuncs.com"))
    assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 503


@pytest.mark.parametrize("by", ["name", "raw"])
def test_key_filter_by_account_name_or_raw_key(simulator, sim_client, by):
    simulator.inject(
        Fault("rate_limit", key="limited" if by == "name" else simulator.key("limited"))
    )
    assert sim_client.get(MODELS, headers=auth(simulator, "limited")).status_code == 429
    assert sim_client.get(MODELS, headers=auth(simulator, "demo")).status_code == 200


def test_path_prefix_filter(simulator, sim_client):
    simulator.inject(Fault("server_error", path_prefix="/api/v1"))
    assert sim_client.get(NATIVE_MODELS, headers=auth(simulator)).status_code == 500
    assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 200


def test_latency_combines_with_a_response_fault(simulator, sim_client):
    simulator.inject(Fault("latency", seconds=0.05))
    simulator.inject(Fault("rate_limit"))
    r = sim_client.get(MODELS, headers=auth(simulator))
    assert r.status_code == 429
    assert simulator.requests[-1].faults == ("latency", "rate_limit")


def test_global_latency_applies_to_every_request(simulator_ca):
    from app.simulator.server import Simulator
    from tests.fixtures.simulator import pinned_client

    with (
        Simulator(ca=simulator_ca, latency=1.0) as sim,
        pinned_client(sim) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.get(MODELS, headers=auth(sim), timeout=httpx.Timeout(5.0, read=0.2))
