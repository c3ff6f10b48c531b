"""The command-line parser's machinery: help texts from the locales, looked up only when
shown; argparse's own messages translated and never echoing a secret; the command table
whose parsers are built on demand (a command's module is imported only when it runs, so
`env` and `key get`, run from shell rc files, pay for nothing else). app.cli assembles the
parser from these and runs it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from app.core.errors import EXIT_USAGE
from app.core.i18n import LANGUAGES, later, shown, t
from app.core.text import inert, looks_like_key

_UNESCAPED_PERCENT = re.compile(r"%(?![(%])")
_QUOTED = re.compile(r"'([^'\s]*)'")


def looks_secret(value: str) -> bool:
    """A stray value that may be a pasted API key is never echoed back: a key shape (the one
    detector, app.core.text), or any long value (another provider's token)."""
    return looks_like_key(value) or len(value) >= 24


class _HelpFormatter(argparse.HelpFormatter):
    """Help texts come from the locales, looked up only now (app.core.i18n.Later: a command
    that prints no help reads no locale file for it), and may contain a literal '%'
    (printf '%s')."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse makes a formatter for every add_argument; its own default width imports
        # shutil (with bz2, lzma and zlib: ~2 ms of `env`'s budget) to ask the same thing.
        width = _terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = shown(action.help)
        return _UNESCAPED_PERCENT.sub("%%", text) if text else text

    def start_section(self, heading: str | None) -> None:
        super().start_section(shown(heading))

    def add_text(self, text: str | None) -> None:
        super().add_text(shown(text))


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS when a positive number, else the width of
    the terminal on standard output, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns


class _RawHelpFormatter(_HelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with our message, never printing a value that may be secret."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        formatter = kwargs.get("formatter_class")
        if formatter is None or formatter is argparse.HelpFormatter:
            kwargs["formatter_class"] = _HelpFormatter
        elif formatter is argparse.RawDescriptionHelpFormatter:
            kwargs["formatter_class"] = _RawHelpFormatter
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def parse_args(  # type: ignore[override]  # one signature for argparse's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            # A stray word may be an API key pasted as an argument: count, never echo.
            self.error(t("cli.argparse_unrecognized", count=len(extras)))
        return parsed

    def error(self, message: str) -> None:  # type: ignore[override]
        # Python 3.10's ArgumentError.__str__ formats "argument X: ..." without gettext
        # (3.11+ asks `_` for it): the same translated frame for every version.
        plain = _UNTRANSLATED_ARGUMENT.match(message)
        if plain is not None:
            message = t("cli.argparse_argument") % {
                "argument_name": plain.group(1),
                "message": plain.group(2),
            }
        message = _QUOTED.sub(
            lambda m: "'<hidden>'" if looks_secret(m.group(1)) else m.group(0), message
        )
        # argparse quotes some values with %r, others raw (`ambiguous option: --co=…`): an
        # escape sequence typed on the command line must not act on the terminal.
        message = inert(message, keep_newlines=True)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, t("cli.argparse_error", prog=self.prog, message=message) + "\n")


_UNTRANSLATED_ARGUMENT = re.compile(r"argument (\S+): (.*)", re.DOTALL)


# argparse's own texts by their gettext message id (Python 3.10 to 3.13), so that usage,
# help headings and errors read in the chosen language like the rest (E27). argparse looks
# up its module-level `_` / `ngettext` each time it speaks: those are what is installed.
_ARGPARSE_TEXTS = {
    "usage: ": "argparse_usage",
    "positional arguments": "argparse_positionals",
    "options": "argparse_options",
    "show this help message and exit": "argparse_help",
    "argument %(argument_name)s: %(message)s": "argparse_argument",
    "the following arguments are required: %s": "argparse_required",
    "one of the arguments %s is required": "argparse_one_required",
    "not allowed with argument %s": "argparse_not_allowed",
    "ignored explicit argument %r": "argparse_ignored_explicit",
    "expected one argument": "argparse_expected_one",
    "expected at most one argument": "argparse_expected_at_most_one",
    "expected at least one argument": "argparse_expected_at_least_one",
    "expected %s argument": "argparse_expected_n",
    "expected %s arguments": "argparse_expected_n",
    "ambiguous option: %(option)s could match %(matches)s": "argparse_ambiguous",
    "invalid %(type)s value: %(value)r": "argparse_invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse_invalid_choice",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse_unknown_parser",
}


# What argparse names while a parser is built (group titles, the -h help): shown only by
# --help, so looked up only then (Later); everything else it says is shown at once.
_WHILE_BUILDING = ("positional arguments", "options", "show this help message and exit")


def _argparse_text(message: str) -> str:
    key = _ARGPARSE_TEXTS.get(message)
    if key is None:
        return message
    return later(f"cli.{key}") if message in _WHILE_BUILDING else t(f"cli.{key}")


def _argparse_ntext(singular: str, plural: str, n: int) -> str:
    return _argparse_text(singular if n == 1 else plural)


def install_argparse_texts() -> None:
    argparse._ = _argparse_text  # type: ignore[attr-defined]
    argparse.ngettext = _argparse_ntext  # type: ignore[attr-defined]


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts (after the command name too)."""
    common = argparse.ArgumentParser(add_help=False, formatter_class=_HelpFormatter)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=later("cli.opt_config"),
    )
    common.add_argument(
        "--profile", metavar="NAME", default=argparse.SUPPRESS, help=later("cli.opt_profile")
    )
    common.add_argument(
        "--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=later("cli.opt_lang")
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=later("cli.opt_debug")
    )
    common.add_argument(
        "--debug-file", metavar="FILE", default=argparse.SUPPRESS, help=later("cli.opt_debug_file")
    )
    common.add_argument(
        "--policy", metavar="PATH", default=argparse.SUPPRESS, help=later("policy.opt_policy")
    )
    return common


class LazyParsers(dict[str, "argparse.ArgumentParser | None"]):
    """The subcommand parsers by name; a command's parser (and its module, with what that
    imports) is built only when argparse dispatches to it, or when the top-level help lists
    every command. `env` and `key get` run from shell rc files and apiKeyHelper: they must not
    pay for the catalog, the recommender or the exporters of the commands they are not."""

    def __init__(self, build: Callable[[str], None]) -> None:
        super().__init__()
        self._build = build

    def __getitem__(self, name: str) -> argparse.ArgumentParser:
        parser = super().__getitem__(name)
        if parser is None:
            super().pop(name)  # add_parser refuses a name it already holds (3.11+)
            self._build(name)
            parser = super().__getitem__(name)
        if parser is None:
            raise KeyError(name)  # the command's register() added no parser of that name
        return parser


class Commands(argparse._SubParsersAction):
    """The top-level subparsers: every command's name is known (choices, errors), its parser
    is built on demand (`LazyParsers`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._name_parser_map = LazyParsers(self._register)
        self.choices = self._name_parser_map
        self.common: argparse.ArgumentParser | None = None

    def _register(self, name: str) -> None:
        importlib.import_module(f"app.commands.{name}").register(self, self.common)

    def add_lazy(self, name: str) -> None:
        dict.__setitem__(self._name_parser_map, name, None)

    def build_all(self) -> None:
        for name in list(self._name_parser_map):
            self._name_parser_map[name]


class TopParser(Parser):
    """The top-level parser: its help lists every command, so it builds them all first."""

    commands: Commands

    def format_help(self) -> str:
        self.commands.build_all()
        return super().format_help()
