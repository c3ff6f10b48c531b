"""The doctor screen shows what the clients read, as the CLI doctor does (issue 11): a
temporary HOME whose ~/.bailian/config.json holds the key in plain text, and a stale
OPENAI_BASE_URL in the (injected) environment. The client findings join the run's (so the
verdict counts them), the section lists each value with its source, and the saved report
carries the section; the key is on no screen and in no report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from app.commands.doctor import tui_app, tui_exit_code
from app.secrets.key import ApiKey
from app.secrets.stores import MemoryStore
from app.simulator.proxy import ConnectProxy
from app.state import WizardState
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    doctor_app,
    save_profile,
    screen_text,
    services_for,
    settle,
    widget_text,
)

STALE = "https://api.openai.com/v1"


def setup(tmp_path: Path, simulator):
    key = simulator.key("demo")
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    services.client_env = {"OPENAI_BASE_URL": STALE}
    save_profile(services, simulator)
    store.set("work", ApiKey(key))
    home = services.client_home
    assert home is not None
    bl = home / ".bailian" / "config.json"
    bl.parent.mkdir(parents=True)
    bl.write_text(json.dumps({"api_key": key}, indent=2) + "\n")
    return services, key


def no_key(text: str, key: str) -> None:
    assert_key_not_shown(text, key)
    assert key[3:15] not in text


async def test_doctor_lists_what_the_clients_read_and_counts_their_findings(
    simulator, tmp_path: Path
) -> None:
    services, key = setup(tmp_path, simulator)
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        screen = app.screen
        assert widget_text(screen, ".probe-row").count("passed") == 3
        section = widget_text(screen, "#clients-lines")
        assert "What your clients read" in widget_text(screen, "#clients-title")
        assert f"OPENAI_BASE_URL = {STALE}" in section and "(environment;" in section, section
        assert "~/.bailian/config.json" in section and ApiKey(key).masked() in section
        findings = widget_text(screen, ".probe-finding")
        assert "OPENAI_BASE_URL (environment) is https://api.openai.com/v1" in findings
        assert "is stored in plain text in ~/.bailian/config.json" in findings
        # The verdict counts them, as the CLI's does: no longer "All checks passed".
        assert "Works, with warnings" in widget_text(screen, "#probe-verdict")
        for text in (screen_text(app), section, findings):
            no_key(text, key)
        path = screen.save_report()
        assert path is not None
        report = path.read_text()
        assert "## What your clients read" in report and "OPENAI_BASE_URL" in report
        assert "plain text" in report
        no_key(report, key)


async def test_retry_reads_the_clients_again(simulator, tmp_path: Path) -> None:
    services, _key = setup(tmp_path, simulator)
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        assert "OPENAI_BASE_URL" in widget_text(app.screen, "#clients-lines")
        # The user fixes the environment and the file, then runs the doctor again.
        assert services.client_home is not None and isinstance(services.client_env, dict)
        services.client_env.clear()
        (services.client_home / ".bailian" / "config.json").unlink()
        await pilot.press("r")
        await settle(app, pilot, "doctor")
        assert "OPENAI_BASE_URL" not in widget_text(app.screen, "#clients-lines")
        assert "No variable or setting" in widget_text(app.screen, "#clients-lines")
        assert "All checks passed" in widget_text(app.screen, "#probe-verdict")
        findings = widget_text(app.screen, ".probe-finding")
        assert findings.count("No problems found") == 1, findings  # merged once, not twice


async def test_doctor_tui_exit_code_counts_the_client_findings(simulator, tmp_path: Path):
    services, _key = setup(tmp_path, simulator)
    app, verdicts = tui_app(services, WizardState(lang="en"), "work")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        await pilot.press("ctrl+q")
        await pilot.pause()
    # The probe alone passed; with what the clients read it is a warning, as `doctor` says.
    assert verdicts == ["ok", "warn"]
    assert tui_exit_code(app.return_code, verdicts) == 1


async def test_without_a_key_the_section_is_still_shown(simulator, tmp_path: Path) -> None:
    store = MemoryStore()
    services = services_for(tmp_path, simulator, store)
    services.client_env = {"OPENAI_BASE_URL": STALE}
    save_profile(services, simulator)
    app = doctor_app(services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        assert "not in its store" in widget_text(app.screen, "#doctor-status")
        assert "OPENAI_BASE_URL" in widget_text(app.screen, "#clients-lines")
        assert simulator.requests == []


async def test_doctor_screen_shows_each_clients_route_and_tests_the_route_it_did_not_take(
    simulator, tmp_path: Path
) -> None:
    """NO_PROXY=*.aliyuncs.com with a proxy (a real CONNECT proxy on loopback): Qwen Code
    (undici) goes direct while the Python SDKs use the proxy. The screen says so, as
    `doctor` does: the split routes, the route the probe did not take tested once, which
    store each client trusts, and the disagreement as a finding without a surface line."""
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port))
    proxy.start_in_thread()
    try:
        services, key = setup(tmp_path, simulator)
        env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "*.aliyuncs.com"}
        services.client_env = env
        assert services.probe_options is not None
        services.probe_options = dataclasses.replace(services.probe_options, env=env)
        app = doctor_app(services)
        async with app.run_test(size=(110, 40)) as pilot:
            await settle(app, pilot, "doctor")
            section = widget_text(app.screen, "#clients-lines")
            assert "the clients take different routes" in section, section
            assert "qwen-code: direct" in section and "anthropic: through" in section, section
            assert "route also tested" in section and ": pass" in section, section
            assert "openai, anthropic trust the operating system's store" in section, section
            findings = widget_text(app.screen, ".probe-finding")
            assert "go direct" in findings and "qwen-code" in findings, findings
            # Findings about files, variables or routes have no "surface · region" line.
            assert "- · " not in findings, findings
            no_key(screen_text(app) + section + findings, key)
            report = app.screen.save_report()
            assert report is not None
            assert "route also tested" in report.read_text()
    finally:
        proxy.stop_thread()
