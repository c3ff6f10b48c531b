"""`doctor --tui` exits like `doctor`: 0 only when the verdict of the last run the user saw
is ok, 1 otherwise (QA: it exited 0 on a failing verdict, so a wrapping script could not
tell). The doctor screen runs against the simulator (real loopback TLS) under Textual's
run_test; the user quits with Ctrl+Q as on a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.commands.doctor import tui_app, tui_exit_code
from app.config.io import modify_config
from app.config.validate import make_profile
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.simulator.faults import Fault
from app.state import WizardState
from tests.fixtures.tui_connect import services_for, settle


def _services(tmp_path: Path, sim, key: str | None):
    store = MemoryStore()
    services = services_for(tmp_path, sim, store)
    acc = sim.accounts["demo"]
    profile, _ = make_profile("work", region=acc.region, workspace_id=acc.workspace_id)
    modify_config(services.config_path, lambda c: c.with_profile(profile))
    if key is not None:
        store.set("work", ApiKey(key))
    return services


async def _run_and_quit(services, *, retry: bool = False, fix=None) -> tuple[int, list[str]]:
    app, verdicts = tui_app(services, WizardState(lang="en"), "work")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        if retry:
            fix()
            await pilot.press("r")
            await settle(app, pilot, "doctor")
        await pilot.press("ctrl+q")
        await pilot.pause()
    return tui_exit_code(app.return_code, verdicts), verdicts


async def test_passing_profile_exits_0(simulator, tmp_path):
    services = _services(tmp_path, simulator, simulator.key("demo"))
    assert await _run_and_quit(services) == (0, ["ok"])


@pytest.mark.parametrize(
    "key_of", ["unknown", "rate_limited"], ids=["key_rejected", "warning_only"]
)
async def test_failing_or_warning_verdict_exits_1(simulator, tmp_path, key_of):
    if key_of == "unknown":
        key = "sk-" + "0" * 32  # a key no account has: 401, verdict fail
    else:
        key = simulator.key("demo")
        simulator.inject(Fault(kind="rate_limit"))  # verdict warn: not ok, like `doctor`
    services = _services(tmp_path, simulator, key)
    expected = "fail" if key_of == "unknown" else "warn"
    assert await _run_and_quit(services) == (1, [expected])


async def test_exit_code_follows_the_last_run(simulator, tmp_path):
    services = _services(tmp_path, simulator, simulator.key("demo"))
    simulator.inject(Fault(kind="rate_limit"))
    code, verdicts = await _run_and_quit(services, retry=True, fix=simulator.clear_faults)
    assert (code, verdicts) == (0, ["warn", "ok"])


async def test_no_run_finished_exits_1(simulator, tmp_path):
    """No key in the store: nothing was verified, so not a success."""
    services = _services(tmp_path, simulator, None)
    assert await _run_and_quit(services) == (1, [])
    assert simulator.requests == []


def test_crash_keeps_the_apps_code():
    assert tui_exit_code(1, ["ok"]) == 1
    assert tui_exit_code(0, ["fail", "ok"]) == 0
    assert tui_exit_code(None, []) == 1
