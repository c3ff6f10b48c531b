"""Talking to the OS keyring without ever hanging or leaking: vetted backends, the one
call-with-timeout, reasons.

A keyring call can block forever (a locked Secret Service collection waiting for a prompt
nobody can see over SSH, in CI or in WSL), so every call, including picking the backend,
runs in a daemon thread that the caller stops waiting for after `timeout` seconds (T7); a
daemon thread cannot keep the interpreter alive. Every exception, not only KeyringError,
becomes a specific reason and next step (locale keys), never a traceback, and no message
carries the key (T8). `keyring` is imported here only, lazily, so `--help` stays light.

`run_with_timeout` is the one thread-with-timeout of the program: the stores call it here,
and the wizard's key step wraps its own (already bounded) store calls in it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from app.core.errors import EXIT_NO_SECURE_STORE
from app.core.i18n import t
from app.core.record import Record, field
from app.core.text import redact
from app.secrets.key import ApiKey, KeyStoreError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

T = TypeVar("T")
KEYRING_SERVICE = "modelstudio-setup"
KEYRING_PROBE_TIMEOUT = 15.0
PROBE_USER_PREFIX = "modelstudio-setup-probe-"
_DETAIL_MAX = 200


class KeyringStatus(Record):
    """Result of probing the OS keyring before trusting it with a key."""

    available: bool
    backend: str  # e.g. "keyring.backends.SecretService.Keyring"
    reason: str | None = None  # locale key, e.g. "secrets.keyring_locked"
    next_step: str | None = None  # locale key naming what the user can do
    params: dict[str, str] = field(default_factory=dict)

    def message(self) -> str:
        """Reason and next step in the current language ('' when available)."""
        parts = [t(k, **self.params) for k in (self.reason, self.next_step) if k]
        return " ".join(parts)


class KeyringTimeout(Exception):
    """The keyring did not answer in time; the worker thread is abandoned (it is a daemon)."""


class BackendAborted(Exception):
    """A backend raised a BaseException that is not an Exception (SystemExit, ...)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(type(exc).__name__)
        self.original = type(exc).__name__

    def __str__(self) -> str:
        return f"the backend raised {self.original}"


