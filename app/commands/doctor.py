"""`doctor`: re-run the connectivity test on a saved profile and explain every failure.

Everything the user typed is validated before the first packet (pins, timeout, CA file,
proxy variables): a bad flag is exit 2 with no network call. The key is read from the
profile's store, sent only to the profile's own hosts (other regions only with
`--all-regions`), and never printed: outputs carry its masked form at most.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from app.commands import doctor_watch
from app.commands.network_options import add_network_options, parse_timeout
from app.core.errors import EXIT_OK, EXIT_PROBLEMS, UserError
from app.core.i18n import t
from app.core.text import inert


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
    p.add_argument("--report", metavar="FILE", help=t("doctor.opt_report"))
    p.add_argument("--tui", action="store_true", help=t("doctor.opt_tui"))
    p.add_argument("--no-environment", action="store_true", help=t("doctor.opt_no_environment"))
    p.add_argument(
        "--surface",
        action="append",
        choices=["responses"],
        default=[],
        help=t("doctor.opt_surface"),
    )
    doctor_watch.add_options(p)  # --repeat, --interval, --watch, --duration, --stream
    add_network_options(p)


def run(args: argparse.Namespace) -> int:
    series: list[doctor_watch.Series] = []  # the --repeat / --watch series, once it ran
    try:
        return _run(args, series)
    finally:
        for ran in series:  # Ctrl+C is ignored while the summary of an interrupted one prints
            doctor_watch.release_interrupts(ran)


def _run(args: argparse.Namespace, ran: list[doctor_watch.Series]) -> int:
    # lazy: --help imports every command module; asyncio, the config, the findings and the
    # probe engine (httpx2) load only when doctor runs
    import asyncio
    from datetime import datetime, timezone

    # lazy: as above
    from app.clients.variables import responses_model
    from app.config.io import load_config
    from app.config.shell import cli_config_path
    from app.findings.remedies import RemedyCommands
    from app.findings.report import DoctorReport, render_markdown, render_text, to_json
    from app.findings.summarize import verdict_of
    from app.probe.engine import ProbeOptions, prepare
    from app.probe.stream import checks_with_stream
    from app.probe.targets import targets_for
    from app.probe.transport import Pins

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
    report_path = check_report_target(args.report) if args.report else None
    plan = doctor_watch.parse_plan(args)  # --repeat / --watch: None for one run
    stream = doctor_watch.wants_stream(args, plan)
    if args.tui:
        if args.json or args.report:
            raise UserError("doctor.tui_with_output")
        return _run_tui(args, options)

    # 2. The profile and its key.
    path = cli_config_path(args)
    profile = load_config(path).profile(getattr(args, "profile", None))
    key, store_desc, backend, key_problem = _read_key(profile, path)
    options = ProbeOptions(**{**options.__dict__, "model": profile.model})
    # What the clients read comes first (local files only): a Codex config that uses this
    # profile adds the Responses API, the only API Codex speaks, to the checks.
    clients = None if args.no_environment else _client_environment(profile, key)
    responses = "responses" in args.surface or codex_uses_profile(clients)
    targets = targets_for(
        profile.region,
        profile.endpoint_style,
        profile.workspace_id,
        model=profile.model,
        base_urls=profile.base_urls,
        scope=profile.scope,
        responses_model=responses_model(profile) if responses else None,
    )

    # The team policy is read before the checks (a small file, read once even in --watch):
    # its findings join the last run's report.
    from app.findings.policy import policy_findings  # lazy: the team policy, doctor runs only

    policy = policy_findings(profile, Path.cwd(), getattr(args, "policy", None))

    # 3. The checks.
    on_event = None if args.json or plan or not sys.stderr.isatty() else _progress(sys.stderr)
    series = None
    if plan is None:
        result, streams = asyncio.run(
            checks_with_stream(targets, key, options, stream=stream, on_event=on_event)
        )
    else:
        # One line per run as it ends; with --json on stderr, so stdout stays one document.
        live = sys.stderr if args.json else sys.stdout
        doctor_watch.print_start(plan, live)
        series = doctor_watch.run_series(
            plan,
            lambda: asyncio.run(checks_with_stream(targets, key, options, stream=stream)),
            live,
        )
        ran.append(series)
        if series.last is None:  # Ctrl+C before the first run finished
            sys.stdout.write(doctor_watch.interrupted_output(series, as_json=args.json))
            return doctor_watch.EXIT_INTERRUPTED
        result, streams = series.last
    for finding in _key_findings(profile, key, store_desc, key_problem, targets[0]):
        result.add_finding(finding)
    for finding in policy:
        result.add_finding(finding)
    for finding in clients.findings if clients is not None else ():
        result.add_finding(finding)
    network = None
    if not args.no_environment and not (series and series.interrupted):
        network = _client_network(profile, result, targets, key, options)
        for finding in network.findings:
            result.add_finding(finding)
    result.findings = RemedyCommands.for_run(options, profile.name, path).apply(result.findings)
    report = DoctorReport(
        profile=profile.name,
        region=profile.region,
        scope=profile.scope,
        model=profile.model,
        result=result,
        environment=_environment(result, options, backend, store_desc, key),
        clients=_clients_json(clients, network) if clients and network else None,
        stream=streams,
    )
    verdict = verdict_of(result.findings)

    # 4. Output, report file, verified stamp.
    if args.json:
        from app.core.json_out import dumps  # lazy: only --json prints JSON

        data = to_json(report)
        if series is not None:  # every sample and the summary, the last run's report
            data = {**doctor_watch.json_summary(series), "last_run": data}
        print(dumps(data))
    else:
        if series is not None:
            sys.stdout.write(doctor_watch.text_summary(series) + "\n" + t("doctor_watch.last_run"))
            sys.stdout.write("\n")
        sys.stdout.write(render_text(report))
    if report_path is not None:
        extra = doctor_watch.markdown_summary(series) if series is not None else ""
        write_report(report_path, render_markdown(report) + extra)
        print(t("doctor.report_written", path=inert(str(report_path))), file=sys.stderr)
    try:
        from app.config.io import update_verified  # lazy: as in run()

        update_verified(path, profile.name, verdict, datetime.now(timezone.utc))
        from app.commands.key_rotate import finish_after_doctor  # lazy: a rotation's backup

        finish_after_doctor(profile, path, verdict)
    except UserError as exc:
        print(t("doctor.verified_not_saved", reason=exc.message), file=sys.stderr)
    if series is not None:  # the worst run decides (doctor_watch's docstring)
        return series.exit_code(verdict)
    return EXIT_OK if verdict == "ok" else EXIT_PROBLEMS


def _progress(stream: Any) -> Any:
    """Live lines on a terminal's stderr while checks run (stdout stays clean for pipes)."""
    from app.core.models import CheckFinished, CheckStarted  # lazy: as in run()

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
    from app.secrets.stores import store_for  # lazy: as in run()

    try:
        store = store_for(profile.api_key, path.parent)
    except UserError as exc:
        return None, profile.api_key.store, None, exc.message
    desc = _file_source(store, profile.name) or store.describe()
    backend = None
    try:
        key = store.get(profile.name)
    except UserError as exc:
        return None, desc, getattr(store, "backend_name", None), exc.message
    if profile.api_key.store == "keyring":
        backend = getattr(store, "backend_name", None)
        desc = store.describe()
    return key, desc, backend, None


