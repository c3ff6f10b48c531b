"""Private Textual names are used in one module only: screens/parts/textual_private.py.

Textual changes its private attributes between releases without notice; with every use in one
module, each with the reason and the Textual version it was checked against, an upgrade means
reading one file. A private name is caught here three ways:

- `obj._name` where `obj` is not `self`/`cls` and no module of ours defines `_name`
  (e.g. `app._exit_renderables`), or `obj` is a Textual class (`RadioSet._on_mount(…)`);
- in a class of ours built on a Textual class, `self._name`, `super()._name`, or a method or
  class attribute `_name`, where `_name` belongs to one of its Textual base classes
  (e.g. `self._bindings = …`, overriding `_on_mount`);
- a watcher of a private reactive (`watch__selected`).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "screens" / "parts" / "textual_private.py"
PRIVATE_WATCHER = re.compile(r"^(watch|validate|compute)__")


def _checked() -> list[Path]:
    return [*sorted((ROOT / "screens").rglob("*.py")), ROOT / "app" / "tui.py"]


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@cache
def _our_private_names() -> frozenset[str]:
    """Every `_name` a module of ours defines (function, class, assigned attribute or name)."""
    names: set[str] = set()
    for top in ("app", "screens"):
        for path in (ROOT / top).rglob("*.py"):
            if path == HOME:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        for sub in ast.walk(target):
                            if isinstance(sub, ast.Attribute):
                                names.add(sub.attr)
                            elif isinstance(sub, ast.Name):
                                names.add(sub.id)
    return frozenset(n for n in names if _is_private(n))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _foreign_uses(source: str, ours: frozenset[str]) -> list[tuple[int, str]]:
    """`obj._name` on anything but self/cls/super() whose `_name` is not one of ours."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        value = node.value
        if isinstance(value, ast.Name) and value.id in ("self", "cls"):
            continue
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "super":
            continue  # judged against the Textual bases below
        if node.attr not in ours:
            found.append((node.lineno, node.attr))
    return found


@cache
def _textual_private(cls: type) -> frozenset[str]:
    """The private names of the Textual classes in `cls`'s MRO (class and instance ones)."""
    names: set[str] = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("textual"):
            continue
        names.update(n for n in vars(base) if _is_private(n))
        try:
            source = inspect.getsource(base)
        except (OSError, TypeError):
            continue
        names.update(n for n in re.findall(r"self\.(_\w+)", source) if _is_private(n))
    return frozenset(names)


def _class_uses(cls_node: ast.ClassDef) -> list[tuple[int, str]]:
    """What a class body touches or defines that could be a base class's private name."""
    uses: list[tuple[int, str]] = []
    for node in ast.walk(cls_node):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            value = node.value
            on_self = isinstance(value, ast.Name) and value.id in ("self", "cls")
            on_super = isinstance(value, ast.Call) and getattr(value.func, "id", None) == "super"
            if on_self or on_super:
                uses.append((node.lineno, node.attr))
    for stmt in cls_node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _is_private(stmt.name) or PRIVATE_WATCHER.match(stmt.name):
                uses.append((stmt.lineno, stmt.name))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            uses.extend(
                (stmt.lineno, t.id)
                for t in targets
                if isinstance(t, ast.Name) and _is_private(t.id)
            )
    return uses


def test_private_textual_names_live_in_one_module() -> None:
    ours = _our_private_names()
    wrong = []
    for path in _checked():
        if path == HOME:
            continue
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        wrong.extend(f"{rel}:{line} .{name}" for line, name in _foreign_uses(source, ours))
        module = importlib.import_module(_module(path))
        for node in ast.walk(ast.parse(source)):
            if (  # `RadioSet._on_mount(self, event)`: a Textual class's private, by name
                isinstance(node, ast.Attribute)
                and _is_private(node.attr)
                and isinstance(node.value, ast.Name)
                and getattr(getattr(module, node.value.id, None), "__module__", "").startswith(
                    "textual"
                )
            ):
                wrong.append(f"{rel}:{node.lineno} {node.value.id}.{node.attr}")
            if not isinstance(node, ast.ClassDef):
                continue
            cls = getattr(module, node.name, None)
            if not isinstance(cls, type):
                continue
            textual = _textual_private(cls)
            for line, name in _class_uses(node):
                if name in textual or PRIVATE_WATCHER.match(name):
                    wrong.append(f"{rel}:{line} {node.name}.{name}")
    assert wrong == [], (
        "private Textual names outside screens/parts/textual_private.py:\n" + "\n".join(wrong)
    )


def test_the_checker_sees_each_kind_of_use() -> None:
    """The rule above would be blind if the reader missed one of the ways it is broken."""
    source = (
        "class Sample(RadioSet):\n"
        "    def _on_mount(self, event):\n"
        "        RadioSet._on_mount(self, event)\n"
        "        self._selected = 1\n"
        "        super()._on_radio_button_changed(event)\n"
        "    def watch__selected(self):\n"
        "        self._ours = app._exit_renderables\n"
    )
    assert sorted(_foreign_uses(source, frozenset({"_ours"}))) == [
        (3, "_on_mount"),
        (7, "_exit_renderables"),
    ]
    cls_node = ast.parse(source).body[0]
    assert isinstance(cls_node, ast.ClassDef)
    found = {name for _, name in _class_uses(cls_node)}
    assert {"_on_mount", "_selected", "_on_radio_button_changed", "watch__selected"} <= found
    from textual.widgets import RadioSet

    assert {"_on_mount", "_selected", "_nodes", "_bindings"} <= _textual_private(RadioSet)
