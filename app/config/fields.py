"""The field checks of a profile, one rule per field, for input AND load (app.config.validate
composes them into a Profile; app.config.parse runs them over a file's fields).

Each check raises `Invalid`, which carries both wordings of the one verdict: the message
for the person who typed the value (`user`, a UserError naming the flag's value) and the
reason for a file (`reason`, placed after "file: profiles.NAME.field:" by ConfigError).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from app.core.catalog import Catalog
from app.core.endpoints import (
    STYLES,
    WorkspaceId,
    base_urls,
    normalize_workspace_id,
    plan_base_urls,
)
from app.core.errors import UserError, refuse_if_key
from app.core.i18n import t
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


def check_plan_edition(
    edition: object, plan: str | None, region: str, catalog: Catalog
) -> str | None:
    """A plan's edition (Token Plan: personal | team), where the plan has editions; the
    edition must exist in the profile's plan region (the Personal edition is Singapore-only,
    MODEL_STUDIO.md section 2). None: not said, which every plan allows."""
    if edition is None:
        return None
    editions = catalog.plans[plan].editions if plan in catalog.plans else {}
    if not editions:
        user = UserError("profiles.edition_without_plan", value=safe_repr(edition))
        raise Invalid("plan_edition", user, "profiles.reason_nested", reason=user.message)
    if not isinstance(edition, str) or edition.lower() not in editions:
        user = UserError(
            "profiles.bad_edition", value=safe_repr(edition), known=", ".join(editions)
        )
        raise Invalid("plan_edition", user, "profiles.reason_nested", reason=user.message)
    edition = edition.lower()
    if region not in editions[edition]:
        user = UserError(
            "profiles.edition_region",
            edition=t(f"profiles.edition_{edition}"),
            region=region,
            regions=", ".join(editions[edition]),
        )
        raise Invalid("plan_edition", user, "profiles.reason_nested", reason=user.message)
    return edition


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
