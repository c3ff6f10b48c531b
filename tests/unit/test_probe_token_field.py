"""The 1-token ping names its token limit as the service wants it (MODEL_STUDIO.md section 4):
the compatible surface is pinged with `max_completion_tokens` (`max_tokens` is deprecated
there since 2026-04), the native one with `max_tokens`; when a 400 names the field it sent,
the probe retries once with the other name and reports which one the service accepted.
Against the simulator over real TLS; the simulator's refusals name the field the way OpenAI
envelopes do (`param`), the native envelope only in its message."""

from __future__ import annotations

import dataclasses

import pytest

from app.findings.report import to_json
from app.probe.engine import ProbeOptions, run_checks
from app.probe.targets import targets_for
from app.probe.transport import Pins
from app.secrets.key import ApiKey
from app.simulator.accounts import Account, default_accounts, fake_key, fake_workspace_id
from app.simulator.server import Simulator
from app.simulator.service import refused_token_limit

REGION = "ap-southeast-1"


def _options(sim: Simulator) -> ProbeOptions:
    return ProbeOptions(
        pins=Pins.parse(None, [sim.connect_to]), ca_file=str(sim.ca_file), env={}, timeout=5.0
    )


def _limits(sim: Simulator, surface_path: str) -> list[tuple[str, ...]]:
    """The token-limit names of each inference call to that path, in order."""
    return [r.token_limits for r in sim.requests if r.method == "POST" and surface_path in r.path]


@pytest.fixture
def legacy(simulator_ca):
    """A deployment that knows the token limit only as `max_tokens`."""
    old = Account(
        "legacy", fake_key("legacy"), REGION, fake_workspace_id("legacy"), legacy_token_limit=True
    )
    sim = Simulator([*default_accounts(), old], ca=simulator_ca).start_in_thread()
    try:
        yield sim, old
    finally:
        sim.stop_thread()
    assert not sim.errors


async def test_the_compatible_ping_sends_the_current_name_and_reports_it(simulator) -> None:
    acct = simulator.accounts[REGION]
    targets = targets_for(acct.region, "workspace", acct.workspace_id, model="qwen-plus")
    result = await run_checks(targets, ApiKey(acct.key), _options(simulator))
    assert result.verdict == "ok"
    # one call each, no retry: the compatible surface's current name, the native documented one
    chat = "/compatible-mode/v1/chat/completions"
    assert _limits(simulator, chat) == [("max_completion_tokens",)]
    assert _limits(simulator, "/generation") == [("max_tokens",)]
    fields = {c.surface: c.token_field for c in result.checks}
    assert fields["openai"] == "max_completion_tokens" and fields["dashscope"] == "max_tokens"


async def test_a_deployment_refusing_the_new_name_gets_one_retry_with_the_old(legacy) -> None:
    sim, acct = legacy
    targets = targets_for(acct.region, "workspace", acct.workspace_id, model="qwen-plus")
    result = await run_checks(targets, ApiKey(acct.key), _options(sim))
    assert result.verdict == "ok", [f.code for f in result.findings]
    assert _limits(sim, "/compatible-mode/v1/chat/completions") == [
        ("max_completion_tokens",),  # refused with a 400 naming it
        ("max_tokens",),  # the one retry
    ]
    # the native surface's documented name was known to this deployment: no retry there
    assert _limits(sim, "/generation") == [("max_tokens",)]
    openai = next(c for c in result.checks if c.surface == "openai")
    assert openai.status == "pass" and openai.token_field == "max_tokens"
    report = to_json(result)
    assert "max_tokens" in [c["token_field"] for c in report["checks"]]


def test_a_strict_deployment_refuses_max_tokens_for_2026_models_and_names_the_field() -> None:
    acct = dataclasses.replace(default_accounts()[0], current_token_limit_only=True)
    assert (
        refused_token_limit("openai", "qwen3.7-plus", {"max_tokens": 1}, default_accounts()[0])
        is None
    )
    refused = refused_token_limit("openai", "qwen3.7-plus", {"max_tokens": 1}, acct)
    assert refused is not None and refused.status == 400 and refused.param == "max_tokens"
    body = refused.body_for("openai", "rid")
    assert body["error"]["param"] == "max_tokens"
    assert refused_token_limit("openai", "qwen3.7-plus", {"max_completion_tokens": 1}, acct) is None
    assert refused_token_limit("openai", "qwen-plus", {"max_tokens": 1}, acct) is None
    assert refused_token_limit("anthropic", "qwen3.7-plus", {"max_tokens": 1}, acct) is None
