"""Pilot tests of the first five wizard steps, driven by keys at 80x24 as a user would.

Real parts: an in-memory key store (app.secrets.stores.MemoryStore), the real FileStore on a temp
dir, in-process keyring backends, and (one test) the real Secret Service. No patching of
the screens: the App is built by `make_app` with its services injected.
"""

from __future__ import annotations

import dataclasses
import re
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static

from app.core.api_host import read_workspace_input
from app.core.endpoints import InvalidWorkspaceId
from app.core.i18n import t
from app.secrets.key import ApiKey, InvalidApiKey
from app.secrets.keyring import KeyringStatus, probe_keyring
from app.secrets.stores import KeyRef, MemoryStore, store_for
from app.services import Services
from app.state import WizardState
from app.tui import WizardApp, make_app
from screens.widgets import SecretInput
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


async def walk_to(app: WizardApp, pilot: Any, step: str) -> None:
    """From Welcome, accept every default with Enter until `step` is on screen."""
    await settle(app, pilot)
    for _ in range(12):
        if step_of(app) == step:
            return
        current = step_of(app)
        if current == "workspace":
            app.screen.query_one("#workspace-id", Input).value = WS
        if current == "apikey" and not app.screen.query_one("#api-key", Input).value:
            app.screen.query_one("#api-key", Input).value = KEY
        await pilot.press("enter")
        await settle(app, pilot)
        if current == "scenario" and step_of(app) == "scenario":
            await pilot.press("enter")  # residency confirmed, now Next
            await settle(app, pilot)
        if type(app.screen).__name__ == "ConfirmDialog":
            await pilot.press("enter")
            await settle(app, pilot)
    assert step_of(app) == step


# ---------------------------------------------------------------------------------------------
# The happy path with Enter only


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_enter_walks_from_welcome_to_connectivity(
    services: Services, memory_store: MemoryStore, lang: str
) -> None:
    app = make_app(services, WizardState(lang=lang))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert step_of(app) == "welcome"
        assert t("wizard.title.welcome", lang) in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
        # Residency is not decided silently: the default is shown, Enter confirms it.
        assert app.screen.residency is None
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.residency == "none"
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        assert t("screen_recommendation.row_inference", lang) in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        await pilot.press(*WS)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        await pilot.press(*KEY)
        await settle(app, pilot)
        assert KEY not in screen_text(app)
        assert "sk-…cdef" in text_of(app, "#key-preview")
        await pilot.press("enter")
        await settle(app, pilot)
        # The key store is written only after this explicit confirmation.
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert memory_store.get("default") is None
        assert KEY not in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "connectivity"
        state = app.state
    assert state.residency == "none"
    assert (state.region, state.scope) == ("us-east-1", "global")
    assert state.workspace_id == WS and state.endpoint_style == "workspace"
    assert state.api_key == ApiKey(KEY) and state.key_saved and state.key_store == "keyring"
    assert memory_store.get("default") == ApiKey(KEY)
    assert state.lang == lang


