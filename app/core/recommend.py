"""Answers about residency, needs and callers' location -> a region and a service scope.

The scenario table of the catalog (MODEL_STUDIO.md section 1) is the backbone; this module adds
what the table leaves implicit: which placements still honour a residency requirement, which
features each region lacks, what every alternative gives up, and an honest "no region satisfies
all of this" instead of silently dropping a need. Texts are rendered in the caller's language
at recommendation time so the CLI, the JSON output and the wizard say exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.catalog import Catalog, Region, Scenario, load_catalog
from app.core.errors import UserError
from app.core.i18n import LANGUAGES, get_language, t

RESIDENCIES = ("none", "mainland", "outside-mainland", "us", "eu", "japan", "hongkong")
NEEDS = ("batch", "fine-tuning", "alerting")
NEAR = ("americas", "europe", "asia", "china")

# Scopes that keep each residency requirement. A scope is where inference may run; the region
# (where data is stored) follows from the scope for every scope except global, which no strict
# residency accepts. "outside-mainland" accepts every scope that never uses mainland nodes.
_RESIDENCY_SCOPES: dict[str, frozenset[str]] = {
    "mainland": frozenset({"mainland"}),
    "outside-mainland": frozenset({"international", "us", "eu", "japan", "hongkong"}),
    "us": frozenset({"us"}),
    "eu": frozenset({"eu"}),
    "japan": frozenset({"japan"}),
    "hongkong": frozenset({"hongkong"}),
}

# Regions from nearest to farthest, per caller location: geography (and the mainland's
# cross-border links), not data, so it lives here rather than in the catalog. None = no answer,
# which keeps the seed table's order: the other Global region, then Tokyo, Hong Kong,
# Singapore, Beijing.
_PROXIMITY: dict[str | None, tuple[str, ...]] = {
    None: (
        "us-east-1",
        "eu-central-1",
        "ap-northeast-1",
        "cn-hongkong",
        "ap-southeast-1",
        "cn-beijing",
    ),
    "americas": (
        "us-east-1",
        "eu-central-1",
        "ap-northeast-1",
        "cn-hongkong",
        "ap-southeast-1",
        "cn-beijing",
    ),
    "europe": (
        "eu-central-1",
        "us-east-1",
        "ap-southeast-1",
        "cn-hongkong",
        "ap-northeast-1",
        "cn-beijing",
    ),
    "asia": (
        "ap-southeast-1",
        "cn-hongkong",
        "ap-northeast-1",
        "cn-beijing",
        "us-east-1",
        "eu-central-1",
    ),
    "china": (
        "cn-beijing",
        "cn-hongkong",
        "ap-northeast-1",
        "ap-southeast-1",
        "us-east-1",
        "eu-central-1",
    ),
}

# Without a residency requirement but with needs the Global regions lack, the region that
# offers them is preferred. Singapore first: its International scope keeps data out of the
# mainland, the smaller change for callers outside China; callers in China get Beijing.
_NEEDS_PREFERENCE: dict[str | None, tuple[str, ...]] = {
    "china": ("cn-beijing", "ap-southeast-1"),
}
_NEEDS_PREFERENCE_DEFAULT = ("ap-southeast-1", "cn-beijing")


@dataclass(frozen=True)
class Answers:
    residency: str
    needs: tuple[str, ...] = ()
    near: str | None = None


@dataclass(frozen=True)
class Alternative:
    region: str
    scope: str
    why: str
    region_name: str = ""
    scope_name: str = ""
    keeps_residency: bool = True


@dataclass(frozen=True)
class Recommendation:
    residency: str
    region: str
    scope: str
    reasons: tuple[str, ...]
    caveats: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    unmet_needs: tuple[str, ...]
    conflict: bool
    region_name: str = ""
    scope_name: str = ""
    scope_boundary: str = ""
    needs: tuple[str, ...] = ()
    near: str | None = None
    lang: str = "en"

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable form of `recommend --json` (schema in docs/recommend.md)."""
        return {
            "residency": self.residency,
            "region": self.region,
            "scope": self.scope,
            "reasons": list(self.reasons),
            "caveats": list(self.caveats),
            "alternatives": [
                {"region": a.region, "scope": a.scope, "why": a.why} for a in self.alternatives
            ],
            "unmet_needs": list(self.unmet_needs),
            "region_name": self.region_name,
            "scope_name": self.scope_name,
            "conflict": self.conflict,
        }


