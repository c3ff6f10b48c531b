"""Change some fields of an existing profile and keep the rest (QA D19).

A remedy such as "this model is not offered in your region: use another model" must be one
command that works when pasted: `configure --profile P --model M`. Re-entering the region,
workspace ID and the key to change one field would make it a form, not a remedy. So the
fields given replace the profile's, every other field (and the key reference: where the key
lives, under which name) is kept, and the whole result is validated again by
`make_profile`, which also recomputes the base URLs.

A region change is only accepted when it stays consistent: a workspace ID belongs to one
region, so moving a workspace-host profile to another region needs that region's ID
(`--workspace-id`) or `--shared-host`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config.schema import PROFILE_FIELDS, Profile
from app.config.validate import make_profile
from app.core.catalog import Catalog
from app.core.errors import Notice, UserError

# The fields an edit may change, in the order they are reported.
# Every profile field but the derived (base_urls), the key's (api_key) and the verdict's.
EDITABLE = tuple(f for f in PROFILE_FIELDS if f not in ("base_urls", "api_key", "verified"))


@dataclass(frozen=True)
class Edit:
    """What the user asked to change (None: keep the profile's value)."""

    region: str | None = None
    scope: str | None = None
    endpoint_style: str | None = None
    workspace_id: str | None = None
    model: str | None = None
    residency: str | None = None
    plan: str | None = None
    plan_edition: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f) is None for f in EDITABLE)


@dataclass(frozen=True)
class EditResult:
    profile: Profile
    notices: tuple[Notice, ...]
    changed: tuple[tuple[str, str, str], ...]  # (field, old, new) as shown to the user


def edit_profile(old: Profile, edit: Edit, catalog: Catalog) -> EditResult:
    """The profile with the edit applied, fully re-validated; raises UserError (exit 2)."""
    region = edit.region or old.region
    moved = region != old.region
    style = edit.endpoint_style
    if style is None:
        style = "workspace" if edit.workspace_id is not None else old.endpoint_style
    if style in ("shared", "trial") and edit.workspace_id is not None:
        raise UserError("profiles.ws_with_shared")
    workspace_id = edit.workspace_id
    if style == "workspace" and workspace_id is None:
        if moved:
            raise UserError(
                "configure.edit_region_needs_workspace",
                profile=old.name,
                old=old.region,
                region=region,
            )
        workspace_id = old.workspace_id
    scope = edit.scope
    if scope is None and not moved:
        scope = old.scope
    # A plan profile keeps its plan unless the edit names another or leaves plans.
    plan = (edit.plan or old.plan) if style == "plan" else None
    profile, notices = make_profile(
        old.name,
        region=region,
        scope=scope,
        endpoint_style=style,
        workspace_id=workspace_id if style == "workspace" else None,
        model=edit.model or old.model,
        api_key=old.api_key,
        residency=edit.residency or old.residency,
        # The last doctor verdict was about the old endpoint or model: it no longer holds.
        verified=None,
        catalog=catalog,
        plan=plan,
        # The edition stays with its plan: another plan (or none) drops it.
        plan_edition=(edit.plan_edition or old.plan_edition)
        if plan == old.plan
        else edit.plan_edition,
    )
    changed = []
    for name in EDITABLE:
        before, after = getattr(old, name), getattr(profile, name)
        if before != after:
            changed.append((name, _shown(before), _shown(after)))
    if not changed:
        profile = old  # nothing to write: keep the verdict too
    return EditResult(profile, notices, tuple(changed))


def _shown(value: object) -> str:
    return "-" if value is None else str(value)
