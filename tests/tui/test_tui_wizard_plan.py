"""The wizard's plan path (issue 9 part 2): plan hosts chosen on the Workspace step without a
key, a plan key on a pay-as-you-go setup offered its plan hosts on the API key step, the
region search's plan host taken on Connectivity, a plan profile edited from Welcome without
losing its plan, and the key's listed models offered as the profile's model. Against the
simulator's plan accounts over real TLS where a key is sent."""

from __future__ import annotations

import contextlib
import dataclasses

from textual.widgets import Input, RadioButton, RadioSet, Select

from app.config.io import load_config
from app.core.catalog import load_catalog
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    export_state,
    open_dialog,
    save_token_plan_profile,
    screen_text,
    select_targets,
    services_for,
    state_for,
    walk_to_done,
    widget_text,
)
from tests.fixtures.tui_connect import settle as settle_probe
from tests.fixtures.tui_steps import settle, step_of, text_of

SG = WizardState(residency="none", region="ap-southeast-1", scope="international")
PLAN_KEY = "sk-sp-0123456789abcdef0123456789abcdef"
PAYG_KEY = "sk-0123456789abcdef0123456789abcdef"
TOKEN = load_catalog().plan("token")


@contextlib.asynccontextmanager
async def _key_typed(services, state: WizardState, key: str):
    """The API key step of `state` with `key` typed into its field."""
    app = make_app(services, state, start_step="apikey")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#api-key", Input).value = key
        await settle(app, pilot)
        yield app


def _choose(app, radio: str, label_start: str) -> None:
    buttons = list(app.screen.query_one(radio, RadioSet).query(RadioButton))
    (button,) = [b for b in buttons if str(b.label).startswith(label_start)]
    button.value = True


async def test_the_token_plan_host_is_chosen_without_a_key_with_its_edition(services):
    app = make_app(services, SG, start_step="workspace")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query_one("#edition").display  # only on the Token Plan host
        _choose(app, "#style", "Token Plan host")
        await settle(app, pilot)
        preview = text_of(app, "#url-preview")
        host = "token-plan.ap-southeast-1.maas.aliyuncs.com"
        assert f"https://{host}/compatible-mode/v1" in preview
        assert f"https://{host}/apps/anthropic" in preview
        assert "none on a plan host" in preview  # no DashScope native surface
        assert "interactive coding tools only" in text_of(app, "#domain-guarantees")
        assert "takes no workspace ID" in text_of(app, "#workspace-status")
        assert app.screen.query_one("#edition").display
        model = app.screen.query_one("#model", Select)
        assert model.value in TOKEN.models
        _choose(app, "#edition", "Personal")
        await settle(app, pilot)
        await pilot.press("enter")  # no ID is needed on a plan host
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        state = app.state
        assert (state.endpoint_style, state.plan, state.plan_edition) == (
            "plan",
            "token",
            "personal",
        )
        assert state.model in TOKEN.models
        await pilot.press("escape")  # Back: the choice is shown as made
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        style = app.screen.query_one("#style", RadioSet).pressed_button
        edition = app.screen.query_one("#edition", RadioSet).pressed_button
        assert str(style.label).startswith("Token Plan host")
        assert str(edition.label) == "Personal"


async def test_switching_back_to_the_workspace_domain_needs_the_id_again(services):
    """A plan host takes no ID; back on the workspace domain the ID is required again and the
    state is pay-as-you-go (no plan left behind)."""
    state = dataclasses.replace(SG, endpoint_style="plan", plan="coding", model="qwen3.6-plus")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        assert "https://coding-intl.dashscope.aliyuncs.com/v1" in text_of(app, "#url-preview")
        _choose(app, "#style", "Workspace domain")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "workspace"  # refused: the workspace domain needs its ID
        app.screen.query_one("#workspace-id", Input).value = "ws-g3ganedl8go5vc5i"
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert (app.state.endpoint_style, app.state.plan) == ("workspace", None)


async def test_a_region_without_plan_hosts_offers_none(services):
    state = WizardState(residency="eu", region="eu-central-1", scope="eu")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        labels = " ".join(str(b.label) for b in app.screen.query(RadioButton))
        assert "Plan host" not in labels and "Coding Plan" not in labels
        assert not app.screen.query("#edition")


async def test_a_plan_key_on_a_pay_as_you_go_setup_is_offered_the_plan_hosts(services):
    state = dataclasses.replace(SG, endpoint_style="shared", model="qwen-flash")
    app = make_app(services, state, start_step="apikey")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        offer = app.screen.query_one("#plan-offer")
        assert not offer.display  # no key yet
        app.screen.query_one("#api-key", Input).value = PLAN_KEY
        await settle(app, pilot)
        assert offer.display
        assert "refuses plan keys" in text_of(app, "#plan-offer-text")
        app.screen.query_one("#plan-offer-coding").press()
        await settle(app, pilot)
        assert not offer.display  # the key and the host agree now
        assert "coding-intl.dashscope.aliyuncs.com" in text_of(app, "#nav-status")
        assert_key_not_shown(screen_text(app), PLAN_KEY)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")  # confirm storing the key
        await settle(app, pilot)
        assert (app.state.endpoint_style, app.state.plan) == ("plan", "coding")
        assert app.state.model in load_catalog().plan("coding").models


