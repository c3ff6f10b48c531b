"""doctor's network options (--ca-file, --resolve, --connect-to, --no-proxy, --timeout).

The wizard takes the same options, because its Connectivity step's remedies name them; one
table keeps the two parsers from drifting apart. The commands that check a key on the way
(`status --check`, `key import`, `key rotate`, `key temp`) turn them into ProbeOptions with
`probe_options`, and share `--keyring-timeout` (`add_keyring_timeout`).
"""

from __future__ import annotations

import argparse
from typing import Any

from app.core.errors import UserError
from app.core.i18n import later

# The --timeout a probe accepts, in seconds: long enough for a slow proxy, short enough that
# a typo (600000) does not hang the command.
MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 600.0

# (flag, argparse keyword arguments, default when the command gives defaults, help key)
_OPTIONS: tuple[tuple[str, dict[str, Any], Any, str], ...] = (
    ("--no-proxy", {"action": "store_true"}, False, "doctor.opt_no_proxy"),
    ("--resolve", {"action": "append", "metavar": "HOST:PORT:ADDR"}, [], "doctor.opt_resolve"),
    (
        "--connect-to",
        {"action": "append", "metavar": "HOST1:PORT1:HOST2:PORT2"},
        [],
        "doctor.opt_connect_to",
    ),
    ("--ca-file", {"metavar": "FILE"}, None, "doctor.opt_ca_file"),
    ("--timeout", {"metavar": "SECONDS"}, "10", "doctor.opt_timeout"),
)
NAMES = tuple(flag.lstrip("-").replace("-", "_") for flag, *_ in _OPTIONS)


def add_network_options(
    parser: argparse.ArgumentParser, *, dest_prefix: str = "", with_defaults: bool = True
) -> None:
    """Add the options; without defaults an absent option is absent from the namespace."""
    group = parser.add_argument_group(later("wizard.network_options"))
    for (flag, kwargs, default, help_key), name in zip(_OPTIONS, NAMES, strict=True):
        group.add_argument(
            flag,
            dest=dest_prefix + name,
            default=default if with_defaults else argparse.SUPPRESS,
            help=later(help_key),
            **kwargs,
        )


def parse_timeout(raw: str) -> float:
    """--timeout as seconds; UserError (exit 2) when it is not a number in range."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise UserError("probe.timeout_invalid") from None
    if not (MIN_TIMEOUT <= value <= MAX_TIMEOUT) or value != value:
        raise UserError("probe.timeout_invalid")
    return value


def add_keyring_timeout(parser: argparse.ArgumentParser) -> None:
    """`--keyring-timeout SECONDS` (default 15): how long a keyring call may take."""
    parser.add_argument(
        "--keyring-timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help=later("secrets.opt_keyring_timeout"),
    )


def probe_options(args: argparse.Namespace, *, inference: bool, consent: bool = False) -> Any:
    """ProbeOptions from the network options, checked before anything is read (exit 2 on a
    bad one). `inference`: the 1-token call too; `consent`: other regions may be asked."""
    # lazy: the probe engine (httpx2) only when a command checks a key
    from app.probe.engine import ProbeOptions, prepare
    from app.probe.transport import Pins

    options = ProbeOptions(
        timeout=parse_timeout(args.timeout),
        inference=inference,
        no_proxy=args.no_proxy,
        pins=Pins.parse(args.resolve, args.connect_to),
        ca_file=args.ca_file,
        consent_all_regions=consent,
    )
    prepare(options)
    return options
