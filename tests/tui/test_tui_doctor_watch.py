"""The doctor screen over time: every run is kept and drawn as a latency plot (a sparkline
per surface, p50 / p95 / max, ✗ for a failed run), and Watch runs the checks again and
again until pressed again. Against the simulator over real loopback TLS."""

from __future__ import annotations

import re

import pytest

from app.findings.series import SPARK_FAIL
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.simulator.faults import Fault
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    doctor_app,
    save_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)


def _plot_lines(screen) -> list[str]:
    return widget_text(screen, "#doctor-plot").splitlines()


async def _retry(app, pilot) -> None:
    app.screen.query_one("#doctor-retry").press()
    await settle(app, pilot, "doctor")


async def test_the_plot_appears_from_the_second_run_and_marks_a_failed_one(simulator, tmp_path):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    app = doctor_app(services)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot, "doctor")
        plot = app.screen.query_one("#doctor-plot")
        assert not plot.display  # one run: nothing to plot yet
        simulator.inject(Fault("server_error", path_prefix="/compatible-mode/v1/chat", times=1))
        await _retry(app, pilot)
        await _retry(app, pilot)
        assert plot.display
        lines = _plot_lines(app.screen)
        assert "Latency over 3 runs" in lines[0], lines
        rows = {line.split()[0]: line for line in lines[1:]}
        assert set(rows) == {"OpenAI-compatible", "Anthropic-compatible", "DashScope"}, rows
        openai = rows["OpenAI-compatible"]
        # Run 1 passed, run 2 got the 500 on the OpenAI surface, run 3 passed again.
        spark = openai.split()[1]
        assert len(spark) == 3 and spark[1] == SPARK_FAIL, openai
        assert "failed 1/3" in openai and "p95" in openai
        assert SPARK_FAIL not in rows["DashScope"]
        assert_key_not_shown(screen_text(app), simulator.key("demo"))


async def test_watch_runs_again_until_pressed_again(simulator, tmp_path, monkeypatch):
    import screens.doctor as doctor_screen

    monkeypatch.setattr(doctor_screen, "WATCH_INTERVAL", 0.2)
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    app = doctor_app(services)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot, "doctor")
        watch = app.screen.query_one("#doctor-watch")
        assert str(watch.label) == "Watch"
        await pilot.press("w")
        assert str(watch.label) == "Stop watching"
        assert "Watching" in widget_text(app.screen, "#doctor-status")
        plot = app.screen.query_one("#doctor-plot")
        for _ in range(200):  # bounded wait for a few more runs, not a timing claim
            if len(plot.samples) >= 4:
                break
            await pilot.pause(0.05)
        assert len(plot.samples) >= 4
        await pilot.press("w")
        assert str(watch.label) == "Watch"
        status = widget_text(app.screen, "#doctor-status")
        match = re.search(r"Watch stopped after (\d+) runs\.", status)
        assert match, status
        said = int(match.group(1))  # the runs finished when Watch was stopped
        assert said >= 4
        await settle(app, pilot, "doctor")  # a run under way still finishes and is plotted
        stopped = len(plot.samples)
        assert stopped in (said, said + 1)
        await pilot.pause(0.6)  # three intervals: no run starts any more
        assert len(plot.samples) == stopped
        assert f"Latency over {stopped} runs" in widget_text(app.screen, "#doctor-plot")
        assert_key_not_shown(screen_text(app), simulator.key("demo"))


@pytest.mark.parametrize("lang", ["zh"])
async def test_the_plot_follows_the_language(simulator, tmp_path, lang):
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    save_profile(services, simulator)
    store.set("work", ApiKey(simulator.key("demo")))
    app = doctor_app(services)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(app, pilot, "doctor")
        await _retry(app, pilot)
        assert "Latency over 2 runs" in widget_text(app.screen, "#doctor-plot")
        await pilot.press("f2")
        await settle(app, pilot)
        text = widget_text(app.screen, "#doctor-plot")
        assert "2 次检测的延迟" in text and "Latency" not in text, text
        assert "失败 0/2" in text
        await pilot.press("f2")  # back to English: the language is the process's
        await settle(app, pilot)
        assert "Latency over 2 runs" in widget_text(app.screen, "#doctor-plot")