async def test_elsewhere_the_plan_key_is_told_where_plan_hosts_are(services):
    state = WizardState(
        region="eu-central-1", scope="eu", endpoint_style="shared", model="qwen-plus"
    )
    app = make_app(services, state, start_step="apikey")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#api-key", Input).value = PLAN_KEY
        await settle(app, pilot)
        text = text_of(app, "#plan-offer-text")
        assert "China (Beijing) (cn-beijing), Singapore (ap-southeast-1)" in text
        assert "region search" in text
        assert not app.screen.query_one("#plan-offer-buttons").display


async def test_a_pay_as_you_go_key_on_a_plan_host_is_said(services):
    state = dataclasses.replace(SG, endpoint_style="plan", plan="token", model="qwen3.6-plus")
    async with _key_typed(services, state, PAYG_KEY) as app:
        assert "refuses pay-as-you-go keys" in text_of(app, "#plan-offer-text")
        assert not app.screen.query_one("#plan-offer-buttons").display


async def test_connectivity_finds_the_plan_and_uses_its_host(simulator, tmp_path):
    """A Singapore Token Plan key typed on a pay-as-you-go setup: the test is refused, the
    region search (consented) finds the Token Plan host, "Use" moves the setup there and the
    test passes; Export saves a Token Plan profile."""
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    state = state_for(simulator, "demo", key_account="token-sg", key_store="env", key_saved=False)
    app = make_app(services, state, start_step="connectivity")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle_probe(app, pilot, "probe")
        screen = app.screen
        assert screen.query_one("#conn-find-region").display  # plan_key_mismatch
        assert not screen.query_one("#conn-use-plan").display
        consent = await open_dialog(app, pilot, "#conn-find-region")  # names every host
        app.screen.query_one("#consent-yes").press()
        await settle_probe(app, pilot, "probe")
        sent_to = {c.host for c in screen.collect().probe_result.ownership}
        assert "token-plan.ap-southeast-1.maas.aliyuncs.com" in sent_to
        assert all(host in consent for host in sent_to), (sent_to, consent)
        use = screen.query_one("#conn-use-plan")
        assert use.display and "Token Plan" in str(use.label) and "Singapore" in str(use.label)
        use.press()
        await settle_probe(app, pilot, "probe")
        assert "All checks passed" in widget_text(screen, "#probe-verdict")
        assert "token-plan.ap-southeast-1.maas.aliyuncs.com" in widget_text(screen, "#probe-host")
        assert not screen.query_one("#conn-use-plan").display
        assert_key_not_shown(screen_text(app), simulator.key("token-sg"))
        seen = await walk_to_done(app, pilot)
        assert seen[-1] == "done"
        commands = [command for _caption, command in app.screen.commands()]
        assert any(c.endswith("--format claude-code") for c in commands)  # plan keys: the
        assert not any("curl" in c or "python" in c for c in commands)  # coding tools only
    profile = load_config(services.config_path).profiles["work"]
    assert (profile.endpoint_style, profile.plan, profile.region) == (
        "plan",
        "token",
        "ap-southeast-1",
    )
    assert profile.base_urls["openai"].startswith("https://token-plan.ap-southeast-1.")


async def test_the_models_the_key_lists_are_offered_and_a_change_is_tested(simulator, tmp_path):
    services = services_for(tmp_path, simulator)
    app = make_app(services, state_for(simulator, "demo"), start_step="connectivity")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle_probe(app, pilot, "probe")
        select = app.screen.query_one("#conn-model", Select)
        assert select.display
        offered = [value for _label, value in select._options if isinstance(value, str)]
        listed = app.screen.collect().probe_result.listed_models
        assert offered == list(listed) and len(offered) > 1
        other = next(m for m in offered if m != app.screen.state.model)
        before = len(simulator.requests)
        select.value = other
        await settle_probe(app, pilot, "probe")
        assert len(simulator.requests) > before  # tested again, with the new model
        assert f"Model {other}" in text_of(app, "#nav-status")
        result = app.screen.collect()
        assert result.model == other and result.probed_for[5] == other
        assert "All checks passed" in widget_text(app.screen, "#probe-verdict")


async def test_editing_a_plan_profile_keeps_its_plan(simulator, tmp_path):
    """Welcome's Edit on a plan profile: the Workspace step shows its plan host and edition,
    the test runs on the plan host, and walking on to Done saves the same plan profile (before
    the wizard had plan hosts, it would have been saved as pay-as-you-go)."""
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    profile = save_token_plan_profile(services, residency="none")
    store.set("work", ApiKey(simulator.key("token-sg")))
    app = make_app(services, WizardState())
    shown: dict[str, str] = {}

    def look(app) -> None:
        if step_of(app) == "workspace" and not shown:
            style = app.screen.query_one("#style", RadioSet).pressed_button
            edition = app.screen.query_one("#edition", RadioSet).pressed_button
            shown.update(style=str(style.label), edition=str(edition.label))
        if step_of(app) == "connectivity":
            shown["verdict"] = widget_text(app.screen, "#probe-verdict")

    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#action", RadioSet).query(RadioButton)[1].value = True
        await settle(app, pilot)
        await pilot.click("#next")
        seen = await walk_to_done(app, pilot, on_screen=look)
        assert "workspace" in seen and seen[-1] == "done", seen
    assert shown["style"].startswith("Token Plan host") and shown["edition"] == "Personal"
    assert "All checks passed" in shown["verdict"]
    saved = load_config(services.config_path).profiles["work"]
    assert (saved.endpoint_style, saved.plan, saved.plan_edition) == ("plan", "token", "personal")
    assert saved.base_urls == profile.base_urls


