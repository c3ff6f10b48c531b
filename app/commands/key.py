"""`key get` / `key set` / `key delete`: the stored key of a profile, for scripts, for
rotating a key and for cleaning up.

`key get` is the explicit request for the key (SECURITY.md T10: exports reference it as
`$(modelstudio-setup key get)` instead of copying it), so it prints the raw key and nothing
else on stdout; every message goes to stderr. `key delete` asks first on a terminal and
refuses to guess without one.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.commands.network_options import add_keyring_timeout
from app.core.errors import Notice, UserError
from app.core.i18n import later, t

if TYPE_CHECKING:  # only the types: --help imports every command, these wait until one runs
    from app.commands.outcome import Outcome
    from app.config.schema import Config, Profile
    from app.secrets.key import ApiKey
    from app.secrets.stores import KeyStore


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "key",
        parents=[common],
        help=later("secrets.help_key"),
        description=later("secrets.help_key"),
    )
    actions = p.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    get = actions.add_parser(
        "get",
        parents=[common],
        help=later("secrets.help_get"),
        description=later("secrets.help_get"),
    )
    delete = actions.add_parser(
        "delete",
        parents=[common],
        help=later("secrets.help_delete"),
        description=later("secrets.help_delete"),
    )
    delete.add_argument("--yes", action="store_true", help=later("secrets.opt_yes"))
    delete.add_argument("--account", metavar="ENTRY", help=later("secrets.opt_account"))
    put = actions.add_parser(
        "set",
        parents=[common],
        help=later("secrets.help_set"),
        description=later("secrets.help_set"),
    )
    source = put.add_mutually_exclusive_group()
    source.add_argument("--api-key-stdin", action="store_true", help=later("secrets.opt_stdin"))
    source.add_argument("--api-key-env", metavar="VAR", help=later("secrets.opt_key_env"))
    put.add_argument("--force", action="store_true", help=later("secrets.opt_force"))
    for action in (put, delete):  # what was done, as one JSON document (docs/json.md)
        action.add_argument("--json", action="store_true", help=later("cli.opt_json_outcome"))
    # lazy: only the parser of `key import` (its work waits until it runs)
    from app.commands.key_import import register as register_import

    register_import(actions, common)
    # lazy: only the parsers of `key rotate` and `key temp` (their work waits until they run)
    from app.commands.key_rotate import register as register_rotate
    from app.commands.key_temp import register as register_temp

    register_rotate(actions, common)
    register_temp(actions, common)
    for action in (get, put, delete):
        add_keyring_timeout(action)


def run(args: argparse.Namespace) -> int:
    # lazy: --help imports every command; this waits until the command runs
    from app.config.shell import cli_config_path

    timeout = args.keyring_timeout
    if not 0 < timeout <= 300:
        raise UserError("secrets.bad_timeout")
    path = cli_config_path(args)
    if args.key_action in ("set", "delete"):
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.outcome import Outcome

        out = Outcome(args.json, action=f"key_{args.key_action}")
        return out.run(lambda: _change(args, path, timeout, out))
    if args.key_action == "import":
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.key_import import run_import

        # The profile's store is opened only once the key was read (bad input: nothing done).
        return run_import(args, path, lambda: _open(args, path, timeout))
    if args.key_action == "rotate":
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.key_rotate import run_rotate

        # The store is opened only once the new key was read (bad input: nothing done).
        return run_rotate(
            args, path, lambda: _open(args, path, timeout), lambda: _read_new_key(args)
        )
    if args.key_action == "temp":
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.key_temp import run_temp

        return run_temp(args, path, lambda: _open(args, path, timeout))
    config, profile, store = _open(args, path, timeout)
    if args.key_action == "get":
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.export import key_missing_message, read_key

        key = read_key(profile, path, config.default_profile, store)
        if key is None:
            text = key_missing_message(profile, path, config.default_profile)
            print(f"modelstudio-setup: {text}", file=sys.stderr)
            return 1
        sys.stdout.write(key.reveal() + "\n")
        sys.stdout.flush()
        return 0
    raise AssertionError(args.key_action)  # argparse admits no other action


def _change(args: argparse.Namespace, path: Path, timeout: float, out: Outcome) -> int:
    """`key set` and `key delete`, their results recorded in `out` for --json."""
    if args.key_action == "delete" and args.account is not None:
        return _delete_entry(args.account, path, timeout, args.yes, out)
    config, profile, store = _open(args, path, timeout)
    out.record(profile=profile.name, store=profile.api_key.store)
    if args.key_action == "set":
        return _set(args, path, config, profile, store, out)
    # Only here: its text is in the `secrets` messages, which `key get` need not load.
    where = store.location(profile.name)
    _refuse_shared(profile, path)
    return _delete(store, profile.name, profile.api_key.env, where, args.yes, out)


def _open(args: argparse.Namespace, path: Path, timeout: float) -> tuple[Config, Profile, KeyStore]:
    """The config, the profile named by --profile and its key store, with an earlier
    version's keyring entry (user = profile name) moved to this file's scope first."""
    # lazy: --help imports every command; this waits until the command runs
    from app.config.io import load_config
    from app.config.key_scope import note_use
    from app.config.shell import print_notices
    from app.secrets.key import KeyStoreError
    from app.secrets.stores import store_for

    config = load_config(path)
    profile = config.profile(getattr(args, "profile", None))
    force = getattr(args, "force", False)
    moved: tuple[Notice, ...] = ()
    if profile.api_key.store == "keyring":  # only a keyring entry can be legacy (migrate)
        from app.config.key_scope import migrate  # here: an env or file `key get` does without it

        try:
            profile, moved = migrate(path, profile, timeout=timeout, force=force)
        except KeyStoreError:
            if args.key_action not in ("set", "import"):
                raise
            moved = ()  # these report the keyring's state themselves (exit 3: cannot store)
    print_notices(moved)
    note_use(profile, path)  # read or written, this file uses the entry (T21)
    return config, profile, store_for(profile.api_key, path.parent, keyring_timeout=timeout)


def _refuse_shared(profile: Profile, path: Path) -> None:
    """The entry is also the key of another config file (a copy of this one): keep it."""
    # lazy: --help imports every command; this waits until the command runs
    from app.config.key_scope import other_users

    account = profile.api_key.account
    others = other_users(account, path)
    if others:
        other = ", ".join(str(p) for p in others)
        # lazy: --help imports every command; this waits until the command runs
        from app.config.key_scope import key_set_command

        raise UserError(
            "secrets.entry_shared_kept",
            account=account,
            other=str(other),
            command=key_set_command(path, profile.name),
        )


def _delete_entry(account: str, path: Path, timeout: float, yes: bool, out: Outcome) -> int:
    """`key delete --account ENTRY`: one keyring entry of this tool by its name, for an entry
    no profile names any more (a wizard left before Export, a store move whose old entry
    could not be deleted). Refused while a config file this tool knows still names it."""

    # lazy: --help imports every command; this waits until the command runs
    from app.config.io import load_config
    from app.config.key_scope import legacy_sharers, other_users
    from app.secrets.stores import ACCOUNT_RE, KeyringStore, check_account, check_profile_name

    scoped = ACCOUNT_RE.fullmatch(account) is not None
    if scoped:
        check_account(account)
        name = account.split("@", 1)[0]
    else:
        name = check_profile_name(account)  # an earlier version's entry: the profile name
    users: list[Path] = []
    here: Profile | None
    try:
        here = load_config(path).profiles.get(name)
    except Exception:  # no config (yet), or a broken one: it names nothing
        here = None
    keyring = here.api_key if here is not None and here.api_key.store == "keyring" else None
    if keyring is not None and (keyring.account or name) == account:
        users.append(Path(str(path)))  # this config names the entry
    nowhere = Path(str(path)).parent / ".modelstudio-setup-no-such-file"
    others = other_users(account, nowhere) if scoped else legacy_sharers(nowhere, name)
    users.extend(p for p in others if p not in users)
    if users:
        raise UserError(
            "secrets.entry_in_use", account=account, others=", ".join(str(p) for p in users)
        )
    store = KeyringStore(timeout=timeout, account=account if scoped else None)
    where = store.location(name)
    out.record(account=account, store="keyring", where=where)
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError("secrets.delete_entry_needs_yes", account=account)
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.prompts import confirm

        if not confirm(t("secrets.confirm_delete_entry", where=where)):
            print(t("secrets.delete_cancelled"))
            out.record(result="cancelled")
            return 0
    if store.delete(name):
        print(t("secrets.entry_deleted", where=where))
        out.record(result="deleted")
    else:
        print(t("secrets.entry_already_gone", where=where))
        out.record(result="already_gone")
    return 0


def _delete(store: KeyStore, name: str, env: str, where: str, yes: bool, out: Outcome) -> int:
    out.record(where=where)
    if store.kind == "env":
        print(t("secrets.delete_env_store", profile=name, var=env))
        out.record(result="unchanged", variable=env)  # nothing of ours to delete
        return 0
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError("secrets.delete_needs_yes", profile=name)
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.prompts import confirm

        if not confirm(t("secrets.confirm_delete", profile=name, where=where)):
            print(t("secrets.delete_cancelled"))
            out.record(result="cancelled")
            return 0
    if store.delete(name):
        print(t("secrets.key_deleted", profile=name, where=where))
        out.record(result="deleted")
    else:
        print(t("secrets.key_already_gone", profile=name, where=where))
        out.record(result="already_gone")
    return 0


_STDIN_LIMIT = 4002  # more than any key plus paste whitespace; the rest is never read


def _read_new_key(args: argparse.Namespace) -> ApiKey:
    """The new key from stdin, a variable, or a no-echo prompt; validated, never echoed."""

    # lazy: --help imports every command; this waits until the command runs
    from app.core.key_env import check_key_env_name
    from app.secrets.key import ApiKey

    if args.api_key_env:  # "" falls through to "no key source given"
        # The same rule as configure: PATH, LD_*, PYTHON*, ... never hold a key (S6).
        var = check_key_env_name(args.api_key_env)
        raw = os.environ.get(var)
        if raw is None or not raw.strip():
            raise UserError("secrets.key_env_unset", var=var)
    elif args.api_key_stdin:
        if sys.stdin is None or sys.stdin.isatty():
            raise UserError("secrets.stdin_is_tty")
        raw = sys.stdin.read(_STDIN_LIMIT)
    elif sys.stdin is not None and sys.stdin.isatty():
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.prompts import hidden

        raw = hidden(t("secrets.prompt_key"))
    else:
        raise UserError("secrets.set_needs_source")
    key, notices = ApiKey.parse(raw)
    for notice in notices:
        print(f"modelstudio-setup: {notice.message}", file=sys.stderr)
    return key


def _set(
    args: argparse.Namespace,
    path: Path,
    config: Config,
    profile: Profile,
    store: KeyStore,
    out: Outcome,
) -> int:
    """`key set`: the new key (stdin, a variable or the prompt) into the profile's store."""
    name, env = profile.name, profile.api_key.env
    key = _read_new_key(args)
    if store.kind == "env":
        print(t("secrets.set_env_store", profile=name, var=env))
        out.record(result="unchanged", variable=env)  # the user exports the variable
        return 0
    where = _store_key(path, config, profile, store, key, force=getattr(args, "force", False))
    print(t("secrets.key_stored", profile=name, where=where, masked=key.masked()))
    out.record(result="stored", where=where, key=key.masked())
    return 0


def _store_key(
    path: Path, config: Config, profile: Profile, store: KeyStore, key: ApiKey, *, force: bool
) -> str:
    """Store `key` (`key set`); where it now is. The mechanism (a scoped keyring entry, the
    config recording it, the rollback) is app.clients.key_move.store_key, which `key import`
    and the wizard's Welcome use too; its remarks go to stderr."""

    # lazy: --help imports every command; this waits until the command runs
    from app.clients.key_move import store_key
    from app.commands.key_import import print_notice

    return store_key(path, config, profile, store, key, force=force, notify=print_notice)
