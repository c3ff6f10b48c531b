"""The language is the run's, not the process's (issue 8): the App speaks its state's
language and gives the process its own back when it ends, and so does `main()`, however it
ends. Two runs in one process (tests, an embedding program) cannot leak into each other."""

from __future__ import annotations

import dataclasses
import re

import pytest

from app.cli import main
from app.core.i18n import get_language, t
from app.tui import make_app
from tests.fixtures.tui_connect import services_for
from tests.fixtures.tui_steps import KEY_STATE

CJK = re.compile(r"[\u4e00-\u9fff]")


async def test_a_chinese_app_switched_with_f2_leaves_the_process_in_its_language(
    tmp_path,
) -> None:
    assert get_language() == "en"
    app = make_app(services_for(tmp_path), dataclasses.replace(KEY_STATE, lang="zh"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert get_language() == "zh"  # while it runs, the App's language
        assert CJK.search(t("screen_welcome.intro"))
        await pilot.press("f2")
        await pilot.pause()
        assert app.state.lang == "en" and get_language() == "en"
        await pilot.press("f2")
        await pilot.pause()
        assert get_language() == "zh"
    assert get_language() == "en"  # ended: the process's language again
    second = make_app(services_for(tmp_path / "2"), dataclasses.replace(KEY_STATE, lang="en"))
    async with second.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert not CJK.search(t("screen_welcome.intro"))


def test_main_speaks_its_lang_and_gives_the_language_back(capsys, monkeypatch) -> None:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    assert main(["--lang", "zh", "recommend", "--residency", "none"]) == 0
    assert CJK.search(capsys.readouterr().out)
    assert get_language() == "en"


def test_main_gives_the_language_back_when_argparse_exits(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--lang", "zh", "recommend", "--no-such-option"])
    assert CJK.search(capsys.readouterr().err)
    assert get_language() == "en"


def test_main_gives_the_language_back_after_a_refused_value(capsys) -> None:
    assert main(["--lang", "zh", "recommend", "--residency", "nowhere"]) == 2
    assert "nowhere" in (err := capsys.readouterr().err) and CJK.search(err)
    assert get_language() == "en"