async def test_export_of_a_plan_setup_warns_for_scripts_and_has_no_native_snippet(tmp_path):
    """The plans' usage rule where a script would use the file (.env), none for Claude Code;
    the DashScope native snippet, which a plan host cannot have, is not offered (chosen
    before, it is dropped), so writing the others is not stopped by it."""
    services = services_for(tmp_path)
    state = export_state(
        endpoint_style="plan",
        plan="token",
        plan_edition="team",
        workspace_id=None,
        model="qwen3.6-plus",
        api_key=ApiKey(PLAN_KEY),
        export_targets=("dashscope-python",),
    )
    app = make_app(services, state, start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        offered = [o.value for o in app.screen.query_one("#export-targets")._options]
        assert "dashscope-python" not in offered and "anthropic-python" in offered
        await select_targets(pilot, app, "dotenv", "claude-code")
        note = app.screen.query_one("#export-destination-note")
        app.screen._focus_target("dotenv")
        await pilot.pause()
        assert "interactive coding tools only" in str(note.content)
        assert "token-plan.ap-southeast-1" in text_of(app, "#export-preview")
        app.screen._focus_target("claude-code")
        await pilot.pause()
        assert "interactive coding tools only" not in str(note.content)
        assert_key_not_shown(screen_text(app), PLAN_KEY)
        await app.screen.action_next()  # Write files
        await pilot.pause()
        written = {w.target for w in app.screen.state.written}
        assert written == {"config", "dotenv", "claude-code"}, written


async def test_a_pasted_plan_or_dashscope_host_of_the_region_chooses_it(services):
    """The console's host of a plan (or the DashScope domain) pasted into the ID field: that
    host is chosen above, the field is emptied for an ID, and the step says so; another
    region's plan host says where to change the region, without naming CLI flags."""
    app = make_app(services, SG, start_step="workspace")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#workspace-id", Input)
        field.value = "https://coding-intl.dashscope.aliyuncs.com/v1"
        await settle(app, pilot)
        assert field.value == ""
        status = text_of(app, "#workspace-status")
        assert "coding-intl.dashscope.aliyuncs.com is a host of this region" in status
        assert str(app.screen.query_one("#style", RadioSet).pressed_button.label).startswith(
            "Coding Plan host"
        )
        assert app.screen.query_one("#model", Select).value in load_catalog().plan("coding").models
        field.value = "dashscope-intl.aliyuncs.com"
        await settle(app, pilot)
        assert app.screen.style == "shared" and field.value == ""
        field.value = "token-plan.cn-beijing.maas.aliyuncs.com"
        await settle(app, pilot)
        status = text_of(app, "#workspace-status")
        assert "host of China (Beijing)" in status and "--plan" not in status
        assert app.screen.style == "shared"  # nothing chosen for another region's host


async def test_on_a_plan_host_another_regions_plan_host_pasted_is_said(services):
    state = dataclasses.replace(SG, endpoint_style="plan", plan="token", model="qwen3.6-plus")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(
            "#workspace-id", Input
        ).value = "token-plan.cn-beijing.maas.aliyuncs.com"
        await settle(app, pilot)
        status = text_of(app, "#workspace-status")
        assert "takes no workspace ID" in status and "host of China (Beijing)" in status


async def test_on_a_plan_host_the_plan_key_is_not_warned_about(services):
    state = dataclasses.replace(SG, endpoint_style="plan", plan="coding", model="qwen3.6-plus")
    async with _key_typed(services, state, PLAN_KEY) as app:
        preview = text_of(app, "#key-preview")
        assert "sk-sp-…" in preview and "only work on the plan hosts" not in preview


async def test_a_result_shown_again_names_its_host(simulator, tmp_path):
    """Back from Export with the same setup: the result is kept (not re-run unasked) and
    still says which host it was for (QA: the host line was lost)."""
    services = services_for(tmp_path, simulator)
    app = make_app(services, state_for(simulator, "demo"), start_step="connectivity")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle_probe(app, pilot, "probe")
        done = app.screen.collect()
    again = make_app(services, done, start_step="connectivity")
    async with again.run_test(size=(100, 40)) as pilot:
        await settle_probe(again, pilot)
        await pilot.press("enter")  # "Keep result", the default
        await settle_probe(again, pilot)
        assert done.workspace_id in widget_text(again.screen, "#probe-host")
