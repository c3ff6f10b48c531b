"""Doctor screen on a saved profile, against the simulator (real loopback TLS)."""

from __future__ import annotations

import stat
from pathlib import Path

from app.config.io import load_config
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.simulator.faults import Fault
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    doctor_app,
    save_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)


async def test_doctor_runs_the_saved_profile_and_saves_a_redacted_report(simulator, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        screen = app.screen
        assert type(screen).__name__ == "DoctorScreen"
        assert "Doctor: work" in screen_text(app)
        rows = widget_text(screen, ".probe-row")
        assert rows.count("passed") == 3, (rows, widget_text(screen, "#doctor-status"))
        assert "All checks passed" in widget_text(screen, "#probe-verdict")
        path = screen.save_report()
        await pilot.pause()
        assert path is not None and path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        report = path.read_text()
        assert simulator.accounts["demo"].workspace_id in report
        assert_key_not_shown(report, simulator.key("demo"))
        assert "Redacted report saved" in widget_text(screen, "#doctor-status")
        assert_key_not_shown(screen_text(app), simulator.key("demo"))
    # Like the CLI doctor, the verdict is recorded on the profile.
    assert load_config(services.config_path).profile("work").verified.verdict == "ok"


async def test_doctor_shows_findings_with_remedies(simulator, tmp_path: Path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    simulator.inject(Fault(kind="rate_limit"))
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        findings = widget_text(app.screen, ".probe-finding")
        assert "! warning" in findings and "Fix:" in findings and "Request id:" in findings
        assert "Not verified" in widget_text(app.screen, "#probe-verdict")  # a 429 (D17)
        simulator.clear_faults()
        app.screen.query_one("#doctor-retry").press()
        await settle(app, pilot, "doctor")
        assert "All checks passed" in widget_text(app.screen, "#probe-verdict")


async def test_doctor_without_the_key_in_its_store_says_so(simulator, tmp_path: Path):
    services = services_for(tmp_path, simulator)
    save_profile(services, simulator)
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        status = widget_text(app.screen, "#doctor-status")
        assert "not in its store" in status
        assert widget_text(app.screen, ".probe-row") == ""
        assert simulator.requests == []


async def test_doctor_unknown_profile_names_the_file(simulator, tmp_path: Path):
    services = services_for(tmp_path, simulator)
    save_profile(services, simulator)
    app = doctor_app(services, profile="nope")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        status = widget_text(app.screen, "#doctor-status")
        assert "cannot be used" in status and "nope" in status
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None
    assert simulator.requests == []


async def test_doctor_in_chinese_keys_and_labels(simulator, tmp_path: Path):
    from app.core.i18n import set_language

    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    set_language("zh")
    try:
        app = make_app(services, WizardState(lang="zh"), doctor_profile="work")
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(app, pilot, "doctor")
            text = screen_text(app)
            assert "诊断：work" in text and "重试" in text
            assert widget_text(app.screen, ".probe-row").count("通过") == 3
            await pilot.press("r")  # the footer's "run again" key works in any language
            await settle(app, pilot, "doctor")
            assert widget_text(app.screen, ".probe-row").count("通过") == 3
    finally:
        set_language("en")
