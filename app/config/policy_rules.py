"""Whether a choice or a saved profile keeps to the team policy, and what to say about it.

app.config.policy finds and reads the file, app.config.policy_parse checks what it says;
here the rules are applied: to a profile (`configure`, doctor), one choice (a store, an
export target, the wizard's fields), and the recommender's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.config.policy_parse import allowed_placements, keeps_residency
from app.config.policy_types import PAY_AS_YOU_GO, Policy
from app.core.catalog import Catalog
from app.core.endpoints import ACCESS_DOMAIN_OF_STYLE
from app.core.errors import Notice, UserError, render

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.core.recommend import Limits


# ---------------------------------------------------------------------------------------------
# Checking choices and profiles
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """A choice the policy does not allow: which rule, what was chosen, what it allows."""

    rule: str
    value: str | None
    allow: tuple[str, ...]
    reason: str | None
    path: Path

    def params(self) -> dict[str, str]:
        reason = render("policy.because", reason=self.reason) if self.reason else ""
        return {
            "rule": self.rule,
            "value": self.value if self.value is not None else render("policy.value_none"),
            "allowed": ", ".join(self.allow),
            "path": str(self.path),
            "because": reason,
        }

    @property
    def message(self) -> str:
        return render("policy.violation", **self.params())


class PolicyRefused(UserError):
    """A command's choice breaks the team policy: exit 2, nothing written or sent."""

    def __init__(self, violation: Violation, key: str = "policy.refused") -> None:
        super().__init__(key, **violation.params())
        self.violation = violation


def check(policy: Policy | None, rule: str, value: str | None) -> Violation | None:
    """The violation of choosing `value` under rule `rule`, or None when it is allowed."""
    if policy is None or policy.allows(rule, value):
        return None
    found = policy.rule(rule)
    assert found is not None  # allows() is True without the rule
    return Violation(rule, value, found.allow, found.reason, policy.path)


def refuse(
    policy: Policy | None, rule: str, value: str | None, key: str = "policy.refused"
) -> None:
    """PolicyRefused (message `key`) when rule `rule` does not allow `value`."""
    violation = check(policy, rule, value)
    if violation is not None:
        raise PolicyRefused(violation, key)


def profile_violations(policy: Policy | None, profile: Profile) -> list[Violation]:
    """Every rule a (saved or about to be saved) profile breaks, in the rules' order."""
    if policy is None:
        return []
    plan = profile.plan or PAY_AS_YOU_GO
    domain = ACCESS_DOMAIN_OF_STYLE.get(profile.endpoint_style)
    # What the user chose first (the residency answer, the region, the scope), then what
    # follows from it (a scope whose inference leaves the residency), so that the message
    # names the choice to change.
    found = [
        check(policy, "residency", profile.residency) if profile.residency else None,
        check(policy, "regions", profile.region),
        check(policy, "scopes", profile.scope),
        _scope_residency(policy, profile.scope),
        check(policy, "access_domains", domain) if domain is not None else None,
        check(policy, "plans", plan),
        check(policy, "workspace_id", profile.workspace_id),
        check(policy, "models", profile.model),
        check(policy, "key_store", profile.api_key.store),
    ]
    out: list[Violation] = []
    for violation in found:
        if violation is not None and violation not in out:
            out.append(violation)
    return out


def _scope_residency(policy: Policy, scope: str) -> Violation | None:
    """A scope whose inference may leave the residency the policy pins."""
    rule = policy.rule("residency")
    if rule is None or keeps_residency(policy, scope):
        return None
    shown = render("policy.scope_value", scope=scope)  # "the scope global", not a residency
    return Violation("residency", shown, rule.allow, rule.reason, policy.path)


def summary(policy: Policy) -> list[str]:
    """One line per rule ("regions: eu-central-1 - why"), for Welcome and the CLI."""
    lines = []
    for rule in policy.rules.values():
        reason = render("policy.because", reason=rule.reason) if rule.reason else ""
        lines.append(
            render(
                "policy.summary_line", rule=rule.name, allowed=", ".join(rule.allow), because=reason
            )
        )
    return lines


def refuse_profile(policy: Policy | None, profile: Profile, *, store: bool = True) -> None:
    """PolicyRefused naming the first rule `profile` breaks (`store`: check its key store
    too; `configure` checks the store it is about to use once it has chosen one)."""
    for violation in profile_violations(policy, profile):
        if store or violation.rule != "key_store":
            raise PolicyRefused(violation)


