"""Measuring latency: real TCP+TLS handshakes to the simulator under production host names.

The simulator serves every region's host over TLS from a test CA; the probe's pins
(`--connect-to`) send the handshakes there, exactly as a user would pin an edge address.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from textual.widgets import Select, Static

from app.core.catalog import load_catalog
from app.probe.engine import ProbeOptions
from app.probe.latency import LatencyResult, LatencyTarget, candidates, measure_with_options, rank
from app.probe.transport import Pins
from app.secrets.keyring import KeyringStatus
from app.secrets.stores import MemoryStore
from app.services import Services
from app.state import WizardState
from app.tui import make_app


def pinned(sim: Any, *, ca_file: Any = None) -> ProbeOptions:
    return ProbeOptions(pins=Pins.parse([], [sim.connect_to]), ca_file=str(ca_file or sim.ca_file))


async def test_every_region_with_a_public_host_is_measured_and_ranked(simulator: Any) -> None:
    results = await measure_with_options(pinned(simulator))
    catalog = load_catalog()
    by_region = {r.region: r for r in results}
    assert set(by_region) == set(catalog.regions)
    for region in catalog.regions.values():
        result = by_region[region.id]
        if region.has_shared_host:
            assert result.measured and result.ms is not None and result.ms >= 0
            assert result.host == region.hosts.shared
        else:
            # Frankfurt and Tokyo: no host to measure without a workspace ID; said so.
            assert result.ms is None
            assert result.problem == "screen_scenario.latency_no_host"
    measured = [r.ms for r in results if r.ms is not None]
    assert measured == sorted(measured)
    assert all(r.ms is None for r in results[len(measured) :])


async def test_untrusted_certificate_is_not_counted_as_reachable(
    simulator: Any, tmp_path: Path
) -> None:
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(trustme.CA().cert_pem.bytes())
    results = await measure_with_options(
        pinned(simulator, ca_file=other_ca),
        [LatencyTarget("ap-southeast-1", "dashscope-intl.aliyuncs.com")],
    )
    assert results[0].ms is None and results[0].problem == "screen_scenario.latency_tls"


async def test_closed_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = ProbeOptions(pins=Pins.parse([], [f"::127.0.0.1:{port}"]))
    results = await measure_with_options(
        options, [LatencyTarget("cn-beijing", "dashscope.aliyuncs.com")], timeout=5.0
    )
    assert results[0].ms is None and results[0].problem == "screen_scenario.latency_refused"


def test_rank_puts_unmeasured_last_in_catalog_order() -> None:
    results = [
        LatencyResult("a", "h", None, "x"),
        LatencyResult("b", "h", 30.0),
        LatencyResult("c", "h", 10.0),
        LatencyResult("d", None, None, "y"),
    ]
    assert [r.region for r in rank(results)] == ["c", "b", "a", "d"]
    assert [t.host for t in candidates(regions=["eu-central-1"])] == [None]


async def test_scenario_measure_button_ranks_regions_and_suggests_where_callers_are(
    simulator: Any, tmp_path: Path
) -> None:
    store = MemoryStore()
    services = Services(
        config_path=tmp_path / "config.yaml",
        key_store_factory=lambda kind: store,
        keyring_probe=lambda: KeyringStatus(available=True, backend="memory"),
        probe_options=pinned(simulator),
    )
    app = make_app(services, WizardState(), start_step="scenario")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#measure").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#latency-result", Static).render())
        lines = text.splitlines()
        assert lines[0].startswith(" 1. ✓ ")
        assert " ms" in lines[0]
        assert any("Germany (Frankfurt)" in line and "✗" in line for line in lines)
        near = app.screen.query_one("#near", Select).value
        fastest = app.screen.measured[0][0]
        assert near == load_catalog().regions[fastest].geo
        assert "The fastest region suggests" in text
        # Confirm residency, go on: the ranking travels with the state.
        app.screen.query_one("#residency").focus()
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert app.state.near == near
        assert app.state.measured_latency and app.state.measured_latency[0][0] == fastest


async def test_a_failing_measurement_is_reported_once_and_the_screen_stays_usable(
    tmp_path: Path,
) -> None:
    """A worker error (here: an unreadable --ca-file) becomes one notification, no crash."""
    store = MemoryStore()
    services = Services(
        config_path=tmp_path / "config.yaml",
        key_store_factory=lambda kind: store,
        keyring_probe=lambda: KeyringStatus(available=True, backend="memory"),
        probe_options=ProbeOptions(ca_file=str(tmp_path / "missing-ca.pem")),
    )
    app = make_app(services, WizardState(), start_step="scenario")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#measure").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1
        assert "missing-ca.pem" in messages[0]
        assert app.screen.query_one("#measure").disabled is False
        app.screen.query_one("#residency").focus()
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert app.screen.STEP == "recommendation"
