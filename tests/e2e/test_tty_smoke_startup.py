"""The wizard's first screen must not pay for the probe engine (DESIGN.md startup budget):
httpx2, httpcore2 (and the httpx, httpcore they replaced) and app.probe.engine are imported
only when the Connectivity step runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys
from app.cli import build_parser
from app.services import real_services
from app.tui import make_app

services, state = real_services(build_parser().parse_args(["wizard"]))

async def auto_pilot(pilot):
    for _ in range(2000):
        if getattr(pilot.app.screen, "STEP", None) == "welcome":
            break
        await pilot.pause(0.005)
    await pilot.pause()
    names = ("httpx2", "httpcore2", "httpx", "httpcore", "app.probe.engine")
    heavy = sorted(m for m in names if m in sys.modules)
    print("painted", getattr(pilot.app.screen, "STEP", None), ",".join(heavy) or "-")
    pilot.app.exit()

make_app(services, state).run(headless=True, size=(100, 32), auto_pilot=auto_pilot)
"""


def test_first_screen_paints_without_the_probe_engine(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MODELSTUDIO_SETUP_CONFIG"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["painted", "welcome", "-"], out.stdout
    assert list(tmp_path.glob("config/**/*")) == []  # starting writes nothing
