"""The keyring probe and KeyringStore against in-process backends for every way a keyring
fails (SECURITY.md T6-T8): each gives available=False with its own reason, never hangs the
caller, and never lets a key be written where it would be lost or kept in plain text."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring import backend as kb
from keyring import errors
from keyring.backends import chainer, fail, null

from app.core.errors import UserError
from app.secrets.key import ApiKey, KeyStoreError
from app.secrets.keyring import KEYRING_SERVICE, probe_keyring
from app.secrets.stores import KeyRef, KeyringStore, NoSecureStore, choose_store, store_for

KEY = ApiKey("sk-keyringtest0123456789abcdef")


def _unregistered(cls: type) -> type:
    """Keep test backends out of keyring's auto-detection for the rest of the session."""
    kb.KeyringBackend._classes.discard(cls)  # type: ignore[attr-defined]
    return cls


@_unregistered
class DictKeyring(kb.KeyringBackend):
    """A working keyring: what a Secret Service does, minus the daemon."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise errors.PasswordDeleteError("not found")
        del self.items[(service, username)]


@_unregistered
class SwallowingKeyring(DictKeyring):
    """Claims a good priority, accepts writes, returns nothing: a null backend in disguise."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


@_unregistered
class MangledKeyring(DictKeyring):
    """Reads back something other than what was written (encoding bug, shared entry)."""

    def get_password(self, service: str, username: str) -> str | None:
        value = super().get_password(service, username)
        return None if value is None else value[:-1] + "?"


@_unregistered
class RaisingKeyring(DictKeyring):
    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc


@_unregistered
class LeakyKeyring(DictKeyring):
    """A backend whose error message quotes the secret it was given."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError(5, f"cannot store {password!r} for {username}")


@_unregistered
class UndeletableKeyring(DictKeyring):
    def delete_password(self, service: str, username: str) -> None:
        raise errors.PasswordDeleteError("read-only collection")


@_unregistered
class HangingKeyring(DictKeyring):
    """Blocks like a Secret Service waiting for an unlock prompt nobody can answer."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def _hang(self) -> None:
        self.entered.set()
        self.release.wait()

    def get_password(self, service: str, username: str) -> str | None:
        self._hang()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang()


@_unregistered
class PlaintextKeyring(DictKeyring):
    """Shaped like keyrings.alt.file.PlaintextKeyring (module and name)."""

    priority = 0.5  # type: ignore[assignment]


PlaintextKeyring.__module__ = "keyrings.alt.file"


@_unregistered
class LowPriorityKeyring(DictKeyring):
    priority = 0.2  # type: ignore[assignment]


@_unregistered
class EmptyChainer(chainer.ChainerBackend):
    backends = ()  # type: ignore[assignment]


@pytest.fixture
def hanging(use_backend: Callable[[object], object]) -> Iterator[HangingKeyring]:
    backend = HangingKeyring()
    use_backend(backend)
    yield backend
    backend.release.set()  # let the abandoned worker thread finish


@pytest.mark.parametrize(
    ("make", "reason", "next_step"),
    [
        (fail.Keyring, "secrets.keyring_no_backend", "secrets.next_no_backend"),
        (null.Keyring, "secrets.keyring_null", "secrets.next_no_backend"),
        (EmptyChainer, "secrets.keyring_no_backend", "secrets.next_no_backend"),
        (SwallowingKeyring, "secrets.keyring_null", "secrets.next_no_backend"),
        (MangledKeyring, "secrets.keyring_mismatch", "secrets.next_no_backend"),
        (PlaintextKeyring, "secrets.keyring_plaintext", "secrets.next_insecure_backend"),
        (LowPriorityKeyring, "secrets.keyring_not_recommended", "secrets.next_insecure_backend"),
        (
            lambda: RaisingKeyring(errors.KeyringLocked("Failed to unlock the collection!")),
            "secrets.keyring_locked",
            "secrets.next_unlock_linux",
        ),
        (
            lambda: RaisingKeyring(errors.InitError("Failed to create the collection")),
            "secrets.keyring_init_error",
            "secrets.next_check_service",
        ),
        (
            lambda: RaisingKeyring(PermissionError(13, "Permission denied", "/run/user/0/bus")),
            "secrets.keyring_os_error",
            "secrets.next_check_service",
        ),
        (
            lambda: RaisingKeyring(ValueError("D-Bus said no")),
            "secrets.keyring_error",
            "secrets.next_check_service",
        ),
        (
            lambda: RaisingKeyring(errors.NoKeyringError("nothing")),
            "secrets.keyring_no_backend",
            "secrets.next_no_backend",
        ),
        (UndeletableKeyring, "secrets.keyring_refused", "secrets.next_no_backend"),
    ],
)
def test_probe_names_the_specific_reason(
    use_backend: Callable[[object], object], make: Callable[[], object], reason: str, next_step: str
) -> None:
    backend = use_backend(make())
    status = probe_keyring(timeout=5)
    assert status.available is False
    assert (status.reason, status.next_step) == (reason, next_step)
    assert status.backend.endswith(type(backend).__qualname__)
    # The rendered text has no unfilled placeholder and names the backend where it can.
    text = status.message()
    assert "{" not in text
    assert text.strip()


