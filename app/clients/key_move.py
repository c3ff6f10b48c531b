"""Moving a plain-text key into the profile's OS keyring: the steps that `key import`
(app.commands.key_import) and the wizard's Welcome (screens/parts/key_offer.py) share, with
no printing, no question and no UI, so there is one copy of each.

The order is `key import`'s contract (T19), and both callers keep it:
1. the key, read and validated (`key_sources.read_key`; a plain-text key the clients reader
   found becomes the source `key import --from` would name with `source_of`);
2. the profile keeps its key in the keyring (`require_keyring_profile`), and the keyring
   can be trusted with it (`require_keyring`: nothing ever lands in plain text, T6);
3. the key accepted by the profile's own hosts (`check_key`: a refused key is not stored);
4. stored the way `key set` stores it, and read back (`store_checked`, `store_key`);
5. only then, and only when asked, the plain-text copy removed after a 0600 backup
   (`remove_copy`).
No message or value here carries the key (T8): its masked form at most.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.clients import key_sources as ks
from app.clients.found import StrayKey
from app.clients.key_sources import Source
from app.clients.locate import candidates
from app.clients.table import FILES
from app.core.errors import EXIT_NO_SECURE_STORE, Notice, UserError
from app.core.i18n import t

if TYPE_CHECKING:  # only the types: the engine (httpx, ssl) loads when a key is checked
    from app.config.schema import Config, Profile
    from app.core.models import Target
    from app.findings.codes import Finding
    from app.findings.results import ProbeResult
    from app.probe.engine import ProbeOptions
    from app.secrets.key import ApiKey, KeyStoreError
    from app.secrets.keyring import KeyringStatus
    from app.secrets.stores import KeyStore

# Findings that say the profile's hosts refused the key (and, with consent, whose it is).
REFUSED = frozenset(
    {
        "key_rejected",
        "illegal_endpoint",
        "plan_token_invalid",
        "plan_key_mismatch",
        "key_other_region",
        "key_is_plan",
        "key_other_workspace",
        "workspace_access_denied",
    }
)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# -- 1. where the key is ---------------------------------------------------------------------
def describe(source: Source) -> str:
    """The source in words, for messages (a path, never a value)."""
    if source.kind == "env":
        return t("key_import.source_env", var=source.var)
    shown = str(source.real or source.path)
    if source.kind == "bl":
        return t("key_import.source_bl", path=shown, config=source.config or "default")
    if source.kind == "dashscope-file":
        return t("key_import.source_dashscope", path=shown)
    if source.var is not None:
        return t("key_import.source_file_var", path=shown, var=source.var)
    return t("key_import.source_file", path=shown)


def source_of(stray: StrayKey, *, env: Mapping[str, str], cwd: Path, home: Path) -> Source | None:
    """The `key import` source of a plain-text key that app.clients.environment found (the
    bl CLI's config, the DashScope key file, a `.env` or shell start-up line); None for a
    file `key import` does not edit (a coding agent's settings, a TOML config)."""
    if stray.path is None:
        return None
    wanted = _same(stray.path)
    for cand in candidates(env, cwd, home):
        if _same(cand.path) != wanted:
            continue
        path = Path(os.path.abspath(cand.path))
        kind = FILES[cand.spec].format
        if cand.spec == "bailian":
            config = _bl_config(stray.variable)
            return Source("bl", path=path, config=config) if config else None
        if kind == "keyfile":
            return Source("dashscope-file", path=path)
        if kind in ("dotenv", "rc") and _VARIABLE.fullmatch(stray.variable):
            return Source("file", path=path, var=stray.variable)
        return None
    return None


def _same(path: Path) -> str:
    return os.path.realpath(os.path.abspath(path))


def _bl_config(variable: str) -> str | None:
    """`api_key` is the top level's (bl's "default"), `NAME.api_key` a named config's."""
    if variable == "api_key":
        return "default"
    name, dot, leaf = variable.rpartition(".")
    if dot and leaf == "api_key" and ks.BL_CONFIG_NAME.fullmatch(name):
        return name
    return None


# -- 2. a keyring that can keep it -----------------------------------------------------------
def keyring_error(reason: str, next_step: str | None, **params: Any) -> KeyStoreError:
    """A refusal that means "no secure store" (exit 3 on the command line)."""
    from app.secrets.key import KeyStoreError  # lazy: the store's error type, on this path

    error = KeyStoreError(reason, next_step, **params)
    error.exit_code = EXIT_NO_SECURE_STORE
    return error


def require_keyring_profile(profile: Profile, store: KeyStore) -> None:
    """`key import` moves a key into the OS keyring only (not into a variable or a file)."""
    if profile.api_key.store != "keyring":
        raise UserError(
            "key_import.store_not_keyring", profile=profile.name, where=store.location(profile.name)
        )


def require_keyring(status: KeyringStatus, described: str) -> None:
    """Before the key is sent anywhere: a keyring that can keep it (T6), else refused."""
    if not status.available:
        why = t(status.reason, **status.params) if status.reason else ""
        params = {**status.params, "why": why, "source": described}
        raise keyring_error("key_import.no_keyring", status.next_step, **params)


# -- 3. the key on the profile's own hosts ---------------------------------------------------
@dataclass(frozen=True)
class KeyCheck:
    """accepted | rejected | unverified; the findings that say why (remedies filled in);
    the profile's hosts that accepted the key."""

    verdict: str
    findings: tuple[Finding, ...]
    hosts: tuple[str, ...]


def key_targets(profile: Profile) -> list[Target]:
    from app.probe.targets import targets_for  # lazy: the engine only when a key is checked

    return targets_for(
        profile.region,
        profile.endpoint_style,
        profile.workspace_id,
        model=profile.model,
        base_urls=profile.base_urls,
        scope=profile.scope,
    )


async def check_key(profile: Profile, key: ApiKey, options: ProbeOptions, path: Path) -> KeyCheck:
    """Try `key` on the profile's hosts (other regions only when `options` carry consent):
    the auth step proves it, no tokens are spent, and this is no doctor run (no result
    callback)."""
    from app.probe.engine import run_checks  # lazy: as in key_targets

    options = dataclasses.replace(options, model=profile.model, inference=False, on_result=None)
    result = await run_checks(key_targets(profile), key, options)
    return judge(result, profile, options, path)


def judge(result: ProbeResult, profile: Profile, options: ProbeOptions, path: Path) -> KeyCheck:
    from app.findings.remedies import RemedyCommands  # lazy: with the probe's answers

    verdict = verdict_of(result)
    findings = RemedyCommands.for_run(options, profile.name, path).apply(result.findings)
    profile_checks = [c for c in result.checks if c.role == "profile"]
    hosts = sorted({c.host for c in profile_checks if c.key_accepted})
    shown = [f for f in findings if verdict == "unverified" or f.code in REFUSED]
    return KeyCheck(verdict, tuple(shown), tuple(hosts))


def verdict_of(result: ProbeResult) -> str:
    """accepted | rejected | unverified (no answer proved or refused the key)."""
    profile_checks = [c for c in result.checks if c.role == "profile"]
    if any(
        c.key_accepted is False or (c.finding is not None and c.finding.code in REFUSED)
        for c in profile_checks
    ):
        return "rejected"
    return "accepted" if any(c.key_accepted for c in profile_checks) else "unverified"


# -- 4. stored as `key set` stores it --------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    where: str
    backend: str
    previous: ApiKey | None  # the key the profile had before (None: none)


def stored(store: KeyStore, name: str) -> ApiKey | None:
    from app.secrets.key import KeyStoreError  # lazy: as in keyring_error

    try:
        return store.get(name)
    except KeyStoreError:  # an unusable old entry is replaced like a missing one
        return None


def store_checked(
    path: Path,
    config: Config,
    profile: Profile,
    store: KeyStore,
    key: ApiKey,
    *,
    described: str,
    notify: Callable[[Notice], None],
) -> Stored:
    """Store `key` for `profile` (`store_key`) and read it back; refused if it differs."""
    previous = stored(store, profile.name)
    where = store_key(path, config, profile, store, key, force=False, notify=notify)
    if stored(store, profile.name) != key:
        raise keyring_error("key_import.readback_failed", None, where=where, source=described)
    return Stored(where, getattr(store, "backend_name", None) or "?", previous)


def store_key(
    path: Path,
    config: Config,
    profile: Profile,
    store: KeyStore,
    key: ApiKey,
    *,
    force: bool,
    notify: Callable[[Notice], None],
) -> str:
    """Store `key` (`key set`, `key import`, the Welcome's import); where it now is. A
    keyring profile without a scoped entry yet (or one whose entry a copy of this config
    also uses) gets its own: the new entry first, then the config records it; the entry is
    removed again if the config cannot be written (T19, T21). `notify` gets the remarks
    (an entry split from a copy's, a rollback that failed)."""
    # lazy: the config and keyring code only when a key is stored
    from app.config.io import modify_config
    from app.config.key_scope import register, scoped_account, set_key_ref, undo_store
    from app.core.record import replace
    from app.secrets.stores import KeyringStore

    name = profile.name
    if store.kind != "keyring":
        store.set(name, key)
        return store.location(name)
    assert isinstance(store, KeyringStore)  # store_for makes a KeyringStore for "keyring"
    ref = profile.api_key
    account, shared = scoped_account(path, name, config)
    if shared is not None:
        notify(shared)
    store.account = account
    new_entry = account != ref.account
    store.set(name, key)
    if new_entry:
        new_ref = replace(ref, account=account)
        try:
            modify_config(path, lambda c: set_key_ref(c, name, new_ref), force=force)
        except BaseException:
            if not undo_store(store, name):  # "nothing was changed" would be untrue
                notify(Notice("secrets.rollback_failed", where=store.location(name)))
            raise
    register(account, path)
    return store.location(name)


# -- 5. the plain-text copy ------------------------------------------------------------------
def remove_copy(found: ks.Found, private_dir: Path) -> Path:
    """Remove the key from its file after a 0600 backup; the backup's path. The backup goes
    beside the file, except for a project's `.env` (a `.env.bak-…` there could be
    committed): into `private_dir`, made 0700. RemovalError leaves the original whole."""
    source = found.source
    assert source.real is not None  # read_key read a file
    folder = source.real.parent
    try:
        if source.kind == "file":
            folder = private_dir
            os.makedirs(folder, mode=0o700, exist_ok=True)
        return ks.remove_plaintext(found, folder)
    except OSError as exc:  # our backup folder could not be made
        reason = exc.strerror or type(exc).__name__
        raise ks.RemovalError(
            "key_import.backup_failed", path=str(source.real), folder=str(folder), reason=reason
        ) from None
