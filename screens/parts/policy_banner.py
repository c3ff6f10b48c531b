"""The team policy on screen: which file, how it was found, and what each rule pins.

Welcome shows the whole banner; the steps show one locked line per pinned field (the
rule and the reason the file gives). The words come from app.config.policy_rules, so the
screen restates nothing the CLI says differently.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from app import flow
from app.config.policy import Policy
from app.config.policy_rules import how_found, locked_text, refusal, setup_violations, summary
from app.core.errors import UserError

__all__ = ["PolicyBanner", "locked_line", "refusal", "setup_refusal"]
from app.core.i18n import t
from app.state import WizardState
from screens.widgets import Prose


class PolicyBanner(Vertical):
    """The policy in force: its path, how it was found, one line per rule."""

    DEFAULT_CSS = """
    PolicyBanner { height: auto; border-left: thick $warning; padding: 0 1; margin: 0 0 1 0; }
    """

    def __init__(self, policy: Policy, **kwargs: object) -> None:
        super().__init__(id=kwargs.pop("id", "policy-banner"))  # type: ignore[arg-type]
        self.policy = policy

    def compose(self) -> ComposeResult:
        title = t("policy.banner_title", path=str(self.policy.path))
        if self.policy.team:
            title = f"{title} · {self.policy.team}"
        yield Prose(Text(title, style="bold"), id="policy-title")
        yield Prose(Text(how_found(self.policy)), classes="hint tight", id="policy-how")
        yield Prose(Text("\n".join(summary(self.policy))), id="policy-rules")


def locked_line(policy: Policy | None, rule: str) -> Prose | None:
    """The "set by the team policy" line of a field the policy pins, or None."""
    text = locked_text(policy, rule)
    if text is None:
        return None
    return Prose(Text(text), classes="field-status -warning", id=f"policy-lock-{rule}")


def setup_refusal(
    policy: Policy | None, state: WizardState, rules: tuple[str, ...] | None = None
) -> str | None:
    """Why Export may not write this setup (the first rule its profile or one of its
    targets breaks), or None; `rules`: only those (a step checks what it decides, with
    the same check Export makes). A state that does not make a profile yet is left to the
    step's own checks."""
    if policy is None:
        return None
    try:
        profile = flow.build_profile(state)
    except UserError:
        profile = None
    found = setup_violations(policy, profile=profile, exports=state.export_targets)
    found = [v for v in found if rules is None or v.rule in rules]
    return found[0].message if found else None
