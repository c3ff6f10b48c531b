"""Welcome offers to move a plain-text key into the OS keyring (issue 11, `key import` in
the TUI): a temporary HOME whose ~/.bailian/config.json (the bl CLI's) holds a key, the
simulator over real TLS, the in-memory key store the services use. Every screen is searched
for the key and a piece of it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from textual.widgets import Button, Checkbox

from app.config.io import load_config
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.state import WizardState
from app.tui import make_app
from screens.parts.dialogs import ConfirmDialog
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    save_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)

SIZE = (100, 32)
UNKNOWN_KEY = "sk-" + "7c0ffee1" * 4  # no account of the simulator has it: 401


def bl_config(home: Path, key: str, **more: object) -> Path:
    """The bl CLI's config as bl writes it (JSON.stringify(data, null, 2) + newline, 0600)."""
    path = home / ".bailian" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_key": key, **more}, indent=2) + "\n")
    path.chmod(0o600)
    return path


def setup(tmp_path: Path, simulator, key: str, stored: str | None = None):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)  # profile "work", key in the keyring
    if stored is not None:
        store.set("work", ApiKey(stored))
    home = services.client_home
    assert home is not None
    return services, store, bl_config(home, key, base_url="https://dashscope.aliyuncs.com")


def no_key_on_screen(app, *keys: str) -> None:
    text = screen_text(app) + "\n".join(str(w.render()) for w in app.screen.query("Static"))
    for key in keys:
        assert_key_not_shown(text, key)
        assert key[3:15] not in text


async def wait(app, pilot) -> None:
    """Let the offer's search (a thread) and an import (a worker) finish."""
    for _ in range(4):
        await settle(app, pilot)


async def open_dialog(app, pilot) -> ConfirmDialog:
    app.screen.query_one("#key-offer-move", Button).press()
    await pilot.pause()
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ConfirmDialog)
    return dialog