def _file_source(store: Any, name: str) -> str | None:
    """For a plain-text key file: its path and its ACTUAL mode (B25: the generic description
    says 0600, which is wrong exactly when it matters, for a file made readable to others)."""
    path_for = getattr(store, "path_for", None)
    if path_for is None:
        return None
    try:
        path = Path(path_for(name))
        mode = path.stat().st_mode & 0o777
    except (OSError, UserError, TypeError, ValueError):
        return None
    return t("doctor.key_source_file", path=inert(str(path)), mode=f"{mode:04o}")


def _key_findings(
    profile: Any, key: Any, store_desc: str, problem: str | None, target: Any
) -> list[Any]:
    """No key at all: the connectivity part still ran, keyless. (A DASHSCOPE_API_KEY that
    differs from the stored key is one of the client findings: app.clients.)"""
    from app.findings.codes import Finding  # lazy: as in run()

    if key is not None:
        return []
    source = problem or store_desc
    return [Finding("no_key", None, profile.region, target.host, (), {"source": source})]


def _client_environment(profile: Any, key: Any) -> Any:
    """What the user's clients read: this process's environment, the files under the
    current directory (up to the repository root) and HOME. Reading only (app.clients)."""
    from app.clients.environment import read_environment  # lazy: as in run()

    return read_environment(profile, key, env=os.environ, cwd=Path.cwd(), home=Path.home())


