"""Export and Done steps: previews never show the key, writes land with the right modes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from app.secrets.key import ApiKey
from app.tui import make_app
from tests.fixtures.tui_connect import (
    EXPORT_KEY,
    assert_key_not_shown,
    export_state,
    screen_text,
    select_targets,
    services_for,
)


async def test_preview_references_the_key_and_never_shows_it(tmp_path: Path) -> None:
    app = make_app(services_for(tmp_path), export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen._show_target("dotenv")
        await pilot.pause()
        preview = str(screen.query_one("#export-preview").content)
        assert "DASHSCOPE_API_KEY" in preview
        assert "ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com" in preview
        assert EXPORT_KEY not in preview
        assert_key_not_shown(screen_text(app), EXPORT_KEY)
        # Opting in shows the masked key in the preview and the warning, never the key.
        screen.query_one("#export-include-key").value = True
        await pilot.pause()
        preview = str(screen.query_one("#export-preview").content)
        assert "sk-…5e77" in preview or ApiKey(EXPORT_KEY).masked() in preview
        assert EXPORT_KEY not in preview
        assert_key_not_shown(screen_text(app), EXPORT_KEY)
        assert "plain text" in str(screen.query_one("#export-key-note").content)


async def test_nothing_written_until_the_user_writes(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        assert not services.config_path.exists()
        assert not (services.export_dir / ".env").exists()
        await app.screen.action_next()
        await pilot.pause()
        assert services.config_path.exists()
        env_file = services.export_dir / ".env"
        assert env_file.exists()
        # Still on Export, showing what was written with permissions; Next now moves on.
        assert app.screen.STEP == "export"
        written = str(app.screen.query_one("#export-written").content)
        assert str(services.config_path) in written and "-rw-------" in written
        assert str(env_file) in written


async def test_written_files_modes_and_contents(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv", "sh", "claude-code", "qwen-code")
        await app.screen.action_next()
        await pilot.pause()
        state = app.screen.state
        by_target = {w.target: w for w in state.written}
        assert set(by_target) == {"config", "dotenv", "sh", "claude-code", "qwen-code"}
        config = by_target["config"]
        assert stat.S_IMODE(config.path.stat().st_mode) == 0o600 == config.mode & 0o777
        data = yaml.safe_load(config.path.read_text())
        assert data["profiles"]["work"]["workspace_id"] == "ws-g3ganedl8go5vc5i"
        for item in state.written:
            assert EXPORT_KEY not in item.path.read_text(), item.target
            assert not item.holds_key
        assert by_target["claude-code"].path == services.export_dir / ".claude/settings.local.json"
        # Next goes on to Done, which lists the same files.
        await app.screen.action_next()
        await pilot.pause()
        assert app.screen.STEP == "done"
        done = str(app.screen.query_one("#done-written").content)
        assert str(by_target["dotenv"].path) in done
        next_cmds = [str(w.render()) for w in app.screen.query(".copy-text")]
        # The config is not at the default location: the commands name it (QA B34), spelt
        # the way they run from the user's shell (app.core.invocation).
        from app.core.invocation import command

        cfg = str(services.config_path)
        env = command("env", "--profile", "work", "--config", cfg)
        assert f'eval "$({env})"' in next_cmds
        assert command("doctor", "--profile", "work", "--config", cfg) in next_cmds
        assert_key_not_shown(screen_text(app), EXPORT_KEY)


async def test_include_key_writes_0600_files_that_hold_it(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv", "yaml")
        app.screen.query_one("#export-include-key").value = True
        await pilot.pause()
        await app.screen.action_next()
        await pilot.pause()
        by_target = {w.target: w for w in app.screen.state.written}
        env = by_target["dotenv"]
        assert env.holds_key and EXPORT_KEY in env.path.read_text()
        assert stat.S_IMODE(env.path.stat().st_mode) == 0o600
        # The standalone profile YAML cannot hold a key: still referenced.
        assert not by_target["yaml"].holds_key
        assert EXPORT_KEY not in by_target["yaml"].path.read_text()
        assert EXPORT_KEY not in by_target["config"].path.read_text()
        assert "(contains the key)" in str(app.screen.query_one("#export-written").content)
        assert_key_not_shown(screen_text(app), EXPORT_KEY)


async def test_existing_claude_settings_are_merged_not_clobbered(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    settings = services.export_dir / ".claude" / "settings.local.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"permissions": {"allow": ["Bash(ls)"]}, "env": {"FOO": "1"}}')
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "claude-code")
        app.screen._show_target("claude-code")
        await pilot.pause()
        assert "exists" in str(app.screen.query_one("#export-destination-note").content)
        await app.screen.action_next()
        await pilot.pause()
    import json

    merged = json.loads(settings.read_text())
    assert merged["permissions"] == {"allow": ["Bash(ls)"]}
    assert merged["env"]["FOO"] == "1"
    assert "ws-g3ganedl8go5vc5i" in merged["env"]["ANTHROPIC_BASE_URL"]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_export_write_failure_is_reported_and_stays(tmp_path: Path, lang: str) -> None:
    services = services_for(tmp_path)
    blocker = tmp_path / "project"
    blocker.write_text("not a directory")  # export_dir is a file: writing under it fails
    app = make_app(services, export_state(lang=lang), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        await app.screen.action_next()
        await pilot.pause()
        assert app.screen.STEP == "export"
        status = str(app.screen.query_one("#nav-status").content)
        assert "✗" in status
        # The config was written first and is listed; nothing else claims success.
        written = [w.target for w in app.screen.state.written]
        assert written == ["config"]


async def test_space_toggles_a_target_and_enter_means_next(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.pause()
        targets = app.screen.query_one("#export-targets")
        targets.focus()
        await pilot.press("down", "space")  # .env (second in the list)
        assert list(targets.selected) == ["dotenv"]
        await pilot.press("enter")  # Next = write
        await pilot.pause()
        assert {w.target for w in app.screen.state.written} == {"config", "dotenv"}
        assert list(targets.selected) == ["dotenv"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.STEP == "done"


async def test_language_switch_keeps_choices_and_redraws_the_preview(tmp_path: Path) -> None:
    app = make_app(services_for(tmp_path), export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        app.screen._show_target("dotenv")
        await pilot.press("f2")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert list(screen.query_one("#export-targets").selected) == ["dotenv"]
        assert "预览" in str(screen.query_one("#export-preview-title").content)
        assert "DASHSCOPE_API_KEY" in str(screen.query_one("#export-preview").content)
        assert "只引用密钥" in str(screen.query_one("#export-key-note").content)


async def test_back_from_done_and_export_keeps_what_was_written(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "sh")
        await app.screen.action_next()  # write
        await pilot.pause()
        await app.screen.action_next()  # Done
        await pilot.pause()
        assert app.screen.STEP == "done"
        await pilot.press("escape")
        await pilot.pause()
        screen = app.screen
        assert screen.STEP == "export"
        assert list(screen.query_one("#export-targets").selected) == ["sh"]
        assert "modelstudio.sh" in str(screen.query_one("#export-written").content)
        assert "Next" in str(screen.query_one("#next").label)
        # Nothing changed: Next goes on without writing again.
        before = (services.export_dir / "modelstudio.sh").stat().st_mtime_ns
        await screen.action_next()
        await pilot.pause()
        assert app.screen.STEP == "done"
        assert (services.export_dir / "modelstudio.sh").stat().st_mtime_ns == before


async def test_edited_destination_is_where_the_file_goes(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    custom = tmp_path / "elsewhere" / "my.env"
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        app.screen._show_target("dotenv")
        await pilot.pause()
        field = app.screen.query_one("#export-destination")
        field.focus()
        field.value = ""
        await pilot.press(*str(custom))
        await pilot.pause()
        await app.screen.action_next()
        await pilot.pause()
        by_target = {w.target: w for w in app.screen.state.written}
        assert by_target["dotenv"].path == custom
        assert custom.exists() and not (services.export_dir / ".env").exists()


async def test_a_step_left_before_its_focus_callbacks_ran_does_not_crash(tmp_path: Path) -> None:
    """CI saw the wizard die with NoMatches '#step-content' on a Done screen left quickly:
    the focus and scroll callbacks a step schedules after its first refreshes ran on the
    step already left. Here they run, in their order, on a Done screen left with Escape."""
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "sh")
        await app.screen.action_next()  # write
        await pilot.pause()
        await app.screen.action_next()  # Done
        await pilot.pause()
        done = app.screen
        target = done.query_one("#next")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP == "export"
        # The late callbacks (private: they are what the refresh queue would call).
        done._initial_focus()
        done._scroll_to_start(target)
        done._show_focused(target)
        await pilot.pause()
        assert app.screen.STEP == "export"
        assert app.return_code is None  # still running
