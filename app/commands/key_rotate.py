"""`key rotate`: replace a profile's stored key without downtime, and undo it if needed.

The order is the contract (T19, "never both keys lost"):
1. everything typed and the new key itself are checked first (bad input: exit 2, nothing
   stored, nothing sent);
2. the profile's store must be able to keep two keys: an env-variable profile stores none
   (refused, exit 2), a keyring that cannot be trusted is exit 3 before anything is sent;
3. the store's state is read: there must be an old key, no unfinished rotation (its
   backup would be overwritten) and a new key that differs (else exit 2);
4. the new key is tried on the profile's own hosts, auth AND the 1-token call, as doctor
   does (refused or failing: exit 1, nothing changed; whose key it is only with consent,
   `--yes` or a question, as `key import` asks);
5. the old key is written under the backup name and read back, then the new one replaces
   it and is read back (app.secrets.rotation: any single failing write leaves a working
   key reachable, and the message says which and where).
The backup stays until `key rotate --finish`, or until a doctor run passes with the new key
(`finish_after_doctor`); `key rotate --rollback` restores it. The live check and the
keyring's trust are app.clients.key_move's, the steps `key import` runs. No message, JSON
or file name carries a key: masked forms only (T8).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.network_options import add_keyring_timeout, add_network_options, probe_options
from app.core.errors import EXIT_OK, EXIT_PROBLEMS, Notice, UserError
from app.core.i18n import later, t

if TYPE_CHECKING:  # only the types: --help imports every command, these wait until one runs
    from app.commands.outcome import Outcome
    from app.config.schema import Config, Profile
    from app.findings.codes import Finding
    from app.probe.engine import ProbeOptions
    from app.secrets.key import ApiKey
    from app.secrets.rotation import Slot
    from app.secrets.stores import KeyStore

    OpenStore = Callable[[], tuple[Config, Profile, KeyStore]]
    ReadKey = Callable[[], ApiKey]


def register(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = actions.add_parser(
        "rotate",
        parents=[common],
        help=later("key_rotate.help"),
        description=later("key_rotate.description"),
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--api-key-stdin", action="store_true", help=later("secrets.opt_stdin"))
    what.add_argument("--api-key-env", metavar="VAR", help=later("secrets.opt_key_env"))
    what.add_argument("--finish", action="store_true", help=later("key_rotate.opt_finish"))
    what.add_argument("--rollback", action="store_true", help=later("key_rotate.opt_rollback"))
    p.add_argument("--yes", action="store_true", help=later("key_rotate.opt_yes"))
    p.add_argument("--no-check", action="store_true", help=later("key_rotate.opt_no_check"))
    p.add_argument("--json", action="store_true", help=later("key_rotate.opt_json"))
    add_keyring_timeout(p)
    add_network_options(p)


def run_rotate(
    args: argparse.Namespace, path: Path, open_store: OpenStore, read_key: ReadKey
) -> int:
    # lazy: --help imports every command; this waits until the command runs
    from app.clients.key_replace import old_key, require_store
    from app.commands.outcome import Outcome
    from app.secrets.rotation import slots

    out = Outcome(args.json)
    action = "finish" if args.finish else "rollback" if args.rollback else "rotate"
    out.summary.update(action=action)  # schema_version: app.core.json_out, as it prints
    # 1. What was typed, and the new key: exit 2 before anything is read or sent.
    key = options = None
    if action == "rotate":
        options = None if args.no_check else probe_options(args, inference=True, consent=args.yes)
        key = read_key()
        out.summary["key"] = key.masked()
    # 2. The profile, and a store that can keep two keys.
    config, profile, store = open_store()
    out.summary.update(profile=profile.name, store=profile.api_key.store)
    require_store(profile, store, path, args.keyring_timeout)
    current, backup = slots(store, profile.name)
    out.summary.update(where=current.location(), backup_where=backup.location())
    words = _address(path, profile.name, config)
    if action == "finish":
        return out.done(_finish(out, profile.name, backup))
    if action == "rollback":
        return out.done(_rollback(out, profile.name, current, backup, words))
    assert key is not None
    # 3. The store's state: an old key, no unfinished rotation, a new key.
    old = old_key(profile.name, current, backup, key, words)
    out.summary["previous"] = old.masked()
    out.say("key_rotate.read", masked=key.masked(), old=old.masked(), profile=profile.name)
    # Its shape notices (a plan key, ...) were said as it was read (app.commands.key).
    # 4. The new key on the profile's own hosts.
    if options is None:
        out.say("key_rotate.not_checked")
        out.summary["check"] = "skipped"
    elif not _check(out, options, path, profile, key, old):
        out.summary["stored"] = False
        return out.done(EXIT_PROBLEMS)
    # 5. The old key kept under the backup name, then the new one in its place.
    from app.secrets.rotation import rotate  # lazy: as above

    done = rotate(current, backup, old, key)
    out.summary.update(stored=True, backup=done.backup)
    out.say("key_rotate.rotated", profile=profile.name, masked=done.key, where=done.where)
    out.say(
        "key_rotate.backup_kept",
        old=old.masked(),
        backup=done.backup_where,
        finish=_command(words, "--finish"),
        rollback=_command(words, "--rollback"),
    )
    out.say("key_rotate.revoke_hint")
    return out.done(EXIT_OK)


def finish_after_doctor(profile: Profile, config_path: Path, verdict: str) -> Notice | None:
    """Called by `doctor` after each run: a passing run ("ok") proved the new key, so the
    previous key that `key rotate` kept is deleted (the rotation is finished). The notice
    goes to stderr (stdout may be doctor's JSON) and is returned; None when there was
    nothing to do. Never raises: a doctor run must not fail for a backup's sake."""
    if verdict != "ok" or profile.api_key.store not in ("keyring", "file"):
        return None
    if profile.api_key.store == "keyring" and not profile.api_key.account:
        return None  # an earlier version's entry: rotation never kept a backup for it
    # lazy: only after a doctor run that passed
    from app.secrets.rotation import finish, slots
    from app.secrets.stores import store_for

    notice: Notice | None
    try:
        _, backup = slots(store_for(profile.api_key, config_path.parent), profile.name)
        where = backup.location()
        old = finish(backup)
    except Exception as exc:
        why = exc.message if isinstance(exc, UserError) else type(exc).__name__
        words = _address(config_path, profile.name, None)
        notice = Notice(
            "key_rotate.doctor_finish_failed",
            profile=profile.name,
            why=why,
            command=_command(words, "--finish"),
        )
    else:
        if old is None:
            return None
        notice = Notice(
            "key_rotate.doctor_finished", profile=profile.name, old=old.masked(), backup=where
        )
    print(notice.message, file=sys.stderr)
    return notice


# -- the store ---------------------------------------------------------------------------------
def _finish(out: Outcome, name: str, backup: Slot) -> int:
    from app.secrets.rotation import finish  # lazy: as in run_rotate

    old = finish(backup)
    out.summary["previous"] = old.masked() if old is not None else None
    if old is None:
        out.say("key_rotate.nothing_to_finish", profile=name, backup=backup.location())
    else:
        out.say("key_rotate.finished", profile=name, old=old.masked(), backup=backup.location())
        out.say("key_rotate.revoke_hint")
    return EXIT_OK


def _rollback(out: Outcome, name: str, current: Slot, backup: Slot, words: list[str]) -> int:
    """Nothing pending is exit 0, as for `--finish`: the state asked for (no rotation under
    way) holds, and a script may undo "whatever is pending" without checking first; JSON
    says `previous: null`, as `--finish` does."""
    from app.secrets.rotation import pending, rollback  # lazy: as in run_rotate

    if pending(backup) is None:
        out.summary.update(previous=None, backup=None)
        out.say("key_rotate.nothing_to_roll_back", backup=backup.location())
        return EXIT_OK
    done = rollback(current, backup)
    out.summary.update(key=done.key, backup=done.backup)
    out.say("key_rotate.rolled_back", profile=name, masked=done.key, where=done.where)
    if not done.backup_dropped:
        out.say(
            "key_rotate.rollback_backup_stays",
            backup=done.backup_where,
            command=_command(words, "--finish"),
        )
    return EXIT_OK


# -- the live check ----------------------------------------------------------------------------
def _verify(
    options: ProbeOptions, path: Path, profile: Profile, key: ApiKey
) -> tuple[str, tuple[Finding, ...], tuple[str, ...]]:
    """The shared live check (app.clients.key_replace), run to completion here."""
    import asyncio  # lazy: the probe engine only when the key is checked

    from app.clients.key_replace import verify_new_key  # lazy: as asyncio above

    check = asyncio.run(verify_new_key(options, path, profile, key))
    return check.verdict, check.findings, check.hosts


def _check(
    out: Outcome, options: ProbeOptions, path: Path, profile: Profile, key: ApiKey, old: ApiKey
) -> bool:
    """True when the profile's hosts accept the new key and answer its 1-token call."""
    import dataclasses  # lazy: as in _verify

    # lazy: as in _verify (the region names come with the probe's answers)
    from app.config.region_switch import joined, region_label

    verdict, shown, hosts = _verify(options, path, profile, key)
    interactive = not out.as_json and sys.stdin is not None and sys.stdin.isatty()
    if verdict == "rejected" and not options.consent_all_regions and interactive:
        from app.commands.prompts import confirm  # lazy: only a terminal is asked

        if confirm(t("key_rotate.confirm_consent")):
            options = dataclasses.replace(options, consent_all_regions=True)
            verdict, shown, hosts = _verify(options, path, profile, key)
    region = region_label(profile.region)
    out.summary.update(check=verdict, findings=[f.to_json() for f in shown])
    if verdict == "accepted":
        out.say("key_rotate.accepted", profile=profile.name, region=region, hosts=", ".join(hosts))
        return True
    for finding in shown:
        out.say("key_rotate.finding", message=finding.message, remedy=finding.remedy)
    if verdict in ("unverified", "ping_failed"):
        out.say(f"key_rotate.{verdict}", old=old.masked())
        return False
    out.say("key_rotate.rejected", profile=profile.name, region=region, old=old.masked())
    owners = [f.params.get("regions") for f in shown if f.code == "key_other_region"]
    if owners and owners[0]:
        owner = joined([region_label(r) for r in owners[0]])
        out.say("key_rotate.owner_region", owner=owner, profile=profile.name, region=region)
    if not options.consent_all_regions:
        out.say("key_rotate.no_consent")
    return False


# -- words -------------------------------------------------------------------------------------
def _address(path: Path, name: str, config: Any) -> list[str]:
    from app.config.shell import cli_address  # lazy: only for a message

    default = getattr(config, "default_profile", None)
    return cli_address(path, name, default)


def _command(words: list[str], flag: str) -> str:
    """`… key rotate --finish --profile P`, spelled the way it runs in this shell."""
    from app.clients.key_replace import rotate_command  # lazy: only for a message

    return rotate_command(flag, words)
