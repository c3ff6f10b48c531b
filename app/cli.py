"""Command-line entry point: argparse, lazy imports, exit codes.

`--version` and `--help` must stay fast and must not import Textual or httpx, so every
command module imports its heavy dependencies inside its `run` function, and the TUI is
imported only when a TUI is started.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from app import __version__
from app.errors import EXIT_USAGE, UserError
from app.i18n import LANGUAGES, detect_language, set_language, t

# Each module in app/commands/ has `register(subparsers, common)` and `run(args) -> int`.
COMMANDS = (
    "wizard",
    "recommend",
    "configure",
    "profiles",
    "export",
    "env",
    "key",
    "doctor",
)


_UNESCAPED_PERCENT = re.compile(r"%(?![(%])")
_QUOTED = re.compile(r"'([^'\s]*)'")


def _looks_secret(value: str) -> bool:
    """A stray value that may be a pasted API key is never echoed back."""
    return value.startswith("sk-") or len(value) >= 24


def _key_in_argv(argv: list[str]) -> UserError | None:
    """No argument of any command is secret (the key comes from stdin or a variable), so a
    key-shaped word anywhere (--workspace-id, --model, --profile, a path, a pin, a variable
    name) is a pasted key: refused before anything else runs, naming only the option
    (SECURITY.md T16). Nothing is parsed, read, written or sent."""
    from app.errors import KeyInField, refuse_if_key

    for i, word in enumerate(argv):
        option, eq, value = word.partition("=")
        if eq and option.startswith("--"):
            what = option
        else:
            value = word
            before = argv[i - 1] if i else ""
            what = before if before.startswith("--") else t("cli.an_argument")
        if _existing_path(value):
            continue  # a file that exists is not a pasted key (/nix/store/<hash>-cacert/...)
        try:
            refuse_if_key(value, what, "profiles.value_looks_like_key")
        except KeyInField as exc:
            return exc
    return None


def _existing_path(value: str) -> bool:
    import os

    try:
        return len(value) < 4096 and os.path.exists(value)
    except (OSError, ValueError):
        return False


class _HelpFormatter(argparse.HelpFormatter):
    """Help texts come from the locales and may contain a literal '%' (printf '%s')."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return _UNESCAPED_PERCENT.sub("%%", action.help) if action.help else action.help


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

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("unrecognized arguments:"):
            # A stray word may be an API key pasted as an argument: count, never echo.
            count = len(message.split(":", 1)[1].split())
            message = f"unrecognized arguments ({count}; not shown, they may be secret)"
        message = _QUOTED.sub(
            lambda m: "'<hidden>'" if _looks_secret(m.group(1)) else m.group(0), message
        )
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts (after the command name too)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=t("cli.opt_config"),
    )
    common.add_argument(
        "--profile", metavar="NAME", default=argparse.SUPPRESS, help=t("cli.opt_profile")
    )
    common.add_argument(
        "--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=t("cli.opt_lang")
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = _Parser(
        prog="modelstudio-setup",
        description=t("cli.description"),
        epilog=t("cli.epilog"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--demo", action="store_true", help=t("cli.opt_demo"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"app.commands.{name}")
        module.register(sub, common)
    # No command means the wizard: its network options work without `wizard` too (B15).
    importlib.import_module("app.commands.wizard").add_network_options(parser, top_level=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
        message = t("cli.demo_wizard_only", command=command)
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
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


EXIT_CLOSED_PIPE = 141  # what a shell shows for a tool ended by SIGPIPE (128 + 13)


def _closed_pipe() -> int:
    """The reader went away (`| head -1`): stop quietly, like any Unix filter (QA B32).

    Standard output is pointed at /dev/null so the interpreter's final flush cannot raise
    again and print "Exception ignored ... BrokenPipeError".
    """
    import os

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
