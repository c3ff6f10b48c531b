"""The catalog's types: what assets/regions.yaml holds once app.core.catalog_parse checked it.

Only data and the small questions asked of it (a region's scope for a model, whether a fact
is only observed). Kept apart from the parser so that the parser and the loader
(app.core.catalog) both import these without a cycle.
"""

from __future__ import annotations

from typing import TypeVar

from app.core.record import Record, field

_T = TypeVar("_T")

CATALOG_FILE = "regions.yaml"
CATALOG_VERSION = 2
FEATURES = ("realtime", "batch", "alerting", "fine-tuning", "app-dev", "privatelink")
FEATURE_VALUES = ("yes", "no", "unknown")
SURFACES = ("openai", "anthropic", "dashscope")
# fixed: one scope; workspace: chosen when the workspace is created; by-model: the model's
# launch date decides (Beijing: Chinese mainland before 2026-10-13, China Elastic Zone after).
SCOPE_CHOICES = ("fixed", "workspace", "by-model")
GEOS = ("americas", "europe", "asia", "china")
SOURCE_KINDS = ("official", "sdk", "observed")
ACCESS_DOMAINS = ("workspace", "dashscope", "trial")
PLANS = ("coding", "token")


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the file and the field."""


class Text(Record):
    """A message in both supported languages."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Source(Record):
    """Where a fact comes from and when it was last checked (MODEL_STUDIO.md's three kinds)."""

    id: str
    kind: str  # official | sdk | observed
    title: str
    checked: str  # ISO date

    @property
    def observed(self) -> bool:
        return self.kind == "observed"


class Scope(Record):
    id: str
    name: Text
    boundary: Text
    ping_models: tuple[str, ...]
    sources: tuple[str, ...] = ()


class Hosts(Record):
    workspace: str
    shared: str | None  # the DashScope (shared) access domain
    trial: str | None


class ModelScopes(Record):
    """By-model regions: which catalog models run in which scope (the catalog's reading)."""

    since: str
    by_scope: dict[str, tuple[str, ...]]
    sources: tuple[str, ...] = ()

    def scope_of(self, model: str) -> str | None:
        return next((s for s, names in self.by_scope.items() if model in names), None)


class Region(Record):
    id: str
    name: Text
    geo: str
    hosts: Hosts
    workspace_required: bool
    scopes: tuple[str, ...]
    scope_choice: str
    features: dict[str, str]
    console_workspaces: str
    console_api_keys: str
    doc_conflicts: tuple[Text, ...]
    legacy_suffix: bool = False  # Virginia: the older `-us` model names still answer
    model_scopes: ModelScopes | None = None
    sources: tuple[str, ...] = ()

    @property
    def has_shared_host(self) -> bool:
        return self.hosts.shared is not None


class AccessDomain(Record):
    """What one kind of host guarantees (MODEL_STUDIO.md section 2)."""

    id: str
    name: Text
    accepts: Text
    rate_limits: Text
    timeout_s: int
    protocols: tuple[str, ...]
    sla: str | None
    production: bool
    sources: tuple[str, ...] = ()


class Plan(Record):
    """Coding Plan or Token Plan: sk-sp- keys on their own hosts and paths."""

    id: str
    name: Text
    paths: dict[str, str]  # surface -> path (openai, anthropic; no native surface)
    hosts: dict[str, str]  # plan region -> host
    editions: dict[str, tuple[str, ...]]  # edition -> plan regions it exists in
    main_account_only: bool
    models: tuple[str, ...] = ()  # the plan's models, the first its profiles' default
    sources: tuple[str, ...] = ()


class Placement(Record):
    region: str
    scope: str


class Scenario(Record):
    id: str
    name: Text
    explain: Text
    placement: Placement
    near: dict[str, Placement]
    caveat: Text | None = None
    sources: tuple[str, ...] = ()


def _known(table: dict[str, _T], key: str, what: str) -> _T:
    """`table[key]`, or a KeyError that names the known ids (a programming error, not input)."""
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"unknown {what} {key!r} (known: {', '.join(table)})") from None


class Catalog(Record):
    paths: dict[str, str]
    reserved_workspace_labels: tuple[str, ...]
    workspace_id_prefixes: tuple[str, ...]
    anthropic_models: tuple[str, ...]
    scopes: dict[str, Scope]
    regions: dict[str, Region]
    scenarios: dict[str, Scenario]
    sources: dict[str, Source] = field(default_factory=dict)
    access_domains: dict[str, AccessDomain] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    # Models Model Studio's Responses API serves (what Codex needs), newest first.
    responses_models: tuple[str, ...] = ()
    # Flash-class models, smallest first: the coding agents' "small / fast" tier.
    small_models: tuple[str, ...] = ()
    # Dotted path of every sourced fact -> its source ids (what the UI marks as observed).
    facts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def region(self, region_id: str) -> Region:
        return _known(self.regions, region_id, "region")

    def scope(self, scope_id: str) -> Scope:
        return _known(self.scopes, scope_id, "scope")

    def plan(self, plan_id: str) -> Plan:
        return _known(self.plans, plan_id, "plan")

    def ping_models(self, scope_id: str) -> tuple[str, ...]:
        return self.scope(scope_id).ping_models

    def default_model(self, scope_id: str) -> str:
        return self.ping_models(scope_id)[0]

    @property
    def plan_hosts(self) -> tuple[str, ...]:
        return tuple(h for p in self.plans.values() for h in p.hosts.values())

    def observed(self, fact: str) -> bool:
        """Whether every source of a fact (a dotted path such as `regions.cn-beijing.
        model_scopes`) is observed only: the UI then says "observed", never "certain"."""
        ids = self.facts.get(fact, ())
        return bool(ids) and all(self.sources[i].observed for i in ids)

    def model_scope(self, region_id: str, model: str | None) -> str | None:
        """In a by-model region, the scope `model` runs in by the catalog's list; None when
        the region's scope does not follow the model or the catalog does not list it."""
        ms = self.region(region_id).model_scopes
        return ms.scope_of(model) if ms is not None and model else None
