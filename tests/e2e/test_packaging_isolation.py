"""Installing modelstudio-setup cannot break, or be broken by, another `app` package.

Measured before: the wheel put `app/`, `screens/`, `assets/` into site-packages, so PyPI's
`app` package broke `modelstudio-setup` (ImportError), uninstalling it removed our
`__init__.py`, and a user's own editable project whose package is `app` stopped importing.
This installs the real wheel into a fresh venv next to (a) a wheel with a top-level `app`
of its own and (b) an editable project whose package is `app`, and runs both sides.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.packaging import UV, clean_env, run_ok

# One worker builds the wheel (a session fixture) for both packaging modules, not one each.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _foreign_app_wheel(folder: Path) -> Path:
    """A real wheel (as pip would build it) named `theirapp` whose import name is `app`."""
    files = {
        "app/__init__.py": b"WHO = 'theirs'\n",
        "app/cli.py": b"def main():\n    return 'their cli'\n",
        "screens/__init__.py": b"WHO = 'their screens'\n",
    }
    info = "theirapp-1.0.dist-info"
    files[f"{info}/METADATA"] = b"Metadata-Version: 2.1\nName: theirapp\nVersion: 1.0\n"
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/top_level.txt"] = b"app\nscreens\n"
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / "theirapp-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _editable_project(folder: Path) -> Path:
    """A user's FastAPI-style project: package `app` with `app.main`, installed editable."""
    project = folder / "userproj"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "main.py").write_text("WHO = 'user project'\n")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "userproj"\nversion = "0.1"\n'
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[tool.setuptools]\npackages = ["app"]\n'
    )
    return project


def test_our_command_and_their_app_both_keep_working(wheel, tmp_path):
    assert UV, "uv is needed to build and install the venvs (the README's tool)"
    venv = tmp_path / "env"
    run_ok([UV, "venv", "--python", sys.executable, str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    script = venv / "bin" / "modelstudio-setup"
    foreign = _foreign_app_wheel(tmp_path)
    project = _editable_project(tmp_path)
    install = [UV, "pip", "install", "--python", str(python)]
    run_ok([*install, str(wheel)], cwd=tmp_path)
    run_ok([*install, str(foreign)], cwd=tmp_path)
    run_ok([*install, "-e", str(project)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_env(LANG="C.UTF-8", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))

    def ours_work() -> None:
        out = run_ok([str(script), "recommend", "--residency", "eu", "--json"], elsewhere, env=env)
        assert json.loads(out.stdout)["region"] == "eu-central-1"
        out = run_ok([str(python), "-m", "modelstudio_setup", "--version"], elsewhere, env=env)
        assert out.stdout.startswith("modelstudio-setup ")

    ours_work()
    # Their packages: the foreign wheel's `app` (and `screens`) is what `import app` finds
    # in their process, and the editable project's `app.main` is not shadowed by ours.
    theirs = run_ok(
        [str(python), "-c", "import app, screens; print(app.WHO, '|', screens.WHO)"],
        elsewhere,
        env=env,
    )
    assert theirs.stdout.strip() == "theirs | their screens"
    run_ok([*install[:2], "uninstall", "--python", str(python), "theirapp"], cwd=tmp_path)
    user = run_ok([str(python), "-c", "import app.main; print(app.main.WHO)"], elsewhere, env=env)
    assert user.stdout.strip() == "user project"
    # Uninstalling theirs removed nothing of ours.
    ours_work()
    site = next((venv / "lib").glob("python3*/site-packages"))
    assert not (site / "app").exists() and not (site / "assets").exists()
