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
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from app.config.schema import (
    Profile,
    Verification,
)
from app.core.catalog import Catalog, load_catalog
from app.core.endpoints import (
    STYLES,
    WorkspaceId,
    base_urls,
    normalize_workspace_id,
    plan_base_urls,
)
from app.core.errors import Notice, UserError, refuse_if_key
from app.core.i18n import get_language, t
from app.core.key_env import check_key_env_name
from app.core.names import check_profile_name, safe_repr
from app.core.text import looks_like_key
from app.secrets.stores import STORE_KINDS, KeyRef, check_account

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class Invalid(Exception):
    """A field failed its check: `user` is the input message, `reason` the file's."""

    def __init__(self, field: str, user: UserError, reason: str, /, **reason_params: Any) -> None:
        super().__init__(reason)
        self.field = field
        self.user = user
        self.reason = reason
        self.reason_params = reason_params

    @classmethod
    def of_file(cls, field: str, reason: str, /, **reason_params: Any) -> Invalid:
        """A failure only a file can have (its shape): the reason is its only wording."""
        return cls(field, UserError(reason, **reason_params), reason, **reason_params)


# ---------------------------------------------------------------------------------------------
# The checks (each one rule, one place)
# ---------------------------------------------------------------------------------------------


def check_name(name: object) -> str:
    try:
        return check_profile_name(name)
    except UserError as exc:
        raise Invalid("", exc, "profiles.reason_bad_name", name=safe_repr(name)) from None


def _one_of(
    value: object,
    known: Collection[str],
    field: str,
    user_key: str,
    reason: str = "profiles.reason_bad_choice",
    sep: str = "/",
    *,
    param: str | None = None,
) -> str:
    """`value` when it is one of the `known` ids; else Invalid, the input message naming the
    value as typed (under the field's own name, e.g. `region`), the file's the value shown
    safely, each with the known ids. `param`: the input message's name for the value."""
    if isinstance(value, str) and value in known:
        return value
    name = param or field.rpartition(".")[2]
    user = UserError(user_key, **{name: value}, known=", ".join(known))
    raise Invalid(field, user, reason, value=safe_repr(value), known=sep.join(known))


def check_region(region: object, catalog: Catalog) -> str:
    return _one_of(
        region,
        catalog.regions,
        "region",
        "profiles.unknown_region",
        "profiles.reason_unknown_region",
        ", ",
    )


def check_scope(scope: object, region: str, catalog: Catalog) -> str:
    scope = _one_of(
        scope,
        catalog.scopes,
        "scope",
        "profiles.unknown_scope",
        "profiles.reason_unknown_scope",
        ", ",
    )
    offered = ", ".join(catalog.regions[region].scopes)
    if scope not in catalog.regions[region].scopes:
        user = UserError("profiles.scope_not_offered", scope=scope, region=region, offered=offered)
        raise Invalid(
            "scope",
            user,
            "profiles.reason_scope_not_offered",
            value=scope,
            region=region,
            offered=offered,
        )
    return scope


# A profile's endpoint styles: the two pay-as-you-go access domains endpoints.py builds, and
# "plan" (a Coding Plan / Token Plan host, URLs from endpoints.plan_base_urls).
PROFILE_STYLES = (*STYLES, "plan")


def check_style(style: object) -> str:
    return _one_of(style, PROFILE_STYLES, "endpoint_style", "profiles.bad_style", param="style")


def check_plan(plan: object, style: str, catalog: Catalog) -> str | None:
    """The plan of a plan profile (coding | token); None, and only None, for the others."""
    if style != "plan":
        if plan is not None:
            user = UserError("profiles.plan_without_style", value=safe_repr(plan))
            raise Invalid("plan", user, "profiles.reason_nested", reason=user.message)
        return None
    if plan is None:
        user = UserError("profiles.plan_missing")
        raise Invalid("plan", user, "profiles.reason_nested", reason=user.message)
    if not isinstance(plan, str) or plan not in catalog.plans:
        user = UserError("profiles.bad_plan", value=safe_repr(plan))
        raise Invalid("plan", user, "profiles.reason_bad_plan", value=safe_repr(plan))
    return plan


def check_workspace(style: str, raw: object, region: str, catalog: Catalog) -> WorkspaceId | None:
    """The workspace ID a style needs (normalised), or None for the shared host."""
    if style in ("shared", "trial", "plan"):
        if raw is not None:
            user = UserError("profiles.ws_with_shared")
            raise Invalid("workspace_id", user, "profiles.reason_ws_with_shared")
        return None
    if raw is None:
        try:  # base_urls words the region-specific "where to find the ID" message
            base_urls(region, "workspace", None, catalog)
        except UserError as exc:
            raise Invalid("workspace_id", exc, "profiles.reason_ws_required") from None
    try:
        return normalize_workspace_id(raw, catalog)
    except UserError as exc:
        raise Invalid("workspace_id", exc, "profiles.reason_nested", reason=exc.message) from None


def check_urls(
    region: str, style: str, ws: str | None, catalog: Catalog, plan: str | None = None
) -> dict[str, str]:
    try:
        if style == "plan" and plan is not None:
            return plan_base_urls(plan, region, catalog).as_dict()
        return base_urls(region, style, ws, catalog).as_dict()
    except UserError as exc:
        raise Invalid("endpoint_style", exc, "profiles.reason_nested", reason=exc.message) from None


def check_model(model: object) -> str:
    """A model name: ASCII letters, digits, `. _ : -`, and not an API key."""
    if not isinstance(model, str) or not MODEL_NAME.fullmatch(model):
        user = UserError("profiles.bad_model", model=safe_repr(model))
        raise Invalid("model", user, "profiles.reason_bad_model", value=safe_repr(model))
    if looks_like_key(model):  # only then the message: a good name loads no locale file
        try:
            refuse_if_key(model, t("profiles.what_model"))
        except UserError as exc:
            raise Invalid("model", exc, "profiles.reason_looks_like_key") from None
    return model


def check_residency(residency: object, catalog: Catalog) -> str | None:
    if residency is None:
        return None
    return _one_of(residency, catalog.scenarios, "residency", "profiles.unknown_residency")


def check_key_ref(store: object, env: object, account: object) -> KeyRef:
    """Where the key lives: a known store, a variable name only credentials use (T17), and
    for the keyring only, an entry name of the scoped form (never echoed: T16, T21)."""
    store = _one_of(store, STORE_KINDS, "api_key.store", "profiles.bad_store")
    try:
        env = check_key_env_name(env)
    except UserError as exc:
        raise Invalid("api_key.env", exc, "profiles.reason_bad_env") from None
    if account is not None:
        try:
            if store != "keyring":
                raise UserError("secrets.bad_account")
            account = check_account(account)
        except UserError as exc:
            raise Invalid("api_key.account", exc, "profiles.reason_bad_account") from None
    return KeyRef(store=store, env=env, account=account)


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
) -> tuple[Profile, tuple[Notice, ...]]:
    """Validate user input into a Profile; notices say what was normalised or is unusual.

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
) -> tuple[Profile, tuple[Notice, ...]]:
    check_name(name)
    if scope is None:  # the defaults need a known region (and scope): checked first
        known_region = check_region(region, catalog)
        # Beijing: without a residency answer the model's own scope (its launch date).
        by_model = catalog.model_scope(known_region, model) if residency is None else None
        scope = by_model or default_scope(known_region, residency, catalog)
    if model is None and style == "plan" and plan in catalog.plans:
        model = catalog.plan(plan).models[0]  # a model of the plan's own list
    if model is None and scope in catalog.scopes:
        model = catalog.default_model(scope)
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
