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

from app.core.errors import Notice, UserError
from app.core.i18n import later, t
from app.core.record import replace

if TYPE_CHECKING:  # only the types: --help imports every command, these wait until one runs
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
    for action in (get, put, delete):
        action.add_argument(
            "--keyring-timeout",
            type=float,
            default=15.0,
            metavar="SECONDS",
            help=later("secrets.opt_keyring_timeout"),
        )


def run(args: argparse.Namespace) -> int:
    # lazy: --help imports every command; this waits until the command runs
    from app.config.io import load_config
    from app.config.shell import cli_config_path
    from app.secrets.key import KeyStoreError
    from app.secrets.stores import store_for

    timeout = args.keyring_timeout
    if not 0 < timeout <= 300:
        raise UserError("secrets.bad_timeout")
    # lazy: --help imports every command; this waits until the command runs
    from app.config.shell import print_notices

    path = cli_config_path(args)
    if args.key_action == "delete" and args.account is not None:
        return _delete_entry(args.account, path, timeout, args.yes)
    config = load_config(path)
    profile = config.profile(getattr(args, "profile", None))
    # An entry of the earlier version (user = profile name) moves to this file's scope.
    force = getattr(args, "force", False)
    moved: tuple[Notice, ...] = ()
    if profile.api_key.store == "keyring":  # only a keyring entry can be legacy (migrate)
        from app.config.key_scope import migrate  # here: an env or file `key get` does without it

        try:
            profile, moved = migrate(path, profile, timeout=timeout, force=force)
        except KeyStoreError:
            if args.key_action != "set":
                raise
            moved = ()  # `set` reports the keyring's state itself (exit 3 when it cannot store)
    print_notices(moved)
    # lazy: --help imports every command; this waits until the command runs
    from app.config.key_scope import note_use

    note_use(profile, path)  # read or written, this file uses the entry (T21)
    store = store_for(profile.api_key, path.parent, keyring_timeout=timeout)
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
    if args.key_action == "set":
        return _set(args, path, config, profile, store)
    # Only here: its text is in the `secrets` messages, which `key get` need not load.
    where = store.location(profile.name)
    _refuse_shared(profile, path)
    return _delete(store, profile.name, profile.api_key.env, where, args.yes)


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


def _delete_entry(account: str, path: Path, timeout: float, yes: bool) -> int:
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
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError("secrets.delete_entry_needs_yes", account=account)
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.prompts import confirm

        if not confirm(t("secrets.confirm_delete_entry", where=where)):
            print(t("secrets.delete_cancelled"))
            return 0
    if store.delete(name):
        print(t("secrets.entry_deleted", where=where))
    else:
        print(t("secrets.entry_already_gone", where=where))
    return 0


def _delete(store: KeyStore, name: str, env: str, where: str, yes: bool) -> int:

    if store.kind == "env":
        print(t("secrets.delete_env_store", profile=name, var=env))
        return 0
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError("secrets.delete_needs_yes", profile=name)
        # lazy: --help imports every command; this waits until the command runs
        from app.commands.prompts import confirm

        if not confirm(t("secrets.confirm_delete", profile=name, where=where)):
            print(t("secrets.delete_cancelled"))
            return 0
    if store.delete(name):
        print(t("secrets.key_deleted", profile=name, where=where))
    else:
        print(t("secrets.key_already_gone", profile=name, where=where))
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
    args: argparse.Namespace, path: Path, config: Config, profile: Profile, store: KeyStore
) -> int:
    """Store the new key. A keyring profile without a scoped entry yet (or one whose entry a
    copy of this config also uses) gets its own: the new entry first, then the config
    records it; the entry is removed again if the config cannot be written (T19, T21)."""

    # lazy: --help imports every command; this waits until the command runs
    from app.config.io import modify_config
    from app.config.key_scope import register, scoped_account
    from app.config.shell import print_notices
    from app.secrets.stores import KeyringStore

    name, env = profile.name, profile.api_key.env
    key = _read_new_key(args)
    if store.kind == "env":
        print(t("secrets.set_env_store", profile=name, var=env))
        return 0
    if store.kind != "keyring":
        store.set(name, key)
        where = store.location(name)
        print(t("secrets.key_stored", profile=name, where=where, masked=key.masked()))
        return 0
    assert isinstance(store, KeyringStore)  # store_for makes a KeyringStore for "keyring"
    ref = profile.api_key
    account, shared = scoped_account(path, name, config)
    print_notices([shared] if shared else [])
    store.account = account
    new_entry = account != ref.account
    store.set(name, key)
    if new_entry:
        new_ref = replace(ref, account=account)

        def change(c: Config) -> Config:
            # lazy: --help imports every command; this waits until the command runs
            from app.config.key_scope import set_key_ref

            return set_key_ref(c, name, new_ref)

        try:
            modify_config(path, change, force=getattr(args, "force", False))
        except BaseException:
            # lazy: --help imports every command; this waits until the command runs
            from app.config.key_scope import undo_store

            if not undo_store(store, name):  # "nothing was changed" would be untrue
                where = store.location(name)
                print(t("secrets.rollback_failed", where=where), file=sys.stderr)
            raise
    register(account, path)
    where = store.location(name)
    print(t("secrets.key_stored", profile=name, where=where, masked=key.masked()))
    return 0