class _Refused(Exception):
    """A check of ours failed (insecure backend, read-back differs); carries locale keys."""

    def __init__(self, reason: str, next_step: str, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.next_step = next_step
        self.params = params


def run_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run `fn` in a daemon thread; its result, its exception, or KeyringTimeout."""
    import threading  # lazy: only a keyring call needs it; `env` / `key get` of a file do not

    results: list[T] = []  # the thread's answer: one result or one error
    errors: list[BaseException] = []
    done = threading.Event()

    def target() -> None:
        try:
            results.append(fn())
        except Exception as exc:
            errors.append(exc)
        except BaseException as exc:
            # SystemExit / KeyboardInterrupt / GeneratorExit raised BY A BACKEND are its
            # failure, not the user's wish to stop: re-raised as they are, they would end
            # `configure` with the backend's exit code (even 0) and no message (B8). A real
            # Ctrl+C arrives in the waiting (main) thread and still propagates.
            errors.append(BackendAborted(exc))
        finally:
            done.set()

    thread = threading.Thread(target=target, name="keyring-call", daemon=True)
    thread.start()
    if not done.wait(timeout):
        raise KeyringTimeout()
    if errors:
        raise errors[0]
    return results[0]


def backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _priority(backend: KeyringBackend) -> float | None:
    try:
        return float(backend.priority)
    except Exception:
        return None


def _insecure_reason(backend: KeyringBackend) -> _Refused | None:
    """Backends that would accept a key without protecting it: refused before any write."""
    # lazy: `keyring` is slow to import and the env/file stores never need it
    from keyring.backends import chainer, fail, null

    name = backend_name(backend)
    params = {"backend": name}
    module = type(backend).__module__
    if isinstance(backend, fail.Keyring):
        return _Refused("secrets.keyring_no_backend", "secrets.next_no_backend", **params)
    if isinstance(backend, null.Keyring):
        return _Refused("secrets.keyring_null", "secrets.next_no_backend", **params)
    if isinstance(backend, chainer.ChainerBackend):
        # A chain is never used as such (see `vetted`): it falls through to the next
        # backend whenever one refuses, down to a plain-text file (T20).
        chained = list(getattr(backend, "backends", []) or [])
        if not chained:
            return _Refused("secrets.keyring_no_backend", "secrets.next_no_backend", **params)
        return _insecure_reason(chained[0])
    if "plaintext" in type(backend).__name__.lower() or module.startswith("keyrings.alt"):
        return _Refused("secrets.keyring_plaintext", "secrets.next_insecure_backend", **params)
    priority = _priority(backend)
    if priority is None or priority < 1:
        params["priority"] = "?" if priority is None else f"{priority:g}"
        return _Refused(
            "secrets.keyring_not_recommended", "secrets.next_insecure_backend", **params
        )
    return None


def vetted(backend: KeyringBackend) -> tuple[KeyringBackend, str]:
    """The ONE backend every read and write goes to, and the name users see (T20).

    A chainer tries its backends in turn and falls through whenever one raises
    NotImplementedError (a read-only backend first, keyrings.alt's plain-text file next):
    the key would land in whichever accepts it while the tool says "OS keyring". So the
    chain is opened up and its first backend that passes `_insecure_reason` is used
    directly; its refusals are then failures, never a fall-through. No such backend: the
    chain itself is returned and refused for the reason of its first backend.
    """
    # lazy: `keyring` is slow to import and the env/file stores never need it
    from keyring.backends import chainer

    if not isinstance(backend, chainer.ChainerBackend):
        return backend, backend_name(backend)
    chained = list(getattr(backend, "backends", []) or [])
    for candidate in chained:
        if _insecure_reason(candidate) is None:
            return candidate, f"{backend_name(backend)} -> {backend_name(candidate)}"
    first = f" -> {backend_name(chained[0])}" if chained else ""
    return backend, backend_name(backend) + first


def _unlock_hint() -> str:
    if sys.platform == "darwin":
        return "secrets.next_unlock_macos"
    if sys.platform.startswith("win"):
        return "secrets.next_unlock_windows"
    return "secrets.next_unlock_linux"


def _detail(exc: BaseException, secret: str | None) -> str:
    """A short, redacted description of a foreign exception: never the key, never huge.

    Redaction (every form of the key, then anything key-shaped) happens before the cut and
    the escaping, in app.core.text.redact, the one place that does it (B8)."""
    try:
        text = str(exc)
    except Exception:  # a hostile __str__
        text = ""
    text = redact(text, secret, _DETAIL_MAX)
    name = redact(type(exc).__name__, secret, 80)
    return f"{name}: {text}" if text else name


def _prompt_dismissed(exc: BaseException) -> bool:
    chain: BaseException | None = exc
    for _ in range(5):
        if chain is None:
            break
        if (
            type(chain).__name__ == "PromptDismissedException"
            or "prompt dismissed" in str(chain).lower()
        ):
            return True
        chain = chain.__cause__ or chain.__context__
    return False


def failure(
    exc: BaseException, *, backend: str = "?", timeout: float = 0.0, secret: str | None = None
) -> tuple[str, str, dict[str, str]]:
    """(reason, next_step, params) for anything a keyring call raised."""
    # lazy: `keyring` is slow to import and the env/file stores never need it
    from keyring import errors

    params = {"backend": backend, "seconds": f"{timeout:g}"}
    if isinstance(exc, _Refused):
        return exc.reason, exc.next_step, {**params, **exc.params}
    if isinstance(exc, KeyringTimeout):
        return "secrets.keyring_timeout", _unlock_hint(), params
    if isinstance(exc, errors.NoKeyringError):
        return "secrets.keyring_no_backend", "secrets.next_no_backend", params
    if isinstance(exc, errors.KeyringLocked):
        return "secrets.keyring_locked", _unlock_hint(), params
    params["detail"] = _detail(exc, secret)
    if _prompt_dismissed(exc):
        # No unlocked default keyring and no desktop to show the password prompt (SSH, CI).
        return "secrets.keyring_no_prompt", _unlock_hint(), params
    if isinstance(exc, errors.InitError):
        return "secrets.keyring_init_error", "secrets.next_check_service", params
    if isinstance(exc, (errors.PasswordSetError, errors.PasswordDeleteError)):
        return "secrets.keyring_refused", "secrets.next_no_backend", params
    if type(exc).__name__ == "SecretServiceNotAvailableException":
        return "secrets.keyring_no_service", "secrets.next_check_service", params
    if isinstance(exc, OSError):
        return "secrets.keyring_os_error", "secrets.next_check_service", params
    return "secrets.keyring_error", "secrets.next_check_service", params


def _call(
    op: Callable[[KeyringBackend], T],
    timeout: float,
    *,
    secret: str | None = None,
    exit_code: int | None = None,
) -> tuple[T, str]:
    """Pick the backend and run `op(backend)` in one bounded thread; (result, backend name)."""
    seen: dict[str, str] = {}

    def work() -> T:
        # lazy: `keyring` is slow to import and the env/file stores never need it
        import keyring

        backend, seen["backend"] = vetted(keyring.get_keyring())
        return op(backend)

    try:
        return run_with_timeout(work, timeout), seen.get("backend", "?")
    except Exception as exc:
        reason, next_step, params = failure(
            exc, backend=seen.get("backend", "?"), timeout=timeout, secret=secret
        )
    error = KeyStoreError(reason, next_step, also="secrets.or_other_store", **params)
    if exit_code is not None:
        error.exit_code = exit_code
    raise error


def keyring_get(service: str, user: str, timeout: float) -> tuple[str | None, str]:
    def op(backend: KeyringBackend) -> str | None:
        refused = _insecure_reason(backend)
        if refused is not None:
            raise refused
        return backend.get_password(service, user)

    return _call(op, timeout)


def keyring_set(service: str, user: str, key: ApiKey, timeout: float) -> str:
    """Store and read back; an insecure backend or a differing read-back is refused."""
    secret = key.reveal()

    def op(backend: KeyringBackend) -> None:
        refused = _insecure_reason(backend)
        if refused is not None:
            raise refused
        backend.set_password(service, user, secret)
        if backend.get_password(service, user) != secret:
            raise _Refused("secrets.keyring_mismatch", "secrets.next_no_backend")

    # Exit 3 like configure's fail-closed refusal: the key could not be kept securely.
    _, name = _call(op, timeout, secret=secret, exit_code=EXIT_NO_SECURE_STORE)
    return name


def keyring_delete(service: str, user: str, timeout: float) -> tuple[bool, str]:
    """True when a key was removed; False when there was none."""

    def op(backend: KeyringBackend) -> bool:
        from keyring.backends import fail, null  # lazy: `keyring` is slow to import
        from keyring.errors import PasswordDeleteError  # lazy: as above

        if isinstance(backend, (fail.Keyring, null.Keyring)):
            refused = _insecure_reason(backend)
            assert refused is not None  # `_insecure_reason` refuses both kinds
            raise refused
        if backend.get_password(service, user) is None:
            return False
        try:
            backend.delete_password(service, user)
        except PasswordDeleteError:
            return False
        return True

    return _call(op, timeout)


def probe_keyring(timeout: float = KEYRING_PROBE_TIMEOUT) -> KeyringStatus:
    """Prove the keyring works before trusting it: backend check, then set/get/delete.

    The probe value is random and stored under a probe user name, never under a profile.
    """
    import secrets as _random  # lazy: it loads hashlib (OpenSSL); `key get` never probes

    user = PROBE_USER_PREFIX + _random.token_hex(6)
    value = "probe-" + _random.token_urlsafe(18)
    seen: dict[str, str] = {}

    def work() -> None:
        # lazy: `keyring` is slow to import and the env/file stores never need it
        import keyring

        backend, seen["backend"] = vetted(keyring.get_keyring())
        refused = _insecure_reason(backend)
        if refused is not None:
            raise refused
        backend.set_password(KEYRING_SERVICE, user, value)
        read_ok = False
        try:
            read = backend.get_password(KEYRING_SERVICE, user)
            if read is None:
                raise _Refused("secrets.keyring_null", "secrets.next_no_backend")
            if read != value:
                raise _Refused("secrets.keyring_mismatch", "secrets.next_no_backend")
            read_ok = True
        finally:
            try:
                backend.delete_password(KEYRING_SERVICE, user)
            except Exception:
                # A keyring that cannot delete is not one to trust; but when the read-back
                # already failed, that is the reason worth reporting.
                if read_ok:
                    raise

    try:
        run_with_timeout(work, timeout)
    except Exception as exc:
        reason, next_step, params = failure(exc, backend=seen.get("backend", "?"), timeout=timeout)
        return KeyringStatus(
            available=False,
            backend=seen.get("backend", "?"),
            reason=reason,
            next_step=next_step,
            params=params,
        )
    return KeyringStatus(
        available=True, backend=seen["backend"], params={"backend": seen["backend"]}
    )