async def test_next_without_confirming_residency_explains_and_stays(services: Services) -> None:
    app = make_app(services, WizardState(), start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
        assert t("screen_scenario.residency_required") in text_of(app, "#nav-status")
        assert app.focused is app.screen.query_one("#residency")


# ---------------------------------------------------------------------------------------------
# Back keeps what was entered


async def test_back_from_every_step_keeps_input(services: Services) -> None:
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await walk_to(app, pilot, "scenario")
        # Scenario: EU residency (4 down), batch ticked, callers in Europe.
        await pilot.press("down", "down", "down", "down", "enter")
        app.screen.query_one("#need-batch", Checkbox).value = True
        app.screen.query_one("#near").value = "europe"
        await pilot.press("escape")
        await settle(app, pilot)
        assert step_of(app) == "welcome"
        await pilot.press("enter")
        await settle(app, pilot)
        scenario = app.screen
        assert scenario.residency == "eu"
        assert scenario.query_one("#need-batch", Checkbox).value is True
        assert scenario.query_one("#near").value == "europe"
        # Focus is on the residency list again (its hint says ↑/↓ and Enter): Enter
        # confirms the chosen answer and moves to Next, the second Enter goes on.
        assert app.focused is scenario.query_one("#residency")
        await pilot.press("enter")
        await settle(app, pilot)
        assert scenario.residency == "eu"
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        # Recommendation: override the scope, go back, come again: the override is kept.
        app.screen.query_one("#scope").value = "global"
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert step_of(app) == "scenario" and app.screen.residency == "eu"
        await pilot.press("tab")  # any focus; Next by click
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        assert app.screen.chosen_scope == "global"
        await pilot.press("enter")
        await settle(app, pilot)
        # Workspace (Frankfurt needs one): typed, Back, Next: still there, with the model.
        assert step_of(app) == "workspace"
        await pilot.press(*"WS-ABC12345")
        await pilot.press("escape")
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#workspace-id", Input).value == "ws-abc12345"
        await pilot.press("enter")
        await settle(app, pilot)
        # API key: typed, Back, Next: kept (masked in the placeholder, never re-displayed).
        assert step_of(app) == "apikey"
        await pilot.press(*KEY)
        await pilot.press("escape")
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        field = app.screen.query_one("#api-key", Input)
        assert field.value == ""
        assert "sk-…cdef" in field.placeholder
        assert "sk-…cdef" in text_of(app, "#key-preview")
        assert KEY not in screen_text(app)
        assert app.state.api_key == ApiKey(KEY)


# ---------------------------------------------------------------------------------------------
# Workspace: every invalid input shows its reason

BAD_WORKSPACE_IDS = [
    "evil.com#",
    "x.evil.com/",
    "u@evil.com#",
    "a:1@x",
    "ws。evil",
    "ｗｓ-abc",
    "ws-\u212aey",
    "ws-аbc",  # Cyrillic a
    "ws-ab\u200bc",
    "xn--ws-abc",
    "a.b",
    "ws..x",
    "   ",
    "-ws",
    "ws-",
    "ws_abc",
    "w" * 64,
    "trial",
    "token-plan",
    "127.0.0.1#",
    "[::1]#",
    "evil.com%23",
    "ws\x00",
    "ws\r\nHost: evil",
    "x" * 1_000_000,
]


def _reason(raw: str) -> str:
    try:
        read_workspace_input(raw, "ap-southeast-1")
    except InvalidWorkspaceId as exc:
        return exc.message
    raise AssertionError(f"{raw!r} was accepted")


@pytest.mark.parametrize("raw", BAD_WORKSPACE_IDS, ids=lambda r: ascii(r)[:24])
async def test_invalid_workspace_id_shows_its_reason_and_blocks_next(
    services: Services, raw: str
) -> None:
    state = WizardState(residency="none", region="ap-southeast-1", scope="international")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#workspace-id", Input)
        field.value = raw
        await settle(app, pilot)
        status = text_of(app, "#workspace-status")
        if raw.strip():
            assert _reason(raw) in status.replace("\n", " ") or _reason(raw)[:40] in status
            assert "✗" in status
            assert t("screen_workspace.preview_blocked") in text_of(app, "#url-preview")
            assert "https://" not in text_of(app, "#url-preview")
        await pilot.press("enter")
        await settle(app, pilot)
        if raw.strip():
            assert step_of(app) == "workspace"
            assert "✗" in text_of(app, "#nav-status")
        else:
            # Blank: Singapore has a shared host, so blank means "use the shared host".
            assert step_of(app) == "apikey"
            assert app.state.endpoint_style == "shared" and app.state.workspace_id is None


async def test_region_without_shared_host_requires_a_workspace_id(services: Services) -> None:
    state = WizardState(residency="eu", region="eu-central-1", scope="eu")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        link = app.screen.query_one("#console-url .copy-text", Static)
        assert "business_management" in str(link.render())
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "workspace"
        assert "needs a workspace ID" in text_of(app, "#workspace-status")
        assert "needs a workspace ID" in text_of(app, "#nav-status")


async def test_pasted_workspace_id_is_normalised_and_shown_back(services: Services) -> None:
    state = WizardState(residency="none", region="cn-hongkong", scope="global")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # Hong Kong has both hosts; blank uses the shared one, typing switches to workspace.
        assert "cn-hongkong.dashscope.aliyuncs.com" in text_of(app, "#url-preview")
        app.screen.query_one("#workspace-id", Input).value = "  WS-ABC123 \n"
        await settle(app, pilot)
        assert "ws-abc123" in text_of(app, "#workspace-status")
        assert "normalised" in text_of(app, "#workspace-status")
        preview = text_of(app, "#url-preview")
        assert "https://ws-abc123.cn-hongkong.maas.aliyuncs.com/compatible-mode/v1" in preview
        assert "/apps/anthropic" in preview and "/api/v1" in preview
        # The user may still pick the shared host explicitly.
        radio = app.screen.query_one("#style", RadioSet)
        radio.query(RadioButton)[1].value = True
        await settle(app, pilot)
        assert "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1" in text_of(
            app, "#url-preview"
        )
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.state.endpoint_style == "shared"
        assert app.state.workspace_id == "ws-abc123"


async def test_the_trial_domain_is_offered_last_with_its_warning(services: Services) -> None:
    """Singapore's three access domains are offered with their guarantees, trial last of them
    (the plan hosts follow: they take other keys); picking the trial domain shows its host
    and 'not for production', and the step saves style trial."""
    state = WizardState(residency="none", region="ap-southeast-1", scope="international")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        labels = [str(b.label) for b in app.screen.query_one("#style").query(RadioButton)]
        firsts = [label.split(" ")[0] for label in labels]
        assert firsts == ["Workspace", "DashScope", "Trial", "Coding", "Token"]
        assert all("plan keys (sk-sp-) only" in label for label in labels[3:])
        assert "recommended" in labels[0] and "not for production" in labels[2]
        assert "3600 s" not in text_of(app, "#domain-guarantees")  # shared host: 600 s
        app.screen.query_one("#workspace-id", Input).value = "ws-abc123"
        await settle(app, pilot)
        assert "3600 s" in text_of(app, "#domain-guarantees")
        app.screen.query_one("#style", RadioSet).query(RadioButton)[2].value = True
        await settle(app, pilot)
        guarantees = text_of(app, "#domain-guarantees")
        assert "RPM 1000" in guarantees and "Not for production" in guarantees
        preview = text_of(app, "#url-preview")
        assert "https://trial.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1" in preview
        assert "ws-abc123" not in preview
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.state.endpoint_style == "trial"


async def test_a_region_with_one_access_domain_offers_no_choice(services: Services) -> None:
    state = WizardState(residency="eu", region="eu-central-1", scope="global")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not app.screen.query("#style")
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "has no shared host: a workspace ID is required." in shown


async def test_unusual_prefix_is_a_warning_not_an_error(services: Services) -> None:
    state = WizardState(residency="none", region="ap-southeast-1", scope="international")
    app = make_app(services, state, start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#workspace-id", Input).value = "team42"
        await settle(app, pilot)
        assert "! Unusual workspace ID" in text_of(app, "#workspace-status")
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey" and app.state.workspace_id == "team42"


# ---------------------------------------------------------------------------------------------
# API key: every invalid key shows its reason and never the key

BAD_KEYS = [
    "sk-abc def0123456789",
    "sk-abc\tdef0123456789",
    "sk-0123456789\x00abcdef",
    "sk-0123456789abcdéf",
    "\u201csk-0123456789abcdef",
    "sk-0123456789ａbcdef",
    "sk-" + "a" * 1000,
    "sk-1",
]


def _key_reason(raw: str) -> str:
    try:
        ApiKey(raw)
    except InvalidApiKey as exc:
        return exc.message
    raise AssertionError("accepted")


@pytest.mark.parametrize("raw", BAD_KEYS, ids=lambda r: ascii(r)[:20])
async def test_invalid_key_shows_its_reason_never_the_key(
    services: Services, memory_store: MemoryStore, raw: str
) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#api-key", Input).value = raw
        await settle(app, pilot)
        preview = text_of(app, "#key-preview")
        assert _key_reason(raw)[:40] in preview.replace("\n", " ")
        assert preview.startswith("✗")
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert "✗" in text_of(app, "#nav-status")
        shown = screen_text(app)
        for secret_part in ("0123456789", "a" * 40):
            if secret_part in raw:
                assert secret_part not in shown
        assert memory_store.get("default") is None


async def test_empty_key_is_refused(services: Services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert t("secrets.key_empty")[:30] in text_of(app, "#nav-status")


async def test_pasted_key_with_newline_is_stripped_and_plan_key_warned(
    services: Services, memory_store: MemoryStore
) -> None:
    plan = "sk-sp-0123456789abcdef0123456789ab"
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#api-key", Input).value = plan + "\n"
        await settle(app, pilot)
        preview = text_of(app, "#key-preview")
        assert "sk-sp-…89ab" in preview
        assert "! " in preview and "Plan" in preview
        assert plan not in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")  # confirm storing
        await settle(app, pilot)
        assert memory_store.get("default") == ApiKey(plan)


async def test_copy_and_cut_are_refused_and_focus_selects_nothing(services: Services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#api-key", SecretInput)
        assert app.focused is field
        await pilot.press(*KEY)
        # Focus away and back: nothing gets selected on focus.
        await pilot.press("tab", "shift+tab")
        await pilot.pause()
        assert app.focused is field
        assert field.selected_text == ""
        field.action_select_all()
        assert field.selected_text == KEY
        await pilot.press("ctrl+c")
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert app.clipboard == ""
        assert field.value == KEY  # cut removed nothing
        assert t("wizard.copy_refused") in text_of(app, "#nav-status")


async def test_show_hide_toggle_reveals_only_on_request(services: Services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*KEY)
        await pilot.pause()
        assert KEY not in screen_text(app)
        await pilot.click("#toggle-visibility")
        await pilot.pause()
        assert app.screen.query_one("#api-key", SecretInput).password is False
        await pilot.press("ctrl+t")  # the same toggle from the keyboard
        await pilot.pause()
        assert app.screen.query_one("#api-key", SecretInput).password is True
        assert KEY not in screen_text(app)


async def test_declining_the_store_writes_nothing(
    services: Services, memory_store: MemoryStore
) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*KEY)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("escape")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert memory_store.get("default") is None
        assert t("screen_apikey.not_stored")[:30] in text_of(app, "#nav-status")


async def test_env_only_stores_nothing(services: Services, memory_store: MemoryStore) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*KEY)
        app.screen.query_one("#store-env", RadioButton).value = True
        await settle(app, pilot)
        assert "DASHSCOPE_API_KEY" in text_of(app, "#store-explain")
        app.screen.query_one("#api-key").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "connectivity"
        assert app.state.key_store == "env" and not app.state.key_saved
        assert app.state.api_key == ApiKey(KEY)
    assert memory_store.get("default") is None


async def test_plain_text_file_needs_explicit_consent(tmp_path: Path, services: Services) -> None:
    config_dir = tmp_path / "config"
    services = dataclasses.replace(
        services, key_store_factory=lambda kind: store_for(KeyRef(kind), config_dir)
    )
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*KEY)
        app.screen.query_one("#store-file", RadioButton).value = True
        await settle(app, pilot)
        consent = app.screen.query_one("#file-consent", Checkbox)
        assert consent.display and consent.value is False
        # B30: the whole path is readable on the 80x24 screen, wrapped, not cut at the edge.
        consent_text = app.screen.query_one("#file-consent-text", Static)
        consent_text.scroll_visible(animate=False, immediate=True)
        await settle(app, pilot)
        shown = painted(app, consent_text)
        assert "plain text" in shown
        assert str(config_dir / "keys" / "default.key") in shown
        app.screen.query_one("#api-key").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert t("screen_apikey.file_needs_consent")[:30] in text_of(app, "#nav-status")
        assert not (config_dir / "keys").exists()
        consent.value = True
        app.screen.query_one("#api-key").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert "plain text" in text_of(app, "#confirm-body")
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "connectivity"
    key_file = config_dir / "keys" / "default.key"
    assert key_file.read_text().strip() == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


# ---------------------------------------------------------------------------------------------
# Keyring unavailable, hanging, and the real Secret Service


async def test_keyring_unavailable_is_named_and_env_becomes_the_default(
    services: Services, memory_store: MemoryStore, use_backend: Any
) -> None:
    from keyring.backends import fail

    use_backend(fail.Keyring())
    services = dataclasses.replace(services, keyring_probe=lambda: probe_keyring(2.0))
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        status = text_of(app, "#keyring-status")
        assert status.startswith("✗") and "not usable" in status
        keyring_button = app.screen.query_one("#store-keyring", RadioButton)
        assert keyring_button.disabled
        assert app.screen.query_one("#store-env", RadioButton).value is True
        await pilot.press(*KEY, "enter")
        await settle(app, pilot)
        assert step_of(app) == "connectivity"
        assert app.state.key_store == "env"
    assert memory_store.get("default") is None


async def test_hanging_keyring_shows_progress_then_a_timeout_and_never_freezes(
    services: Services,
) -> None:
    release = threading.Event()
    calls: list[int] = []

    def hang() -> KeyringStatus:
        calls.append(1)
        release.wait(60)  # a backend waiting for an unlock prompt nobody can answer
        return KeyringStatus(available=True, backend="too late")

    services = dataclasses.replace(services, keyring_probe=hang, keyring_timeout=3.0)
    app = make_app(services, KEY_STATE, start_step="apikey")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.pause()
            # While the probe hangs: progress shown, and the UI still takes input.
            assert calls
            assert "Checking the OS keyring" in text_of(app, "#keyring-status")
            await pilot.press("s", "k", "-")
            app.screen.query_one("#api-key", Input).value += KEY[3:]
            await pilot.pause()
            assert "sk-…cdef" in text_of(app, "#key-preview")
            await pilot.press("enter")
            await pilot.pause()
            assert t("screen_apikey.still_probing")[:30] in text_of(app, "#nav-status")
            await settle(app, pilot)
            status = text_of(app, "#keyring-status")
            assert status.startswith("✗") and "did not answer within 3 s" in status
            assert app.screen.query_one("#store-env", RadioButton).value is True
            await pilot.press("enter")
            await settle(app, pilot)
            assert step_of(app) == "connectivity"
    finally:
        release.set()


async def test_probe_error_text_never_reaches_the_screen(services: Services) -> None:
    def broken() -> KeyringStatus:
        raise RuntimeError(f"Illegal header value b'Bearer {KEY}'")

    services = dataclasses.replace(services, keyring_probe=broken)
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        status = text_of(app, "#keyring-status")
        assert "RuntimeError" in status
        assert KEY not in screen_text(app)


async def test_real_secret_service_stores_the_key(secret_service: Any, tmp_path: Path) -> None:
    import keyring

    services = Services(
        config_path=tmp_path / "config.yaml",
        key_store_factory=lambda kind: store_for(KeyRef(kind), tmp_path, keyring_timeout=10.0),
        keyring_probe=lambda: probe_keyring(10.0),
        keyring_timeout=12.0,
    )
    state = dataclasses.replace(KEY_STATE, profile_name="tui-real")
    app = make_app(services, state, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "SecretService" in text_of(app, "#keyring-status")
        await pilot.press(*KEY, "enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "connectivity"
    try:
        assert keyring.get_password("modelstudio-setup", "tui-real") == KEY
    finally:
        keyring.delete_password("modelstudio-setup", "tui-real")


# ---------------------------------------------------------------------------------------------
# Welcome with existing profiles


def _write_profile(config_path: Path) -> None:
    from app.config.schema import Config
    from app.config.validate import make_profile
    from app.config.write import atomic_write

    profile, _notices = make_profile(
        "work", region="ap-southeast-1", endpoint_style="workspace", workspace_id=WS
    )
    config_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(config_path, Config().with_profile(profile).dump())


async def test_welcome_offers_edit_troubleshoot_and_new(services: Services) -> None:
    _write_profile(services.config_path)
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "work" in screen_text(app)
        # A new profile may not reuse the name.
        app.screen.query_one("#profile-name", Input).value = "work"
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "welcome"
        assert "already exists" in text_of(app, "#nav-status")
        # Edit: every later step starts from the saved profile.
        radio = app.screen.query_one("#action", RadioSet)
        radio.query(RadioButton)[1].value = True
        await settle(app, pilot)
        await pilot.click("#next")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
        assert app.state.editing_existing and app.state.profile_name == "work"
        assert app.state.region == "ap-southeast-1" and app.state.workspace_id == WS


async def test_troubleshoot_opens_the_doctor_screen_for_the_selected_profile(
    services: Services,
) -> None:
    _write_profile(services.config_path)
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#action", RadioSet).query(RadioButton)[2].value = True
        await settle(app, pilot)
        await pilot.click("#next")
        await pilot.pause()
        assert type(app.screen).__name__ == "DoctorScreen"
        assert app.screen.profile_name == "work"
        await settle(app, pilot)
        assert re.search(r"\bwork\b", screen_text(app))  # names the profile it checks


async def test_editing_a_profile_keeps_its_stored_key_without_retyping(
    services: Services, memory_store: MemoryStore
) -> None:
    _write_profile(services.config_path)
    memory_store.set("work", ApiKey(KEY))
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#action", RadioSet).query(RadioButton)[1].value = True
        await settle(app, pilot)
        await pilot.click("#next")
        await settle(app, pilot)
        await pilot.press("enter", "enter")  # confirm the residency, Next
        await settle(app, pilot)
        assert step_of(app) == "recommendation"
        assert app.screen.chosen_region == "ap-southeast-1"  # the profile's, not a new pick
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#workspace-id", Input).value == WS
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "apikey"
        assert "sk-…cdef" in app.screen.query_one("#api-key", Input).placeholder
        assert KEY not in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        # Same key, same store: no confirmation, nothing rewritten.
        assert step_of(app) == "connectivity"
        assert app.state.api_key == ApiKey(KEY) and app.state.key_saved


async def test_profile_given_on_the_command_line_is_edited_by_default(
    services: Services,
) -> None:
    _write_profile(services.config_path)
    app = make_app(services, WizardState(profile_name="work"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
        assert app.state.editing_existing and app.state.workspace_id == WS


async def test_language_switch_on_the_key_step_keeps_key_and_keyring_verdict(
    services: Services, memory_store: MemoryStore
) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*KEY)
        await pilot.press("f2")
        await settle(app, pilot)
        assert t("wizard.title.apikey", "zh") in screen_text(app)
        assert "系统密钥环可用" in text_of(app, "#keyring-status")
        assert "sk-…cdef" in text_of(app, "#key-preview")
        assert KEY not in screen_text(app)
        app.screen.query_one("#api-key").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "connectivity"
    assert memory_store.get("default") == ApiKey(KEY)


async def test_unreadable_config_is_named_and_never_touched(services: Services) -> None:
    services.config_path.parent.mkdir(parents=True, exist_ok=True)
    services.config_path.write_text("profiles: [unclosed\n")
    before = services.config_path.read_bytes()
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        problem = text_of(app, "#config-problem")
        assert problem.startswith("!") and "cannot be used" in problem
        assert "line" in problem  # where the YAML breaks
        assert not app.screen.query("#action")  # only "new" can be offered
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
    assert services.config_path.read_bytes() == before