@dataclass(frozen=True)
class _Placement:
    region: Region
    scope: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.region.id, self.scope)


def _shown(value: object) -> str:
    """A bad answer echoed back safely: bounded length, control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 40:
        text = text[:40] + "..."
    return text.encode("unicode_escape").decode("ascii")


def _language(lang: str | None) -> str:
    lang = lang or get_language()
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r} (supported: {', '.join(LANGUAGES)})")
    return lang


def _fold(value: object, valid: tuple[str, ...]) -> object:
    """An id typed in any case (`EU`, `Fine-Tuning`) is that id (QA E28); anything else is
    returned unchanged, for the message that refuses it."""
    if isinstance(value, str) and value.strip().lower() in valid:
        return value.strip().lower()
    return value


def validate(answers: Answers) -> Answers:
    """Check every answer before anything is computed; needs are de-duplicated in order."""
    residency = _fold(answers.residency, RESIDENCIES)
    if not isinstance(residency, str) or residency not in RESIDENCIES:
        raise UserError(
            "recommend.bad_residency",
            value=_shown(answers.residency),
            valid=", ".join(RESIDENCIES),
        )
    raw_needs = answers.needs
    if isinstance(raw_needs, str):  # "batch,alerting" from a caller that did not split it
        raw_needs = tuple(n.strip() for n in raw_needs.split(",") if n.strip())
    needs: list[str] = []
    for raw_need in raw_needs:
        need = _fold(raw_need, NEEDS)
        if not isinstance(need, str) or need not in NEEDS:
            raise UserError("recommend.bad_need", value=_shown(raw_need), valid=", ".join(NEEDS))
        if need not in needs:
            needs.append(need)
    near = _fold(answers.near, NEAR)
    if near is not None and near not in NEAR:
        raise UserError("recommend.bad_near", value=_shown(answers.near), valid=", ".join(NEAR))
    return Answers(residency, tuple(needs), near)  # type: ignore[arg-type]


class _Writer:
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
        return ("" if self.lang == "zh" else " ").join(_cap(p) for p in parts if p)

    def near(self, near: str) -> str:
        return self(f"near.{near}")


def _cap(text: str) -> str:
    """Sentences may start with a placeholder such as a need's name ("batch inference ...")."""
    return text[:1].upper() + text[1:]


def _missing(p: _Placement, needs: tuple[str, ...]) -> tuple[str, ...]:
    """Needs this placement does not confirm: 'no' and 'unknown' both count."""
    return tuple(n for n in needs if p.region.features.get(n) != "yes")


def _keeps(residency: str, p: _Placement) -> bool:
    return residency == "none" or p.scope in _RESIDENCY_SCOPES[residency]


def _rank(region_id: str, near: str | None) -> int:
    order = _PROXIMITY[near]
    return order.index(region_id) if region_id in order else len(order)


def _placements(catalog: Catalog, residency: str) -> list[_Placement]:
    """Every placement a user could pick, in catalog order.

    With no residency requirement each region is offered with its widest scope (Global where
    it exists); otherwise every (region, scope) pair counts so narrower scopes can be found.
    """
    out = []
    for region in catalog.regions.values():
        if residency == "none":
            scope = "global" if "global" in region.scopes else region.scopes[0]
            out.append(_Placement(region, scope))
        else:
            out.extend(_Placement(region, s) for s in region.scopes)
    return out


def _near_reasons(
    scenario: Scenario, chosen: _Placement, answers: Answers, w: _Writer
) -> list[str]:
    """Without a residency requirement, say how the callers' location shaped the answer."""
    if answers.residency != "none" or not answers.near:
        return []
    rank = _rank(chosen.region.id, answers.near)
    near, region = w.near(answers.near), w.region(chosen.region)
    if chosen.key == _seed_key(scenario, answers) and (rank == 0 or answers.near in scenario.near):
        return [w("reason_near_seed", near=near, region=region)]
    if rank <= 1:
        return [w("reason_near_close", near=near, region=region)]
    if chosen.key == _seed_key(scenario, answers):
        return [w("reason_near_alternatives", near=w.near(answers.near))]
    return []


