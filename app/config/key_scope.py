"""Keyring entries scoped to one config file, so two configs cannot share a key (T21).

Before, the keyring user name was the profile name: two config files with a profile
`default` (the user's config and a project's `--config ./cli.yaml`) shared one entry, so
configuring one overwrote the other's key and deleting one deleted the other's.

Now a keyring profile records its entry in the config file itself:

    api_key: {store: keyring, env: DASHSCOPE_API_KEY, account: default@1a2b3c4d5e6f}

The 12 hex digits are chosen once per config file (every keyring profile of a file shares
them), at random when the first entry is made, and never an entry name the keyring already
has; then the file says where its key is: moving the file or opening it through a symlink or
another path keeps its key, and a second config file (also a new one at a moved file's old
path) gets its own digits.

A COPY of a config file carries the same account. To notice that, the tool keeps a small
index (`keyring-accounts.json` in the user state directory; names and paths only, never a
key) of every config file that read or wrote each account. When another existing file still
names the account, the entry is shared: `configure` and `key set` give this profile a new
entry of its own instead of overwriting, `profiles delete` and `key delete` leave it alone,
and the message names the other file. A copy this tool has never used is not in the index,
so it cannot be detected.

Entries of the earlier version (user = profile name) are migrated on first use by `key`,
`configure` and `profiles delete`: the new entry is written and read back, the config then
records it, and only then is the old entry deleted (never the other way round), with a
notice saying what moved. Until then every command still reads the old entry.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from app.config.io import config_path, load_config, modify_config, user_dir
from app.config.schema import CONFIG_ENV, Config
from app.config.write import atomic_write, file_lock
from app.core.errors import Notice, UserError
from app.core.record import replace
from app.secrets.key import KeyStoreError
from app.secrets.stores import ACCOUNT_RE, KeyringStore, check_account

INDEX_FILE = "keyring-accounts.json"
_MAX_INDEX_BYTES = 512 * 1024


def index_path() -> Path:
    return user_dir("state") / INDEX_FILE


def new_scope() -> str:
    """12 fresh random hex digits for a config file that has no keyring entry yet. Nothing
    needs to be derivable: once written, the file records its entry. (Deriving them from the
    path let a new file at a moved file's old path land on the moved file's entry.)"""
    import secrets  # lazy: it loads hashlib (OpenSSL); only a new keyring entry needs it

    return secrets.token_hex(6)


_MAX_TRIES = 16


def entry_exists(name: str, account: str, timeout: float = 15.0) -> bool:
    """Whether the keyring already has an entry `account` (a key of some other file, or a
    value that is not even a key). A keyring that cannot be read cannot say: False, and
    the write that follows reports the keyring's state."""
    try:
        return KeyringStore(timeout=timeout, account=account).get(name) is not None
    except KeyStoreError as exc:
        return exc.reason == "secrets.stored_key_invalid"


def config_scope(config: Any) -> str | None:
    """The scope digits this config's keyring profiles already use, if any."""
    for profile in config.profiles.values():
        account = profile.api_key.account
        if profile.api_key.store == "keyring" and account:
            match = ACCOUNT_RE.fullmatch(account)
            if match:
                return match.group("scope")
    return None


def account_for(
    config: Any, name: str, path: Path, *, fresh: bool = False, timeout: float = 15.0
) -> str:
    """The keyring user for profile `name` of the config at `path`: its recorded one, else
    a NEW one, in this file's scope when that name is free, else in fresh random digits.
    A new one is never an entry the keyring already has (another file's key, T21).
    `fresh`: never the recorded one nor this file's scope (a copy of this file elsewhere
    shares them)."""
    existing = config.profiles.get(name)
    if not fresh and existing is not None and existing.api_key.account:
        return str(existing.api_key.account)
    scope = None if fresh else config_scope(config)
    tries = ([scope] if scope else []) + [None] * _MAX_TRIES
    for digits in tries:
        account = check_account(f"{name}@{digits or new_scope()}")
        if not entry_exists(name, account, timeout):
            return account
    raise KeyStoreError("secrets.no_free_account", None, profile=name)


def scoped_account(
    path: Path, name: str, config: Any = None, *, timeout: float = 15.0
) -> tuple[str, Notice | None]:
    """The entry a new key of `name` goes to, and the notice when a copy of this config
    shares the recorded one (then this profile gets its own)."""
    if config is None:
        config = _load_tolerant(path)
    account = account_for(config, name, path, timeout=timeout)
    other = other_user(account, path)
    if other is None:
        return account, None
    fresh = account_for(config, name, path, fresh=True, timeout=timeout)
    return fresh, shared_notice(account, other, fresh)