def test_probe_reports_the_system_error_text(use_backend: Callable[[object], object]) -> None:
    use_backend(RaisingKeyring(PermissionError(13, "Permission denied", "/run/user/0/bus")))
    status = probe_keyring(timeout=5)
    assert "Permission denied" in status.message()
    assert "/run/user/0/bus" in status.message()


def test_probe_of_a_working_keyring_leaves_nothing_behind(
    use_backend: Callable[[object], object],
) -> None:
    backend = use_backend(DictKeyring())
    status = probe_keyring(timeout=5)
    assert status.available is True
    assert status.reason is None
    assert status.backend.endswith("DictKeyring")
    assert backend.items == {}  # type: ignore[attr-defined]


def test_probe_of_a_hanging_keyring_times_out_in_a_daemon_thread(
    hanging: HangingKeyring,
) -> None:
    status = probe_keyring(timeout=0.5)
    assert status.available is False
    assert status.reason == "secrets.keyring_timeout"
    assert status.next_step == "secrets.next_unlock_linux"
    assert "0.5 s" in status.message()
    assert hanging.entered.is_set()
    stuck = [th for th in threading.enumerate() if th.name == "keyring-call" and th.is_alive()]
    assert stuck, "the abandoned call should still be blocked in its worker"
    assert all(th.daemon for th in stuck), "a hanging keyring must not block interpreter exit"


def test_store_round_trip_with_a_working_backend(use_backend: Callable[[object], object]) -> None:
    backend = use_backend(DictKeyring())
    store = KeyringStore(timeout=5)
    assert store.get("work") is None
    store.set("work", KEY)
    assert backend.items[(KEYRING_SERVICE, "work")] == KEY.reveal()  # type: ignore[attr-defined]
    assert store.get("work") == KEY
    assert "DictKeyring" in store.describe()
    assert store.delete("work") is True
    assert store.get("work") is None
    assert store.delete("work") is False


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (null.Keyring, "secrets.keyring_null"),
        (SwallowingKeyring, "secrets.keyring_mismatch"),
        (MangledKeyring, "secrets.keyring_mismatch"),
        (PlaintextKeyring, "secrets.keyring_plaintext"),
        (fail.Keyring, "secrets.keyring_no_backend"),
    ],
)
def test_store_set_never_loses_a_key_silently(
    use_backend: Callable[[object], object], make: Callable[[], object], reason: str
) -> None:
    backend = use_backend(make())
    with pytest.raises(KeyStoreError) as info:
        KeyringStore(timeout=5).set("work", KEY)
    assert info.value.reason == reason
    assert info.value.exit_code == 3  # like configure: no secure place for the key
    assert "--store env" in info.value.message and "--store file" in info.value.message
    if isinstance(backend, PlaintextKeyring):
        assert backend.items == {}, "nothing may be written to a plaintext backend"


def test_locked_keyring_error_names_the_unlock_step(
    use_backend: Callable[[object], object],
) -> None:
    use_backend(RaisingKeyring(errors.KeyringLocked("Failed to unlock the collection!")))
    with pytest.raises(KeyStoreError) as info:
        KeyringStore(timeout=5).get("work")
    assert info.value.reason == "secrets.keyring_locked"
    assert "gnome-keyring-daemon --replace --unlock" in info.value.message


def test_hanging_store_call_raises_a_timeout_instead_of_blocking(hanging: HangingKeyring) -> None:
    store = KeyringStore(timeout=0.5)
    with pytest.raises(KeyStoreError) as info:
        store.set("work", KEY)
    assert info.value.reason == "secrets.keyring_timeout"
    with pytest.raises(KeyStoreError):
        store.get("work")


