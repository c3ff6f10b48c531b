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
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from app import __version__
from app.commands.parser import (
    Commands,
    Parser,
    TopParser,
    common_options,
    install_argparse_texts,
)
from app.core.errors import EXIT_USAGE, KeyInField, UserError, refuse_if_key
from app.core.i18n import LANGUAGES, detect_language, get_language, later, set_language, t
from app.core.text import hide_if_key, looks_like_key

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
    "status",
    "models",
    "completion",
)


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


def build_parser() -> argparse.ArgumentParser:
    install_argparse_texts()
    common = common_options()
    parser = TopParser(
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
        dest="command", metavar="COMMAND", parser_class=Parser, action=Commands
    )
    if not isinstance(sub, Commands):  # what `action=` made (typeshed only knows the default)
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
    try:
        _profile_from_environment(args, os.environ)
    except UserError as exc:
        print(f"modelstudio-setup: {exc.message}", file=sys.stderr)
        return exc.exit_code
    command = args.command or "wizard"
    try:
        trace = _start_debug(args, os.environ, command)
    except UserError as exc:
        print(f"modelstudio-setup: {exc.message}", file=sys.stderr)
        return exc.exit_code
    try:
        return _dispatch(parser, args, command)
    finally:
        if trace is not None:
            _stop_debug(trace)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    if getattr(args, "demo", False) and command != "wizard":
        # --demo promises "touches no real config or keyring": silently running a real
        # `configure` or `doctor` under it would break that promise (QA B35).
        from app.core import invocation  # lazy: the PATH lookup, only for this message

        message = t("cli.demo_wizard_only", command=command, demo=invocation.command("--demo"))
        parser.exit(EXIT_USAGE, f"modelstudio-setup: {message}\n")
    args.top_parser = parser  # `completion` walks the very parser that runs the commands
    module = importlib.import_module(f"app.commands.{command}")
    try:
        importlib.import_module("app.commands.wizard").refuse_misplaced(args, command)
        code = int(module.run(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except UserError as exc:
        message = exc.message
        if getattr(args, "profile_source", None) == "environment" and _is_profile_error(exc):
            message += " " + t("cli.profile_from_variable", variable=PROFILE_VAR, name=args.profile)
        print(f"modelstudio-setup: {message}", file=sys.stderr)
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


def _is_profile_error(exc: UserError) -> bool:
    """A profile that is not there: said with where its name came from when a variable
    named it (a stale MODELSTUDIO_SETUP_PROFILE in a shell rc is easy to forget)."""
    from app.config.schema import ProfileNotFound  # lazy: only on this error path

    return isinstance(exc, ProfileNotFound)


DEBUG_VAR = "MODELSTUDIO_SETUP_DEBUG"


def _start_debug(args: argparse.Namespace, env: Mapping[str, str], command: str) -> Any:
    """--debug / MODELSTUDIO_SETUP_DEBUG=1 / --debug-file: start the trace (app.core.debug);
    None when off, and then nothing of it is imported (the hot paths)."""
    path = getattr(args, "debug_file", None)
    asked = env.get(DEBUG_VAR, "").strip().lower() in ("1", "true", "yes", "on")
    if not (getattr(args, "debug", False) or path is not None or asked):
        return None
    from app.core import debug  # lazy: only a traced run loads the trace

    tui = command == "wizard" or bool(getattr(args, "tui", False))
    return debug.start(path, tui=tui, what=f"modelstudio-setup {__version__}: {command}")


def _stop_debug(stream: Any) -> None:
    from app.core import debug  # lazy: as in _start_debug

    debug.stop(stream)


PROFILE_VAR = "MODELSTUDIO_SETUP_PROFILE"


def _profile_from_environment(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    """`--profile` wins; else MODELSTUDIO_SETUP_PROFILE names the profile of every command
    (as AWS_PROFILE does), checked like the flag (a key-shaped value is refused unechoed);
    else the config's default. `profile_source` says which, for `status`. An empty variable
    counts as unset: `export MODELSTUDIO_SETUP_PROFILE=` in a script means "none"."""
    if hasattr(args, "profile"):
        args.profile_source = "flag"
        return
    value = env.get(PROFILE_VAR, "")
    if value == "":
        args.profile_source = "default"
        return
    from app.core.names import profile_name_ok  # lazy: only when the variable is set

    refuse_if_key(value, PROFILE_VAR, "cli.profile_variable_looks_like_key")
    if not profile_name_ok(value):
        raise UserError("cli.bad_profile_variable", variable=PROFILE_VAR)
    args.profile, args.profile_source = value, "environment"


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
