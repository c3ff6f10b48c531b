"""How a placement is described to the user, in the caller's language (no I/O).

Where data is stored, where inference runs, what each needed feature does there, whether
the residency requirement holds, and the caveats of a region: the words of
app.core.recommend's alternatives and caveats, rendered at recommendation time so the CLI,
the JSON output and the wizard say exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.answers import Answers, Placement, keeps
from app.core.catalog import Catalog, Region
from app.core.i18n import t


@dataclass(frozen=True)
class Alternative:
    region: str
    scope: str
    why: str
    region_name: str = ""
    scope_name: str = ""
    keeps_residency: bool = True


class Writer:
    """Renders texts in one language; joins lists and sentences the way that language does."""

    def __init__(self, catalog: Catalog, lang: str) -> None:
        self.catalog = catalog
        self.lang = lang

    def __call__(self, key: str, **params: Any) -> str:
        return t(f"recommend.{key}", self.lang, **params)

    def region(self, region: Region) -> str:
        return region.name.get(self.lang)

    def scope(self, scope_id: str) -> str:
        return self.catalog.scope(scope_id).name.get(self.lang)

    def boundary(self, scope_id: str) -> str:
        return self.catalog.scope(scope_id).boundary.get(self.lang)

    def join(self, items: list[str]) -> str:
        if self.lang == "zh":
            return "、".join(items)
        if len(items) <= 2:
            return " and ".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]

    def needs(self, needs: tuple[str, ...] | list[str]) -> str:
        return self.join([self(f"need.{n}") for n in needs])

    def sentences(self, parts: list[str]) -> str:
        return ("" if self.lang == "zh" else " ").join(cap(p) for p in parts if p)

    def near(self, near: str) -> str:
        return self(f"near.{near}")


def cap(text: str) -> str:
    """Sentences may start with a placeholder such as a need's name ("batch inference ...")."""
    return text[:1].upper() + text[1:]


def describe(
    p: Placement, answers: Answers, w: Writer, *, extra: list[str] | None = None
) -> Alternative:
    """One alternative, saying where data is stored, where inference runs, and the trade-off."""
    region = p.region
    parts = [
        w("alt_stored", region=w.region(region)),
        w("alt_scope", scope=w.scope(p.scope), boundary=w.boundary(p.scope)),
    ]
    others = [w.scope(s) for s in region.scopes if s != p.scope]
    if region.scope_choice == "workspace" and others:
        parts.append(w("alt_workspace_scope", others=w.join(others)))
    if p.scope == "us":
        parts.append(w("alt_us_models"))
    if region.workspace_required:
        parts.append(w("alt_workspace_required"))
    if answers.needs:
        offers = [n for n in answers.needs if region.features.get(n) == "yes"]
        lacks = [n for n in answers.needs if region.features.get(n) == "no"]
        unknown = [n for n in answers.needs if region.features.get(n) == "unknown"]
        if offers:
            parts.append(w("alt_offers", needs=w.needs(offers)))
        if lacks:
            parts.append(w("alt_lacks", needs=w.needs(lacks)))
        if unknown:
            parts.append(w("alt_unknown", needs=w.needs(unknown)))
    kept = keeps(answers.residency, p)
    if answers.residency != "none":
        requirement = w.catalog.scenarios[answers.residency].name.get(w.lang)
        key = "alt_keeps_residency" if kept else "alt_breaks_residency"
        parts.append(w(key, requirement=requirement))
    parts.extend(extra or [])
    return Alternative(
        region=region.id,
        scope=p.scope,
        why=w.sentences(parts),
        region_name=w.region(region),
        scope_name=w.scope(p.scope),
        keeps_residency=kept,
    )


def caveats(chosen: Placement, answers: Answers, unmet: tuple[str, ...], w: Writer) -> list[str]:
    region = chosen.region
    name = w.region(region)
    out = []
    scenario = w.catalog.scenarios.get(answers.residency)
    if scenario is not None and scenario.caveat and region.scope_choice == "by-model":
        out.append(scenario.caveat.get(w.lang))  # Beijing's China Elastic Zone (section 1)
    if chosen.scope == "us":
        out.append(w("caveat_us_models", region=name))
    if region.scope_choice == "workspace":
        out.append(w("caveat_workspace_scope", region=name, scope=w.scope(chosen.scope)))
    if chosen.scope in ("global", "international"):
        out.append(w("caveat_cross_border", scope=w.scope(chosen.scope)))
    if any(v == "unknown" for v in region.features.values()):
        out.append(w("caveat_features_unpublished", region=name))
    if not region.has_shared_host:
        out.append(w("caveat_workspace_required", region=name, console=region.console_workspaces))
    for conflict in region.doc_conflicts:
        out.append(w("caveat_doc_conflict", text=conflict.get(w.lang)))
    if answers.near:
        geos = {region.geo, answers.near}
        if region.geo != answers.near and not geos <= {"asia", "china"}:
            out.append(w("caveat_far", near=w.near(answers.near), region=name))
    for need in unmet:
        key = "caveat_need_unknown" if region.features.get(need) == "unknown" else "caveat_need_no"
        out.append(w(key, need=w.needs([need]), region=name))
    return out
