"""Strict parser of assets/regions.yaml (catalog version 2) into app.core.catalog_types.

A typo in a field name must fail loudly, naming the file and the field, instead of silently
dropping a host or a feature flag. Every fact the service may change (a region, a scope, a
scenario, an access domain, a plan, a model list) carries `source`: ids of `sources`, each
with its kind (official / sdk / observed) and the ISO date it was last checked. A fact with
neither is refused here, so the catalog cannot drift into unsourced claims (issue 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from app.core.catalog_types import (
    ACCESS_DOMAINS,
    CATALOG_FILE,
    CATALOG_VERSION,
    FEATURE_VALUES,
    FEATURES,
    GEOS,
    PLANS,
    SCOPE_CHOICES,
    SOURCE_KINDS,
    SURFACES,
    AccessDomain,
    Catalog,
    CatalogError,
    Hosts,
    ModelScopes,
    Placement,
    Plan,
    Region,
    Scenario,
    Scope,
    Source,
    Text,
)

_ISO_DATE = re.compile(r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_PATH = re.compile(r"(?:/[A-Za-z0-9_-]+)+")


class _Reader:
    """Walks the parsed YAML, keeping the dotted path for error messages, and records each
    fact's sources as it goes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sources: dict[str, Source] = {}
        self.facts: dict[str, tuple[str, ...]] = {}

    def fail(self, path: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.source}: {path}: {problem}")

    def mapping(
        self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in required and key not in optional:
                raise self.fail(f"{path}.{key}", "unknown field")
        for key in required:
            if key not in value:
                raise self.fail(f"{path}.{key}", "missing field")
        return value

    def entries(self, value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
        """(id, raw, dotted path) of each entry of a non-empty mapping of ids."""
        if not isinstance(value, dict) or not value:
            raise self.fail(path, "expected a non-empty mapping")
        for key, raw in value.items():
            yield key, raw, f"{path}.{key}"

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, "expected a non-empty string")
        return value

    def optional_string(self, value: Any, path: str) -> str | None:
        return None if value is None else self.string(value, path)

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, "expected a non-empty list")
        return tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(value))

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "expected true or false")
        return value

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(path, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    def text(self, value: Any, path: str) -> Text:
        m = self.mapping(value, path, ("en", "zh"))
        return Text(en=self.string(m["en"], f"{path}.en"), zh=self.string(m["zh"], f"{path}.zh"))

    def host(self, value: Any, path: str) -> str:
        host = self.string(value, path)
        if not _HOST.fullmatch(host):
            raise self.fail(path, f"not a plain lowercase host name: {host!r}")
        return host

    def sourced(self, m: dict[str, Any], path: str) -> tuple[str, ...]:
        """The `source` of a fact: one id or a list of ids, each a known source."""
        raw = m.get("source")
        if raw is None:
            raise self.fail(f"{path}.source", "missing field (every fact needs a source)")
        ids = (raw,) if isinstance(raw, str) else self.strings(raw, f"{path}.source")
        for sid in ids:
            if sid not in self.sources:
                raise self.fail(f"{path}.source", f"unknown source {sid!r}")
        self.facts[path] = ids
        return ids

    def read_sources(self, value: Any) -> None:
        for sid, raw, p in self.entries(value, "sources"):
            m = self.mapping(raw, p, ("kind", "title", "checked"))
            checked = self.string(m["checked"], f"{p}.checked")
            if not _ISO_DATE.fullmatch(checked):
                raise self.fail(f"{p}.checked", f"expected a date YYYY-MM-DD, got {checked!r}")
            self.sources[sid] = Source(
                id=sid,
                kind=self.choice(m["kind"], f"{p}.kind", SOURCE_KINDS),
                title=self.string(m["title"], f"{p}.title"),
                checked=checked,
            )

    def sourced_list(self, value: Any, path: str) -> tuple[str, ...]:
        m = self.mapping(value, path, ("source", "values"))
        self.sourced(m, path)
        return self.strings(m["values"], f"{path}.values")


def _scopes(r: _Reader, value: Any) -> dict[str, Scope]:
    scopes: dict[str, Scope] = {}
    for sid, raw, p in r.entries(value, "scopes"):
        m = r.mapping(raw, p, ("source", "name", "boundary", "ping_models"))
        scopes[sid] = Scope(
            id=sid,
            name=r.text(m["name"], f"{p}.name"),
            boundary=r.text(m["boundary"], f"{p}.boundary"),
            ping_models=r.strings(m["ping_models"], f"{p}.ping_models"),
            sources=r.sourced(m, p),
        )
    return scopes


def _model_scopes(r: _Reader, value: Any, p: str, scopes: tuple[str, ...]) -> ModelScopes:
    m = r.mapping(value, p, ("source", "since", *scopes))
    since = r.string(m["since"], f"{p}.since")
    if not _ISO_DATE.fullmatch(since):
        raise r.fail(f"{p}.since", f"expected a date YYYY-MM-DD, got {since!r}")
    by_scope = {s: r.strings(m[s], f"{p}.{s}") for s in scopes if s in m}
    return ModelScopes(since=since, by_scope=by_scope, sources=r.sourced(m, p))


def _region(r: _Reader, rid: str, raw: Any, p: str, scopes: dict[str, Scope]) -> Region:
    m = r.mapping(
        raw,
        p,
        (
            "source",
            "name",
            "geo",
            "hosts",
            "workspace_required",
            "scopes",
            "scope_choice",
            "features",
            "console",
        ),
        ("doc_conflicts", "legacy_suffix", "model_scopes"),
    )
    sources = r.sourced(m, p)
    h = r.mapping(m["hosts"], f"{p}.hosts", ("workspace", "shared", "trial"))
    ws_template = r.string(h["workspace"], f"{p}.hosts.workspace")
    if not ws_template.startswith("{ws}."):
        raise r.fail(f"{p}.hosts.workspace", "must start with '{ws}.'")
    r.host(ws_template.removeprefix("{ws}."), f"{p}.hosts.workspace")
    workspace_required = r.boolean(m["workspace_required"], f"{p}.workspace_required")
    region_scopes = r.strings(m["scopes"], f"{p}.scopes")
    for i, s in enumerate(region_scopes):
        if s not in scopes:
            raise r.fail(f"{p}.scopes[{i}]", f"unknown scope {s!r}")
    feats = r.mapping(m["features"], f"{p}.features", FEATURES)
    features = {f: r.choice(feats[f], f"{p}.features.{f}", FEATURE_VALUES) for f in FEATURES}
    console = r.mapping(m["console"], f"{p}.console", ("workspaces", "api_keys"))
    conflicts = m.get("doc_conflicts") or []
    if not isinstance(conflicts, list):
        raise r.fail(f"{p}.doc_conflicts", "expected a list")
    shared = None if h["shared"] is None else r.host(h["shared"], f"{p}.hosts.shared")
    if shared is None and not workspace_required:
        raise r.fail(f"{p}.workspace_required", "must be true when there is no shared host")
    scope_choice = r.choice(m["scope_choice"], f"{p}.scope_choice", SCOPE_CHOICES)
    model_scopes = None
    if scope_choice == "by-model":
        if "model_scopes" not in m:
            raise r.fail(f"{p}.model_scopes", "missing field (the scope follows the model)")
        model_scopes = _model_scopes(r, m["model_scopes"], f"{p}.model_scopes", region_scopes)
    elif "model_scopes" in m:
        raise r.fail(f"{p}.model_scopes", "only for scope_choice: by-model")
    legacy = m.get("legacy_suffix", False)
    return Region(
        id=rid,
        name=r.text(m["name"], f"{p}.name"),
        geo=r.choice(m["geo"], f"{p}.geo", GEOS),
        hosts=Hosts(
            workspace=ws_template,
            shared=shared,
            trial=None if h["trial"] is None else r.host(h["trial"], f"{p}.hosts.trial"),
        ),
        workspace_required=workspace_required,
        scopes=region_scopes,
        scope_choice=scope_choice,
        features=features,
        console_workspaces=r.string(console["workspaces"], f"{p}.console.workspaces"),
        console_api_keys=r.string(console["api_keys"], f"{p}.console.api_keys"),
        doc_conflicts=tuple(r.text(c, f"{p}.doc_conflicts[{i}]") for i, c in enumerate(conflicts)),
        legacy_suffix=r.boolean(legacy, f"{p}.legacy_suffix"),
        model_scopes=model_scopes,
        sources=sources,
    )


def _access_domains(r: _Reader, value: Any) -> dict[str, AccessDomain]:
    m = r.mapping(value, "access_domains", ACCESS_DOMAINS)
    out: dict[str, AccessDomain] = {}
    for did in ACCESS_DOMAINS:
        p = f"access_domains.{did}"
        d = r.mapping(
            m[did],
            p,
            ("source", "name", "accepts", "rate_limits", "timeout_s", "protocols", "sla"),
            ("production",),
        )
        timeout = d["timeout_s"]
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
            raise r.fail(f"{p}.timeout_s", "expected a positive number of seconds")
        out[did] = AccessDomain(
            id=did,
            name=r.text(d["name"], f"{p}.name"),
            accepts=r.text(d["accepts"], f"{p}.accepts"),
            rate_limits=r.text(d["rate_limits"], f"{p}.rate_limits"),
            timeout_s=timeout,
            protocols=r.strings(d["protocols"], f"{p}.protocols"),
            sla=r.optional_string(d["sla"], f"{p}.sla"),
            production=r.boolean(d.get("production", True), f"{p}.production"),
            sources=r.sourced(d, p),
        )
    if out["trial"].production:
        raise r.fail("access_domains.trial.production", "the trial domain is not for production")
    return out


def _plans(r: _Reader, value: Any, regions: dict[str, Region]) -> dict[str, Plan]:
    m = r.mapping(value, "plans", PLANS)
    out: dict[str, Plan] = {}
    for pid in PLANS:
        p = f"plans.{pid}"
        d = r.mapping(
            m[pid],
            p,
            ("source", "name", "paths", "hosts", "editions", "main_account_only", "models"),
        )
        paths_raw = r.mapping(d["paths"], f"{p}.paths", ("openai", "anthropic"))
        paths = {}
        for surface in ("openai", "anthropic"):
            path = r.string(paths_raw[surface], f"{p}.paths.{surface}")
            if not _PATH.fullmatch(path):
                raise r.fail(f"{p}.paths.{surface}", f"not a plain path: {path!r}")
            paths[surface] = path
        hosts = {}
        for region_id, host, hp in r.entries(d["hosts"], f"{p}.hosts"):
            r.choice(region_id, hp, tuple(regions))
            hosts[region_id] = r.host(host, hp)
        editions_raw = d["editions"]
        if not isinstance(editions_raw, dict):
            raise r.fail(f"{p}.editions", "expected a mapping")
        editions = {}
        for edition, raw in editions_raw.items():
            ep = f"{p}.editions.{edition}"
            editions[edition] = r.strings(raw, ep)
            for i, region_id in enumerate(editions[edition]):
                r.choice(region_id, f"{ep}[{i}]", tuple(hosts))
        out[pid] = Plan(
            id=pid,
            name=r.text(d["name"], f"{p}.name"),
            paths=paths,
            hosts=hosts,
            editions=editions,
            main_account_only=r.boolean(d["main_account_only"], f"{p}.main_account_only"),
            models=r.strings(d["models"], f"{p}.models"),
            sources=r.sourced(d, p),
        )
    return out


def _scenarios(r: _Reader, value: Any, regions: dict[str, Region]) -> dict[str, Scenario]:
    def placement(raw: Any, p: str) -> Placement:
        m = r.mapping(raw, p, ("region", "scope"))
        region_id = r.choice(m["region"], f"{p}.region", tuple(regions))
        scope_id = r.choice(m["scope"], f"{p}.scope", regions[region_id].scopes)
        return Placement(region_id, scope_id)

    scenarios: dict[str, Scenario] = {}
    for sid, raw, p in r.entries(value, "scenarios"):
        m = r.mapping(raw, p, ("source", "name", "explain", "region", "scope"), ("near", "caveat"))
        near_raw = m.get("near") or {}
        if not isinstance(near_raw, dict):
            raise r.fail(f"{p}.near", "expected a mapping")
        near = {}
        for zone, pl in near_raw.items():
            r.choice(zone, f"{p}.near.{zone}", GEOS)
            near[zone] = placement(pl, f"{p}.near.{zone}")
        scenarios[sid] = Scenario(
            id=sid,
            name=r.text(m["name"], f"{p}.name"),
            explain=r.text(m["explain"], f"{p}.explain"),
            placement=placement({"region": m["region"], "scope": m["scope"]}, p),
            near=near,
            caveat=r.text(m["caveat"], f"{p}.caveat") if m.get("caveat") is not None else None,
            sources=r.sourced(m, p),
        )
    return scenarios


def _optional_list(r: _Reader, top: dict[str, Any], key: str) -> tuple[str, ...]:
    """A sourced model list the catalog may leave out (a test's small catalog): empty then."""
    return r.sourced_list(top[key], key) if key in top else ()


def parse_catalog(data: Any, source: str = CATALOG_FILE) -> Catalog:
    """Build a Catalog from parsed YAML, checking every field, source and cross-reference."""
    r = _Reader(source)
    top = r.mapping(
        data,
        "<root>",
        (
            "version",
            "sources",
            "paths",
            "reserved_workspace_labels",
            "workspace_id_prefixes",
            "anthropic_models",
            "access_domains",
            "plans",
            "scopes",
            "regions",
            "scenarios",
        ),
        ("responses_models", "small_models"),
    )
    version = top["version"]
    if isinstance(version, bool) or version != CATALOG_VERSION:  # `true == 1` in Python
        raise r.fail("version", f"unsupported catalog version {version!r}")
    r.read_sources(top["sources"])
    paths_raw = r.mapping(top["paths"], "paths", SURFACES)
    paths = {k: r.string(paths_raw[k], f"paths.{k}") for k in SURFACES}
    scopes = _scopes(r, top["scopes"])
    regions = {
        rid: _region(r, rid, raw, p, scopes) for rid, raw, p in r.entries(top["regions"], "regions")
    }
    return Catalog(
        paths=paths,
        reserved_workspace_labels=r.strings(
            top["reserved_workspace_labels"], "reserved_workspace_labels"
        ),
        workspace_id_prefixes=r.sourced_list(top["workspace_id_prefixes"], "workspace_id_prefixes"),
        anthropic_models=r.sourced_list(top["anthropic_models"], "anthropic_models"),
        responses_models=_optional_list(r, top, "responses_models"),
        small_models=_optional_list(r, top, "small_models"),
        scopes=scopes,
        regions=regions,
        scenarios=_scenarios(r, top["scenarios"], regions),
        sources=r.sources,
        access_domains=_access_domains(r, top["access_domains"]),
        plans=_plans(r, top["plans"], regions),
        facts=r.facts,
    )
