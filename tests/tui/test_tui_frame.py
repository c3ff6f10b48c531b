"""The wizard's frame: step list, DEMO banner, language switch, quitting, the palette,
the non-interactive refusal, and crashes that never print the key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, RadioButton, Static

from app.core.i18n import t
from app.secrets.key import ApiKey
from app.secrets.keyring import KeyringStatus
from app.secrets.stores import MemoryStore
from app.services import Services
from app.state import STEPS, WizardState
from app.tui import WizardApp, make_app

SIZE = (80, 24)
KEY = "sk-0123456789abcdef0123456789abcdef"
MY_STEPS = ("welcome", "scenario", "recommendation", "workspace", "apikey")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def services(tmp_path: Path, memory_store: MemoryStore) -> Services:
    return Services(
        config_path=tmp_path / "config.yaml",
        key_store_factory=lambda kind: memory_store,
        keyring_probe=lambda: KeyringStatus(available=True, backend="memory (test)"),
        keyring_timeout=2.0,
    )


async def settle(app: WizardApp, pilot: Any) -> None:
    mine = [w for w in app.workers if getattr(w.node, "STEP", "") in MY_STEPS]
    await app.workers.wait_for_complete(mine)
    await pilot.pause()
    await pilot.pause()


def plain(app: WizardApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def step_of(app: WizardApp) -> str:
    return getattr(app.screen, "STEP", type(app.screen).__name__)


STATE_AT = {
    "welcome": WizardState(),
    "scenario": WizardState(),
    "recommendation": WizardState(residency="eu", needs=("fine-tuning",)),
    "workspace": WizardState(residency="none", region="eu-central-1", scope="global"),
    "apikey": WizardState(residency="none", region="ap-southeast-1", endpoint_style="shared"),
}


@pytest.mark.parametrize("step", MY_STEPS)
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_step_fits_80x24_with_step_list_and_nav(
    services: Services, step: str, lang: str
) -> None:
    """Title, step list (done ticked, current marked), Back/Next and the footer all visible."""
    import dataclasses

    state = dataclasses.replace(STATE_AT[step], lang=lang, demo=True)
    app = make_app(services, state, start_step=step)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = plain(app)
        lines = screen.splitlines()
        assert len(lines) == 24
        assert t(f"wizard.title.{step}", lang) in screen
        assert t("wizard.demo_banner", lang)[:20] in lines[0]
        index = STEPS.index(step)
        for i, name in enumerate(STEPS):
            label = t(f"wizard.step.{name}", lang)
            mark = "✓" if i < index else ("▸" if i == index else "·")
            assert f"{mark} {label}" in screen
        nav = lines[-2]
        assert t("wizard.nav.next", lang) in nav and t("wizard.nav.back", lang) in nav
        assert t("wizard.binding.quit", lang) in lines[-1]


async def test_recommendation_shows_the_conflict_and_the_placement_diagram(
    services: Services,
) -> None:
    app = make_app(services, STATE_AT["recommendation"], start_step="recommendation")
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(app, pilot)
        card = str(app.screen.query_one("#rec-card", Static).render())
        assert "Germany (Frankfurt)" in card and "EU" in card
        why = str(app.screen.query_one("#rec-why", Static).render())
        assert "✗ No region satisfies all of this" in why
        diagram = plain(app)
        data_row = re.search(r"Data +([■·][■· ]*)", diagram)
        inference_row = re.search(r"Inference +([■·][■· ]*)", diagram)
        assert data_row and inference_row
        assert data_row.group(1).split() == ["·", "■", "·", "·"]  # stored in Europe
        assert inference_row.group(1).split() == ["·", "■", "·", "·"]  # EU scope
        # Override: Beijing gives fine-tuning but the data leaves the EU; said so.
        app.screen.query_one("#region").value = "cn-beijing"
        await settle(app, pilot)
        consequences = str(app.screen.query_one("#consequences", Static).render())
        assert "Fine-tuning: available in this region" in consequences
        assert "Data is stored in China (Beijing)" in consequences
        assert "✗" in consequences or "!" in consequences
        card = str(app.screen.query_one("#rec-card", Static).render())
        assert "Your choice" in card
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.state.region == "cn-beijing" and app.state.scope == "mainland"


async def test_language_switch_is_live_and_keeps_input(services: Services) -> None:
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert t("wizard.title.welcome", "en") in plain(app)
        app.screen.query_one("#language").query(RadioButton)[1].value = True
        await settle(app, pilot)
        assert t("wizard.title.welcome", "zh") in plain(app)
        assert app.state.lang == "zh"
        assert "✓" not in plain(app).split("\n")[0]
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
        assert t("screen_scenario.residency", "zh") in plain(app)
    assert app.state.lang == "zh"


async def test_f2_switches_language_on_a_step_keeping_what_was_typed(
    services: Services,
) -> None:
    app = make_app(services, STATE_AT["workspace"], start_step="workspace")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"ws-abc12345")
        await pilot.press("f2")
        await settle(app, pilot)
        assert t("wizard.title.workspace", "zh") in plain(app)
        assert app.screen.query_one("#workspace-id", Input).value == "ws-abc12345"
        status = str(app.screen.query_one("#workspace-status", Static).render())
        assert "业务空间 ID 有效" in status
        await pilot.press("f2")
        await settle(app, pilot)
        assert t("wizard.title.workspace", "en") in plain(app)


async def test_ctrl_q_quits_at_once_when_nothing_was_entered(services: Services) -> None:
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    # The state goes out, so the last line can say what was written: nothing (D18).
    assert app.return_value is not None and app.return_value.written == ()
    assert not app.is_running


async def test_ctrl_q_asks_first_when_something_is_not_saved(services: Services) -> None:
    app = make_app(services, WizardState(), start_step="scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # residency chosen: something to lose
        await settle(app, pilot)
        await pilot.press("ctrl+q")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert t("wizard.quit.title") in plain(app)
        await pilot.press("enter")  # the focused answer is "Stay"
        await settle(app, pilot)
        assert step_of(app) == "scenario" and app.is_running
        await pilot.press("ctrl+q")
        await settle(app, pilot)
        await pilot.click("#confirm-yes")
        await pilot.pause()
    assert not app.is_running


async def test_palette_offers_doctor_language_and_a_quit_that_asks(services: Services) -> None:
    app = make_app(services, WizardState(lang="zh"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        for key in ("wizard.cmd.doctor", "wizard.cmd.language", "wizard.cmd.quit"):
            assert t(key, "zh") in titles
        assert "Quit" not in titles  # Textual's own Quit (which never asks) is replaced
        language = next(c for c in commands if c.title == t("wizard.cmd.language", "zh"))
        await language.callback()
        await settle(app, pilot)
        assert app.state.lang == "en"
        assert t("wizard.title.welcome", "en") in plain(app)


async def test_crash_traceback_shows_no_locals(
    services: Services, capfd: pytest.CaptureFixture[str]
) -> None:
    """A bug must not print the key: Textual's crash screen shows locals by default."""
    key = ApiKey(KEY)
    app = make_app(services, WizardState())

    def boom() -> None:
        raw = key.reveal()  # a local holding the key, as in a header builder
        raise RuntimeError("boom " + str(len(raw)))

    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.call_later(boom)
            await pilot.pause()
            await pilot.pause()
    captured = capfd.readouterr()
    rendered = captured.err + captured.out
    assert "RuntimeError" in rendered and "boom" in rendered
    assert KEY not in rendered


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


