"""Typed, validated view of assets/regions.yaml.

Model Studio's hosts, scopes and model names change every few months, so they live in data,
not code. The file is validated strictly when loaded: a typo in a field name must fail loudly
(naming the file and the field) instead of silently dropping a host or a feature flag.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import assets
from app.core.i18n import fast_safe_load
from app.core.record import Record

_T = TypeVar("_T")

CATALOG_FILE = "regions.yaml"
FEATURES = ("realtime", "batch", "alerting", "fine-tuning")
FEATURE_VALUES = ("yes", "no", "unknown")
SURFACES = ("openai", "anthropic", "dashscope")
SCOPE_CHOICES = ("fixed", "model-suffix", "workspace")
GEOS = ("americas", "europe", "asia", "china")


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the file and the field."""


class Text(Record):
    """A message in both supported languages."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Scope(Record):
    id: str
    name: Text
    boundary: Text
    ping_models: tuple[str, ...]


class Hosts(Record):
    workspace: str
    shared: str | None
    trial: str | None


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

    @property
    def has_shared_host(self) -> bool:
        return self.hosts.shared is not None


class Placement(Record):
    region: str
    scope: str


class Scenario(Record):
    id: str
    name: Text
    explain: Text
    placement: Placement
    near: dict[str, Placement]


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
    plan_hosts: tuple[str, ...]
    anthropic_models: tuple[str, ...]
    scopes: dict[str, Scope]
    regions: dict[str, Region]
    scenarios: dict[str, Scenario]

    def region(self, region_id: str) -> Region:
        return _known(self.regions, region_id, "region")

    def scope(self, scope_id: str) -> Scope:
        return _known(self.scopes, scope_id, "scope")

    def ping_models(self, scope_id: str) -> tuple[str, ...]:
        return self.scope(scope_id).ping_models

    def default_model(self, scope_id: str) -> str:
        return self.ping_models(scope_id)[0]


class _Reader:
    """Walks the parsed YAML, keeping the dotted path for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source

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

    def string(self, value: Any, path: str, *, nullable: bool = False) -> str:
        if value is None and nullable:
            return None  # type: ignore[return-value]
        if not isinstance(value, str) or not value:
            raise self.fail(path, "expected a non-empty string")
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, "expected a non-empty list")
        return tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(value))

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(path, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    def text(self, value: Any, path: str) -> Text:
        m = self.mapping(value, path, ("en", "zh"))
        return Text(en=self.string(m["en"], f"{path}.en"), zh=self.string(m["zh"], f"{path}.zh"))


def parse_catalog(data: Any, source: str = CATALOG_FILE) -> Catalog:
    """Build a Catalog from parsed YAML, checking every field and every cross-reference."""
    r = _Reader(source)
    top = r.mapping(
        data,
        "<root>",
        (
            "version",
            "paths",
            "reserved_workspace_labels",
            "workspace_id_prefixes",
            "plan_hosts",
            "anthropic_models",
            "scopes",
            "regions",
            "scenarios",
        ),
    )
    if isinstance(top["version"], bool) or top["version"] != 1:  # `true == 1` in Python
        raise r.fail("version", f"unsupported catalog version {top['version']!r}")
    paths_raw = r.mapping(top["paths"], "paths", SURFACES)
    paths = {k: r.string(paths_raw[k], f"paths.{k}") for k in SURFACES}

    scopes: dict[str, Scope] = {}
    for sid, raw, p in r.entries(top["scopes"], "scopes"):
        m = r.mapping(raw, p, ("name", "boundary", "ping_models"))
        scopes[sid] = Scope(
            id=sid,
            name=r.text(m["name"], f"{p}.name"),
            boundary=r.text(m["boundary"], f"{p}.boundary"),
            ping_models=r.strings(m["ping_models"], f"{p}.ping_models"),
        )

    regions: dict[str, Region] = {}
    for rid, raw, p in r.entries(top["regions"], "regions"):
        m = r.mapping(
            raw,
            p,
            (
                "name",
                "geo",
                "hosts",
                "workspace_required",
                "scopes",
                "scope_choice",
                "features",
                "console",
            ),
            ("doc_conflicts",),
        )
        h = r.mapping(m["hosts"], f"{p}.hosts", ("workspace", "shared", "trial"))
        ws_template = r.string(h["workspace"], f"{p}.hosts.workspace")
        if not ws_template.startswith("{ws}."):
            raise r.fail(f"{p}.hosts.workspace", "must start with '{ws}.'")
        if not isinstance(m["workspace_required"], bool):
            raise r.fail(f"{p}.workspace_required", "expected true or false")
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
        shared = r.string(h["shared"], f"{p}.hosts.shared", nullable=True)
        if shared is None and not m["workspace_required"]:
            raise r.fail(f"{p}.workspace_required", "must be true when there is no shared host")
        regions[rid] = Region(
            id=rid,
            name=r.text(m["name"], f"{p}.name"),
            geo=r.choice(m["geo"], f"{p}.geo", GEOS),
            hosts=Hosts(
                workspace=ws_template,
                shared=shared,
                trial=r.string(h["trial"], f"{p}.hosts.trial", nullable=True),
            ),
            workspace_required=m["workspace_required"],
            scopes=region_scopes,
            scope_choice=r.choice(m["scope_choice"], f"{p}.scope_choice", SCOPE_CHOICES),
            features=features,
            console_workspaces=r.string(console["workspaces"], f"{p}.console.workspaces"),
            console_api_keys=r.string(console["api_keys"], f"{p}.console.api_keys"),
            doc_conflicts=tuple(
                r.text(c, f"{p}.doc_conflicts[{i}]") for i, c in enumerate(conflicts)
            ),
        )

    def placement(raw: Any, p: str) -> Placement:
        m = r.mapping(raw, p, ("region", "scope"))
        region_id = r.choice(m["region"], f"{p}.region", tuple(regions))
        scope_id = r.choice(m["scope"], f"{p}.scope", regions[region_id].scopes)
        return Placement(region_id, scope_id)

    scenarios: dict[str, Scenario] = {}
    for sid, raw, p in r.entries(top["scenarios"], "scenarios"):
        m = r.mapping(raw, p, ("name", "explain", "region", "scope"), ("near",))
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
        )

    return Catalog(
        paths=paths,
        reserved_workspace_labels=r.strings(
            top["reserved_workspace_labels"], "reserved_workspace_labels"
        ),
        workspace_id_prefixes=r.strings(top["workspace_id_prefixes"], "workspace_id_prefixes"),
        plan_hosts=r.strings(top["plan_hosts"], "plan_hosts"),
        anthropic_models=r.strings(top["anthropic_models"], "anthropic_models"),
        scopes=scopes,
        regions=regions,
        scenarios=scenarios,
    )


