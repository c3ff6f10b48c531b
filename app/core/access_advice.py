"""The two parts of the advice that come after region and scope: the access domain and, where
the scope follows the model (Beijing), which models keep the data where it must stay.

Access domains (MODEL_STUDIO.md section 2) decide who a host accepts, the request timeout,
the protocols and the SLA: the recommendation lists the ones a region has, workspace first
(recommended: 3600 s, every protocol, keys of that workspace only), trial last and marked "not
for production". In Beijing, models launched on or after 2026-10-13 run in the China Elastic
Zone, whose inference may leave the mainland: a user whose data must stay there gets the
models that do not, from the catalog's list (marked as such: it is the catalog's reading, the
service's own list is `modelstudio-setup models`). No I/O here; texts in the caller's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.catalog import Catalog, Region, load_catalog
from app.core.i18n import t


@dataclass(frozen=True)
class DomainOption:
    """One access domain of a region, as the recommendation shows it."""

    id: str  # workspace | dashscope | trial
    name: str
    host: str
    summary: str
    recommended: bool
    production: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host": self.host,
            "recommended": self.recommended,
            "production": self.production,
            "summary": self.summary,
        }


def _hosts(region: Region) -> dict[str, str | None]:
    return {
        "workspace": region.hosts.workspace.replace("{ws}", "WORKSPACE_ID"),
        "dashscope": region.hosts.shared,
        "trial": region.hosts.trial,
    }


def domain_options(
    region_id: str, lang: str = "en", catalog: Catalog | None = None
) -> tuple[DomainOption, ...]:
    """The region's access domains with their guarantees, workspace domain first."""
    catalog = catalog or load_catalog()
    region = catalog.region(region_id)
    out = []
    for did, host in _hosts(region).items():
        if host is None:
            continue
        d = catalog.access_domains[did]
        summary = t(
            "recommend.domain_summary",
            lang,
            accepts=d.accepts.get(lang),
            timeout=d.timeout_s,
            protocols=", ".join(d.protocols),
            rate=d.rate_limits.get(lang),
            sla=d.sla or t("recommend.domain_no_sla", lang),
        )
        if not d.production:
            summary += " " + t("recommend.domain_not_production", lang)
        out.append(
            DomainOption(did, d.name.get(lang), host, summary, did == "workspace", d.production)
        )
    return tuple(out)


@dataclass(frozen=True)
class PlanOption:
    """A plan host of a region, offered beside its access domains: only an `sk-sp-` plan key
    works there, and only from interactive coding tools (MODEL_STUDIO.md section 2, "Plan
    hosts")."""

    plan: str  # coding | token
    name: str
    host: str
    summary: str
    editions: tuple[str, ...]  # the plan's editions offered in this region (Token Plan)
    models: tuple[str, ...]


def plan_options(
    region_id: str, lang: str = "en", catalog: Catalog | None = None
) -> tuple[PlanOption, ...]:
    """The plan hosts `region_id` has (Beijing and Singapore), Coding Plan first."""
    catalog = catalog or load_catalog()
    out = []
    for pid, plan in catalog.plans.items():
        host = plan.hosts.get(region_id)
        if host is None:
            continue
        summary = t(
            "recommend.plan_summary",
            lang,
            openai=plan.paths.get("openai", "-"),
            anthropic=plan.paths.get("anthropic", "-"),
        )
        if plan.main_account_only:
            summary += " " + t("recommend.plan_main_account", lang)
        editions = tuple(e for e, regions in plan.editions.items() if region_id in regions)
        out.append(PlanOption(pid, plan.name.get(lang), host, summary, editions, plan.models))
    return tuple(out)


def models_for_scope(region_id: str, scope: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """In a by-model region, the catalog's models that run in `scope` (empty elsewhere)."""
    catalog = catalog or load_catalog()
    ms = catalog.region(region_id).model_scopes
    return ms.by_scope.get(scope, ()) if ms is not None else ()


def model_advice(
    region_id: str, scope: str, lang: str = "en", catalog: Catalog | None = None
) -> str | None:
    """Where the scope follows the model: which models run in `scope` and which do not, from
    the catalog's list (said to be the catalog's, dated), and how to ask the service."""
    catalog = catalog or load_catalog()
    region = catalog.region(region_id)
    ms = region.model_scopes
    if ms is None or scope not in ms.by_scope:
        return None
    others = [m for s, names in ms.by_scope.items() if s != scope for m in names]
    checked = max(catalog.sources[s].checked for s in ms.sources)
    return t(
        "recommend.model_advice",
        lang,
        scope=catalog.scope(scope).name.get(lang),
        models=", ".join(ms.by_scope[scope]),
        others=", ".join(others) or "-",
        since=ms.since,
        checked=checked,
        observed=t("recommend.observed", lang)
        if catalog.observed(f"regions.{region_id}.model_scopes")
        else "",
    )


def model_breaks_scope(
    region_id: str, scope: str | None, model: str, catalog: Catalog | None = None
) -> str | None:
    """The scope `model` really runs in when the catalog says it is not `scope` (a mainland
    profile asking for a China Elastic Zone model); None when it fits or is not known."""
    catalog = catalog or load_catalog()
    runs_in = catalog.model_scope(region_id, model)
    if runs_in is None or scope is None or runs_in == scope:
        return None
    return runs_in
