"""Issue 7, doctor stream: the doctor screen (Pilot) against the simulator over real
loopback TLS: hostile answers (C12), keyboard reach and the region search (D21)."""

from __future__ import annotations

from app.profiles import make_profile, modify_config
from app.secrets import ApiKey, MemoryStore
from app.simulator import Fault
from app.tui import make_app
from app.wizard_state import WizardState
from tests.test_tui_connect_helpers import (
    assert_key_not_shown,
    restore_language,  # noqa: F401 (autouse)
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
