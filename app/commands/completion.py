"""`completion bash|zsh|fish|powershell`: print a completion script for that shell.

The script is generated from the very parser that runs the commands (app.core.completion),
so it cannot drift from the options; building every command's parser costs only this
command, never the others (app.cli builds a command's parser when it runs).
"""

from __future__ import annotations

import argparse
import sys

from app.core.completion import SHELLS
from app.core.i18n import later


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "completion",
        parents=[common],
        help=later("cli.help_completion"),
        description=later("cli.description_completion"),
    )
    p.add_argument("shell", choices=SHELLS, help=later("cli.opt_completion_shell"))


def run(args: argparse.Namespace) -> int:
    # lazy: the generator, only for this command
    from app.core.completion import script

    # app.cli hands over the parser that parsed this command line (the whole tree is
    # walked, every command's parser built, only here).
    sys.stdout.write(script(args.shell, args.top_parser))
    return 0
