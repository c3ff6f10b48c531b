"""Accounts and model availability of the Model Studio simulator.

The simulator has to answer like the real service for a known set of keys: which region a key
lives in, which workspace it belongs to, which models its workspace may call, whether the
account is in arrears. Keeping this as plain data (and deriving model lists from the catalog)
means tests and the demo cite the same keys and the same model names that the wizard
recommends, so a catalog change cannot silently drift away from the simulator.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from app.core.catalog import Catalog, load_catalog
from app.simulator.models import ANTHROPIC_MODELS, BY_ID, PLAN_MODELS, deployments
from app.simulator.models import region_models as region_models

PLANS = ("payg", "coding-plan", "token-plan")
EDITIONS = ("personal", "team")  # Token Plan editions (MODEL_STUDIO.md section 2)
# How a key's `GET .../models` is answered: normally, refused (403 AccessDenied), or one of
# the bad bodies a client must survive (section 5 of issue 9: huge, malformed, deeply nested).
MODEL_LIST_MODES = ("ok", "denied", "huge", "malformed", "nested")
DENIALS = ("Endpoint.AccessDenied", "App.AccessDenied")
KEY_SHAPES = ("classic", "token-plan", "ws")


@dataclass
class Account:
    """One API key and what Model Studio knows about it.

    Besides region, workspace and plan, an account carries the settings that make the
    service answer one of its rarer errors for this key, so a test (or the demo) reaches
    each of MODEL_STUDIO.md section 4's rows by choosing a key, not by patching code.
    """

    name: str
    key: str
    region: str  # for a plan key: the plan region (cn-beijing | ap-southeast-1)
    workspace_id: str | None
    plan: str = "payg"  # "payg" | "coding-plan" | "token-plan"
    models: tuple[str, ...] | None = None  # None = every model of the workspace's scope
    arrears: bool = False
    scope: str | None = None  # the workspace's service deployment scope (None = region default)
    # An older deployment that knows the token limit only as `max_tokens` and refuses
    # `max_completion_tokens` with a 400 (so a client's fallback to the old name is tested).
    legacy_token_limit: bool = False
    # A deployment whose 2026 models (qwen3.6 and later) refuse the deprecated `max_tokens`
    # (official notice 724's phase-out). Off by default: a later page says newer models read
    # it as max_completion_tokens, and Qwen Code 0.24.4, Alibaba's own client, sends
    # `max_tokens` to those models (tests/e2e/test_real_clients.py).
    current_token_limit_only: bool = False
    edition: str | None = None  # Token Plan: "personal" | "team"
    # Arrears as the older pages describe it (400 Arrearage) or the newer one (403 AccessDenied).
    arrears_status: int = 400
    denied: str | None = None  # every authenticated call gets 403 with this code (DENIALS)
    burst: bool = False  # every authenticated call gets the burst 429 (Throttling.RateQuota)
    # Native answer to an unknown model: the older 400 InvalidParameter "Model not exist."
    # or the newer 404 ModelNotFound (both official, section 10's conflict).
    unknown_model: str = "InvalidParameter"
    model_list: str = "ok"  # MODEL_LIST_MODES
    trial_rpm: int = 1000  # requests per minute this key gets on the trial host
    plan_status_on_payg: int = 401  # a plan key on a pay-as-you-go host: 401 or 403

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"unknown plan {self.plan!r} (known: {', '.join(PLANS)})")
        if self.edition is not None and self.edition not in EDITIONS:
            raise ValueError(f"unknown edition {self.edition!r} (known: {', '.join(EDITIONS)})")
        if self.model_list not in MODEL_LIST_MODES:
            raise ValueError(f"unknown model_list {self.model_list!r}")
        if self.denied is not None and self.denied not in DENIALS:
            raise ValueError(f"unknown denial {self.denied!r} (known: {', '.join(DENIALS)})")
        if self.unknown_model not in ("InvalidParameter", "ModelNotFound"):
            raise ValueError("unknown_model must be InvalidParameter or ModelNotFound")
        if self.arrears_status not in (400, 403) or self.plan_status_on_payg not in (401, 403):
            raise ValueError("arrears_status is 400 or 403, plan_status_on_payg 401 or 403")
        if self.trial_rpm < 0:
            raise ValueError("trial_rpm must be >= 0")

    def __repr__(self) -> str:
        # Keys here are fake, but a repr that hides them keeps the "never print a key" habit.
        return (
            f"Account(name={self.name!r}, region={self.region!r}, "
            f"workspace_id={self.workspace_id!r}, plan={self.plan!r})"
        )


def fake_key(name: str, *, plan: bool = False, shape: str = "classic") -> str:
    """A deterministic, obviously fake key: docs and the demo can cite it, nothing accepts it.

    Shapes (MODEL_STUDIO.md section 3): classic `sk-` / `sk-sp-` + 32 hex; `token-plan` an
    `sk-sp-` key of 112 characters; `ws` an `sk-ws-` key with a long dotted body (125).
    """
    if shape not in KEY_SHAPES:
        raise ValueError(f"unknown key shape {shape!r}")
    seed = f"modelstudio-setup simulator key {name}".encode()
    if shape == "classic":
        return ("sk-sp-" if plan else "sk-") + hashlib.sha256(seed).hexdigest()[:32]
    if shape == "token-plan":
        return "sk-sp-" + hashlib.sha512(seed).hexdigest()[:106]
    body = base64.urlsafe_b64encode(hashlib.sha512(seed).digest() * 2).decode().rstrip("=")
    body = body.replace("-", "x").replace("_", "y")
    return "sk-ws-" + ".".join((body[:36], body[36:78], body[78:117]))


def fake_workspace_id(name: str) -> str:
    """`ws-` + 16 of [a-z0-9], the observed shape of real workspace IDs."""
    digest = hashlib.sha256(f"modelstudio-setup simulator workspace {name}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "ws-" + "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def default_accounts() -> list[Account]:
    """One pay-as-you-go account per region plus the special cases the diagnosis must tell apart."""
    regions = (
        ("eu-central-1", "eu"),
        ("us-east-1", None),
        ("ap-northeast-1", None),
        ("cn-hongkong", None),
        ("cn-beijing", None),
        ("ap-southeast-1", None),
    )
    accounts = [
        Account(
            name=region,
            key=fake_key(region),
            region=region,
            workspace_id=fake_workspace_id(region),
            scope=scope,
        )
        for region, scope in regions
    ]
    accounts += [
        Account(
            name="plan",
            key=fake_key("plan", plan=True),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("plan"),
            plan="coding-plan",
        ),
        Account(
            name="arrears",
            key=fake_key("arrears"),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("arrears"),
            arrears=True,
        ),
        Account(
            name="limited",
            key=fake_key("limited"),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("limited"),
            models=("qwen-plus",),
        ),
        Account(
            name="demo",
            key=fake_key("demo"),
            region="ap-southeast-1",
            workspace_id=fake_workspace_id("demo"),
        ),
    ]
    accounts += _issue9_accounts()
    return accounts


def _issue9_accounts() -> list[Account]:
    """The accounts of the service as it is now (issue 9): a US-scope Virginia workspace, an
    `sk-ws-` key, both plans in both plan regions, and one key per rarer error."""
    sg = "ap-southeast-1"

    def payg(name: str, region: str = sg, **settings: object) -> Account:
        return Account(
            name=name,
            key=fake_key(name),
            region=region,
            workspace_id=fake_workspace_id(name),
            **settings,  # type: ignore[arg-type]
        )

    return [
        payg("us-east-1-us", "us-east-1", scope="us"),
        Account(
            name="ws-key",
            key=fake_key("ws-key", shape="ws"),
            region="cn-beijing",
            workspace_id=fake_workspace_id("ws-key"),
        ),
        Account(
            name="coding-cn",
            key=fake_key("coding-cn", plan=True),
            region="cn-beijing",
            workspace_id=None,
            plan="coding-plan",
        ),
        Account(
            name="token-sg",
            key=fake_key("token-sg", shape="token-plan"),
            region=sg,
            workspace_id=None,
            plan="token-plan",
            edition="personal",
        ),
        Account(
            name="token-cn",
            key=fake_key("token-cn", shape="token-plan"),
            region="cn-beijing",
            workspace_id=None,
            plan="token-plan",
            edition="team",
        ),
        payg("arrears-403", arrears=True, arrears_status=403),
        payg("endpoint-denied", denied="Endpoint.AccessDenied"),
        payg("app-denied", denied="App.AccessDenied"),
        payg("burst", burst=True),
        payg("no-list", model_list="denied"),
        payg("model-not-found", unknown_model="ModelNotFound"),
    ]


def _plan_deployments(account: Account) -> dict[str, str]:
    """A plan key's models, each with the scope it runs in (Beijing: by launch date)."""
    out = {}
    for name in PLAN_MODELS[account.plan]:
        model = BY_ID.get(name)
        if account.region == "cn-beijing":
            out[name] = model.beijing_scope() if model else "mainland"
        else:
            out[name] = "international"
    return out


def account_deployments(account: Account, catalog: Catalog | None = None) -> dict[str, str]:
    """What this key may call (model id -> the scope it runs in), narrowed to its grant."""
    if account.plan != "payg":
        available = _plan_deployments(account)
    else:
        available = deployments(account.region, account.scope, catalog)
    if account.models is None:
        return available
    return {m: s for m, s in available.items() if m in account.models}


def scope_models(
    region_id: str, scope_id: str | None, catalog: Catalog | None = None
) -> tuple[str, ...]:
    """The models a workspace of this region and scope can call."""
    return tuple(deployments(region_id, scope_id, catalog))


def account_models(account: Account, catalog: Catalog | None = None) -> tuple[str, ...]:
    """What this key sees: its scope's models, narrowed to its grant when it has one."""
    return tuple(account_deployments(account, catalog))


def anthropic_models(account: Account, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Models the Anthropic-compatible surface accepts for this account (-us forms in the US)."""
    catalog = catalog or load_catalog()
    names = list(dict.fromkeys((*catalog.anthropic_models, *ANTHROPIC_MODELS)))
    if account.region == "us-east-1":
        names += [f"{m}-us" for m in names]
    visible = set(account_models(account, catalog))
    return tuple(m for m in names if m in visible)
