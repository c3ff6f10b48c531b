"""What production code imports is declared in pyproject.toml (and nothing declared goes
unused): a user installing the wheel gets every module the code needs, not only those some
other dependency happens to bring today (h11, httpcore2, cryptography, rich). And the probe
runs on the HTTP stack of the openai 3.x / anthropic 2.x SDKs (httpx2 / httpcore2,
shared/CLIENTS.md), not on the httpx 0.28 / httpcore 1 it replaced, which litellm (a dev
dependency) still installs here: deptry cannot tell that apart from a declared need."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
REPLACED = {"httpx", "httpcore"}  # superseded by httpx2 / httpcore2


def _runtime_requirements() -> dict[str, Requirement]:
    project = tomlkit.parse((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(str(line)) for line in project["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def test_the_probe_stack_is_httpx2_and_httpcore2() -> None:
    reqs = _runtime_requirements()
    assert not REPLACED & set(reqs), "httpx / httpcore are no runtime dependency any more"
    for name, extra in (("httpx2", "socks"), ("httpcore2", "asyncio")):
        req = reqs[name]
        assert extra in req.extras, f"{name}[{extra}]"
        assert req.specifier.contains(Version("2.14.0")), "2.14 is the last for Python 3.10"
        assert req.specifier.contains(Version("2.16.2"))
        assert not req.specifier.contains(Version("3.0")), f"{name} < 3"
    assert "h11" in reqs, "the simulator's server imports h11 itself"


def test_production_code_imports_neither_httpx_nor_httpcore() -> None:
    found = []
    for top in ("app", "screens", "modelstudio_setup"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                else:
                    continue
                found += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {n}"
                    for n in names
                    if n.split(".")[0] in REPLACED
                ]
    assert found == [], "imports of the replaced HTTP stack:\n" + "\n".join(found)


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
