"""Pilot tests for the QA findings on the first five steps (B8, B13, B15, B22, B30, B40, B47,
B49), driven at 80x24 as a user would, with the services of tests/tui/test_tui_steps.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Select, Static

from app import cli
from app import services as services_module
from app.commands import wizard as wizard_command
from app.core.i18n import set_language, t
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.services import Services
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_steps import (
    KEY,
    KEY_STATE,
    SIZE,
    WS,
    painted,
    screen_text,
    settle,
    step_of,
    text_of,
)

PLAN_KEY = "sk-sp-67d7c8012f69554a224320c1241bc3b0"


async def run_settled(app: Any, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await settle(app, pilot)


# ---------------------------------------------------------------------------------------------
# B13: the focused widget makes the on-screen hint true


async def test_scenario_with_a_chosen_answer_opens_on_the_list_and_arrows_move_it(
    services: Services,
) -> None:
    """Demo and Back arrive with a residency already chosen: ↑/↓ must still work at once."""
    state = WizardState(residency="outside-mainland")
    app = make_app(services, state, start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        residency = app.screen.query_one("#residency")
        assert app.focused is residency
        # ... and the hint that says how to use it is on screen, not scrolled away.
        assert t("screen_scenario.residency") in screen_text(app)
        await pilot.press("down", "enter")
        await run_settled(app, pilot)
        assert app.screen.residency != "outside-mainland"
        assert app.focused is residency  # ↑/↓ keep working after the choice (E23)
        await pilot.press("enter")
        await run_settled(app, pilot)
        assert step_of(app) == "recommendation"


async def test_enter_on_the_chosen_answer_confirms_it_and_moves_to_next(
    services: Services,
) -> None:
    app = make_app(services, WizardState(residency="outside-mainland"), start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        await pilot.press("enter")
        await run_settled(app, pilot)
        # Something visible happens (a terminal user, and the tmux smoke test, can tell).
        status = app.screen.query_one("#nav-status", Static)
        hint = t("screen_scenario.enter_continues").replace(" ", "")
        assert hint in painted(app, status).replace(" ", "")  # whole (wrapped), not cut
        assert app.focused is app.screen.query_one("#residency")
        assert app.screen.residency == "outside-mainland"
        await pilot.press("enter")
        await run_settled(app, pilot)
        assert step_of(app) == "recommendation"
        assert app.state.residency == "outside-mainland"


@pytest.mark.parametrize(
    ("step", "state", "focused"),
    [
        ("welcome", WizardState(), "next"),  # "Enter accepts the shown default"
        ("scenario", WizardState(), "residency"),  # "↑/↓ to move, Enter to choose"
        ("recommendation", WizardState(residency="none"), "next"),  # override: "Tab to reach"
        ("workspace", dataclasses.replace(KEY_STATE, endpoint_style="workspace"), "workspace-id"),
        ("apikey", KEY_STATE, "api-key"),
    ],
)
async def test_every_step_focuses_what_its_hint_talks_about(
    services: Services, step: str, state: WizardState, focused: str
) -> None:
    app = make_app(services, state, start_step=step)
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        assert app.focused is not None and app.focused.id == focused
        # ... and it is on screen, below the step's title, above the nav bar.
        frame = "#nav" if focused == "next" else "#step-content"
        visible = app.screen.query_one(frame).region
        assert visible.contains_region(app.focused.region), (visible, app.focused.region)


# ---------------------------------------------------------------------------------------------
# B49: an override is re-explained, and a foreign workspace ID does not follow it


async def test_override_that_breaks_residency_is_flagged_and_reexplained(
    services: Services,
) -> None:
    state = WizardState(
        residency="outside-mainland", workspace_id=WS, workspace_region="ap-southeast-1"
    )
    app = make_app(services, state, start_step="recommendation")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        screen = app.screen
        requirement = screen.catalog.scenarios["outside-mainland"].name.get("en")
        recommended = screen.rec.region_name
        assert t("screen_recommendation.why", region=recommended) in text_of(app, "#rec-why")
        screen.query_one("#region", Select).value = "cn-beijing"
        await run_settled(app, pilot)
        breaks = "✗ " + t("screen_recommendation.breaks", requirement=requirement)
        assert breaks in text_of(app, "#consequences")
        why = text_of(app, "#rec-why")
        # The recommendation's reasons were about Singapore: they give way to this choice.
        assert t("screen_recommendation.why", region=recommended) not in why
        assert "China (Beijing)" in why
        for caveat in screen.rec.caveats:
            assert caveat not in why
        await pilot.press("enter")
        await run_settled(app, pilot)
        assert step_of(app) == "workspace"
        # The Singapore workspace ID is not carried into Beijing as "valid": cleared, said why.
        assert app.screen.query_one("#workspace-id", Input).value == ""
        notes = " ".join(str(n.message) for n in app._notifications)
        assert WS in notes and "one region" in notes


async def test_scope_override_reexplains_and_going_back_restores_the_reasons(
    services: Services,
) -> None:
    state = WizardState(residency="eu")
    app = make_app(services, state, start_step="recommendation")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        screen = app.screen
        rec = screen.rec
        assert (rec.region, rec.scope) == ("eu-central-1", "eu")
        screen.query_one("#scope", Select).value = "global"
        await run_settled(app, pilot)
        # Global scope lets inference run outside the EU: not what the user asked for.
        assert "✗ " in text_of(app, "#consequences")
        assert t("screen_recommendation.your_choice") in text_of(app, "#rec-card")
        screen.query_one("#scope", Select).value = rec.scope
        await run_settled(app, pilot)
        assert t("screen_recommendation.why", region=rec.region_name) in text_of(app, "#rec-why")
        assert t("screen_recommendation.is_recommended") in text_of(app, "#consequences")


# ---------------------------------------------------------------------------------------------
# B40: shape warnings for a kept key; B47: "Not now" does not loop


async def test_plan_key_warning_survives_language_switch_and_reentry(services: Services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        await pilot.press(*PLAN_KEY)
        await run_settled(app, pilot)
        warning = next(n.message for n in ApiKey(PLAN_KEY).notices())
        assert warning[:40] in text_of(app, "#key-preview")
        await pilot.press("f2")
        await run_settled(app, pilot)
        assert "sk-sp-…c3b0" in text_of(app, "#key-preview")
        set_language("en")
        await pilot.press("f2")
        await run_settled(app, pilot)
        assert warning[:40] in text_of(app, "#key-preview")
        assert PLAN_KEY not in screen_text(app)
    # Coming back to the step with the key kept (Back from Connectivity, editing).
    kept = dataclasses.replace(KEY_STATE, api_key=ApiKey(PLAN_KEY), key_store="env")
    app = make_app(services, kept, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        assert warning[:40] in text_of(app, "#key-preview")


async def test_not_now_stores_nothing_and_enter_goes_on_with_the_key_in_memory(
    services: Services, memory_store: MemoryStore
) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        await pilot.press(*KEY, "enter")
        await run_settled(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.click("#confirm-no")
        await run_settled(app, pilot)
        assert step_of(app) == "apikey"
        assert t("screen_apikey.not_stored")[:20] in text_of(app, "#nav-status")
        assert t("screen_apikey.declined_explain", var="DASHSCOPE_API_KEY")[:40] in text_of(
            app, "#store-explain"
        )
        assert app.screen.query_one("#store-env").value is True
        await pilot.press("enter")
        await settle(app, pilot)
        # No second dialog: on to the connectivity test with the key held in memory only.
        assert step_of(app) == "connectivity"
        assert app.state.api_key == ApiKey(KEY) and app.state.key_store == "env"
        assert not app.state.key_saved
    assert memory_store.get("default") is None


# ---------------------------------------------------------------------------------------------
# B8: ticked and unticked differ in plain text (no colour)


async def test_ticked_and_unticked_boxes_differ_without_colour(services: Services) -> None:
    app = make_app(services, WizardState(), start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        box = app.screen.query_one("#need-batch", Checkbox)
        box.scroll_visible(animate=False, immediate=True)
        await run_settled(app, pilot)
        before = painted(app, box)
        box.focus()
        await pilot.press("space")
        await run_settled(app, pilot)
        assert box.value is True
        after = painted(app, box)
        assert before != after and "✓" in after and "✓" not in before
        radio = app.screen.query_one("#residency")
        radio.focus()
        await pilot.press("enter")
        await run_settled(app, pilot)
        assert "●" in painted(app, radio)


# ---------------------------------------------------------------------------------------------
# B22: Chinese at 80x24, nothing cut at the edge


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "step", ["welcome", "scenario", "recommendation", "workspace", "apikey", "apikey-demo"]
)
async def test_80x24_cuts_no_label(services: Services, step: str, lang: str) -> None:
    demo = step == "apikey-demo"
    step = step.removesuffix("-demo")
    state = dataclasses.replace(
        KEY_STATE,
        lang=lang,
        api_key=None if demo else ApiKey(KEY),
        workspace_id=WS,
        endpoint_style="workspace",
    )
    services = dataclasses.replace(services, demo_key=ApiKey(KEY))
    app = make_app(services, state, start_step=step)
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        for widget in app.screen.query("Static, Button, Checkbox, RadioButton"):
            if not widget.display or widget.id in ("nav-status",):
                continue
            # A one-line widget whose content is wider than its box is cut at the edge.
            wanted = widget.get_content_width(widget.size, widget.size)
            if widget.size.height == 1 and widget.size.width:
                assert wanted <= widget.content_size.width, (widget, wanted)
        field = app.screen.query("Input")
        for input_ in field:
            text = input_.placeholder
            if text:
                from rich.cells import cell_len

                assert cell_len(text) <= input_.content_size.width, (input_.id, text)


# ---------------------------------------------------------------------------------------------
# B15: the wizard takes doctor's network options, checked before any TUI


@pytest.mark.parametrize(
    "argv",
    [
        ["wizard", "--resolve", "not-a-pin"],
        ["--resolve", "not-a-pin"],
        ["wizard", "--connect-to", "a:b"],
        ["wizard", "--timeout", "0"],
        ["--ca-file", "/nonexistent/ca.pem"],
    ],
)
def test_malformed_network_option_is_exit_2_before_any_tui(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    started: list[object] = []
    monkeypatch.setattr(services_module, "is_interactive", lambda: True)
    monkeypatch.setattr(wizard_command, "run_wizard", lambda *a: started.append(a) or 0)
    code = cli.main(["--config", str(tmp_path / "config.yaml"), *argv])
    assert code == 2
    assert started == []
    err = capsys.readouterr().err
    assert argv[-2] in err
    assert not (tmp_path / "config.yaml").exists()


def test_network_options_reach_the_probe_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[Any] = []
    monkeypatch.setattr(services_module, "is_interactive", lambda: True)
    monkeypatch.setattr(wizard_command, "run_wizard", lambda s, st: started.append(s) or 0)
    argv = [
        "--config",
        str(tmp_path / "c.yaml"),
        "--resolve",
        "dashscope-intl.aliyuncs.com:443:127.0.0.1",
        "--timeout",
        "3",
        "--no-proxy",
    ]
    assert cli.main(argv) == 0
    assert cli.main([*argv[:2], "wizard", *argv[2:]]) == 0
    for given in started:
        options = given.probe_options
        assert options.timeout == 3.0 and options.no_proxy is True
        assert options.pins  # the pin is there, parsed by app.probe.transport like doctor's


def test_network_option_before_another_command_is_refused_not_ignored(
    tmp_path: Path, capsys: Any
) -> None:
    code = cli.main(["--config", str(tmp_path / "c.yaml"), "--timeout", "5", "doctor"])
    assert code == 2
    assert "--timeout" in capsys.readouterr().err
