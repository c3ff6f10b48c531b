"""The places a key may be kept (keyring, environment, file, memory) and the choice of one.

Stores fail closed: no secure store and no explicit alternative means nothing is written
(SECURITY.md T6-T8). The key itself is app.secrets.key; the keyring calls (vetted backends,
the timeout) are app.secrets.keyring.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from app.core.errors import EXIT_NO_SECURE_STORE, UserError
from app.core.i18n import t
from app.core.key_env import check_key_env_name
from app.core.names import PROFILE_NAME_PATTERN, profile_name_ok
from app.core.record import Record
from app.core.text import looks_like_key
from app.fs import create_private, fsync_dir, write_replace
from app.secrets.key import ApiKey, InvalidApiKey, KeyStoreError
from app.secrets.keyring import (
    KEYRING_PROBE_TIMEOUT,
    KEYRING_SERVICE,
    KeyringStatus,
    keyring_delete,
    keyring_get,
    keyring_set,
    probe_keyring,
)

# ---------------------------------------------------------------------------------------------
# Key stores. CONTRACT (used by profiles, CLI, probe and TUI). Every keyring call runs in a
# daemon thread with a timeout (app.secrets.keyring), so a hanging backend cannot freeze the
# caller; the functions here never print and never log the key.
# ---------------------------------------------------------------------------------------------

STORE_KINDS = ("keyring", "env", "file")
DEFAULT_ENV_VAR = "DASHSCOPE_API_KEY"
KEY_FILE_MODE = 0o600
KEY_DIR_MODE = 0o700
_MAX_KEY_FILE_BYTES = 16 * 1024
_KEYS_GITIGNORE = "# API keys (modelstudio-setup --store file): never commit these.\n*\n"
# Profile names become file names (FileStore) and keyring user names: one safe path segment.
# A scoped keyring user: `<profile>@<12 hex>`, the hex naming one config file (T21).
ACCOUNT_RE = re.compile(rf"(?P<profile>{PROFILE_NAME_PATTERN})@(?P<scope>[0-9a-f]{{12}})")


class KeyRef(Record):
    """Where a profile's key lives: the `api_key` mapping of a profile in config.yaml."""

    store: str = "keyring"  # keyring | env | file
    env: str = DEFAULT_ENV_VAR  # the variable exports reference (and the source for store=env)
    # The keyring user name, scoped to one config file (`default@1a2b3c4d5e6f`, T21); None
    # for an entry written by an earlier version under the bare profile name.
    account: str | None = None


class KeyStore(Protocol):
    kind: str

    def describe(self) -> str:
        """Human status line, e.g. 'OS keyring (SecretService)' / 'plain text file ... (0600)'."""
        ...

    def location(self, profile: str) -> str:
        """Where this profile's key is, e.g. 'plain text file /…/keys/work.key (mode 0600)'."""
        ...

    def get(self, profile: str) -> ApiKey | None: ...

    def set(self, profile: str, key: ApiKey) -> None: ...

    def delete(self, profile: str) -> bool: ...


class NoSecureStore(KeyStoreError):
    """No store was chosen and the keyring cannot be trusted: nothing is written (T6)."""

    exit_code = EXIT_NO_SECURE_STORE

    def __init__(self, status: KeyringStatus, env_var: str = DEFAULT_ENV_VAR) -> None:
        why = t(status.reason, **status.params) if status.reason else ""
        super().__init__(
            "secrets.no_secure_store",
            status.next_step,
            also="secrets.next_choose_store",
            **status.params,
            why=why,
            var=env_var,
        )
        self.status = status


def check_profile_name(profile: str) -> str:
    """Refuse names that cannot be one file name / keyring user (`../x`, empty, control chars):
    the one profile-name rule (app.core.names), worded for a store."""
    if not profile_name_ok(profile):
        raise UserError("secrets.bad_profile_name")
    return profile


