"""The keyring code against a REAL Secret Service: gnome-keyring-daemon on a private D-Bus
session with a temporary HOME (tests/fixtures/keyring.py), the path a Linux desktop takes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import secretstorage

from app.secrets.key import ApiKey, KeyStoreError
from app.secrets.keyring import KEYRING_SERVICE, PROBE_USER_PREFIX, probe_keyring
from app.secrets.stores import KeyringStore
from tests.fixtures.keyring import (
    KEYRING_PASSWORD,
    SecretServiceSession,
    secrets_owner,
    wait_for_secrets,
)

KEY = ApiKey("sk-realkeyring0123456789abcdef")


def _profile() -> str:
    return "p-" + uuid.uuid4().hex[:10]


def _items(service: str = KEYRING_SERVICE) -> list[dict[str, str]]:
    with secretstorage.dbus_init() as bus:  # type: ignore[attr-defined]
        collection = secretstorage.get_default_collection(bus)
        return [item.get_attributes() for item in collection.get_all_items()]


def test_probe_finds_the_secret_service_and_leaves_nothing(
    secret_service: SecretServiceSession,
) -> None:
    status = probe_keyring(timeout=15)
    assert status.available, status.message()
    assert status.backend == "keyring.backends.SecretService.Keyring"
    assert not any(a.get("username", "").startswith(PROBE_USER_PREFIX) for a in _items()), (
        "the probe value must be deleted"
    )


def test_round_trip_in_the_real_keyring(secret_service: SecretServiceSession) -> None:
    profile = _profile()
    store = KeyringStore(timeout=15)
    assert store.get(profile) is None
    store.set(profile, KEY)
    assert store.get(profile) == KEY
    assert {"service": KEYRING_SERVICE, "username": profile}.items() <= next(
        a for a in _items() if a.get("username") == profile
    ).items()
    assert "SecretService" in store.describe()
    assert store.delete(profile) is True
    assert store.get(profile) is None
    assert store.delete(profile) is False


def test_another_process_reads_the_key_through_the_same_service(
    secret_service: SecretServiceSession,
) -> None:
    """What `key get` in a script does: a new process, the same keyring."""
    profile = _profile()
    KeyringStore(timeout=15).set(profile, KEY)
    code = (
        "from app.secrets.stores import KeyringStore;"
        f"print(KeyringStore(timeout=15).get({profile!r}).reveal())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=secret_service.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == KEY.reveal()
    KeyringStore(timeout=15).delete(profile)


def test_locked_collection_is_reported_with_the_unlock_step_that_works(
    secret_service: SecretServiceSession,
) -> None:
    profile = _profile()
    store = KeyringStore(timeout=15)
    store.set(profile, KEY)
    with secretstorage.dbus_init() as bus:  # type: ignore[attr-defined]
        secretstorage.get_default_collection(bus).lock()
    try:
        status = probe_keyring(timeout=15)
        assert not status.available
        assert status.reason == "secrets.keyring_locked"
        try:
            store.get(profile)
            raise AssertionError("a locked keyring must not answer")
        except KeyStoreError as exc:
            assert exc.reason == "secrets.keyring_locked"
            assert "gnome-keyring-daemon --replace --unlock --daemonize" in exc.message
            assert KEY.reveal() not in exc.message
    finally:
        # Follow the advice the message gives; it must actually unlock the keyring.
        before = secrets_owner(secret_service.address)
        subprocess.run(
            secret_service.unlock_command(),
            input=KEYRING_PASSWORD,
            env=secret_service.subprocess_env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        wait_for_secrets(secret_service.address, not_owner=before)  # the new daemon's name
    assert probe_keyring(timeout=15).available
    assert store.get(profile) == KEY
    store.delete(profile)


_PROBE = (
    "from app.secrets.keyring import probe_keyring; s = probe_keyring(20); "
    "print(s.reason, s.backend)"
)


def test_headless_session_bus_is_refused_with_the_unlock_step(
    bare_dbus_env: dict[str, str],
) -> None:
    """SSH into a server: D-Bus runs, no keyring is unlocked. Where gnome-keyring is
    installed, D-Bus activates it, but it has no login keyring and no desktop to ask for a
    password ("Prompt dismissed"); where it is not, there is no backend at all. Either way
    the keyring is refused with a reason, quickly, and the next step says what to do."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE + "; print(s.message())"],
        env=bare_dbus_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    reason, backend = out.splitlines()[0].split(" ", 1)
    # With keyrings.alt installed keyring picks a chain; the backend named is the one the
    # chain would really use (T20): "ChainerBackend -> SecretService.Keyring".
    backend = backend.rsplit(" -> ", 1)[-1]
    if shutil.which("gnome-keyring-daemon"):
        assert (reason, backend) == (
            "secrets.keyring_no_prompt",
            "keyring.backends.SecretService.Keyring",
        ), out
        assert "gnome-keyring-daemon --replace --unlock --daemonize" in out
    else:
        assert (reason, backend) == ("secrets.keyring_no_backend", "keyring.backends.fail.Keyring")


def test_configure_on_a_headless_session_fails_closed(
    bare_dbus_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    env = {**bare_dbus_env, "MODELSTUDIO_SETUP_CONFIG": str(config), "LC_ALL": "C.UTF-8"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "configure",
            "--region",
            "ap-southeast-1",
            "--workspace-id",
            "ws-headless1",
            "--api-key-stdin",
        ],
        input=KEY.reveal(),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 3, r.stderr
    assert "--store env" in r.stderr and "--store file" in r.stderr
    assert KEY.reveal() not in r.stdout + r.stderr
    assert not config.parent.exists() or not any(config.parent.iterdir())


def test_a_test_secret_service_that_stops_serving_is_noticed_and_replaced() -> None:
    """The fixture's own check (tests/fixtures/keyring.py `_Keeper`): a daemon that died or
    whose collection is locked is seen as not serving, and a new one serves again. Without
    this, one dead daemon turned every later keyring test of its worker red (seen in CI)."""
    import os
    import signal
    import time

    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    from tests.fixtures.keyring import _Keeper

    keeper = _Keeper()
    session = keeper.start()
    try:
        assert keeper.serving()
        with open_dbus_connection(bus=session.address) as conn:
            bus = DBusAddress(
                "/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus"
            )
            reply = conn.send_and_get_reply(
                new_method_call(
                    bus, "GetConnectionUnixProcessID", "s", ("org.freedesktop.secrets",)
                ),
                timeout=10,
            )
        daemon = reply.body[0]
        os.kill(daemon, signal.SIGKILL)
        for _ in range(100):  # SIGKILL is not instant: the bus sees the name go
            if not keeper.serving():
                break
            time.sleep(0.05)
        assert not keeper.serving()
        keeper.stop()
        keeper.start()
        assert keeper.serving()
    finally:
        keeper.stop()
