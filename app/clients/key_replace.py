"""Replacing a profile's key (issue 12 §2): the checks before anything is written, for both
`key rotate` (app/commands/key_rotate.py) and the wizard's Welcome "Replace the key of a
profile" (screens/parts/key_replace.py), so the two cannot judge a new key differently.

In order: the store can keep two keys (not a variable; a keyring that can be trusted and
this config file's own scoped entry, T21); there is an old key, no unfinished rotation
whose backup would be overwritten, and the new key differs; the new key is accepted on the
profile's own hosts and answers a 1-token call. Only then does app.secrets.rotation write
(the new key in place, the old one under its backup name).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserError
from app.core.i18n import t
from app.secrets.rotation import Slot, pending, refusal

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.findings.codes import Finding
    from app.probe.engine import ProbeOptions
    from app.secrets.key import ApiKey
    from app.secrets.stores import KeyStore


def require_store(profile: Profile, store: KeyStore, path: Path, timeout: float) -> None:
    """A store that keeps keys (not a variable), and for the keyring: one that can be
    trusted (exit 3), this config file's own scoped entry, and not a copy's too (T21)."""
    name = profile.name
    if store.kind == "env":
        raise UserError("key_rotate.env_store", profile=name, var=profile.api_key.env)
    if store.kind != "keyring":
        return
    # lazy: keyring loads only for a keyring profile
    from app.clients.key_move import keyring_error
    from app.config.key_scope import key_set_command, other_users
    from app.secrets.keyring import probe_keyring

    status = probe_keyring(timeout)
    if not status.available:
        why = t(status.reason, **status.params) if status.reason else ""
        raise keyring_error("key_rotate.no_keyring", status.next_step, **status.params, why=why)
    account = profile.api_key.account
    if not account:
        raise UserError("key_rotate.legacy_entry", profile=name)
    others = other_users(account, path)
    if others:
        raise UserError(
            "key_rotate.entry_shared",
            account=account,
            other=", ".join(str(p) for p in others),
            command=key_set_command(path, name),
        )


def old_key(name: str, current: Slot, backup: Slot, key: ApiKey) -> ApiKey:
    """The key being replaced; refused (exit 2) when there is none, when an unfinished
    rotation's backup would be overwritten, or when the new key is the same."""
    old = current.get()
    if old is None:
        raise refusal("key_rotate.no_old_key", profile=name, where=current.location())
    kept = pending(backup)
    if kept is not None and kept != old:
        raise refusal(
            "key_rotate.pending", profile=name, old=kept.masked(), backup=backup.location()
        )
    if old == key:
        raise refusal("key_rotate.same_key", profile=name, masked=key.masked())
    return old


@dataclass(frozen=True)
class KeyCheck:
    """accepted | rejected | unverified (as `key import` judges, app.clients.key_move) |
    ping_failed (accepted, but the 1-token call failed); the findings to show; the hosts
    that accepted the key."""

    verdict: str
    findings: tuple[Finding, ...]
    hosts: tuple[str, ...]


async def verify_new_key(
    options: ProbeOptions, path: Path, profile: Profile, key: ApiKey
) -> KeyCheck:
    """The new key on the profile's own endpoints: auth, then a 1-token call."""
    # lazy: the probe engine (httpx2) only when a key is checked
    from app.clients.key_move import judge, key_targets
    from app.findings.remedies import RemedyCommands
    from app.probe.engine import run_checks

    options = dataclasses.replace(options, model=profile.model, inference=True, on_result=None)
    result = await run_checks(key_targets(profile), key, options)
    check = judge(result, profile, options, path)
    if check.verdict != "accepted":
        return KeyCheck(check.verdict, tuple(check.findings), tuple(check.hosts))
    failed = [
        c.finding
        for c in result.checks
        if c.role == "profile" and c.status == "fail" and c.finding is not None
    ]
    if failed:
        shown = RemedyCommands.for_run(options, profile.name, path).apply(failed)
        return KeyCheck("ping_failed", tuple(shown), tuple(check.hosts))
    return KeyCheck("accepted", (), tuple(check.hosts))