def check_account(value: object) -> str:
    """A scoped keyring user name as recorded in a config (`default@1a2b3c4d5e6f`), or refuse.

    Only this exact form is accepted: a config file must not be able to point its key at
    another program's keyring entry, nor carry a pasted key in this field (T16, T21).
    """
    if (
        not isinstance(value, str)
        or not ACCOUNT_RE.fullmatch(value)
        or ".." in value
        or looks_like_key(value)
    ):
        raise UserError("secrets.bad_account")
    return value


class KeyringStore:
    """The OS keyring (Secret Service, macOS Keychain, Windows Credential Locker, KWallet).

    Every call runs in a daemon thread bounded by `timeout`; every failure becomes a
    `KeyStoreError` naming the reason and the next step. `set` refuses insecure backends and
    reads the key back, so a null backend can never swallow a key silently (T6).
    """

    kind = "keyring"

    def __init__(
        self,
        *,
        timeout: float = KEYRING_PROBE_TIMEOUT,
        service: str = KEYRING_SERVICE,
        account: str | None = None,
        account_of: Callable[[str], str | None] | None = None,
    ):
        self.timeout = timeout
        self.service = service
        # The keyring user: the scoped account recorded in the config (T21), else the
        # bare profile name an earlier version used. `account_of(profile)` decides it per
        # profile when the store serves a whole config (the wizard).
        self.account = account
        self.account_of = account_of
        self.backend_name: str | None = None  # learned on the first call; describe() never blocks

    def user(self, profile: str) -> str:
        check_profile_name(profile)
        if self.account:
            return self.account
        scoped = self.account_of(profile) if self.account_of is not None else None
        return check_account(scoped) if scoped else profile

    def describe(self) -> str:
        backend = self.backend_name or os.environ.get("PYTHON_KEYRING_BACKEND") or ""
        short = backend.removeprefix("keyring.backends.") if backend else ""
        if short:
            return t("secrets.describe_keyring_backend", backend=short)
        return t("secrets.describe_keyring")

    def location(self, profile: str) -> str:
        return t("secrets.location_keyring", service=self.service, user=self.user(profile))

    def get(self, profile: str) -> ApiKey | None:
        user = self.user(profile)
        raw, self.backend_name = keyring_get(self.service, user, self.timeout)
        if raw is None:
            return None
        try:
            return ApiKey(raw)
        except InvalidApiKey as exc:
            raise KeyStoreError(
                "secrets.stored_key_invalid",
                "secrets.next_store_again",
                where=self.location(profile),
                why=exc.message,
            ) from None

    def set(self, profile: str, key: ApiKey) -> None:
        user = self.user(profile)
        self.backend_name = keyring_set(self.service, user, key, self.timeout)

    def delete(self, profile: str) -> bool:
        user = self.user(profile)
        found, self.backend_name = keyring_delete(self.service, user, self.timeout)
        return found


class EnvStore:
    """Nothing stored: the key is read from an environment variable the user exports.

    `set` stores nothing on purpose (a process cannot export into its parent shell); the
    caller tells the user which variable to export.
    """

    kind = "env"

    def __init__(self, var: str = DEFAULT_ENV_VAR, environ: Mapping[str, str] | None = None):
        self.var = check_key_env_name(var)
        self._environ = environ

    def describe(self) -> str:
        return t("secrets.describe_env", var=self.var)

    def location(self, profile: str) -> str:
        return t("secrets.location_env", var=self.var)

    def get(self, profile: str) -> ApiKey | None:
        environ = os.environ if self._environ is None else self._environ
        raw = environ.get(self.var)
        if raw is None or not raw.strip():
            return None
        try:
            return ApiKey(raw)
        except InvalidApiKey as exc:
            raise KeyStoreError(
                "secrets.env_key_invalid", None, var=self.var, why=exc.message
            ) from None

    def set(self, profile: str, key: ApiKey) -> None:
        """Store nothing: the variable named by `var` is where the key must come from."""

    def delete(self, profile: str) -> bool:
        return False


