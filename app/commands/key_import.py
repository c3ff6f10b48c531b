"""`key import`: move a plain-text API key that another tool left lying around (the `bl`
CLI's config.json, the DashScope SDK's key file, a variable, a key file or .env) into the
profile's OS keyring, and on request remove the plain-text copy.

The order is the contract (T19): everything typed and the key itself are checked first
(bad input: exit 2, nothing stored, nothing sent); then the keyring is proven usable (else
exit 3: the key never lands anywhere in plain text, T6); then the key is tried on the
profile's own hosts (refused: exit 1, not stored; the other regions' hosts are asked whose
key it is only with consent, `--yes` or a question); then it is stored the way `key set`
stores it and read back; only then is the plain-text copy removed, after a 0600 backup.
No message, JSON or file name carries the key (T8): its masked form at most.

The file logic is app.clients.key_sources; the steps after reading (the keyring checks, the
check on the hosts, the store `key set` uses, the removal) are app.clients.key_move, which
the wizard's Welcome runs too, so there is one copy of each mechanism.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.network_options import add_keyring_timeout, add_network_options, probe_options
from app.commands.outcome import Outcome
from app.core.errors import EXIT_PROBLEMS, Notice, UserError
from app.core.i18n import later, t

if TYPE_CHECKING:  # only the types: --help imports every command, these wait until one runs
    from app.clients.key_sources import Found, Source
    from app.config.schema import Config, Profile
    from app.probe.engine import ProbeOptions
    from app.secrets.key import ApiKey
    from app.secrets.stores import KeyStore

    OpenStore = Callable[[], tuple[Config, Profile, KeyStore]]


def register(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = actions.add_parser(
        "import",
        parents=[common],
        help=later("key_import.help"),
        description=later("key_import.description"),
    )
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="bl|dashscope-file|env|FILE",
        help=later("key_import.opt_from"),
    )
    p.add_argument("--env-var", metavar="VAR", help=later("key_import.opt_env_var"))
    p.add_argument("--bl-config", metavar="NAME", help=later("key_import.opt_bl_config"))
    p.add_argument("--remove-plaintext", action="store_true", help=later("key_import.opt_remove"))
    p.add_argument("--yes", action="store_true", help=later("key_import.opt_yes"))
    p.add_argument("--no-check", action="store_true", help=later("key_import.opt_no_check"))
    p.add_argument("--json", action="store_true", help=later("key_import.opt_json"))
    add_keyring_timeout(p)
    add_network_options(p)


def run_import(args: argparse.Namespace, path: Path, open_store: OpenStore) -> int:
    # lazy: --help imports every command; the readers wait until this one runs
    from app.clients import key_move as km
    from app.clients import key_sources as ks
    from app.core.key_env import check_key_env_name

    out = Outcome(args.json)
    spec = args.source
    # 1. What was typed, before anything is read.
    if args.env_var is not None and spec in ("bl", "dashscope-file"):
        raise UserError("key_import.env_var_not_here", source=spec)
    if args.bl_config is not None and spec != "bl":
        raise UserError("key_import.bl_config_not_here")
    env_var = check_key_env_name(args.env_var) if args.env_var is not None else None
    options = None if args.no_check else probe_options(args, inference=False, consent=args.yes)
    # A question would land on stdout, inside the JSON: --json asks nothing (--yes decides).
    interactive = not args.json and sys.stdin is not None and sys.stdin.isatty()
    removal = args.remove_plaintext and spec != "env"
    if removal and not args.yes and not interactive:
        raise UserError("key_import.remove_needs_yes")

    # 2. The key: bad input is exit 2 with nothing stored and nothing sent.
    source = ks.locate(spec, env_var=env_var, bl_config=args.bl_config, environ=os.environ)
    found = ks.read_key(source, os.environ)
    key, described = found.key, describe(found.source)
    out.summary.update(source=_source_json(found.source), key=key.masked())
    out.say("key_import.read", masked=key.masked(), source=described)
    if found.source.linked:
        out.say("key_import.via_link", path=str(found.source.path), target=str(found.source.real))
    for notice in key.notices():
        out.warn(notice.message)

    # 3. The profile, its store, the removal's consent and a keyring that works.
    config, profile, store = open_store()
    out.summary["profile"] = profile.name
    km.require_keyring_profile(profile, store)
    if removal and not args.yes:
        # lazy: only a terminal is asked
        from app.commands.prompts import confirm

        removal = confirm(t("key_import.confirm_remove", path=str(found.source.real)))
        if not removal:
            out.say("key_import.remove_declined")
    # lazy: keyring loads only when a key is stored
    from app.secrets.keyring import probe_keyring

    km.require_keyring(probe_keyring(args.keyring_timeout), described)

    # 4. The key on the profile's own hosts.
    if options is None:
        out.say("key_import.not_checked")
        out.summary["check"] = "skipped"
    elif not _check(out, options, path, profile, key, described, interactive):
        return out.done(EXIT_PROBLEMS)

    # 5. Stored as `key set` stores it, and read back.
    done = km.store_checked(
        path, config, profile, store, key, described=described, notify=print_notice
    )
    out.summary.update(stored=True, where=done.where, backend=done.backend)
    out.say("key_import.stored", masked=key.masked(), profile=profile.name, where=done.where)
    out.say("key_import.backend", backend=done.backend)
    if done.previous is not None and done.previous != key:
        out.say("key_import.replaced", old=done.previous.masked())

    # 6. Only now, and only when asked: the plain-text copy.
    return out.done(_remove(out, found, removal, path, config, profile.name))


def describe(source: Source) -> str:
    """The source in words, for messages (a path, never a value)."""
    from app.clients.key_move import describe as described  # lazy: as in run_import

    return described(source)


def print_notice(notice: Notice) -> None:
    """A remark of the store (app.clients.key_move.store_key) on stderr, as `key set`
    prints it: a split entry as a note, a failed rollback as its own sentence."""
    # lazy: only when a key is stored
    from app.config.shell import print_notices

    if notice.key == "secrets.rollback_failed":
        print(notice.message, file=sys.stderr)
    else:
        print_notices([notice])


def _source_json(source: Source) -> dict[str, Any]:
    return {
        "kind": source.kind,
        "path": str(source.path) if source.path else None,
        "target": str(source.real) if source.linked else None,
        "variable": source.var,
        "bl_config": source.config,
    }


def _check(
    out: Outcome,
    options: ProbeOptions,
    path: Path,
    profile: Profile,
    key: ApiKey,
    described: str,
    interactive: bool,
) -> bool:
    """True when the profile's hosts accept the key; else the reason said, and False."""
    # lazy: the probe engine (httpx) only when the key is checked
    import asyncio
    import dataclasses

    # lazy: as above (the findings' texts come with the probe's answers)
    from app.clients.key_move import check_key
    from app.config.region_switch import joined, region_label

    check = asyncio.run(check_key(profile, key, options, path))
    if check.verdict == "rejected" and not options.consent_all_regions and interactive:
        # lazy: only a terminal is asked
        from app.commands.prompts import confirm

        if confirm(t("key_import.confirm_consent")):
            options = dataclasses.replace(options, consent_all_regions=True)
            check = asyncio.run(check_key(profile, key, options, path))
    verdict, shown, hosts = check.verdict, check.findings, check.hosts
    region = region_label(profile.region)
    out.summary["check"] = verdict
    out.summary["findings"] = [f.to_json() for f in shown]
    if verdict == "accepted":
        out.say("key_import.accepted", profile=profile.name, region=region, hosts=", ".join(hosts))
        return True
    for finding in shown:
        out.say("key_import.finding", message=finding.message, remedy=finding.remedy)
    if verdict == "unverified":
        out.say("key_import.unverified", source=described)
        return False
    out.say("key_import.rejected", profile=profile.name, region=region, source=described)
    owners = [f.params.get("regions") for f in shown if f.code == "key_other_region"]
    if owners and owners[0]:
        owner = joined([region_label(r) for r in owners[0]])
        out.say("key_import.owner_region", owner=owner, profile=profile.name, region=region)
    if not options.consent_all_regions:
        out.say("key_import.no_consent")
    return False


