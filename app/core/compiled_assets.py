"""The tool's own YAML assets (the catalog, the locale files) as Python modules, for the
hot paths.

`status`, `env` and `key get` run from shell rc files, from Claude Code's apiKeyHelper and
whenever calls stop working (budget: 5 x `python -c pass`, shared/DESIGN.md). Each reads
the catalog and a few locale files, and parsing them with the pure-Python reader
(app.core.plain_yaml) took about 10 ms of the ~100 ms of such a run. So each asset file
also exists as a generated module in assets/compiled/ holding the file's text (`SOURCE`) and
its parsed content (`DATA`): importing it is Python's own cached bytecode, no parsing.

The YAML file stays the one source: a module is used only when its `SOURCE` is exactly the
text just read from the file (a string comparison, no hashing), so an edited file whose
module was not regenerated is parsed as before, only slower, and never read stale. A test
(tests/unit/test_compiled_assets.py) keeps every module equal to its file; regenerate with

    uv run python -m app.core.compiled_assets

The modules are as trusted as the YAML beside them (both ship inside the package); nothing
here reads a user's file.
"""

from __future__ import annotations

import importlib
import os
import re
from typing import Any

import assets
from app.core import plain_yaml

PACKAGE = "assets.compiled"
ASSETS_DIR = os.path.dirname(os.path.abspath(assets.__file__))
COMPILED_DIR = os.path.join(ASSETS_DIR, "compiled")
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def fast_safe_load(text: str) -> Any:
    """yaml.safe_load's result, read without PyYAML when the text keeps to the plain subset
    our own files use (app.core.plain_yaml: importing PyYAML costs more than starting Python, and
    `env` / `key get` read three files); else through libyaml when PyYAML has it: the wizard
    reads every locale file before its first paint, and the pure-Python parser takes ~10x
    longer (startup budget)."""
    try:
        return plain_yaml.load(text)
    except plain_yaml.Unsupported:
        pass
    import yaml  # here, not at the top: only text outside the plain subset needs it

    if getattr(yaml, "__with_libyaml__", False):
        return yaml.load(text, Loader=yaml.CSafeLoader)  # the C implementation of SafeLoader
    return yaml.safe_load(text)


def module_name(relpath: str) -> str:
    """`locales/en/status.yaml` -> `locales_en_status`: one module per asset file."""
    stem = relpath.removesuffix(".yaml")
    return _NOT_NAME.sub("_", stem.lower()).strip("_")


def load_asset(relpath: str, text: str) -> Any | None:
    """The parsed content of asset `relpath` (a path below assets/) whose text is `text`,
    from its compiled module; None when there is none or it was made from another text (the
    caller then parses `text`). The value is shared: callers read it, never change it."""
    try:
        module = importlib.import_module(f"{PACKAGE}.{module_name(relpath)}")
    except ImportError:
        return None
    if getattr(module, "SOURCE", None) != text:
        return None
    return module.DATA


def asset_files() -> list[str]:
    """Every YAML asset the tool reads, as paths below assets/ (sorted)."""
    found = []
    for folder, _dirs, files in os.walk(ASSETS_DIR):
        for name in files:
            if name.endswith(".yaml"):
                found.append(os.path.relpath(os.path.join(folder, name), ASSETS_DIR))
    return sorted(p.replace(os.sep, "/") for p in found)


def _plain_data(value: Any) -> bool:
    """Whether `value` is made only of what a Python literal writes back exactly."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_plain_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_data(v) for k, v in value.items())
    return False


def module_text(relpath: str, text: str) -> str:
    """The generated module of one asset file: its text and what fast_safe_load (the reader
    of the catalog and the locales) makes of it."""
    data = fast_safe_load(text)
    if not _plain_data(data):
        raise ValueError(f"assets/{relpath}: holds values a Python literal cannot keep")
    return (
        f"# Generated from assets/{relpath} by `uv run python -m app.core.compiled_assets`:\n"
        "# do not edit; app/core/compiled_assets.py says why it exists.\n"
        f"SOURCE = {text!r}\n"
        f"DATA = {data!r}\n"
    )


def write_all() -> list[str]:
    """(Re)write assets/compiled/: one module per asset file, none for a file that is gone."""
    os.makedirs(COMPILED_DIR, exist_ok=True)
    wanted = {"__init__.py"}
    with open(os.path.join(COMPILED_DIR, "__init__.py"), "w", encoding="utf-8") as f:
        f.write('"""Generated: the asset files as modules (app/core/compiled_assets.py)."""\n')
    for relpath in asset_files():
        with open(os.path.join(ASSETS_DIR, relpath), encoding="utf-8") as f:
            text = f.read()
        name = module_name(relpath) + ".py"
        wanted.add(name)
        with open(os.path.join(COMPILED_DIR, name), "w", encoding="utf-8") as f:
            f.write(module_text(relpath, text))
    for name in os.listdir(COMPILED_DIR):
        if name.endswith(".py") and name not in wanted:
            os.remove(os.path.join(COMPILED_DIR, name))
    return sorted(wanted)


if __name__ == "__main__":
    for written in write_all():
        print(os.path.join(COMPILED_DIR, written))