def load_catalog_file(path: Path) -> Catalog:
    """Load and validate a catalog from an explicit path (tests, custom catalogs)."""
    return parse_catalog(_load_yaml(path.read_text(encoding="utf-8"), str(path)), str(path))


def _load_yaml(text: str, source: str) -> Any:
    try:
        return fast_safe_load(text)
    except Exception as exc:
        import yaml  # only on this error path: PyYAML is not imported for a plain file

        if isinstance(exc, yaml.YAMLError):
            raise CatalogError(f"{source}: not valid YAML: {exc}") from None
        raise


@functools.cache
def load_catalog() -> Catalog:
    """The packaged catalog, parsed once per process."""
    # A plain path, not importlib.resources (~3 x `python -c pass` to import, for `env`):
    # the packages are always installed as files (a wheel, or the checkout).
    path = os.path.join(os.path.dirname(os.path.abspath(assets.__file__)), CATALOG_FILE)
    with open(path, encoding="utf-8") as f:
        return parse_catalog(_load_yaml(f.read(), CATALOG_FILE), CATALOG_FILE)


def anthropic_probe_model(
    region: str, scope: str | None, model: str | None, catalog: Catalog | None = None
) -> str | None:
    """The model the Anthropic-surface check asks for: the profile's own when that surface
    serves it, else the first of the scope's models it serves (the rule of
    exporters.anthropic_model, so the check proves what the export writes), None if none.

    The Anthropic surface serves only a few models (catalog `anthropic_models`, `-us` forms
    in model-suffix regions), while e.g. the EU scope's default model is not among them:
    asking for it there would report a correct setup as broken. Without a scope (the TUI
    before the profile is saved), only models of every scope listing `model` are picked.
    It lives here, with the data it reads, and not in app.probe.engine (which re-exports it): the
    exporters of `env` use it and must not import the probe's httpx.
    """
    catalog = catalog or load_catalog()
    reg = catalog.region(region)
    served = list(catalog.anthropic_models)
    if reg.scope_choice == "model-suffix":
        served += [f"{m}-us" for m in catalog.anthropic_models]
        if scope not in reg.scopes:
            us = model is not None and model.endswith("-us") and "us" in reg.scopes
            scope = "us" if us else reg.scopes[0]
    if model is not None and model in served:
        return model
    if scope in reg.scopes:
        scopes = [scope]
    else:
        scopes = [s for s in reg.scopes if model in catalog.ping_models(s)] or list(reg.scopes)
    first, *others = (catalog.ping_models(s) for s in scopes)
    common = [m for m in first if all(m in other for other in others)]
    return next((m for m in common if m in served), None)
