"""One set of field checks for a profile, used on input AND on load.

The config decides which host receives the API key, so a file someone else wrote (a
committed dotfile, a poisoned download) must not be able to redirect it: every load
re-validates every field and recomputes the base URLs from region / style / workspace
(SECURITY.md T3). Input (configure flags, wizard answers, `profiles` / `key` arguments)
goes through the same checks, so whatever the tool accepts it also reads back, and a file
it would refuse to write it also refuses to read.

Each check raises `Invalid`, which carries both wordings of the one verdict: the message
for the person who typed the value (`user`, a UserError naming the flag's value) and the
reason for a file (`reason`, placed after "file: profiles.NAME.field:" by ConfigError).

The checks themselves are in app.config.fields; here they are composed (checked_profile)
and input gets its defaults (make_profile: scope from residency or model, the plan's model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.config.fields import (
    Invalid,
    check_key_ref,
    check_model,
    check_name,
    check_plan,
    check_plan_edition,
    check_region,
    check_residency,
    check_scope,
    check_style,
    check_urls,
    check_workspace,
)
from app.config.schema import (
    Profile,
    Verification,
)
from app.core.catalog import Catalog, load_catalog
from app.core.endpoints import (
    WorkspaceId,
)
from app.core.errors import Notice, UserError
from app.core.i18n import get_language
from app.core.names import safe_repr
from app.secrets.stores import KeyRef

# Narrows the catalog's models a profile without one may default to (a team policy's
# allow-list, app.config.policy_rules.allowed_models); never returns an empty tuple.
ModelFilter = Callable[[Sequence[str]], tuple[str, ...]]

# ---------------------------------------------------------------------------------------------
# Input: flags and answers -> Profile
# ---------------------------------------------------------------------------------------------


def scope_for_residency(region_id: str, residency: str | None, catalog: Catalog) -> str | None:
    """The scope of `region_id` that the residency scenario places a profile in, if any."""
    region = catalog.regions[region_id]
    if residency and residency in catalog.scenarios:
        scenario = catalog.scenarios[residency]
        for placement in (scenario.placement, *scenario.near.values()):
            if placement.region == region_id and placement.scope in region.scopes:
                return placement.scope
    return None


def default_scope(region_id: str, residency: str | None, catalog: Catalog | None = None) -> str:
    """The region's scope for the residency scenario, else Global, else its first scope."""
    catalog = catalog or load_catalog()
    placed = scope_for_residency(region_id, residency, catalog)
    if placed is not None:
        return placed
    scopes = catalog.regions[region_id].scopes
    return "global" if "global" in scopes else scopes[0]


def require_scope_choice(
    region_id: str, scope: str | None, residency: str | None, catalog: Catalog
) -> None:
    """Frankfurt, Tokyo and Hong Kong: the scope was chosen when the workspace was created.

    Guessing Global there gives an EU/Japan/Hong Kong-scope workspace the wrong model names,
    and the first call fails with a confusing "model not found" (QA B11). Unless the
    residency already places the profile in this region, the user must say which scope.
    """
    region = catalog.regions[region_id]
    # Virginia also chooses per workspace, but its model names run in either scope (plain
    # names in a US workspace stay in the US; the legacy `-us` names anywhere): Global is a
    # safe guess there, and the recommendation says how to pick US.
    if scope is not None or region.scope_choice != "workspace" or region.legacy_suffix:
        return
    if scope_for_residency(region_id, residency, catalog) is not None:
        return
    raise UserError(
        "configure.scope_required",
        region=region_id,
        scopes=", ".join(region.scopes),
        example=region.scopes[-1],
        console=region.console_workspaces,
    )


def model_known(model: str, scope: str, catalog: Catalog | None = None) -> bool:
    """Whether the catalog lists `model` for `scope` (its test models, and the models the
    Anthropic-compatible surface serves: `-us` variants in the US scope)."""
    catalog = catalog or load_catalog()
    known = set(catalog.ping_models(scope))
    suffix = "-us" if scope == "us" else ""
    known.update(f"{m}{suffix}" for m in catalog.anthropic_models)
    return model in known


def make_profile(
    name: str,
    *,
    region: str,
    scope: str | None = None,
    endpoint_style: str = "workspace",
    workspace_id: str | None = None,
    model: str | None = None,
    api_key: KeyRef | None = None,
    residency: str | None = None,
    verified: Verification | None = None,
    catalog: Catalog | None = None,
    plan: str | None = None,
    plan_edition: str | None = None,
    default_models: ModelFilter | None = None,
) -> tuple[Profile, tuple[Notice, ...]]:
    """Validate user input into a Profile; notices say what was normalised or is unusual.
    Without a model, the first of the catalog's for the scope (or the plan) that
    `default_models` leaves (a team policy's allow-list) is the profile's.

    Raises UserError (exit 2) naming the first bad input; nothing here writes anything.
    """
    catalog = catalog or load_catalog()
    try:
        return _make_profile(
            name,
            region,
            scope,
            endpoint_style,
            workspace_id,
            model,
            api_key,
            residency,
            verified,
            catalog,
            plan,
            plan_edition,
            default_models,
        )
    except Invalid as exc:
        raise exc.user from None


