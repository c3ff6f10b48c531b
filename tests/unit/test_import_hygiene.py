"""The core stays free of the UI, and the CLI's quick paths stay quick.

DESIGN.md: modules in app/ other than tui.py never import Textual, and `--version` / `--help`
import neither Textual nor httpx2 (nor the httpx it replaced). Both are proven two ways:
statically (every import statement, including those inside functions) and dynamically (what
a fresh interpreter really loaded).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
UI_MODULES = {"app.tui"}
HEAVY = ("textual", "httpx2", "httpcore2", "httpx", "httpcore")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def core_modules() -> list[tuple[str, Path]]:
    found = [(module_name(p), p) for p in sorted(APP.rglob("*.py"))]
    return [(name, path) for name, path in found if name not in UI_MODULES]


def top_level_nodes(tree: ast.AST) -> list[ast.AST]:
    """Nodes that run when the module is imported (not inside a function body)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return out


def imported_names(tree: ast.AST, module: str, *, top_level_only: bool = False) -> set[str]:
    """Every module an import statement names, wherever the statement is."""
    names: set[str] = set()
    package = module.rsplit(".", 1)[0]
    nodes = top_level_nodes(tree) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def test_there_are_core_modules_to_check():
    names = {name for name, _ in core_modules()}
    assert {"app.cli", "app.core.catalog", "app.core.endpoints", "app.core.recommend"} <= names


def is_textual(name: str) -> bool:
    return name == "textual" or name.startswith("textual.")


def is_ui(name: str) -> bool:
    return name in UI_MODULES or name == "screens" or name.startswith("screens.")


@pytest.mark.parametrize(("name", "path"), core_modules(), ids=[n for n, _ in core_modules()])
def test_no_core_module_imports_textual_anywhere_in_its_source(name, path):
    """Textual itself: never, not even inside a function. The UI (app.tui, screens): only
    lazily inside a function, which is how a command starts the TUI."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    textual = sorted(n for n in imported_names(tree, name) if is_textual(n))
    assert not textual, f"{name} imports {textual}; only app/tui.py and screens/ may"
    ui = sorted(n for n in imported_names(tree, name, top_level_only=True) if is_ui(n))
    assert not ui, f"{name} imports {ui} at import time; import the UI inside a function"


def test_the_ast_scan_sees_imports_inside_functions():
    """Guard for the guard: a lazy import inside a function is still an import of Textual."""
    tree = ast.parse("def f():\n    from textual.app import App\n    import textual.widgets\n")
    assert {"textual.app", "textual.widgets"} <= imported_names(tree, "app.x")
    assert imported_names(tree, "app.x", top_level_only=True) == set()
    tree = ast.parse("try:\n    from app.tui import make_app\nexcept ImportError:\n    pass\n")
    assert "app.tui" in imported_names(tree, "app.x", top_level_only=True)


_LOADED = """
import importlib, json, sys
heavy = {heavy!r}
culprits = {{}}
for name in {names!r}:
    before = {{m.split(".")[0] for m in sys.modules}}
    try:
        importlib.import_module(name)
    except Exception as exc:  # report, do not hide
        culprits[name] = "import failed: " + type(exc).__name__ + ": " + str(exc)[:200]
        continue
    after = {{m.split(".")[0] for m in sys.modules}}
    new = sorted((after - before) & {{"textual"}})
    if new:
        culprits[name] = new
print(json.dumps(culprits))
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_importing_every_core_module_loads_no_textual():
    names = [n for n, _ in core_modules() if not n.endswith("__main__")]
    proc = run_python(_LOADED.format(heavy=HEAVY, names=names))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {}


_QUICK = """
import contextlib, io, json, sys
from app.cli import main
out = io.StringIO()
code = None
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
print(json.dumps({"code": code, "loaded": loaded, "out": out.getvalue()[:4000]}))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["recommend", "--help"],
        ["doctor", "--help"],
        ["--lang", "zh", "--help"],
        ["recommend", "--residency", "eu", "--json"],
    ],
    ids=" ".join,
)
def test_quick_commands_import_neither_textual_nor_httpx(argv):
    proc = run_python(_QUICK % (HEAVY,), *argv)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] in (0, None), result
    assert result["out"], "the command printed something"
    assert result["loaded"] == [], f"{' '.join(argv)} imported {result['loaded']}"


def test_version_prints_the_package_version():
    from app import __version__

    proc = run_python(_QUICK % (HEAVY,), "--version")
    assert json.loads(proc.stdout)["out"].strip() == f"modelstudio-setup {__version__}"


def test_the_runtime_check_sees_textual_when_it_is_loaded():
    """Guard for the guard: the UI module itself must show up as loading Textual."""
    proc = run_python(_LOADED.format(heavy=HEAVY, names=["app.tui"]))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"app.tui": ["textual"]}
