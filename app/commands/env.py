"""`env`: export lines WITH the key, for `eval "$(modelstudio-setup env)"`.

Running this command is the explicit request for the key, so it is read from its store
and printed; everything else in the tool only ever references it.
"""

from __future__ import annotations

import argparse
import sys

from app.core.i18n import later


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    # lazy: --help imports every command; this waits until the command runs
    from app.export.formats import SHELLS

    p = sub.add_parser(
        "env",
        parents=[common],
        help=later("exporters.help_env"),
        description=later("exporters.help_env"),
        allow_abbrev=False,
    )
    p.add_argument("--shell", choices=SHELLS, default="sh", help=later("exporters.opt_shell"))


def run(args: argparse.Namespace) -> int:
    # lazy: --help imports every command; this waits until the command runs
    from app.commands.export import config_ref, key_missing_message, read_key
    from app.config.io import load_config

    # lazy: --help imports every command; this waits until the command runs
    from app.config.shell import cli_config_path

    # lazy: --help imports every command; this waits until the command runs
    from app.export.formats import export

    path = cli_config_path(args)
    config = load_config(path)
    profile = config.profile(getattr(args, "profile", None))
    key = read_key(profile, path, config.default_profile)
    if key is None:
        message = key_missing_message(profile, path, config.default_profile)
        print(f"modelstudio-setup: {message}", file=sys.stderr)
        return 1
    sys.stdout.write(export(profile, args.shell, key, True, config=config_ref(path)))
    return 0