def _seed_key(scenario: Scenario, answers: Answers) -> tuple[str, str]:
    seed = scenario.near.get(answers.near or "", scenario.placement)
    return (seed.region, seed.scope)


def _choose(catalog: Catalog, answers: Answers, w: _Writer) -> tuple[_Placement, list[str]]:
    """The recommended placement and the reasons for choosing it."""
    scenario = catalog.scenarios.get(answers.residency)
    if scenario is None:
        raise UserError(
            "recommend.bad_residency", value=answers.residency, valid=", ".join(catalog.scenarios)
        )
    seed_raw = scenario.near.get(answers.near or "", scenario.placement)
    seed = _Placement(catalog.region(seed_raw.region), seed_raw.scope)
    reasons = [
        w(
            "reason_scenario",
            requirement=scenario.explain.get(w.lang),
            region=w.region(seed.region),
            scope=w.scope(seed.scope),
        )
    ]
    missing = _missing(seed, answers.needs)
    if not missing:
        return seed, reasons + _near_reasons(scenario, seed, answers, w)
    if answers.residency == "none":
        preference = _NEEDS_PREFERENCE.get(answers.near, _NEEDS_PREFERENCE_DEFAULT)
        candidates = [p for p in _placements(catalog, "none") if not _missing(p, answers.needs)]
        if candidates:
            candidates.sort(
                key=lambda p: (
                    preference.index(p.region.id) if p.region.id in preference else 99,
                    _rank(p.region.id, answers.near),
                )
            )
            chosen = candidates[0]
            reasons.append(
                w(
                    "reason_needs_switch",
                    seed=w.region(seed.region),
                    needs=w.needs(missing),
                    region=w.region(chosen.region),
                    scope=w.scope(chosen.scope),
                )
            )
            return chosen, reasons + _near_reasons(scenario, chosen, answers, w)
        return seed, reasons
    # A strict residency: only placements that keep it; the one confirming the most needs wins,
    # the scenario's own placement on a tie.
    keeping = [p for p in _placements(catalog, answers.residency) if _keeps(answers.residency, p)]
    best = min(
        keeping,
        key=lambda p: (len(_missing(p, answers.needs)), p.key != seed.key),
        default=seed,
    )
    return best, reasons


