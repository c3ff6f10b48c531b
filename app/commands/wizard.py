"""The `wizard` command, also what `modelstudio-setup` without a command does.

A wizard needs a person at a terminal. Without one (a pipe, CI, cron) it would hang or draw
escape codes into a log, so it refuses with the scriptable commands to use instead and exit
code 2. Textual and the screens are imported only here, inside `run`, so `--help` and
`--version` stay light.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.errors import EXIT_OK, EXIT_USAGE
from app.i18n import get_language, t


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "wizard",
        parents=[common],
        help=t("wizard.cmd_help"),
        description=t("wizard.cmd_description"),
    )


def is_interactive() -> bool:
    """Both ends must be a terminal: keys come from stdin, the screen goes to stdout."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def real_services(args: argparse.Namespace) -> tuple[Any, Any]:
    """Services for a real run: the user's config file, the OS key stores, the real network."""
    from app.profiles import check_profile_name, config_path
    from app.secrets import KEYRING_PROBE_TIMEOUT, KeyRef, probe_keyring, store_for
    from app.wizard_state import Services, WizardState

    path = config_path(getattr(args, "config", None))
    profile = getattr(args, "profile", None)
    if profile is not None:
        check_profile_name(profile)
    state = WizardState(lang=get_language(), profile_name=profile or "default")

    def key_store_factory(kind: str) -> Any:
        return store_for(KeyRef(kind), path.parent, keyring_timeout=KEYRING_PROBE_TIMEOUT)

    services = Services(
        config_path=path,
        key_store_factory=key_store_factory,
        keyring_probe=lambda: probe_keyring(KEYRING_PROBE_TIMEOUT),
        # None = the probe's defaults, built when Connectivity runs: importing the probe
        # engine (httpx, httpcore, ssl) at startup would cost ~0.4 s before the first paint.
        probe_options=None,
        keyring_timeout=KEYRING_PROBE_TIMEOUT + 2.0,
    )
    return services, state


def _default_probe_options() -> Any:
    try:
        from app.probe import ProbeOptions
    except ImportError:  # the probe engine is optional for the first steps
        return None
    return ProbeOptions()


def run_wizard(services: Any, state: Any) -> int:
    """Run the App to its end and say in plain text what happened."""
    from app.tui import make_app

    app = make_app(services, state)
    result = app.run()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    if result is not None and getattr(result, "written", ()):
        print(t("wizard.done_summary", profile=result.profile_name))
    else:
        print(t("wizard.quit_summary"))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    demo = getattr(args, "demo", False)
    # Bad flags get their own message first (exit 2 via UserError), terminal or not.
    services, state = (None, None) if demo else real_services(args)
    if not is_interactive():
        print(t("wizard.not_interactive"), file=sys.stderr, end="")
        return EXIT_USAGE
    if demo:
        from app.demo import demo_services

        with demo_services(lang=get_language()) as (services, state):
            return run_wizard(services, state)
    return run_wizard(services, state)