def _remove(
    out: Outcome, found: Found, removal: bool, path: Path, config: Config, name: str
) -> int:
    """The plain-text copy: removed after a backup when asked, else where it stays."""
    # lazy: only the import's last step needs these
    from app.clients.key_move import remove_copy
    from app.config.io import user_dir
    from app.config.shell import cli_address
    from app.core.invocation import command

    source = found.source
    out.summary.update(removed=False, backup=None)
    if source.kind == "env":
        out.say("key_import.env_kept", var=source.var)
        return 0
    shown = str(source.real)
    if not removal:
        out.say("key_import.kept", source=describe(source))
        return 0
    try:  # a project's .env.bak-… could be committed: that backup goes to our own folder
        backup = remove_copy(found, user_dir("config") / "backups")
    except UserError as exc:  # the original is whole: say so, and why
        out.warn(exc.message)
        out.say("key_import.stored_but_kept", source=describe(source))
        return EXIT_PROBLEMS
    out.summary.update(removed=True, backup=str(backup))
    if source.kind == "bl":
        out.say("key_import.removed_bl", path=shown, config=source.config or "default")
    elif found.whole_file:
        out.say("key_import.removed_file", path=shown)
    else:
        out.say("key_import.removed_lines", path=shown, var=source.var)
    out.say("key_import.backup", backup=str(backup))
    get = command("key", "get", *cli_address(path, name, config.default_profile))
    out.say("key_import.use_hint", command=get)
    return 0
