"""D20: one waterfall layout (app/findings/waterfall.py) for the CLI text and the TUI: every
phase on one time axis, a timeout drawn as waiting, the total equal to the drawn phases."""

from __future__ import annotations

from app.findings.report import check_timeline, render_text
from app.findings.waterfall import BAR_WIDTH, axis_of, bar, layout, timeline
from app.probe.engine import ProbeOptions, run_checks
from app.probe.targets import targets_for
from app.probe.transport import Pins
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.simulator.faults import Fault
from tests.fixtures.tui_connect import (
    services_for,
    settle,
    widget_text,
)


def test_timeline_adds_the_requests_and_the_wait_up_to_the_total():
    phases = {"dns_ms": 3.0, "tcp_ms": 2.0, "tls_ms": 8.0, "ttfb_ms": 20.0, "total_ms": 300.0}
    steps = [("auth", 40.0), ("inference", 200.0)]
    got = timeline(phases, steps, phases["total_ms"])
    assert [p for p, _ in got] == ["dns", "tcp", "tls", "request", "auth", "inference", "wait"]
    assert dict(got)["auth"] == 10.0  # the first exchange minus connect, TLS and headers
    assert sum(ms for _, ms in got) == 300.0


def test_a_timeout_is_drawn_as_waiting_not_as_tls():
    phases = {"dns_ms": 1.0, "tcp_ms": 2.0, "tls_ms": 8.0, "ttfb_ms": None, "total_ms": 2004.0}
    got = timeline(phases, [], 2004.0)
    assert got[-1][0] == "wait" and round(got[-1][1]) == 1993
    cells = bar(layout(got, 2004.0))
    assert cells.count("·") >= BAR_WIDTH - 3
    assert "▓" in cells and "▒" in cells and "░" in cells  # short phases keep a cell


def test_one_axis_for_all_rows_and_a_cell_for_every_phase():
    fast = [("dns", 1.0), ("tcp", 1.0), ("tls", 3.0), ("request", 5.0)]
    slow = [("dns", 1.0), ("tcp", 1.0), ("tls", 3.0), ("request", 5.0), ("inference", 10.0)]
    axis = axis_of([fast, slow])
    assert axis == 20.0
    short, long = layout(fast, axis), layout(slow, axis)
    assert sum(s.width for s in long) == BAR_WIDTH
    assert sum(s.width for s in short) == BAR_WIDTH // 2
    assert all(s.width >= 1 for s in short + long)
    assert [s.start for s in long] == [sum(x.width for x in long[:i]) for i in range(len(long))]


def _options(sim, timeout=1.0):
    return ProbeOptions(
        timeout=timeout, pins=Pins.parse(None, [sim.connect_to]), ca_file=str(sim.ca_file)
    )


async def test_cli_rows_draw_every_phase_and_a_hang_as_waiting(simulator):
    acct = simulator.accounts["ap-southeast-1"]
    targets = targets_for(acct.region, "workspace", acct.workspace_id, model="qwen-plus")
    simulator.inject(Fault("hang", path_prefix="/compatible-mode"))
    result = await run_checks(targets, ApiKey(acct.key), _options(simulator))
    text = render_text(result)
    openai, _anthropic, native = result.checks
    hung = check_timeline(openai)
    assert hung[-1][0] == "wait" and hung[-1][1] > 800
    assert round(sum(ms for _, ms in hung), 1) == openai.phases["total_ms"]
    assert "waiting" in text and "inference" in text and "auth" in text
    native_phases = [p for p, _ in check_timeline(native)]
    assert native_phases[:5] == ["dns", "tcp", "tls", "request", "auth"]
    assert "inference" in native_phases
    axis = axis_of(check_timeline(c) for c in result.checks)
    row = next(line for line in text.splitlines() if line.startswith("✗ OpenAI"))
    assert bar(layout(hung, axis)).rstrip() in row


async def test_tui_rows_are_the_same_bars_as_the_cli(simulator, tmp_path):
    from app.config.io import modify_config
    from app.config.validate import make_profile
    from app.state import WizardState
    from app.tui import make_app

    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    acc = simulator.accounts["demo"]
    profile, _ = make_profile("work", region=acc.region, workspace_id=acc.workspace_id)
    modify_config(services.config_path, lambda c: c.with_profile(profile))
    store.set("work", ApiKey(acc.key))
    simulator.inject(Fault("hang", path_prefix="/api/v1"))
    services = type(services)(**{**services.__dict__, "probe_options": _options(simulator)})
    app = make_app(services, WizardState(lang="en"), doctor_profile="work")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot, "doctor")
        rows = widget_text(app.screen, ".probe-row").splitlines()
        cli = render_text(app.screen.result).splitlines()
        result = app.screen.result
    axis = axis_of(check_timeline(c) for c in result.checks)
    for check in result.checks:
        cells = bar(layout(check_timeline(check), axis)).rstrip()
        assert any(cells in line for line in rows), (check.surface, cells, rows)
        assert any(cells in line for line in cli), (check.surface, cells)
    assert any("waiting" in line for line in rows)