@pytest.mark.parametrize("args", [(), ("wizard",), ("--lang", "zh"), ("wizard", "--lang", "zh")])
def test_without_a_terminal_the_wizard_explains_the_flags_and_exits_2(
    args: tuple[str, ...],
) -> None:
    result = _run_cli(*args)
    assert result.returncode == 2
    for command in ("recommend", "configure", "export", "doctor"):
        assert command in result.stderr
    expected = t("wizard.not_interactive", "zh" if "zh" in args else "en").splitlines()[0]
    assert expected in result.stderr
    assert result.stdout == ""


async def test_palette_is_reached_with_ctrl_p_and_switches_language(
    services: Services,
) -> None:
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Switch language")
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        for _ in range(50):  # the palette searches in the background
            if options.option_count:
                break
            await pilot.pause(0.05)
        assert options.option_count >= 1
        first = str(options.get_option_at_index(0).prompt)
        assert t("wizard.cmd.language") in first
        if options.highlighted != 0:
            options.highlighted = 0
        await pilot.press("enter")
        await pilot.pause(0.3)
        await settle(app, pilot)
        assert app.state.lang == "zh"
        assert t("wizard.title.welcome", "zh") in plain(app)


MY_DOMAINS = (
    "wizard",
    "screen_welcome",
    "screen_scenario",
    "screen_recommendation",
    "screen_workspace",
    "screen_apikey",
)


@pytest.mark.parametrize("domain", MY_DOMAINS)
def test_wizard_messages_exist_in_both_languages_with_the_same_placeholders(
    domain: str,
) -> None:
    from app.core.i18n import messages, placeholders

    en = {k: v for k, v in messages("en").items() if k.startswith(domain + ".")}
    zh = {k: v for k, v in messages("zh").items() if k.startswith(domain + ".")}
    assert en, f"no messages for {domain}"
    assert set(en) == set(zh)
    for key, text in en.items():
        assert placeholders(text) == placeholders(zh[key]), key


def test_bad_profile_flag_is_refused_before_anything_else() -> None:
    result = _run_cli("--profile", "../etc/passwd")
    assert result.returncode == 2
    assert "../etc/passwd" in result.stderr or "profile" in result.stderr.lower()
    assert t("wizard.not_interactive", "en").splitlines()[0] not in result.stderr
