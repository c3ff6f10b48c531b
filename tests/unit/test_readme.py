"""The README is the front door: its promises must match the tool."""

from __future__ import annotations

import re
from pathlib import Path

from app.export.formats import FORMATS
from app.findings.codes import CODES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands[:2] == ["uv run modelstudio-setup", "uv run pytest"]


def test_troubleshooting_explains_every_finding_code():
    section = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    assert documented == set(CODES)


def test_every_export_format_is_listed():
    """The Exports table names each target with the file it writes and how the key is
    referenced (issue 10): one row per target, three filled columns."""
    section = README.split("### Exports", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = {fmt: row for row in rows for fmt in re.findall(r"`([a-z-]+)`", row.split("|")[1])}
    assert set(listed) == set(FORMATS)
    for fmt, row in listed.items():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 3 and all(cells), fmt


def test_ci_runs_exactly_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    last = [line for line in script.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert last.strip() == "uv run pytest"


def test_screenshots_referenced_by_the_readme_exist():
    for rel in re.findall(r"\((docs/screenshots/[^)]+\.svg)\)", README):
        assert (ROOT / rel).is_file(), rel
