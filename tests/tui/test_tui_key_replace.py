"""Welcome's "Replace the key of a profile": the new key is checked live on the profile's own
hosts (simulator over real loopback TLS) before anything is written; then it takes the old
key's place and the old one is kept under its backup name, as `key rotate` does. A refused
key, or one whose 1-token call fails, changes nothing."""

from __future__ import annotations

import pytest
from textual.widgets import Input, RadioButton, RadioSet

from app.secrets.key import ApiKey
from app.secrets.rotation import BACKUP_SUFFIX
from app.secrets.stores import MemoryStore
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    save_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)

SG = "ap-southeast-1"
SIZE = (110, 40)


@pytest.fixture
def sim(rotation_simulator):
    return rotation_simulator


async def _open_dialog(app, pilot):
    await settle(app, pilot)
    app.screen.query_one("#action", RadioSet).query(RadioButton)[3].value = True
    await settle(app, pilot)
    await pilot.click("#next")
    await pilot.pause()
    assert type(app.screen).__name__ == "KeyReplaceScreen"


async def _type_and_check(app, pilot, key: str) -> str:
    app.screen.query_one("#replace-key", Input).value = key
    await pilot.press("enter")
    for _ in range(200):  # bounded wait for the live check
        await pilot.pause(0.05)
        text = widget_text(app.screen, "#replace-status")
        if text and "Checking" not in text:
            return text
    raise AssertionError(widget_text(app.screen, "#replace-status"))


async def test_a_working_key_replaces_the_old_one_which_is_kept_as_backup(sim, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, sim, store)
    save_profile(services, sim, account=SG)
    old, new = sim.key(SG), sim.key("sg-new")
    store.set("work", ApiKey(old))
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await _open_dialog(app, pilot)
        assert "Replace the key of profile work" in screen_text(app)
        status = await _type_and_check(app, pilot, new)
        assert "Replaced: profile work now uses" in status, status
        assert f"sk-…{new[-4:]}" in status and f"sk-…{old[-4:]}" in status
        assert store.get("work") == ApiKey(new)
        assert store.get("work" + BACKUP_SUFFIX) == ApiKey(old)
        # The new key was tried on the profile's hosts, with a 1-token call, before the write.
        asked = {(r.account, r.path) for r in sim.requests}
        assert ("sg-new", "/compatible-mode/v1/chat/completions") in asked
        assert_key_not_shown(screen_text(app), new)
        await pilot.click("#replace-go")  # now "Close"
        await settle(app, pilot)
        assert type(app.screen).__name__ == "WelcomeScreen"
        assert "Replaced: profile work" in widget_text(app.screen, "#nav-status")
        assert_key_not_shown(screen_text(app), new)
        assert_key_not_shown(screen_text(app), old)


@pytest.mark.parametrize(
    ("account", "words"),
    [("eu-central-1", "was refused"), ("sg-broke", "1-token call failed")],
    ids=["another region's key", "accepted but broke"],
)
async def test_a_key_that_fails_the_check_changes_nothing(sim, tmp_path, account, words):
    store = MemoryStore()
    services = services_for(tmp_path, sim, store)
    save_profile(services, sim, account=SG)
    old = sim.key(SG)
    store.set("work", ApiKey(old))
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await _open_dialog(app, pilot)
        status = await _type_and_check(app, pilot, sim.key(account))
        assert words in status and "nothing was changed" in status, status
        if account == "eu-central-1":  # what to do with THIS key, not doctor's advice
            assert "Check the new key" in status and "--all-regions" not in status, status
        assert store.get("work") == ApiKey(old)
        assert store.get("work" + BACKUP_SUFFIX) is None
        # The other region was never asked: no consent was given for a search.
        assert all(r.host.endswith(f".{SG}.maas.aliyuncs.com") for r in sim.requests)
        await pilot.press("escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "WelcomeScreen"
        assert_key_not_shown(screen_text(app), sim.key(account))


async def test_a_malformed_key_is_said_and_nothing_is_sent(sim, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, sim, store)
    save_profile(services, sim, account=SG)
    store.set("work", ApiKey(sim.key(SG)))
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await _open_dialog(app, pilot)
        app.screen.query_one("#replace-key", Input).value = "not a key at all"
        await pilot.press("enter")
        await pilot.pause()
        assert widget_text(app.screen, "#replace-status")
        assert sim.requests == []
        assert store.get("work") == ApiKey(sim.key(SG))