class FileStore:
    """Plain-text key files, one per profile, on explicit opt-in only (T6, T11, T12).

    `<config_dir>/keys/<profile>.key`, mode 0600 in a 0700 directory whatever the umask,
    written atomically; symlinks are refused so the key cannot be redirected elsewhere, and a
    file others can read is refused (like ssh does) rather than used.
    """

    kind = "file"

    def __init__(self, config_dir: Path | str):
        self.config_dir = Path(config_dir)
        self.dir = self.config_dir / "keys"

    def path_for(self, profile: str) -> Path:
        return self.dir / f"{check_profile_name(profile)}.key"

    def describe(self) -> str:
        return t("secrets.describe_file", path=str(self.dir))

    def location(self, profile: str) -> str:
        return t("secrets.location_file", path=str(self.path_for(profile)))

    def get(self, profile: str) -> ApiKey | None:
        path = self.path_for(profile)
        self._check_dir(create=False)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        self._check_file(path, st)
        if st.st_mode & 0o077:
            raise KeyStoreError(
                "secrets.file_too_open",
                "secrets.next_chmod",
                path=str(path),
                mode=f"{stat.S_IMODE(st.st_mode):04o}",
            )
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(_MAX_KEY_FILE_BYTES + 1)
        except OSError as exc:  # mode 0000, another owner's ACL, EIO (QA C14)
            raise KeyStoreError(
                "secrets.file_unreadable",
                "secrets.next_chmod_unreadable",
                path=str(path),
                reason=exc.strerror or type(exc).__name__,
            ) from None
        try:
            return ApiKey(data.decode("utf-8"))
        except (UnicodeDecodeError, InvalidApiKey) as exc:
            why = exc.message if isinstance(exc, InvalidApiKey) else t("secrets.not_utf8")
            raise KeyStoreError(
                "secrets.stored_key_invalid",
                "secrets.next_store_again",
                where=str(path),
                why=why,
            ) from None

    def set(self, profile: str, key: ApiKey) -> None:
        path = self.path_for(profile)
        self._check_dir(create=True)
        with contextlib.suppress(FileNotFoundError):
            self._check_file(path, os.lstat(path))
        # The one writer (A4); `.NAME.xxxx.tmp` is what an earlier version left on a kill.
        payload = key.reveal().encode("ascii") + b"\n"
        try:
            write_replace(self.dir, path, payload, KEY_FILE_MODE, legacy_prefixes=(f".{profile}.",))
        except OSError as exc:  # full disk, file size limit (QA C14)
            raise self._write_failed(path, exc) from None
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != KEY_FILE_MODE:
            raise KeyStoreError(
                "secrets.file_mode_wrong",
                "secrets.next_chmod",
                path=str(path),
                mode=f"{stat.S_IMODE(st.st_mode):04o}",
            )

    @staticmethod
    def _write_failed(path: Path, exc: OSError) -> KeyStoreError:
        return KeyStoreError(
            "secrets.file_write_failed", path=str(path), reason=exc.strerror or type(exc).__name__
        )

    def delete(self, profile: str) -> bool:
        path = self.path_for(profile)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return False
        self._check_file(path, st)
        os.unlink(path)
        fsync_dir(self.dir)
        return True

    def _check_dir(self, *, create: bool) -> None:
        """The keys directory: a real directory of ours, 0700 (tightened if it was looser)."""
        for folder in (self.config_dir, self.dir):
            try:
                st = os.lstat(folder)
            except FileNotFoundError:
                if not create:
                    return
                os.makedirs(folder, mode=KEY_DIR_MODE, exist_ok=True)
                if folder == self.dir:
                    os.chmod(folder, KEY_DIR_MODE)
                    _write_gitignore(folder)
                continue
            if folder == self.dir:
                if stat.S_ISLNK(st.st_mode):
                    raise KeyStoreError(
                        "secrets.symlink_refused", "secrets.next_symlink", path=str(folder)
                    )
                if not stat.S_ISDIR(st.st_mode):
                    raise KeyStoreError("secrets.not_a_directory", None, path=str(folder))
                if hasattr(os, "getuid") and st.st_uid != os.getuid():
                    raise KeyStoreError("secrets.not_owner", None, path=str(folder))
                if create and stat.S_IMODE(st.st_mode) != KEY_DIR_MODE:
                    os.chmod(folder, KEY_DIR_MODE)

    def _check_file(self, path: Path, st: os.stat_result) -> None:
        if stat.S_ISLNK(st.st_mode):
            raise KeyStoreError("secrets.symlink_refused", "secrets.next_symlink", path=str(path))
        if not stat.S_ISREG(st.st_mode):
            raise KeyStoreError("secrets.not_a_file", None, path=str(path))
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise KeyStoreError("secrets.not_owner", None, path=str(path))


