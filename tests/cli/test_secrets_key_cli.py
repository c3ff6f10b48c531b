"""The `key` command end to end: `python -m app key ...` in a subprocess with a private
config, as a script or a user runs it. The key appears on stdout of `key get` only."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from app.config.io import modify_config
from app.config.validate import make_profile as _make_profile
from app.secrets.key import ApiKey
from app.secrets.stores import FileStore, KeyRef
from tests.fixtures.cli import CliResult, CliRunner
from tests.fixtures.keyring import SECRET_SERVICE_BACKEND, SecretServiceSession

KEY = "sk-keycli0123456789abcdefWXYZ"
NEW_KEY = "sk-rotated0123456789abcdefNEW1"
CONFIGURE_ARGS = ("--region", "ap-southeast-1", "--workspace-id", "ws-keycli01", "--api-key-stdin")


def _add_profile(config: Path, name: str, store: str, env: str = "DASHSCOPE_API_KEY") -> None:
    profile, _ = _make_profile(
        name, region="ap-southeast-1", workspace_id="ws-keycli01", api_key=KeyRef(store, env)
    )
    modify_config(config, lambda c: c.with_profile(profile))


def _no_key_leak(*results: CliResult, secret: str = KEY) -> None:
    for r in results:
        assert secret not in r.stderr


def test_configure_then_key_get_prints_only_the_key(run_cli: CliRunner) -> None:
    r = run_cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--workspace-id",
        "ws-keycli01",
        "--api-key-stdin",
        "--store",
        "file",
        input=KEY + "\n",
    )
    assert r.rc == 0, r.output
    assert KEY not in r.output
    got = run_cli("key", "get")
    assert (got.rc, got.stdout, got.stderr) == (0, KEY + "\n", "")
    # The same through a substitution, as the exported shell snippets use it.
    sh = subprocess.run(
        ["sh", "-c", f'k="$({sys.executable} -m app key get)"; test "$k" = "{KEY}" && echo same'],
        env=run_cli.base_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sh.stdout.strip() == "same", sh.stderr


def test_key_delete_removes_the_key_and_get_then_exits_1(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "work", "file")
    FileStore(run_cli.config.parent).set("work", ApiKey(KEY))
    key_file = run_cli.config.parent / "keys" / "work.key"
    deleted = run_cli("key", "delete", "--profile", "work", "--yes")
    assert deleted.rc == 0, deleted.output
    assert str(key_file) in deleted.stdout
    assert not key_file.exists()
    missing = run_cli("key", "get", "--profile", "work")
    assert missing.rc == 1
    assert missing.stdout == ""
    # "work" is the default profile: the remedy addresses it as `key set` (cli_address).
    assert missing.stderr.rstrip().endswith("modelstudio-setup key set")
    again = run_cli("key", "delete", "--profile", "work", "--yes")
    assert again.rc == 0 and "nothing to delete" in again.stdout
    # The profile itself stays.
    assert "work:" in run_cli.config.read_text()
    _no_key_leak(deleted, missing, again)


def test_key_delete_without_a_terminal_needs_yes(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "default", "file")
    FileStore(run_cli.config.parent).set("default", ApiKey(KEY))
    r = run_cli("key", "delete")
    assert r.rc == 2
    assert "--yes" in r.stderr
    assert FileStore(run_cli.config.parent).get("default") == ApiKey(KEY)


def _take_controlling_terminal() -> None:
    """In the child, after setsid: make its stdin (the pty slave) the controlling terminal,
    so getpass reads from it. `os.login_tty` does this too, but only from Python 3.11."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _run_on_tty(env: dict[str, str], args: list[str], prompt: str, answer: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as its controlling terminal; type `answer` once
    `prompt` is on screen (getpass flushes input typed before it turns echo off)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_controlling_terminal,
    )
    os.close(slave)
    output = b""
    sent = False
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
                os.write(master, answer.encode())
                sent = True
        else:
            proc.kill()
            raise AssertionError(f"no exit; screen so far: {output!r}")
    finally:
        os.close(master)
    return proc.wait(timeout=60), output.decode("utf-8", "replace")


@pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("y\n", False)])
def test_key_delete_on_a_terminal_asks_first(run_cli: CliRunner, answer: str, kept: bool) -> None:
    _add_profile(run_cli.config, "default", "file")
    store = FileStore(run_cli.config.parent)
    store.set("default", ApiKey(KEY))
    rc, screen = _run_on_tty(run_cli.base_env(), ["key", "delete"], "[y/N]", answer)
    assert rc == 0, screen
    assert "[y/N]" in screen
    assert (store.get("default") is not None) is kept
    assert KEY not in screen


def test_key_set_on_a_terminal_prompts_without_echo(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "default", "file")
    rc, screen = _run_on_tty(run_cli.base_env(), ["key", "set"], "input hidden", NEW_KEY + "\n")
    assert rc == 0, screen
    assert "input hidden" in screen
    assert NEW_KEY not in screen, "the typed key must not be echoed"
    assert FileStore(run_cli.config.parent).get("default") == ApiKey(NEW_KEY)


def test_key_set_replaces_the_key_from_stdin_or_env(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "default", "file")
    store = FileStore(run_cli.config.parent)
    store.set("default", ApiKey(KEY))
    r = run_cli("key", "set", "--api-key-stdin", input=NEW_KEY + "\n")
    assert r.rc == 0, r.output
    assert "sk-…NEW1" in r.stdout and NEW_KEY not in r.output
    assert store.get("default") == ApiKey(NEW_KEY)
    r = run_cli("key", "set", "--api-key-env", "ROTATED_KEY", env={"ROTATED_KEY": KEY})
    assert r.rc == 0, r.output
    assert store.get("default") == ApiKey(KEY)


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["--api-key-stdin"], "sk-bad key 0123456789", "space"),
        (["--api-key-stdin"], "\u201csk-0123456789abcdef", "U+201C"),
        (["--api-key-stdin"], "", "empty"),
        ([], "", "--api-key-stdin"),
        (["--api-key-env", "UNSET_X_KEY"], "", "UNSET_X_KEY"),
        (["--api-key-env", "BAD;NAME"], "", "environment variable name"),
    ],
)
def test_key_set_bad_input_exits_2_and_keeps_the_old_key(
    run_cli: CliRunner, args: list[str], stdin: str, needle: str
) -> None:
    _add_profile(run_cli.config, "default", "file")
    store = FileStore(run_cli.config.parent)
    store.set("default", ApiKey(KEY))
    r = run_cli("key", "set", *args, input=stdin)
    assert r.rc == 2, r.output
    assert needle in r.stderr
    assert store.get("default") == ApiKey(KEY)
    if len(stdin) > 8:
        assert stdin.strip() not in r.output


def test_key_get_for_an_unknown_profile_or_no_config_exits_2(run_cli: CliRunner) -> None:
    none = run_cli("key", "get")
    assert none.rc == 2 and none.stdout == ""
    _add_profile(run_cli.config, "default", "file")
    unknown = run_cli("key", "get", "--profile", "nope")
    assert unknown.rc == 2 and unknown.stdout == ""
    assert "nope" in unknown.stderr
    bad = run_cli("key", "get", "--keyring-timeout", "0")
    assert bad.rc == 2 and "--keyring-timeout" in bad.stderr


def test_env_store_profile_reads_the_variable_and_deletes_nothing(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "default", "env", env="TEAM_KEY")
    got = run_cli("key", "get", env={"TEAM_KEY": KEY})
    assert (got.rc, got.stdout) == (0, KEY + "\n")
    unset = run_cli("key", "get")
    assert unset.rc == 1 and "TEAM_KEY, which is not set" in unset.stderr
    deleted = run_cli("key", "delete", "--yes", env={"TEAM_KEY": KEY})
    assert deleted.rc == 0 and "TEAM_KEY" in deleted.stdout
    stored = run_cli("key", "set", "--api-key-stdin", input=KEY)
    assert stored.rc == 0 and "TEAM_KEY" in stored.stdout
    assert not (run_cli.config.parent / "keys").exists()
    _no_key_leak(got, unset, deleted, stored)


