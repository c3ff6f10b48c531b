"""`export`: the profile as .env, shell exports, SDK snippets or tool settings.

The key is referenced, not copied, unless `--include-key` is given; then the file is 0600
and a warning is printed (SECURITY.md T10). Files are written atomically like the config,
through app.export.write.write_export: .env / settings.json are merged, a file this tool did not
write is replaced only with --force, a symlink out of its directory is refused (QA B37).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.i18n import t

if TYPE_CHECKING:
    from app.commands.outcome import Outcome
    from app.config.schema import Profile
    from app.core.catalog import Catalog
    from app.secrets.key import ApiKey
    from app.secrets.stores import KeyStore


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    # lazy: --help imports every command; this waits until the command runs
    from app.export.formats import FORMATS

    p = sub.add_parser(
        "export",
        parents=[common],
        help=t("exporters.help_export"),
        description=t("exporters.help_export"),
        allow_abbrev=False,
    )
    p.add_argument(
        "--format",
        required=True,
        choices=list(FORMATS),
        metavar="FORMAT",
        help=t("exporters.opt_format", formats=", ".join(FORMATS)),
    )
    p.add_argument("--output", "-o", metavar="PATH", help=t("exporters.opt_output"))
    p.add_argument("--include-key", action="store_true", help=t("exporters.opt_include_key"))
    p.add_argument("--force", action="store_true", help=t("exporters.opt_force"))
    p.add_argument("--for-ci", action="store_true", help=t("exporters.opt_for_ci"))
    p.add_argument(
        "--for", dest="dotenv_for", choices=("python", "node"), help=t("exporters.opt_for")
    )
    p.add_argument(
        "--skip-onboarding", action="store_true", help=t("exporters.opt_skip_onboarding")
    )
    p.add_argument("--json", action="store_true", help=t("cli.opt_json_outcome"))


def key_set_command(profile: Profile, path: Path, default_profile: str | None) -> str:
    """`key set` for this very profile and config, spelt the way it runs from the user's
    shell: the remedy of a missing or unusable stored key (D19, D26)."""
    # lazy: --help imports every command; this waits until the command runs
    from app.config.shell import cli_address

    # lazy: --help imports every command; this waits until the command runs
    from app.core import invocation

    return invocation.command("key", "set", *cli_address(path, profile.name, default_profile))


def read_key(
    profile: Profile, path: Path, default_profile: str | None, store: KeyStore | None = None
) -> ApiKey | None:
    """The profile's key from its store; None when it is not there (a broken store raises).

    A stored key that is unusable names the exact `key set` command to store it again.
    """
    # lazy: --help imports every command; this waits until the command runs
    from app.config.key_scope import note_use

    # lazy: --help imports every command; this waits until the command runs
    from app.secrets.key import KeyStoreError

    # lazy: --help imports every command; this waits until the command runs
    from app.secrets.stores import store_for

    store = store or store_for(profile.api_key, path.parent)
    note_use(profile, path)  # this file uses the entry: a copy's delete must know (T21)
    try:
        return store.get(profile.name)
    except KeyStoreError as exc:
        if exc.next_step != "secrets.next_store_again":
            raise
        command = key_set_command(profile, path, default_profile)
        params = {**exc.params, "command": command}
        raise KeyStoreError(
            exc.reason, "secrets.next_store_again_command", also=exc.also, **params
        ) from None


def key_missing_message(profile: Profile, path: Path, default_profile: str | None) -> str:
    """The advice of `key get`, `env` and `export --include-key` alike (QA B19): set the
    variable, or run `key set` for this very profile and config."""
    # lazy: --help imports every command; this waits until the command runs
    from app.secrets.stores import store_for

    if profile.api_key.store == "env":
        return t("secrets.key_missing_env", profile=profile.name, var=profile.api_key.env)
    store = store_for(profile.api_key, path.parent)
    where = store.location(profile.name) if hasattr(store, "location") else store.describe()
    command = key_set_command(profile, path, default_profile)
    return t("secrets.key_missing", profile=profile.name, where=where, command=command)


def config_ref(path: Path) -> str | None:
    """The --config value a `key get` reference needs; None at the default location.

    A path that came from $MODELSTUDIO_SETUP_CONFIG is still written out: the export may be
    used where that variable is not set (another shell, an IDE, a CI job).
    """
    # lazy: --help imports every command; this waits until the command runs
    from app.config.io import is_default_location

    return None if is_default_location(path) else str(path)


def _mark_onboarded() -> None:
    """`--skip-onboarding`: Claude Code's state file gets hasCompletedOnboarding."""
    # lazy: --help imports every command; this waits until the command runs
    from app.export.destination import claude_state_file
    from app.export.write import mark_onboarded

    result = mark_onboarded(claude_state_file())
    print(t("exporters.skip_onboarding_done", path=str(result.path)), file=sys.stderr)


