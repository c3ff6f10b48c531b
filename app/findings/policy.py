"""doctor's view of the team policy: a `policy_violation` finding per rule a saved profile
breaks, and `policy_invalid` when the policy file itself cannot be used.

The policy (app.config.policy) is found as every command finds it (`--policy`, then
$MODELSTUDIO_SETUP_POLICY, then upwards from the current directory). doctor diagnoses, so
an unusable file is a finding with the reader's message (which never shows a key-shaped
value) rather than the end of the run: the connectivity checks of the profile still count.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.config.policy import PolicyError, load_policy
from app.config.policy_rules import profile_violations
from app.findings.codes import Finding

if TYPE_CHECKING:
    from app.config.schema import Profile


def policy_findings(profile: Profile, cwd: Path, policy_path: str | None) -> list[Finding]:
    """The findings of `profile` against the policy in force at `cwd` (none without one)."""
    try:
        policy = load_policy(policy_path, cwd=cwd)
    except PolicyError as exc:
        return [Finding("policy_invalid", None, profile.region, None, (), {"detail": exc.message})]
    out = []
    for violation in profile_violations(policy, profile):
        params: dict[str, object] = dict(violation.params())
        params["profile"] = profile.name
        out.append(Finding("policy_violation", None, profile.region, None, (), params))
    return out
