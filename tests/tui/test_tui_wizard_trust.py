"""Pilot tests for issue 7's wizard items (D16, D18, E23-E28): what a user at the keyboard
sees, at 80x24, with the in-memory services of tests/fixtures/tui_steps.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Select

from app.core.i18n import set_language
from app.secrets.stores import MemoryStore
from app.services import Services
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import walk_to_done
from tests.fixtures.tui_steps import KEY, KEY_STATE, SIZE, WS, painted, settle, step_of


def notes(app: Any) -> str:
    return " ".join(str(n.message) for n in app._notifications)


# What the demo starts with: a Singapore workspace, the residency that recommends Singapore.
SINGAPORE = WizardState(
    residency="outside-mainland", workspace_id=WS, workspace_region="ap-southeast-1"
)


# ---------------------------------------------------------------------------------------------
# D16: a workspace ID does not follow a change of region


async def test_changing_residency_on_scenario_clears_the_workspace_id_with_a_notice(
    services: Services,
) -> None:
    app = make_app(services, SINGAPORE, start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        residency = app.screen.query_one("#residency")
        residency.focus()
        await pilot.press("down", "space")  # "US" (after "not through the mainland")
        await settle(app, pilot)
        assert app.screen.residency == "us"
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        assert app.screen.chosen_region == "us-east-1"
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        assert app.screen.query_one("#workspace-id", Input).value == ""
        assert "Valid" not in str(app.screen.query_one("#workspace-status").render())
        said = notes(app)
        assert WS in said and "Singapore" in said and "US (Virginia)" in said
        assert app.state.workspace_id is None


async def test_the_same_region_keeps_the_workspace_id_without_a_notice(
    services: Services,
) -> None:
    app = make_app(services, SINGAPORE, start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for _ in range(2):
            await pilot.click("#next")
            await settle(app, pilot)
        assert step_of(app) == "workspace"
        assert app.screen.query_one("#workspace-id", Input).value == WS
        assert notes(app) == ""


async def test_back_then_another_region_clears_the_id_typed_on_workspace(
    services: Services,
) -> None:
    state = WizardState(residency="none", region="ap-southeast-1", scope="international")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#workspace-id", Input).value = WS
        await settle(app, pilot)
        await pilot.press("escape")  # Back keeps what was typed ...
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        app.screen.query_one("#region", Select).value = "cn-beijing"  # ... another region
        await settle(app, pilot)
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        assert app.screen.query_one("#workspace-id", Input).value == ""
        said = notes(app)
        assert WS in said and "Singapore" in said and "China (Beijing)" in said


# ---------------------------------------------------------------------------------------------
# E28: Back from Export does not send the key again unasked


async def test_back_from_export_keeps_the_result_unless_asked_to_run_again(
    simulator: Any, tmp_path: Path
) -> None:
    from tests.fixtures.tui_connect import services_for, state_for
    from tests.fixtures.tui_connect import settle as settle_probe

    app = make_app(
        services_for(tmp_path, simulator), state_for(simulator), start_step="connectivity"
    )
    async with app.run_test(size=(100, 32)) as pilot:
        await settle_probe(app, pilot, "probe")
        first = app.screen.collect().probe_result
        assert first.verdict == "ok"
        await pilot.press("enter")
        await settle_probe(app, pilot)
        assert step_of(app) == "export"
        sent = len(simulator.requests)
        await pilot.press("escape")
        await settle_probe(app, pilot, "probe")
        # Asked first, "Keep result" focused: nothing was sent yet.
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert app.focused is not None and app.focused.id == "confirm-no"
        assert len(simulator.requests) == sent
        await pilot.press("enter")  # Keep result
        await settle_probe(app, pilot, "probe")
        assert step_of(app) == "connectivity"
        assert len(simulator.requests) == sent
        assert app.screen.collect().probe_result is first
        assert "All checks passed" in str(app.screen.query_one("#probe-verdict").render())
        # Next goes on with the kept result; Back again and "Run again" re-tests.
        await pilot.press("enter")
        await settle_probe(app, pilot)
        assert step_of(app) == "export"
        assert app.screen.state.probe_result is first
        await pilot.press("escape")
        await settle_probe(app, pilot, "probe")
        await pilot.click("#confirm-yes")
        await settle_probe(app, pilot, "probe")
        assert len(simulator.requests) > sent
        assert app.screen.collect().probe_result is not first


# ---------------------------------------------------------------------------------------------
# E23: Enter means what the hint says (Next); Space toggles; ↑/↓ work after a choice


async def test_enter_on_a_ticked_checkbox_goes_on_and_keeps_it_ticked(services: Services) -> None:
    state = WizardState(residency="eu", needs=("fine-tuning",))
    app = make_app(services, state, start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        box = app.screen.query_one("#need-fine-tuning")
        box.focus()
        await pilot.press("space", "space")  # Space toggles: off, on again
        await settle(app, pilot)
        assert box.value is True
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        assert app.state.needs == ("fine-tuning",)


async def test_enter_after_choosing_a_residency_goes_on_with_the_answer_shown(
    services: Services,
) -> None:
    app = make_app(services, WizardState(residency="none"), start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        residency = app.screen.query_one("#residency")
        await pilot.press("enter")  # confirm "none"
        await settle(app, pilot)
        assert step_of(app) == "scenario" and app.focused is residency
        await pilot.press("down", "down", "down")  # none -> mainland -> outside -> us
        await settle(app, pilot)
        assert "United States" in str(app.screen.query_one("#residency-explain").render()) or (
            app.screen.residencies[residency._selected] == "us"
        )
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        assert app.state.residency == "us"


async def test_enter_on_the_key_opt_in_writes_without_the_key(
    simulator: Any, tmp_path: Path
) -> None:
    from tests.fixtures.tui_connect import services_for, state_for
    from tests.fixtures.tui_connect import settle as settle_probe

    state = state_for(simulator, export_targets=("dotenv",))
    services = services_for(tmp_path, simulator)
    app = make_app(services, state, start_step="export")
    async with app.run_test(size=SIZE) as pilot:
        await settle_probe(app, pilot)
        box = app.screen.query_one("#export-include-key")
        box.focus()
        await pilot.press("enter")  # "Enter: Write files", not "tick the box"
        await settle_probe(app, pilot)
        assert box.value is False
        written = {w.target: w for w in app.screen.state.written}
        assert "dotenv" in written and not written["dotenv"].holds_key
        assert simulator.key("demo") not in written["dotenv"].path.read_text()


# ---------------------------------------------------------------------------------------------
# E24: the destination field, and a status line that is true and whole


async def test_tab_tab_space_on_export_does_not_wipe_the_destination(
    simulator: Any, tmp_path: Path
) -> None:
    from tests.fixtures.tui_connect import services_for, state_for
    from tests.fixtures.tui_connect import settle as settle_probe

    app = make_app(services_for(tmp_path, simulator), state_for(simulator), start_step="export")
    async with app.run_test(size=SIZE) as pilot:
        await settle_probe(app, pilot)
        field = app.screen.query_one("#export-destination", Input)
        before = field.value
        assert before.endswith("modelstudio-profile.yaml")
        for _ in range(4):
            if app.focused is field:
                break
            await pilot.press("tab")
        assert app.focused is field
        await pilot.press("space")
        await settle_probe(app, pilot)
        assert before in field.value  # one space added at the cursor, nothing replaced
        # A visible field: drawn with a border (3 rows), not a bare line of text.
        assert field.region.height == 3
        assert field.styles.border_top[0] not in ("", "none")


async def test_a_stale_error_goes_when_a_valid_key_is_pasted(services: Services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#api-key", Input)
        field.value = "not a key at all"
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        status = app.screen.query_one("#nav-status")
        shown = painted(app, status)
        assert shown.startswith("✗")
        # The whole reason is on screen at 80 columns (wrapped), not cut at the edge.
        reason = str(status.render()).replace("\n", "").replace(" ", "")
        assert shown.replace(" ", "") == reason
        assert len(reason) > 30
        field.value = KEY  # a paste of a valid key
        await settle(app, pilot)
        assert painted(app, status) == ""
        assert KEY not in painted(app, status)


# ---------------------------------------------------------------------------------------------
# D18 / E25 / E26: every command shown is one that works when pasted, and the last lines
# say what was written. Each is run, in a shell, the way a user would paste it.

REPO = Path(__file__).resolve().parents[2]


def shell_env(tmp_path: Path) -> dict[str, str]:
    """A user's shell: nothing pointing at a config or a key; a keyring that fails closed."""
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MODELSTUDIO_SETUP_CONFIG", "DASHSCOPE_API_KEY", "DBUS_SESSION_BUS_ADDRESS")
        and not k.startswith("PYTEST")
    }
    home = tmp_path / "shell-home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def run_shell(line: str, env: dict[str, str]) -> Any:
    import subprocess

    return subprocess.run(
        ["sh", "-c", line], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


async def test_demo_done_commands_work_while_the_demo_runs(tmp_path: Path) -> None:
    from app.demo import start_demo
    from tests.fixtures.tui_connect import settle as settle_probe

    env = start_demo(tmp_path / "demo", clock=None)
    raw_key = env.services.demo_key.reveal()
    try:
        app = make_app(env.services, env.state)
        async with app.run_test(size=SIZE) as pilot:
            await walk_to_done(app, pilot)
            await settle_probe(app, pilot)
            shown = [str(w.render()) for w in app.screen.query(".copy-text")]
            commands = app.screen.commands()
            assert shown == [c for _, c in commands]
            # Copy puts exactly the command on the clipboard, never the key.
            app.screen.query_one("#done-command-1 Button").focus()  # Tab reaches it
            await pilot.press("enter")  # and Enter presses it
            await settle_probe(app, pilot)
            assert app.clipboard == commands[1][1]
            assert raw_key not in app.clipboard
        env_line, doctor, curl = (c for _, c in commands)  # no unpinnable Python line
        assert "--connect-to" in doctor and "--ca-file" in doctor and "--config" in doctor
        user = shell_env(tmp_path)
        checked = run_shell(f"{env_line} && {doctor}", user)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ap-southeast-1" in checked.stdout
        answered = run_shell(f"{env_line} && {curl}", user)
        assert answered.returncode == 0, answered.stderr
        assert '"choices"' in answered.stdout
        for out in (checked.stdout, checked.stderr, answered.stderr):
            assert raw_key not in out
    finally:
        env.simulator.stop_thread()


async def test_quit_after_export_says_the_profile_was_saved_and_how_to_check_it(
    simulator: Any, tmp_path: Path
) -> None:
    import dataclasses

    from app.config.next_steps import final_lines
    from app.secrets.stores import FileStore
    from tests.fixtures.tui_connect import services_for, state_for
    from tests.fixtures.tui_connect import settle as settle_probe

    services = services_for(tmp_path, simulator)
    store = FileStore(services.config_path.parent)
    pins = ("--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file))
    services = dataclasses.replace(
        services, key_store_factory=lambda _kind: store, network_args=pins
    )
    state = state_for(simulator, key_store="file")
    store.set(state.profile_name, state.api_key)
    app = make_app(services, state, start_step="export")
    async with app.run_test(size=SIZE) as pilot:
        await settle_probe(app, pilot)
        await pilot.press("enter")  # Write files
        await settle_probe(app, pilot)
        assert app.screen.state.written
        await pilot.press("ctrl+q")  # quit here, instead of Next and Finish
        await settle_probe(app, pilot)
    lines = final_lines(app.return_value, services.config_path, services.network_args)
    text = "\n".join(lines)
    assert "Nothing was written" not in text
    assert str(services.config_path) in text
    check = next(line for line in lines if line.startswith("Check it any time with: "))
    done = run_shell(check.removeprefix("Check it any time with: "), shell_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert state.api_key.reveal() not in done.stdout + done.stderr


async def test_quit_before_export_says_nothing_was_written_but_names_the_stored_key(
    services: Services, memory_store: MemoryStore
) -> None:
    from app.config.next_steps import final_lines

    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#api-key", Input).value = KEY
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")  # yes, store it
        await settle(app, pilot)
        assert memory_store.get("default") is not None
        await pilot.press("ctrl+q")
        await settle(app, pilot)
        await pilot.click("#confirm-yes")
        await settle(app, pilot)
    text = "\n".join(final_lines(app.return_value, services.config_path))
    assert "Nothing was written to the config file." in text
    assert "key delete --account default --yes" in text and "keyring" in text
    assert KEY not in text


# ---------------------------------------------------------------------------------------------
# E25: at 80x24 a step opens at its top; a URL is never folded inside itself


@pytest.mark.parametrize(
    ("step", "first"), [("workspace", "#console-link"), ("export", "#export-intro")]
)
async def test_steps_open_at_their_top_at_80x24_with_the_focus_on_screen(
    simulator: Any, tmp_path: Path, step: str, first: str
) -> None:
    from tests.fixtures.tui_connect import services_for, state_for
    from tests.fixtures.tui_connect import settle as settle_probe

    app = make_app(services_for(tmp_path, simulator), state_for(simulator), start_step=step)
    async with app.run_test(size=SIZE) as pilot:
        await settle_probe(app, pilot)
        content = app.screen.query_one("#step-content")
        assert content.scroll_y == 0
        assert content.region.contains_region(app.screen.query_one(first).region)
        assert app.focused is not None
        assert content.region.overlaps(app.focused.region)


async def test_console_url_and_base_urls_stay_whole_and_copy_whole(
    services: Services,
) -> None:
    from app.core.catalog import load_catalog
    from app.core.endpoints import base_urls

    state = WizardState(
        residency="none", region="ap-southeast-1", scope="international", workspace_id=WS
    )
    region = load_catalog().regions["ap-southeast-1"]
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        line = app.screen.query_one("#console-url")
        text = line.query_one(".copy-text")
        assert str(text.render()) == region.console_workspaces  # one line, not folded
        assert text.region.height == 1
        line.query_one(Button).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.clipboard == region.console_workspaces
        preview = str(app.screen.query_one("#url-preview").render()).splitlines()
        urls = base_urls("ap-southeast-1", "workspace", WS)
        for url in (urls.openai, urls.anthropic, urls.dashscope):
            assert any(row.endswith(url) for row in preview), (url, preview)


# ---------------------------------------------------------------------------------------------
# E27: every step in Chinese uses one word per thing and names scopes, not their ids


async def test_every_step_in_chinese_names_scopes_and_uses_one_word_for_back_and_key(
    tmp_path: Path,
) -> None:
    import re

    from app.core.i18n import t
    from app.demo import start_demo
    from tests.fixtures.tui_connect import settle as settle_probe

    set_language("zh")
    env = start_demo(tmp_path / "demo", lang="zh")
    scope_ids = ("mainland", "international", "global")
    try:
        app = make_app(env.services, env.state)
        async with app.run_test(size=SIZE) as pilot:
            seen: list[str] = []
            for _ in range(30):
                await settle_probe(app, pilot)
                step = getattr(app.screen, "STEP", type(app.screen).__name__)
                if step not in seen:
                    seen.append(step)
                    for widget in app.screen.query("Static, Button"):
                        if widget.has_class("copy-text") or widget.id in (
                            "export-preview",
                            "url-preview",
                        ):
                            continue  # commands, URLs and file content are not prose
                        text = str(widget.render())
                        assert "返回" not in text, (step, text)  # Back is 上一步
                        # The console's page is literally called "API-Key"; anything else
                        # says 密钥.
                        assert not re.search(r"(?<!API-)\bKey\b", text), (step, text)
                        if not text.startswith(("/", "~")):
                            for scope in scope_ids:
                                assert not re.search(rf"(?<![-\w]){scope}(?![-\w])", text), (
                                    step,
                                    text,
                                )
                    lines = [s.text.strip() for s in app.screen._compositor.render_strips()]
                    assert not [line for line in lines if line.startswith("）")], step
                    assert f"← {t('wizard.nav.back')}" in " ".join(lines) or step == "welcome"
                if step == "done":
                    break
                await pilot.press("enter")
            assert seen[-1] == "done", seen
            summary = str(app.screen.query_one("#done-summary").render())
            assert "新加坡 (ap-southeast-1)" in summary and "国际" in summary, summary
    finally:
        env.simulator.stop_thread()
        set_language("en")


# ---------------------------------------------------------------------------------------------
# E28: "Screenshot" without ~/Downloads saves where it can and says where (or why not)


async def test_screenshot_without_downloads_goes_to_the_current_folder_and_says_so(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    home = tmp_path / "home"
    here = tmp_path / "here"
    home.mkdir()
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.chdir(here)
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Screenshot") == 1
        app.action_screenshot()
        await settle(app, pilot)
        saved = list(here.glob("*.svg"))
        assert len(saved) == 1 and saved[0].read_text().startswith("<svg")
        assert str(saved[0]) in notes(app)
        # Nowhere writable: said so, nothing raised.
        os.chmod(here, 0o500)
        try:
            monkeypatch.setattr(app, "screenshot_directory", lambda: None)
            app.action_screenshot()
            await settle(app, pilot)
            assert "not saved" in notes(app)
        finally:
            os.chmod(here, 0o700)


async def test_no_screenshot_while_the_key_is_shown(services: Services, tmp_path: Path) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#api-key", Input).value = KEY
        await pilot.press("ctrl+t")  # Show
        await settle(app, pilot)
        app.action_screenshot(path=str(tmp_path))
        await settle(app, pilot)
        assert list(tmp_path.glob("*.svg")) == []
        assert "Hide the key first" in notes(app)


async def test_a_host_in_a_choice_label_is_shown_whole_at_80x24(services: Services) -> None:
    from app.core.access_advice import domain_options

    state = WizardState(residency="none", region="ap-southeast-1", scope="international")
    (host,) = [d.host for d in domain_options("ap-southeast-1", "en") if d.id == "workspace"]
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lines = [s.text for s in app.screen._compositor.render_strips()]
        assert any(host in line for line in lines), "\n".join(lines)
        assert not any("aliyuncs…" in line for line in lines)


async def test_demo_key_step_says_where_the_key_really_goes(tmp_path: Path) -> None:
    from app.demo import start_demo
    from tests.fixtures.tui_connect import screen_text
    from tests.fixtures.tui_connect import settle as settle_probe

    env = start_demo(tmp_path / "demo")
    try:
        app = make_app(env.services, env.state, start_step="apikey")
        async with app.run_test(size=(100, 32)) as pilot:
            await settle_probe(app, pilot)
            text = " ".join(screen_text(app).split())
            assert "goes into the OS keyring" not in text and "OS keyring usable" not in text
            key_file = str(env.services.config_path.parent / "keys" / "demo.key")
            assert key_file in str(app.screen.query_one("#store-explain").render())
    finally:
        env.simulator.stop_thread()
