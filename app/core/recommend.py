"""Answers about residency, needs and callers' location -> a region and a service scope.

The scenario table of the catalog (MODEL_STUDIO.md section 1) is the backbone; this module adds
what the table leaves implicit: which placements still honour a residency requirement, which
features each region lacks, what every alternative gives up, and an honest "no region satisfies
all of this" instead of silently dropping a need. The answers' vocabulary and the geography
are app.core.answers; the wording of each placement is app.core.placement_text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.access_advice import DomainOption, domain_options, model_advice
from app.core.answers import (
    NEEDS_PREFERENCE,
    NEEDS_PREFERENCE_DEFAULT,
    Answers,
    Placement,
    keeps,
    missing,
    offering,
    placements,
    rank,
    shown,
    validate,
)
from app.core.catalog import Catalog, Scenario, load_catalog
from app.core.errors import UserError
from app.core.i18n import LANGUAGES, get_language, t
from app.core.placement_text import Alternative, Writer, cap, caveats, describe


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
    access_domains: tuple[DomainOption, ...] = ()
    model_advice: str | None = None
    # What a team policy changed (app.config.policy): said, never silently applied.
    policy_notes: tuple[str, ...] = ()

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
            "access_domains": [d.to_json() for d in self.access_domains],
            "model_advice": self.model_advice,
            **({"policy_notes": list(self.policy_notes)} if self.policy_notes else {}),
        }


@dataclass(frozen=True)
class Limits:
    """What a team policy leaves to recommend (app.config.policy_rules.limits builds it
    from the file; the core knows no files): the (region, scope) placements and the access
    domains allowed, None meaning any, and the file's path for the explanation."""

    source: str
    placements: frozenset[tuple[str, str]] | None = None
    access_domains: tuple[str, ...] | None = None

    def allows(self, p: Placement) -> bool:
        return self.placements is None or p.key in self.placements


def _best_allowed(catalog: Catalog, answers: Answers, limits: Limits) -> Placement | None:
    """The allowed placement that keeps the residency, then confirms the most needs, then
    is nearest to the callers (a narrower scope before Global on a tie)."""
    allowed = [
        Placement(region, scope)
        for region in catalog.regions.values()
        for scope in region.scopes
        if limits.allows(Placement(region, scope))
    ]
    return min(
        allowed,
        key=lambda p: (
            not keeps(answers.residency, p),
            len(missing(p, answers.needs)),
            rank(p.region.id, answers.near),
            p.scope == "global",
        ),
        default=None,
    )


def _apply_limits(
    catalog: Catalog, answers: Answers, chosen: Placement, limits: Limits, w: Writer
) -> tuple[Placement, list[str]]:
    """The recommendation the policy allows, and what to say about it."""
    notes: list[str] = []
    best = chosen if limits.allows(chosen) else _best_allowed(catalog, answers, limits)
    if best is None:  # the policy reader refuses a file that allows nothing: not reached
        return chosen, notes
    allowed = sorted(limits.placements or ())
    shown = ", ".join(f"{r} / {s}" for r, s in allowed)
    if best.key != chosen.key:
        notes.append(
            t(
                "policy.recommend_restricted",
                w.lang,
                path=limits.source,
                allowed=shown,
                region=w.region(best.region),
                scope=w.scope(best.scope),
            )
        )
    else:
        notes.append(t("policy.recommend_unchanged", w.lang, path=limits.source))
    return best, notes


def _language(lang: str | None) -> str:
    lang = lang or get_language()
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r} (supported: {', '.join(LANGUAGES)})")
    return lang


def _near_reasons(scenario: Scenario, chosen: Placement, answers: Answers, w: Writer) -> list[str]:
    """Without a residency requirement, say how the callers' location shaped the answer."""
    if answers.residency != "none" or not answers.near:
        return []
    place = rank(chosen.region.id, answers.near)
    near, region = w.near(answers.near), w.region(chosen.region)
    if chosen.key == _seed_key(scenario, answers) and (place == 0 or answers.near in scenario.near):
        return [w("reason_near_seed", near=near, region=region)]
    if place <= 1:
        return [w("reason_near_close", near=near, region=region)]
    if chosen.key == _seed_key(scenario, answers):
        return [w("reason_near_alternatives", near=w.near(answers.near))]
    return []


