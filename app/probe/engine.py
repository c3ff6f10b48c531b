"""The connectivity engine: per surface DNS -> TCP -> TLS -> HTTP -> auth -> inference, timed.

Everything a user's SDK would do to reach Model Studio is done here step by step, so that a
failure can be named precisely (a DNS failure, an untrusted certificate, a proxy asking for a
password, a key from another region) instead of "connection error". All surfaces of a run
are checked at once (a run takes as long as its slowest surface), each check has one
overall deadline (DNS included, which httpx's timeouts do not cover), redirects are never
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
from typing import Any

import httpx

from app.core.catalog import Catalog, anthropic_probe_model, load_catalog
from app.findings.judge import (
    CERT_NAME_MAX,
    CODES,
    INFO,
    REQUEST_ID_MAX,
    WARNING,
    WORKSPACE_DENIED_CODES,
    Finding,
    body_request_id,
    classify_exception,
    inert,
    inert_or_none,
    is_socks_protocol_error,
    judge_response,
)
from app.probe.proxy import (
    ProxyChoice,
    ProxySettings,
    choose_proxy,
    refuse_key_in_settings,
    settings_from_env,
)
from app.probe.transport import PinnedBackend, PinnedTransport, Pins
from app.probe.trust import TlsInfo, TrustSource, build_ssl_context, describe_presented, tls_info
from app.secrets.key import ApiKey

SURFACES = ("openai", "anthropic", "dashscope")
PHASE_KEYS = ("dns_ms", "tcp_ms", "tls_ms", "ttfb_ms", "total_ms")
DEFAULT_TIMEOUT = 10.0
MAX_BODY_BYTES = 1_000_000
ANTHROPIC_VERSION = "2023-06-01"
_RETRYABLE = {"connect_refused", "connect_failed", "connection_reset"}
_PROXY_CODES = {
    "proxy_failed",
    "proxy_auth_required",
    "proxy_auth_refused",
    "proxy_unreachable",
    "proxy_protocol",
}
# Connection failures towards a proxy -> the `detail` tag of proxy_unreachable.
_UNREACHABLE = {
    "connect_refused": "refused",
    "connect_timeout": "timeout",
    "dns_failed": "dns",
    "connect_failed": "failed",
}
_PING = [{"role": "user", "content": "ping"}]


# --------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Target:
    """One surface of one host. role: `profile` (the user's own hosts) or `ownership`
    (another region's shared host, tried only after a 401 and with consent)."""

    surface: str
    region: str
    host: str
    base_url: str
    model: str | None = None
    role: str = "profile"
    # The profile's model when the Anthropic surface serves none for this scope: its
    # inference is skipped (an info finding says why) instead of failing a correct setup.
    unserved_model: str | None = None
    scope: str | None = None  # the profile's scope when known (names the models it offers)


def offered_models(target: Target, catalog: Catalog | None = None) -> list[str]:
    """Models to suggest after a model_not_found: the scope's (every scope's of the region
    when the scope is unknown), only those the surface serves on the Anthropic surface."""
    catalog = catalog or load_catalog()
    try:
        region = catalog.region(target.region)
    except KeyError:
        return []
    scopes = [target.scope] if target.scope in region.scopes else list(region.scopes)
    names = list(dict.fromkeys(m for s in scopes for m in catalog.ping_models(s)))
    if target.surface == "anthropic":
        served = set(catalog.anthropic_models)
        served |= {f"{m}-us" for m in served if region.scope_choice == "model-suffix"}
        names = [m for m in names if m in served]
    return names


def targets_for(
    region: str,
    endpoint_style: str,
    workspace_id: str | None,
    model: str | None = None,
    base_urls: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
    scope: str | None = None,
) -> list[Target]:
    """The three surfaces of an endpoint, URLs built by endpoints.py (the only URL builder).
    The Anthropic target carries the model that surface serves (anthropic_probe_model)."""
    from app.core.endpoints import base_urls as build_base_urls

    built = build_base_urls(region, endpoint_style, workspace_id, catalog)
    urls = built.as_dict()
    if base_urls is not None and dict(base_urls) != urls:
        # profiles.py refuses such a file already; the engine never trusts a URL it did not build
        raise ValueError("base URLs differ from the ones built for this region")
    out = []
    for s in SURFACES:
        if s == "anthropic" and model is not None:
            served = anthropic_probe_model(region, scope, model, catalog)
            unserved = model if served is None else None
            out.append(
                Target(s, region, built.host, urls[s], served, unserved_model=unserved, scope=scope)
            )
        else:
            out.append(Target(s, region, built.host, urls[s], model, scope=scope))
    return out


def ownership_targets(
    profile_region: str, profile_host: str, catalog: Catalog | None = None
) -> tuple[list[Target], list[str]]:
    """Shared hosts of every region (the profile's own included, unless it is the profile's
    host): a key of any workspace of a region works there. Also returns the regions that
    have no shared host and so cannot be checked without a workspace ID of theirs."""
    from app.core.endpoints import base_urls as build_base_urls

    catalog = catalog or load_catalog()
    targets: list[Target] = []
    unchecked: list[str] = []
    for region in catalog.regions.values():
        if region.hosts.shared is None:
            if region.id != profile_region:
                unchecked.append(region.id)
            continue
        if region.hosts.shared == profile_host:
            continue
        urls = build_base_urls(region.id, "shared", None, catalog)
        targets.append(Target("openai", region.id, urls.host, urls.openai, None, "ownership"))
    return targets, unchecked


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
    network_backend: Any = None  # inner httpcore backend (default: httpcore's AutoBackend)
    # Called with each finished run's result: how `doctor --tui` learns the verdict of the
    # screen's last run for its exit code, without the UI having to pass it back.
    on_result: Callable[[ProbeResult], None] | None = field(default=None, compare=False)


# --------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class CheckStarted:
    """`surface` is the row key: the plain surface for the profile's own checks,
    `openai@<region>` for ownership checks (so a UI keeps them off the profile's rows)."""

    check_id: int
    surface: str
    region: str
    host: str
    role: str


@dataclass(frozen=True)
class PhaseDone:
    """phase: dns | tcp | tls | ttfb | auth | inference; ms None when it did not complete."""

    check_id: int
    surface: str
    region: str
    phase: str
    ms: float | None
    ok: bool


@dataclass(frozen=True)
class CheckFinished:
    check_id: int
    surface: str
    region: str
    status: str  # pass | warn | fail | skip
    http_status: int | None
    request_id: str | None
    finding: str | None
    role: str


ProbeEvent = CheckStarted | PhaseDone | CheckFinished


# -------------------------------------------------------------------------------- results
@dataclass
class Step:
    """One HTTP exchange of a check (auth, inference)."""

    name: str
    ms: float | None = None
    http_status: int | None = None
    request_id: str | None = None
    api_code: str | None = None


@dataclass
class CheckResult:
    check_id: int
    target: Target
    status: str = "skip"
    phases: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(PHASE_KEYS))
    http_status: int | None = None
    request_id: str | None = None
    finding: Finding | None = None
    key_accepted: bool | None = None
    auth_checked: bool = False
    keyless: bool = False  # judged on an answer to a request sent without the key
    api_code: str | None = None
    tls: TlsInfo | None = None
    address: str | None = None
    proxy: str | None = None
    steps: list[Step] = field(default_factory=list)
    attempts: int = 0
    t_start: float = 0.0
    t_end: float = 0.0

    @property
    def surface(self) -> str:
        return self.target.surface

    @property
    def host(self) -> str:
        return self.target.host

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def role(self) -> str:
        return self.target.role

    @property
    def event_surface(self) -> str:
        t = self.target
        return t.surface if t.role == "profile" else f"{t.surface}@{t.region}"


@dataclass
class ProbeResult:
    checks: list[CheckResult]
    ownership: list[CheckResult]
    findings: list[Finding]
    trust: TrustSource
    proxy: str | None
    started_at: str
    unchecked_regions: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict_of(self.findings)

    @property
    def key_verified(self) -> bool:
        """True only when an answer of a profile host proved the key and none left it
        unproven (a 429, a 403: findings.key_proven); no key sent, or refused: False."""
        profile = [c for c in self.checks if c.role == "profile"]
        proven = any(c.key_accepted for c in profile)
        return proven and not any(_unverified(c) for c in profile)

    @property
    def verdict_words(self) -> str:
        """Which verdict sentence applies: a warning verdict whose key was never proven is
        "not verified", never "it works" (D17)."""
        verdict = self.verdict
        if verdict == "warn" and not self.key_verified:
            return "warn_unverified"
        return verdict

    def add_finding(self, finding: Finding) -> None:
        self.findings.append(finding)


def verdict_of(findings: list[Finding]) -> str:
    """ok (nothing), warn (warnings only), fail (any error)."""
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "fail"
    if WARNING in severities:
        return "warn"
    return "ok"


def status_of(finding: Finding | None) -> str:
    if finding is None:
        return "pass"
    severity = CODES.get(finding.code)
    if severity == INFO:
        return "skip"
    return "warn" if severity == WARNING else "fail"


# --------------------------------------------------------------------------------- engine
class _Timeline:
    """Collects httpcore `trace` events of one check into phase times (and the TLS details).

    Events are matched on their suffix: the same phase is named `connection.start_tls` on a
    direct connection, `proxy.start_tls` through an HTTP proxy and `socks.start_tls` through
    SOCKS.
    """

    def __init__(self, check: _Check) -> None:
        self.check = check
        self.marks: dict[str, float] = {}
        self.phase = "tcp"
        self.tls_started = False

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
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
            if stream is not None and check.result.tls is None:
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


@dataclass
class _Answer:
    status: int
    content_type: str
    body: bytes
    oversized: bool
    request_id: str | None
    location: str | None
    retry_after: str | None
    ms: float


class _Check:
    """One target's check: its own connection (honest per-surface timings), one deadline."""

    def __init__(self, run: _Run, check_id: int, target: Target) -> None:
        self.run = run
        self.target = target
        self.result = CheckResult(check_id, target)
        url = httpx.URL(target.base_url)
        self.url = url
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.proxy: ProxyChoice = choose_proxy(
            url.scheme, url.host, self.port, run.proxy_settings, disabled=run.options.no_proxy
        )
        self.timeline = _Timeline(self)
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

    def fail(self, code: str, *, request_ids: tuple[str, ...] = (), **params: Any) -> None:
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
            self.fail("dns_failed", name=host, reason=_gai_reason(reason))
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
                async with httpx.AsyncClient(
                    transport=transport, follow_redirects=False, trust_env=False
                ) as client:
                    await self._conversation(client)
                return
            except httpx.DecodingError:
                self.fail("unexpected_response", reason="undecodable")
                return
            except httpx.TransportError as exc:
                code, params = classify_exception(exc, self.timeline.phase)
                if self.proxy.url and not self.timeline.tls_started:
                    if self.timeline.phase == "tcp" and code in _UNREACHABLE:
                        # The TCP connection to the proxy itself failed (B5): say so.
                        params = {"detail": _UNREACHABLE[code]}
                        code = "proxy_unreachable"
                    elif code not in _PROXY_CODES and self.timeline.phase in ("tcp", "proxy"):
                        params = {"detail": code}
                        code = "proxy_failed"
                    params["proxy"] = self.proxy.redacted
                retry = (
                    code in _RETRYABLE
                    and attempt + 1 < attempts
                    and self.remaining() > 0.5
                    and r.http_status is None
                )
                if retry:
                    await asyncio.sleep(0.2)
                    self.timeline = _Timeline(self)
                    continue
                if code in ("tls_untrusted", "tls_hostname_mismatch", "tls_expired"):
                    params.update(await self._presented_certificate(backend))
                if code == "timeout" and self.timeline.phase == "tls":
                    code = "connect_timeout"
                if code == "proxy_auth_required" and _has_credentials(self.proxy.url):
                    code = "proxy_auth_refused"  # D22: sent, and refused: not "missing"
                self.fail(code, **params)
                return
            except Exception as exc:
                # httpcore lets the SOCKS parser's error through unwrapped (socksio
                # ProtocolError): a proxy that does not speak SOCKS is a finding (C13).
                if self.proxy.url is None or not is_socks_protocol_error(exc):
                    raise
                self.fail("proxy_protocol", proxy=self.proxy.redacted)
                return

    async def _presented_certificate(self, backend: PinnedBackend) -> dict[str, str]:
        """After a failed verification, read (not trust) what the server presented, so the
        user sees e.g. a corporate proxy's issuer name. A fresh connection is made, the
        handshake completes without verification, and it is closed at once: nothing, and
        certainly not the key, is ever sent over it. Not attempted through a proxy."""
        if self.proxy.url is not None or self.remaining() < 0.2:
            return {}
        peek = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        peek.check_hostname = False
        peek.verify_mode = ssl.CERT_NONE  # read-only look at the certificate; see docstring
        try:
            stream = await backend.connect_tcp(self.url.host, self.port, timeout=self.remaining())
            try:
                tls = await stream.start_tls(
                    peek, server_hostname=self.url.host, timeout=self.remaining()
                )
                der = tls.get_extra_info("ssl_object").getpeercert(binary_form=True)
                await tls.aclose()
            finally:
                await stream.aclose()
        except Exception:  # the description is a bonus; the finding stands
            return {}
        cert = describe_presented(der) if der else None
        if cert is None:
            return {}
        return {
            "issuer": cert.issuer or "-",
            "subject": cert.subject or "-",
            "names": inert(", ".join(cert.names), 2 * CERT_NAME_MAX) or "-",
            "not_after": cert.not_after or "-",
        }

    async def _conversation(self, client: httpx.AsyncClient) -> None:
        """auth (cheap authenticated GET), then the 1-token inference if that passed."""
        t = self.target
        key = self.run.key
        opts = self.run.options
        model = t.model or opts.model
        r = self.result
        if t.surface == "anthropic":
            # No cheap authenticated GET exists here (GET /v1/models answers 404), so the
            # 1-token message is both the auth and the inference check. With --no-inference
            # (nothing billable) the same request goes WITHOUT the key: a JSON 401 proves the
            # surface answers; the key itself is judged on the other surfaces of this host.
            # A model this surface does not serve in the profile's scope: reachability only.
            unserved = t.unserved_model is not None
            keyless = key is None or not opts.inference or not model or unserved
            headers = {"anthropic-version": ANTHROPIC_VERSION}
            if not keyless:
                headers["x-api-key"] = key.reveal()  # type: ignore[union-attr]
            body = {"model": model or "qwen-plus", "max_tokens": 1, "messages": _PING}
            answer = await self._send(client, "POST", "/v1/messages", headers, body)
            step_name = "reachability" if keyless else "inference"
            self._judge(answer, step_name, keyless=keyless, inference=not keyless)
            if unserved and r.finding is None and key is not None and opts.inference:
                self.fail("anthropic_model_unserved", model=t.unserved_model)
            return
        headers = {} if key is None else {"Authorization": f"Bearer {key.reveal()}"}
        answer = await self._send(client, "GET", "/models", headers, None)
        self._judge(answer, "auth", keyless=key is None, inference=False)
        if r.finding is not None or key is None or not opts.inference or not model:
            return
        if r.role != "profile":
            return
        if t.surface == "openai":
            path = "/chat/completions"
            body = {"model": model, "messages": _PING, "max_tokens": 1}
        else:
            path = "/services/aigc/text-generation/generation"
            body = {
                "model": model,
                "input": {"messages": _PING},
                "parameters": {"result_format": "message", "max_tokens": 1},
            }
        answer = await self._send(client, "POST", path, headers, body)
        self._judge(answer, "inference", keyless=False, inference=True)

    def _judge(self, answer: _Answer, step: str, *, keyless: bool, inference: bool) -> None:
        r = self.result
        r.http_status = answer.status
        judged = judge_response(
            answer.status,
            answer.content_type,
            answer.body,
            oversized=answer.oversized,
            inference=inference,
            location=answer.location,
            retry_after=answer.retry_after,
        )
        request_id = answer.request_id or body_request_id(_maybe_json(answer))
        r.request_id = request_id or r.request_id
        r.steps.append(Step(step, round(answer.ms, 1), answer.status, request_id, judged.api_code))
        self.phase_done(step, answer.ms, judged.code is None)
        if judged.api_code:
            r.api_code = judged.api_code
        if keyless:
            r.keyless = True
            if judged.code == "key_rejected" or judged.code is None:
                return  # the surface answered as Model Studio does; the key was not sent
        else:
            r.auth_checked = r.auth_checked or judged.key_accepted is not None
            if judged.key_accepted is not None:
                r.key_accepted = judged.key_accepted
        if judged.code is not None:
            params = dict(judged.params)
            if inference:
                params["model"] = self.target.model or self.run.options.model
            if judged.code == "model_not_found":
                params["models"] = ", ".join(offered_models(self.target))
            self.fail(judged.code, request_ids=(request_id,) if request_id else (), **params)

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any,
    ) -> _Answer:
        url = self.target.base_url + path
        timeout = httpx.Timeout(max(self.remaining(), 0.05))
        request = client.build_request(
            method,
            url,
            headers={"User-Agent": _user_agent(), "Accept": "application/json", **headers},
            json=body,
            timeout=timeout,
            extensions={"trace": self.timeline},
        )
        started = time.monotonic()
        response = await client.send(request, stream=True)
        cap = self.run.options.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        oversized = False
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    oversized = True
                    break
                chunks.append(chunk)
        finally:
            await response.aclose()
        return _Answer(
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=b"".join(chunks),
            oversized=oversized,
            # Whoever answers chooses this header (B45): inert and bounded from here on.
            request_id=inert_or_none(response.headers.get("x-request-id"), REQUEST_ID_MAX),
            location=response.headers.get("location"),
            retry_after=response.headers.get("retry-after"),
            ms=(time.monotonic() - started) * 1000,
        )