def test_keyring_profile_without_a_keyring_explains_the_reason(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "default", "keyring")
    got = run_cli("key", "get")  # the fixture's default backend is keyring's fail backend
    assert got.rc == 2 and got.stdout == ""
    assert "No OS keyring is available" in got.stderr
    assert "--store env" in got.stderr
    put = run_cli("key", "set", "--api-key-stdin", input=KEY)
    assert put.rc == 3
    _no_key_leak(got, put)


def test_messages_follow_lang(run_cli: CliRunner) -> None:
    _add_profile(run_cli.config, "default", "file")
    r = run_cli("key", "get", "--lang", "zh")
    assert r.rc == 1
    assert "没有找到" in r.stderr


def test_configure_fails_closed_without_a_keyring(
    no_keyring_env: dict[str, str], tmp_path: Path
) -> None:
    """No store chosen and no usable keyring: exit 3, alternatives named, nothing written."""
    config = tmp_path / "cfg" / "config.yaml"
    env = {**no_keyring_env, "MODELSTUDIO_SETUP_CONFIG": str(config), "LC_ALL": "C.UTF-8"}
    env.pop("DASHSCOPE_API_KEY", None)
    r = subprocess.run(
        [sys.executable, "-m", "app", "configure", *CONFIGURE_ARGS],
        input=KEY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 3, r.stderr
    assert "--store env" in r.stderr and "--store file" in r.stderr
    assert KEY not in r.stdout + r.stderr
    assert not config.exists()
    assert not (tmp_path / "cfg" / "keys").exists()


def test_key_get_and_delete_with_the_real_keyring(
    run_cli: CliRunner, secret_service: SecretServiceSession
) -> None:
    env = {**secret_service.env}
    r = run_cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--workspace-id",
        "ws-keycli01",
        "--api-key-stdin",
        "--profile",
        "real-kr",
        input=KEY,
        env=env,
        keyring_backend=SECRET_SERVICE_BACKEND,
    )
    assert r.rc == 0, r.output
    assert "store: keyring" in run_cli.config.read_text()
    assert KEY not in run_cli.config.read_text()
    got = run_cli(
        "key", "get", "--profile", "real-kr", env=env, keyring_backend=SECRET_SERVICE_BACKEND
    )
    assert (got.rc, got.stdout) == (0, KEY + "\n"), got.stderr
    deleted = run_cli(
        "key",
        "delete",
        "--profile",
        "real-kr",
        "--yes",
        env=env,
        keyring_backend=SECRET_SERVICE_BACKEND,
    )
    assert deleted.rc == 0, deleted.output
    assert "OS keyring" in deleted.stdout
    gone = run_cli(
        "key", "get", "--profile", "real-kr", env=env, keyring_backend=SECRET_SERVICE_BACKEND
    )
    assert gone.rc == 1 and gone.stdout == ""
    _no_key_leak(r, got, deleted, gone)


@pytest.mark.parametrize("var", ["PATH", "LD_PRELOAD", "DYLD_LIBRARY_PATH", "HOME"])
def test_key_set_refuses_reserved_variable_names_like_configure(
    run_cli: CliRunner, var: str
) -> None:
    """Sweep S6: `key set --api-key-env PATH` must not store $PATH as the API key."""
    _add_profile(run_cli.config, "default", "file")
    store = FileStore(run_cli.config.parent)
    store.set("default", ApiKey(KEY))
    r = run_cli("key", "set", "--api-key-env", var, env={var: "sk-notakey0123456789abcdef"})
    assert r.rc == 2, r.output
    assert "not a usable environment variable name" in r.stderr
    assert store.get("default") == ApiKey(KEY)