def _alternative(
    p: _Placement, answers: Answers, w: _Writer, *, extra: list[str] | None = None
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
    keeps = _keeps(answers.residency, p)
    if answers.residency != "none":
        requirement = w.catalog.scenarios[answers.residency].name.get(w.lang)
        key = "alt_keeps_residency" if keeps else "alt_breaks_residency"
        parts.append(w(key, requirement=requirement))
    parts.extend(extra or [])
    return Alternative(
        region=region.id,
        scope=p.scope,
        why=w.sentences(parts),
        region_name=w.region(region),
        scope_name=w.scope(p.scope),
        keeps_residency=keeps,
    )


def _alternatives(
    catalog: Catalog,
    answers: Answers,
    chosen: _Placement,
    unmet: tuple[str, ...],
    w: _Writer,
) -> list[Alternative]:
    """Alternatives, best first, never repeating the recommendation or each other.

    No residency: every other region, nearest to the callers first. A strict residency: the
    other placements that keep it, then those that offer the unmet needs (at the price of the
    residency), then the same region with its Global scope (a larger pool, data may leave).
    """
    near = answers.near
    by_near = lambda p: _rank(p.region.id, near)  # noqa: E731
    if answers.residency == "none":
        ordered = sorted(_placements(catalog, "none"), key=by_near)
    else:
        everything = _placements(catalog, answers.residency)
        keeping = sorted((p for p in everything if _keeps(answers.residency, p)), key=by_near)
        offering: list[_Placement] = []
        if unmet:
            for region in sorted(catalog.regions.values(), key=lambda r: _rank(r.id, near)):
                if all(region.features.get(n) == "yes" for n in unmet):
                    narrow = [s for s in region.scopes if s != "global"]
                    offering.append(_Placement(region, narrow[0] if narrow else region.scopes[0]))
        relaxed = (
            [_Placement(chosen.region, "global")]
            if "global" in chosen.region.scopes and chosen.scope != "global"
            else []
        )
        ordered = keeping + offering + relaxed
    seen = {chosen.key}
    out = []
    for p in ordered:
        if p.key in seen:
            continue
        seen.add(p.key)
        out.append(_alternative(p, answers, w))
    return out


def _caveats(chosen: _Placement, answers: Answers, unmet: tuple[str, ...], w: _Writer) -> list[str]:
    region = chosen.region
    name = w.region(region)
    out = []
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


def recommend(answers: Answers, lang: str | None = None) -> Recommendation:
    """Recommend a region and scope for the answers; texts in `lang` (default: current)."""
    answers = validate(answers)
    lang = _language(lang)
    catalog = load_catalog()
    w = _Writer(catalog, lang)
    chosen, reasons = _choose(catalog, answers, w)
    unmet = _missing(chosen, answers.needs)
    met = [n for n in answers.needs if n not in unmet]
    if met:
        reasons.append(w("reason_needs_met", region=w.region(chosen.region), needs=w.needs(met)))
    reasons.append(
        w("reason_scope", scope=w.scope(chosen.scope), boundary=w.boundary(chosen.scope))
    )

    # A conflict: no placement that keeps the residency confirms the need. When the
    # recommended region says "no" it is a proven conflict; when it says "unknown" (Hong
    # Kong) the need is unconfirmed, which is reported as such but still counts.
    keeping = [p for p in _placements(catalog, answers.residency) if _keeps(answers.residency, p)]
    impossible = [n for n in unmet if all(p.region.features.get(n) != "yes" for p in keeping)]
    conflict = bool(impossible)
    if unmet:
        options = [
            w(
                "option_stay",
                region=w.region(chosen.region),
                scope=w.scope(chosen.scope),
                needs=w.needs(unmet),
            )
        ]
        for region in sorted(catalog.regions.values(), key=lambda r: _rank(r.id, answers.near)):
            if all(region.features.get(n) == "yes" for n in unmet):
                narrow = [s for s in region.scopes if s != "global"]
                p = _Placement(region, narrow[0] if narrow else region.scopes[0])
                if _keeps(answers.residency, p):
                    continue
                options.append(
                    w(
                        "option_move",
                        region=w.region(region),
                        scope=w.scope(p.scope),
                        needs=w.needs(unmet),
                    )
                )
        joined = w("option_or").join(options)
        proven = any(chosen.region.features.get(n) == "no" for n in unmet)
        head = "reason_no_region" if proven else "reason_unconfirmed"
        reasons.append(w(head, needs=w.needs(unmet), region=w.region(chosen.region)))
        reasons.append(w("reason_options", options=joined))

    return Recommendation(
        residency=answers.residency,
        region=chosen.region.id,
        scope=chosen.scope,
        reasons=tuple(_cap(r) for r in reasons),
        caveats=tuple(_cap(c) for c in _caveats(chosen, answers, unmet, w)),
        alternatives=tuple(_alternatives(catalog, answers, chosen, unmet, w)),
        unmet_needs=unmet,
        conflict=conflict,
        region_name=w.region(chosen.region),
        scope_name=w.scope(chosen.scope),
        scope_boundary=w.boundary(chosen.scope),
        needs=answers.needs,
        near=answers.near,
        lang=lang,
    )


def explain_placement(
    answers: Answers, region: str, scope: str, lang: str | None = None
) -> Alternative:
    """What any placement means for these answers, e.g. when the user overrides the choice.

    Same wording as the alternatives of `recommend`, so an override is explained exactly like
    a suggested alternative: where data is stored, where inference runs, which needs it
    offers or lacks, and whether it keeps the residency requirement.
    """
    answers = validate(answers)
    catalog = load_catalog()
    if region not in catalog.regions:
        raise UserError(
            "endpoints.unknown_region", region=_shown(region), known=", ".join(catalog.regions)
        )
    if scope not in catalog.regions[region].scopes:
        raise UserError(
            "recommend.bad_scope",
            value=_shown(scope),
            region=region,
            valid=", ".join(catalog.regions[region].scopes),
        )
    w = _Writer(catalog, _language(lang))
    return _alternative(_Placement(catalog.regions[region], scope), answers, w)
