"""Accounts and model availability of the Model Studio simulator.

The simulator has to answer like the real service for a known set of keys: which region a key
lives in, which workspace it belongs to, which models its workspace may call, whether the
account is in arrears. Keeping this as plain data (and deriving model lists from the catalog)
means tests and the demo cite the same keys and the same model names that the wizard
recommends, so a catalog change cannot silently drift away from the simulator.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.core.catalog import Catalog, load_catalog

PLANS = ("payg", "coding-plan")

# Models that exist beyond the small ping models of each scope (MODEL_STUDIO.md section 6/7).
# They make "a model the user typed that the region really has" distinguishable from a typo.
_EXTRA_MODELS = ("qwen-max", "qwen3-max", "qwen3-coder-plus", "qwen3-coder-flash")
_EXTRA_MODELS_US = ("qwen3-max-us", "qwen3-coder-plus-us")


@dataclass
class Account:
    """One API key and what Model Studio knows about it."""

    name: str
    key: str
    region: str
    workspace_id: str | None
    plan: str = "payg"  # "payg" | "coding-plan"
    models: tuple[str, ...] | None = None  # None = every model of the workspace's scope
    arrears: bool = False
    scope: str | None = None  # the workspace's service deployment scope (None = region default)
    # An older deployment that knows the token limit only as `max_tokens` and refuses
    # `max_completion_tokens` with a 400 (so a client's fallback to the old name is tested).
    legacy_token_limit: bool = False

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"unknown plan {self.plan!r} (known: {', '.join(PLANS)})")

    def __repr__(self) -> str:
        # Keys here are fake, but a repr that hides them keeps the "never print a key" habit.
        return (
            f"Account(name={self.name!r}, region={self.region!r}, "
            f"workspace_id={self.workspace_id!r}, plan={self.plan!r})"
        )


def fake_key(name: str, *, plan: bool = False) -> str:
    """A deterministic, obviously fake key: docs and the demo can cite it, nothing accepts it."""
    digest = hashlib.sha256(f"modelstudio-setup simulator key {name}".encode()).hexdigest()
    return ("sk-sp-" if plan else "sk-") + digest[:32]


def fake_workspace_id(name: str) -> str:
    """`ws-` + 16 of [a-z0-9], the observed shape of real workspace IDs."""
    digest = hashlib.sha256(f"modelstudio-setup simulator workspace {name}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "ws-" + "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def default_accounts() -> list[Account]:
    """One pay-as-you-go account per region plus the special cases the diagnosis must tell apart."""
    regions = (
        ("eu-central-1", "eu"),
        ("us-east-1", None),
        ("ap-northeast-1", None),
        ("cn-hongkong", None),
        ("cn-beijing", None),
        ("ap-southeast-1", None),
    )
    accounts = [
        Account(
            name=region,
            key=fake_key(region),
            region=region,
            workspace_id=fake_workspace_id(region),
            scope=scope,
        )
        for region, scope in regions
    ]
    accounts += [
        Account(
            name="plan",
            key=fake_key("plan", plan=True),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("plan"),
            plan="coding-plan",
        ),
        Account(
            name="arrears",
            key=fake_key("arrears"),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("arrears"),
            arrears=True,
        ),
        Account(
            name="limited",
            key=fake_key("limited"),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("limited"),
            models=("qwen-plus",),
        ),
        Account(
            name="demo",
            key=fake_key("demo"),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("demo"),
        ),
    ]
    return accounts


def _scope_models(scope_id: str, catalog: Catalog) -> tuple[str, ...]:
    extras = _EXTRA_MODELS_US if scope_id == "us" else _EXTRA_MODELS
    return tuple(dict.fromkeys((*catalog.ping_models(scope_id), *extras)))


def region_models(region_id: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Every model name that exists somewhere in a region (used to tell 'unknown' from 'denied')."""
    catalog = catalog or load_catalog()
    region = catalog.region(region_id)
    names: dict[str, None] = {}
    for scope_id in region.scopes:
        names.update(dict.fromkeys(_scope_models(scope_id, catalog)))
    return tuple(names)


def scope_models(
    region_id: str, scope_id: str | None, catalog: Catalog | None = None
) -> tuple[str, ...]:
    """The models a workspace of this region and scope can call.

    In a region where the scope is chosen by model name (US: `-us` suffix) every scope's models
    exist side by side; elsewhere the workspace's scope decides, defaulting to the region's first.
    """
    catalog = catalog or load_catalog()
    region = catalog.region(region_id)
    if region.scope_choice == "model-suffix":
        return region_models(region_id, catalog)
    scope_id = scope_id if scope_id in region.scopes else region.scopes[0]
    return _scope_models(scope_id, catalog)


def account_models(account: Account, catalog: Catalog | None = None) -> tuple[str, ...]:
    """What this key sees: its scope's models, narrowed to its grant when it has one."""
    available = scope_models(account.region, account.scope, catalog)
    if account.models is None:
        return available
    return tuple(m for m in available if m in account.models)


def anthropic_models(account: Account, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Models the Anthropic-compatible surface accepts for this account (-us forms in the US)."""
    catalog = catalog or load_catalog()
    names = list(catalog.anthropic_models)
    if catalog.region(account.region).scope_choice == "model-suffix":
        names += [f"{m}-us" for m in catalog.anthropic_models]
    visible = set(account_models(account, catalog))
    return tuple(m for m in names if m in visible)
