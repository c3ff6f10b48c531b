"""What a run checks: the three surfaces of the profile's endpoint, and the hosts that can
tell whose key it is (every region's shared host and the four plan hosts).

Every URL comes from app.core.endpoints (the only URL builder); the engine never trusts a
URL it did not build. Plain data and the catalog only: importing this module does not
import httpx2, so a screen can show what will be checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from app.core.catalog import Catalog, anthropic_probe_model, load_catalog
from app.core.endpoints import all_plan_urls, plan_of_host
from app.core.endpoints import base_urls as build_base_urls
from app.core.models import RESPONSES, SURFACES, Target


def offered_models(target: Target, catalog: Catalog | None = None) -> list[str]:
    """Models to suggest after a model_not_found: the scope's (every scope's of the region
    when the scope is unknown), only those the surface serves on the Anthropic and
    Responses surfaces."""
    catalog = catalog or load_catalog()
    try:
        region = catalog.region(target.region)
    except KeyError:
        return []
    scopes = [target.scope] if target.scope in region.scopes else list(region.scopes)
    names = list(dict.fromkeys(m for s in scopes for m in catalog.ping_models(s)))
    if target.surface == RESPONSES:  # it serves only its own list (CLIENTS.md, Codex)
        listed = [m for m in names if m in catalog.responses_models]
        return listed or list(catalog.responses_models)
    if target.surface == "anthropic":
        served = set(catalog.anthropic_models)
        served |= {f"{m}-us" for m in served if region.legacy_suffix}
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
    responses_model: str | None = None,
) -> list[Target]:
    """The three surfaces of an endpoint, URLs built by endpoints.py (the only URL builder).
    The Anthropic target carries the model that surface serves (anthropic_probe_model).
    With `responses_model`, a fourth target: the Responses API on the OpenAI-compatible
    base, pinged with that model (one the Responses API serves: the caller picks it, as the
    Codex export does, app.clients.variables.responses_model)."""
    if endpoint_style == "plan":
        # A plan profile: its plan host's URLs (Coding Plan's OpenAI path is /v1), no native
        # surface. The plan is the one whose host the profile's (validated) URLs name.
        plan = plan_of_host(urlsplit((base_urls or {}).get("openai", "")).hostname, catalog)
        if plan is None or plan.plan_region != region:
            raise ValueError("a plan profile's base URLs must be its plan host's")
        host, urls = plan.host, plan.as_dict()
    else:
        built = build_base_urls(region, endpoint_style, workspace_id, catalog)
        host, urls = built.host, built.as_dict()
    if base_urls is not None and dict(base_urls) != urls:
        # profiles.py refuses such a file already; the engine never trusts a URL it did not build
        raise ValueError("base URLs differ from the ones built for this region")
    out = []
    for s in SURFACES:
        if s not in urls:
            continue
        if s == "anthropic" and model is not None and endpoint_style != "plan":
            served = anthropic_probe_model(region, scope, model, catalog)
            unserved = model if served is None else None
            out.append(
                Target(s, region, host, urls[s], served, unserved_model=unserved, scope=scope)
            )
        else:
            out.append(Target(s, region, host, urls[s], model, scope=scope))
    if responses_model is not None:
        out.append(Target(RESPONSES, region, host, urls["openai"], responses_model, scope=scope))
    return out


def ownership_targets(
    profile_region: str, profile_host: str, catalog: Catalog | None = None
) -> tuple[list[Target], list[str]]:
    """Shared hosts of every region (the profile's own included, unless it is the profile's
    host): a key of any workspace of a region works there. Also returns the regions that
    have no shared host and so cannot be checked without a workspace ID of theirs."""
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


def plan_targets(profile_host: str | None = None) -> list[Target]:
    """The OpenAI-compatible surface of every plan host (not the profile's own): a plan key
    is accepted by its plan's host of its plan region only, so these tell which plan it is."""
    return [
        Target("openai", p.plan_region, p.host, p.openai, None, "ownership")
        for p in all_plan_urls()
        if p.host != profile_host
    ]


def ownership_matrix(
    profile_region: str, profile_host: str, catalog: Catalog | None = None
) -> tuple[list[Target], list[str]]:
    """Every host that can tell whose key it is: the shared hosts (ownership_targets) and the
    plan hosts, asked all at once by the engine; and the regions that cannot be checked."""
    targets, unchecked = ownership_targets(profile_region, profile_host, catalog)
    return targets + plan_targets(profile_host), unchecked
