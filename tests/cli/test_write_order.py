"""Order of changes (T19): the step that can fail goes first, and a message says "Nothing was
changed" only when that is true.

The config write is made to fail for real, even as root (who ignores chmod): the command
runs under `prlimit --fsize`, so the kernel refuses to grow any file past a few bytes (EFBIG),
exactly what a full disk does to the write. A kill at the config's rename is a SIGKILL sent
from an audit hook at `os.replace`, the last instant before the config would be in place.
"""

from __future__ import annotations

import shutil

import pytest

from app.config.io import load_config
from tests.fixtures.cli import CliRunner, kill_at_rename
from tests.fixtures.keyring import legacy_config

KEY = "sk-order0123456789abcdef0123456"
CONF = ("configure", "--region", "ap-southeast-1", "--workspace-id", "ws-order1")

needs_prlimit = pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")
FULL_DISK = ("prlimit", "--fsize=64", "--")


@needs_prlimit
def test_profiles_delete_with_a_full_disk_keeps_the_key_and_says_so_truly(
    run_cli, secret_service
) -> None:
    env = dict(secret_service.env)
    backend = env["PYTHON_KEYRING_BACKEND"]
    made = run_cli(*CONF, "--api-key-stdin", input=KEY, env=env, keyring_backend=backend)
    assert made.rc == 0, made.output
    before = run_cli.config.read_bytes()
    r = run_cli("profiles", "delete", "--yes", env=env, keyring_backend=backend, prefix=FULL_DISK)
    assert r.rc != 0
    assert "Nothing was changed" in r.stderr
    assert "Traceback" not in r.stderr
    # ... and it is true: the profile and its key are both still there.
    assert run_cli.config.read_bytes() == before
    got = run_cli("key", "get", env=env, keyring_backend=backend)
    assert got.stdout == KEY + "\n", got.output


def test_configure_killed_at_the_config_rename_leaves_no_key_file(run_cli: CliRunner) -> None:
    proc = kill_at_rename(
        run_cli, "config.yaml", *CONF, "--store", "file", "--api-key-stdin", input=KEY
    )
    assert proc.returncode == -9, proc.stderr
    keys = run_cli.config.parent / "keys"
    leftovers = [p for p in keys.rglob("*") if p.is_file() and p.name != ".gitignore"]
    assert [p for p in leftovers if KEY.encode() in p.read_bytes()] == []
    assert not run_cli.config.exists()


@needs_prlimit
def test_configure_file_store_with_a_full_disk_writes_nothing(run_cli: CliRunner) -> None:
    r = run_cli(*CONF, "--store", "file", "--api-key-stdin", input=KEY, prefix=FULL_DISK)
    assert r.rc != 0 and "Traceback" not in r.stderr
    assert "Nothing was changed" in r.stderr
    keys = run_cli.config.parent / "keys"
    assert not (keys / "default.key").exists()
    assert not run_cli.config.exists() or not load_config(run_cli.config).profiles


def test_key_set_killed_before_the_config_records_the_entry_keeps_the_old_key(
    run_cli, secret_service
) -> None:
    """A legacy profile's `key set`: the new scoped entry is written first; killed before
    the config names it, the profile still finds its old key (write first, delete after)."""
    import keyring

    env = dict(secret_service.env)
    legacy_config(run_cli.config)
    keyring.set_password("modelstudio-setup", "default", KEY)
    try:
        new = "sk-ordernew123456789abcdef0123456"
        proc = kill_at_rename(
            run_cli, "config.yaml", "key", "set", "--api-key-stdin", input=new, env=env
        )
        assert proc.returncode == -9
        assert load_config(run_cli.config).profiles["default"].api_key.account is None
        assert keyring.get_password("modelstudio-setup", "default") == KEY
    finally:
        if keyring.get_password("modelstudio-setup", "default") is not None:
            keyring.delete_password("modelstudio-setup", "default")


@needs_prlimit
def test_a_failed_undo_is_said_instead_of_nothing_changed(run_cli: CliRunner) -> None:
    """The config write fails after the keyring entry was stored, and the keyring refuses
    to take it out again: the message must say the key is still stored."""
    r = run_cli(
        *CONF, "--api-key-stdin", input=KEY, prefix=FULL_DISK,
        keyring_backend="tests.fixtures.keyring_backends.CannotDelete",
    )  # fmt: skip
    assert r.rc != 0
    assert "already stored in" in r.stderr and "could not be taken out again" in r.stderr
    assert KEY not in r.output


def test_configure_moving_a_key_to_a_file_killed_midway_keeps_a_config_with_its_key(
    run_cli, secret_service
) -> None:
    """QA: keyring -> `--store file` killed midway. The key file is written before the
    config names it, and the keyring entry removed only after: at every kill point the
    config names a store that holds the key."""
    from app.secrets.stores import store_for

    env = dict(secret_service.env)
    backend = env["PYTHON_KEYRING_BACKEND"]
    made = run_cli(*CONF, "--api-key-stdin", input=KEY, env=env, keyring_backend=backend)
    assert made.rc == 0, made.output
    new = "sk-ordermove23456789abcdef0123456"
    for end in ("default.key", "config.yaml"):
        proc = kill_at_rename(
            run_cli, end, *CONF, "--store", "file", "--api-key-stdin", input=new, env=env
        )
        assert proc.returncode == -9, proc.stderr
        profile = load_config(run_cli.config).profiles["default"]
        held = store_for(profile.api_key, run_cli.config.parent).get("default")
        assert held is not None and held.reveal() in (KEY, new), end
    done = run_cli(*CONF, "--store", "file", "--api-key-stdin", input=new, env=env,
                   keyring_backend=backend)  # fmt: skip
    assert done.rc == 0, done.output
    assert run_cli("key", "get", env=env, keyring_backend=backend).stdout == new + "\n"
