"""Command-line entry point: argparse, lazy imports, exit codes.

`--version` and `--help` must stay fast and must not import Textual or httpx, so every
command module imports its heavy dependencies inside its `run` function, and the TUI is
imported only when a TUI is started.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from app import __version__
from app.core.errors import EXIT_USAGE, KeyInField, UserError, refuse_if_key
from app.core.i18n import LANGUAGES, detect_language, get_language, later, set_language, shown, t
from app.core.text import hide_if_key, inert, looks_like_key

# Each module in app/commands/ has `register(subparsers, common)` and `run(args) -> int`;
# a command's module is imported only when that command runs (or `--help` lists them all).
COMMANDS = (
    "wizard",
    "recommend",
    "configure",
    "profiles",
    "export",
    "env",
    "key",
    "doctor",
    "models",
)


_UNESCAPED_PERCENT = re.compile(r"%(?![(%])")
_QUOTED = re.compile(r"'([^'\s]*)'")


def _looks_secret(value: str) -> bool:
    """A stray value that may be a pasted API key is never echoed back: a key shape (the one
    detector, app.core.text), or any long value (another provider's token)."""
    return looks_like_key(value) or len(value) >= 24


def _key_in_argv(argv: list[str]) -> UserError | None:
    """No argument of any command is secret (the key comes from stdin or a variable), so a
    key-shaped word anywhere (--workspace-id, --model, --profile, a path, a pin, a variable
    name) is a pasted key: refused before anything else runs, naming only the option
    (SECURITY.md T16). Nothing is parsed, read, written or sent."""
    for i, word in enumerate(argv):
        option, eq, value = word.partition("=")
        if eq and option.startswith("--"):
            what = option
        else:
            value = word
            before = argv[i - 1] if i else ""
            what = before if before.startswith("--") else ""
        if not looks_like_key(value) or _existing_path(value):
            continue  # a file that exists is not a pasted key (/nix/store/<hash>-cacert/...)
        try:  # only now the message: a clean command line loads no locale file
            refuse_if_key(value, what or t("cli.an_argument"), "profiles.value_looks_like_key")
        except KeyInField as exc:
            return exc
    return None


def _existing_path(value: str) -> bool:
    try:
        return len(value) < 4096 and os.path.exists(value)
    except (OSError, ValueError):
        return False


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


class _Parser(argparse.ArgumentParser):
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
            lambda m: "'<hidden>'" if _looks_secret(m.group(1)) else m.group(0), message
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


def _install_argparse_texts() -> None:
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
    return common


class _LazyParsers(dict[str, "argparse.ArgumentParser | None"]):
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


class _Commands(argparse._SubParsersAction):
    """The top-level subparsers: every command's name is known (choices, errors), its parser
    is built on demand (`_LazyParsers`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._name_parser_map = _LazyParsers(self._register)
        self.choices = self._name_parser_map
        self.common: argparse.ArgumentParser | None = None

    def _register(self, name: str) -> None:
        importlib.import_module(f"app.commands.{name}").register(self, self.common)

    def add_lazy(self, name: str) -> None:
        dict.__setitem__(self._name_parser_map, name, None)

    def build_all(self) -> None:
        for name in list(self._name_parser_map):
            self._name_parser_map[name]


class _TopParser(_Parser):
    """The top-level parser: its help lists every command, so it builds them all first."""

    commands: _Commands

    def format_help(self) -> str:
        self.commands.build_all()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    _install_argparse_texts()
    common = common_options()
    parser = _TopParser(
        prog="modelstudio-setup",
        description=later("cli.description"),
        epilog=later("cli.epilog"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help=later("cli.opt_version"),
    )
    parser.add_argument("--demo", action="store_true", help=later("cli.opt_demo"))
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, action=_Commands
    )
    if not isinstance(sub, _Commands):  # what `action=` made (typeshed only knows the default)
        raise TypeError(f"unexpected subparsers action {type(sub).__name__}")
    sub.common = common
    for name in COMMANDS:
        sub.add_lazy(name)
    parser.commands = sub
    # No command means the wizard: its network options work without `wizard` too (B15).
    importlib.import_module("app.commands.wizard").add_network_options(parser, top_level=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line. The message language is this run's (--lang, else the locale)
    and is given back on return, however the run ends: a caller in the same process (a
    test, an embedding program) keeps its own language."""
    before = get_language()
    try:
        return _run(argv)
    finally:
        set_language(before)


def _run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_language(_early_lang(argv) or detect_language())
    refused = _key_in_argv(argv)
    if refused is not None:
        print(f"modelstudio-setup: {refused.message}", file=sys.stderr)
        return refused.exit_code
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "lang", None):
        set_language(args.lang)
    command = args.command or "wizard"
    if getattr(args, "demo", False) and command != "wizard":
        # --demo promises "touches no real config or keyring": silently running a real
        # `configure` or `doctor` under it would break that promise (QA B35).
        from app.core import invocation  # lazy: the PATH lookup, only for this message

        message = t("cli.demo_wizard_only", command=command, demo=invocation.command("--demo"))
        parser.exit(EXIT_USAGE, f"modelstudio-setup: {message}\n")
    module = importlib.import_module(f"app.commands.{command}")
    try:
        importlib.import_module("app.commands.wizard").refuse_misplaced(args, command)
        code = int(module.run(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except UserError as exc:
        print(f"modelstudio-setup: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # A full disk, a file we may not read, a directory where a file belongs: the
        # environment, not a bug. Name the file and the reason, never a traceback (QA C14).
        error = os_error(exc)
        print(f"modelstudio-setup: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


_SPACE_ERRNOS = ("ENOSPC", "EFBIG", "EDQUOT")
_ACCESS_ERRNOS = ("EACCES", "EPERM")


def os_error(exc: OSError) -> UserError:
    """The message for an OSError that reached the CLI boundary: the path (when the error
    has one) and the system's reason, with what to do for the common causes. Exit 2, like
    the config and export writers' own file errors (README "Exit codes")."""
    name = errno.errorcode.get(exc.errno or -1, "")
    reason = exc.strerror or type(exc).__name__
    path = exc.filename if isinstance(exc.filename, str) else None
    hint = ""
    if name in _SPACE_ERRNOS:
        hint = t("cli.os_hint_space")
    elif name in _ACCESS_ERRNOS and path:
        hint = t("cli.os_hint_access", path=hide_if_key(path))
    elif name == "EROFS":
        hint = t("cli.os_hint_read_only")
    if path is None:
        return UserError("cli.os_error_no_path", reason=reason, hint=hint)
    return UserError("cli.os_error", path=path, reason=reason, hint=hint)


EXIT_CLOSED_PIPE = 141  # what a shell shows for a tool ended by SIGPIPE (128 + 13)


def _closed_pipe() -> int:
    """The reader went away (`| head -1`): stop quietly, like any Unix filter (QA B32).

    Standard output is pointed at /dev/null so the interpreter's final flush cannot raise
    again and print "Exception ignored ... BrokenPipeError".
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_CLOSED_PIPE


def _early_lang(argv: list[str]) -> str | None:
    """Honour --lang before building the parser, so --help is in the chosen language."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGUAGES:
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__":
    sys.exit(main())
