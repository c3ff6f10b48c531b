"""Plan hosts (Coding Plan, Token Plan): which host is which plan, its paths, who it accepts.

Kept in the simulator (MODEL_STUDIO.md section 2, "Plan hosts") rather than taken from the
product's endpoint code: the product's plan URLs are tested against these answers. Plan
hosts have no native surface, each plan has its own OpenAI-compatible path, and a key that
is not the host's plan is refused in the plan's own words: Coding Plan says "invalid access
token or token expired", Token Plan answers InvalidApiKey, and a Token Plan host of a
region that has none answers IllegalEndpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.simulator import errors as simerr
from app.simulator.accounts import Account

TOKEN_PLAN_PREFIX = "token-plan."
MAAS_SUFFIX = ".maas.aliyuncs.com"


@dataclass(frozen=True)
class PlanHost:
    """One plan host: its plan (`coding-plan` | `token-plan`) and plan region."""

    host: str
    plan: str
    region: str
    openai_path: str  # the plan's OpenAI-compatible prefix

    @property
    def paths(self) -> dict[str, str]:
        return {"openai": self.openai_path, "anthropic": "/apps/anthropic"}


PLAN_HOSTS: dict[str, PlanHost] = {
    h.host: h
    for h in (
        PlanHost("coding.dashscope.aliyuncs.com", "coding-plan", "cn-beijing", "/v1"),
        PlanHost("coding-intl.dashscope.aliyuncs.com", "coding-plan", "ap-southeast-1", "/v1"),
        PlanHost(
            "token-plan.cn-beijing.maas.aliyuncs.com",
            "token-plan",
            "cn-beijing",
            "/compatible-mode/v1",
        ),
        PlanHost(
            "token-plan.ap-southeast-1.maas.aliyuncs.com",
            "token-plan",
            "ap-southeast-1",
            "/compatible-mode/v1",
        ),
    )
}


def plan_host(host: str) -> PlanHost | None:
    return PLAN_HOSTS.get(host)


def illegal_token_plan_host(host: str) -> bool:
    """`token-plan.<label>.maas.aliyuncs.com` for a label without a Token Plan (observed:
    401 IllegalEndpoint, whatever the key)."""
    if host in PLAN_HOSTS or not host.startswith(TOKEN_PLAN_PREFIX):
        return False
    label = host.removeprefix(TOKEN_PLAN_PREFIX).removesuffix(MAAS_SUFFIX)
    return host.endswith(MAAS_SUFFIX) and bool(label) and "." not in label


def route(plan: PlanHost, path: str) -> tuple[str | None, str]:
    """(surface, path below its prefix) on a plan host; surface None for any other path."""
    for surface, prefix in plan.paths.items():
        if path == prefix or path.startswith(prefix + "/"):
            return surface, path[len(prefix) :]
    return None, path


def refusal(plan: PlanHost, account: Account | None, missing: bool) -> simerr.SimError | None:
    """Why this key may not use this plan host, or None (the key belongs here)."""
    if (
        account is not None
        and account.plan == plan.plan
        and account.region == plan.region
        and not missing
    ):
        return None
    if plan.plan == "coding-plan":
        return simerr.invalid_access_token()
    return simerr.invalid_key(missing=missing)
