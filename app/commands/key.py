"""`key get` / `key set` / `key delete`: the stored key of a profile, for scripts, for
rotating a key and for cleaning up.

`key get` is the explicit request for the key (SECURITY.md T10: exports reference it as
`$(modelstudio-setup key get)` instead of copying it), so it prints the raw key and nothing
else on stdout; every message goes to stderr. `key delete` asks first on a terminal and
refuses to guess without one.
"""

from __future__ import annotations

import argparse
import sys

from app.i18n import t


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "key", parents=[common], help=t("secrets.help_key"), description=t("secrets.help_key")
    )
    actions = p.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    get = actions.add_parser(
        "get", parents=[common], help=t("secrets.help_get"), description=t("secrets.help_get")
    )
    delete = actions.add_parser(
        "delete",
        parents=[common],
        help=t("secrets.help_delete"),
        description=t("secrets.help_delete"),
    )
    delete.add_argument("--yes", action="store_true", help=t("secrets.opt_yes"))
    put = actions.add_parser(
        "set", parents=[common], help=t("secrets.help_set"), description=t("secrets.help_set")
    )
    source = put.add_mutually_exclusive_group()
    source.add_argument("--api-key-stdin", action="store_true", help=t("secrets.opt_stdin"))
    source.add_argument("--api-key-env", metavar="VAR", help=t("secrets.opt_key_env"))
    for action in (get, put, delete):
        action.add_argument(
            "--keyring-timeout",
            type=float,
            default=15.0,
            metavar="SECONDS",
            help=t("secrets.opt_keyring_timeout"),
        )


def run(args: argparse.Namespace) -> int:
    from app.errors import UserError
    from app.profiles import cli_config_path, load_config
    from app.secrets import store_for

    timeout = args.keyring_timeout
    if not 0 < timeout <= 300:
        raise UserError("secrets.bad_timeout")
    path = cli_config_path(args)
    config = load_config(path)
    profile = config.profile(getattr(args, "profile", None))
    store = store_for(profile.api_key, path.parent, keyring_timeout=timeout)
    where = store.location(profile.name)  # type: ignore[attr-defined]
    if args.key_action == "get":
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
        return _set(args, store, profile.name, profile.api_key.env, where)
    return _delete(store, profile.name, profile.api_key.env, where, args.yes)


def _delete(store: object, name: str, env: str, where: str, yes: bool) -> int:
    from app.errors import UserError

    if store.kind == "env":  # type: ignore[attr-defined]
        print(t("secrets.delete_env_store", profile=name, var=env))
        return 0
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError("secrets.delete_needs_yes", profile=name)
        from app.prompts import confirm

        if not confirm(t("secrets.confirm_delete", profile=name, where=where)):
            print(t("secrets.delete_cancelled"))
            return 0
    if store.delete(name):  # type: ignore[attr-defined]
        print(t("secrets.key_deleted", profile=name, where=where))
    else:
        print(t("secrets.key_already_gone", profile=name, where=where))
    return 0


_STDIN_LIMIT = 4002  # more than any key plus paste whitespace; the rest is never read


def _read_new_key(args: argparse.Namespace) -> object:
    """The new key from stdin, a variable, or a no-echo prompt; validated, never echoed."""
    import os

    from app.errors import UserError
    from app.profiles import check_env_name
    from app.secrets import ApiKey

    if args.api_key_env:  # "" falls through to "no key source given"
        # The same rule as configure: PATH, LD_*, PYTHON*, ... never hold a key (S6).
        var = check_env_name(args.api_key_env)
        raw = os.environ.get(var)
        if raw is None or not raw.strip():
            raise UserError("secrets.key_env_unset", var=var)
    elif args.api_key_stdin:
        if sys.stdin is None or sys.stdin.isatty():
            raise UserError("secrets.stdin_is_tty")
        raw = sys.stdin.read(_STDIN_LIMIT)
    elif sys.stdin is not None and sys.stdin.isatty():
        from app.prompts import hidden

        raw = hidden(t("secrets.prompt_key"))
    else:
        raise UserError("secrets.set_needs_source")
    key, notices = ApiKey.parse(raw)
    for notice in notices:
        print(f"modelstudio-setup: {notice.message}", file=sys.stderr)
    return key


def _set(args: argparse.Namespace, store: object, name: str, env: str, where: str) -> int:
    key = _read_new_key(args)
    if store.kind == "env":  # type: ignore[attr-defined]
        print(t("secrets.set_env_store", profile=name, var=env))
        return 0
    store.set(name, key)  # type: ignore[attr-defined]
    print(t("secrets.key_stored", profile=name, where=where, masked=key.masked()))  # type: ignore[attr-defined]
    return 0
