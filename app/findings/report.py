"""A probe result as text (terminal), JSON (scripts) and Markdown (support tickets).

All three are built from the same `DoctorReport`, which holds only what may be shown: the
key appears nowhere in it except as its masked form, so no renderer can leak it. Colour is
never the only signal: every row has a symbol (✓ ! ✗ -) and a word.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from app.config.region_switch import joined, region_label, scope_label
from app.core.i18n import t
from app.core.models import PHASE_KEYS
from app.core.text import inert
from app.findings import client_section, stream_section
from app.findings.codes import Finding, markdown_inline
from app.findings.results import CheckResult, ProbeResult
from app.findings.waterfall import axis_of, bar, describe, layout, legend, timeline

SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-"}
SEVERITY_SYMBOLS = {"error": "✗", "warning": "!", "info": "i"}
PACKAGES = ("modelstudio-setup", "httpx2", "httpcore2", "truststore", "certifi", "keyring")


@dataclass
class DoctorReport:
    """Everything a doctor run shows, already redacted."""

    profile: str | None
    region: str | None
    scope: str | None
    model: str | None
    result: ProbeResult
    environment: dict[str, Any] = field(default_factory=dict)
    # What the clients read (app.clients.environment's JSON form, client_names added);
    # None when it was not read (the wizard's Connectivity step, --no-environment).
    clients: dict[str, Any] | None = None
    # The streaming check's samples (doctor --stream); None when it did not run.
    stream: list[stream_section.StreamSample] | None = None

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @classmethod
    def of(cls, value: DoctorReport | ProbeResult) -> DoctorReport:
        """Accept a bare ProbeResult too (the TUI holds one): profile fields from its checks."""
        if isinstance(value, DoctorReport):
            return value
        first = value.checks[0] if value.checks else None
        return cls(
            profile=None,
            region=first.region if first else None,
            scope=None,
            model=first.target.model if first else None,
            result=value,
            environment=environment(
                proxy=value.proxy,
                no_proxy=False,
                trust=value.trust.describe(),
                keyring_backend=None,
                key_source=None,
                key_masked=None,
            ),
        )


def environment(
    *,
    proxy: str | None,
    no_proxy: bool,
    trust: str,
    keyring_backend: str | None,
    key_source: str | None,
    key_masked: str | None,
) -> dict[str, Any]:
    """OS, Python, package versions and the run's settings; proxies arrive redacted."""
    versions: dict[str, str | None] = {}  # None: not installed
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "proxy": proxy,
        "no_proxy_flag": no_proxy,
        "trust_source": trust,
        "keyring_backend": keyring_backend,
        "key_source": key_source,
        "key": key_masked,
    }


# ------------------------------------------------------------------------------------ JSON
def _check_json(check: CheckResult) -> dict[str, Any]:
    return {
        "surface": check.surface,
        "host": check.host,
        "region": check.region,
        "phases": {k: check.phases.get(k) for k in PHASE_KEYS},
        "status": check.status,
        "http_status": check.http_status,
        "request_id": check.request_id,
        "finding": check.finding.code if check.finding else None,
        "key_accepted": check.key_accepted,
        "model": check.target.model,
        "token_field": check.token_field,
        "ping_model": check.ping_model,
        "ping_model_reason": check.ping_model_reason,
        "key_sent": not check.keyless if check.http_status is not None else None,
        "address": check.address,
        "tls": (
            {
                "version": check.tls.version,
                "subject": check.tls.subject,
                "issuer": check.tls.issuer,
                "not_after": check.tls.not_after,
            }
            if check.tls
            else None
        ),
        "steps": [
            {"name": s.name, "ms": s.ms, "http_status": s.http_status, "request_id": s.request_id}
            for s in check.steps
        ],
        "waterfall": [{"phase": p, "ms": round(ms, 1)} for p, ms in check_timeline(check)],
    }


