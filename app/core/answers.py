"""The recommendation's questions and the geography it weighs them with (no I/O).

The vocabulary of the answers (residency, needs, callers' location), their validation (the
wizard and the CLI refuse the same inputs with the same words), which scopes keep each
residency, how near each region is to the callers, and the placements a user could pick.
app.core.recommend decides with these; app.core.placement_text words the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.catalog import Catalog, Region
from app.core.errors import UserError

RESIDENCIES = ("none", "mainland", "outside-mainland", "us", "eu", "japan", "hongkong")
# The feature table of MODEL_STUDIO.md section 1 (realtime is everywhere, so never a need).
NEEDS = ("batch", "fine-tuning", "alerting", "app-dev", "privatelink")
NEAR = ("americas", "europe", "asia", "china")

# Scopes that keep each residency requirement. A scope is where inference may run; the region
# (where data is stored) follows from the scope for every scope except global, which no strict
# residency accepts. "outside-mainland" accepts every scope that never uses mainland nodes.
RESIDENCY_SCOPES: dict[str, frozenset[str]] = {
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
_SEED_ORDER = (
    "us-east-1",
    "eu-central-1",
    "ap-northeast-1",
    "cn-hongkong",
    "ap-southeast-1",
    "cn-beijing",
)
PROXIMITY: dict[str | None, tuple[str, ...]] = {
    None: _SEED_ORDER,
    "americas": _SEED_ORDER,
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
NEEDS_PREFERENCE: dict[str | None, tuple[str, ...]] = {
    "china": ("cn-beijing", "ap-southeast-1"),
}
NEEDS_PREFERENCE_DEFAULT = ("ap-southeast-1", "cn-beijing")


@dataclass(frozen=True)
class Answers:
    residency: str
    needs: tuple[str, ...] = ()
    near: str | None = None


@dataclass(frozen=True)
class Placement:
    """A region with one of its scopes: what a recommendation or an alternative names."""

    region: Region
    scope: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.region.id, self.scope)


def shown(value: object) -> str:
    """A bad answer echoed back safely: bounded length, control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 40:
        text = text[:40] + "..."
    return text.encode("unicode_escape").decode("ascii")


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
            value=shown(answers.residency),
            valid=", ".join(RESIDENCIES),
        )
    raw_needs = answers.needs
    if isinstance(raw_needs, str):  # "batch,alerting" from a caller that did not split it
        raw_needs = tuple(n.strip() for n in raw_needs.split(",") if n.strip())
    needs: list[str] = []
    for raw_need in raw_needs:
        need = _fold(raw_need, NEEDS)
        if not isinstance(need, str) or need not in NEEDS:
            raise UserError("recommend.bad_need", value=shown(raw_need), valid=", ".join(NEEDS))
        if need not in needs:
            needs.append(need)
    near = _fold(answers.near, NEAR)
    if near is not None and near not in NEAR:
        raise UserError("recommend.bad_near", value=shown(answers.near), valid=", ".join(NEAR))
    return Answers(residency, tuple(needs), near if isinstance(near, str) else None)


def missing(p: Placement, needs: tuple[str, ...]) -> tuple[str, ...]:
    """Needs this placement does not confirm: 'no' and 'unknown' both count."""
    return tuple(n for n in needs if p.region.features.get(n) != "yes")


def keeps(residency: str, p: Placement) -> bool:
    return residency == "none" or p.scope in RESIDENCY_SCOPES[residency]


def rank(region_id: str, near: str | None) -> int:
    order = PROXIMITY[near]
    return order.index(region_id) if region_id in order else len(order)


def placements(catalog: Catalog, residency: str) -> list[Placement]:
    """Every placement a user could pick, in catalog order.

    With no residency requirement each region is offered with its widest scope (Global where
    it exists); otherwise every (region, scope) pair counts so narrower scopes can be found.
    """
    out = []
    for region in catalog.regions.values():
        if residency == "none":
            scope = "global" if "global" in region.scopes else region.scopes[0]
            out.append(Placement(region, scope))
        else:
            out.extend(Placement(region, s) for s in region.scopes)
    return out


def offering(catalog: Catalog, needs: tuple[str, ...], near: str | None) -> list[Placement]:
    """The regions that confirm every one of `needs`, nearest first, each with its narrowest
    scope (a residency-keeping one where the region has one besides Global)."""
    out = []
    for region in sorted(catalog.regions.values(), key=lambda r: rank(r.id, near)):
        if all(region.features.get(n) == "yes" for n in needs):
            narrow = [s for s in region.scopes if s != "global"]
            out.append(Placement(region, narrow[0] if narrow else region.scopes[0]))
    return out
