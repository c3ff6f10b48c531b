"""The `recommend` command: residency, needs and callers' location -> region and scope.

Prints a short card for people, or the stable JSON of `Recommendation.to_json()` for scripts.
Validation lives in app.core.answers so the wizard and the CLI refuse the same inputs with the
same messages.
"""

from __future__ import annotations

import argparse
import sys

from app.core.answers import NEAR, NEEDS, RESIDENCIES, Answers, validate
from app.core.i18n import t
from app.core.json_out import dumps
from app.core.recommend import Recommendation, recommend


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser(
        "recommend",
        parents=[common],
        help=t("recommend.cli_help"),
        description=t("recommend.cli_help"),
    )
    p.add_argument(
        "--residency",
        required=True,
        metavar="R",
        help=t("recommend.opt_residency", valid=", ".join(RESIDENCIES)),
    )
    p.add_argument(
        "--need",
        action="append",
        default=[],
        metavar="N[,N...]",
        help=t("recommend.opt_need", valid=", ".join(NEEDS)),
    )
    p.add_argument("--near", metavar="Z", help=t("recommend.opt_near", valid=", ".join(NEAR)))
    p.add_argument("--json", action="store_true", help=t("recommend.opt_json"))


def split_needs(values: list[str]) -> tuple[str, ...]:
    """`--need batch,alerting --need fine-tuning` -> each need once, in the order given."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return tuple(out)


def render_card(rec: Recommendation) -> str:
    """The human-readable card, in the recommendation's own language."""
    lang = rec.lang

    def w(key: str, **params: object) -> str:
        return t(f"recommend.{key}", lang, **params)

    lines = [
        w("card_title", region=rec.region_name, scope=rec.scope_name),
        "  " + w("card_stored", region=rec.region_name, boundary=rec.scope_boundary),
        "",
        w("card_reasons"),
        *(f"  • {r}" for r in rec.reasons),
    ]
    if rec.caveats:
        lines += ["", w("card_caveats"), *(f"  ! {c}" for c in rec.caveats)]
    if rec.model_advice:
        lines += ["", w("card_models"), f"  {rec.model_advice}"]
    if rec.access_domains:
        lines += ["", w("card_domains")]
        for d in rec.access_domains:
            mark = f" ({w('domain_recommended')})" if d.recommended else ""
            lines.append(f"  • {d.name}{mark}: {d.host}")
            lines.append(f"      {d.summary}")
    lines += ["", w("card_alternatives")]
    if rec.alternatives:
        for alt in rec.alternatives:
            name = w("card_alt", region=alt.region_name, id=alt.region, scope=alt.scope_name)
            lines.append(f"  → {name}")
            lines.append(f"      {alt.why}")
    else:
        lines.append("  " + w("card_none"))
    if rec.unmet_needs:
        names = [w(f"need.{n}") for n in rec.unmet_needs]
        lines += ["", w("card_unmet"), *(f"  ✗ {n}" for n in names)]
    if rec.conflict:
        lines += ["", w("card_conflict")]
    if rec.policy_notes:
        lines += ["", t("policy.card_policy", lang), *(f"  § {n}" for n in rec.policy_notes)]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    # lazy: the team policy (a file read) only when recommend runs, not for --help
    from app.config.policy import cli_policy
    from app.config.policy_rules import applies_notice, limits, refuse
    from app.config.shell import print_notices
    from app.core.catalog import load_catalog

    answers = validate(
        Answers(residency=args.residency, needs=split_needs(args.need), near=args.near or None)
    )
    policy = cli_policy(args)
    if policy is not None:  # said first (stderr), so a refusal below names a known file
        print_notices([applies_notice(policy)])
    # A residency the policy does not allow is refused (exit 2), naming the rule and why.
    refuse(policy, "residency", answers.residency, "policy.residency_conflict")
    rec = recommend(answers, limits=limits(policy, load_catalog()) if policy else None)
    if args.json:
        sys.stdout.write(dumps(rec.to_json()) + "\n")
    else:
        sys.stdout.write(render_card(rec))
    return 0
