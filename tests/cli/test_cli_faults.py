"""Faults of the machine and of the user at a prompt: clear messages, never a traceback (C14).

The faults are real, made in ways that work as root: the child runs without root's
permission bypass (setpriv drops CAP_DAC_OVERRIDE) for unreadable files, with a file size
limit (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk) for failed writes, and on a
pseudo-terminal where Ctrl-D / Ctrl-C are typed for the prompts.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.fixtures.cli import CliRunner

KEY = "sk-0123456789abcdef0123456789abcdef"
NEW_KEY = "sk-fedcba9876543210fedcba9876543210"
# Starts the CLI with a 10-byte file size limit (Python ignores SIGXFSZ, so writes fail
# with EFBIG instead of killing the process): a full disk for every file it writes.
DISK_FULL = (
    sys.executable,
    "-c",
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10)); "
    "os.execv(sys.argv[1], sys.argv[1:])",
)


def _no_root_bypass() -> tuple[str, ...]:
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def _file_store(run_cli: CliRunner) -> Path:
    r = run_cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=KEY,
    )
    assert r.rc == 0, r
    return run_cli.config.parent / "keys" / "default.key"


def _clean(r) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in r.output
    assert KEY not in r.stderr and NEW_KEY not in r.output


@pytest.mark.parametrize(
    "args",
    [("key", "get"), ("env",), ("export", "--format", "dotenv", "--include-key")],
)
def test_an_unreadable_key_file_is_named_with_the_fix(run_cli: CliRunner, args) -> None:
    key_file = _file_store(run_cli)
    key_file.chmod(0o000)
    r = run_cli(*args, prefix=_no_root_bypass())
    assert r.rc == 2, r
    assert f"The key file {key_file} cannot be read (Permission denied)" in r.stderr
    assert f"chmod 600 {key_file}" in r.stderr
    assert r.stdout == ""
    _clean(r)


def test_profiles_show_says_why_the_key_cannot_be_read(run_cli: CliRunner) -> None:
    key_file = _file_store(run_cli)
    key_file.chmod(0o000)
    r = run_cli("profiles", "show", prefix=_no_root_bypass())
    assert f"The key file {key_file} cannot be read" in r.output, r
    assert f"could not be read from {key_file}:" in r.output  # not "from stored in PLAIN TEXT"
    assert "from stored in" not in r.output
    _clean(r)


def test_doctor_reports_the_unreadable_key_file_and_still_runs(run_cli: CliRunner) -> None:
    key_file = _file_store(run_cli)
    key_file.chmod(0o000)
    # Every surface goes to a closed loopback port: nothing leaves the machine.
    pin = "dashscope-intl.aliyuncs.com:443:127.0.0.1:9"
    r = run_cli("doctor", "--connect-to", pin, "--timeout", "2", prefix=_no_root_bypass())
    assert r.rc == 1, r
    assert f"The key file {key_file} cannot be read (Permission denied)" in r.stdout
    assert f"chmod 600 {key_file}" in r.stdout
    _clean(r)


def test_an_os_error_escaping_a_command_names_the_path_and_reason(run_cli: CliRunner) -> None:
    """The CLI boundary: a keys folder nobody may enter (lstat fails with EACCES)."""
    key_file = _file_store(run_cli)
    key_file.parent.chmod(0o000)
    try:
        r = run_cli("key", "get", prefix=_no_root_bypass())
    finally:
        key_file.parent.chmod(0o700)
    assert r.rc == 2, r
    assert f"Cannot use {key_file}: Permission denied. The command stopped" in r.stderr
    assert f"ls -ld {key_file}" in r.stderr
    _clean(r)


@pytest.mark.parametrize("args", [("key", "get"), ("env",), ("export", "--format", "sh")])
def test_standard_output_on_a_full_disk_is_a_clear_message(run_cli: CliRunner, args) -> None:
    """The CLI boundary with no path to name: stdout is /dev/full (ENOSPC on flush)."""
    _file_store(run_cli)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "app", *args],
            env=run_cli.base_env(),
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "No space left on device. The command stopped at that step." in err
    assert "Free some disk space" in err
    assert "Traceback" not in err and "Exception ignored" not in err and KEY not in err


def test_key_set_on_a_full_disk_keeps_the_old_key(run_cli: CliRunner) -> None:
    key_file = _file_store(run_cli)
    r = run_cli("key", "set", "--api-key-stdin", input=NEW_KEY, prefix=DISK_FULL)
    assert r.rc == 2, r
    assert f"Could not write the key file {key_file}: File too large" in r.stderr
    assert "The key was not stored" in r.stderr
    assert key_file.read_text().strip() == KEY
    # What is left beside the key: no other copy of a key (the writer's temp folder is empty).
    left = [p for p in key_file.parent.rglob("*") if p.is_file() and p != key_file]
    assert all(KEY not in p.read_text() and NEW_KEY not in p.read_text() for p in left), left
    assert {p.name for p in key_file.parent.iterdir()} <= {
        ".gitignore",
        "default.key",
        ".modelstudio-setup.tmp",
    }
    _clean(r)


def test_configure_store_file_on_a_full_disk_writes_nothing(run_cli: CliRunner) -> None:
    key_file = _file_store(run_cli)
    before = run_cli.config.read_bytes()
    r = run_cli(
        "configure",
        "--profile",
        "second",
        "--region",
        "cn-beijing",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=NEW_KEY,
        prefix=DISK_FULL,
    )
    assert r.rc == 2, r
    assert "File too large" in r.stderr
    assert run_cli.config.read_bytes() == before
    assert sorted(p.name for p in key_file.parent.iterdir()) == [".gitignore", "default.key"]
    _clean(r)


# ------------------------------------------------------------------ Ctrl-D / Ctrl-C at a prompt


def _take_terminal() -> None:
    """In the child: the pty becomes its controlling terminal, and Ctrl-C acts as in a
    user's shell (a test runner started in the background inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _on_tty(env: dict[str, str], args: list[str], prompt: str, typed: bytes) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as its controlling terminal; type `typed` once
    `prompt` is on screen. (No os.login_tty: Python 3.10 has none.)"""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(slave)
    output, sent = b"", False
    try:
        for _ in range(600):  # bounded: at most ~60 s, then the test fails instead of hanging
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if not sent and prompt.encode() in output:
                # A person takes a moment: a Ctrl-C between the prompt being flushed and the
                # read starting would only be seen at the next read.
                time.sleep(0.5)
                os.write(master, typed)
                sent = True
        else:
            proc.kill()
            raise AssertionError(f"no exit; screen so far: {output!r}")
    finally:
        os.close(master)
    return proc.wait(timeout=60), output.decode("utf-8", "replace")


PROMPTS = [
    (["key", "delete"], "[y/N]"),
    (["profiles", "delete", "default"], "[y/N]"),
    (["key", "set"], "API key (input hidden): "),
]


@pytest.mark.parametrize(("args", "prompt"), PROMPTS)
@pytest.mark.parametrize(
    ("typed", "rc", "said"),
    [
        (b"\x04", 2, "Cancelled: the input ended (Ctrl-D) before an answer. Nothing was changed."),
        (b"\x03", 130, "Cancelled (Ctrl-C). Nothing was changed."),
    ],
)
def test_ending_a_prompt_cancels_and_changes_nothing(
    run_cli: CliRunner, args: list[str], prompt: str, typed: bytes, rc: int, said: str
) -> None:
    key_file = _file_store(run_cli)
    config = run_cli.config.read_bytes()
    code, screen = _on_tty(run_cli.base_env(), args, prompt, typed)
    assert code == rc, screen
    assert said in screen
    assert "Traceback" not in screen and "EOFError" not in screen
    assert key_file.read_text().strip() == KEY
    assert run_cli.config.read_bytes() == config
    assert KEY not in screen
