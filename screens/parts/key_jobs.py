"""The key-store calls of the API-key step, each blocking, bounded in time, key-free in what
it reports.

Keyring calls block and may hang on an unlock prompt nobody can see (SSH, CI, WSL): the step
runs each of these in a thread worker, and each returns the message the worker posts, so the
thread never touches a widget. A failure is described without the key (SECURITY.md T8): a
UserError's own message, else only the exception's type.
"""

from __future__ import annotations

import dataclasses

from textual.message import Message

from app.core.errors import UserError
from app.core.i18n import t
from app.secrets.key import ApiKey
from app.secrets.keyring import KeyringStatus, KeyringTimeout, run_with_timeout
from app.services import Services
from app.state import WizardState


class KeyringProbed(Message):
    def __init__(self, status: KeyringStatus | None, problem: str | None) -> None:
        super().__init__()
        self.status = status
        self.problem = problem


class KeyStored(Message):
    def __init__(self, state: WizardState | None, problem: str | None) -> None:
        super().__init__()
        self.state = state
        self.problem = problem


class SavedKeyLoaded(Message):
    def __init__(self, key: ApiKey | None) -> None:
        super().__init__()
        self.key = key


def _safe_error(exc: BaseException) -> str:
    """A key-free description: a UserError's own message, else only the exception's type."""
    return exc.message if isinstance(exc, UserError) else type(exc).__name__


def ask_keyring(services: Services) -> KeyringProbed:
    """Whether the keyring can be trusted (its status, or why it could not be asked)."""
    timeout = services.keyring_timeout
    try:
        status = run_with_timeout(services.keyring_probe, timeout)
    except KeyringTimeout:
        return KeyringProbed(None, t("screen_apikey.probe_timeout", seconds=f"{timeout:g}"))
    except Exception as exc:
        return KeyringProbed(None, _safe_error(exc))
    return KeyringProbed(status, None)


def read_saved_key(services: Services, kind: str, profile: str) -> SavedKeyLoaded:
    """The key saved for `profile` in store `kind`; unreadable is the same as absent here
    (the user types the key)."""
    try:
        store = services.key_store_factory(kind)
        key = run_with_timeout(lambda: store.get(profile), services.keyring_timeout)
    except Exception:
        key = None
    return SavedKeyLoaded(key if isinstance(key, ApiKey) else None)


def store_key(services: Services, kind: str, new: WizardState, key: ApiKey) -> KeyStored:
    """Write `key` for `new`'s profile into store `kind`: the next state, or why not."""
    try:
        store = services.key_store_factory(kind)
        run_with_timeout(lambda: store.set(new.profile_name, key), services.keyring_timeout)
    except KeyringTimeout:
        timeout = f"{services.keyring_timeout:g}"
        return KeyStored(None, t("screen_apikey.store_timeout", seconds=timeout))
    except Exception as exc:
        return KeyStored(None, _safe_error(exc))
    return KeyStored(dataclasses.replace(new, key_saved=True), None)
