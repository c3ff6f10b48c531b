"""app.config.io.user_dir gives platformdirs' answer without importing it where it can."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from app.config.io import user_dir
from app.config.schema import APP_NAME

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    {"XDG_CONFIG_HOME": "/x/conf", "XDG_STATE_HOME": "/x/state", "HOME": "/h"},
    {"XDG_CONFIG_HOME": "/x/conf/", "XDG_STATE_HOME": "/x//state", "HOME": "/h"},
    {"HOME": "/h"},
    {"HOME": "/h/"},
    {"XDG_CONFIG_HOME": "", "XDG_STATE_HOME": "", "HOME": "/h"},
    {"XDG_CONFIG_HOME": "relative", "XDG_STATE_HOME": "rel/state", "HOME": "/h"},
    {"XDG_CONFIG_HOME": "  ", "HOME": "/h"},
    {"HOME": "relative-home"},
    {},
]


@pytest.mark.parametrize("env", CASES, ids=repr)
def test_the_same_folders_as_platformdirs(monkeypatch, env):
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert user_dir("config") == platformdirs.user_config_path(APP_NAME)
    assert user_dir("state") == platformdirs.user_state_path(APP_NAME)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG rules")
def test_the_usual_case_does_not_import_platformdirs():
    code = (
        "import sys; from app.config.io import config_path, user_dir; "
        "config_path(None); user_dir('state'); print('platformdirs' in sys.modules)"
    )
    env = {"HOME": "/h", "PATH": "/usr/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False", out.stderr
