"""Connectivity step against the simulator (real loopback sockets, real TLS)."""

from __future__ import annotations

from pathlib import Path

from app.simulator.faults import Fault
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    open_dialog,
    screen_text,
    services_for,
    settle,
    state_for,
    widget_text,
)


async def test_happy_path_rows_pass_and_next_carries_the_result(simulator, tmp_path: Path):
    state = state_for(simulator)
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        screen = app.screen
        rows = widget_text(screen, ".probe-row")
        assert rows.count("✓") >= 3 and rows.count("passed") == 3, rows
        for name in ("OpenAI-compatible", "Anthropic-compatible", "DashScope native"):
            assert name in rows
        assert state.workspace_id in widget_text(screen, "#probe-host")  # the host tested
        assert "ms" in rows  # phase timings are drawn
        assert "All checks passed" in widget_text(screen, "#probe-verdict")
        assert "No problems found" in widget_text(screen, ".probe-finding")
        assert not screen.query_one("#conn-find-region").display
        assert_key_not_shown(screen_text(app), simulator.key("demo"))
        await screen.action_next()
        await pilot.pause()
        assert app.screen.STEP == "export"
        assert app.screen.state.probe_result.verdict == "ok"


async def test_findings_show_message_remedy_and_request_id(simulator, tmp_path: Path):
    state = state_for(simulator, "arrears")
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        findings = widget_text(app.screen, ".probe-finding")
        assert "✗ error" in findings
        assert "Fix:" in findings
        assert "Request id:" in findings
        result = app.screen.collect().probe_result
        assert {f.code for f in result.findings} == {"arrears"}
        request_id = result.findings[0].request_ids[0]
        assert request_id in findings
        assert "failed" in widget_text(app.screen, "#probe-verdict")


async def test_retry_after_a_transient_server_error(simulator, tmp_path: Path):
    simulator.inject(Fault(kind="server_error"))
    state = state_for(simulator)
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        codes = {f.code for f in app.screen.collect().probe_result.findings}
        assert codes == {"server_error"}
        simulator.clear_faults()
        app.screen.query_one("#conn-retry").press()
        await settle(app, pilot, "probe")
        assert app.screen.collect().probe_result.verdict == "ok"
        assert "All checks passed" in widget_text(app.screen, "#probe-verdict")


async def test_rejected_key_consent_declined_sends_nothing_elsewhere(simulator, tmp_path):
    # A Virginia key on a Singapore workspace: 401, and the key may belong to another region.
    state = state_for(simulator, "demo", key_account="us-east-1")
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        screen = app.screen
        assert {f.code for f in screen.collect().probe_result.findings} == {"key_rejected"}
        button = screen.query_one("#conn-find-region")
        assert button.display
        before = len(simulator.requests)
        app.screen.query_one("#conn-find-region").press()
        await pilot.pause()
        dialog = app.screen
        assert type(dialog).__name__ == "ConsentScreen"
        text = screen_text(app)
        assert "Send this key to other regions?" in text
        assert state.api_key.masked() in text
        assert_key_not_shown(text, simulator.key("us-east-1"))
        # The safe answer has the focus: Enter declines.
        await pilot.press("enter")
        await settle(app, pilot, "probe")
        assert app.screen is screen
        assert "Not checked" in widget_text(screen, "#conn-hint")
        assert len(simulator.requests) == before


async def test_rejected_key_consent_given_names_the_owning_region(simulator, tmp_path):
    state = state_for(simulator, "demo", key_account="us-east-1")
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        await open_dialog(app, pilot, "#conn-find-region")
        app.screen.query_one("#consent-yes").press()
        await settle(app, pilot, "probe")
        screen = app.screen
        result = screen.collect().probe_result
        assert {f.code for f in result.findings} == {"key_other_region"}
        findings = widget_text(screen, ".probe-finding")
        assert "us-east-1" in findings
        # The other regions' hosts got rows of their own.
        assert "dashscope-us.aliyuncs.com" in widget_text(screen, ".probe-row")
        assert_key_not_shown(screen_text(app), simulator.key("us-east-1"))


