"""The doctor screen on a plan profile (issue 9 part 2): the checks run on the plan host's own
URLs (Token Plan: /compatible-mode/v1 and /apps/anthropic, no native surface) and pass
against the simulator's Singapore Token Plan account over real TLS, like the CLI doctor; and
the wizard's Edit leaves a plan profile alone rather than saving it as pay-as-you-go."""

from __future__ import annotations

from textual.widgets import RadioButton, RadioSet

from app.config.io import modify_config
from app.config.validate import make_profile
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    doctor_app,
    screen_text,
    services_for,
    settle,
    widget_text,
)
from tests.fixtures.tui_steps import memory_services, step_of, text_of
from tests.fixtures.tui_steps import settle as settle_step


async def test_the_doctor_screen_checks_a_token_plan_profile_on_its_host(simulator, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    profile, _ = make_profile(
        "work",
        region="ap-southeast-1",
        endpoint_style="plan",
        plan="token",
        plan_edition="personal",
    )
    modify_config(services.config_path, lambda c: c.with_profile(profile))
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


async def test_the_wizard_does_not_walk_a_plan_profile_into_a_pay_as_you_go_one(tmp_path):
    """Editing a plan profile in the wizard would save it on a pay-as-you-go host (its steps
    have no plan host yet): Welcome says so and names the CLI edit; nothing is written."""
    services = memory_services(tmp_path, MemoryStore())
    profile, _ = make_profile("work", region="cn-beijing", endpoint_style="plan", plan="coding")
    modify_config(services.config_path, lambda c: c.with_profile(profile))
    before = services.config_path.read_text()
    app = make_app(services, WizardState())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_step(app, pilot)
        app.screen.query_one("#action", RadioSet).query(RadioButton)[1].value = True
        await settle_step(app, pilot)
        await pilot.click("#next")
        await settle_step(app, pilot)
        assert step_of(app) == "welcome"
        status = text_of(app, "#nav-status").replace("\n", " ")
        assert "plan profile" in status and "configure --profile work" in status
    assert services.config_path.read_text() == before
