"""A live language switch (F2 or the palette) redraws an open doctor screen in place."""

from __future__ import annotations

from app.core.i18n import get_language
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from tests.fixtures.tui_connect import (
    doctor_app,
    save_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)


async def test_f2_redraws_an_open_doctor_screen_and_keeps_the_result(simulator, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        screen = app.screen
        assert "Doctor: work" in screen_text(app)
        assert screen.save_report() is not None
        await pilot.pause()
        await pilot.press("f2")
        await settle(app, pilot)
        assert get_language() == "zh" and app.screen is screen
        text = screen_text(app)
        assert "诊断：work" in text and "Doctor: work" not in text
        assert "重试" in text and "保存报告" in text and "关闭" in text
        assert "部署范围" in widget_text(screen, "#doctor-subtitle")
        # The finished run is kept (no re-run), its rows and verdict in Chinese.
        assert widget_text(screen, ".probe-row").count("通过") == 3
        assert "Redacted report saved" not in widget_text(screen, "#doctor-status")
        assert widget_text(screen, "#doctor-status")  # the report line, in Chinese
        assert "Retry" not in text  # footer labels too
        await pilot.press("f2")
        await settle(app, pilot)
        assert "Doctor: work" in screen_text(app)
        assert "Redacted report saved" in widget_text(screen, "#doctor-status")
