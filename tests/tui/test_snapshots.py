"""Snapshot tests of every wizard step (demo mode, real simulator over TLS), plus the consent
dialog and the doctor screen, at 100x32, in English and (for two steps) Chinese.

Deterministic by construction: the demo's fixed clock, its own directory drawn as one fixed
path (paths are on screen), fixed phase durations (real ones vary run to run), request ids
fixed, cursor blink off.
Update after an intended change with `uv run pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them; docs/screenshots/ is copied from them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import start_demo
from app.tui import make_app
from screens.parts.probe_view import ProbeView
from tests.fixtures.tui_connect import (
    settle,
)

SIZE = (100, 32)
# What the snapshots show as the demo's folder: the config path and export paths are drawn on
# the Welcome, Export and Done steps, so they must read the same on every machine.
SHOWN_ROOT = "/tmp/modelstudio-setup-snapshots"
FIXED_REQUEST_ID = "00000000-0000-4000-8000-000000000000"
STEPS = (
    "welcome",
    "scenario",
    "recommendation",
    "workspace",
    "apikey",
    "connectivity",
    "export",
    "done",
)


# Real timings vary from run to run: each phase a row went through is drawn with a fixed
# duration, scaled per surface, so the bars show which phases ran and compare on one axis.
FIXED_PHASE_MS = {
    "dns": 8,
    "tcp": 14,
    "tls": 38,
    "request": 52,
    "auth": 18,
    "inference": 140,
    "wait": 0,  # time in no phase: real and variable, so not drawn in snapshots
}
FIXED_SURFACE_SCALE = {"openai": 1.0, "anthropic": 0.6, "dashscope": 1.25}


def fixed_timing(phase: str, surface: str) -> float:
    scale = FIXED_SURFACE_SCALE.get(surface.partition("@")[0], 1.0)
    if "@" in surface:  # another region's shared host (ownership check): a little slower
        scale *= 1.4
    return round(FIXED_PHASE_MS.get(phase, 10) * scale)


def _shown(svg: str, root: Path) -> str:
    """The screenshot as the snapshot stores it: this run's demo folder drawn as SHOWN_ROOT
    (same length, so every line wraps alike) and Rich's id, a hash of the drawn text, fixed."""
    return re.sub(r"terminal-\d+", "terminal-1000", svg.replace(str(root), SHOWN_ROOT))


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    import textual._doc  # where snap_compare takes its screenshot (pytest-textual-snapshot)

    monkeypatch.setattr(ProbeView, "FIXED_TIMINGS", fixed_timing)
    # Commands are spelt for the shell they run in (app.core.invocation): the snapshots show
    # them as for an installed tool, whatever shell the tests run from.
    import sys

    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", venv_bin + ":" + os.environ.get("PATH", ""))
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    monkeypatch.setattr("app.simulator.responses.new_request_id", lambda: FIXED_REQUEST_ID)
    # A folder of this test's own (checkouts and xdist workers never share one), named with
    # as many characters as SHOWN_ROOT, which the snapshots draw in its place.
    root = Path(tempfile.mkdtemp(prefix="modelstudio-setup--", dir="/tmp"))
    assert len(str(root)) == len(SHOWN_ROOT), root
    take = textual._doc.take_svg_screenshot
    monkeypatch.setattr(
        textual._doc, "take_svg_screenshot", lambda *a, **k: _shown(take(*a, **k), root)
    )
    env = None
    try:
        env = start_demo(root)
        # The Done commands carry the simulator's pins: its port and CA path vary per
        # run, so the snapshot shows fixed ones (the commands are run for real in
        # tests/tui/test_tui_wizard_trust.py).
        env.services.network_args = (
            "--connect-to",
            "::127.0.0.1:44300",
            "--ca-file",
            "/tmp/modelstudio-setup-demo/ca.pem",
        )
        yield env
    finally:
        if env is not None:
            env.simulator.stop_thread()
        shutil.rmtree(root, ignore_errors=True)


def _no_blink(app) -> None:
    for widget in app.screen.query("Input"):
        widget.cursor_blink = False


async def _walk_to(pilot, step: str) -> None:
    """Press Enter from Welcome until `step` is on screen (the demo walks with Enter)."""
    app = pilot.app
    for _ in range(30):
        await settle(app, pilot)
        if getattr(app.screen, "STEP", None) == step:
            break
        await pilot.press("enter")
    else:
        raise AssertionError(f"did not reach {step}")
    await settle(app, pilot)
    _no_blink(app)
    await pilot.pause()


def _app(env, lang: str = "en"):
    from dataclasses import replace

    return make_app(env.services, replace(env.state, lang=lang))


