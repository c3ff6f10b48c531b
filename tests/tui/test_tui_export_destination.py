"""Export step: bad destinations never crash the wizard (QA B41/B42), state is shown in
plain text (B8/B9), and a file this tool did not write is only replaced on request."""

from __future__ import annotations

from pathlib import Path

from textual import events

from app.tui import make_app
from tests.fixtures.tui_connect import (
    export_state,
    screen_text,
    select_targets,
    services_for,
)


async def _destination(pilot, app, fmt: str, value: str) -> None:
    screen = app.screen
    screen._focus_target(fmt)
    await pilot.pause()
    screen.query_one("#export-destination").value = value
    await pilot.pause()


def _note(app) -> str:
    return str(app.screen.query_one("#export-destination-note").content)


async def test_nul_in_destination_is_refused_under_the_field_not_a_crash(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        await _destination(pilot, app, "dotenv", str(tmp_path / "project" / "\x00bad.env"))
        assert "control character (U+0000" in _note(app)
        await app.screen.action_next()  # Write files
        await pilot.pause()
        assert app.is_running and app.screen.STEP == "export"
        assert "cannot be used" in str(app.screen.query_one("#nav-status").content)
        assert not services.config_path.exists()  # refused before anything was written
        # The wizard state survived: fix the field and write.
        await _destination(pilot, app, "dotenv", str(tmp_path / "project" / "good.env"))
        assert _note(app) == ""
        await app.screen.action_next()
        await pilot.pause()
        assert (tmp_path / "project" / "good.env").is_file()
        assert app.screen.state.workspace_id == "ws-g3ganedl8go5vc5i"


async def test_typing_an_over_long_name_says_so_live_and_never_crashes(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        await _destination(pilot, app, "dotenv", str(tmp_path))
        field = app.screen.query_one("#export-destination")
        field.focus()
        field.cursor_position = len(field.value)
        # One paste of the whole name (every intermediate length is checked without the UI
        # in tests/unit/test_flow_destination.py, where typing it key by key costs nothing).
        field.post_message(events.Paste("/" + "a" * 300 + "/x"))
        await pilot.pause()
        assert app.is_running
        assert "File name too long" in _note(app) and "300 bytes" in _note(app)
        await app.screen.action_next()
        await pilot.pause()
        assert app.is_running and app.screen.STEP == "export"
        assert not services.config_path.exists()
        # Moving away and back shows what was typed, still refused (not an old good path).
        app.screen._focus_target("sh")
        await pilot.pause()
        await _destination(pilot, app, "sh", str(tmp_path / "project" / "x.sh"))
        app.screen._focus_target("dotenv")
        await pilot.pause()
        assert field.value.endswith("a" * 300 + "/x")
        assert "File name too long" in _note(app)


async def test_an_os_error_while_writing_is_shown_under_the_field(tmp_path: Path) -> None:
    """A name the checks let through but the OS refuses still ends in a message."""
    services = services_for(tmp_path)
    (tmp_path / "project").mkdir()
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        target = tmp_path / "project" / "sub" / "deeper" / "x.env"  # two missing levels
        await _destination(pilot, app, "dotenv", str(target))
        await app.screen.action_next()
        await pilot.pause()
        assert app.is_running and app.screen.STEP == "export"
        assert "✗" in _note(app)
        assert [w.target for w in app.screen.state.written] == ["config"]


async def test_ticked_and_unticked_differ_in_plain_text(tmp_path: Path) -> None:
    app = make_app(services_for(tmp_path), export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        # Without colour (what tmux capture-pane or a screen reader gets) the cells read
        # ▐✓▌ when ticked and ▐ ▌ when not (blank cells are dropped from the text here).
        text = screen_text(app).replace(" ", "")
        assert "▐▌.envfile" in text and "▐▌Writethekeyitself" in text
        assert "✓▌" not in text
        await select_targets(pilot, app, "dotenv")
        app.screen.query_one("#export-include-key").value = True
        await pilot.pause()
        text = screen_text(app).replace(" ", "")
        assert "▐✓▌.envfile" in text and "▐✓▌Writethekeyitself" in text
        assert "▐▌Shellexports(bash/zsh)" in text


async def test_intro_stops_saying_nothing_was_written_after_a_write(tmp_path: Path) -> None:
    app = make_app(services_for(tmp_path), export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        intro = app.screen.query_one("#export-intro")
        assert "Nothing has been written yet." in str(intro.content)
        await app.screen.action_next()
        await pilot.pause()
        assert "Nothing has been written yet." not in str(intro.content)
        assert "were written" in str(intro.content)
        await select_targets(pilot, app, "sh")  # a change after the write: say it needs writing
        assert "Write files again" in str(intro.content)


async def test_existing_env_is_merged_and_its_other_variables_kept(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    env = project / ".env"
    env.write_text("DATABASE_URL=postgres://u:pw@db/app\n")
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "dotenv")
        await _destination(pilot, app, "dotenv", str(env))
        assert "merged" in _note(app) and "backup is kept" not in _note(app)
        await app.screen.action_next()
        await pilot.pause()
    text = env.read_text()
    assert "DATABASE_URL=postgres://u:pw@db/app" in text
    assert "DASHSCOPE" in text


async def test_foreign_file_is_refused_then_replaced_only_when_chosen(tmp_path: Path) -> None:
    services = services_for(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    mine = project / "setup.sh"
    mine.write_text("echo my own script\n")
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "sh")
        await _destination(pilot, app, "sh", str(mine))
        assert "not written by modelstudio-setup" in _note(app)
        await app.screen.action_next()
        await pilot.pause()
        # Refused: the reason under the field, and a question whose default is No.
        assert mine.read_text() == "echo my own script\n"
        assert "Replace this file?" in screen_text(app)
        await pilot.press("enter")  # "No, keep it" has the focus
        await pilot.pause()
        assert mine.read_text() == "echo my own script\n"
        assert app.screen.STEP == "export"
        assert "not written by modelstudio-setup" in _note(app)
        await app.screen.action_next()
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert "DASHSCOPE" in mine.read_text()
        assert "sh" in [w.target for w in app.screen.state.written]


def test_done_commands_name_the_config_only_when_not_the_default(monkeypatch) -> None:
    from app.config.next_steps import next_commands
    from app.core.invocation import command

    monkeypatch.setenv("XDG_CONFIG_HOME", "/tmp/xdg-default")
    home = Path("/tmp/xdg-default/modelstudio-setup")
    state = export_state()
    default = dict(next_commands(state, home / "config.yaml")).values()
    assert f'eval "$({command("env", "--profile", "work")})"' in default
    team = Path("/srv/team config.yaml")
    other = list(dict(next_commands(state, team)).values())
    env = command("env", "--profile", "work", "--config", str(team))
    assert f'eval "$({env})"' in other
    assert command("doctor", "--profile", "work", "--config", str(team)) in other
    assert "--config '/srv/team config.yaml'" in other[1]


async def test_link_out_of_its_folder_is_refused_and_the_question_names_the_target(
    tmp_path: Path,
) -> None:
    services = services_for(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    home_rc = tmp_path / "home" / ".bashrc"
    home_rc.parent.mkdir()
    home_rc.write_text("alias ll='ls -l'\n")
    link = project / "profile.yaml"
    link.symlink_to(home_rc)
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "yaml")
        await _destination(pilot, app, "yaml", str(link))
        await app.screen.action_next()
        await pilot.pause()
        assert "Replace this file?" in screen_text(app)
        body = str(app.screen.query_one("#confirm-body").content)
        assert f"Writing through it replaces {home_rc}" in body
        await pilot.press("escape")  # Esc answers No
        await pilot.pause()
        assert home_rc.read_text() == "alias ll='ls -l'\n"
        assert "symbolic link" in _note(app)


async def test_refusal_reason_follows_a_language_switch(tmp_path: Path) -> None:
    app = make_app(services_for(tmp_path), export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await _destination(pilot, app, "dotenv", "bad\x07.env")
        assert "control character (U+0007" in _note(app)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.pause()
        assert "控制字符" in _note(app)
        assert app.screen.query_one("#export-destination").value == "bad\x07.env"
