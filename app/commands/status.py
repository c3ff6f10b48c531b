"""`status [--profile P] [--json] [--check]`: the active profile, why it is the active one,
where its key lives, what overrides it for which client, the last verdict and its age, and
the next command when something is off.

A hot path (it is the first thing typed when calls stop working, and scripts run it): no
network and no file parsing without `--check` (app.clients.status says why), and the help
texts are looked up only for `--help` (app.core.i18n.later). Exit 0 when the profile is
usable, 1 when its key is missing, unreadable or overridden, or `--check` fails; 2 for bad
input, before anything is read.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from app.commands.network_options import add_keyring_timeout, add_network_options, probe_options
from app.core.i18n import later, t

if TYPE_CHECKING:  # only the types: --help imports every command, these wait until one runs
    from app.clients.status import Status
    from app.findings.results import ProbeResult

# Steps that mean the profile does not work as it stands (exit 1); the others are advice.
BLOCKING = ("key_store_failed", "key_set", "key_env_unset", "doctor_overrides", "doctor_failed")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "status",
        parents=[common],
        help=later("status.help"),
        description=later("status.description"),
        allow_abbrev=False,
    )
    p.add_argument("--json", action="store_true", help=later("status.opt_json"))
    p.add_argument("--check", action="store_true", help=later("status.opt_check"))
    add_keyring_timeout(p)
    add_network_options(p)


def run(args: argparse.Namespace) -> int:
    # lazy: --help imports every command; these wait until status runs
    import os
    from datetime import datetime, timezone
    from pathlib import Path

    # lazy: as above
    from app.clients.status import build_status
    from app.config.io import load_config
    from app.config.key_status import key_status
    from app.config.shell import cli_config_path
    from app.core.errors import UserError

    # 1. What the user typed, before the config, the store or the network.
    if not 0 < args.keyring_timeout <= 300:
        raise UserError("secrets.bad_timeout")
    options = probe_options(args, inference=False) if args.check else None
    # 2. The profile, why it is active, and its key.
    path = cli_config_path(args)
    config = load_config(path)
    profile = config.profile(getattr(args, "profile", None))
    source = getattr(args, "profile_source", "default")
    if source == "default" and config.default_profile is None:
        source = "only"
    key = key_status(profile, path, args.keyring_timeout)
    home = _home()
    status = build_status(
        profile,
        source,
        path,
        key,
        default_profile=config.default_profile,
        env=os.environ,
        cwd=Path.cwd(),
        home=home,
        now=datetime.now(timezone.utc),
    )
    # 3. Only with --check: the probe, without inference.
    result = _check(status, options) if options is not None else None
    if args.json:
        from app.core.json_out import dumps  # lazy: only --json prints JSON

        print(dumps(to_json(status, result)))
    else:
        sys.stdout.write(render(status, result))
    failed = result is not None and result.verdict == "fail"
    return 1 if status.next_step in BLOCKING or failed else 0


def _home() -> Any:
    from pathlib import Path  # lazy: as in run()

    try:
        return Path.home()
    except (RuntimeError, KeyError):  # no HOME and no passwd entry: no user files to list
        return Path("/nonexistent-home")


def _check(status: Status, options: Any) -> ProbeResult | None:
    """The profile's surfaces, auth only (no inference, no tokens spent); None without key."""
    import asyncio  # lazy: only --check

    # lazy: the probe engine (httpx2), only for --check
    from app.probe.engine import run_checks
    from app.probe.targets import targets_for

    p = status.profile
    if status.key.key is None:
        return None
    targets = targets_for(
        p.region, p.endpoint_style, p.workspace_id, model=p.model, base_urls=p.base_urls,
        scope=p.scope,
    )  # fmt: skip
    return asyncio.run(run_checks(targets, status.key.key, options))


def to_json(status: Status, result: ProbeResult | None) -> dict[str, Any]:
    """The JSON form (schema_version 1, docs/json.md): shown values only."""
    p = status.profile
    return {
        "profile": p.name,
        "source": status.source,
        "config": str(status.config),
        "region": p.region,
        "scope": p.scope,
        "endpoint_style": p.endpoint_style,
        "workspace_id": p.workspace_id,
        "plan": p.plan,
        "model": p.model,
        "key": status.key.to_json(),
        "overrides": [o.to_json() for o in status.overrides],
        "verified": (
            {"verdict": p.verified.verdict, "at": p.verified.at, "age_seconds": status.verified_age}
            if p.verified is not None
            else None
        ),
        "next_step": status.next_step,
        "next_command": next_command(status) if status.next_step else None,
        "check": _check_json(result) if result is not None else None,
    }


