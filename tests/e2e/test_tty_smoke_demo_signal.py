"""`--demo` leaves nothing in the temp dir when its terminal is closed or it is killed (B43).

A real process in a real pseudo-terminal: closing a terminal window sends SIGHUP, which
ends a Python process without running its `finally` blocks unless it handles the signal.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _read_until(fd: int, needle: bytes, deadline: float) -> bytes:
    seen = b""
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_demo_temp_dir_is_removed_when_the_terminal_goes_away(tmp_path: Path, sig) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), TERM="xterm-256color", COLUMNS="100", LINES="30")
    env.pop("MODELSTUDIO_SETUP_CONFIG", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--demo", "--lang", "en"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    os.close(slave)
    try:
        # Wait until the wizard has drawn (the DEMO banner), so the demo dir exists.
        _read_until(master, b"DEMO", time.monotonic() + 60)
        demo_dirs = list(tmp.glob("modelstudio-setup-demo-*"))
        assert len(demo_dirs) == 1, "the demo did not start"
        assert (demo_dirs[0] / "config").is_dir()
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == -sig  # still reports dying of the signal, as before
    assert list(tmp.glob("modelstudio-setup-demo-*")) == []
