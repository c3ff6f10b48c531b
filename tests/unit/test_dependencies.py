"""What production code imports is declared in pyproject.toml (and nothing declared goes
unused): a user installing the wheel gets every module the code needs, not only those some
other dependency happens to bring today (h11, httpcore, cryptography, rich)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_deptry_finds_no_missing_transitive_or_unused_dependency() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "deptry", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out[-4000:]
    assert "No dependency issues found" in out