def _check_json(result: ProbeResult) -> dict[str, Any]:
    return {
        "verdict": result.verdict,
        "checks": [
            {
                "surface": c.surface,
                "host": c.host,
                "status": c.status,
                "http_status": c.http_status,
                # False: reachable, the key not sent (the Anthropic surface checks a key
                # only with a model call, which --check does not make): its 401 says nothing
                "key_checked": not c.keyless,
            }
            for c in result.checks
        ],
        "findings": [f.to_json() for f in result.findings],
    }


def next_command(status: Status) -> str:
    """The command of the next step, spelt to run from this shell."""
    from app.config.shell import cli_address  # lazy: only when something is off
    from app.core.invocation import command

    p = status.profile
    address = cli_address(status.config, p.name, status.default_profile)
    if status.next_step in ("key_set", "key_store_failed"):
        return command("key", "set", *address, "--api-key-stdin")
    if status.next_step == "key_env_unset":  # or keep it out of the shell: the keyring
        config_only = cli_address(status.config, None, None)
        return command("configure", "--profile", p.name, *config_only, "--store", "keyring")
    return doctor_command(status)


def doctor_command(status: Status) -> str:
    """`doctor` of this profile, spelt to run from this shell."""
    from app.config.shell import cli_address  # lazy: only when a command is printed
    from app.core.invocation import command

    p = status.profile
    return command("doctor", *cli_address(status.config, p.name, status.default_profile))


def render(status: Status, result: ProbeResult | None) -> str:
    """The text form: one line per fact, then the next command when something is off."""
    # lazy: as in run(); names, not region_label / scope_label, whose "(id)" words live in
    # the doctor messages: status reads no locale file it does not need (a hot path)
    from app.config.region_switch import region_name, scope_label
    from app.core.text import inert

    p, key = status.profile, status.key
    lines = [t("status.active", profile=inert(p.name), why=t(f"status.source_{status.source}"))]
    rows = [
        ("config", inert(str(status.config))),
        ("region", t("status.labelled", name=region_name(p.region), id=p.region)),
        ("scope", t("status.labelled", name=scope_label(p.scope, with_id=False), id=p.scope)),
        ("domain", _domain(p)),
    ]
    if p.workspace_id:
        rows.append(("workspace", p.workspace_id))
    rows.append(("model", p.model))
    rows.append(("key", _key_text(key)))
    rows.append(("verified", _verified_text(status)))
    for name, value in rows:
        lines.append("  " + t("status.row", label=t(f"status.label_{name}"), value=value))
    if status.overrides:
        lines.append("  " + t("status.overrides_title"))
        lines += ["    " + _override_text(o) for o in status.overrides]
    if result is not None:
        lines.append("  " + t("status.check_title", verdict=t(f"status.verdict_{result.verdict}")))
        for c in result.checks:
            line = f"    {c.surface:<10} {c.status:<5} {inert(c.host)}"
            if c.status == "skip":  # reachable; its key is checked only by a model call
                line += "  " + t("status.check_skip", command=doctor_command(status))
            lines.append(line)
        lines += ["    ! " + f.message for f in result.findings if f.severity != "info"]
    if status.next_step is not None:
        lines.append("")
        lines.append(t(f"status.next_{status.next_step}", var=p.api_key.env or "-"))
        lines.append("  " + next_command(status))
    return "\n".join(inert(line) for line in lines) + "\n"


def _domain(p: Any) -> str:
    """The access domain as `profiles show` words it (the plan's name for a plan profile)."""
    if p.plan is None:
        return t(f"profiles.style_{p.endpoint_style}")
    from app.config.shell import plan_label  # lazy: the catalog, only for a plan profile
    from app.core.catalog import load_catalog

    return t("profiles.style_plan", plan=plan_label(p, load_catalog()), region=p.region)


def _key_text(key: Any) -> str:
    if key.error is not None:
        return t("status.key_error", location=key.location, error=key.error)
    where = key.location + (f" {t('status.plain_text')}" if key.plain_text else "")
    if not key.present:
        return t("status.key_missing", location=where)
    return t("status.key_present", masked=key.masked, location=where)


def _verified_text(status: Status) -> str:
    v = status.profile.verified
    if v is None:
        return t("status.verified_never")
    verdict = t(f"status.verdict_{v.verdict}")
    return t("status.verified", verdict=verdict, age=_age(status.verified_age), at=v.at)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 60:
        return t("status.age_now")
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return t(f"status.age_{unit}", n=int(seconds // size))
    return t("status.age_now")


def _override_text(o: Any) -> str:
    clients = ", ".join(o.to_json()["client_names"]) or "-"
    if o.origin == "file":
        return t("status.override_file", name=o.name, clients=clients)
    return t(f"status.override_{o.state}", name=o.name, value=o.value or "-", clients=clients)
