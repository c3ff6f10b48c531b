"""The test tree's own rule: a test module imports helpers from tests/fixtures/, never from
another test module (importing one runs its module code, re-registers its fixtures and ties
two files together that are meant to be read, moved and run alone).

Every import counts, at module level or inside a function, absolute or relative."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
KINDS = ("unit", "cli", "tui", "e2e")


def _imported(source: str, package: list[str]) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in `source`, a module of `package` (so relative
    imports resolve); for `from m import x` the name is `m.x` (x may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _test_module_imports() -> list[str]:
    bad = []
    for kind in KINDS:
        for path in sorted((TESTS / kind).rglob("*.py")):
            package = ["tests", *path.relative_to(TESTS).parent.parts]
            for line, name in _imported(path.read_text(encoding="utf-8"), package):
                parts = name.split(".")
                if parts[:1] == ["tests"] and len(parts) > 2 and parts[1] in KINDS:
                    bad.append(f"{path.relative_to(TESTS.parent)}:{line} imports {name}")
    return bad


def test_no_test_module_imports_another_test_module() -> None:
    assert _test_module_imports() == [], "move the shared helper into tests/fixtures/"


def test_the_check_sees_absolute_relative_and_in_function_imports() -> None:
    """The rule above would pass vacuously if `_imported` missed an import form."""
    source = (
        "from tests.tui.test_tui_steps import SIZE\n"
        "def f():\n"
        "    from .test_tui_demo import walk_to_done\n"
        "    import tests.cli.test_doctor\n"
        "from tests.fixtures.tui_steps import KEY\n"
        "from tests.e2e import test_packaging\n"
    )
    assert [name for _, name in sorted(_imported(source, ["tests", "tui"]))] == [
        "tests.tui.test_tui_steps.SIZE",
        "tests.tui.test_tui_demo.walk_to_done",
        "tests.cli.test_doctor",
        "tests.fixtures.tui_steps.KEY",
        "tests.e2e.test_packaging",
    ]
