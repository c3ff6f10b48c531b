"""E27: in Chinese, no line the wizard or the doctor screen draws starts with a closing mark
("。", "）", "，" ...) or ends with an opening one ("（", "“" ...), at 80x24 and 100x32.

Read from what each widget renders (its lines as drawn, `render_line`): every step of the
demo wizard walked with Enter, a failed check with the consent dialog, the doctor screen;
then each of them resized to widths from 80 to 121 (odd ones too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.i18n import set_language
from app.core.linebreak import CLOSING, OPENING
from app.tui import make_app
from tests.fixtures.tui_connect import (
    settle,
)

SIZES = [(80, 24), (100, 32)]
RESIZES = [(width, 40) for width in range(80, 122, 3)]  # odd widths too
NOT_PROSE = ("export-preview", "url-preview")  # file content and URLs: drawn as they are


def bad_lines(screen: Any) -> list[tuple[str, str]]:
    """(widget, line) for each drawn line that starts with a closing mark (unless the
    widget's text itself starts a paragraph with it) or ends with an opening mark."""
    found = []
    for widget in screen.query("Static, ToggleButton, Button"):
        if widget.has_class("copy-text") or widget.id in NOT_PROSE or not widget.display:
            continue
        starts = [p.strip() for p in str(widget.render()).split("\n")]
        for y in range(widget.size.height):
            line = widget.render_line(y).text.strip()
            if not line:
                continue
            if line[0] in CLOSING and not any(p.startswith(line) for p in starts):
                found.append((widget.id or type(widget).__name__, line))
            if line[-1] in OPENING:
                found.append((widget.id or type(widget).__name__, line))
    return found


async def bad_lines_resized(pilot: Any) -> dict[str, list[tuple[str, str]]]:
    """`bad_lines` of the screen after a resize to each of RESIZES."""
    bad = {}
    for size in RESIZES:
        await pilot.resize_terminal(*size)
        await pilot.pause()
        if found := bad_lines(pilot.app.screen):
            bad[f"{type(pilot.app.screen).__name__} at {size}"] = found
    return bad


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_no_wizard_line_in_chinese_starts_with_a_closing_mark(tmp_path: Path, size) -> None:
    from app.demo import start_demo

    set_language("zh")
    env = start_demo(tmp_path / "demo", lang="zh")
    try:
        app = make_app(env.services, env.state)
        async with app.run_test(size=size) as pilot:
            seen: list[str] = []
            bad: dict[str, list[tuple[str, str]]] = {}
            for _ in range(30):
                await settle(app, pilot)
                step = getattr(app.screen, "STEP", type(app.screen).__name__)
                if step not in seen:
                    seen.append(step)
                    if found := bad_lines(app.screen):
                        bad[step] = found
                if step == "done":
                    break
                await pilot.press("enter")
            assert seen[-1] == "done", seen
            assert len(seen) >= 8, seen
            # Re-broken on resize (the Done step has the longest paragraph).
            bad.update(await bad_lines_resized(pilot))
            assert not bad, bad
    finally:
        env.simulator.stop_thread()
        set_language("en")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_no_doctor_line_in_chinese_starts_with_a_closing_mark(tmp_path: Path, size) -> None:
    from app.config.io import modify_config
    from app.config.validate import make_profile
    from app.demo import start_demo

    set_language("zh")
    env = start_demo(tmp_path / "demo", lang="zh")
    try:
        acc = env.simulator.accounts["demo"]
        profile, _ = make_profile("demo", region=acc.region, workspace_id=acc.workspace_id)
        modify_config(env.services.config_path, lambda c: c.with_profile(profile))
        env.services.key_store_factory("keyring").set("demo", env.services.demo_key)
        app = make_app(env.services, env.state, doctor_profile="demo")
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot, "doctor")
            assert type(app.screen).__name__ == "DoctorScreen"
            assert app.screen.query(".probe-finding") or app.screen.query("#probe-verdict")
            assert not bad_lines(app.screen)
            assert not await bad_lines_resized(pilot)
            assert not await bad_lines_resized(pilot)
    finally:
        env.simulator.stop_thread()
        set_language("en")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_no_line_of_a_failed_check_or_the_consent_dialog_starts_with_a_closing_mark(
    tmp_path: Path, size
) -> None:
    """A key of another region: 401, its findings (the longest Chinese paragraphs), then the
    dialog that asks before trying the key elsewhere."""
    from dataclasses import replace

    from app.demo import start_demo
    from app.secrets.key import ApiKey

    set_language("zh")
    env = start_demo(tmp_path / "demo", lang="zh")
    try:
        state = replace(
            env.state,
            residency="outside-mainland",
            region="ap-southeast-1",
            scope="international",
            model="qwen-flash",
            api_key=ApiKey(env.simulator.key("us-east-1")),
            key_store="keyring",
            key_saved=True,
        )
        app = make_app(env.services, state, start_step="connectivity")
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot, "probe")
            assert app.screen.query(".probe-finding.-error") or app.screen.query(".probe-finding")
            assert not bad_lines(app.screen)
            assert not await bad_lines_resized(pilot)
            await pilot.resize_terminal(*size)
            await pilot.pause()
            app.screen.query_one("#conn-find-region").press()
            await pilot.pause()
            await pilot.pause()
            assert type(app.screen).__name__ == "ConsentScreen"
            assert not bad_lines(app.screen)
            assert not await bad_lines_resized(pilot)
    finally:
        env.simulator.stop_thread()
        set_language("en")


async def test_prose_is_a_static_in_english_and_copies_a_chinese_paragraph_whole() -> None:
    from textual.app import App, ComposeResult
    from textual.geometry import Offset
    from textual.selection import Selection
    from textual.widgets import Static

    from screens.widgets import Prose

    english = "Nothing is written until you press Write: every file is previewed first."
    chinese = "演示模式：配置、密钥文件和导出文件都位于临时目录中，退出时会被删除。"

    class Demo(App[None]):
        CSS = "Static { width: 24; }"

        def compose(self) -> ComposeResult:
            yield Static(english, id="static")
            yield Prose(english, id="prose")
            yield Prose(chinese, id="zh")

    app = Demo()
    async with app.run_test(size=(40, 20)):

        def drawn(selector: str) -> list[str]:
            widget = app.query_one(selector)
            return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]

        assert drawn("#prose") == drawn("#static")
        assert drawn("#zh") == [
            "演示模式：配置、密钥文件",
            "和导出文件都位于临时目录",
            "中，退出时会被删除。",
        ]
        zh = app.query_one("#zh")
        app.screen.selections = {zh: Selection(None, None)}
        assert app.screen.get_selected_text() == chinese  # no newlines where it was broken
        app.screen.selections = {zh: Selection(Offset(2, 0), Offset(3, 1))}
        assert app.screen.get_selected_text() == "模式：配置、密钥文件和导出"
        assert str(zh.render()) == chinese
