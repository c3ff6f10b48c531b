"""The wheel carries everything in assets/ and works from a fresh venv outside the checkout.

The most common packaging bug of Textual apps is a .tcss or data file that exists in the
checkout but not in the wheel: everything passes from the source tree and the installed tool
crashes. So this builds the real wheel, installs it with its dependencies into a new venv in a
temporary directory, and runs the console script from a directory that is not the checkout.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.packaging import ROOT, UV, clean_env, run_ok

# One worker builds the wheel (a session fixture) for both packaging modules, not one each.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with the wheel and its dependencies installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    if UV:
        run_ok([UV, "venv", "--python", sys.executable, str(venv)], cwd=venv.parent)
        python = venv / "bin" / "python"
        run_ok([UV, "pip", "install", "--python", str(python), str(wheel)], cwd=venv.parent)
    else:
        run_ok([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent)
        python = venv / "bin" / "python"
        run_ok([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=venv.parent)
    return venv


PRIVATE = "modelstudio_setup/_private/"


def test_the_wheel_contains_every_asset(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert PRIVATE + "assets/regions.yaml" in names
    assert PRIVATE + "assets/app.tcss" in names
    for lang in ("en", "zh"):
        locales = {n for n in names if n.startswith(f"{PRIVATE}assets/locales/{lang}/")}
        assert f"{PRIVATE}assets/locales/{lang}/cli.yaml" in locales
        assert f"{PRIVATE}assets/locales/{lang}/recommend.yaml" in locales
    in_checkout = {
        PRIVATE + p.relative_to(ROOT).as_posix()
        for p in (ROOT / "assets").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert in_checkout - names == set(), "files in assets/ missing from the wheel"
    for module in ("app/cli.py", "app/core/recommend.py", "screens/__init__.py"):
        assert PRIVATE + module in names
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)
    assert not any("__pycache__" in n for n in names)


def test_the_wheel_adds_one_top_level_import_name(wheel):
    """Generic names (`app`, `screens`, `assets`) in site-packages break, and are broken by,
    any other package of that name in the same environment."""
    tops = {n.split("/")[0] for n in zipfile.ZipFile(wheel).namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert tops - dist_info == {"modelstudio_setup"}


def test_the_console_script_works_from_outside_the_checkout(installed, tmp_path):
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    script = installed / "bin" / "modelstudio-setup"
    env = clean_env(LANG="C.UTF-8", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = run_ok([str(script), "recommend", "--residency", "mainland", "--json"], cwd=cwd, env=env)
    data = json.loads(proc.stdout)
    assert (data["residency"], data["region"], data["scope"]) == (
        "mainland",
        "cn-beijing",
        "mainland",
    )
    assert data["reasons"] and "{" not in " ".join(data["reasons"])
    assert isinstance(data["alternatives"], list)
    assert data["unmet_needs"] == []

    zh = run_ok([str(script), "--lang", "zh", "recommend", "--residency", "eu"], cwd=cwd, env=env)
    assert zh.stdout.startswith("推荐：德国（法兰克福）")


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    python = installed / "bin" / "python"
    code = (
        "import modelstudio_setup; modelstudio_setup.use_private_packages(); "
        "import app, json; from importlib import resources; "
        "print(json.dumps({'file': app.__file__, "
        "'tcss': resources.files('assets').joinpath('app.tcss').is_file()}))"
    )
    proc = run_ok([str(python), "-c", code], cwd=tmp_path, env=clean_env())
    data = json.loads(proc.stdout)
    assert Path(data["file"]).is_relative_to(installed)
    assert data["tcss"] is True
