"""The connectivity engine: per surface DNS -> TCP -> TLS -> HTTP -> auth -> inference, timed.

Everything a user's SDK would do to reach Model Studio is done here step by step, so that a
failure can be named precisely (a DNS failure, an untrusted certificate, a proxy asking for a
password, a key from another region) instead of "connection error". All surfaces of a run
are checked at once (a run takes as long as its slowest surface), each check has one
overall deadline (DNS included, which httpx2's timeouts do not cover), redirects are never
followed, bodies are read up to a cap, and only connection errors are retried.

The engine takes explicit inputs (targets, key, options) rather than a profile, so the CLI
(`doctor`) and the TUI drive it the same way; `on_event` reports progress as small
dataclasses so a UI can fill rows in live.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpcore2
import httpx2

from app.core.models import (
    PHASE_KEYS,
    CheckFinished,
    CheckStarted,
    PhaseDone,
    ProbeEvent,
    Target,
    TrustSource,
)
from app.core.text import inert
from app.findings.codes import Finding
from app.findings.judge import merge_findings
from app.findings.results import CheckResult, ProbeResult
from app.findings.summarize import status_of
from app.probe.classify import (
    RETRYABLE,
    classify_exception,
    gai_reason,
    is_socks_protocol_error,
    through_proxy,
)
from app.probe.ownership import explain_refusal, find_owner_of_unverified, refused_checks
from app.probe.proxy import (
    ProxyChoice,
    ProxySettings,
    choose_proxy,
    has_credentials,
    proxy_summary,
    refuse_key_in_settings,
    settings_from_env,
)
from app.probe.surfaces import USER_AGENT, Answer, converse, send
from app.probe.timeline import Timeline
from app.probe.transport import PinnedBackend, PinnedTransport, Pins, default_backend
from app.probe.trust import build_ssl_context, presented_certificate
from app.secrets.key import ApiKey

DEFAULT_TIMEOUT = 10.0
MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class ProbeOptions:
    """Everything about how to probe; the network pieces are injectable for tests."""

    timeout: float = DEFAULT_TIMEOUT
    inference: bool = True
    model: str | None = None
    no_proxy: bool = False
    env: Mapping[str, str] | None = None  # proxy and SSL_CERT_* variables; None = os.environ
    pins: Pins = field(default_factory=Pins)
    ca_file: str | None = None
    consent_all_regions: bool = False
    connect_retries: int = 1
    max_body_bytes: int = MAX_BODY_BYTES
    ssl_context: ssl.SSLContext | None = None  # with `trust`, replaces the trust chain
    trust: TrustSource | None = None
    network_backend: httpcore2.AsyncNetworkBackend | None = None  # default: AnyIOBackend
    # Called with each finished run's result: how `doctor --tui` learns the verdict of the
    # screen's last run for its exit code, without the UI having to pass it back.
    on_result: Callable[[ProbeResult], None] | None = field(default=None, compare=False)


class _Check:
    """One target's check: its own connection (honest per-surface timings), one deadline."""

    def __init__(self, run: _Run, check_id: int, target: Target) -> None:
        self.run = run
        self.target = target
        self.result = CheckResult(check_id, target)
        url = httpx2.URL(target.base_url)
        self.url = url
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.proxy: ProxyChoice = choose_proxy(
            url.scheme, url.host, self.port, run.proxy_settings, disabled=run.options.no_proxy
        )
        self.timeline = Timeline(self)
        self.deadline = 0.0
        self._in_dns = False
        self._dns_name = "-"
        self._routed: tuple[str, int] = (url.host, self.port)

    # -- events
    def emit(self, event: ProbeEvent) -> None:
        if self.run.on_event is not None:
            self.run.on_event(event)

    def phase_done(self, phase: str, ms: float | None, ok: bool) -> None:
        if ms is not None and f"{phase}_ms" in PHASE_KEYS:
            self.result.phases[f"{phase}_ms"] = round(ms, 1)
        r = self.result
        self.emit(PhaseDone(r.check_id, r.event_surface, r.region, phase, ms, ok))

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def fail(self, code: str, *, request_ids: tuple[str, ...] = (), **params: object) -> None:
        t = self.target
        self.result.finding = Finding(
            code, t.surface, t.region, t.host, tuple(i for i in request_ids if i), params
        )

    # -- the whole check
    async def run_check(self) -> CheckResult:
        r = self.result
        opts = self.run.options
        r.t_start = time.monotonic()
        self.deadline = r.t_start + opts.timeout
        r.proxy = self.proxy.redacted
        self.emit(CheckStarted(r.check_id, r.event_surface, r.region, r.host, r.role))
        try:
            await asyncio.wait_for(self._body(), timeout=opts.timeout)
        except asyncio.TimeoutError:
            phase = self.timeline.phase
            if phase == "dns" or self._in_dns:
                self.fail("dns_failed", name=self._dns_name, reason="timeout")
            elif self.proxy.url and phase == "tcp":
                self.fail("proxy_unreachable", detail="timeout", proxy=self.proxy.redacted)
            elif self.proxy.url and phase == "proxy":
                self.fail("proxy_failed", detail="timeout", proxy=self.proxy.redacted)
            elif phase in ("tcp", "tls"):
                self.fail("connect_timeout", seconds=opts.timeout)
            else:
                self.fail("timeout", seconds=opts.timeout, phase=phase)
        r.t_end = time.monotonic()
        r.phases["total_ms"] = round((r.t_end - r.t_start) * 1000, 1)
        r.status = status_of(r.finding)
        if r.finding is None and r.keyless:
            # Reachable, but the key was not sent (none usable, or --no-inference on the
            # Anthropic surface): a 401 here proves nothing about the key, so never "pass".
            r.status = "skip"
        if r.role == "ownership" and r.finding is not None and r.finding.code == "key_rejected":
            r.status = "fail"
        self.emit(
            CheckFinished(
                r.check_id,
                r.event_surface,
                r.region,
                r.status,
                r.http_status,
                r.request_id,
                r.finding.code if r.finding else None,
                r.role,
            )
        )
        return r

    async def _body(self) -> None:
        addresses = await self._dns()
        if addresses is None:
            return
        await self._exchanges(addresses)

    async def _dns(self) -> list[str] | None:
        """Own, timed lookup of the name the connection will really use (curl's view)."""
        if self.proxy.url is not None:
            return []  # the proxy resolves names; a local DNS failure is not ours to judge
        host, port, _ = self.run.options.pins.route(self.url.host, self.port)
        self._dns_name = host
        self._in_dns = True
        self.timeline.phase = "dns"
        started = time.monotonic()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:  # a literal (e.g. a --resolve pin): nothing to look up
            self._in_dns = False
            self.phase_done("dns", (time.monotonic() - started) * 1000, True)
            self.timeline.phase = "tcp"
            self._routed = (host, port)
            return [host]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            self.phase_done("dns", (time.monotonic() - started) * 1000, False)
            reason = getattr(exc, "errno", None)
            self.fail("dns_failed", name=host, reason=gai_reason(reason))
            return None
        finally:
            self._in_dns = False
        self.phase_done("dns", (time.monotonic() - started) * 1000, True)
        self.timeline.phase = "tcp"
        addresses: list[str] = []
        for info in infos:
            addr = str(info[4][0])
            if addr not in addresses:
                addresses.append(addr)
        self._routed = (host, port)
        return addresses

    async def _exchanges(self, addresses: list[str]) -> None:
        opts = self.run.options
        r = self.result
        attempts = 1 + max(opts.connect_retries, 0)
        for attempt in range(attempts):
            r.attempts = attempt + 1
            # Pins route the origin connection only: through a proxy the proxy's own
            # address must not be rewritten (S3), and the proxy resolves the origin itself.
            pins = Pins() if self.proxy.url else opts.pins
            backend = PinnedBackend(pins=pins, inner=self.run.inner_backend())
            if addresses:
                backend.resolved[self._routed] = addresses[attempt % len(addresses)]
                r.address = f"{addresses[attempt % len(addresses)]}:{self._routed[1]}"
            transport = PinnedTransport(self.run.ssl_context, backend, self.proxy.url)
            try:
                async with httpx2.AsyncClient(
                    transport=transport, follow_redirects=False, trust_env=False
                ) as client:
                    await converse(self, client)
                return
            except httpx2.DecodingError:
                self.fail("unexpected_response", reason="undecodable")
                return
            except httpx2.TransportError as exc:
                code, params = classify_exception(exc, self.timeline.phase)
                if self.proxy.url and not self.timeline.tls_started:
                    phase = self.timeline.phase
                    code, params = through_proxy(code, params, phase, self.proxy.redacted)
                retry = (
                    code in RETRYABLE
                    and attempt + 1 < attempts
                    and self.remaining() > 0.5
                    and r.http_status is None
                )
                if retry:
                    await asyncio.sleep(0.2)
                    self.timeline = Timeline(self)
                    continue
                if code in ("tls_untrusted", "tls_hostname_mismatch", "tls_expired"):
                    params.update(await self._presented_certificate(backend))
                if code == "timeout" and self.timeline.phase == "tls":
                    code = "connect_timeout"
                if code == "proxy_auth_required" and has_credentials(self.proxy.url):
                    code = "proxy_auth_refused"  # D22: sent, and refused: not "missing"
                self.fail(code, **params)
                return
            except Exception as exc:
                # httpcore2 lets the SOCKS parser's error through unwrapped (socksio
                # ProtocolError): a proxy that does not speak SOCKS is a finding (C13).
                if self.proxy.url is None or not is_socks_protocol_error(exc):
                    raise
                self.fail("proxy_protocol", proxy=self.proxy.redacted)
                return

    async def _presented_certificate(self, backend: PinnedBackend) -> dict[str, str]:
        """What the server presented, read without trusting it (app.probe.trust's peek:
        nothing is sent over that connection). Not attempted through a proxy."""
        if self.proxy.url is not None or self.remaining() < 0.2:
            return {}
        return await presented_certificate(backend, self.url.host, self.port, self.remaining())

    # -- what app.probe.surfaces asks of a check (SurfaceCheck)
    @property
    def key(self) -> ApiKey | None:
        return self.run.key

    @property
    def inference(self) -> bool:
        return self.run.options.inference

    @property
    def model(self) -> str | None:
        return self.target.model or self.run.options.model

    async def send(
        self,
        client: httpx2.AsyncClient,
        method: str,
        path: str,
        headers: dict[str, str],
        body: object,
    ) -> Answer:
        """One request of this check, inside its deadline, timed by its timeline."""
        request = client.build_request(
            method,
            self.target.base_url + path,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            json=body,
            timeout=httpx2.Timeout(max(self.remaining(), 0.05)),
            extensions={"trace": self.timeline},
        )
        return await send(client, request, self.run.options.max_body_bytes)


