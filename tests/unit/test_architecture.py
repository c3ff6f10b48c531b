"""The folders are the architecture (DESIGN.md "Layout"): this test keeps them honest.

Every `import` and `from … import` of app/ and screens/ is read from the source with `ast`,
including the ones inside functions (a cycle hidden behind a lazy import is still a cycle),
and checked against the layer order

    core <- fs <- secrets <- config <- findings <- probe <- export/clients
         <- state/flow/services <- screens <- app.tui <- commands <- cli

plus the three rules that are not about order: only app/tui.py imports Textual in app/,
production code never imports app.simulator (the demo is the one exception), and step
screens never import each other.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lower number = lower layer; a module may import its own layer and any lower one.
# DESIGN.md's chain ends "state/flow/services/commands <- tui <- screens"; read as arrows it
# would forbid the App from pushing its own step screens and a command from starting the App.
# The order kept here has the same spirit (domain below, UI above, entry points on top):
# screens are views over state/flow/services, app.tui assembles them, commands start it.
LAYERS: dict[str, int] = {
    "core": 0,
    "fs": 1,
    "secrets": 2,
    "config": 3,
    "findings": 4,
    "probe": 5,
    "export": 6,
    "clients": 6,
    "simulator": 6,  # a separate program; imported only by the demo (rule below)
    "state": 7,
    "flow": 7,
    "export_flow": 7,
    "services": 7,
    "demo": 7,
    "screens": 8,
    "tui": 9,
    "commands": 10,
    "cli": 11,
}
# The entry point and the package marker sit outside the order.
UNLAYERED = {"app", "app.__main__", "app.__init__"}
# Modules of screens/ that are shared by steps, not steps themselves.
SHARED_SCREENS = {"base", "widgets", "parts", "__init__"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def _sources() -> dict[str, Path]:
    found = {}
    for top in ("app", "screens"):
        for path in sorted((ROOT / top).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


@cache
def _imports(module: str) -> tuple[tuple[str, int], ...]:
    """(imported module, line) for every import of `module`, at any depth of the code."""
    path = _sources()[module]
    return _imports_in(module, path.read_text(encoding="utf-8"), path.name == "__init__.py")


def _imports_in(module: str, source: str, is_package: bool) -> tuple[tuple[str, int], ...]:
    tree = ast.parse(source)
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node, is_package)
            out.append((target, node.lineno))
            # `from app.core import text` imports the module app.core.text.
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in _sources():
                    out.append((sub, node.lineno))
    return tuple(out)


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] == "screens":
        return LAYERS["screens"]
    if parts[0] != "app" or module in UNLAYERED or len(parts) < 2:
        return None
    return LAYERS.get(parts[1])


def _ours(name: str) -> bool:
    return name.split(".")[0] in ("app", "screens")


def test_every_folder_of_app_has_a_layer() -> None:
    """A new folder must be placed in the order before it can be used."""
    unplaced = sorted(
        m for m in _sources() if m.startswith("app.") and m not in UNLAYERED and _layer(m) is None
    )
    assert unplaced == [], f"modules outside the layer order: {unplaced}"


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module in _sources():
        own = _layer(module)
        if own is None:
            continue
        for target, line in _imports(module):
            if not _ours(target):
                continue
            theirs = _layer(target)
            if theirs is not None and theirs > own:
                wrong.append(f"{module}:{line} imports {target}")
    assert wrong == [], "imports that point up the layers:\n" + "\n".join(wrong)


def test_there_is_no_import_cycle() -> None:
    graph = {m: {t for t, _ in _imports(m) if t in _sources() and t != m} for m in _sources()}
    # A package's own __init__ is not an edge worth following (they are empty).
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_only_app_tui_imports_textual_in_app() -> None:
    users = sorted(
        f"{m}:{line}"
        for m in _sources()
        if m.startswith("app") and m != "app.tui"
        for target, line in _imports(m)
        if target.split(".")[0] == "textual"
    )
    assert users == [], f"Textual imported outside app/tui.py: {users}"


def test_production_code_never_imports_the_simulator_except_the_demo() -> None:
    users = sorted(
        f"{m}:{line}"
        for m in _sources()
        if not m.startswith("app.simulator") and m != "app.demo"
        for target, line in _imports(m)
        if target == "app.simulator" or target.startswith("app.simulator.")
    )
    assert users == [], f"production code importing the simulator: {users}"


def test_step_screens_never_import_each_other() -> None:
    steps = {
        m for m in _sources() if m.startswith("screens.") and m.split(".")[1] not in SHARED_SCREENS
    }
    wrong = sorted(
        f"{m}:{line} imports {t}" for m in steps for t, line in _imports(m) if t in steps and t != m
    )
    assert wrong == [], "step screens importing each other:\n" + "\n".join(wrong)


def test_sub_package_inits_stay_empty() -> None:
    """Importing app.probe.targets must not pull in httpx through app/probe/__init__.py."""
    heavy = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "app").rglob("__init__.py")
        if p.parent != ROOT / "app"
        and any(
            isinstance(n, (ast.Import, ast.ImportFrom))
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    )
    assert heavy == [], f"sub-package __init__ files that import: {heavy}"


@pytest.mark.parametrize("top", ["app", "screens"])
def test_no_module_is_over_the_size_limit(top: str) -> None:
    """About 450 lines at most: a module that grows past it holds more than one job."""
    big = sorted(
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in (ROOT / top).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 460
    )
    assert big == [], f"modules over ~450 lines: {big}"


def _says_why(lines: list[str], covered: set[int], node: ast.stmt) -> bool:
    """A comment on the import's own lines, or above the run of import lines it belongs to."""
    if any("#" in line for line in lines[node.lineno - 1 : node.end_lineno or node.lineno]):
        return True
    above = node.lineno - 1
    while above >= 1:
        text = lines[above - 1].strip()
        if text.startswith("#") or (above in covered and "#" in text):
            return True
        if above not in covered:
            return False
        above -= 1
    return False


def test_in_function_imports_of_our_modules_say_why() -> None:
    """A lazy import is a startup decision: a comment says why, on the import's own lines or
    just above the block of imports it starts (one comment may cover a block)."""
    silent = []
    for module, path in _sources().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            nodes = [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
            covered = {i for n in nodes for i in range(n.lineno, (n.end_lineno or n.lineno) + 1)}
            for node in nodes:
                if not _says_why(lines, covered, node):
                    silent.append(f"{module}:{node.lineno}")
    assert silent == [], "imports inside functions without a comment saying why:\n" + "\n".join(
        sorted(set(silent))
    )


def test_the_checker_reads_in_function_and_relative_imports() -> None:
    """The rules above would be blind if the reader missed imports inside functions."""
    source = (
        "import os\n"
        "def late():\n"
        "    from app.probe import engine  # lazy\n"
        "    if True:\n"
        "        import textual.app\n"
        "from . import text\n"
        "from ..fs import write_private\n"
    )
    found = dict(_imports_in("app.core.sample", source, is_package=False))
    assert found["app.probe"] == 3 and found["app.probe.engine"] == 3
    assert found["textual.app"] == 5
    assert found["app.core.text"] == 6
    assert found["app.fs"] == 7
