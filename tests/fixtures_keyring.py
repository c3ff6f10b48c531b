"""Fixtures: keyring.

`secret_service` runs a REAL Secret Service (gnome-keyring-daemon) on a private D-Bus session
with a temporary HOME, so the keyring tests exercise the same code path as a Linux desktop
without touching anyone's real keyring (TESTING.md). The daemon is started once per test
session; each test gets its own keyring backend selection and environment, and tests use
their own profile names, so they stay independent.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.secrets import MemoryStore

KEYRING_PASSWORD = "test-keyring-password"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
FAIL_BACKEND = "keyring.backends.fail.Keyring"
_BINARIES = ("dbus-daemon", "gnome-keyring-daemon")


@dataclass
class SecretServiceSession:
    """A private D-Bus session with an unlocked gnome-keyring; `env` is for subprocesses."""

    address: str
    dbus_pid: int
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        """os.environ plus what a child needs to reach this keyring (and only this one)."""
        return {**os.environ, **self.env, **extra}

    def unlock_command(self) -> list[str]:
        return ["gnome-keyring-daemon", "--replace", "--unlock", "--daemonize"]


def _start_session(root: Path) -> SecretServiceSession:
    home = root / "home"
    runtime = root / "run"
    (home / ".local" / "share" / "keyrings").mkdir(parents=True)
    runtime.mkdir(mode=0o700)
    base_env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=base_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    address, dbus_pid = out[0], int(out[1])
    env = {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "DBUS_SESSION_BUS_ADDRESS": address,
        "PYTHON_KEYRING_BACKEND": SECRET_SERVICE_BACKEND,
    }
    try:
        # The password on stdin creates and unlocks the default collection; without it,
        # creating the collection needs a prompt and fails with "Prompt dismissed".
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
            input=KEYRING_PASSWORD,
            env={**base_env, **env},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except BaseException:
        _kill(dbus_pid)
        raise
    return SecretServiceSession(address=address, dbus_pid=dbus_pid, home=home, env=env)


def _kill(pid: int) -> None:
    """End the dbus-daemon we started (by its pid); gnome-keyring exits when its bus goes."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


@pytest.fixture(scope="session")
def _secret_service_session() -> Iterator[SecretServiceSession]:
    missing = [name for name in _BINARIES if shutil.which(name) is None]
    if missing:
        pytest.skip(
            f"real Secret Service tests need {', '.join(missing)} "
            "(Debian: apt-get install gnome-keyring dbus; .ci/run installs them)"
        )
    root = Path(tempfile.mkdtemp(prefix="msetup-keyring-"))
    session = _start_session(root)
    try:
        yield session
    finally:
        _kill(session.dbus_pid)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def bare_dbus_env() -> Iterator[dict[str, str]]:
    """A D-Bus session with NO Secret Service on it: a headless server's usual state.

    Returned as a subprocess environment (keyring auto-detection is cached per process).
    """
    if shutil.which("dbus-daemon") is None:
        pytest.skip("needs dbus-daemon (Debian: apt-get install dbus; .ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="msetup-bare-dbus-"))
    (root / "home").mkdir()
    (root / "run").mkdir(mode=0o700)
    private = {"HOME": str(root / "home"), "XDG_RUNTIME_DIR": str(root / "run")}
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env={**os.environ, **private},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    address, pid = out[0], int(out[1])
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env.update({**private, "DBUS_SESSION_BUS_ADDRESS": address})
    try:
        yield env
    finally:
        _kill(pid)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def secret_service(
    _secret_service_session: SecretServiceSession, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    """The real Secret Service for this test: env pointed at it, keyring backend selected."""
    import keyring
    from keyring.backends import SecretService

    for name, value in _secret_service_session.env.items():
        monkeypatch.setenv(name, value)
    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    try:
        yield _secret_service_session
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def use_backend() -> Iterator[object]:
    """Install an in-process keyring backend for one test: `use_backend(backend)`."""
    import keyring

    previous = keyring.get_keyring()

    def install(backend: object) -> object:
        keyring.set_keyring(backend)  # type: ignore[arg-type]
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def no_keyring_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a CLI subprocess with no usable keyring (the fail backend)."""
    home = tmp_path / "no-keyring-home"
    home.mkdir()
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": FAIL_BACKEND, "HOME": str(home)}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return env
