"""`profiles list | show NAME | delete NAME`: what is configured and where each key lives.

`show` always says where the key is, and says "PLAIN TEXT" for a file store every time
(SECURITY.md T6), so a user who opted into a file is reminded of it.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path
from typing import Any

from app.commands.outcome import Outcome
from app.commands.prompts import confirm
from app.config.io import load_config, modify_config
from app.config.key_scope import legacy_sharers, other_users
from app.config.key_status import key_location, key_status
from app.config.next_steps import delete_entry_command
from app.config.schema import Config, Profile
from app.config.shell import cli_config_path, plan_label, print_notices
from app.core.catalog import load_catalog
from app.core.endpoints import ACCESS_DOMAIN_OF_STYLE
from app.core.errors import UserError
from app.core.i18n import t
from app.core.json_out import dumps
from app.core.names import check_profile_name
from app.secrets.stores import FileStore, KeyringStore, store_for


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "profiles", parents=[common], help=t("profiles.help"), description=t("profiles.help")
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("list", parents=[common], help=t("profiles.help_list"))
    ls.add_argument("--json", action="store_true", help=t("profiles.opt_json"))
    show = actions.add_parser("show", parents=[common], help=t("profiles.help_show"))
    show.add_argument("name", nargs="?", metavar="NAME", help=t("profiles.opt_name"))
    show.add_argument("--json", action="store_true", help=t("profiles.opt_json"))
    delete = actions.add_parser("delete", parents=[common], help=t("profiles.help_delete"))
    delete.add_argument("name", nargs="?", metavar="NAME", help=t("profiles.opt_name"))
    delete.add_argument("--yes", action="store_true", help=t("profiles.opt_yes"))
    delete.add_argument("--keep-key", action="store_true", help=t("profiles.opt_keep_key"))
    delete.add_argument("--force", action="store_true", help=t("profiles.opt_force"))
    delete.add_argument("--json", action="store_true", help=t("cli.opt_json_outcome"))


def run(args: argparse.Namespace) -> int:
    path = cli_config_path(args)
    config = load_config(path)
    if args.action == "list":
        return _list(config, path, args.json)
    name = getattr(args, "name", None)
    if name is None:
        name = getattr(args, "profile", None)
    if name is not None:
        check_profile_name(name)
    profile = config.profile(name)
    if args.action == "show":
        return _show(config, profile, path, args.json)
    was_default = config.default_profile == profile.name
    out = Outcome(args.json, action="profiles_delete", profile=profile.name)
    return out.run(
        lambda: _delete(profile, path, args.yes, was_default, args.keep_key, args.force, out)
    )


def _domain_label(profile: Profile) -> str:
    """The access domain as the user knows it (the file's field is `endpoint_style`)."""
    if profile.plan is not None:
        plan = plan_label(profile, load_catalog())
        return t("profiles.style_plan", plan=plan, region=profile.region)
    return t(f"profiles.style_{profile.endpoint_style}")  # workspace | shared | trial


def _verified(profile: Profile) -> str:
    if profile.verified is None:
        return t("profiles.verified_never")
    verdict = t(f"doctor.verdict_word_{profile.verified.verdict}")  # ok|warn|fail, validated
    return t("profiles.verified_at", verdict=verdict, at=profile.verified.at)


def _list(config: Config, path: Path, as_json: bool) -> int:
    if as_json:
        doc = {
            "config": str(path),
            "default_profile": config.default_profile,
            "profiles": [
                {
                    "name": p.name,
                    "default": p.name == config.default_profile,
                    "region": p.region,
                    "scope": p.scope,
                    "endpoint_style": p.endpoint_style,
                    "access_domain": ACCESS_DOMAIN_OF_STYLE.get(p.endpoint_style, "plan"),
                    "plan": p.plan,
                    "plan_edition": p.plan_edition,
                    "workspace_id": p.workspace_id,
                    "model": p.model,
                    "key_store": p.api_key.store,
                    "verified": _verified_json(p),
                }
                for p in config.profiles.values()
            ],
        }
        print(dumps(doc))
        return 0
    if not config.profiles:
        print(t("profiles.none_yet", path=str(path)))
        return 0
    print(t("profiles.list_header", path=str(path)))
    width = max(len(n) for n in config.profiles)
    wheres = {name: p.workspace_id or _domain_label(p) for name, p in config.profiles.items()}
    # As wide as the longest (a "Token Plan Personal host (ap-southeast-1)" included).
    where_width = max(22, *(_width(w) for w in wheres.values()))
    for p in config.profiles.values():
        mark = "*" if p.name == config.default_profile else " "
        where = wheres[p.name]
        print(
            f" {mark} {p.name:<{width}}  {p.region:<15} {p.scope:<13} {_pad(where, where_width)} "
            f"{p.model:<16} {p.api_key.store:<8} {_verified(p)}"
        )
    return 0


def _verified_json(profile: Profile) -> dict[str, str] | None:
    v = profile.verified
    return {"at": v.at, "verdict": v.verdict} if v else None


def profile_document(config: Config, profile: Profile, path: Path) -> dict[str, Any]:
    """A profile as `profiles show --json` prints it (and `configure --json` reports it)."""
    doc: dict[str, Any] = {"name": profile.name, "default": profile.name == config.default_profile}
    doc.update(profile.to_dict())
    doc["plan_edition"] = profile.plan_edition  # in the file only when said; here always
    doc["access_domain"] = ACCESS_DOMAIN_OF_STYLE.get(profile.endpoint_style, "plan")
    doc["verified"] = _verified_json(profile)
    doc["api_key"] = key_status(profile, path).to_json()
    doc["config"] = str(path)
    return doc


def _show(config: Config, profile: Profile, path: Path, as_json: bool) -> int:
    if as_json:
        print(dumps(profile_document(config, profile, path)))
        return 0
    key = key_status(profile, path).to_json()
    default = f" {t('profiles.default_marker')}" if profile.name == config.default_profile else ""
    print(f"{profile.name}{default}  ({path})")
    rows = [
        ("field_region", profile.region),
        ("field_scope", profile.scope),
        ("field_endpoint", _domain_label(profile)),
    ]
    if profile.workspace_id:
        rows.append(("field_workspace", profile.workspace_id))
    rows.append(("field_model", profile.model))
    if profile.residency:
        rows.append(("field_residency", profile.residency))
    rows.append(("field_key", _key_line(key)))
    rows.append(("field_verified", _verified(profile)))
    labels = {k: t(f"profiles.{k}") for k, _ in rows}
    width = max(_width(v) for v in labels.values())
    for k, value in rows:
        print(f"  {_pad(labels[k], width)}  {value}")
    print(f"  {t('profiles.field_base_urls')}:")
    for surface, url in profile.base_urls.items():
        print(f"    {surface:<10} {url}")
    return 0


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two, so Chinese labels still line up."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _key_line(key: dict[str, Any]) -> str:
    if key["error"]:  # "could not be read from <the file or store>", not "from stored in …"
        place = key["path"] if key["plain_text"] else key["location"]
        return t("profiles.key_unreadable", where=place, reason=key["error"])
    where = t("profiles.key_plain_text", path=key["path"]) if key["plain_text"] else key["location"]
    if key["present"]:
        return t("profiles.key_found", masked=key["masked"], where=where)
    return t("profiles.key_not_found", where=where)


def _delete(
    profile: Profile,
    path: Path,
    yes: bool,
    was_default: bool,
    keep_key: bool = False,
    force: bool = False,
    out: Outcome | None = None,
) -> int:
    """Delete the profile, then its key: the config write is the step that can fail (read-
    only folder, full disk), so it goes first and a failure leaves both whole (T19). A key
    that a copy of this config also uses stays (T21)."""

    out = out or Outcome(False)
    store = store_for(profile.api_key, path.parent)
    where = key_location(profile, store)
    out.record(deleted=False, store=profile.api_key.store, key_where=where, key="kept")
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError("profiles.delete_needs_yes")
        question = t("profiles.confirm_delete", name=profile.name, path=str(path), where=where)
        if not confirm(question):
            print(t("profiles.delete_cancelled"))
            out.record(result="cancelled")
            return 0
    shared = None
    if profile.api_key.store == "keyring":  # the same entry may be another file's key (T21)
        account = profile.api_key.account
        sharers = other_users(account, path) if account else legacy_sharers(path, profile.name)
        shared = ", ".join(str(p) for p in sharers) or None
    touch_key = not keep_key and shared is None and profile.api_key.store != "env"
    if touch_key:
        # Can the store be reached at all? If not (locked keyring), nothing is changed and
        # the error names --keep-key for a user whose keyring is the reason to start over.
        try:
            store.get(profile.name)
        except UserError as exc:
            print(t("profiles.delete_key_failed_hint"), file=sys.stderr)
            raise exc from None
    config, result = modify_config(path, lambda c: c.without_profile(profile.name), force=force)
    print_notices(result.notices)
    print(t("profiles.deleted", name=profile.name, path=str(result.path)))
    out.record(result="deleted", deleted=True, config=str(result.path))
    rc = 0
    user = store.user(profile.name) if isinstance(store, KeyringStore) else profile.name
    if profile.api_key.store == "env":
        print(t("profiles.key_left_in_env", env=profile.api_key.env))
        out.record(key="left_in_variable")
    elif shared is not None:
        print(t("profiles.key_kept_shared", where=where, other=str(shared)))
        out.record(key="kept_shared", shared_with=str(shared))
    elif keep_key:
        command = delete_entry_command(user, path)
        print(t("profiles.key_kept_on_request", where=where, command=command))
        out.record(key="kept_on_request")
    else:
        try:
            removed_key = store.delete(profile.name)
        except UserError as exc:
            # The profile is gone (that write succeeded); say exactly where the key stays.
            print(
                t("profiles.key_delete_failed_after", where=where, reason=exc.message),
                file=sys.stderr,
            )
            removed_key, rc = None, 1
            out.record(key="delete_failed")
        if removed_key:
            print(t("profiles.deleted_key", where=where))
            out.record(key="deleted")
        elif removed_key is not None:
            print(t("profiles.key_already_gone", where=where))
            out.record(key="already_gone")
    _remove_leftover_key_file(profile, path)
    out.record(default_profile=config.default_profile)
    if was_default and config.default_profile:
        print(t("profiles.new_default", name=config.default_profile))
    return rc


def _remove_leftover_key_file(profile: Profile, path: Path) -> None:
    """A plain-text key file of this profile from an earlier `--store file` goes too (B33):
    after the profile is deleted nothing would ever mention it again."""
    if profile.api_key.store == "file":
        return
    store = FileStore(path.parent)
    if not store.path_for(profile.name).exists():
        return
    where = store.location(profile.name)
    try:
        removed = store.delete(profile.name)
    except Exception:
        removed = False
    if removed:
        print(t("profiles.leftover_key_removed", where=where))
    else:
        print(t("profiles.leftover_key_kept", where=where), file=sys.stderr)