def _maybe_json(answer: _Answer) -> Any:
    from app.findings.judge import parse_json

    ok, value = parse_json(answer.content_type, answer.body)
    return value if ok else None


def _has_credentials(url: str | None) -> bool:
    from app.probe.proxy import proxy_credentials

    return url is not None and proxy_credentials(url) is not None


def _shown_proxy(value: str | None) -> str:
    """A proxy URL or NO_PROXY entry as doctor prints it: inert, and never a key (T17)."""
    from app.core.text import hide_if_key

    return inert(hide_if_key(value or "-"), 200)


def _gai_reason(errno_value: int | None) -> str:
    names = {
        socket.EAI_NONAME: "nxdomain",
        socket.EAI_AGAIN: "temporary",
        getattr(socket, "EAI_NODATA", -5): "no_address",
    }
    return names.get(errno_value, "lookup_failed") if errno_value is not None else "lookup_failed"


def _user_agent() -> str:
    from app import __version__

    return f"modelstudio-setup/{__version__} (doctor)"


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

    def inner_backend(self) -> Any:
        if self.options.network_backend is not None:
            return self.options.network_backend
        from httpcore._backends.auto import AutoBackend

        return AutoBackend()

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def proxy_summary(self, targets: list[Target]) -> str | None:
        for target in targets:
            url = httpx.URL(target.base_url)
            choice = choose_proxy(
                url.scheme,
                url.host,
                url.port or 443,
                self.proxy_settings,
                disabled=self.options.no_proxy,
            )
            if choice.url:
                return f"{_shown_proxy(choice.redacted)} ({choice.variable})"
            bypass = self._bypass_summary(url.scheme, url.host, url.port or 443)
            if choice.bypassed_by_no_proxy and bypass:
                return bypass
        return None

    def _bypass_summary(self, scheme: str, host: str, port: int) -> str | None:
        """D22: a proxy variable that NO_PROXY bypassed is named, with the entry that matched:
        "direct (NO_PROXY=.aliyuncs.com matches; HTTPS_PROXY=http://***:***@p:3128 bypassed)"."""
        from app.core.i18n import t
        from app.probe.proxy import bypassed, redact_proxy_url

        settings = self.proxy_settings
        if settings is None:
            return None
        if scheme == "https" and settings.https:
            variable, value = settings.https_var, settings.https
        elif scheme != "https" and settings.http:
            variable, value = settings.http_var, settings.http
        else:
            variable, value = settings.all_var, settings.all
        if not value:
            return None
        entry = next((e for e in settings.no_proxy if bypassed(host, port, (e,))), "-")
        return t(
            "doctor.proxy_bypassed",
            entry=_shown_proxy(entry),
            variable=(variable or "HTTPS_PROXY").upper(),
            proxy=_shown_proxy(redact_proxy_url(value)),
        )

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
        proxy=run.proxy_summary(targets),
        started_at=started_at,
    )
    refused = [c for c in checks if c.role == "profile" and _key_refused(c)]
    if any(c.api_code in WORKSPACE_DENIED_CODES for c in refused):
        # Only the native surface names the workspace (Workspace.AccessDenied); the other
        # surfaces of that host answer a generic 403 for the same refusal.
        hosts = {c.host for c in refused}
        refused += [
            c
            for c in checks
            if c not in refused
            and c.host in hosts
            and c.finding is not None
            and c.finding.code == "access_denied"
            and c.http_status == 403
        ]
    if refused and key is not None:
        await _explain_refusal(run, result, refused, key)
    unverified = [c for c in checks if _unverified(c) and c.finding is not None]
    if unverified and not refused and key is not None and options.consent_all_regions:
        await _find_owner_of_unverified(run, result, unverified)
    result.findings = _merge_findings(
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
    url = httpx.URL(check.target.base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return options.pins.route(url.host, port) != (url.host, port, False)


def _unverified(check: CheckResult) -> bool:
    """The key was sent to a profile host, answers came back, and none proved it."""
    return (
        check.role == "profile"
        and not check.keyless
        and check.http_status is not None
        and check.key_accepted is None
    )


async def _find_owner_of_unverified(
    run: _Run, result: ProbeResult, unverified: list[CheckResult]
) -> None:
    """With consent, after answers that prove nothing (a 429 before the key was checked):
    ask the other regions' shared hosts. Only a key accepted elsewhere and not in this
    region changes the finding; otherwise the original one (e.g. rate_limited) stands."""
    first = unverified[0]
    targets, unchecked = ownership_targets(first.region, first.host)
    result.unchecked_regions = unchecked
    result.ownership = await run.check_all(targets)
    accepted = [c for c in result.ownership if c.key_accepted]
    if not accepted or any(c.region == first.region for c in accepted):
        return
    regions = tuple(dict.fromkeys(c.region for c in accepted))
    ids = tuple(sorted({c.request_id for c in unverified if c.request_id}))
    for c in unverified:
        params = {"regions": regions, "unchecked": tuple(unchecked)}
        c.finding = Finding("key_other_region", c.surface, c.region, c.host, ids, params)
        c.status = status_of(c.finding)


def _key_refused(check: CheckResult) -> bool:
    if check.finding is None:
        return False
    if check.finding.code == "key_rejected":
        return True
    return check.api_code in WORKSPACE_DENIED_CODES


async def _explain_refusal(
    run: _Run, result: ProbeResult, refused: list[CheckResult], key: ApiKey
) -> None:
    """Turn "401" into the real cause: a plan key, another workspace, another region."""
    first = refused[0]
    region, host = first.region, first.host
    ids = tuple(sorted({c.request_id for c in refused if c.request_id}))

    def replace(code: str, **params: Any) -> None:
        for c in refused:
            c.finding = Finding(code, c.surface, c.region, c.host, ids, params)

    if key.is_plan_key:
        replace("plan_key_mismatch")
        return
    workspace_denied = any(c.api_code in WORKSPACE_DENIED_CODES for c in refused)
    if not run.options.consent_all_regions:
        if first.finding is not None and first.finding.code == "key_rejected":
            replace("key_rejected", consent="no")
        elif workspace_denied:
            replace("workspace_access_denied", status=403, api_code="Workspace.AccessDenied")
        return
    targets, unchecked = ownership_targets(region, host)
    result.unchecked_regions = unchecked
    result.ownership = await run.check_all(targets)
    accepted = [c for c in result.ownership if c.key_accepted]
    same = [c for c in accepted if c.region == region]
    others = [c for c in accepted if c.region != region]
    # Region ids: Finding renders them as names of the language shown (E27).
    unchecked_ids = tuple(unchecked)
    if same:
        replace("key_other_workspace", shared=same[0].host)
    elif others:
        # Not `ids`: `replace` reads the request ids from that name when it runs (QA: the
        # region ids were shown as "Request ids (for support)").
        regions = tuple(dict.fromkeys(c.region for c in others))
        replace("key_other_region", regions=regions, unchecked=unchecked_ids)
    elif first.finding is not None and first.finding.code == "key_rejected":
        replace("key_rejected", consent="yes", unchecked=unchecked_ids)
    elif workspace_denied:
        replace("workspace_access_denied", status=403, api_code="Workspace.AccessDenied")


def _merge_findings(findings: list[Finding]) -> list[Finding]:
    """One finding per (code, host): the three surfaces of a host usually fail together."""
    merged: dict[tuple[str, str | None], Finding] = {}
    surfaces: dict[tuple[str, str | None], list[str]] = {}
    for f in findings:
        k = (f.code, f.host)
        if k not in merged:
            merged[k] = f
            surfaces[k] = [f.surface] if f.surface else []
            continue
        old = merged[k]
        ids = tuple(dict.fromkeys(old.request_ids + f.request_ids))
        merged[k] = Finding(old.code, old.surface, old.region, old.host, ids, old.params)
        if f.surface and f.surface not in surfaces[k]:
            surfaces[k].append(f.surface)
    out = []
    for k, f in merged.items():
        params = dict(f.params)
        params["surfaces"] = tuple(surfaces[k])  # ids; shown as names (E27)
        out.append(Finding(f.code, f.surface, f.region, f.host, f.request_ids, params))
    return out
