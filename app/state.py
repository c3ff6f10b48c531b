"""The wizard's state, free of Textual so it can be tested alone.

Each step screen is a view of one frozen `WizardState`: it receives the state, and dismisses
with a new state (made with `dataclasses.replace`) or with `BACK`. The flow driver in
app/tui.py owns the sequence; screens hold no decisions of their own (those live in app/).
The services the steps talk to are in app/services.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.secrets.key import ApiKey
from app.secrets.stores import DEFAULT_ENV_VAR

# Only the types: the state is built before the first paint, and importing the recommender
# (the catalog) or the probe engine (httpx, ssl) would cost up to ~0.4 s there.
if TYPE_CHECKING:
    from app.core.catalog_types import Plan
    from app.core.recommend import Recommendation
    from app.findings.results import ProbeResult


class _Back:
    """Sentinel result of a step: go to the previous step, keeping what was entered."""

    _instance: _Back | None = None

    def __new__(cls) -> _Back:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "BACK"


BACK = _Back()

STEPS = (
    "welcome",
    "scenario",
    "recommendation",
    "workspace",
    "apikey",
    "connectivity",
    "export",
    "done",
)


@dataclass(frozen=True)
class WrittenFile:
    """A file the Export step wrote, shown on Done with its permissions."""

    target: str  # export format or "config"
    path: Path
    mode: int
    holds_key: bool


# region, scope, endpoint style, plan, workspace id, model, key: what a probe result depends on
ProbeInputs = tuple[str | None, str | None, str, str | None, str | None, str | None, ApiKey | None]


@dataclass(frozen=True)
class WizardState:
    lang: str = "en"
    demo: bool = False
    profile_name: str = "default"
    editing_existing: bool = False
    # Scenario
    residency: str | None = None
    needs: tuple[str, ...] = ()
    near: str | None = None
    measured_latency: tuple[tuple[str, float | None], ...] = ()  # (region id, ms) ranked
    # Recommendation and the user's choice
    recommendation: Recommendation | None = None
    region: str | None = None
    scope: str | None = None
    # Workspace
    endpoint_style: str = "workspace"  # workspace | shared | trial | plan
    plan: str | None = None  # coding | token, with endpoint_style "plan" only
    plan_edition: str | None = None  # Token Plan personal | team, when the user said it
    workspace_id: str | None = None
    workspace_region: str | None = None  # the region `workspace_id` belongs to
    model: str | None = None
    # API key
    api_key: ApiKey | None = None
    key_store: str | None = None  # keyring | env | file | memory
    key_env: str = DEFAULT_ENV_VAR
    key_saved: bool = False
    # Connectivity: the last result and what it was run on (see `probe_inputs`)
    probe_result: ProbeResult | None = None
    probed_for: ProbeInputs | None = None
    # Export
    export_targets: tuple[str, ...] = ()
    include_key: bool = False
    written: tuple[WrittenFile, ...] = ()


def reconcile_workspace(state: WizardState) -> tuple[WizardState, str | None]:
    """A workspace belongs to one region: the ID follows the state only while the region
    stays the one it was entered (or pre-filled, or saved) for.

    The flow driver applies this to every state a step hands back (Next or Back, whichever
    step changed the region: Scenario voids it, Recommendation overrides it). Returns the
    state and, when an ID was dropped, the region it belonged to (for the notice). An ID
    whose region is not known yet belongs to the first region the state names.
    """
    if state.region is None or not state.workspace_id:
        return state, None
    if state.workspace_region is None:
        return replace(state, workspace_region=state.region), None
    if state.workspace_region == state.region:
        return state, None
    old = state.workspace_region
    return replace(state, workspace_id=None, workspace_region=None), old


def probe_inputs(state: WizardState) -> ProbeInputs:
    """Everything a connectivity result depends on: a result whose inputs are these still
    describes this setup (coming back from Export), any other one does not."""
    return (
        state.region,
        state.scope,
        state.endpoint_style,
        state.plan,
        state.workspace_id,
        state.model,
        state.api_key,
    )


def with_plan(
    state: WizardState, plan: str, region: str, edition: str | None = None
) -> WizardState:
    """The state pointed at `plan`'s host in `region` (a plan profile's region is its plan
    region). The model stays when the plan serves it, else the plan's first; a scope the
    region lacks (the key was found in another region) gives way to its default; the edition
    is kept only where it exists (the Personal edition is Singapore-only)."""
    from app.core.catalog import load_catalog  # lazy: cached; this runs on a user's choice

    catalog = load_catalog()
    entry = catalog.plan(plan)
    if region not in entry.hosts:
        raise ValueError(f"{plan} has no host in {region}")
    edition = _edition_in(entry, edition, region)
    model = state.model if state.model in entry.models else entry.models[0]
    known = catalog.regions.get(region)
    scope = state.scope if known is not None and state.scope in known.scopes else None
    return replace(
        state,
        scope=scope,  # None: the region's default, as `configure --plan` records it
        endpoint_style="plan",
        plan=plan,
        plan_edition=edition,
        region=region,
        model=model,
    )


def _edition_in(entry: Plan, edition: str | None, region: str) -> str | None:
    """`edition` where the plan offers it in `region`, else None (Personal: Singapore only)."""
    if edition is not None and region not in entry.editions.get(edition, ()):
        return None
    return edition


def without_plan(state: WizardState) -> WizardState:
    """The state on a pay-as-you-go access domain: the one it names, else the workspace
    domain (the default)."""
    if state.endpoint_style != "plan" and state.plan is None:
        return state
    style = "workspace" if state.endpoint_style == "plan" else state.endpoint_style
    return replace(state, endpoint_style=style, plan=None, plan_edition=None)


def reconcile_plan(state: WizardState) -> tuple[WizardState, str | None]:
    """A plan host exists in its plan regions only (Beijing, Singapore): a plan the region
    chosen later (Scenario, Recommendation) has no host of is dropped, and its id returned for
    the notice; an edition the new region lacks is dropped with it."""
    if state.endpoint_style != "plan" or state.plan is None or state.region is None:
        return state, None
    from app.core.catalog import load_catalog  # lazy: cached; see with_plan

    entry = load_catalog().plans.get(state.plan)
    if entry is None or state.region not in entry.hosts:
        return without_plan(state), state.plan
    edition = _edition_in(entry, state.plan_edition, state.region)
    return (state if edition == state.plan_edition else replace(state, plan_edition=edition)), None


def key_plan_mismatch(state: WizardState, key: ApiKey | None) -> str | None:
    """Whether the key and the setup's host disagree on the plan: "plan_key" (an sk-sp- key
    on a pay-as-you-go host, which refuses it), "payg_key" (the reverse), None when they
    agree or there is no key yet."""
    if key is None:
        return None
    on_plan = state.endpoint_style == "plan"
    if key.is_plan_key and not on_plan:
        return "plan_key"
    if on_plan and not key.is_plan_key:
        return "payg_key"
    return None
