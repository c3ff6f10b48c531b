"""`configure`: create or update a profile from flags, for scripts and CI.

Everything is validated before anything is written, so a typo can never leave a half
configured profile or a stored key without a profile. The key is never an argument: it
would land in the shell history and in `ps` output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path

from app.commands.configure_edit import (
    editing_existing,
    edition_region,
    endpoint_style,
    plan_notices,
    plan_region,
    refuse_if_strict,
    region_missing,
    run_edit,
)
from app.commands.configure_lines import key_line, print_profile
from app.commands.outcome import Outcome
from app.config.io import load_config, modify_config
from app.config.key_scope import legacy_sharers, scoped_account, undo_store
from app.config.key_scope import register as record_use
from app.config.policy import cli_policy
from app.config.policy_rules import allowed_models, applies_notice, refuse, refuse_profile
from app.config.schema import Config, Profile
from app.config.shell import (
    cli_config_path,
    model_notices,
    next_line,
    print_notices,
)
from app.config.validate import make_profile, require_scope_choice
from app.core.api_host import read_workspace_input
from app.core.catalog import Catalog, load_catalog
from app.core.endpoints import STYLE_OF_ACCESS_DOMAIN, STYLES
from app.core.errors import Notice, UserError
from app.core.i18n import t
from app.core.key_env import check_key_env_name
from app.core.names import check_profile_name
from app.core.record import replace
from app.secrets.key import ApiKey
from app.secrets.stores import (
    DEFAULT_ENV_VAR,
    STORE_KINDS,
    FileStore,
    KeyRef,
    KeyringStore,
    KeyStore,
    choose_store,
    store_for,
)

_STDIN_LIMIT = 4002  # more than any key plus paste whitespace; the rest is never read


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    catalog = load_catalog()
    p = sub.add_parser(
        "configure",
        parents=[common],
        help=t("configure.help"),
        description=t("configure.help"),
        allow_abbrev=False,
    )
    # --region is required to create a profile, not to change one (run() says which).
    p.add_argument(
        "--region",
        metavar="REGION",
        type=_any_case(catalog.regions),
        help=t("configure.opt_region", regions=", ".join(catalog.regions)),
    )
    p.add_argument(
        "--scope", metavar="SCOPE", type=_any_case(catalog.scopes), help=t("configure.opt_scope")
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workspace-id", metavar="ID", help=t("configure.opt_workspace_id"))
    where.add_argument("--shared-host", action="store_true", help=t("configure.opt_shared_host"))
    p.add_argument(
        "--access-domain",
        type=_any_case(ACCESS_DOMAINS),
        choices=ACCESS_DOMAINS,
        help=t("configure.opt_access_domain"),
    )
    p.add_argument(
        "--endpoint-style",
        type=_any_case(STYLES),
        choices=STYLES,
        help=t("configure.opt_endpoint_style"),
    )
    p.add_argument(
        "--plan", metavar="PLAN", type=_any_case(catalog.plans), help=t("configure.opt_plan")
    )
    p.add_argument(
        "--plan-region",
        metavar="REGION",
        type=_any_case(catalog.regions),
        help=t("configure.opt_plan_region"),
    )
    p.add_argument(
        "--plan-edition",
        metavar="EDITION",
        type=str.lower,
        choices=sorted({e for plan in catalog.plans.values() for e in plan.editions}),
        help=t("configure.opt_plan_edition"),
    )
    p.add_argument("--model", metavar="MODEL", help=t("configure.opt_model"))
    key = p.add_mutually_exclusive_group()
    key.add_argument("--api-key-stdin", action="store_true", help=t("configure.opt_api_key_stdin"))
    key.add_argument("--api-key-env", metavar="VAR", help=t("configure.opt_api_key_env"))
    p.add_argument("--store", type=str.lower, choices=STORE_KINDS, help=t("configure.opt_store"))
    p.add_argument(
        "--residency",
        metavar="RESIDENCY",
        type=_any_case(catalog.scenarios),
        help=t("configure.opt_residency", residencies=", ".join(catalog.scenarios)),
    )
    p.add_argument("--strict", action="store_true", help=t("configure.opt_strict"))
    p.add_argument("--default", action="store_true", help=t("configure.opt_default"))
    p.add_argument("--json", action="store_true", help=t("cli.opt_json_outcome"))
    p.add_argument("--force", action="store_true", help=t("configure.opt_force"))


ACCESS_DOMAINS = tuple(STYLE_OF_ACCESS_DOMAIN)


def _read_key(args: argparse.Namespace) -> tuple[ApiKey | None, tuple[Notice, ...], str | None]:
    """The key from stdin or a variable (validated), its notices, and the variable named."""
    var = args.api_key_env
    if var is not None:
        check_key_env_name(var)
    if args.api_key_stdin:
        if args.store == "env":
            raise UserError("configure.stdin_with_env_store")
        if sys.stdin is None or sys.stdin.isatty():
            raise UserError("configure.stdin_is_tty")
        key, notices = ApiKey.parse(sys.stdin.read(_STDIN_LIMIT))
        return key, tuple(notices), None
    if var is not None:
        raw = os.environ.get(var)
        if raw is None or not raw.strip():
            if args.store == "env":
                return None, (Notice("configure.env_key_absent", var=var),), var
            raise UserError("configure.env_var_missing", var=var)
        key, notices = ApiKey.parse(raw)
        return key, tuple(notices), var
    if args.store != "env":
        raise UserError("configure.no_key_input")
    return None, (), None


def _existing_plan(path: Path, name: str, catalog: Catalog) -> str | None:
    """The plan of the saved profile `name` (an edit of it may give --plan-region alone)."""
    try:
        profile = load_config(path, catalog).profiles.get(name)
    except UserError:
        return None  # a broken file is reported by the run itself
    return profile.plan if profile is not None else None


def run(args: argparse.Namespace) -> int:
    """`configure`, and under --json one document of the profile as written (docs/json.md)."""
    path = cli_config_path(args)
    name = getattr(args, "profile", None)
    if name is None:
        name = "default"
    check_profile_name(name)  # `--profile ""` is refused, never the default profile (S5)
    as_json = bool(getattr(args, "json", False))
    out = Outcome(as_json, action="configure", profile=name)
    existed = as_json and path.exists() and name in _profiles_in(path)

    def work() -> int:
        code = _run(args, path, name)
        if as_json and code == 0:
            from app.commands.profiles import profile_document  # lazy: --json only

            config = load_config(path)
            out.record(
                result="updated" if existed else "created",
                details=profile_document(config, config.profile(name), path),
            )
        return code

    return out.run(work)


def _profiles_in(path: Path) -> set[str]:
    try:
        return set(load_config(path).profiles)
    except Exception:  # an unreadable config: configure itself says why
        return set()


def _run(args: argparse.Namespace, path: Path, name: str) -> int:
    catalog = load_catalog()
    policy = cli_policy(args, catalog)  # the team policy: a file that cannot be used is exit 2
    if policy is not None:
        print_notices([applies_notice(policy)])
    args.region = plan_region(args, catalog, _existing_plan(path, name, catalog))
    if args.workspace_id is not None:
        # An ID or the console's API Host as pasted: the host's region, when no region is
        # chosen, is the profile's; a host of another region than --region is refused.
        pasted = read_workspace_input(args.workspace_id, args.region, catalog)
        if pasted.region is not None:  # a bare ID stays as typed: its normalising is said
            args.workspace_id = pasted.workspace.value
            args.region = args.region or pasted.region
            print_notices(n for n in pasted.workspace.notices if n.key == "endpoints.ws_from_host")
    if editing_existing(args, path, name, catalog):
        return run_edit(args, path, name, catalog, policy)
    if policy is not None:  # what the policy pins is the default of a new profile
        args.residency = args.residency or policy.pinned("residency")
        args.store = args.store or policy.pinned("key_store")
    if args.region is None:
        args.region = edition_region(args, catalog)
    if args.region is None:
        raise region_missing(args, path, name, catalog)

    # 1. Validate every input; nothing below this block may be skipped by a bad one.
    key, key_notices, var = _read_key(args)
    env_var = var or DEFAULT_ENV_VAR
    notices = list(key_notices)
    if args.store == "env" and key is None and var is None:
        raw = os.environ.get(env_var)
        if raw and raw.strip():
            key, more = ApiKey.parse(raw)
            notices.extend(more)
        else:
            notices.append(Notice("configure.env_key_absent", var=env_var))
    profile, profile_notices = make_profile(
        name,
        region=args.region,
        scope=args.scope,
        endpoint_style=endpoint_style(args),
        workspace_id=args.workspace_id,
        model=args.model,
        residency=args.residency,
        catalog=catalog,
        plan=args.plan,
        plan_edition=args.plan_edition,
        default_models=partial(allowed_models, policy) if policy is not None else None,
    )
    notices = list(profile_notices) + notices + plan_notices(profile, key, catalog)
    require_scope_choice(args.region, args.scope, args.residency, catalog)
    notices.extend(model_notices(profile, path, catalog))
    refuse_if_strict(args, notices)
    refuse_profile(policy, profile, store=False)  # exit 2 naming the rule, nothing written

    # 2. Pick the store, failing closed (exit 3) before anything is written.
    if args.store is not None:  # a store given is refused before it is probed
        refuse(policy, "key_store", args.store)
    choice = choose_store(args.store, config_dir=path.parent, env_var=env_var)
    refuse(policy, "key_store", choice.ref.store)
    profile = replace(profile, api_key=choice.ref)
    store = choice.store
    current, previous = _current(path, name, catalog)
    if isinstance(store, KeyringStore):
        # The entry is scoped to this config file (T21); a copy of this file elsewhere that
        # still names the same entry keeps its key: this profile gets its own.
        account, shared = scoped_account(path, name, current)
        if shared is not None:
            notices.append(shared)
        store.account = account
        profile = replace(profile, api_key=replace(choice.ref, account=account))

    # 3. Write. Keyring: the new entry first (an interrupted run leaves at worst an unused
    # entry inside the keyring), then the config, undoing the entry if the config write
    # fails. File, new profile: the config first, then the key file, so an interrupted run
    # never leaves a plain-text key that no config mentions (T19); a failed key write
    # restores the config. File, existing profile: the key file first (below). The old
    # entry or file goes last, once nothing can fail any more.
    stored: dict[str, ApiKey | None] = {"old": None}
    done = False
    # A key file goes first too when the profile already exists: its config then names a
    # store that holds its key at every instant (the old store until the config is in
    # place, the file after), and the old key is removed only after that (T19). A NEW
    # profile's key file still comes after its config (no plain-text key no config names).
    file_first = store.kind == "file" and previous is not None

    def store_key(_new: Config) -> None:
        nonlocal done
        if key is None or (store.kind != "keyring" and not file_first):
            return
        try:
            stored["old"] = store.get(name)
        except Exception:  # an unreadable old key is simply not restored
            stored["old"] = None
        store.set(name, key)
        done = True

    force = getattr(args, "force", False)
    try:
        config, result = modify_config(
            path,
            lambda c: c.with_profile(profile, make_default=args.default),
            replacing=name,
            catalog=catalog,
            before_write=store_key,
            force=force,
        )
    except BaseException:
        # Put the entry back as it was; if that fails, "nothing was changed" is untrue.
        if done and not undo_store(store, name, stored["old"]):
            print(t("secrets.rollback_failed", where=store.location(name)), file=sys.stderr)
        raise
    if key is not None and store.kind == "file" and not file_first:
        _store_file_key(store, name, key, path, previous, catalog, force)
    if store.kind == "keyring":
        record_use(profile.api_key.account, path)

    # 4. Tell the user what happened, with normalised values and where the key lives.
    print_notices(notices)
    print_notices(result.notices)
    out = sys.stdout
    saved = "configure.saved_default" if config.default_profile == name else "configure.saved"
    print(t(saved, profile=name, path=str(result.path)), file=out)
    print_profile(profile, catalog)
    print(key_line(store, name, key, profile.api_key), file=out)
    _clean_previous_store(
        previous.api_key if previous is not None else None, profile.api_key, name, path, key
    )
    print(next_line(path, name, config.default_profile), file=out)
    return 0


def _current(path: Path, name: str, catalog: Catalog) -> tuple[Config, Profile | None]:
    """The config as it is (empty when unreadable: it is being repaired) and the profile
    this run replaces (None: new, or no longer loadable)."""
    try:
        current = load_config(path, catalog)
    except Exception:  # a broken config is being repaired: nothing to clean up
        return Config(), None
    return current, current.profiles.get(name)


def _store_file_key(
    store: KeyStore,
    name: str,
    key: ApiKey,
    path: Path,
    previous: Profile | None,
    catalog: Catalog,
    force: bool,
) -> None:
    """Write the key file after the config; if that fails, put the config back as it was."""
    try:
        store.set(name, key)
    except BaseException:

        def restore(c: Config) -> Config:
            if previous is None:
                return c.without_profile(name)
            return c.with_profile(previous)

        with contextlib.suppress(Exception):
            modify_config(path, restore, replacing=name, catalog=catalog, force=force)
        raise


def _clean_previous_store(
    previous: KeyRef | None, new: KeyRef, name: str, path: Path, key: ApiKey | None
) -> None:
    """A key left in the store the profile no longer uses would be an orphan nobody
    mentions again, possibly in plain text (QA B33): remove it once the new one is saved,
    or say exactly where it remains.

    An earlier version's keyring entry (user = profile name) may also be the key of another
    config file with the same profile name (T21): it is removed only when it holds the key
    just stored, so nobody's key is lost; otherwise it is named and kept.
    """
    if previous is None or previous.store == "env":
        return
    same_store = previous.store == new.store
    if same_store and (previous.store != "keyring" or previous.account == new.account):
        return
    if same_store and previous.account is not None:
        return  # a shared entry was split off: it belongs to the other file too
    old_store = store_for(previous, path.parent)
    where = old_store.location(name)
    if isinstance(old_store, FileStore):
        command = f"rm {shlex.quote(str(old_store.path_for(name)))}"
    else:
        # lazy: only for this rare "entry kept" message
        from app.config.next_steps import delete_entry_command

        command = delete_entry_command(
            old_store.user(name) if isinstance(old_store, KeyringStore) else name, path
        )
    kept = t("configure.old_key_kept", where=where, command=command)
    if key is None:  # the new store holds nothing yet: removing the old copy loses the key
        print(kept, file=sys.stderr)
        return
    try:
        if old_store.kind == "keyring":
            # Another key, or another config file still reading this entry (T21): keep it.
            stays = old_store.get(name) not in (None, key)
            if stays or legacy_sharers(path, name):
                print(kept, file=sys.stderr)
                return
        removed = old_store.delete(name)
    except Exception:  # a locked keyring, a permission problem: say where the key stays
        print(kept, file=sys.stderr)
        return
    if removed:
        print(t("configure.old_key_removed", where=where), file=sys.stderr)


def _any_case(known: Collection[str]) -> Callable[[str], str]:
    """Ids of regions, scopes, residencies, stores and styles are lower-case: `EU` means
    `eu` (QA E28). Anything else is passed on as typed, for the message that refuses it."""

    def convert(value: str) -> str:
        return value.lower() if value.lower() in known else value

    convert.__name__ = "value"  # argparse names the type in its error messages
    convert.completions = sorted(known)  # type: ignore[attr-defined]  # app.core.completion
    return convert
