"""Demo mode: the whole wizard against the in-process simulator, touching nothing real."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import keyring
import pytest
import yaml
from keyring.backend import KeyringBackend

from app.demo import DEMO_CLOCK, demo_services
from app.tui import make_app
from tests.fixtures.tui_connect import (
    assert_key_not_shown,
    screen_text,
    walk_to_done,
)


class RecordingKeyring(KeyringBackend):
    """A keyring that records every call: the demo must make none."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get_password(self, service, username):
        self.calls.append("get")
        return None

    def set_password(self, service, username, password):
        self.calls.append("set")

    def delete_password(self, service, username):
        self.calls.append("delete")


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """HOME and the XDG dirs in empty temp dirs, and a keyring that records any use."""
    dirs = {}
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir()
        monkeypatch.setenv(var, str(d))
        dirs[var] = d
    monkeypatch.delenv("MODELSTUDIO_SETUP_CONFIG", raising=False)
    monkeypatch.chdir(dirs["HOME"])
    recorder = RecordingKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(recorder)
    yield dirs, recorder
    keyring.set_keyring(previous)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_enter_walks_the_demo_to_done_and_touches_nothing_real(isolated_home, lang):
    dirs, recorder = isolated_home
    banners: dict[str, bool] = {}
    started = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    with demo_services(lang=lang) as (services, state):
        root = services.config_path.parent.parent
        raw_key = services.demo_key.reveal()

        def check(app) -> None:
            step = getattr(app.screen, "STEP", type(app.screen).__name__)
            banners[step] = bool(app.screen.query("#demo-banner"))
            assert_key_not_shown(screen_text(app), raw_key)

        app = make_app(services, state)
        async with app.run_test(size=(100, 32)) as pilot:
            seen = await walk_to_done(app, pilot, on_screen=check)
            final = app.screen.state
        assert [s for s in seen if s != "ConfirmDialog"] == [
            "welcome",
            "scenario",
            "recommendation",
            "workspace",
            "apikey",
            "connectivity",
            "export",
            "done",
        ]
        assert final.probe_result.verdict == "ok"
        assert final.region == "ap-southeast-1"
        assert all(w.path.is_relative_to(root) for w in final.written)
        assert services.config_path.exists()
        assert raw_key not in services.config_path.read_text()
        # The verdict is stamped with the real time, not the snapshots' fixed clock (B10).
        saved = yaml.safe_load(services.config_path.read_text())
        stamped = _dt.datetime.fromisoformat(saved["profiles"]["demo"]["verified"]["at"])
        assert stamped != DEMO_CLOCK and stamped >= started
    steps = {s: v for s, v in banners.items() if s != "ConfirmDialog"}
    assert steps and all(steps.values()), banners
    # Gone afterwards, and nothing was ever put in HOME, XDG dirs or the keyring.
    assert not root.exists()
    for var, d in dirs.items():
        assert list(d.iterdir()) == [], var
    assert recorder.calls == []


def test_demo_restores_the_environment(monkeypatch):
    import os

    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", "/nonexistent/real.yaml")
    with demo_services() as (services, state):
        assert os.environ["MODELSTUDIO_SETUP_CONFIG"] == str(services.config_path)
        assert state.demo and services.demo_key is not None
        assert repr(services.demo_key) != services.demo_key.reveal()
    assert os.environ["MODELSTUDIO_SETUP_CONFIG"] == "/nonexistent/real.yaml"


async def test_the_demo_plan_path_token_plan_host_and_the_demo_plan_key(isolated_home):
    """The demo's plan path: the Token Plan host chosen on the Workspace step, the API key step
    holds the demo's plan key (not the pay-as-you-go one, which a plan host refuses), and the
    test passes on the plan host; the profile saved is a Token Plan profile."""
    _dirs, recorder = isolated_home
    with demo_services(lang="en") as (services, state):
        raw_key = services.demo_plan_key.reveal()
        picked: list[str] = []

        def choose_token_plan(app) -> None:
            assert_key_not_shown(screen_text(app), raw_key)
            if getattr(app.screen, "STEP", "") == "workspace" and not picked:
                for button in app.screen.query_one("#style").query("RadioButton"):
                    if str(button.label).startswith("Token Plan host"):
                        button.value = True
                        picked.append(str(button.label))

        app = make_app(services, state)
        async with app.run_test(size=(100, 32)) as pilot:
            await walk_to_done(app, pilot, on_screen=choose_token_plan)
            final = app.screen.state
        assert picked
        assert final.api_key == services.demo_plan_key
        assert (final.endpoint_style, final.plan) == ("plan", "token")
        assert final.probe_result.verdict == "ok"
        hosts = {check.host for check in final.probe_result.checks}
        assert hosts == {"token-plan.ap-southeast-1.maas.aliyuncs.com"}
        saved = yaml.safe_load(services.config_path.read_text())["profiles"]["demo"]
        assert saved["plan"] == "token" and raw_key not in services.config_path.read_text()
    assert recorder.calls == []