def _seed_key(scenario: Scenario, answers: Answers) -> tuple[str, str]:
    seed = scenario.near.get(answers.near or "", scenario.placement)
    return (seed.region, seed.scope)


def _choose(catalog: Catalog, answers: Answers, w: Writer) -> tuple[Placement, list[str]]:
    """The recommended placement and the reasons for choosing it."""
    scenario = catalog.scenarios.get(answers.residency)
    if scenario is None:
        raise UserError(
            "recommend.bad_residency", value=answers.residency, valid=", ".join(catalog.scenarios)
        )
    seed_raw = scenario.near.get(answers.near or "", scenario.placement)
    seed = Placement(catalog.region(seed_raw.region), seed_raw.scope)
    reasons = [
        w(
            "reason_scenario",
            requirement=scenario.explain.get(w.lang),
            region=w.region(seed.region),
            scope=w.scope(seed.scope),
        )
    ]
    lacking = missing(seed, answers.needs)
    if not lacking:
        return seed, reasons + _near_reasons(scenario, seed, answers, w)
    if answers.residency == "none":
        preference = NEEDS_PREFERENCE.get(answers.near, NEEDS_PREFERENCE_DEFAULT)
        candidates = [p for p in placements(catalog, "none") if not missing(p, answers.needs)]
        if candidates:
            candidates.sort(
                key=lambda p: (
                    preference.index(p.region.id) if p.region.id in preference else 99,
                    rank(p.region.id, answers.near),
                )
            )
            chosen = candidates[0]
            reasons.append(
                w(
                    "reason_needs_switch",
                    seed=w.region(seed.region),
                    needs=w.needs(lacking),
                    region=w.region(chosen.region),
                    scope=w.scope(chosen.scope),
                )
            )
            return chosen, reasons + _near_reasons(scenario, chosen, answers, w)
        return seed, reasons
    # A strict residency: only placements that keep it; the one confirming the most needs wins,
    # the scenario's own placement on a tie.
    keeping = [p for p in placements(catalog, answers.residency) if keeps(answers.residency, p)]
    best = min(
        keeping,
        key=lambda p: (len(missing(p, answers.needs)), p.key != seed.key),
        default=seed,
    )
    return best, reasons


def _alternatives(
    catalog: Catalog,
    answers: Answers,
    chosen: Placement,
    unmet: tuple[str, ...],
    w: Writer,
) -> list[Alternative]:
    """Alternatives, best first, never repeating the recommendation or each other.

    No residency: every other region, nearest to the callers first. A strict residency: the
    other placements that keep it, then those that offer the unmet needs (at the price of the
    residency), then the same region with its Global scope (a larger pool, data may leave).
    """
    near = answers.near
    by_near = lambda p: rank(p.region.id, near)  # noqa: E731
    if answers.residency == "none":
        ordered = sorted(placements(catalog, "none"), key=by_near)
    else:
        everything = placements(catalog, answers.residency)
        keeping = sorted((p for p in everything if keeps(answers.residency, p)), key=by_near)
        offer = offering(catalog, unmet, near) if unmet else []
        relaxed = (
            [Placement(chosen.region, "global")]
            if "global" in chosen.region.scopes and chosen.scope != "global"
            else []
        )
        ordered = keeping + offer + relaxed
    seen = {chosen.key}
    out: list[Alternative] = []
    for p in ordered:
        if p.key in seen:
            continue
        seen.add(p.key)
        out.append(describe(p, answers, w))
    return out


