"""Typed, validated view of assets/regions.yaml.

Model Studio's hosts, scopes and model names change every few months, so they live in data,
not code. The file is validated strictly when loaded: a typo in a field name must fail loudly
(naming the file and the field) instead of silently dropping a host or a feature flag.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import assets
from app.core.catalog_parse import parse_catalog
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
from app.core.compiled_assets import fast_safe_load, load_asset

__all__ = [
    "ACCESS_DOMAINS",
    "CATALOG_FILE",
    "CATALOG_VERSION",
    "FEATURES",
    "FEATURE_VALUES",
    "GEOS",
    "PLANS",
    "SCOPE_CHOICES",
    "SOURCE_KINDS",
    "SURFACES",
    "AccessDomain",
    "Catalog",
    "CatalogError",
    "Hosts",
    "ModelScopes",
    "Placement",
    "Plan",
    "Region",
    "Scenario",
    "Scope",
    "Source",
    "Text",
    "anthropic_probe_model",
    "load_catalog",
    "load_catalog_file",
]


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
        text = f.read()
    # Its compiled module when made from this very text (app.core.compiled_assets: the
    # hot paths' 5 x budget), else the file parsed.
    data = load_asset(CATALOG_FILE, text)
    if data is None:
        data = _load_yaml(text, CATALOG_FILE)
    return parse_catalog(data, CATALOG_FILE)


def anthropic_probe_model(
    region: str, scope: str | None, model: str | None, catalog: Catalog | None = None
) -> str | None:
    """The model the Anthropic-surface check asks for: the profile's own when that surface
    serves it, else the first of the scope's models it serves (the rule of
    exporters.anthropic_model, so the check proves what the export writes), None if none.

    The Anthropic surface serves only a few models (catalog `anthropic_models`, `-us` forms
    in legacy-suffix regions (Virginia)), while e.g. the EU scope's default model is not among them:
    asking for it there would report a correct setup as broken. Without a scope (the TUI
    before the profile is saved), only models of every scope listing `model` are picked.
    It lives here, with the data it reads, and not in app.probe.engine (which re-exports it): the
    exporters of `env` use it and must not import the probe's httpx.
    """
    catalog = catalog or load_catalog()
    reg = catalog.region(region)
    served = list(catalog.anthropic_models)
    if reg.legacy_suffix:
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
