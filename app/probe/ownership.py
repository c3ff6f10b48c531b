"""Whose key is it? Telling a key of another region, workspace or plan from a bad key.

A 401 from the profile's host says only "not here". With the user's consent (doctor
`--all-regions`, the screens' "find its region"), the other regions' shared hosts are asked
with the same key: accepted by the profile's own region's shared host means another
workspace, accepted elsewhere means another region, refused everywhere means a bad key. A
plan key (sk-sp-) is named without asking anyone. Only the key's own answers decide; the
request ids of the refusals are kept for support.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.core.models import Target
from app.findings.codes import Finding
from app.findings.judge import WORKSPACE_DENIED_CODES
from app.findings.results import CheckResult, ProbeResult
from app.findings.summarize import status_of
from app.probe.targets import ownership_targets
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
    if check.finding.code == "key_rejected":
        return True
    return check.api_code in WORKSPACE_DENIED_CODES


async def find_owner_of_unverified(
    check_all: CheckAll, result: ProbeResult, unverified: list[CheckResult]
) -> None:
    """With consent, after answers that prove nothing (a 429 before the key was checked):
    ask the other regions' shared hosts. Only a key accepted elsewhere and not in this
    region changes the finding; otherwise the original one (e.g. rate_limited) stands."""
    first = unverified[0]
    targets, unchecked = ownership_targets(first.region, first.host)
    result.unchecked_regions = unchecked
    result.ownership = await check_all(targets)
    accepted = [c for c in result.ownership if c.key_accepted]
    if not accepted or any(c.region == first.region for c in accepted):
        return
    regions = tuple(dict.fromkeys(c.region for c in accepted))
    ids = tuple(sorted({c.request_id for c in unverified if c.request_id}))
    for c in unverified:
        params = {"regions": regions, "unchecked": tuple(unchecked)}
        c.finding = Finding("key_other_region", c.surface, c.region, c.host, ids, params)
        c.status = status_of(c.finding)


async def explain_refusal(
    check_all: CheckAll,
    consent: bool,
    result: ProbeResult,
    refused: list[CheckResult],
    key: ApiKey,
) -> None:
    """Turn "401" into the real cause: a plan key, another workspace, another region.
    Other hosts are asked only with `consent` (the user's, for this run)."""
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
    if not consent:
        if first.finding is not None and first.finding.code == "key_rejected":
            replace("key_rejected", consent="no")
        elif workspace_denied:
            replace("workspace_access_denied", status=403, api_code="Workspace.AccessDenied")
        return
    targets, unchecked = ownership_targets(region, host)
    result.unchecked_regions = unchecked
    result.ownership = await check_all(targets)
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
