"""Time the TCP+TLS handshake to each candidate region, concurrently, and rank them.

Used by the Scenario step when the user has no residency requirement: the nearest region is
a fact about their network, not about geography, so we measure it. Only a handshake is made
(no HTTP request, no key). The name is resolved first and not counted, so the number is the
network round trips of TCP + TLS. Regions without a public host that works without a
workspace ID (Frankfurt, Tokyo) are listed as "not measurable" instead of being guessed.

Pins (`--connect-to` / `--resolve`) and the trust chain come from the probe options, so in
tests and in the demo the handshakes reach the simulator under the production host names.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.core.catalog import Catalog, load_catalog

DEFAULT_TIMEOUT = 3.0
HTTPS_PORT = 443

Router = Callable[[str, int], tuple[str, int]]


@dataclass(frozen=True)
class LatencyTarget:
    region: str
    host: str | None  # None: the region has no host reachable without a workspace ID
    port: int = HTTPS_PORT


@dataclass(frozen=True)
class LatencyResult:
    region: str
    host: str | None
    ms: float | None
    problem: str | None = None  # locale key (screen_scenario.latency_*)

    @property
    def measured(self) -> bool:
        return self.ms is not None


def candidates(
    catalog: Catalog | None = None, regions: Iterable[str] | None = None
) -> list[LatencyTarget]:
    """One target per region: its shared host (the only host known without a workspace)."""
    catalog = catalog or load_catalog()
    wanted = list(regions) if regions is not None else list(catalog.regions)
    return [LatencyTarget(r, catalog.regions[r].hosts.shared) for r in wanted]


def rank(results: Iterable[LatencyResult]) -> list[LatencyResult]:
    """Fastest first; unmeasured regions last, in their original order."""
    items = list(results)
    measured = sorted((r for r in items if r.ms is not None), key=lambda r: r.ms or 0.0)
    return measured + [r for r in items if r.ms is None]


def router_from_options(options: Any) -> Router | None:
    """The probe's pins (curl --connect-to / --resolve semantics) as a (host, port) map.

    Accepts the probe's `ProbeOptions.pins` (app.probe.transport.Pins) or raw `connect_to` /
    `resolve` strings, so the same pins reach the simulator in tests and in the demo.
    """
    if options is None:
        return None
    pins = getattr(options, "pins", None)
    if not pins:
        connect_to = list(getattr(options, "connect_to", None) or ())
        resolve = list(getattr(options, "resolve", None) or ())
        if not connect_to and not resolve:
            return None
        from app.probe.transport import Pins  # lazy: httpx2 and httpcore2, only for pins

        pins = Pins.parse(resolve, connect_to)

    def route(host: str, port: int) -> tuple[str, int]:
        dest_host, dest_port, _pinned = pins.route(host, port)
        return dest_host, dest_port

    return route


def ssl_context_from_options(options: Any) -> ssl.SSLContext:
    """The same trust chain as the probe (its context, or --ca-file, SSL_CERT_*, OS, certifi)."""
    context = getattr(options, "ssl_context", None) if options is not None else None
    if isinstance(context, ssl.SSLContext):
        return context
    from app.probe.trust import build_ssl_context  # lazy: only without a ready context

    ca_file = getattr(options, "ca_file", None) if options is not None else None
    env = getattr(options, "env", None) if options is not None else None
    context, _source = build_ssl_context(ca_file, os.environ if env is None else env)
    return context


async def _handshake(
    target: LatencyTarget,
    context: ssl.SSLContext,
    route: Router | None,
    timeout: float,
    clock: Callable[[], float],
) -> LatencyResult:
    if target.host is None:
        return LatencyResult(target.region, None, None, "screen_scenario.latency_no_host")
    host, port = route(target.host, target.port) if route else (target.host, target.port)
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except (OSError, asyncio.TimeoutError):
        return LatencyResult(target.region, target.host, None, "screen_scenario.latency_dns")
    family, _type, _proto, _canon, address = infos[0]
    ip, ip_port = address[0], address[1]
    if not isinstance(ip, str) or not isinstance(ip_port, int):  # not an IPv4 or IPv6 address
        return LatencyResult(target.region, target.host, None, "screen_scenario.latency_dns")
    writer = None
    start = clock()
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                ip, ip_port, ssl=context, server_hostname=target.host, family=family
            ),
            timeout,
        )
        elapsed = (clock() - start) * 1000.0
    except asyncio.TimeoutError:
        return LatencyResult(target.region, target.host, None, "screen_scenario.latency_timeout")
    except ConnectionRefusedError:
        return LatencyResult(target.region, target.host, None, "screen_scenario.latency_refused")
    except ssl.SSLError:
        return LatencyResult(target.region, target.host, None, "screen_scenario.latency_tls")
    except OSError:
        return LatencyResult(target.region, target.host, None, "screen_scenario.latency_failed")
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
    return LatencyResult(target.region, target.host, round(elapsed, 1))


async def measure(
    targets: Iterable[LatencyTarget],
    *,
    context: ssl.SSLContext | None = None,
    route: Router | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.perf_counter,
) -> list[LatencyResult]:
    """Handshake with every target at once; the whole run takes about the slowest one."""
    context = context or ssl_context_from_options(None)
    results = await asyncio.gather(
        *(_handshake(t, context, route, timeout, clock) for t in targets)
    )
    return rank(results)


async def measure_with_options(
    options: Any,
    targets: Iterable[LatencyTarget] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[LatencyResult]:
    """`measure` with pins and trust taken from the probe options (the wizard's services)."""
    return await measure(
        candidates() if targets is None else targets,
        context=ssl_context_from_options(options),
        route=router_from_options(options),
        timeout=timeout,
    )
