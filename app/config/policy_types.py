"""The team policy's types: its constants, the error a bad file raises, Rule and Policy.

Only data: finding and reading the file is app.config.policy, what its content may say is
app.config.policy_parse, and whether a choice keeps to it app.config.policy_rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import UserError, render

POLICY_FILE = "modelstudio-policy.yaml"
POLICY_ENV = "MODELSTUDIO_SETUP_POLICY"
POLICY_VERSION = 1
# A real policy is a few hundred bytes; anything near this cap is not one (T18).
MAX_POLICY_BYTES = 64_000

# The rules a policy may hold, in the order they are shown (Welcome, docs, messages).
RULES = (
    "residency",
    "regions",
    "scopes",
    "access_domains",
    "plans",
    "workspace_id",
    "models",
    "key_store",
    "exports",
)
# The plan value of a profile that is on no plan (the pay-as-you-go hosts).
PAY_AS_YOU_GO = "pay-as-you-go"


class PolicyError(UserError):
    """The policy file cannot be used; the message names the file and the field, never a
    value that looks like a key (exit 2, nothing read further, nothing sent)."""

    def __init__(self, path: Path | str, where: str, reason_key: str, /, **params: object) -> None:
        super().__init__("policy.invalid", path=str(path), where=where)
        self.where = where
        self.reason_key = reason_key
        self.reason_params = params

    @property
    def message(self) -> str:
        reason = render(self.reason_key, **self.reason_params)
        return render(self.key, path=self.params["path"], where=self.where, reason=reason)


@dataclass(frozen=True)
class Rule:
    """One rule of the file: the values it allows (one value pins it) and why."""

    name: str
    allow: tuple[str, ...]
    reason: str | None = None

    @property
    def pinned(self) -> str | None:
        """The one value this rule leaves, or None when it leaves a choice (or a pattern)."""
        if len(self.allow) == 1 and "*" not in self.allow[0]:
            return self.allow[0]
        return None


@dataclass(frozen=True)
class Policy:
    """A validated policy: its file, an optional team name, and its rules by name."""

    path: Path
    rules: dict[str, Rule] = field(default_factory=dict)
    team: str | None = None
    # How the file was found: "flag" | "environment" | "repository" | "filesystem" (the
    # upward search stopped at a repository root / at the filesystem root).
    found_by: str = "flag"
    searched_to: Path | None = None

    def rule(self, name: str) -> Rule | None:
        return self.rules.get(name)

    def allows(self, name: str, value: str | None) -> bool:
        """Whether rule `name` allows `value` (None: the field is not set, e.g. no
        workspace ID); a rule the file does not have allows everything."""
        rule = self.rules.get(name)
        if rule is None:
            return True
        if value is None:
            return False
        if name == "models":
            from fnmatch import fnmatchcase  # lazy: only a model allow-list needs it

            return any(fnmatchcase(value, pattern) for pattern in rule.allow)
        if name == "residency" and value not in rule.allow:
            return _stricter_residency(value, rule.allow)
        return value in rule.allow

    def pinned(self, name: str) -> str | None:
        rule = self.rules.get(name)
        return rule.pinned if rule is not None else None

    def allowed(self, name: str, known: tuple[str, ...]) -> tuple[str, ...]:
        """The values of `known` rule `name` allows, in the order of `known`."""
        return tuple(v for v in known if self.allows(name, v))


def _stricter_residency(value: str, allow: tuple[str, ...]) -> bool:
    """Whether the residency answer `value` keeps within one the policy allows: `eu` keeps
    the data in the EU, so it keeps `outside-mainland` too ("none" keeps nothing, and is
    allowed only by name)."""
    from app.core.answers import RESIDENCY_SCOPES  # lazy: the one table of what keeps what

    if "none" in allow:
        return True
    scopes = RESIDENCY_SCOPES.get(value, frozenset())
    return bool(scopes) and any(scopes <= RESIDENCY_SCOPES.get(a, frozenset()) for a in allow)
