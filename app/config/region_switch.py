"""Where a key belongs, and moving a profile there (the doctor screen's "switch" offer, D21).

After the ownership probe (consent given) has found the region whose shared host accepts
the key, the user may point the profile at that region. Only a shared-host profile can be
moved without asking for anything: a workspace host needs a workspace ID of the new region,
which no API returns (MODEL_STUDIO.md section 3).
"""

from __future__ import annotations

from typing import Any

from app.config.validate import make_profile
from app.core.catalog import load_catalog
from app.core.i18n import get_language, t


def region_name(region: str, lang: str | None = None) -> str:
    """The catalog's name of a region in `lang` (default: the current language)."""
    try:
        return load_catalog().region(region).name.get(lang or get_language())
    except KeyError:
        return region


def region_label(region: str, lang: str | None = None) -> str:
    """`Singapore (ap-southeast-1)` / `新加坡（ap-southeast-1）`: the name a reader knows and
    the id the flags take."""
    name = region_name(region, lang)
    return region if name == region else t("doctor.labelled", name=name, id=region)


def scope_label(scope: str | None, lang: str | None = None, *, with_id: bool = True) -> str:
    """A service deployment scope as `International (international)` / `国际（international）`."""
    if not scope:
        return "-"
    found = load_catalog().scopes.get(scope)
    if found is None:
        return scope
    name = found.name.get(lang or get_language())
    return t("doctor.labelled", name=name, id=scope) if with_id else name


def joined(items: list[str] | tuple[str, ...]) -> str:
    """A list in the current language's way: `a, b` / `a、b`."""
    return t("doctor.list_separator").join(items) if items else "-"


def owner_region(result: Any, profile_region: str) -> str | None:
    """The other region whose shared host accepted the key in `result`, if any."""
    for check in getattr(result, "ownership", ()):
        if check.key_accepted and check.region != profile_region:
            return str(check.region)
    return None


def switched_profile(profile: Any, region: str) -> Any:
    """`profile` moved to `region`'s shared host: the model is kept when that region's
    scope offers it (else the scope's default); name and key reference are kept, so the
    key itself is not touched. Residency is dropped: it described the old placement.
    Raises UserError when the result would be invalid."""
    moved, _ = make_profile(
        profile.name, region=region, endpoint_style="shared", api_key=profile.api_key
    )
    if profile.model in load_catalog().ping_models(moved.scope):
        moved, _ = make_profile(
            profile.name,
            region=region,
            scope=moved.scope,
            endpoint_style="shared",
            model=profile.model,
            api_key=profile.api_key,
        )
    return moved
