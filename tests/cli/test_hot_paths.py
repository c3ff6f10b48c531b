"""The hot commands load nothing heavy: what a fresh process really imported, at exit.

`eval "$(modelstudio-setup env)"` runs in shell rc files, `key get` is what Claude Code's
apiKeyHelper and the exported variables call, `--version` / `--help` are what tools probe:
none of them may import httpx2 / httpcore2 (the probe's HTTP stack), nor the httpx / httpcore
it replaced, Textual or rich. Each runs through the console
script's entry point (`modelstudio_setup.main`) in a fresh interpreter, against a real config
in a temporary HOME, and reports `sys.modules` when the command is done. Timings are the
benchmark's job (benchmarks/hotpaths.py), not a test's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-0123456789abcdef0123456789abcdef"
HEAVY = ("httpx2", "httpcore2", "httpx", "httpcore", "textual", "rich")

# Runs the console script's entry point as the script does, then reports what was imported.
_RUN = """
import contextlib, io, json, sys
import modelstudio_setup
out = io.StringIO()
sys.argv = ["modelstudio-setup", *sys.argv[1:]]
with contextlib.redirect_stdout(out):
    try:
        code = modelstudio_setup.main()
    except SystemExit as exc:
        code = exc.code
loaded = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"code": code, "loaded": loaded, "out": out.getvalue()}))
"""


def run(argv: list[str], env: dict[str, str], stdin: str | None = None, prelude: str = "") -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", prelude + _RUN, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        input=stdin,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> dict[str, dict[str, str]]:
    """A temporary HOME with a config for each key store, written by `configure` itself."""
    home = tmp_path_factory.mktemp("hot-home")
    base = {k: v for k, v in os.environ.items() if not k.startswith("MODELSTUDIO_SETUP")}
    base.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), PYTHONPATH=str(ROOT))
    base.update(DASHSCOPE_API_KEY=KEY, LANG="C.UTF-8")
    base.pop("LC_ALL", None)
    envs = {}
    for store in ("env", "file"):
        config = home / store / "config.yaml"
        argv = ["configure", "--config", str(config), "--region", "ap-southeast-1"]
        argv += ["--workspace-id", "ws-g3ganedl8go5vc5i", "--store", store]
        if store == "file":
            argv.append("--api-key-stdin")
        result = run(argv, base, stdin=KEY if store == "file" else None)
        assert result["code"] in (0, None), result
        envs[store] = {**base, "MODELSTUDIO_SETUP_CONFIG": str(config)}
    envs["none"] = base
    return envs


CASES = [
    ("none", ["--version"], "modelstudio-setup "),
    ("none", ["--help"], "COMMAND"),
    ("none", ["--lang", "zh", "--help"], "COMMAND"),
    ("none", ["env", "--help"], "--shell"),
    ("none", ["key", "get", "--help"], "--keyring-timeout"),
    ("env", ["env"], f"export DASHSCOPE_API_KEY={KEY}"),
    ("env", ["key", "get"], KEY),
    ("file", ["env"], f"export DASHSCOPE_API_KEY={KEY}"),
    ("file", ["key", "get"], KEY),
    ("file", ["env", "--shell", "fish"], KEY),
]


@pytest.mark.parametrize(
    ("store", "argv", "expected"),
    CASES,
    ids=[f"{' '.join(argv)} ({store} store)" for store, argv, _ in CASES],
)
def test_hot_commands_import_neither_httpx_nor_textual_nor_rich(homes, store, argv, expected):
    result = run(argv, homes[store])
    assert result["code"] in (0, None), result
    assert expected in result["out"], "the command did its work (not an error path)"
    heavy = sorted(set(result["loaded"]) & set(HEAVY))
    assert heavy == [], f"{' '.join(argv)} imported {heavy}"


def test_the_check_sees_heavy_imports_when_they_happen(homes):
    """Guard for the guard: what was imported before or during the command is reported."""
    prelude = "import httpcore2, httpx2, httpcore, httpx\n"
    result = run(["--version"], homes["none"], prelude=prelude)
    assert {"httpx2", "httpcore2", "httpx", "httpcore"} <= set(result["loaded"])


def test_key_get_loads_no_keyring_for_a_file_or_env_store(homes):
    """The keyring library is for keyring profiles only (its backends are slow to load)."""
    for store in ("env", "file"):
        result = run(["key", "get"], homes[store])
        assert "keyring" not in result["loaded"], store


@pytest.mark.parametrize("argv", [["env"], ["key", "get"]], ids=" ".join)
@pytest.mark.parametrize("store", ["env", "file"])
def test_env_and_key_get_read_the_config_catalog_and_messages_without_pyyaml(homes, store, argv):
    """Importing PyYAML costs more than starting Python: the files `configure` writes, the
    catalog and the locale files are plain YAML, read by app.core.plain_yaml."""
    result = run(argv, homes[store])
    assert result["code"] in (0, None), result
    assert "yaml" not in result["loaded"]