def _inert_tree(value: Any) -> Any:
    """Every string of the JSON document without control characters (B45): json.dumps
    escapes C0 but writes C1 characters such as U+009B (CSI) raw, which some terminals run."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, dict):
        return {k: _inert_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_inert_tree(v) for v in value]
    return value


def to_json(report: DoctorReport | ProbeResult) -> dict[str, Any]:
    """The stable `doctor --json` schema (issue 3 section 3), plus a few extra fields."""
    tree: dict[str, Any] = _inert_tree(_json(DoctorReport.of(report)))  # a dict stays one
    return tree


def _json(report: DoctorReport) -> dict[str, Any]:
    r = report.result
    return {
        "profile": report.profile,
        "region": report.region,
        "scope": report.scope,
        "model": report.model,
        "verdict": report.verdict,
        "key_verified": r.key_verified,
        "checks": [_check_json(c) for c in r.checks],
        "findings": [f.to_json() for f in r.findings],
        "ownership": [_check_json(c) for c in r.ownership],
        "unchecked_regions": list(r.unchecked_regions),
        "started_at": r.started_at,
        "environment": report.environment,
        "clients": report.clients,
        # only when the streaming check ran (doctor --stream): the schema is otherwise as it was
        **({"stream": [s.to_json() for s in report.stream]} if report.stream is not None else {}),
    }


# ------------------------------------------------------------------------------------ text
def check_timeline(check: CheckResult) -> list[tuple[str, float]]:
    """A check's phases for the waterfall (app.findings.waterfall): they add up to its total."""
    steps = [(s.name, s.ms) for s in check.steps]
    return timeline(check.phases, steps, check.phases.get("total_ms"))


def _connection_text(check: CheckResult) -> str:
    """Where the connection went and what TLS said: what a pin or a proxy changed."""
    parts = []
    if check.address:
        parts.append(t("doctor.connected_to", address=check.address))
    if check.proxy:
        parts.append(t("doctor.via_proxy", proxy=check.proxy))
    if check.tls:
        parts.append(
            t(
                "doctor.tls_line",
                version=check.tls.version or "-",
                issuer=check.tls.issuer or "-",
                not_after=check.tls.not_after or "-",
            )
        )
    return " · ".join(parts)


def _header(report: DoctorReport) -> list[str]:
    r = report.result
    host = r.checks[0].host if r.checks else "-"
    return [
        t(
            "doctor.title",
            profile=report.profile or "-",
            region=region_label(report.region) if report.region else "-",
            scope=scope_label(report.scope),
        ),
        t("doctor.host_line", host=host, model=report.model or "-"),
    ]


def render_text(report: DoctorReport | ProbeResult) -> str:
    report = DoctorReport.of(report)
    r = report.result
    lines = [*_header(report), ""]
    timelines = [check_timeline(c) for c in r.checks]
    axis = axis_of(timelines)  # one time axis for every row
    for check, phases in zip(r.checks, timelines, strict=True):
        symbol = SYMBOLS.get(check.status, "?")
        word = t(f"doctor.status_{check.status}")
        name = t(f"doctor.surface_{check.surface}")
        http = f"HTTP {check.http_status}" if check.http_status else "-"
        cells = bar(layout(phases, axis))
        lines.append(f"{symbol} {name:<22} {word:<6} {http:<9} {cells}".rstrip())
        if check.status == "skip" and check.keyless:
            lines.append("    " + t("doctor.row_keyless"))
        if phases:
            lines.append(f"    {describe(phases)}")
        connection = _connection_text(check)
        if connection:
            lines.append(f"    {connection}")
        if check.request_id:
            lines.append("    " + t("doctor.request_id", id=check.request_id))
        if check.ping_model:
            why = t(f"doctor.ping_reason_{check.ping_model_reason}")
            lines.append("    " + t("doctor.ping_model", model=check.ping_model, why=why))
    if any(timelines):
        lines.append("  " + legend())
    lines += stream_section.text_lines(report.stream)
    if r.ownership:
        lines += ["", t("doctor.ownership_title")]
        for check in r.ownership:
            accepted = {True: "✓", False: "✗", None: "?"}[check.key_accepted]
            http = f"HTTP {check.http_status}" if check.http_status else "-"
            lines.append(f"  {accepted} {check.region:<16} {check.host:<40} {http}")
    lines += ["", t(f"doctor.verdict_{r.verdict_words}"), ""]
    if r.findings:
        lines.append(t("doctor.findings_title"))
        for f in r.findings:
            lines.append(f"{SEVERITY_SYMBOLS.get(f.severity, '?')} [{f.code}] {f.message}")
            lines.append("    " + t("doctor.remedy", remedy=f.remedy))
            where = _where(f)
            if where is not None:
                lines.append("    " + where)
            if f.request_ids:
                lines.append("    " + t("doctor.request_ids", ids=", ".join(f.request_ids)))
        lines.append("")
    lines.append(t("doctor.environment_title"))
    lines += ["  " + t("doctor.env_line", key=k, value=v) for k, v in _env(report)]
    lines += client_section.text_lines(report.clients)
    # Values are made inert where they are captured; this pass guarantees that nothing a
    # server or an environment variable chose can drive the terminal (B45).
    return "\n".join(inert(line) for line in lines) + "\n"


