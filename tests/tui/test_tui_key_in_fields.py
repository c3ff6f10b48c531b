"""The wizard's Workspace field refuses a pasted real-shaped API key (QA B5, T16).

`sk-` + 32 hex is a valid DNS label: before the fix the field said "✓ Valid workspace ID:
<key>", previewed `https://<key>.<region>.maas.aliyuncs.com/...` and let Next carry it into
the config and the exports. The check lives in app.core.endpoints.normalize_workspace_id, which
the field's validator and live status use.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from app.core.i18n import t
from app.secrets.keyring import KeyringStatus
from app.secrets.stores import MemoryStore
from app.services import Services
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.sweep import REAL_SHAPED_IDS, REAL_SHAPED_KEYS
from tests.fixtures.tui_steps import SIZE, screen_text, settle, step_of, text_of


@pytest.fixture
def services(tmp_path: Path, memory_store: MemoryStore) -> Services:
    return Services(
        config_path=tmp_path / "config" / "config.yaml",
        key_store_factory=lambda kind: memory_store,
        keyring_probe=lambda: KeyringStatus(available=True, backend="memory (test)"),
        keyring_timeout=2.0,
        export_dir=tmp_path / "export",
    )


@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
async def test_a_pasted_key_is_refused_as_workspace_id_and_not_echoed(services, key) -> None:
    state = WizardState(residency="none", region="ap-southeast-1", scope="international")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#workspace-id", Input).value = f"  {key}\n"
        await settle(app, pilot)
        status = text_of(app, "#workspace-status")
        assert "✗" in status and "looks like an API key" in status.replace("\n", " ")
        assert "Valid workspace ID" not in status
        preview = text_of(app, "#url-preview")
        assert t("screen_workspace.preview_blocked") in preview and "https://" not in preview
        field = app.screen.query_one("#workspace-id", Input)
        assert field.value == ""  # the key does not stay on screen
        assert key.lower() not in screen_text(app).lower()
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "workspace"  # blank would mean "shared host": not after a key
        assert app.state.workspace_id is None
        assert "looks like an API key" in text_of(app, "#nav-status")
        assert key.lower() not in screen_text(app).lower()
        field.value = "ws-g3ganedl8go5vc5i"  # the real ID: accepted again
        await settle(app, pilot)
        assert "Valid workspace ID" in text_of(app, "#workspace-status")
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey" and app.state.workspace_id == "ws-g3ganedl8go5vc5i"
    assert not services.config_path.exists()


@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
async def test_a_pasted_key_is_refused_as_profile_name_and_not_echoed(services, key) -> None:
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#profile-name", Input).value = key
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "welcome"
        status = text_of(app, "#nav-status").replace("\n", " ")
        assert "looks like an API key, not a profile name" in status
        assert key.lower() not in status.lower()
    assert not services.config_path.exists()


@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
def test_a_pasted_key_is_refused_as_export_destination(key, tmp_path) -> None:
    from app.export_flow import destination_problem

    for raw in (key, f"{tmp_path}/{key}/.env", f"  ~/{key}.env\n"):
        problem = destination_problem(raw)
        assert problem is not None and "looks like an API key" in problem
        assert key.lower() not in problem.lower()
    assert destination_problem(f"{tmp_path}/project/.env") is None
