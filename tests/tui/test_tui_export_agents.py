"""Export step, the coding agents (issue 10): opencode and Codex are offered and previewed,
the step says beside each file what the CLI says (the key's variable, Codex's model, which
Claude Code file), and what it writes is what `export` writes there."""

from __future__ import annotations

import json
from pathlib import Path

import tomlkit

from app.core import jsonc
from app.tui import make_app
from tests.fixtures.tui_connect import (
    EXPORT_KEY,
    assert_key_not_shown,
    export_state,
    screen_text,
    select_targets,
    services_for,
)


def _note(app) -> str:
    return str(app.screen.query_one("#export-destination-note").content)


async def test_codex_and_opencode_are_previewed_with_what_to_know(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex-home"))
    app = make_app(services_for(tmp_path), export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen._show_target("codex")
        await pilot.pause()
        preview = str(screen.query_one("#export-preview").content)
        assert 'wire_api = "responses"' in preview and "env_key" in preview
        destination = str(screen.query_one("#export-destination").value)
        assert destination == str(tmp_path / "codex-home" / "config.toml")  # Codex's home
        note = _note(app)
        assert "Responses API" in note and "DASHSCOPE_API_KEY" in note
        screen._show_target("opencode")
        await pilot.pause()
        preview = str(screen.query_one("#export-preview").content)
        assert "@ai-sdk/openai-compatible" in preview and "{env:DASHSCOPE_API_KEY}" in preview
        assert "opencode reads the API key" in _note(app)
        screen._show_target("claude-code")
        await pilot.pause()
        assert "project-local" in _note(app)  # .claude/settings.local.json
        assert_key_not_shown(screen_text(app), EXPORT_KEY)


async def test_written_agent_files_are_the_clients_own(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex-home"))
    services = services_for(tmp_path)
    codex = tmp_path / "codex-home" / "config.toml"
    codex.parent.mkdir()
    codex.write_text('# mine\napproval_policy = "never"\n')
    app = make_app(services, export_state(), start_step="export")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await select_targets(pilot, app, "opencode", "codex", "qwen-code")
        await app.screen.action_next()
        await pilot.pause()
        written = {w.target: w.path for w in app.screen.state.written}
    assert set(written) == {"config", "opencode", "codex", "qwen-code"}
    opencode = json.loads(written["opencode"].read_text())
    assert opencode["model"] == "modelstudio-work/qwen-plus"  # one entry per profile
    doc = tomlkit.parse(codex.read_text()).unwrap()
    assert doc["approval_policy"] == "never" and doc["model_provider"] == "modelstudio-work"
    assert "# mine" in codex.read_text()
    qwen = jsonc.loads(written["qwen-code"].read_text())
    assert qwen["security"]["auth"]["selectedType"] == "openai"
    for path in written.values():
        assert EXPORT_KEY not in path.read_text()