def test_backend_error_quoting_the_key_is_redacted(
    use_backend: Callable[[object], object],
) -> None:
    use_backend(LeakyKeyring())
    with pytest.raises(KeyStoreError) as info:
        KeyringStore(timeout=5).set("work", KEY)
    err = info.value
    assert err.reason == "secrets.keyring_os_error"
    for text in (err.message, str(err), repr(err), repr(err.params), repr(err.args)):
        assert KEY.reveal() not in text
    # No chained exception either: a traceback would print the backend's original message.
    assert err.__cause__ is None and err.__context__ is None


def test_store_refuses_profile_names_that_are_not_one_name(
    use_backend: Callable[[object], object],
) -> None:
    backend = use_backend(DictKeyring())
    for bad in ("", "../x", "a/b", "a\nb", "-x", "x" * 65):
        with pytest.raises(UserError):
            KeyringStore(timeout=5).set(bad, KEY)
    assert backend.items == {}  # type: ignore[attr-defined]


def test_choose_store_fails_closed_without_a_secure_keyring(
    use_backend: Callable[[object], object], tmp_path: Path
) -> None:
    backend = use_backend(SwallowingKeyring())
    with pytest.raises(NoSecureStore) as info:
        choose_store(None, config_dir=tmp_path, keyring_timeout=5)
    err = info.value
    assert err.exit_code == 3
    assert err.status.reason == "secrets.keyring_null"
    assert "--store env" in err.message and "--store file" in err.message
    assert "DASHSCOPE_API_KEY" in err.message
    assert backend.items == {}  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []


def test_choose_store_probes_even_an_explicit_keyring(
    use_backend: Callable[[object], object], tmp_path: Path
) -> None:
    use_backend(null.Keyring())
    with pytest.raises(NoSecureStore):
        choose_store("keyring", config_dir=tmp_path, keyring_timeout=5)


def test_choose_store_uses_a_keyring_that_works(
    use_backend: Callable[[object], object], tmp_path: Path
) -> None:
    backend = use_backend(DictKeyring())
    choice = choose_store(None, config_dir=tmp_path, env_var="MY_KEY", keyring_timeout=5)
    assert choice.ref == KeyRef("keyring", "MY_KEY")
    assert choice.status is not None and choice.status.available
    choice.store.set("p", KEY)
    assert backend.items == {(KEYRING_SERVICE, "p"): KEY.reveal()}  # type: ignore[attr-defined]


def test_store_for_a_keyring_ref_does_not_probe_or_write(
    use_backend: Callable[[object], object], tmp_path: Path
) -> None:
    backend = use_backend(DictKeyring())
    store = store_for(KeyRef("keyring"), tmp_path, keyring_timeout=5)
    assert store.kind == "keyring"
    assert store.get("p") is None
    assert backend.items == {}  # type: ignore[attr-defined]


def test_invalid_value_in_the_keyring_is_reported_without_showing_it(
    use_backend: Callable[[object], object],
) -> None:
    backend = use_backend(DictKeyring())
    backend.items[(KEYRING_SERVICE, "work")] = "sk-pasted with spaces 123"  # type: ignore[attr-defined]
    with pytest.raises(KeyStoreError) as info:
        KeyringStore(timeout=5).get("work")
    assert info.value.reason == "secrets.stored_key_invalid"
    assert "with spaces" not in info.value.message
    assert "OS keyring, service modelstudio-setup, user work" in info.value.message


_HANGING_SCRIPT = """
import threading, keyring
from keyring import backend as kb
from app.secrets.key import ApiKey, KeyStoreError
from app.secrets.keyring import probe_keyring
from app.secrets.stores import KeyringStore

class Hang(kb.KeyringBackend):
    priority = 5
    def get_password(self, s, u): threading.Event().wait()
    def set_password(self, s, u, p): threading.Event().wait()
    def delete_password(self, s, u): threading.Event().wait()

keyring.set_keyring(Hang())
print(probe_keyring(timeout=0.3).reason)
try:
    KeyringStore(timeout=0.3).set("p", ApiKey("sk-hangingbackend0123456789"))
except KeyStoreError as exc:
    print(exc.reason)
"""


def test_a_hanging_keyring_does_not_keep_the_process_alive() -> None:
    """Both abandoned calls still block forever, yet the interpreter exits normally."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _HANGING_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,  # a guard against a hang, not a speed assertion
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["secrets.keyring_timeout", "secrets.keyring_timeout"]