def codex_uses_profile(clients: Any) -> bool:
    """True when Codex's selected provider has this profile's OpenAI-compatible base URL
    (an entry of its config.toml that matches the profile and is in use)."""
    if clients is None:
        return False
    return any(
        "codex" in e.used_by and e.name.endswith(".base_url") and e.status == "ok"
        for e in clients.entries
    )


def _client_network(profile: Any, result: Any, targets: Any, key: Any, options: Any) -> Any:
    """Each client's route and trust store, and the extra paths tested (app.clients)."""
    import asyncio  # lazy: as in run()

    from app.clients.client_paths import client_network  # lazy: as in run()

    return asyncio.run(client_network(profile, result, targets, key, options, os.environ))


def _clients_json(clients: Any, network: Any) -> dict[str, Any]:
    from app.clients.environment import section_json  # lazy: as in run()

    return section_json(clients, *network.to_json())


def _environment(
    result: Any, options: Any, backend: str | None, store_desc: str, key: Any
) -> dict[str, Any]:
    from app.findings.report import environment  # lazy: as in run()

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


def check_report_target(raw: str) -> Path:
    """Where `--report` will write, checked before the first packet (S1): an existing
    regular file or a new name in an existing, writable directory. A missing directory is
    refused rather than created: it is usually a typo (B18). Symlinks are followed."""
    path = Path(raw).expanduser().absolute()
    shown = inert(str(path))
    try:
        target = path.resolve(strict=False) if path.is_symlink() else path
    except (OSError, RuntimeError):
        raise UserError("doctor.report_not_file", path=shown) from None
    if target.exists() and not target.is_file():
        raise UserError("doctor.report_not_file", path=shown)
    parent = target.parent
    if not parent.is_dir():
        raise UserError("doctor.report_no_dir", dir=inert(str(parent)))
    if not os.access(parent, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise UserError("doctor.report_not_writable", path=shown)
    return target


def write_report(target: Path, text: str) -> None:
    """Atomically, mode 0600 whatever the umask (B23/B31: one policy with the TUI's report;
    it names the workspace, hosts and proxy, so it is shared deliberately, not by default),
    and nothing else left in the directory (no lock or temp file)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fchmod(fd, 0o600)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UserError(
            "doctor.report_write_failed",
            path=inert(str(target)),
            error=exc.strerror or type(exc).__name__,
        ) from None


def _run_tui(args: argparse.Namespace, options: Any) -> int:
    """`doctor --tui`: the TUI's doctor screen for the profile, with the validated network
    options (pins, CA file, proxy, timeout). Textual is imported only here."""
    # lazy: the services bring the TUI's dependencies; only `doctor --tui` needs them
    from app.config.io import load_config
    from app.services import is_interactive, real_services

    services, state = real_services(args)
    profile = load_config(services.config_path).profile(getattr(args, "profile", None))
    if not is_interactive():
        raise UserError("doctor.tui_not_interactive", profile=profile.name)
    app, verdicts = tui_app(
        dataclasses.replace(services, probe_options=options), state, profile.name
    )
    app.run()
    return tui_exit_code(app.return_code, verdicts)


def tui_app(services: Any, state: Any, profile: str) -> tuple[Any, list[str]]:
    """The doctor screen's App, and the list every finished run's verdict is appended to
    (through ProbeOptions.on_result), so the exit code can follow the last run."""
    # lazy: Textual and the probe engine (httpx) load only for `doctor --tui`
    from app.probe.engine import ProbeOptions
    from app.tui import make_app

    verdicts: list[str] = []
    options = services.probe_options or ProbeOptions()
    options = dataclasses.replace(options, on_result=lambda result: verdicts.append(result.verdict))
    app = make_app(
        dataclasses.replace(services, probe_options=options), state, doctor_profile=profile
    )
    return app, verdicts


def tui_exit_code(return_code: int | None, verdicts: list[str]) -> int:
    """`doctor --tui` exits like `doctor`: 0 only when the last run the user saw was ok;
    1 for warnings or errors, and also when no run finished (no key, quit mid-run), since
    nothing was verified. A crash keeps the App's own non-zero code."""
    if return_code:
        return int(return_code)
    if verdicts and verdicts[-1] == "ok":
        return EXIT_OK
    return EXIT_PROBLEMS
