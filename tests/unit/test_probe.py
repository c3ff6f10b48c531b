"""The probe engine driven directly (as the TUI does): events, concurrency, retries, limits."""

from __future__ import annotations

import pytest

from app.core.catalog import load_catalog
from app.core.endpoints import all_plan_urls
from app.core.models import CheckFinished, CheckStarted, PhaseDone
from app.probe.engine import ProbeOptions, run_checks
from app.probe.targets import targets_for
from app.probe.transport import Pins
from app.secrets.key import ApiKey
from app.simulator.faults import Fault


def options(sim, **kw) -> ProbeOptions:
    kw.setdefault("timeout", 5.0)
    return ProbeOptions(
        pins=Pins.parse(None, [sim.connect_to]), ca_file=str(sim.ca_file), env={}, **kw
    )


def profile_targets(sim, account="ap-southeast-1", model="qwen-plus"):
    acct = sim.accounts[account]
    return targets_for(acct.region, "workspace", acct.workspace_id, model=model)


def overlap(intervals: list[tuple[float, float]]) -> bool:
    """True when every interval overlaps every other: the latest start precedes the
    earliest end (i.e. they all ran at once, whatever the machine's speed)."""
    return max(s for s, _ in intervals) < min(e for _, e in intervals)


async def test_events_arrive_in_order_for_every_check(simulator):
    events = []
    result = await run_checks(
        profile_targets(simulator),
        ApiKey(simulator.key("ap-southeast-1")),
        options(simulator),
        on_event=events.append,
    )
    assert result.verdict == "ok"
    for check in result.checks:
        mine = [e for e in events if e.check_id == check.check_id]
        assert isinstance(mine[0], CheckStarted) and mine[0].surface == check.surface
        assert isinstance(mine[-1], CheckFinished) and mine[-1].status == "pass"
        phases = [e.phase for e in mine if isinstance(e, PhaseDone)]
        assert phases[:4] == ["dns", "tcp", "tls", "ttfb"]
        assert phases[-1] == "inference"
        assert all(e.ms is not None and e.ms >= 0 for e in mine if isinstance(e, PhaseDone))
        assert mine[-1].request_id == check.request_id


async def test_surfaces_are_checked_concurrently(simulator):
    simulator.inject(Fault("latency", seconds=0.3))
    result = await run_checks(
        profile_targets(simulator), ApiKey(simulator.key("ap-southeast-1")), options(simulator)
    )
    assert overlap([(c.t_start, c.t_end) for c in result.checks])
    models = [r for r in simulator.requests if r.path.endswith("/models")]
    assert len(models) == 2
    assert overlap([(r.t_start, r.t_end) for r in models])


async def test_all_regions_ownership_checks_run_at_once_and_report_rows_apart(simulator):
    simulator.inject(Fault("latency", seconds=0.3))
    events = []
    result = await run_checks(
        profile_targets(simulator),
        ApiKey(simulator.key("cn-beijing")),
        options(simulator, consent_all_regions=True),
        on_event=events.append,
    )
    assert {f.code for f in result.findings} == {"key_other_region"}
    shared = {r.hosts.shared for r in load_catalog().regions.values() if r.hosts.shared}
    matrix = (shared - {None}) | {p.host for p in all_plan_urls()}  # the ownership matrix
    assert {c.host for c in result.ownership} == matrix
    assert overlap([(c.t_start, c.t_end) for c in result.ownership])
    ownership_requests = [r for r in simulator.requests if r.host in matrix]
    assert overlap([(r.t_start, r.t_end) for r in ownership_requests])
    # a UI keeps these rows apart from the profile's own and from each other: surface is
    # "openai@<region>", "openai@<plan region>/<plan>" for a plan host
    started = [e for e in events if isinstance(e, CheckStarted) and e.role == "ownership"]
    assert {e.surface for e in started} == {c.event_surface for c in result.ownership}
    assert len({e.surface for e in started}) == len(result.ownership)


async def test_many_targets_at_once_overlap(simulator):
    """Every region's endpoint in one run (the benchmark's shape)."""
    simulator.inject(Fault("latency", seconds=0.2))
    targets = []
    for region in load_catalog().regions.values():
        style = "shared" if region.hosts.shared else "workspace"
        targets += targets_for(region.id, style, "ws-abc123" if style == "workspace" else None)
    result = await run_checks(targets, None, options(simulator, inference=False))
    assert len(result.checks) == 3 * len(load_catalog().regions)
    assert overlap([(c.t_start, c.t_end) for c in result.checks])


async def test_connection_error_is_retried_once_then_passes(simulator):
    simulator.inject(Fault("reset", path_prefix="/compatible-mode/v1/models", times=1))
    result = await run_checks(
        profile_targets(simulator)[:1], ApiKey(simulator.key("ap-southeast-1")), options(simulator)
    )
    check = result.checks[0]
    assert check.status == "pass"
    assert check.attempts == 2


async def test_http_errors_are_not_retried(simulator):
    simulator.inject(Fault("server_error", path_prefix="/compatible-mode/v1/models"))
    result = await run_checks(
        profile_targets(simulator)[:1], ApiKey(simulator.key("ap-southeast-1")), options(simulator)
    )
    assert result.checks[0].finding.code == "server_error"
    assert result.checks[0].attempts == 1
    assert len([r for r in simulator.requests if r.path.endswith("/models")]) == 1


async def test_redirect_is_never_followed_and_key_never_leaves(simulator):
    simulator.inject(Fault("redirect", location="https://dashscope.aliyuncs.com/elsewhere"))
    key = ApiKey(simulator.key("ap-southeast-1"))
    result = await run_checks(profile_targets(simulator), key, options(simulator))
    assert {f.code for f in result.findings} == {"redirect_refused"}
    assert {r.host for r in simulator.requests} == {result.checks[0].host}
    assert all(r.path != "/elsewhere" for r in simulator.requests)