class _Run:
    """State shared by the checks of one run: options, key, trust, proxy settings."""

    def __init__(
        self,
        key: ApiKey | None,
        options: ProbeOptions,
        on_event: Callable[[ProbeEvent], None] | None,
    ) -> None:
        self.key = key
        self.options = options
        self.on_event = on_event
        env = options.env if options.env is not None else os.environ
        refuse_key_in_settings(env, options.ca_file, key.reveal() if key else None)
        self.proxy_settings: ProxySettings | None = (
            None if options.no_proxy else settings_from_env(env)
        )
        if options.ssl_context is not None:
            self.ssl_context = options.ssl_context
            self.trust = options.trust or TrustSource("custom", "injected SSL context")
        else:
            self.ssl_context, self.trust = build_ssl_context(options.ca_file, env)
        self._ids = 0

    def inner_backend(self) -> httpcore2.AsyncNetworkBackend:
        if self.options.network_backend is not None:
            return self.options.network_backend
        return default_backend()

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    async def check_all(self, targets: list[Target]) -> list[CheckResult]:
        checks = [_Check(self, self.next_id(), t) for t in targets]
        return list(await asyncio.gather(*(c.run_check() for c in checks)))


def prepare(options: ProbeOptions) -> None:
    """Validate the run's settings (trust file, proxy variables) before anything is sent,
    raising UserError, so a bad flag costs no network call."""
    _Run(None, options, None)


