"""Replacing a profile's key (issue 12 §2): the checks before anything is written, for both
`key rotate` (app/commands/key_rotate.py) and the wizard's Welcome "Replace the key of a
profile" (screens/parts/key_replace.py), so the two cannot judge a new key differently.

In order: the store can keep two keys (not a variable; a keyring that can be trusted and
this config file's own scoped entry, T21); there is an old key, no unfinished rotation
whose backup would be overwritten, and the new key differs; the new key is accepted on the
profile's own hosts and answers a 1-token call. Only then does app.secrets.rotation write
(the new key in place, the old one under its backup name).

A refused new key is told with remedies about that key (`for_new_key`), not doctor's: those
act on the key the profile stores, which a refused rotation leaves untouched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import UserError
from app.core.i18n import t
from app.findings.codes import Finding
from app.secrets.rotation import Slot, pending, refusal

if TYPE_CHECKING:
    from app.config.schema import Profile
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


def rotate_command(flag: str, address: Sequence[str]) -> str:
    """`… key rotate --finish --profile P --config C`, spelled the way it runs in this shell:
    a hint that left out the profile would, pasted, act on the default one."""
    from app.core.invocation import command  # lazy: the PATH lookup, only for a message

    return command("key", "rotate", flag, *address)


def old_key(
    name: str, current: Slot, backup: Slot, key: ApiKey, address: Sequence[str] | None = None
) -> ApiKey:
    """The key being replaced; refused (exit 2) when there is none, when an unfinished
    rotation's backup would be overwritten, or when the new key is the same. `address`
    (app.config.shell.cli_address) names the profile in the commands the refusal prints;
    without it they say `--profile NAME` in full."""
    old = current.get()
    if old is None:
        raise refusal("key_rotate.no_old_key", profile=name, where=current.location())
    kept = pending(backup)
    if kept is not None and kept != old:
        words = ["--profile", name] if address is None else list(address)
        raise refusal(
            "key_rotate.pending",
            profile=name,
            old=kept.masked(),
            backup=backup.location(),
            finish=rotate_command("--finish", words),
            rollback=rotate_command("--rollback", words),
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
        return KeyCheck(check.verdict, for_new_key(check.findings, profile, path), check.hosts)
    failed = [
        c.finding
        for c in result.checks
        if c.role == "profile" and c.status == "fail" and c.finding is not None
    ]
    if failed:
        shown = RemedyCommands.for_run(options, profile.name, path).apply(failed)
        return KeyCheck("ping_failed", tuple(shown), tuple(check.hosts))
    return KeyCheck("accepted", (), tuple(check.hosts))


# -- a refused new key -------------------------------------------------------------------------
@dataclass(frozen=True)
class NewKeyFinding(Finding):
    """A finding about the new key of a rotation, which is not stored. Doctor's remedy for
    the same code acts on the profile and the key it stores (`doctor --all-regions` tests
    the stored key; `configure --region R` moves the profile "and keeps the key", the old
    one), so following it would test or break the working profile. Its remedy is the
    rotation's instead (`key_rotate.remedy.<code>`): what to do with the new key. The
    message, the JSON (to_json reads `remedy`) and the report follow from the one property."""

    @property
    def remedy(self) -> str:
        return t(f"key_rotate.remedy.{self.code}", **self._render_params())

    def markdown_remedy(self) -> str:
        return t(f"key_rotate.remedy.{self.code}", **self._render_params(markdown=True))


def for_new_key(findings: Iterable[Finding], profile: Profile, path: Path) -> tuple[Finding, ...]:
    """The refusals (app.clients.key_move.REFUSED) as NewKeyFinding, with what their
    remedies name: the profile's region, and the `configure` command that would keep the
    new key in a profile of its own (NAME: the user's choice; never this profile, whose
    key works). Other findings (a connection that failed) are about the profile's hosts,
    the same for either key, and keep doctor's remedies."""
    # lazy: only for a refused key
    from app.clients.key_move import REFUSED
    from app.config.region_switch import region_label

    out: list[Finding] = []
    for f in findings:
        if f.code not in REFUSED:
            out.append(f)
            continue
        params = {
            **f.params,
            "profile": profile.name,
            "profile_region": region_label(profile.region),
        }
        where = _home_of(f, profile)
        if where:
            params["new_profile"] = _configure_new(path, where)
        fields = {field.name: getattr(f, field.name) for field in dataclasses.fields(f)}
        out.append(NewKeyFinding(**{**fields, "params": params}))
    return tuple(out)


def _home_of(finding: Finding, profile: Profile) -> list[str]:
    """The `configure` options of a profile the new key would work in, from what the
    ownership probe found (the shared host of the region, or the plan host, that accepted
    it; REGION / PLAN where it did not say); [] for a code whose remedy names none."""
    params: dict[str, Any] = finding.params
    if finding.code == "key_other_region":
        regions = params.get("regions") or ()
        owner = regions[0] if isinstance(regions, tuple | list) and regions else "REGION"
        return ["--region", str(owner), "--shared-host"]
    if finding.code == "key_other_workspace":  # the region's shared host accepted it
        return ["--region", profile.region, "--shared-host"]
    if finding.code == "key_is_plan":
        plan, region = params.get("plan") or "PLAN", params.get("plan_region") or "REGION"
        return ["--plan", str(plan), "--plan-region", str(region)]
    return []


def _configure_new(path: Path, where: list[str]) -> str:
    """`… configure --profile NAME [--config C] <where> --api-key-stdin`, as it runs here."""
    # lazy: the PATH lookup and the config's address, only for a refused key
    from app.config.shell import cli_address
    from app.core.invocation import command

    return command("configure", *cli_address(path, "NAME", None), *where, "--api-key-stdin")
