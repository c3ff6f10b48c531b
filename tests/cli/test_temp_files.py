"""Temp files that hold the key (A4): a real CLI process is signalled at the instant its temp
file is complete and about to be renamed into place (an audit hook on `os.replace`).

SIGTERM / SIGHUP: the temp file is removed and the process still dies of the signal.
SIGKILL: nothing can run, so the temp file must be named so that `git add .` never takes
it (a git repository with the usual `.env` ignore rule proves it), and the next write
sweeps it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.config.io import modify_config
from app.config.validate import make_profile
from app.fs import TMP_DIR
from app.secrets.stores import KeyRef
from tests.fixtures.cli import REPO_ROOT, CliRunner

KEY = "sk-tempfile0123456789abcdef0123"

# SIGHUP back to its default first: a run under nohup (or a CI runner) starts the test with
# it ignored, and the tool rightly keeps an ignored SIGHUP ignored.
_SIGNAL_AT_RENAME = """
import os, signal, sys
signal.signal(signal.SIGHUP, signal.SIG_DFL)
end, sig = os.environ["AT_RENAME"], int(os.environ["SEND_SIGNAL"])
def hook(event, args):
    if event == "os.rename" and str(args[1]).endswith(end):
        os.kill(os.getpid(), sig)
sys.addaudithook(hook)
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _signal_at_rename(run_cli: CliRunner, end: str, sig: int, *args: str, input: str = ""):
    env = {**run_cli.base_env(), "AT_RENAME": end, "SEND_SIGNAL": str(int(sig))}
    return subprocess.run(
        [sys.executable, "-c", _SIGNAL_AT_RENAME, *args],
        input=input.encode(),
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )


def _holding_key(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and KEY.encode() in p.read_bytes()
    ]


def _env_profile(run_cli: CliRunner) -> None:
    profile, _ = make_profile(
        "default", region="ap-southeast-1", workspace_id="ws-temp1", api_key=KeyRef("env")
    )
    modify_config(run_cli.config, lambda c: c.with_profile(profile))


def _export_env(run_cli: CliRunner, project: Path, sig: int):
    return _signal_at_rename(
        run_cli,
        "/.env",
        sig,
        "export", "--format", "dotenv", "--include-key", "--output", str(project / ".env"),
    )  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_term_and_hup_mid_write_leave_no_temp_file(run_cli: CliRunner, tmp_path, sig) -> None:
    _env_profile(run_cli)
    project = tmp_path / "project"
    project.mkdir()
    run_cli.base_env = _with_key(run_cli.base_env)  # type: ignore[method-assign]
    proc = _export_env(run_cli, project, sig)
    assert proc.returncode == -sig, proc.stderr
    assert _holding_key(project) == []
    assert list(project.iterdir()) == []  # no temp folder left either


def _with_key(base_env):
    def env(*a, **kw):
        return {**base_env(*a, **kw), "DASHSCOPE_API_KEY": KEY}

    return env


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_sigkill_mid_write_leaves_nothing_git_would_add_and_the_next_run_sweeps_it(
    run_cli: CliRunner, tmp_path
) -> None:
    _env_profile(run_cli)
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".gitignore").write_text(".env\n")
    run_cli.base_env = _with_key(run_cli.base_env)  # type: ignore[method-assign]
    proc = _export_env(run_cli, project, signal.SIGKILL)
    assert proc.returncode == -9, proc.stderr
    left = _holding_key(project)
    assert left and all(TMP_DIR in p.parts for p in left)  # the key IS in a temp file...
    status = subprocess.run(
        ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert status.strip() == "?? .gitignore"  # ... that git does not even see
    again = run_cli("export", "--format", "dotenv", "--output", str(project / ".env"))
    assert again.rc == 0, again.output
    assert _holding_key(project) == []  # swept (and this export holds no key)
    assert not (project / TMP_DIR).exists()


def test_a_key_file_killed_mid_write_is_swept_by_the_next_write(run_cli: CliRunner) -> None:
    proc = _signal_at_rename(
        run_cli,
        "default.key",
        signal.SIGKILL,
        "configure", "--region", "ap-southeast-1", "--workspace-id", "ws-temp1",
        "--store", "file", "--api-key-stdin",
        input=KEY,
    )  # fmt: skip
    assert proc.returncode == -9
    keys = run_cli.config.parent / "keys"
    assert [p.parent.name for p in _holding_key(keys)] == [TMP_DIR]
    other = "sk-tempfile0123456789abcdefNEW2"
    r = run_cli(
        "configure", "--region", "ap-southeast-1", "--workspace-id", "ws-temp1",
        "--store", "file", "--api-key-stdin", input=other,
    )  # fmt: skip
    assert r.rc == 0, r.output
    assert _holding_key(keys) == []  # the stale temp copy of the first key is gone
