"""Where a profile's key lives and whether it is there, never showing it unmasked: the one
reading behind `profiles show` and `status` (both say "plain text" for a file store every
time, SECURITY.md T6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.config.key_scope import note_use
from app.config.schema import Profile
from app.core.errors import UserError
from app.core.i18n import t
from app.core.record import Record, replace
from app.secrets.key import ApiKey
from app.secrets.stores import FileStore, KeyStore, store_for


class KeyStatus(Record):
    """The store, its location in words, and whether the key is there (masked). `key` is
    kept for comparisons by the caller (status: does a variable hold another key?) and is
    not in the JSON (its repr is masked, app.secrets.key). A Record, not a dataclass:
    `status` is a hot path (app.core.record)."""

    store: str
    env: str | None
    location: str
    plain_text: bool
    present: bool | None = None
    masked: str | None = None
    error: str | None = None
    path: str | None = None
    key: ApiKey | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "store": self.store,
            "env": self.env,
            "location": self.location,
            "plain_text": self.plain_text,
            "present": self.present,
            "masked": self.masked,
            "error": self.error,
        }
        if self.path is not None:
            out["path"] = self.path
        return out


def key_status(profile: Profile, path: Path, timeout: float = 15.0) -> KeyStatus:
    """Read the profile's key from its store (a store that fails gives its message)."""
    store = store_for(profile.api_key, path.parent, keyring_timeout=timeout)
    note_use(profile, path)  # this file uses the entry (T21)
    base = KeyStatus(
        store=profile.api_key.store,
        env=profile.api_key.env,
        location=key_location(profile, store),
        plain_text=profile.api_key.store == "file",
        path=str(store.path_for(profile.name)) if isinstance(store, FileStore) else None,
    )
    try:
        key = store.get(profile.name)
    except UserError as exc:
        return replace(base, error=exc.message)
    masked = key.masked() if key is not None else None
    return replace(base, present=key is not None, masked=masked, key=key)


def key_location(profile: Profile, store: KeyStore) -> str:
    """Where the profile's key lives, in words (the variable's name for the env store)."""
    if profile.api_key.store == "env":
        return t("profiles.key_env_where", env=profile.api_key.env)
    return store.location(profile.name)