class MemoryStore:
    """Keys in a dict: tests and demo mode, where nothing may reach a real store."""

    kind = "memory"

    def __init__(self, keys: Mapping[str, ApiKey] | None = None):
        self._keys: dict[str, ApiKey] = dict(keys or {})

    def describe(self) -> str:
        return t("secrets.describe_memory")

    def location(self, profile: str) -> str:
        return t("secrets.describe_memory")

    def get(self, profile: str) -> ApiKey | None:
        return self._keys.get(profile)

    def set(self, profile: str, key: ApiKey) -> None:
        if not isinstance(key, ApiKey):
            raise TypeError("MemoryStore.set needs an ApiKey")
        self._keys[profile] = key

    def delete(self, profile: str) -> bool:
        return self._keys.pop(profile, None) is not None


def store_for(
    ref: KeyRef, config_dir: Path | str, *, keyring_timeout: float = KEYRING_PROBE_TIMEOUT
) -> KeyStore:
    """The store a profile's `api_key` mapping points at (no probing: reads must not write)."""
    if ref.store == "keyring":
        return KeyringStore(timeout=keyring_timeout, account=ref.account)
    if ref.store == "env":
        return EnvStore(ref.env)
    if ref.store == "file":
        return FileStore(config_dir)
    raise UserError("secrets.unknown_store", store=str(ref.store), kinds=", ".join(STORE_KINDS))


class StoreChoice(Record):
    """What `choose_store` decided: the profile's `api_key` mapping and the store behind it."""

    ref: KeyRef
    store: KeyStore
    status: KeyringStatus | None = None  # the probe result when the keyring was considered


def choose_store(
    requested: str | None,
    *,
    config_dir: Path | str,
    env_var: str = DEFAULT_ENV_VAR,
    keyring_timeout: float = KEYRING_PROBE_TIMEOUT,
    probe: Callable[[float], KeyringStatus] | None = None,
) -> StoreChoice:
    """Pick where a new key goes, failing closed (T6).

    No explicit choice: the keyring, but only when the probe proves it works; otherwise
    `NoSecureStore` (exit 3) naming the reason and the alternatives, and nothing is written.
    An explicit `keyring` is probed too: asking for the keyring is no reason to trust a null
    or plaintext backend. `env` and `file` are explicit opt-ins and are never probed.
    """
    env_var = check_key_env_name(env_var)
    if requested is not None and requested not in STORE_KINDS:
        raise UserError("secrets.unknown_store", store=str(requested), kinds=", ".join(STORE_KINDS))
    if requested == "env":
        return StoreChoice(KeyRef("env", env_var), EnvStore(env_var))
    if requested == "file":
        return StoreChoice(KeyRef("file", env_var), FileStore(config_dir))
    status = (probe or probe_keyring)(keyring_timeout)
    if not status.available:
        raise NoSecureStore(status, env_var)
    store = KeyringStore(timeout=keyring_timeout)
    store.backend_name = status.backend
    return StoreChoice(KeyRef("keyring", env_var), store, status)


def _write_gitignore(folder: Path) -> None:
    """Keys next to a config inside a project must not be committed by `git add .` (T10)."""
    with contextlib.suppress(OSError):
        create_private(folder / ".gitignore", _KEYS_GITIGNORE)
