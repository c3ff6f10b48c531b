"""Issue 7, doctor stream: the doctor screen (Pilot) against the simulator over real
loopback TLS: hostile answers (C12), keyboard reach and the region search (D21)."""

from __future__ import annotations

from app.config.io import modify_config
from app.config.validate import make_profile
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.simulator.faults import Fault
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    screen_text,
    services_for,
    settle,
    widget_text,
)


def _save_profile(services, sim, account: str = "demo", name: str = "work", region=None):
    acc = sim.accounts[account]
    profile, _ = make_profile(
        name, region=region or acc.region, endpoint_style="shared", workspace_id=None
    )
    modify_config(services.config_path, lambda c: c.with_profile(profile))


def _app(services, profile: str = "work"):
    return make_app(services, WizardState(lang="en"), doctor_profile=profile)


async def test_nested_json_answer_is_a_finding_not_rows_stuck_checking(simulator, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    _save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    simulator.inject(Fault("nested_json", status=400))
    app = _app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot, "doctor")
        rows = widget_text(app.screen, ".probe-row")
        assert "checking" not in rows and rows.count("failed") == 3, rows
        findings = widget_text(app.screen, ".probe-finding")
        assert "nested too deeply" in findings
        assert "checks failed" in widget_text(app.screen, "#probe-verdict")
        assert_key_not_shown(screen_text(app), simulator.key("demo"))


def _focused(app) -> str:
    return getattr(app.focused, "id", None) or type(app.focused).__name__


async def _beijing_profile_with_a_singapore_key(simulator, tmp_path, style="shared"):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    acc = simulator.accounts["ap-southeast-1"]
    profile, _ = make_profile(
        "work",
        region="cn-beijing",
        endpoint_style=style,
        workspace_id=simulator.accounts["cn-beijing"].workspace_id if style != "shared" else None,
        model="qwen-plus",
    )
    modify_config(services.config_path, lambda c: c.with_profile(profile))
    store.set("work", ApiKey(acc.key))
    return services, acc.key


async def test_tab_and_shift_tab_reach_every_button(simulator, tmp_path):
    services, _ = await _beijing_profile_with_a_singapore_key(simulator, tmp_path)
    app = _app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot, "doctor")
        wanted = {"doctor-find-region", "doctor-retry", "doctor-report", "doctor-close"}
        for key_name in ("tab", "shift+tab"):
            seen = set()
            for _ in range(8):
                await pilot.press(key_name)
                seen.add(_focused(app))
            assert wanted <= seen, (key_name, seen)


async def test_doctor_screen_remedy_names_profile_config_and_pins(simulator, tmp_path):
    services, _ = await _beijing_profile_with_a_singapore_key(simulator, tmp_path)
    app = _app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot, "doctor")
        findings = widget_text(app.screen, ".probe-finding")
        assert f"doctor --profile work --config {services.config_path}" in findings
        assert f"--connect-to {simulator.connect_to}" in findings
        assert f"--ca-file {simulator.ca_file}" in findings
        # One name: the verdict says "then Retry" and the button is called Retry.
        assert "then Retry" in widget_text(app.screen, "#probe-verdict")
        assert app.screen.query_one("#doctor-retry").label.plain == "Retry"


async def test_find_region_after_consent_keeps_the_result_and_offers_the_switch(
    simulator, tmp_path
):
    from app.config.io import load_config

    services, key = await _beijing_profile_with_a_singapore_key(simulator, tmp_path)
    app = _app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot, "doctor")
        screen = app.screen
        assert screen.query_one("#doctor-find-region").display
        before = len(simulator.requests)
        screen.query_one("#doctor-find-region").press()
        await pilot.pause()
        assert type(app.screen).__name__ == "ConsentScreen"
        assert len(simulator.requests) == before  # nothing sent before the answer
        app.screen.query_one("#consent-yes").press()
        await settle(app, pilot, "doctor")
        assert app.screen is screen
        rows = widget_text(screen, ".probe-row")
        assert "ap-southeast-1" in rows  # the ownership rows are on screen
        assert "Singapore" in widget_text(screen, ".probe-finding")
        assert _focused(app) == "doctor-switch-region"
        assert "Singapore" in str(screen.query_one("#doctor-switch-region").label)
        sent = len(simulator.requests)
        await pilot.press("enter")  # one Enter: the confirmation, not a re-run
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert len(simulator.requests) == sent
        assert "Singapore" in widget_text(app.screen, "#confirm-body")
        await pilot.press("enter")  # the default answer is "no"
        await pilot.pause()
        assert load_config(services.config_path).profile("work").region == "cn-beijing"
        assert "Not changed" in widget_text(screen, "#doctor-status")
        screen.query_one("#doctor-switch-region").press()
        await pilot.pause()
        app.screen.query_one("#confirm-yes").press()
        await pilot.pause()
        profile = load_config(services.config_path).profile("work")
        assert profile.region == "ap-southeast-1" and profile.model == "qwen-plus"
        assert profile.host == "dashscope-intl.aliyuncs.com"
        assert profile.api_key.store == "keyring"  # the key reference is kept
        assert "now points at Singapore" in widget_text(screen, "#doctor-status")
        screen.query_one("#doctor-retry").press()
        await settle(app, pilot, "doctor")
        assert "All checks passed" in widget_text(screen, "#probe-verdict")
        assert_key_not_shown(screen_text(app), key)


async def test_workspace_profile_is_told_it_needs_that_regions_workspace_id(simulator, tmp_path):
    from app.config.io import load_config

    services, _ = await _beijing_profile_with_a_singapore_key(
        simulator, tmp_path, style="workspace"
    )
    app = _app(services)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot, "doctor")
        screen = app.screen
        screen.query_one("#doctor-find-region").press()
        await pilot.pause()
        app.screen.query_one("#consent-yes").press()
        await settle(app, pilot, "doctor")
        assert not screen.query_one("#doctor-switch-region").display
        status = widget_text(screen, "#doctor-status")
        assert "needs a workspace ID of Singapore" in status
        assert _focused(app) != "doctor-retry"
    assert load_config(services.config_path).profile("work").region == "cn-beijing"