async def run_checks(
    targets: list[Target],
    key: ApiKey | None,
    options: ProbeOptions,
    on_event: Callable[[ProbeEvent], None] | None = None,
) -> ProbeResult:
    """Check every target concurrently; after a 401, and only with consent, find the region
    (or workspace) the key belongs to. Raises UserError for unusable settings."""
    run = _Run(key, options, on_event)
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    checks = await run.check_all(targets)
    result = ProbeResult(
        checks=checks,
        ownership=[],
        findings=[],
        trust=run.trust,
        proxy=proxy_summary(
            (t.base_url for t in targets), run.proxy_settings, disabled=options.no_proxy
        ),
        started_at=started_at,
    )
    refused = refused_checks(checks)
    consent = options.consent_all_regions
    if refused and key is not None:
        await explain_refusal(run.check_all, consent, result, refused, key)
    unverified = [c for c in checks if c.unverified and c.finding is not None]
    if unverified and not refused and key is not None and consent:
        await find_owner_of_unverified(run.check_all, result, unverified)
    result.findings = merge_findings(
        [c.finding for c in checks if c.finding is not None] + result.findings
    )
    pinned = [c for c in checks if c.role == "profile" and c.proxy and _pinned(options, c)]
    if pinned:
        first = pinned[0]
        params = {"proxy": first.proxy}
        result.findings.append(
            Finding("pins_not_applied", None, first.region, first.host, (), params)
        )
    for variable, value in run.trust.broken:
        params = {"variable": variable, "path": inert(value)}
        result.findings.append(Finding("ssl_cert_env_broken", None, None, None, (), params))
    if options.on_result is not None:
        options.on_result(result)
    return result


def _pinned(options: ProbeOptions, check: CheckResult) -> bool:
    """Whether a --resolve / --connect-to rule matches this check's host (and so was not
    applied, the check having gone through a proxy)."""
    url = httpx2.URL(check.target.base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return options.pins.route(url.host, port) != (url.host, port, False)