def _assert_no_key(svg_dir: Path, env) -> None:
    key = env.services.demo_key.reveal()
    for svg in svg_dir.glob("*.raw"):
        assert key[3:15] not in svg.read_text(), svg


@pytest.mark.parametrize("step", STEPS)
def test_step_en(snap_compare, demo, step: str) -> None:
    assert snap_compare(_app(demo), terminal_size=SIZE, run_before=lambda p: _walk_to(p, step))


@pytest.mark.parametrize("step", ["welcome", "connectivity", "export"])
def test_step_zh(snap_compare, demo, step: str) -> None:
    assert snap_compare(
        _app(demo, "zh"), terminal_size=SIZE, run_before=lambda p: _walk_to(p, step)
    )


# A team policy as a team lead writes one (docs/policy.md): Welcome shows it, Workspace
# shows the workspace, host and model it pins, locked, each with the file's reason.
SNAPSHOT_POLICY = """\
version: 1
team: Payments platform
regions: {{allow: [ap-southeast-1], reason: Our workspace is in Singapore.}}
workspace_id: {{allow: {workspace}, reason: The team's production workspace.}}
access_domains: {{allow: workspace, reason: The SLA covers the workspace domain only.}}
models: {{allow: [qwen-plus], reason: Approved by the architecture board.}}
key_store: {{allow: keyring, reason: No keys in files.}}
"""


@pytest.mark.parametrize("step", ["welcome", "workspace"])
def test_policy(snap_compare, demo, step: str) -> None:
    from dataclasses import replace

    from app.config.policy import read_policy

    path = demo.services.config_path.parent / "modelstudio-policy.yaml"
    workspace = demo.simulator.accounts["demo"].workspace_id
    path.write_text(SNAPSHOT_POLICY.format(workspace=workspace), encoding="utf-8")
    services = replace(demo.services, policy=read_policy(path))
    app = make_app(services, replace(demo.state, lang="en"))
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda p: _walk_to(p, step))


def test_consent_dialog(snap_compare, demo) -> None:
    """A key of another region (Virginia) on the Singapore workspace: 401, then the dialog."""
    from dataclasses import replace

    from app.secrets.key import ApiKey

    state = replace(
        demo.state,
        residency="outside-mainland",
        region="ap-southeast-1",
        scope="international",
        model="qwen-flash",
        api_key=ApiKey(demo.simulator.key("us-east-1")),
        key_store="keyring",
        key_saved=True,
    )
    app = make_app(demo.services, state, start_step="connectivity")

    async def run_before(pilot) -> None:
        await settle(pilot.app, pilot, "probe")
        pilot.app.screen.query_one("#conn-find-region").press()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_doctor_screen(snap_compare, demo) -> None:
    from app.config.io import modify_config
    from app.config.validate import make_profile

    acc = demo.simulator.accounts["demo"]
    profile, _ = make_profile("demo", region=acc.region, workspace_id=acc.workspace_id)
    modify_config(demo.services.config_path, lambda c: c.with_profile(profile))
    demo.services.key_store_factory("keyring").set("demo", demo.services.demo_key)
    app = make_app(demo.services, demo.state, doctor_profile="demo")

    async def run_before(pilot) -> None:
        await settle(pilot.app, pilot, "doctor")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_no_snapshot_holds_a_key() -> None:
    """Every stored snapshot is free of every simulator key (the demo's and the others)."""
    from app.simulator.accounts import default_accounts

    folder = Path(__file__).parent / "__snapshots__" / "test_snapshots"
    svgs = list(folder.glob("*.raw"))
    assert len(svgs) >= len(STEPS) + 5
    for svg in svgs:
        text = svg.read_text()
        for account in default_accounts():
            secret = account.key.split("-")[-1]
            assert account.key not in text, svg.name
            assert not re.search(re.escape(secret[:12]), text), svg.name


# The README's screenshots are copies of these snapshots:
#     uv run python -m tests.tui.test_snapshots
SCREENSHOTS = {
    **{f"test_step_en[{step}]": step for step in STEPS},
    "test_step_zh[connectivity]": "connectivity-zh",
    "test_consent_dialog": "consent",
    "test_doctor_screen": "doctor",
}


def export_screenshots(target: Path | None = None) -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    source = Path(__file__).resolve().parent / "__snapshots__" / "test_snapshots"
    target = target or root / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for snapshot, name in SCREENSHOTS.items():
        path = target / f"{name}.svg"
        shutil.copyfile(source / f"{snapshot}.raw", path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export_screenshots():
        print(path)
