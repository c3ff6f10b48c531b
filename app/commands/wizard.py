"""The `wizard` command, also what `modelstudio-setup` without a command does.

A wizard needs a person at a terminal. Without one (a pipe, CI, cron) it would hang or draw
escape codes into a log, so it refuses with the scriptable commands to use instead and exit
code 2. Textual and the screens are imported only here, inside `run`, so `--help` and
`--version` stay light.

The network options are doctor's (--ca-file, --resolve, --connect-to, --no-proxy, --timeout):
the Connectivity step's remedies name them, so the wizard must take them too (QA B15). They are
parsed and checked by the same code as doctor's (Pins.parse, network_options.parse_timeout,
probe.prepare) before the TUI starts: a malformed pin is exit 2 with nothing drawn and nothing
sent. Without any of them the probe engine is not imported at startup (it costs ~0.4 s before
first paint).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands import network_options
from app.core.errors import EXIT_OK, EXIT_USAGE, UserError
from app.core.i18n import get_language, later, set_language, t

# Only the types: every invocation's parser imports this module (app.cli.build_parser adds
# the wizard's network options to the top level), and `env` / `key get` must not pay for
# the config, the key stores or the probe engine they do not use.
if TYPE_CHECKING:
    from app.probe.engine import ProbeOptions
    from app.services import Services
    from app.state import WizardState

NETWORK_OPTIONS = network_options.NAMES


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "wizard",
        parents=[common],
        help=later("wizard.cmd_help"),
        description=later("wizard.cmd_description"),
    )
    add_network_options(parser)


def add_network_options(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    """doctor's network options; also on the top-level parser, since no command = wizard.

    Defaults are SUPPRESS (absent = not given). The top-level copies get their own dests
    (`top_<name>`): argparse copies a subcommand's namespace over the top-level one, so shared
    dests would let `modelstudio-setup --timeout 5 doctor` lose the 5 silently; with their
    own dests `refuse_misplaced` can say where the option belongs instead.
    """
    network_options.add_network_options(
        parser, dest_prefix="top_" if top_level else "", with_defaults=False
    )


def _given(args: argparse.Namespace, name: str) -> Any:
    """The value of a network option, given before or after `wizard`; None when absent."""
    return getattr(args, name, getattr(args, f"top_{name}", None))


def network_options_given(args: argparse.Namespace) -> bool:
    return any(_given(args, name) is not None for name in NETWORK_OPTIONS)


def refuse_misplaced(args: argparse.Namespace, command: str) -> None:
    """`modelstudio-setup --resolve … doctor`: the option was parsed for the wizard, not for
    `command`; say where it goes rather than ignore it (exit 2)."""
    given = [n for n in NETWORK_OPTIONS if getattr(args, f"top_{n}", None) is not None]
    if command != "wizard" and given:
        option = "--" + given[0].replace("_", "-")
        raise UserError("wizard.misplaced_network_option", option=option, command=command)


def probe_options_from(args: argparse.Namespace) -> ProbeOptions | None:
    """ProbeOptions from the network options, validated like doctor's; None when none given.

    Raises UserError (exit 2) for a malformed pin, timeout, CA file or proxy variable.
    """
    if not network_options_given(args):
        return None
    # lazy: the probe engine (httpx, ssl) costs ~0.4 s before the first paint; only pins need it
    from app.probe.engine import ProbeOptions, prepare
    from app.probe.transport import Pins  # lazy: with the engine, as above

    options = ProbeOptions(
        timeout=network_options.parse_timeout(_given(args, "timeout") or "10"),
        no_proxy=bool(_given(args, "no_proxy")),
        pins=Pins.parse(_given(args, "resolve") or [], _given(args, "connect_to") or []),
        ca_file=_given(args, "ca_file"),
    )
    prepare(options)
    return options


def wizard_services(args: argparse.Namespace) -> tuple[Services, WizardState]:
    """The services of a real run, with this invocation's network options and language."""
    # lazy: see the TYPE_CHECKING block (every invocation imports this module)
    from app.config.next_steps import network_args_from
    from app.services import real_services  # lazy: as above

    return real_services(
        args,
        probe_options=probe_options_from(args),
        network_args=network_args_from({n: _given(args, n) for n in NETWORK_OPTIONS}),
    )


def run_wizard(services: Services, state: WizardState, *, demo_root: Path | None = None) -> int:
    """Run the App to its end and say in plain text what happened.

    The last lines come from the state the wizard ended with (app.config.next_steps.final_lines):
    what was written, not how the wizard was left (D18). In the demo they are printed by
    `run` after the demo folder is gone, since they say it is.
    """
    # lazy: see the TYPE_CHECKING block (every invocation imports this module)
    from app.config.next_steps import final_lines
    from app.services import stored_account  # lazy: as above

    code, result = run_app(services, state)
    if code == EXIT_OK:
        if result is not None:  # the language the user left the wizard in (F2), not the CLI's
            set_language(result.lang)
        for line in final_lines(
            result,
            services.config_path,
            services.network_args,
            demo_root=demo_root,
            key_account=stored_account(services, result),
        ):
            print(line)
    return code


def run_app(services: Services, state: WizardState) -> tuple[int, WizardState | None]:
    """(exit code, the state the wizard ended with: None when it ended before any step)."""
    from app.tui import make_app  # lazy: Textual and the App must not load for --help

    app = make_app(services, state)
    result = app.run()
    if app.return_code not in (None, 0):
        return int(app.return_code), None
    return EXIT_OK, result


def run(args: argparse.Namespace) -> int:
    demo = getattr(args, "demo", False)
    if demo and network_options_given(args):
        # The demo talks to its own loopback simulator: pins or a CA file cannot apply.
        raise UserError("wizard.demo_network_options")
    # Bad flags get their own message first (exit 2 via UserError), terminal or not.
    # lazy: see the TYPE_CHECKING block (every invocation imports this module)
    from app.config.next_steps import final_lines
    from app.services import is_interactive  # lazy: as above

    real = None if demo else wizard_services(args)
    if not is_interactive():
        print(t("wizard.not_interactive"), file=sys.stderr, end="")
        return EXIT_USAGE
    if real is not None:
        return run_wizard(*real)
    # lazy: the demo brings the simulator (and its TLS), which only --demo needs
    from app.demo import demo_services

    with demo_services(lang=get_language()) as (services, state):
        code, result = run_app(services, state)
        root = services.config_path.parent.parent
    if code == EXIT_OK:  # the folder is gone now, as the line says
        for line in final_lines(result, demo_root=root):
            print(line)
    return code