def how_found(policy: Policy) -> str:
    """How the file was found, in words ("found in this repository, searched up to ...")."""
    return render(f"policy.how_{policy.found_by}", root=str(policy.searched_to or "/"))


def applies_notice(policy: Policy) -> Notice:
    """The stderr line that says which policy a command follows, and how it was found."""
    return Notice("policy.applies", path=str(policy.path), how=how_found(policy))


def limits(policy: Policy, catalog: Catalog) -> Limits:
    """What the recommender may offer under this policy (app.core.recommend.Limits)."""
    from app.core.recommend import Limits  # lazy: the recommender, for recommend only

    domains = policy.rule("access_domains")
    return Limits(
        source=str(policy.path),
        placements=frozenset(allowed_placements(policy, catalog)),
        access_domains=domains.allow if domains is not None else None,
    )


def locked_text(policy: Policy | None, rule: str) -> str | None:
    """What a step says under a field the policy pins ("Set by the team policy: ..."), or
    None when the rule leaves a choice (the step then refuses what it does not allow)."""
    if policy is None:
        return None
    value = policy.pinned(rule)
    found = policy.rule(rule)
    if value is None or found is None:
        return None
    because = render("policy.because", reason=found.reason) if found.reason else ""
    return render("policy.banner_locked", rule=rule, value=value, because=because)


def setup_violations(
    policy: Policy | None,
    *,
    profile: Profile | None = None,
    exports: tuple[str, ...] = (),
) -> list[Violation]:
    """What the wizard's setup breaks: its profile's rules and the export targets chosen."""
    out = profile_violations(policy, profile) if profile is not None else []
    for target in exports:
        violation = check(policy, "exports", target)
        if violation is not None:
            out.append(violation)
    return out


def refusal(policy: Policy | None, rule: str, value: str | None) -> str | None:
    """The wizard's refusal of one choice (the rule, what it allows, its reason), or None."""
    violation = check(policy, rule, value)
    if violation is None:
        return None
    return render("policy.not_allowed_choice", **violation.params())


def placement_refusal(policy: Policy | None, region: str | None, scope: str | None) -> str | None:
    """The wizard's refusal of a region and scope (regions, scopes, then residency), or None."""
    if policy is None:
        return None
    found = check(policy, "regions", region) or check(policy, "scopes", scope)
    found = found or (_scope_residency(policy, scope) if scope else None)
    return render("policy.not_allowed_choice", **found.params()) if found else None


def host_refusal(policy: Policy | None, access_domain: str | None, plan: str | None) -> str | None:
    """The wizard's refusal of a host (an access domain, or a plan host when `plan` is set),
    or None: the rules Export checks on the profile this host makes (a plan host or a
    domain without a workspace ID records no ID, which a workspace_id rule does not allow)."""
    if policy is None:
        return None
    found = check(policy, "plans", plan or PAY_AS_YOU_GO)
    if found is None and plan is None and access_domain is not None:
        found = check(policy, "access_domains", access_domain)
    if found is None and (plan is not None or access_domain != "workspace"):
        found = check(policy, "workspace_id", None)
    return render("policy.not_allowed_choice", **found.params()) if found else None


def allowed_models(policy: Policy | None, known: Sequence[str]) -> tuple[str, ...]:
    """The models to offer out of `known` (the scope's or the plan's): a pinned model alone,
    else those the allow-list matches, in the catalog's order; all of `known` when none
    matches (a choice is then refused with the rule rather than offered empty)."""
    rule = policy.rule("models") if policy is not None else None
    if rule is None:
        return tuple(known)
    if rule.pinned is not None:
        return (rule.pinned,)
    assert policy is not None
    return tuple(m for m in known if policy.allows("models", m)) or tuple(known)


# The wizard's state fields a pin preselects (the same names as app.state.WizardState's).
WIZARD_PINS = ("residency", "workspace_id", "key_store")
_State = TypeVar("_State")


def wizard_pins(policy: Policy | None, state: _State) -> _State:
    """`state` (a frozen WizardState: this layer may not import app.state) with the fields
    the policy pins set, the start of a new setup (the steps then show them locked or refuse
    anything else)."""
    if policy is None:
        return state
    import dataclasses  # lazy: only the wizard applies pins

    pins = {name: value for name in WIZARD_PINS if (value := policy.pinned(name)) is not None}
    return dataclasses.replace(state, **pins) if pins else state  # type: ignore[type-var]
