"""A run in one word: the verdict (ok / warn / fail), a check's row status, and which
verdict sentence applies. The one copy of these rules for doctor (CLI and screen), the
Connectivity step and the verified stamp of a profile."""

from __future__ import annotations

from app.findings.codes import CODES, ERROR, INFO, WARNING, Finding


def verdict_of(findings: list[Finding]) -> str:
    """ok (nothing), warn (warnings only), fail (any error)."""
    severities = {f.severity for f in findings}
    if ERROR in severities:
        return "fail"
    if WARNING in severities:
        return "warn"
    return "ok"


def status_of(finding: Finding | None) -> str:
    """A check's row status from its finding: pass, skip (an info), warn or fail."""
    if finding is None:
        return "pass"
    severity = CODES.get(finding.code)
    if severity == INFO:
        return "skip"
    return "warn" if severity == WARNING else "fail"


def verdict_words(verdict: str, key_verified: bool) -> str:
    """Which verdict sentence applies: a warning verdict whose key was never proven is
    "not verified", never "it works" (D17)."""
    if verdict == "warn" and not key_verified:
        return "warn_unverified"
    return verdict