def recommend(
    answers: Answers, lang: str | None = None, limits: Limits | None = None
) -> Recommendation:
    """Recommend a region and scope for the answers; texts in `lang` (default: current).
    `limits`: a team policy's; only what it allows is recommended or offered, and the
    policy notes say what it changed."""
    answers = validate(answers)
    lang = _language(lang)
    catalog = load_catalog()
    w = Writer(catalog, lang)
    chosen, reasons = _choose(catalog, answers, w)
    policy_notes: list[str] = []
    if limits is not None:
        chosen, policy_notes = _apply_limits(catalog, answers, chosen, limits, w)
    unmet = missing(chosen, answers.needs)
    met = [n for n in answers.needs if n not in unmet]
    if met:
        reasons.append(w("reason_needs_met", region=w.region(chosen.region), needs=w.needs(met)))
    reasons.append(
        w("reason_scope", scope=w.scope(chosen.scope), boundary=w.boundary(chosen.scope))
    )

    # A conflict: no placement that keeps the residency confirms the need. When the
    # recommended region says "no" it is a proven conflict; when it says "unknown" (Hong
    # Kong) the need is unconfirmed, which is reported as such but still counts.
    keeping = [p for p in placements(catalog, answers.residency) if keeps(answers.residency, p)]
    if limits is not None:
        keeping = [p for p in keeping if limits.allows(p)] or [chosen]
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
        for p in offering(catalog, unmet, answers.near):
            if not keeps(answers.residency, p) and (limits is None or limits.allows(p)):
                options.append(
                    w(
                        "option_move",
                        region=w.region(p.region),
                        scope=w.scope(p.scope),
                        needs=w.needs(unmet),
                    )
                )
        joined = w("option_or").join(options)
        proven = any(chosen.region.features.get(n) == "no" for n in unmet)
        head = "reason_no_region" if proven else "reason_unconfirmed"
        reasons.append(w(head, needs=w.needs(unmet), region=w.region(chosen.region)))
        reasons.append(w("reason_options", options=joined))

    alternatives = _alternatives(catalog, answers, chosen, unmet, w)
    domains = domain_options(chosen.region.id, lang, catalog)
    if limits is not None:
        alternatives, policy_notes = _limit_offers(alternatives, limits, policy_notes, lang)
        if limits.access_domains is not None:
            domains = tuple(d for d in domains if d.id in limits.access_domains)
            names = ", ".join(d.name for d in domains) or "-"
            policy_notes.append(t("policy.recommend_domains", lang, domains=names))
    return Recommendation(
        residency=answers.residency,
        region=chosen.region.id,
        scope=chosen.scope,
        reasons=tuple(cap(r) for r in reasons),
        caveats=tuple(cap(c) for c in caveats(chosen, answers, unmet, w)),
        alternatives=tuple(alternatives),
        unmet_needs=unmet,
        conflict=conflict,
        region_name=w.region(chosen.region),
        scope_name=w.scope(chosen.scope),
        scope_boundary=w.boundary(chosen.scope),
        needs=answers.needs,
        near=answers.near,
        lang=lang,
        access_domains=domains,
        model_advice=model_advice(chosen.region.id, chosen.scope, lang, catalog),
        policy_notes=tuple(policy_notes),
    )


def _limit_offers(
    alternatives: list[Alternative], limits: Limits, notes: list[str], lang: str
) -> tuple[list[Alternative], list[str]]:
    """Only the alternatives the policy allows; the others are named once, as excluded."""
    kept = [a for a in alternatives if (a.region, a.scope) in (limits.placements or set())]
    if limits.placements is None:
        return alternatives, notes
    dropped = [f"{a.region} / {a.scope}" for a in alternatives if a not in kept]
    if dropped:
        notes = [*notes, t("policy.recommend_excluded", lang, placements=", ".join(dropped))]
    return kept, notes


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
            "endpoints.unknown_region", region=shown(region), known=", ".join(catalog.regions)
        )
    if scope not in catalog.regions[region].scopes:
        raise UserError(
            "recommend.bad_scope",
            value=shown(scope),
            region=region,
            valid=", ".join(catalog.regions[region].scopes),
        )
    w = Writer(catalog, _language(lang))
    return describe(Placement(catalog.regions[region], scope), answers, w)
