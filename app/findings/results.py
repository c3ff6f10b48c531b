"""What a probe run found, as data: one CheckResult per target, and the run's ProbeResult.

The probe fills these; the report, the wizard state and the screens read them. They live in
the findings layer (not in app.probe) because each check carries its Finding, and so that
a reader of results never imports the network code that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.models import PHASE_KEYS, Step, Target, TlsInfo, TrustSource
from app.findings.codes import Finding
from app.findings.summarize import verdict_of, verdict_words


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
    # The name of the token limit the service accepted in the 1-token call (None = no
    # successful call): max_completion_tokens or the deprecated max_tokens.
    token_field: str | None = None
    # The model pinged instead of the profile's, and why (no_model | not_listed |
    # catalog_fallback): chosen from the key's model list (app.probe.model_list).
    ping_model: str | None = None
    ping_model_reason: str | None = None
    # The models the key's list names that fit the target's scope (the auth step's answer;
    # empty when it could not be read): the wizard offers them as the profile's model.
    listed_models: tuple[str, ...] = ()
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
        if t.role == "profile":
            return t.surface
        # A plan host shares its region id with that region's shared host: keep the rows apart.
        plan = _plan_kind(t.host)
        return f"{t.surface}@{t.region}" if plan is None else f"{t.surface}@{t.region}/{plan}"

    @property
    def unverified(self) -> bool:
        """The key was sent to a profile host, answers came back, and none proved it."""
        return (
            self.role == "profile"
            and not self.keyless
            and self.http_status is not None
            and self.key_accepted is None
        )


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
        return proven and not any(c.unverified for c in profile)

    @property
    def verdict_words(self) -> str:
        """Which verdict sentence applies (app.findings.summarize.verdict_words)."""
        return verdict_words(self.verdict, self.key_verified)

    @property
    def listed_models(self) -> tuple[str, ...]:
        """The key's models that fit the profile's scope, from the first profile surface
        whose list could be read (OpenAI-compatible first); empty when none could."""
        for check in self.checks:
            if check.role == "profile" and check.listed_models:
                return check.listed_models
        return ()

    def add_finding(self, finding: Finding) -> None:
        self.findings.append(finding)


def _plan_kind(host: str) -> str | None:
    """coding | token for a plan host (MODEL_STUDIO.md section 2), None otherwise. Findings
    sit below the probe, so this reads the host names rather than app.probe.targets."""
    if host in ("coding.dashscope.aliyuncs.com", "coding-intl.dashscope.aliyuncs.com"):
        return "coding"
    if host.startswith("token-plan.") and host.endswith(".maas.aliyuncs.com"):
        return "token"
    return None