def _where(finding: Finding) -> str | None:
    """`Where: OpenAI-compatible, … · region Singapore (ap-southeast-1)`, or None."""
    surfaces = finding.surfaces
    if not surfaces:
        return None
    names = joined([t(f"doctor.surface_{s}") for s in surfaces])
    region = region_label(finding.region) if finding.region else "-"
    return t("doctor.where", surfaces=names, region=region)


def _env(report: DoctorReport) -> list[tuple[str, str]]:
    return _environment_lines(report.environment)


def _environment_lines(env: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in env.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v or '-'}" for k, v in value.items())
        elif isinstance(value, bool):  # words, not Python's True/False (B28)
            value = t("doctor.bool_yes" if value else "doctor.bool_no")
        out.append((t(f"doctor.env_{key}"), "-" if value in (None, "") else str(value)))
    return out


# -------------------------------------------------------------------------------- Markdown
def _md(value: object) -> str:
    """Table-cell / list-item safe text: shown literally (no link, tag, emphasis or code
    span can open), no pipe ends the cell, no control character (B45)."""
    return markdown_inline(inert(value if value is not None else "-"))


def _md_code(value: object) -> str:
    """A value as a Markdown code span that its content cannot close: the fence is one
    backtick longer than the longest run inside (CommonMark), pipes escaped for tables."""
    text = inert(value if value is not None else "-").replace("|", "\\|")
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if longest or text.startswith(" ") or text.endswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(report: DoctorReport | ProbeResult) -> str:
    """A shareable, redacted report for a support ticket (the key is never in it)."""
    report = DoctorReport.of(report)
    r = report.result
    out = [f"# {t('doctor.report_title')}", ""]
    out += [f"- {_md(line)}" for line in _header(report)]
    out += ["- " + t("doctor.report_verdict", word=t(f"doctor.verdict_word_{report.verdict}"))]
    out += [f"- {_md(t(f'doctor.verdict_{r.verdict_words}'))}", f"- {r.started_at}", ""]
    out += [f"## {t('doctor.checks_title')}", ""]
    cols = ["surface", "host", "status", "HTTP", "dns", "tcp", "tls", "ttfb", "total", "request id"]
    out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for c in [*r.checks, *r.ownership]:
        row = [
            c.surface if c.role == "profile" else f"{c.surface} ({c.region})",
            c.host,
            f"{SYMBOLS.get(c.status, '?')} {c.status}",
            c.http_status,
            *(c.phases.get(k) for k in PHASE_KEYS),
        ]
        rid = _md_code(c.request_id) if c.request_id else "-"
        out.append("| " + " | ".join([*(_md(v) for v in row), rid]) + " |")
    out += stream_section.markdown_lines(report.stream, _md)
    out += ["", f"## {t('doctor.findings_title')}", ""]
    if not r.findings:
        out.append(t("doctor.no_findings"))
    for f in r.findings:
        out.append(f"### {SEVERITY_SYMBOLS.get(f.severity, '?')} `{f.code}` ({f.severity})")
        out.append("")
        out.append(f.markdown_message())
        out.append("")
        out.append(t("doctor.remedy", remedy=f.markdown_remedy()))
        if f.request_ids:
            out.append("")
            out.append(t("doctor.request_ids", ids=", ".join(_md_code(i) for i in f.request_ids)))
        out.append("")
    out += ["", f"## {t('doctor.environment_title')}", ""]
    out += ["- " + t("doctor.env_line", key=k, value=_md(v)) for k, v in _env(report)]
    out += client_section.markdown_lines(report.clients, _md)
    return "\n".join(inert(line) for line in out) + "\n"
