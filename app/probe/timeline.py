"""Phase times of one check, read from httpcore2's `trace` events.

httpx2's own timings cover only the whole request; a user needs to see which step was slow
(TCP, the proxy, TLS, the first byte), so the engine passes this collector as the request's
`trace` extension. It is its own module so that the engine keeps to running checks, and it
knows the check only through the small protocol below (no import cycle back to the engine).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

import httpcore2

from app.findings.results import CheckResult
from app.probe.proxy import ProxyChoice
from app.probe.trust import tls_info


class TimedCheck(Protocol):
    """What the timeline needs of a check: where it goes, its result, and a phase report."""

    proxy: ProxyChoice
    result: CheckResult

    def phase_done(self, phase: str, ms: float | None, ok: bool) -> None: ...


class Timeline:
    """Collects httpcore2 `trace` events of one check into phase times (and the TLS details).

    Events are matched on their suffix: the same phase is named `connection.start_tls` on a
    direct connection, `proxy.start_tls` through an HTTP proxy and `socks.start_tls` through
    SOCKS.
    """

    def __init__(self, check: TimedCheck) -> None:
        self.check = check
        self.marks: dict[str, float] = {}
        self.phase = "tcp"
        self.tls_started = False

    async def __call__(self, name: str, info: Mapping[str, object]) -> None:
        now = time.monotonic()
        check = self.check
        if name.endswith("connect_tcp.started"):
            self.marks["tcp"] = now
            self.phase = "tcp"
        elif name.endswith("connect_tcp.complete") and "tcp" in self.marks:
            check.phase_done("tcp", (now - self.marks["tcp"]) * 1000, True)
            self.phase = "proxy" if check.proxy.url else "tls"
        elif name.endswith("start_tls.started"):
            self.marks["tls"] = now
            self.phase = "tls"
            self.tls_started = True
        elif name.endswith("start_tls.complete") and "tls" in self.marks:
            stream = info.get("return_value")
            if isinstance(stream, httpcore2.AsyncNetworkStream) and check.result.tls is None:
                check.result.tls = tls_info(stream.get_extra_info("ssl_object"))
            check.phase_done("tls", (now - self.marks["tls"]) * 1000, True)
            self.phase = "http"
        elif name.endswith("send_request_headers.started"):
            self.marks["request"] = now
            if self.phase != "proxy":
                self.phase = "http"
        elif (
            name.endswith("receive_response_headers.complete")
            and "request" in self.marks
            and self.phase == "http"
            and check.result.phases["ttfb_ms"] is None
        ):
            check.phase_done("ttfb", (now - self.marks["request"]) * 1000, True)