async def test_welcome_offers_the_move_and_moves_the_key_with_the_removal(
    simulator, tmp_path: Path
) -> None:
    key = simulator.key("demo")
    services, store, path = setup(tmp_path, simulator, key)
    before = path.read_bytes()
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        offer = widget_text(app.screen, "#key-offer-text")
        masked = ApiKey(key).masked()
        assert "~/.bailian/config.json" in offer and masked in offer, offer
        assert "move it into the OS keyring" in offer and "“work”" in offer
        no_key_on_screen(app, key)

        dialog = await open_dialog(app, pilot)
        body = screen_text(app)
        assert "~/.bailian/config.json" in body and masked in body and "“work”" in body
        assert "0600 backup" in body
        no_key_on_screen(app, key)
        dialog.query_one("#import-remove", Checkbox).value = True
        await pilot.pause()
        dialog.query_one("#confirm-yes", Button).press()
        await wait(app, pilot)

        outcome = widget_text(app.screen, "#key-offer-outcome")
        assert "✓ Stored the key" in outcome and masked in outcome, outcome
        assert "Backup of the original" in outcome and "api_key" in outcome
        no_key_on_screen(app, key)
        # Nothing is left to offer: the line goes, the outcome stays.
        assert not app.screen.query_one("#key-offer-text").display
    assert store.get("work") == ApiKey(key)
    doc = json.loads(path.read_text())
    assert "api_key" not in doc and doc["base_url"] == "https://dashscope.aliyuncs.com"
    backups = list(path.parent.glob("config.json.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # bl's own mode kept
    # The key was tried on the profile's own hosts (only) before it was stored.
    sent = [r for r in simulator.requests if r.key_fingerprint == ApiKey(key).fingerprint()]
    assert sent and {r.account for r in sent} == {"demo"}
    assert {r.host for r in sent} == {load_config(services.config_path).profile("work").host}


async def test_without_the_removal_the_file_is_untouched_and_the_copy_is_offered_next(
    simulator, tmp_path: Path
) -> None:
    key = simulator.key("demo")
    services, store, path = setup(tmp_path, simulator, key)
    before = path.read_bytes()
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        dialog = await open_dialog(app, pilot)
        assert dialog.query_one("#import-remove", Checkbox).value is False  # off by default
        dialog.query_one("#confirm-yes", Button).press()
        await wait(app, pilot)
        outcome = widget_text(app.screen, "#key-offer-outcome")
        assert "✓ Stored the key" in outcome and "left as it is" in outcome, outcome
        # The file's key is now the profile's own: only its removal is offered.
        offer = widget_text(app.screen, "#key-offer-text")
        assert "plain-text copy of the profile's key" in offer, offer
        assert "Remove the plain-text copy" in str(
            app.screen.query_one("#key-offer-move", Button).label
        )
        no_key_on_screen(app, key)
    assert store.get("work") == ApiKey(key)
    assert path.read_bytes() == before
    assert list(path.parent.glob("config.json.bak-*")) == []


async def test_a_copy_of_the_stored_key_is_offered_for_removal_only(
    simulator, tmp_path: Path
) -> None:
    key = simulator.key("demo")
    services, store, path = setup(tmp_path, simulator, key, stored=key)
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        offer = widget_text(app.screen, "#key-offer-text")
        assert "a plain-text copy of the profile's key" in offer.lower(), offer
        requests = len(simulator.requests)
        dialog = await open_dialog(app, pilot)
        assert not dialog.query("#import-remove")  # removal is the whole offer
        assert "already in" in screen_text(app)
        dialog.query_one("#confirm-yes", Button).press()
        await wait(app, pilot)
        outcome = widget_text(app.screen, "#key-offer-outcome")
        assert "Removed the api_key" in outcome and "Backup of the original" in outcome
        no_key_on_screen(app, key)
        assert len(simulator.requests) == requests  # nothing was sent: the key is stored
    assert "api_key" not in json.loads(path.read_text())
    assert store.get("work") == ApiKey(key)


async def test_a_refused_key_is_not_stored_and_the_file_is_kept(simulator, tmp_path: Path) -> None:
    services, store, path = setup(tmp_path, simulator, UNKNOWN_KEY)
    before = path.read_bytes()
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        dialog = await open_dialog(app, pilot)
        dialog.query_one("#import-remove", Checkbox).value = True  # asked, yet refused
        await pilot.pause()
        dialog.query_one("#confirm-yes", Button).press()
        await wait(app, pilot)
        outcome = widget_text(app.screen, "#key-offer-outcome")
        assert "✗ Not stored" in outcome and "refused the key" in outcome, outcome
        no_key_on_screen(app, UNKNOWN_KEY)
    assert store.get("work") is None
    assert path.read_bytes() == before
    assert list(path.parent.glob("config.json.bak-*")) == []
    sent = [r for r in simulator.requests if r.key_fingerprint == ApiKey(UNKNOWN_KEY).fingerprint()]
    assert sent and any(r.status == 401 for r in sent)


async def test_cancel_changes_nothing_and_the_offer_survives_a_language_switch(
    simulator, tmp_path: Path
) -> None:
    key = simulator.key("demo")
    services, store, path = setup(tmp_path, simulator, key)
    before = path.read_bytes()
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        await open_dialog(app, pilot)
        await pilot.press("escape")
        await wait(app, pilot)
        assert widget_text(app.screen, "#key-offer-outcome") == ""
        await pilot.press("f2")
        await wait(app, pilot)
        assert "明文" in widget_text(app.screen, "#key-offer-text")
        no_key_on_screen(app, key)
        await pilot.press("f2")
        await wait(app, pilot)
    assert store.get("work") is None
    assert path.read_bytes() == before
    assert simulator.requests == []


async def test_no_offer_without_a_plain_text_key_or_in_the_demo(simulator, tmp_path: Path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        assert not app.screen.query_one("#key-offer").display
    # The demo touches nothing of the user's: no offer, even with a key in plain text.
    key = simulator.key("demo")
    assert services.client_home is not None
    bl_config(services.client_home, key)
    services.demo_key = ApiKey(key)
    app = make_app(services, WizardState(lang="en", profile_name="work", demo=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        assert not app.screen.query_one("#key-offer").display
    assert simulator.requests == []


async def test_a_project_env_line_is_moved_and_its_backup_kept_out_of_the_project(
    simulator, tmp_path: Path
) -> None:
    """A `.env` of the project: the line goes, the rest stays, the backup (0600) is in our
    own folder (a `.env.bak-…` beside it could be committed), as `key import` does it."""
    key = simulator.key("demo")
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    assert services.client_home is not None
    project = services.client_home / "project"
    project.mkdir(parents=True)
    services.client_cwd = project
    dotenv = project / ".env"
    dotenv.write_text(f"DEBUG=1\nDASHSCOPE_API_KEY={key}\nPORT=8000\n")
    app = make_app(services, WizardState(lang="en", profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await wait(app, pilot)
        assert "~/project/.env" in widget_text(app.screen, "#key-offer-text")
        dialog = await open_dialog(app, pilot)
        dialog.query_one("#import-remove", Checkbox).value = True
        await pilot.pause()
        dialog.query_one("#confirm-yes", Button).press()
        await wait(app, pilot)
        outcome = widget_text(app.screen, "#key-offer-outcome")
        assert "Removed the line setting DASHSCOPE_API_KEY" in outcome, outcome
        no_key_on_screen(app, key)
    assert store.get("work") == ApiKey(key)
    assert dotenv.read_text() == "DEBUG=1\nPORT=8000\n"
    assert list(project.glob(".env.bak-*")) == []
    backups = list((services.config_path.parent / "backups").glob(".env.bak-*"))
    assert len(backups) == 1 and stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert key in backups[0].read_text()  # the backup is the original, whole
