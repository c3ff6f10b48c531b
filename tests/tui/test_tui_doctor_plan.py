"""The doctor screen on a plan profile (issue 9 part 2): the checks run on the plan host's own
URLs (Token Plan: /compatible-mode/v1 and /apps/anthropic, no native surface) and pass
against the simulator's Singapore Token Plan account over real TLS, like the CLI doctor. (The
wizard's Edit of a plan profile: tests/tui/test_tui_wizard_plan.py.)"""

from __future__ import annotations

from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    doctor_app,
    save_token_plan_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)


async def test_the_doctor_screen_checks_a_token_plan_profile_on_its_host(simulator, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_token_plan_profile(services)
    key = simulator.key("token-sg")
    store.set("work", ApiKey(key))
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        text = screen_text(app)
        rows = widget_text(app.screen, ".probe-row")
        assert rows.count("passed") == 2, (rows, widget_text(app.screen, "#doctor-status"))
        assert "token-plan.ap-southeast-1.maas.aliyuncs.com" in text
        assert "All checks passed" in widget_text(app.screen, "#probe-verdict")
        assert_key_not_shown(text, key)