def wizard_account(path: Path, name: str) -> str | None:
    """The entry the wizard reads and writes for `name`: like `scoped_account`, except that
    a profile whose key is in an earlier version's entry keeps using it (None), so the
    wizard still finds that key; the CLI migrates it on first use."""
    config = _load_tolerant(path)
    existing = config.profiles.get(name)
    legacy = existing is not None and existing.api_key.store == "keyring"
    if legacy and not existing.api_key.account:
        return None
    return scoped_account(path, name, config)[0]


def _load_tolerant(path: Path) -> Any:
    try:
        return load_config(path)
    except Exception:  # a broken config is about to be repaired: no recorded entries
        return Config()


# ---------------------------------------------------------------------------------------------
# The index of which config file uses which account
# ---------------------------------------------------------------------------------------------


def _read_index() -> dict[str, Any]:
    try:
        data = index_path().read_bytes()[:_MAX_INDEX_BYTES]
        import json  # lazy: only a keyring profile has an index entry; `key get` of env/file not

        doc = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    return {
        part: doc[part] if isinstance(doc.get(part), dict) else {}
        for part in ("accounts", "moved", "pending")
    }


def _update_index(change: Any) -> None:
    """Best effort: the index only sharpens collision messages; it never holds a key."""
    path = index_path()
    with contextlib.suppress(OSError, UserError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with file_lock(path):
            doc = _read_index()
            change(doc)
            import json  # lazy: as in _read_index

            atomic_write(path, json.dumps(doc, indent=1, sort_keys=True), locked=True)


def _real(path: Path | str) -> str:
    return os.path.realpath(os.fspath(path))


def _users(entry: Any) -> list[str]:
    """The files recorded for one account (an earlier index kept one path, a string)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [p for p in entry if isinstance(p, str)]
    return []


def register(account: str | None, config_path: Path) -> None:
    """Record that `config_path` uses `account` (it read or wrote the entry): every file
    that uses an entry is recorded, so a copy that only ever read it is known too."""
    if not account:
        return
    real = _real(config_path)
    if real in _users(_read_index()["accounts"].get(account)):
        return  # already known: no write on every read

    def change(doc: dict[str, Any]) -> None:
        users = [p for p in _users(doc["accounts"].get(account)) if p != real]
        doc["accounts"][account] = [*users, real][-_MAX_USERS:]

    _update_index(change)


_MAX_USERS = 32


def note_use(profile: Any, config_path: Path) -> None:
    """`register` the entry of a keyring profile that was just read or written."""
    ref = profile.api_key
    if ref.store == "keyring" and ref.account:
        register(ref.account, config_path)


def _same_file(a: Path | str, b: Path | str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _real(a) == _real(b)


def other_users(account: str | None, config_path: Path) -> list[Path]:
    """The other existing config files that still name `account` (copies of this one).

    A file that was moved away, deleted or no longer names the account is not a collision.
    Only files this tool has seen use the entry are known (see docs/keys.md).
    """
    if not account:
        return []
    found = []
    for owner in _users(_read_index()["accounts"].get(account)):
        if _same_file(owner, config_path):
            continue
        try:
            text = Path(owner).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if account in text:
            found.append(Path(owner))
    return found


def other_user(account: str | None, config_path: Path) -> Path | None:
    """The first of `other_users`, or None."""
    others = other_users(account, config_path)
    return others[0] if others else None


def legacy_sharers(path: Path, name: str) -> list[Path]:
    """Other config files this tool knows of (the default location, $MODELSTUDIO_SETUP_CONFIG,
    every file in the index) whose profile `name` still uses the earlier version's entry
    (user = profile name): that entry is their key too, so it must stay."""
    index = _read_index()
    candidates = {str(config_path(None))}
    if os.environ.get(CONFIG_ENV):
        candidates.add(str(config_path(os.environ[CONFIG_ENV])))
    for entry in index["accounts"].values():
        candidates.update(_users(entry))
    candidates.update(str(m.get("config")) for m in index["moved"].values() if isinstance(m, dict))
    found = []
    for candidate in sorted(candidates):
        if not os.path.isfile(candidate) or _same_file(candidate, path):
            continue
        other = _load_tolerant(Path(candidate)).profiles.get(name)
        if other is not None and other.api_key.store == "keyring" and not other.api_key.account:
            found.append(Path(candidate))
    return found


def key_set_command(path: Path, name: str) -> str:
    """`… key set --profile P --config C`, spelled the way it runs in this shell."""
    from app.core.invocation import command  # lazy: the PATH lookup, only for this message

    return command("key", "set", "--profile", name, "--config", str(path))


def undo_store(store: Any, name: str, old: Any = None) -> bool:
    """Put a key store back as it was before a `set` (the old key, or none); True when a
    read-back proves it, so that "nothing was changed" is only ever said when true."""
    try:
        if old is not None:
            store.set(name, old)
        else:
            store.delete(name)  # a backend that refuses to delete may just say False
        return store.get(name) == old
    except Exception:
        return False


def shared_notice(account: str, other: Path, new_account: str) -> Notice:
    return Notice("secrets.entry_shared_split", account=account, other=str(other), new=new_account)


# ---------------------------------------------------------------------------------------------
# Migration of entries written under the bare profile name
# ---------------------------------------------------------------------------------------------


def set_key_ref(config: Any, name: str, ref: Any) -> Any:
    profiles = dict(config.profiles)
    profiles[name] = replace(profiles[name], api_key=ref)
    return Config(config.version, config.default_profile, profiles)


def migrate(
    path: Path, profile: Any, *, timeout: float, force: bool = False
) -> tuple[Any, tuple[Notice, ...]]:
    """Move a legacy keyring entry (user = profile name) to this config's scoped account.

    Returns the profile as it is now recorded and the notices to show. Nothing is lost on
    any failure: the old entry is deleted only after the new one was read back and the
    config records it.
    """
    ref = profile.api_key
    if ref.store != "keyring" or ref.account is not None:
        return profile, ()
    name = profile.name
    legacy = KeyringStore(timeout=timeout)
    value = legacy.get(name)
    if value is None:
        moved = _read_index()["moved"].get(name)
        if isinstance(moved, dict) and not _same_file(str(moved.get("config", "")), path):
            notice = Notice(
                "secrets.legacy_entry_moved",
                profile=name,
                account=str(moved.get("account", "?")),
                other=str(moved.get("config", "?")),
                command=key_set_command(path, name),
            )
            return profile, (notice,)
        return profile, ()
    pending_key = f"{_real(path)}\n{name}"
    account = _read_index()["pending"].get(pending_key)
    if not isinstance(account, str) or not ACCOUNT_RE.fullmatch(account):
        account, _ = scoped_account(path, name, load_config(path), timeout=timeout)
    scoped = KeyringStore(timeout=timeout, account=account)
    there = scoped.get(name)
    if there is not None and there.fingerprint() != value.fingerprint():
        # Another key: never overwrite it (a fresh entry is never taken; this is a race).
        return profile, (Notice("secrets.migration_target_taken", account=account),)
    if there is None:  # else: this file's own half-done move (killed midway): finish it

        def remember(doc: dict[str, Any]) -> None:
            doc["pending"][pending_key] = account

        _update_index(remember)  # a kill before the config names it resumes here
        scoped.set(name, value)  # reads the value back before returning
    new_ref = replace(ref, account=account)
    try:
        modify_config(path, lambda c: set_key_ref(c, name, new_ref), force=force)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            scoped.delete(name)  # the config still points at the old entry, which is whole
        if isinstance(exc, UserError):  # a read-only config: use the old entry this time
            return profile, (Notice("secrets.migration_failed", profile=name, why=exc.message),)
        raise
    register(account, path)

    def record(doc: dict[str, Any]) -> None:
        doc["moved"][name] = {"account": account, "config": _real(path)}
        doc["pending"].pop(pending_key, None)

    _update_index(record)
    notices = [Notice("secrets.migrated", profile=name, account=account, path=str(path))]
    sharers = legacy_sharers(path, name)
    if sharers:  # another config still reads the old entry: it stays for that one
        others = ", ".join(str(p) for p in sharers)
        notices.append(Notice("secrets.migrated_old_shared", profile=name, others=others))
        return replace(profile, api_key=new_ref), tuple(notices)
    try:
        legacy.delete(name)
    except KeyStoreError:
        from app.config.next_steps import delete_entry_command  # lazy: only when an entry stays

        command = delete_entry_command(name, path)
        notices.append(Notice("secrets.migrated_old_kept", profile=name, command=command))
    return replace(profile, api_key=new_ref), tuple(notices)