async def test_body_cap_is_an_option(simulator):
    result = await run_checks(
        profile_targets(simulator)[:1],
        ApiKey(simulator.key("ap-southeast-1")),
        options(simulator, max_body_bytes=10),
    )
    finding = result.checks[0].finding
    assert finding.code == "unexpected_response" and finding.params["reason"] == "oversized"


async def test_overall_deadline_bounds_a_hanging_server(simulator):
    simulator.inject(Fault("hang"))
    result = await run_checks(
        profile_targets(simulator),
        ApiKey(simulator.key("ap-southeast-1")),
        options(simulator, timeout=0.5),
    )
    for check in result.checks:
        assert check.finding.code == "timeout"
        assert check.t_end - check.t_start < 2.0


async def test_findings_render_in_both_languages(simulator):
    from app.core.i18n import set_language

    result = await run_checks(
        profile_targets(simulator), ApiKey("sk-" + "b" * 32), options(simulator)
    )
    finding = result.findings[0]
    try:
        set_language("zh")
        assert "API 密钥" in finding.message and "401" in finding.message
    finally:
        set_language("en")
    assert finding.message.startswith("The API key was not accepted")


@pytest.mark.parametrize("surface", ["openai", "anthropic", "dashscope"])
async def test_each_surface_sends_its_own_auth_header(simulator, surface):
    key = ApiKey(simulator.key("ap-southeast-1"))
    targets = [t for t in profile_targets(simulator) if t.surface == surface]
    result = await run_checks(targets, key, options(simulator))
    assert result.checks[0].status == "pass"
    schemes = {r.auth_scheme for r in simulator.requests}
    assert schemes == ({"x-api-key"} if surface == "anthropic" else {"bearer"})
    assert {r.key_fingerprint for r in simulator.requests} == {key.fingerprint()}


async def test_connect_to_a_name_resolves_that_name_and_tries_its_addresses(simulator):
    """curl semantics: the DNS phase looks up the --connect-to target. `localhost` may give
    ::1 first, where nothing listens: the retry moves on to the next address."""
    opts = ProbeOptions(
        pins=Pins.parse(None, [f"::localhost:{simulator.port}"]),
        ca_file=str(simulator.ca_file),
        env={},
        timeout=5.0,
    )
    result = await run_checks(
        profile_targets(simulator)[:1], ApiKey(simulator.key("ap-southeast-1")), opts
    )
    check = result.checks[0]
    assert check.status == "pass", check.finding
    assert check.address == f"127.0.0.1:{simulator.port}"
    assert check.phases["dns_ms"] is not None


async def test_resolve_pins_the_address_and_keeps_the_port():
    """--resolve HOST:443:127.0.0.1 connects to 127.0.0.1:443 (nothing listens there here),
    proving the pin replaced the name lookup of the production host."""
    target = targets_for("ap-southeast-1", "shared", None)[:1]
    host = target[0].host
    opts = ProbeOptions(pins=Pins.parse([f"{host}:443:127.0.0.1"], None), env={}, timeout=3.0)
    result = await run_checks(target, None, opts)
    check = result.checks[0]
    assert check.address == "127.0.0.1:443"
    assert check.finding.code == "connect_refused"


async def test_debug_logs_never_contain_the_key(simulator, caplog):
    import logging

    key = ApiKey(simulator.key("cn-beijing"))
    with caplog.at_level(logging.DEBUG):
        await run_checks(
            profile_targets(simulator), key, options(simulator, consent_all_regions=True)
        )
    assert caplog.records, "httpx/httpcore debug logging was captured"
    assert key.reveal() not in caplog.text


async def test_dns_lookup_is_bounded_by_the_check_deadline(simulator, monkeypatch):
    """httpx's timeouts do not cover DNS; the check's own deadline does. A resolver that
    never answers (simulated here: the only stand-in in this test) ends as dns_failed."""
    import asyncio

    loop = asyncio.get_running_loop()

    async def never_answers(*args, **kwargs):
        await asyncio.sleep(30)

    monkeypatch.setattr(loop, "getaddrinfo", never_answers)
    opts = ProbeOptions(
        pins=Pins.parse(None, [f"::slow-dns.example:{simulator.port}"]),
        ca_file=str(simulator.ca_file),
        env={},
        timeout=0.5,
    )
    result = await run_checks(profile_targets(simulator)[:1], None, opts)
    check = result.checks[0]
    assert check.finding.code == "dns_failed"
    assert check.finding.params["reason"] == "timeout"
    assert check.t_end - check.t_start < 2.0


async def test_plain_http_where_tls_was_expected_is_tls_failed(plain_simulator):
    opts = ProbeOptions(pins=Pins.parse(None, [plain_simulator.connect_to]), env={}, timeout=3.0)
    target = targets_for("ap-southeast-1", "shared", None)[:1]
    result = await run_checks(target, None, opts)
    assert result.checks[0].finding.code == "tls_failed"


async def test_tls_handshake_that_never_completes_is_connect_timeout():
    """TCP is accepted (by the kernel's backlog) but no ServerHello ever comes."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        opts = ProbeOptions(pins=Pins.parse(None, [f"::127.0.0.1:{port}"]), env={}, timeout=0.7)
        result = await run_checks(targets_for("ap-southeast-1", "shared", None)[:1], None, opts)
    check = result.checks[0]
    assert check.phases["tcp_ms"] is not None and check.phases["tls_ms"] is None
    assert check.finding.code == "connect_timeout"