def run(args: argparse.Namespace, *, catalog: Catalog | None = None) -> int:
    """`catalog`: the packaged one unless given (a test's small catalog, passed in). Under
    --json one document says what was written (or holds the text, without --output)."""
    # lazy: --help imports every command; this waits until the command runs
    from app.commands.outcome import Outcome

    out = Outcome(bool(getattr(args, "json", False)), action="export", format=args.format)
    return out.run(lambda: _run(args, catalog, out))


def _run(args: argparse.Namespace, catalog: Catalog | None, out: Outcome) -> int:
    # lazy: --help imports every command; this waits until the command runs
    from app.config.io import load_config
    from app.config.policy import cli_policy
    from app.config.policy_rules import applies_notice, refuse
    from app.config.shell import cli_config_path, print_notices

    # lazy: --help imports every command; this waits until the command runs
    from app.export.destination import destination_notices, destination_options

    # lazy: --help imports every command; this waits until the command runs
    from app.export.formats import FORMATS, export

    # The team policy: named on stderr whenever one applies (as by configure and
    # recommend), and a target it does not allow is exit 2, before anything is read.
    policy = cli_policy(args)
    if policy is not None:
        print_notices([applies_notice(policy)])
    refuse(policy, "exports", args.format, "policy.export_not_allowed")
    path = cli_config_path(args)
    config = load_config(path)
    profile = config.profile(getattr(args, "profile", None))
    fmt = args.format
    out.record(profile=profile.name, includes_key=bool(args.include_key), written=False)
    key = None
    for_ci = getattr(args, "for_ci", False)
    skip_onboarding = getattr(args, "skip_onboarding", False)
    if skip_onboarding and fmt != "claude-code":
        # lazy: --help imports every command; this waits until the command runs
        from app.export.rules import ExportError

        raise ExportError("exporters.skip_onboarding_only_claude")
    output = Path(args.output) if args.output else None
    options = destination_options(fmt, output, getattr(args, "dotenv_for", None))
    if for_ci:
        # lazy: --help imports every command; this waits until the command runs
        from app.export.rules import ci_ready

        profile = ci_ready(profile, args.include_key)  # refused before any key is read
    if args.include_key:
        # lazy: --help imports every command; this waits until the command runs
        from app.export.rules import ExportError

        if not FORMATS[fmt].can_hold_key:
            raise ExportError("exporters.cannot_hold_key", fmt=fmt)
        if options.committed:  # refused before the key is read
            raise ExportError("exporters.committed_no_key", fmt=fmt)
        key = read_key(profile, path, config.default_profile)
        if key is None:
            message = key_missing_message(profile, path, config.default_profile)
            print(f"modelstudio-setup: {message}", file=sys.stderr)
            return 1
    text = export(
        profile,
        fmt,
        key,
        args.include_key,
        config=config_ref(path),
        catalog=catalog,
        for_ci=for_ci,
        form=options.form,
        committed=options.committed,
    )
    # lazy: --help imports every command; this waits until the command runs
    from app.core.invocation import install_hint

    # lazy: --help imports every command; this waits until the command runs
    from app.export.formats import references_key_command
    from app.export.rules import anthropic_model_notice, ci_notices, plan_usage_notice

    # lazy: --help imports every command; this waits until the command runs
    from app.export.write import write_export

    uses_key_get = references_key_command(profile, fmt, args.include_key, for_ci)
    hint = install_hint() if uses_key_get else None
    if hint:
        # The file runs the bare name later, from wherever it is used (D26).
        print(t("exporters.command_not_on_path", hint=hint), file=sys.stderr)
    notices = [anthropic_model_notice(profile, fmt, catalog), plan_usage_notice(profile, fmt)]
    notices += destination_notices(
        profile,
        fmt,
        options,
        output=output,
        config=config_ref(path),
        include_key=args.include_key,
        for_ci=for_ci,
        catalog=catalog,
    )
    for notice in notices + (ci_notices(profile, fmt) if for_ci else []):
        if notice:
            print(notice, file=sys.stderr)
    if not args.output:
        if out.as_json:  # stdout is the document's: the text goes in it
            out.record(content=text)
        else:
            sys.stdout.write(text)
        if skip_onboarding:
            _mark_onboarded()
        if args.include_key:
            print(t("exporters.include_key_warning"), file=sys.stderr)
        return 0
    done = write_export(
        args.output,
        fmt,
        text,
        profile=profile,
        include_key=args.include_key,
        force=getattr(args, "force", False),
        config_path=path,
    )
    result = done.result
    out.record(
        written=True,
        path=str(result.path),
        mode=f"{result.mode:04o}",
        merged=bool(done.merged or done.dotenv is not None),
        replaced=bool(result.replaced or done.forced),
        backup=str(result.backup) if result.backup is not None else None,
        overridden=list(done.overridden or ()),
    )
    print_notices(result.notices)
    written = "exporters.written_with_key" if args.include_key else "exporters.written"
    print(
        t(written, fmt=fmt, profile=profile.name, path=str(result.path), mode=f"{result.mode:04o}"),
        file=sys.stderr,
    )
    if done.dotenv is not None:
        # Every line the merge took out, whatever the reason (each said below): the summary
        # line and the document name them all, so "every other line was kept" holds.
        removed = [
            *done.dotenv.removed,
            *done.dotenv.references_removed,
            *done.dotenv.key_removed,
        ]
        none = t("exporters.none")
        print(
            t(
                "exporters.dotenv_merged",
                path=str(result.path),
                updated=", ".join(done.dotenv.updated) or none,
                added=", ".join(done.dotenv.added) or none,
                removed=", ".join(removed) or none,
            ),
            file=sys.stderr,
        )
        if done.dotenv.removed:
            print(
                t("exporters.dotenv_removed", names=", ".join(done.dotenv.removed)),
                file=sys.stderr,
            )
        if done.dotenv.references_removed:
            names = ", ".join(done.dotenv.references_removed)
            print(t("exporters.dotenv_references_removed", names=names), file=sys.stderr)
        if done.dotenv.key_removed:
            print(
                t("exporters.dotenv_key_removed", names=", ".join(done.dotenv.key_removed)),
                file=sys.stderr,
            )
        # Names only: the value of a removed key line is in no document.
        out.record(
            dotenv={
                "updated": list(done.dotenv.updated),
                "added": list(done.dotenv.added),
                "removed": removed,
            }
        )
        if done.dotenv.holds_key and not args.include_key:
            print(t("exporters.dotenv_still_holds_key", path=str(result.path)), file=sys.stderr)
    elif done.merged and done.overridden:
        print(
            t(
                "exporters.merged_overridden",
                path=str(result.path),
                items=", ".join(done.overridden),
                backup=str(result.backup),
            ),
            file=sys.stderr,
        )
    elif done.merged:
        print(t("exporters.merged", path=str(result.path)), file=sys.stderr)
    elif done.forced and result.backup is not None:
        print(
            t("exporters.forced_replaced_backup", path=str(result.path), backup=str(result.backup)),
            file=sys.stderr,
        )
    elif done.forced:
        print(t("exporters.forced_replaced", path=str(result.path)), file=sys.stderr)
    elif result.replaced:
        # No backup on purpose: the old version may hold the key (QA B16).
        print(t("exporters.replaced", path=str(result.path)), file=sys.stderr)
    if skip_onboarding:  # only once the settings are written: a refusal changes nothing
        _mark_onboarded()
    if args.include_key:
        print(t("exporters.include_key_warning"), file=sys.stderr)
    return 0
