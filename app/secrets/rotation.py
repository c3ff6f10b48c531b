"""Key rotation on a store: the new key in, the old one kept under a backup name until the
rotation is finished, and restored on request (`key rotate`, app.commands.key_rotate).

The contract is "never both keys lost" (T19): the steps are ordered so that any single
failing write leaves at least one working key where the tool can reach it.
1. the old key is written to the backup slot and read back (a failure here leaves the
   profile's own slot untouched: the old key is still in use);
2. only then the new key goes into the profile's slot and is read back; if that fails, the
   old key is put back (and the backup dropped) when the store lets us, and otherwise it
   stays in the backup slot for `key rotate --rollback`;
3. `finish` deletes the backup; `rollback` writes the backup into the profile's slot, reads
   it back, and only then deletes the backup.
The backup lives in the same store as the key (no key is ever moved to a weaker place):
the keyring entry `<account>.previous` (no scoped account or profile name can end so), the
file `keys/<profile>.key.previous` beside the key file, or `<profile>.previous` in memory.
Nothing here prints; errors are RotationError (locale keys, masked keys at most, T8).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.errors import EXIT_NO_SECURE_STORE, EXIT_USAGE
from app.secrets.key import ApiKey, KeyStoreError
from app.secrets.stores import FileStore, KeyringStore, KeyStore, check_profile_name

BACKUP_SUFFIX = ".previous"


class RotationError(KeyStoreError):
    """A rotation step could not be done; the message says where each key now is.

    Exit 3 by default (the store could not keep a key); refusals before any write (nothing
    to rotate, a rotation already pending) are exit 2."""

    exit_code = EXIT_NO_SECURE_STORE


def refusal(reason: str, **params: str) -> RotationError:
    """A RotationError with exit 2: refused before anything was written."""
    error = RotationError(reason, None, **params)
    error.exit_code = EXIT_USAGE
    return error


@dataclass(frozen=True)
class Slot:
    """One place a key is kept: a store and the name it is kept under there."""

    store: KeyStore
    name: str

    def get(self) -> ApiKey | None:
        return self.store.get(self.name)

    def set(self, key: ApiKey) -> None:
        self.store.set(self.name, key)

    def delete(self) -> bool:
        return self.store.delete(self.name)

    def location(self) -> str:
        return self.store.location(self.name)


class _BackupFiles(FileStore):
    """The key files' folder, `<profile>.key.previous` instead of `<profile>.key`: the same
    checks (0600, no symlink, our own folder), a name no profile's key file can have."""

    def path_for(self, profile: str) -> Path:
        return self.dir / f"{check_profile_name(profile)}.key{BACKUP_SUFFIX}"


def slots(store: KeyStore, name: str) -> tuple[Slot, Slot]:
    """(the profile's own slot, its backup slot) in `store`. A keyring store must name its
    scoped entry (the caller refuses an earlier version's unscoped one first)."""
    if isinstance(store, KeyringStore):
        account = store.user(name)
        backup = KeyringStore(
            timeout=store.timeout, service=store.service, account=account + BACKUP_SUFFIX
        )
        return Slot(store, name), Slot(backup, name)
    if isinstance(store, FileStore):
        return Slot(store, name), Slot(_BackupFiles(store.config_dir), name)
    return Slot(store, name), Slot(store, name + BACKUP_SUFFIX)


def _read(slot: Slot) -> ApiKey | None:
    """The slot's key, or None when it cannot be read (a read-back that fails is a miss)."""
    try:
        return slot.get()
    except Exception:
        return None


def _write(slot: Slot, key: ApiKey) -> bool:
    """Write and read back; True only when the slot now holds exactly `key`."""
    try:
        slot.set(key)
    except Exception:
        return False
    return _read(slot) == key


def _drop(slot: Slot) -> bool:
    """Delete the slot's key; True when it is gone (deleted now, or was not there)."""
    try:
        slot.delete()
    except Exception:
        return False
    return _read(slot) is None


@dataclass(frozen=True)
class Rotated:
    """What a step did, in masked forms and places only (never a key's text)."""

    key: str  # the masked key now in the profile's slot
    where: str
    backup: str | None  # the masked key now in the backup slot, None when there is none
    backup_where: str
    backup_dropped: bool = True  # False: a backup that should be gone could not be deleted


def pending(backup: Slot) -> ApiKey | None:
    """The key of a rotation that was neither finished nor rolled back (read errors raise:
    the caller cannot decide without knowing)."""
    return backup.get()


def rotate(current: Slot, backup: Slot, old: ApiKey, new: ApiKey) -> Rotated:
    """Replace `old` (the key now in `current`) by `new`, keeping `old` in `backup`.

    A failure raises RotationError naming where the old key is: still in use (step 1 failed,
    or step 2 failed and it was put back), or in the backup slot (`--rollback`)."""
    where, backup_where = current.location(), backup.location()
    if not _write(backup, old):
        _drop(backup)  # a half-written backup is no key anyone may rely on
        raise RotationError(
            "key_rotate.backup_failed", where=where, backup=backup_where, old=old.masked()
        )
    if _write(current, new):
        return Rotated(new.masked(), where, old.masked(), backup_where)
    if _write(current, old):  # put back: the profile is as it was
        _drop(backup)
        raise RotationError("key_rotate.store_failed_restored", where=where, old=old.masked())
    raise RotationError(
        "key_rotate.store_failed_backup_kept", where=where, backup=backup_where, old=old.masked()
    )


def rollback(current: Slot, backup: Slot) -> Rotated:
    """Put the backup's key back into the profile's slot, read it back, then drop the backup."""
    where, backup_where = current.location(), backup.location()
    old = backup.get()
    if old is None:
        raise refusal("key_rotate.nothing_to_roll_back", backup=backup_where)
    if not _write(current, old):
        raise RotationError(
            "key_rotate.rollback_failed", where=where, backup=backup_where, old=old.masked()
        )
    dropped = _drop(backup)
    return Rotated(old.masked(), where, None if dropped else old.masked(), backup_where, dropped)


def finish(backup: Slot) -> ApiKey | None:
    """Delete the backup; the key it held (None: there was none). Raises when it stays."""
    old = backup.get()
    if old is None:
        return None
    if not _drop(backup):
        raise RotationError("key_rotate.finish_failed", backup=backup.location(), old=old.masked())
    return old
