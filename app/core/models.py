"""The probe's vocabulary as plain data: what is checked, what a run reports while it runs,
and what TLS learned. No I/O and no behaviour, so every layer may hold these values.

They live here, below the probe, because the findings (judge, report), the wizard state and
the screens read them as much as the probe writes them: keeping them out of app.probe lets
those readers hold a probe result without importing the network code (httpx) that made it.
The results themselves (CheckResult, ProbeResult) carry findings and so live in
app.findings.results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SURFACES = ("openai", "anthropic", "dashscope")
# The optional fourth surface: the Responses API (`{openai base}/responses`), the only one
# Codex speaks; checked when asked for (`doctor --surface responses`) or when a Codex config
# of the profile is found, since it serves fewer models than the chat surface.
RESPONSES = "responses"
PHASE_KEYS = ("dns_ms", "tcp_ms", "tls_ms", "ttfb_ms", "total_ms")


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


# ---------------------------------------------------------------------------------- trust
@dataclass(frozen=True)
class TrustSource:
    """Which certificates verify the server: kind is ca-file|ssl-cert-env|os|certifi."""

    kind: str
    detail: str
    note: str | None = None  # locale key: e.g. SSL_CERT_FILE set but unreadable, ignored
    # (variable, value) of SSL_CERT_FILE / SSL_CERT_DIR settings that could not be used:
    # doctor names each one (a broken variable breaks other tools too, and hides itself).
    broken: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class TlsInfo:
    """What the TLS phase learned about a verified connection."""

    version: str | None
    cipher: str | None
    subject: str | None
    issuer: str | None
    not_after: str | None
    # The chain the server presented (DER, leaf first, bounded): which CA signed it decides
    # which client trusts it (app.clients.ca_store); never shown, never in JSON.
    chain: tuple[bytes, ...] = field(default=(), repr=False, compare=False)


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


@dataclass
class Step:
    """One HTTP exchange of a check (auth, inference)."""

    name: str
    ms: float | None = None
    http_status: int | None = None
    request_id: str | None = None
    api_code: str | None = None
