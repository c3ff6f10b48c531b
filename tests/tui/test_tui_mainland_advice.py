"""The Recommendation step for "data must stay in the Chinese mainland" (issue 9): Beijing,
with the China Elastic Zone caveat and the models that keep the data there, in English and
Chinese, as the user reads them on screen (80x24, scrolled as a user would)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.i18n import set_language
from app.services import Services
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_steps import SIZE, settle, text_of


async def run_settled(app: Any, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await settle(app, pilot)


@pytest.mark.parametrize(
    ("lang", "caveat", "elastic"),
    [("en", "2026-10-13", "China Elastic Zone"), ("zh", "2026-10-13", "中国弹性区")],
)
async def test_mainland_shows_the_elastic_zone_caveat_and_the_mainland_models(
    services: Services, lang: str, caveat: str, elastic: str
) -> None:
    set_language(lang)
    try:
        state = WizardState(residency="mainland", lang=lang)
        app = make_app(services, state, start_step="recommendation")
        async with app.run_test(size=SIZE) as pilot:
            await run_settled(app, pilot)
            assert app.screen.rec.region == "cn-beijing"
            why = text_of(app, "#rec-why")
            assert caveat in why and elastic in why
            advice = app.screen.rec.model_advice
            assert advice and advice.splitlines()[0][:40] in why
            # The mainland models are named; the Elastic Zone one is on the other side.
            mainland, _, elsewhere = advice.partition("qwen3.7-plus")
            assert "qwen-flash" in mainland and elsewhere is not None
    finally:
        set_language("en")


async def test_eu_has_no_model_advice(services: Services) -> None:
    app = make_app(services, WizardState(residency="eu"), start_step="recommendation")
    async with app.run_test(size=SIZE) as pilot:
        await run_settled(app, pilot)
        assert app.screen.rec.model_advice is None
        assert "2026-10-13" not in text_of(app, "#rec-why")
