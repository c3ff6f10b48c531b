"""`models`: list the models the profile's key can see, as the service says (issue 9 s. 3).

The same network path as doctor (pins, proxy, CA file, timeout: network_options), the key
only to the profile's own hosts, never printed. Exit 0 listed, 1 the service refused or the
network failed, 2 bad input (unknown profile, bad flag, no key).
"""

from __future__ import annotations

import argparse
import sys

from app.commands.network_options import add_network_options, parse_timeout
from app.core.errors import EXIT_OK, EXIT_PROBLEMS, UserError
from app.core.i18n import t


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "models",
        parents=[common],
        help=t("models.help"),
        description=t("models.description"),
        allow_abbrev=False,
    )
    p.add_argument("--json", action="store_true", help=t("models.opt_json"))
    add_network_options(p)


def run(args: argparse.Namespace) -> int:
    # lazy: --help imports every command module; httpx and the config load only here
    import asyncio

    # lazy: as above
    from app.config.io import load_config
    from app.config.shell import cli_config_path
    from app.core.json_out import dumps
    from app.probe.engine import ProbeOptions, prepare
    from app.probe.models import list_models_for
    from app.probe.targets import targets_for
    from app.probe.transport import Pins
    from app.secrets.stores import store_for

    timeout = parse_timeout(args.timeout)
    pins = Pins.parse(args.resolve, args.connect_to)
    options = ProbeOptions(timeout=timeout, no_proxy=args.no_proxy, pins=pins, ca_file=args.ca_file)
    prepare(options)  # CA file readable, proxy variables usable: before the config or key
    path = cli_config_path(args)
    profile = load_config(path).profile(getattr(args, "profile", None))
    key = store_for(profile.api_key, path.parent).get(profile.name)
    if key is None:
        raise UserError("models.no_key", profile=profile.name)
    targets = targets_for(
        profile.region,
        profile.endpoint_style,
        profile.workspace_id,
        model=profile.model,
        base_urls=profile.base_urls,
        scope=profile.scope,
    )
    found = asyncio.run(list_models_for(targets, key, options))
    message = t(f"models.{found.problem}", profile=profile.name) if found.problem else None
    if args.json:
        doc = {
            "profile": profile.name,
            "region": profile.region,
            "source": found.source if found.models or not found.problem else None,
            "models": [{"id": m.id, "scope": m.scope, "source": m.source} for m in found.models],
            "complete": found.complete,
            "truncated": found.truncated,
            "http_status": found.http_status,
            "problem": found.problem,
            "message": message,
        }
        print(dumps(doc))
    elif found.problem is None:
        print(t("models.title", profile=profile.name, region=profile.region, n=len(found.models)))
        print(t(f"models.source_{found.source}"))
        for m in found.models:
            print(f"  {m.id}" + (f"  ({t('models.scope', scope=m.scope)})" if m.scope else ""))
        if found.truncated:
            print(t("models.truncated"))
    if found.problem is not None:
        if not args.json:
            print(f"modelstudio-setup: {message}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK
