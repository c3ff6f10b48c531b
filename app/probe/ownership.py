"""Whose key is it? Telling a key of another region, workspace or plan from a bad key.

A 401 from the profile's host says only "not here". With the user's consent (doctor
`--all-regions`, the screens' "find its region"), the ownership matrix is asked with the same
key, all at once: every region's shared host and the four plan hosts (Coding Plan mainland /
international, Token Plan Beijing / Singapore). Accepted by the profile's own region's shared
host means another workspace, by a plan host a key of that plan and plan region (sk-sp- keys
of both plans look alike: only this tells them apart), by another region's shared host a
pay-as-you-go key of that region; refused everywhere means a bad key. Without consent a plan
key (sk-sp-) is only named. Only the key's own answers decide; the request ids of the
refusals are kept for support.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.core.endpoints import plan_of_host
from app.core.models import Target
from app.findings.codes import Finding
from app.findings.judge import KEY_REFUSED_CODES, WORKSPACE_DENIED_CODES
from app.findings.results import CheckResult, ProbeResult
from app.findings.summarize import status_of
from app.probe.targets import ownership_matrix
from app.secrets.key import ApiKey

# Runs checks of other hosts with the run's key and settings (the engine's `check_all`).
CheckAll = Callable[[list[Target]], Awaitable[list[CheckResult]]]


def refused_checks(checks: list[CheckResult]) -> list[CheckResult]:
    """The profile's checks whose answer refused the key (a 401, or the native surface's
    Workspace.AccessDenied, with the generic 403s of the other surfaces of that host)."""
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
    return refused


def _key_refused(check: CheckResult) -> bool:
    if check.finding is None:
        return False
    if check.finding.code in KEY_REFUSED_CODES:
        return True
    return check.api_code in WORKSPACE_DENIED_CODES


async def find_owner_of_unverified(
    check_all: CheckAll, result: ProbeResult, unverified: list[CheckResult]
) -> None:
    """With consent, after answers that prove nothing (a 429 before the key was checked):
    ask the ownership matrix. Only a key accepted by a plan host, or elsewhere and not in this
    region, changes the finding (a 403 plan mismatch becomes "a Token Plan key"); otherwise
    the original one (e.g. rate_limited) stands."""
    first = unverified[0]
    targets, unchecked = ownership_matrix(first.region, first.host)
    result.unchecked_regions = unchecked
    result.ownership = await check_all(targets)
    accepted = [c for c in result.ownership if c.key_accepted]
    plans = [c for c in accepted if plan_of_host(c.host) is not None]
    shared = [c for c in accepted if plan_of_host(c.host) is None]
    ids = tuple(sorted({c.request_id for c in unverified if c.request_id}))
    if plans:
        code, params = "key_is_plan", plan_params(plans[0])
    elif shared and not any(c.region == first.region for c in shared):
        regions = tuple(dict.fromkeys(c.region for c in shared))
        code, params = "key_other_region", {"regions": regions, "unchecked": tuple(unchecked)}
    else:
        return
    for c in unverified:
        c.finding = Finding(code, c.surface, c.region, c.host, ids, params)
        c.status = status_of(c.finding)


def plan_params(accepted: CheckResult) -> dict[str, Any]:
    """The params of key_is_plan for the plan host that accepted the key: `detail` names
    the plan and plan region in words (its locale tag), `plan` / `plan_region` fill the
    configure command of the remedy, `shared` names the host."""
    plan = plan_of_host(accepted.host)
    assert plan is not None
    return {
        "detail": f"{plan.plan}_{plan.plan_region}",
        "plan": plan.plan,
        "plan_region": plan.plan_region,
        "shared": accepted.host,
    }


async def explain_refusal(
    check_all: CheckAll,
    consent: bool,
    result: ProbeResult,
    refused: list[CheckResult],
    key: ApiKey,
) -> None:
    """Turn "401" into the real cause: another workspace, a plan (which one), another
    region. Other hosts are asked only with `consent` (the user's, for this run)."""
    first = refused[0]
    region, host = first.region, first.host
    ids = tuple(sorted({c.request_id for c in refused if c.request_id}))

    def replace(code: str, **params: Any) -> None:
        for c in refused:
            c.finding = Finding(code, c.surface, c.region, c.host, ids, params)

    workspace_denied = any(c.api_code in WORKSPACE_DENIED_CODES for c in refused)
    if not consent:
        if key.is_plan_key and plan_of_host(host) is None:
            replace("plan_key_mismatch")
        elif first.finding is not None and first.finding.code == "key_rejected":
            replace("key_rejected", consent="no")
        elif workspace_denied:
            replace("workspace_access_denied", status=403, api_code="Workspace.AccessDenied")
        return
    targets, unchecked = ownership_matrix(region, host)
    result.unchecked_regions = unchecked
    result.ownership = await check_all(targets)
    accepted = [c for c in result.ownership if c.key_accepted]
    plans = [c for c in accepted if plan_of_host(c.host) is not None]
    shared = [c for c in accepted if plan_of_host(c.host) is None]
    same = [c for c in shared if c.region == region and plan_of_host(host) is None]
    others = [c for c in shared if c not in same]
    # Region ids: Finding renders them as names of the language shown (E27).
    unchecked_ids = tuple(unchecked)
    if same:
        replace("key_other_workspace", shared=same[0].host)
    elif plans:
        # Table order (Coding Plan first) when more than one plan host accepts the key.
        replace("key_is_plan", **plan_params(plans[0]))
    elif others:
        # Not `ids`: `replace` reads the request ids from that name when it runs (QA: the
        # region ids were shown as "Request ids (for support)").
        regions = tuple(dict.fromkeys(c.region for c in others))
        replace("key_other_region", regions=regions, unchecked=unchecked_ids)
    elif first.finding is not None and first.finding.code in KEY_REFUSED_CODES:
        replace(first.finding.code, consent="yes", unchecked=unchecked_ids)
    elif workspace_denied:
        replace("workspace_access_denied", status=403, api_code="Workspace.AccessDenied")