def checked_profile(
    name: object,
    *,
    region: object,
    scope: object,
    style: object,
    workspace_id: object,
    model: object,
    key: tuple[object, object, object],
    residency: object,
    verified: Verification | None,
    catalog: Catalog,
    plan: object = None,
    plan_edition: object = None,
) -> tuple[Profile, WorkspaceId | None]:
    """Every field through its check, in one order, for input and load alike: the profile
    (its base URLs computed here, never taken from anywhere) and the workspace ID as
    normalised. `key` is the api_key mapping's (store, env, account)."""
    name = check_name(name)
    region = check_region(region, catalog)
    residency = check_residency(residency, catalog)
    scope = check_scope(scope, region, catalog)
    style = check_style(style)
    plan_id = check_plan(plan, style, catalog)
    edition = check_plan_edition(plan_edition, plan_id, region, catalog)
    ws = check_workspace(style, workspace_id, region, catalog)
    ws_value = ws.value if ws is not None else None
    profile = Profile(
        name=name,
        region=region,
        scope=scope,
        endpoint_style=style,
        workspace_id=ws_value,
        base_urls=check_urls(region, style, ws_value, catalog, plan_id),
        model=check_model(model),
        api_key=check_key_ref(*key),
        residency=residency,
        verified=verified,
        plan=plan_id,
        plan_edition=edition,
    )
    return profile, ws


def _make_profile(
    name: str,
    region: str,
    scope: str | None,
    style: str,
    workspace_id: str | None,
    model: str | None,
    api_key: KeyRef | None,
    residency: str | None,
    verified: Verification | None,
    catalog: Catalog,
    plan: str | None = None,
    plan_edition: str | None = None,
    default_models: ModelFilter | None = None,
) -> tuple[Profile, tuple[Notice, ...]]:
    check_name(name)
    if scope is None:  # the defaults need a known region (and scope): checked first
        known_region = check_region(region, catalog)
        # Beijing: without a residency answer the model's own scope (its launch date).
        by_model = catalog.model_scope(known_region, model) if residency is None else None
        scope = by_model or default_scope(known_region, residency, catalog)
    candidates: tuple[str, ...] = ()
    if model is None and style == "plan" and plan in catalog.plans:
        candidates = catalog.plan(plan).models  # a model of the plan's own list
    elif model is None and scope in catalog.scopes:
        candidates = catalog.ping_models(scope)
    if candidates:
        model = (default_models(candidates) if default_models else candidates)[0]
    ref = api_key or KeyRef()
    profile, ws = checked_profile(
        name,
        region=region,
        scope=scope,
        style=style,
        workspace_id=workspace_id,
        model=model,
        key=(ref.store, ref.env, ref.account),
        residency=residency,
        verified=verified,
        catalog=catalog,
        plan=plan,
        plan_edition=plan_edition,
    )
    notices: list[Notice] = []
    if ws is not None:
        notices.extend(ws.notices)
        if ws.changed:
            notices.append(
                Notice("profiles.ws_normalised", raw=safe_repr(workspace_id), value=ws.value)
            )
    if style == "trial":
        rpm = catalog.access_domains["trial"].rate_limits.get(get_language())
        notices.append(Notice("profiles.trial_not_production", host=profile.host, rpm=rpm))
    if profile.scope == "us" and not profile.model.endswith("-us") and style == "shared":
        # A US-scope workspace runs plain names in the US; the DashScope domain has no
        # workspace to carry the scope, so there only the legacy -us names stay in the US.
        notices.append(Notice("profiles.us_model_suffix", model=profile.model))
    runs_in = catalog.model_scope(profile.region, profile.model)
    if runs_in is not None and runs_in != profile.scope:
        # lazy: shutil and the PATH lookup only for this notice, not on `env`'s load path
        from app.core.invocation import command

        lang = get_language()
        notices.append(
            Notice(
                "profiles.model_other_scope",
                model=profile.model,
                runs_in=catalog.scope(runs_in).name.get(lang),
                scope=catalog.scope(profile.scope).name.get(lang),
                boundary=catalog.scope(runs_in).boundary.get(lang),
                models=", ".join(catalog.ping_models(profile.scope)),
                command=command("models"),
            )
        )
    if residency is not None:
        scenario = catalog.scenarios[residency]
        allowed = {(p.region, p.scope) for p in (scenario.placement, *scenario.near.values())}
        if residency != "none" and (region, scope) not in allowed:
            wanted = f"{scenario.placement.region} / {scenario.placement.scope}"
            notices.append(
                Notice(
                    "profiles.residency_mismatch",
                    residency=residency,
                    region=region,
                    scope=scope,
                    wanted=wanted,
                )
            )
    return profile, tuple(notices)