async def test_back_to_fix_the_workspace_then_return(simulator, tmp_path: Path):
    # A workspace that is not the key's: fix it on Workspace, come back, passes.
    wrong = state_for(simulator, "demo", workspace_id="ws-0000000000000000")
    app = make_app(services_for(tmp_path, simulator), wrong, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        assert app.screen.collect().probe_result.verdict == "fail"
        assert "Back" in widget_text(app.screen, "#conn-hint")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.STEP == "apikey"
        # Simulate the user fixing the workspace on the earlier steps, then going forward.
        fixed = state_for(simulator, "demo")
        app.screen.dismiss(fixed)
        await settle(app, pilot, "probe")
        assert app.screen.STEP == "connectivity"
        assert app.screen.collect().probe_result.verdict == "ok"


async def test_chinese_rows_and_findings(simulator, tmp_path: Path):
    state = state_for(simulator, "arrears", lang="zh")
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        rows = widget_text(app.screen, ".probe-row")
        assert "OpenAI 兼容" in rows
        findings = widget_text(app.screen, ".probe-finding")
        assert "✗ 错误" in findings and "解决办法" in findings


async def test_no_key_says_so_and_sends_nothing(simulator, tmp_path: Path):
    state = state_for(simulator)
    import dataclasses

    state = dataclasses.replace(state, api_key=None)
    assert isinstance(state, WizardState)
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        assert "No API key" in widget_text(app.screen, "#probe-verdict")
        assert simulator.requests == []


async def test_language_switch_after_a_401_keeps_the_offer(simulator, tmp_path: Path):
    state = state_for(simulator, "demo", key_account="us-east-1")
    app = make_app(services_for(tmp_path, simulator), state, start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "probe")
        await pilot.press("f2")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        button = screen.query_one("#conn-find-region")
        assert button.display and "查找" in str(button.label)
        assert "解决办法" in widget_text(screen, ".probe-finding")
        assert "失败" in widget_text(screen, ".probe-row")


async def test_rows_fill_in_live_while_a_surface_is_still_waiting(simulator, tmp_path: Path):
    # The native surface never answers: the other rows finish and show it while that one is
    # still being checked; then its deadline turns it into a timeout finding.
    import asyncio
    import dataclasses

    simulator.inject(Fault(kind="hang", path_prefix="/api/v1"))
    services = services_for(tmp_path, simulator)
    services.probe_options = dataclasses.replace(services.probe_options, timeout=3.0)
    app = make_app(services, state_for(simulator), start_step="connectivity")
    async with app.run_test(size=(100, 32)) as pilot:
        rows = ""
        for _ in range(200):  # bounded wait for the two answering surfaces
            await asyncio.sleep(0.05)
            rows = widget_text(app.screen, ".probe-row")
            if rows.count("passed") == 2:
                break
        lines = [line for line in rows.splitlines() if line.startswith(("✓", "…", "✗"))]
        native = next(line for line in lines if "DashScope native" in line)
        assert native.startswith("…") and "checking" in native, rows
        assert "Checking" in widget_text(app.screen, "#probe-verdict")
        await settle(app, pilot, "probe")
        codes = {f.code for f in app.screen.collect().probe_result.findings}
        assert codes == {"timeout"}
        assert "✗ DashScope native" in widget_text(app.screen, ".probe-row")


async def test_findings_and_rows_are_drawn_as_text_not_markup():
    """A message with square brackets (API texts, paths) must not be parsed as markup."""
    from types import SimpleNamespace

    from textual.app import App

    from app.findings.codes import Finding
    from screens.parts.probe_view import ProbeView

    # A real finding whose values came from the server: an API code with brackets.
    finding = Finding(
        "server_error",
        "openai",
        "ap-southeast-1",
        "h[1]",
        ("r-1",),
        {"status": 500, "api_code": "[bold]boom[/] at [0]"},
    )
    check = SimpleNamespace(
        surface="openai",
        event_surface="openai",
        host="h[1]",
        status="fail",
        phases={},
        http_status=500,
        request_id=None,
        finding=None,
        steps=(),
    )
    result = SimpleNamespace(
        checks=[check], ownership=[], findings=[finding], verdict="fail", verdict_words="fail"
    )

    class Host(App):
        def compose(self):
            yield ProbeView(id="probe", result=result)

    app = Host()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        text = screen_text(app)  # what is drawn, not the source string
        assert "[bold]boom[/] at [0]" in text and "r-1" in text
        assert "HTTP 500" in widget_text(app.screen, ".probe-row")
