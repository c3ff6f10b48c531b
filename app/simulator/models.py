"""The simulator's own model table: which model runs in which service deployment scope.

Written from MODEL_STUDIO.md sections 1 and 7, not from the product's catalog, so that a test
of the product's model rules against the simulator is not the catalog checking itself. The
rule it encodes: in Beijing the scope follows the model (launched before 2026-10-13 =
Chinese mainland, on or after = China Elastic Zone); in Virginia, Frankfurt, Tokyo and Hong
Kong it follows the workspace (Global or the local scope), and Virginia still answers the
legacy `-us` model names; Singapore has one scope (International).

Launch dates are the simulator's assumption (no official list): what matters is that each
side of the 2026-10-13 line has models a client must tell apart. The catalog's ping models
are still served in their scope (see `scope_models`), so whatever the product picks as its
fallback ping answers.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from app.core.catalog import Catalog, load_catalog

ELASTIC_SINCE = _dt.date(2026, 10, 13)

# Region -> its scopes, the first being a workspace's default (MODEL_STUDIO.md section 1).
REGION_SCOPES: dict[str, tuple[str, ...]] = {
    "cn-beijing": ("mainland", "elastic"),
    "ap-southeast-1": ("international",),
    "us-east-1": ("global", "us"),
    "eu-central-1": ("global", "eu"),
    "ap-northeast-1": ("global", "japan"),
    "cn-hongkong": ("global", "hongkong"),
}
# Regions where the model (its launch date) decides the scope, not the workspace.
BY_MODEL = ("cn-beijing",)


@dataclass(frozen=True)
class SimModel:
    """One model as the simulator serves it."""

    id: str
    launched: _dt.date
    # Scopes it runs in outside Beijing (Beijing's scope comes from `launched`).
    scopes: tuple[str, ...]
    in_beijing: bool = True

    @property
    def name(self) -> str:
        """Display name as the model list shows it: `qwen3.6-flash` -> `Qwen3.6-Flash`."""
        return "-".join(part[:1].upper() + part[1:] for part in self.id.split("-"))

    def beijing_scope(self) -> str:
        return "elastic" if self.launched >= ELASTIC_SINCE else "mainland"


_D = _dt.date
_WIDE = ("international", "global", "us", "eu", "japan", "hongkong")
_NOT_US = ("international", "global", "eu", "japan", "hongkong")
MODELS: tuple[SimModel, ...] = (
    SimModel("qwen-plus", _D(2024, 9, 19), _WIDE),
    SimModel("qwen-flash", _D(2025, 7, 28), ("international", "global", "us")),
    SimModel("qwen-max", _D(2024, 9, 19), _NOT_US),
    SimModel("qwen3-max", _D(2025, 9, 5), _NOT_US),
    SimModel("qwen3.5-flash", _D(2026, 2, 16), _NOT_US),
    SimModel("qwen3-coder-plus", _D(2025, 7, 22), _NOT_US),
    SimModel("qwen3-coder-flash", _D(2025, 7, 31), _NOT_US),
    SimModel("qwen3.6-plus", _D(2026, 4, 2), ("international", "global", "us")),
    SimModel("qwen3.6-flash", _D(2026, 4, 2), ("international", "global", "us")),
    SimModel("qwen3.7-plus", _D(2026, 10, 20), ("international", "global")),
    SimModel("qwen3.7-max", _D(2026, 10, 20), ("international", "global")),
    SimModel("qwen3.8-max-preview", _D(2026, 11, 18), ("international", "global")),
    # The legacy US mechanism: a `-us` name runs in the United States whatever the workspace.
    SimModel("qwen-plus-us", _D(2025, 3, 1), ("us",), in_beijing=False),
    SimModel("qwen-flash-us", _D(2025, 8, 1), ("us",), in_beijing=False),
    SimModel("qwen3-max-us", _D(2025, 9, 5), ("us",), in_beijing=False),
    SimModel("qwen3-coder-plus-us", _D(2025, 7, 22), ("us",), in_beijing=False),
)
BY_ID = {m.id: m for m in MODELS}

# Models a plan key calls on its plan host (the plans' model lists: coding models first).
PLAN_MODELS: dict[str, tuple[str, ...]] = {
    "coding-plan": (
        "qwen3.7-plus",
        "qwen3.6-plus",
        "qwen3.6-flash",
        "qwen3-coder-plus",
        "qwen3-coder-flash",
        "qwen-plus",
    ),
    "token-plan": ("qwen3.7-max", "qwen3.7-plus", "qwen3.6-plus", "qwen3.6-flash", "qwen-plus"),
}

# The Anthropic-compatible surface serves a listed subset (section 6: the official example
# now uses qwen3.7-plus), on top of whatever the catalog lists.
ANTHROPIC_MODELS = ("qwen3.7-plus", "qwen3.6-plus", "qwen3.7-max")


def _catalog_pings(scope_id: str, catalog: Catalog) -> tuple[str, ...]:
    """The catalog's fallback ping models of a scope (empty for a scope it does not know)."""
    try:
        return catalog.ping_models(scope_id)
    except KeyError:
        return ()


def deployments(
    region_id: str, workspace_scope: str | None, catalog: Catalog | None = None
) -> dict[str, str]:
    """Model id -> the scope it runs in, for a workspace of this region and scope.

    None as scope means the region's default (its first scope). Virginia also answers the
    legacy `-us` names in every workspace (they run in the US scope).
    """
    catalog = catalog or load_catalog()
    scopes = REGION_SCOPES.get(region_id, ("global",))
    out: dict[str, str] = {}
    if region_id in BY_MODEL:
        for m in MODELS:
            if m.in_beijing:
                out[m.id] = m.beijing_scope()
        for scope_id in scopes:
            for name in _catalog_pings(scope_id, catalog):
                out.setdefault(name, scope_id)
        return out
    scope = workspace_scope if workspace_scope in scopes else scopes[0]
    for m in MODELS:
        if scope in m.scopes:
            out[m.id] = scope
    for name in _catalog_pings(scope, catalog):
        out.setdefault(name, scope)
    if region_id == "us-east-1":
        for m in MODELS:
            if m.id.endswith("-us"):
                out.setdefault(m.id, "us")
        for name in _catalog_pings("us", catalog):
            if name.endswith("-us"):
                out.setdefault(name, "us")
    return out


def region_models(region_id: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Every model name that exists somewhere in a region (to tell 'unknown' from 'denied')."""
    names: dict[str, None] = {}
    for scope_id in REGION_SCOPES.get(region_id, ("global",)):
        names.update(dict.fromkeys(deployments(region_id, scope_id, catalog)))
    return tuple(names)
