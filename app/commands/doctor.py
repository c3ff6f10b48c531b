"""`doctor`: re-run the connectivity test on a saved profile and explain every failure.

Everything the user typed is validated before the first packet (pins, timeout, CA file,
proxy variables): a bad flag is exit 2 with no network call. The key is read from the
profile's store, sent only to the profile's own hosts (other regions only with
`--all-regions`), and never printed: outputs carry its masked form at most.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from app.errors import EXIT_OK, EXIT_PROBLEMS, UserError
from app.i18n import t

MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 600.0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "doctor",
        parents=[common],
        help=t("doctor.help"),
        description=t("doctor.description"),
        allow_abbrev=False,
    )
    p.add_argument("--json", action="store_true", help=t("doctor.opt_json"))
    p.add_argument("--all-regions", action="store_true", help=t("doctor.opt_all_regions"))
    p.add_argument("--no-inference", action="store_true", help=t("doctor.opt_no_inference"))
    p.add_argument("--no-proxy", action="store_true", help=t("doctor.opt_no_proxy"))
    p.add_argument(
        "--resolve",
        action="append",
        default=[],
        metavar="HOST:PORT:ADDR",
        help=t("doctor.opt_resolve"),
    )
    p.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST1:PORT1:HOST2:PORT2",
        help=t("doctor.opt_connect_to"),
    )
    p.add_argument("--ca-file", metavar="FILE", help=t("doctor.opt_ca_file"))
    p.add_argument("--timeout", metavar="SECONDS", default="10", help=t("doctor.opt_timeout"))
    p.add_argument("--report", metavar="FILE", help=t("doctor.opt_report"))


def parse_timeout(raw: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise UserError("probe.timeout_invalid") from None
    if not (MIN_TIMEOUT <= value <= MAX_TIMEOUT) or value != value:
        raise UserError("probe.timeout_invalid")
    return value


def run(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import datetime, timezone

    from app.probe import ProbeOptions, prepare, run_checks, targets_for, verdict_of
    from app.profiles import cli_config_path, load_config
    from app.report import DoctorReport, render_markdown, render_text, to_json
    from app.transport import Pins

    # 1. Everything the user typed, before the config, the key store or the network.
    timeout = parse_timeout(args.timeout)
    pins = Pins.parse(args.resolve, args.connect_to)
    options = ProbeOptions(
        timeout=timeout,
        inference=not args.no_inference,
        no_proxy=args.no_proxy,
        pins=pins,
        ca_file=args.ca_file,
        consent_all_regions=args.all_regions,
    )
    prepare(options)  # CA file readable, proxy variables usable

    # 2. The profile and its key.
    path = cli_config_path(args)
    profile = load_config(path).profile(getattr(args, "profile", None))
    key, store_desc, backend, key_problem = _read_key(profile, path)
    options = ProbeOptions(**{**options.__dict__, "model": profile.model})
    targets = targets_for(
        profile.region,
        profile.endpoint_style,
        profile.workspace_id,
        model=profile.model,
        base_urls=profile.base_urls,
    )

    # 3. The checks.
    on_event = None if args.json or not sys.stderr.isatty() else _progress(sys.stderr)
    result = asyncio.run(run_checks(targets, key, options, on_event=on_event))
    for finding in _key_findings(profile, key, store_desc, key_problem, targets[0]):
        result.add_finding(finding)
    report = DoctorReport(
        profile=profile.name,
        region=profile.region,
        scope=profile.scope,
        model=profile.model,
        result=result,
        environment=_environment(result, options, backend, store_desc, key),
    )
    verdict = verdict_of(result.findings)

    # 4. Output, report file, verified stamp.
    if args.json:
        import json

        print(json.dumps(to_json(report), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render_text(report))
    if args.report:
        _write_report(args.report, render_markdown(report))
    try:
        from app.profiles import update_verified

        update_verified(path, profile.name, verdict, datetime.now(timezone.utc))
    except UserError as exc:
        print(t("doctor.verified_not_saved", reason=exc.message), file=sys.stderr)
    return EXIT_OK if verdict == "ok" else EXIT_PROBLEMS


def _progress(stream: Any) -> Any:
    """Live lines on a terminal's stderr while checks run (stdout stays clean for pipes)."""
    from app.probe import CheckFinished, CheckStarted

    symbols = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-"}

    def on_event(event: Any) -> None:
        if isinstance(event, CheckStarted):
            print(
                t("doctor.progress_started", surface=event.surface, host=event.host),
                file=stream,
                flush=True,
            )
        elif isinstance(event, CheckFinished):
            print(
                f"  {symbols.get(event.status, '?')} {event.surface} {event.finding or ''}",
                file=stream,
                flush=True,
            )

    return on_event


def _read_key(profile: Any, path: Any) -> tuple[Any, str, str | None, str | None]:
    """(key or None, where it came from, keyring backend, problem) - never raises for a
    missing or unreadable key: the connectivity part of doctor is still worth running."""
    from app.secrets import store_for

    try:
        store = store_for(profile.api_key, path.parent)
    except UserError as exc:
        return None, profile.api_key.store, None, exc.message
    desc = store.describe()
    backend = None
    try:
        key = store.get(profile.name)
    except UserError as exc:
        return None, desc, getattr(store, "backend_name", None), exc.message
    if profile.api_key.store == "keyring":
        backend = getattr(store, "backend_name", None)
        desc = store.describe()
    return key, desc, backend, None


def _key_findings(
    profile: Any, key: Any, store_desc: str, problem: str | None, target: Any
) -> list[Any]:
    """No key at all; or a DASHSCOPE_API_KEY in the environment that differs from the
    stored key (SDKs read the variable first: a classic silent override)."""
    from app.findings import Finding
    from app.secrets import DEFAULT_ENV_VAR, ApiKey, InvalidApiKey

    out = []
    if key is None:
        source = problem or store_desc
        out.append(Finding("no_key", None, profile.region, target.host, (), {"source": source}))
        return out
    raw = os.environ.get(DEFAULT_ENV_VAR)
    if raw is None or not raw.strip():
        return out
    if profile.api_key.store == "env" and profile.api_key.env == DEFAULT_ENV_VAR:
        return out  # the variable IS the stored key
    try:
        env_key: ApiKey | None = ApiKey(raw)
    except InvalidApiKey:
        env_key = None
    if env_key is None or env_key.fingerprint() != key.fingerprint():
        masked_env = env_key.masked() if env_key is not None else "(invalid)"
        out.append(
            Finding(
                "env_key_differs",
                None,
                profile.region,
                target.host,
                (),
                {"env_key": masked_env, "stored_key": key.masked()},
            )
        )
    return out


def _environment(
    result: Any, options: Any, backend: str | None, store_desc: str, key: Any
) -> dict[str, Any]:
    from app.report import environment

    trust = result.trust.describe()
    if result.trust.note:
        trust += f" ({t(result.trust.note)})"
    return environment(
        proxy=result.proxy,
        no_proxy=options.no_proxy,
        trust=trust,
        keyring_backend=backend,
        key_source=store_desc,
        key_masked=key.masked() if key is not None else None,
    )


def _write_report(target: str, text: str) -> None:
    """The Markdown report, atomically; it holds no key, so ordinary permissions apply."""
    from pathlib import Path

    from app.profiles import atomic_write

    atomic_write(Path(target).expanduser(), text, secret=False, backup=False)
    print(t("doctor.report_written", path=target), file=sys.stderr)
