"""What a policy file may say: its shape and values, and the placements it leaves.

The file's shape is strict (app.config.policy reads it): `version: 1`, an optional `team`
name, and rules from app.config.policy.RULES, each either a value / a list of values, or a
mapping `{allow: ..., reason: "..."}`. Every value is checked against the catalog the rest
of the tool uses (regions, scopes, residencies, plans, access domains, stores, export
targets), a workspace ID like any typed one (SECURITY.md T1/T2), a model like the config's.
A field that would say where the key goes (a URL, a host, a proxy, a key) is refused with
its own message: a policy restricts, it never redirects (T3). A policy that leaves no
region and scope at all is refused too: it would refuse everything without saying why.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.config.fields import MODEL_NAME
from app.config.policy_types import (
    PAY_AS_YOU_GO,
    POLICY_VERSION,
    RULES,
    Policy,
    PolicyError,
    Rule,
)
from app.core.catalog import Catalog
from app.core.endpoints import ACCESS_DOMAIN_OF_STYLE, normalize_workspace_id
from app.core.errors import UserError
from app.core.names import safe_repr
from app.core.text import looks_like_key
from app.secrets.stores import STORE_KINDS

TOP_FIELDS = ("version", "team", *RULES)
RULE_FIELDS = ("allow", "reason")
ACCESS_DOMAINS = tuple(ACCESS_DOMAIN_OF_STYLE.values())  # workspace, dashscope, trial
# The export targets (app.export.formats.FORMATS, which this layer may not import; a test
# keeps the two lists equal).
EXPORT_TARGETS = (
    "yaml",
    "dotenv",
    "sh",
    "fish",
    "powershell",
    "openai-python",
    "anthropic-python",
    "dashscope-python",
    "claude-code",
    "qwen-code",
    "opencode",
    "codex",
    "litellm",
)
# Scopes that keep each residency (app.core.answers.RESIDENCY_SCOPES; "none" keeps any).
MAX_VALUES = 64
MAX_REASON = 500
MAX_TEAM = 100
# Field names that would say where requests go or what they carry: a policy never sets
# them (T3), and the refusal says so instead of "unknown field".
_REDIRECTING = re.compile(
    r"url|host|proxy|endpoint|domain_name|server|address|ca_?file|cert|resolve|connect"
    r"|key$|^key|token|secret|password|header|env",
    re.IGNORECASE,
)


def known_values(rule: str, catalog: Catalog) -> tuple[str, ...]:
    """The values rule `rule` chooses from (the workspace ID and the models are open)."""
    if rule == "residency":
        return tuple(catalog.scenarios)
    if rule == "regions":
        return tuple(catalog.regions)
    if rule == "scopes":
        return tuple(catalog.scopes)
    if rule == "access_domains":
        return ACCESS_DOMAINS
    if rule == "plans":
        return (PAY_AS_YOU_GO, *catalog.plans)
    if rule == "key_store":
        return STORE_KINDS
    if rule == "exports":
        return EXPORT_TARGETS
    return ()


def parse_policy(data: object, path: Path, catalog: Catalog) -> Policy:
    """A parsed policy document -> Policy, or PolicyError naming the field."""
    _refuse_keys_anywhere(data, path)
    if not isinstance(data, dict):
        raise PolicyError(path, "<root>", "policy.reason_not_mapping")
    for name in data:
        if name not in TOP_FIELDS:
            raise _unknown(path, str(name), str(name), TOP_FIELDS)
    version = data.get("version")
    if isinstance(version, bool) or version != POLICY_VERSION:
        if isinstance(version, str) and version.strip() == str(POLICY_VERSION):
            # `version: "1"`: the right version written as text; say that, not "unsupported"
            raise PolicyError(path, "version", "policy.reason_version_text", value=version)
        raise PolicyError(path, "version", "policy.reason_version", value=safe_repr(version))
    team = data.get("team")
    if team is not None and (not isinstance(team, str) or not 0 < len(team) <= MAX_TEAM):
        raise PolicyError(path, "team", "policy.reason_team", limit=MAX_TEAM)
    rules: dict[str, Rule] = {}
    for name in RULES:
        if name in data:
            rules[name] = _rule(name, data[name], path, catalog)
    policy = Policy(path=path, rules=rules, team=team.strip() if team else None)
    _refuse_contradictions(policy, path, catalog)
    return policy


def _unknown(path: Path, where: str, name: str, known: tuple[str, ...]) -> PolicyError:
    if _REDIRECTING.search(name):
        return PolicyError(path, where, "policy.reason_redirecting")
    return PolicyError(path, where, "policy.reason_unknown_field", known=", ".join(known))


def _rule(name: str, raw: object, path: Path, catalog: Catalog) -> Rule:
    reason = None
    values = raw
    if isinstance(raw, dict):
        for field in raw:
            if field not in RULE_FIELDS:
                raise _unknown(path, f"{name}.{field}", str(field), RULE_FIELDS)
        if "allow" not in raw:
            raise PolicyError(path, name, "policy.reason_allow_missing")
        values = raw["allow"]
        reason = raw.get("reason")
        if reason is not None and (
            not isinstance(reason, str) or not 0 < len(reason.strip()) <= MAX_REASON
        ):
            raise PolicyError(path, f"{name}.reason", "policy.reason_reason", limit=MAX_REASON)
    items = [values] if isinstance(values, str) else values
    if not isinstance(items, list) or not items:
        raise PolicyError(path, name, "policy.reason_values")
    if len(items) > MAX_VALUES:
        raise PolicyError(path, name, "policy.reason_too_many", limit=MAX_VALUES)
    allow: list[str] = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]" if not isinstance(values, str) else name
        value = _value(name, item, where, path, catalog)
        if value not in allow:
            allow.append(value)
    return Rule(name, tuple(allow), " ".join(reason.split()) if reason else None)


def _value(name: str, item: object, where: str, path: Path, catalog: Catalog) -> str:
    """One allowed value, checked as the rest of the tool checks that kind of value."""
    if not isinstance(item, str):
        raise PolicyError(path, where, "policy.reason_not_text", value=safe_repr(item))
    if name == "workspace_id":
        try:
            return normalize_workspace_id(item, catalog).value
        except UserError as exc:
            raise PolicyError(path, where, "profiles.reason_nested", reason=exc.message) from None
    if name == "models":
        if item.count("*") > 2 or not MODEL_NAME.fullmatch(item.replace("*", "x")):
            raise PolicyError(path, where, "policy.reason_model", value=safe_repr(item))
        return item
    value = item.strip().lower()
    known = known_values(name, catalog)
    if value not in known:
        raise PolicyError(
            path,
            where,
            "policy.reason_unknown_value",
            value=safe_repr(item),
            known=", ".join(known),
        )
    return value


def _refuse_keys_anywhere(data: object, path: Path) -> None:
    """No part of a policy is secret: a key-shaped name or value anywhere is refused, the
    field named, the value never shown (T16). The reader bounds the nesting and the size,
    so this walk is bounded too."""
    todo: list[tuple[object, str]] = [(data, "")]
    while todo:
        value, where = todo.pop()
        if looks_like_key(value):
            raise PolicyError(path, where or "<root>", "policy.reason_key")
        if isinstance(value, dict):
            for k, v in value.items():
                if looks_like_key(k):
                    raise PolicyError(
                        path, f"{where}.<hidden>" if where else "<hidden>", "policy.reason_key"
                    )
                todo.append((v, f"{where}.{k}" if where else str(k)))
        elif isinstance(value, list):
            todo.extend((v, f"{where}[{i}]") for i, v in enumerate(value))


def allowed_placements(policy: Policy, catalog: Catalog) -> list[tuple[str, str]]:
    """Every (region, scope) the policy's regions, scopes and residency rules leave."""
    out = []
    for region in catalog.regions.values():
        for scope in region.scopes:
            if placement_allowed(policy, region.id, scope):
                out.append((region.id, scope))
    return out


def placement_allowed(policy: Policy, region: str, scope: str) -> bool:
    return (
        policy.allows("regions", region)
        and policy.allows("scopes", scope)
        and keeps_residency(policy, scope)
    )


def keeps_residency(policy: Policy, scope: str) -> bool:
    """Whether `scope` keeps one of the residencies the policy allows."""
    from app.core.answers import RESIDENCY_SCOPES  # the one table of what keeps what

    rule = policy.rule("residency")
    if rule is None:
        return True
    return any(r == "none" or scope in RESIDENCY_SCOPES.get(r, ()) for r in rule.allow)


def _refuse_contradictions(policy: Policy, path: Path, catalog: Catalog) -> None:
    if not allowed_placements(policy, catalog):
        raise PolicyError(path, "<rules>", "policy.reason_no_placement")
    if policy.rule("workspace_id") is not None:
        if not policy.allows("access_domains", "workspace"):
            raise PolicyError(path, "workspace_id", "policy.reason_ws_without_domain")
        if not policy.allows("plans", PAY_AS_YOU_GO):
            raise PolicyError(path, "workspace_id", "policy.reason_ws_with_plan")
