"""`python -m app.simulator`: run the simulator in the foreground for manual testing.

Printing the accounts' keys is the point here: they are fake, and a developer trying the
wizard, curl or an SDK against the simulator needs to paste them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.catalog import load_catalog
from app.core.endpoints import base_urls
from app.core.i18n import detect_language, set_language, t
from app.core.invocation import command

if TYPE_CHECKING:  # only the types: `--help` need not load h11 and the server
    from app.simulator.accounts import Account
    from app.simulator.proxy import ConnectProxy
    from app.simulator.server import Simulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.simulator", description=t("simulator.description")
    )
    parser.add_argument("--host", default="127.0.0.1", help=t("simulator.opt_host"))
    parser.add_argument("--port", type=int, default=0, help=t("simulator.opt_port"))
    parser.add_argument("--tls-dir", type=Path, default=None, help=t("simulator.opt_tls_dir"))
    parser.add_argument("--plain", action="store_true", help=t("simulator.opt_plain"))
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help=t("simulator.opt_latency")
    )
    parser.add_argument(
        "--wrong-workspace-status",
        type=int,
        choices=(401, 403),
        default=401,
        help=t("simulator.opt_wrong_ws"),
    )
    parser.add_argument("--proxy", action="store_true", help=t("simulator.opt_proxy"))
    return parser


def proxy_banner(sim: Simulator, proxy: ConnectProxy) -> str:
    """The environment that sends unchanged programs and SDKs to the simulator."""
    ca = sim.ca_file
    return "\n".join(
        [
            t("simulator.proxy_listening", url=proxy.url),
            t("simulator.example_proxy"),
            f"  export HTTPS_PROXY={proxy.url} NO_PROXY= "
            f"SSL_CERT_FILE={ca} REQUESTS_CA_BUNDLE={ca}",
            "",
        ]
    )


def _settings(acc: Account) -> list[str]:
    """What sets an account apart, as the banner shows it (plan, edition, error settings)."""
    extra = []
    if acc.plan != "payg":
        extra.append(acc.plan + (f" {acc.edition}" if acc.edition else ""))
    if acc.arrears:
        extra.append("arrears" if acc.arrears_status == 400 else f"arrears={acc.arrears_status}")
    if acc.models is not None:
        extra.append("models=" + ",".join(acc.models))
    if acc.scope:
        extra.append(f"scope={acc.scope}")
    if acc.denied:
        extra.append(acc.denied)
    if acc.burst:
        extra.append("burst")
    if acc.model_list != "ok":
        extra.append(f"model_list={acc.model_list}")
    if acc.unknown_model != "InvalidParameter":
        extra.append(f"unknown_model={acc.unknown_model}")
    return extra


def _plan_example(sim: Simulator) -> list[str]:
    """A curl line for a plan key on its own host (plan keys are refused elsewhere)."""
    from app.simulator.plans import PLAN_HOSTS  # lazy: only for the TLS banner

    for acc in sim.accounts.values():
        host = next(
            (h for h in PLAN_HOSTS.values() if (h.plan, h.region) == (acc.plan, acc.region)),
            None,
        )
        if host is not None:
            return [
                "",
                t("simulator.example_plan", name=acc.name),
                f"  curl --connect-to {sim.connect_to} --cacert {sim.ca_file} "
                f"-H 'Authorization: Bearer {acc.key}' "
                f"https://{host.host}{host.openai_path}/models",
            ]
    return []


def banner(sim: Simulator) -> str:
    """What a developer needs to start poking at the running simulator."""

    lines = [t("simulator.listening", url=sim.url), "", t("simulator.accounts_header")]
    for acc in sim.accounts.values():
        extra = _settings(acc)
        lines.append(
            f"  {acc.name:<15} {acc.region:<15} {acc.workspace_id or '-':<20} {acc.key}"
            + (f"  ({'; '.join(extra)})" if extra else "")
        )
    demo = sim.accounts.get("demo") or next(iter(sim.accounts.values()))
    lines.append("")
    if sim.tls:
        style = "shared" if load_catalog().region(demo.region).has_shared_host else "workspace"
        host = base_urls(demo.region, style, demo.workspace_id).host
        lines.append(t("simulator.ca_file", path=str(sim.ca_file)))
        lines.append("")
        lines.append(t("simulator.example_curl"))
        lines.append(
            f"  curl --connect-to {sim.connect_to} --cacert {sim.ca_file} "
            f"-H 'Authorization: Bearer {demo.key}' https://{host}/compatible-mode/v1/models"
        )
        lines.append("")
        lines.append(t("simulator.example_doctor"))

        doctor = command("doctor", "--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file))
        lines.append(f"  {doctor}")
        lines += _plan_example(sim)
    else:
        lines.append(t("simulator.example_plain", host=sim.default_host))
        lines.append(
            f"  curl -H 'Authorization: Bearer {demo.key}' {sim.url}/compatible-mode/v1/models"
        )
    lines.append("")
    lines.append(t("simulator.stop_hint"))
    return "\n".join(lines)


async def _serve(args: argparse.Namespace) -> None:
    from app.simulator.server import Simulator  # lazy: `--help` need not load h11 and the server

    sim = Simulator(
        tls=not args.plain,
        tls_dir=args.tls_dir,
        latency=args.latency,
        wrong_workspace_status=args.wrong_workspace_status,
    )
    await sim.start(args.host, args.port)
    proxy = None
    if args.proxy:
        from app.simulator.proxy import ConnectProxy  # lazy: only with --proxy

        proxy = ConnectProxy(upstream=(sim.host, sim.port))
        await proxy.start(args.host)
        print(proxy_banner(sim, proxy), flush=True)
    print(banner(sim), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if proxy is not None:
            await proxy.stop()
        await sim.stop()
        print(t("simulator.stopped"), flush=True)


def main(argv: list[str] | None = None) -> int:
    set_language(detect_language())
    args = build_parser().parse_args(argv)
    if args.tls_dir is not None and args.plain:
        build_parser().error(t("simulator.plain_and_tls_dir"))
    if args.proxy and args.plain:
        build_parser().error(t("simulator.plain_and_proxy"))
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(
            t("simulator.cannot_listen", host=args.host, port=args.port, reason=exc.strerror),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
