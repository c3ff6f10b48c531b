"""Wizard decisions the screens ask for: what to probe, what the profile is, which commands
Done offers (where and how an export is written: app.export_flow). Free of Textual, so each
is testable alone.

A screen shows these answers and passes the user's input back; it never restates a policy
(what is merged, what is replaced, which store a profile records). The probe engine and the
export core are imported inside the functions that use them: screens import this module
before the first paint, and the engine alone (httpx, ssl) costs ~0.4 s there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from app.core import record
from app.core.i18n import get_language, t
from app.secrets.key import ApiKey
from app.secrets.stores import STORE_KINDS, EnvStore, KeyRef, KeyStore
from app.services import Services
from app.state import WizardState

if TYPE_CHECKING:  # only the types: see the module docstring
    import datetime as _dt

    from app.config.schema import Profile
    from app.core.models import ProbeEvent, Target
    from app.findings.results import ProbeResult
    from app.probe.engine import ProbeOptions

# -- connectivity ------------------------------------------------------------------------


def probe_targets(
    region: str | None,
    endpoint_style: str,
    workspace_id: str | None,
    model: str | None,
    scope: str | None = None,
    base_urls: Mapping[str, str] | None = None,
    plan: str | None = None,
) -> list[Target]:
    """The probe targets (one per API surface) of a region / style / workspace; the scope
    picks the model the Anthropic-compatible surface serves there. A plan setup is named by
    its host: `base_urls` (a saved profile's, validated) or `plan` (the wizard's choice)."""
    from app.core.endpoints import plan_base_urls  # lazy: with the engine, below
    from app.probe.targets import targets_for  # lazy: the engine (see the module docstring)

    if endpoint_style == "plan" and base_urls is None and plan is not None:
        base_urls = plan_base_urls(plan, region or "").as_dict()

    return targets_for(
        region=region or "",
        endpoint_style=endpoint_style,
        workspace_id=workspace_id,
        model=model,
        scope=scope,
        base_urls=base_urls,
    )


def probe_options(
    base: ProbeOptions | None, consent_all_regions: bool, model: str | None
) -> ProbeOptions:
    """The injected probe options (pins, CA) with this run's consent and model applied."""
    from app.probe.engine import ProbeOptions  # lazy: the engine (see the module docstring)

    options = base if base is not None else ProbeOptions()
    options = dataclasses.replace(options, consent_all_regions=consent_all_regions)
    return dataclasses.replace(options, model=model) if model else options


async def run_probe_checks(
    targets: list[Target],
    key: ApiKey,
    base_options: ProbeOptions | None,
    *,
    model: str | None,
    consent_all_regions: bool = False,
    on_event: Callable[[ProbeEvent], None] | None = None,
) -> ProbeResult:
    """One probe run with the injected options plus this run's model and consent."""
    from app.probe.engine import run_checks  # lazy: the engine (see the module docstring)

    options = probe_options(base_options, consent_all_regions, model)
    return await run_checks(targets, key, options, on_event=on_event)


def state_targets(state: WizardState) -> list[Target]:
    """The probe targets of the setup being entered (Connectivity)."""
    return probe_targets(
        state.region,
        state.endpoint_style,
        state.workspace_id,
        state.model,
        state.scope,
        plan=state.plan,
    )


def ownership_hosts(region: str, own_host: str) -> list[str]:
    """Exactly the hosts a region search sends the key to, listed in the consent dialog."""
    from app.probe.targets import ownership_matrix  # lazy: the engine (module docstring)

    # The matrix the engine asks (app.probe.ownership): shared hosts AND the plan hosts.
    targets, _unchecked = ownership_matrix(region, own_host)
    return sorted({target.host for target in targets})


def other_region_hosts(state: WizardState) -> list[str]:
    """The region search's hosts for the setup being entered (Connectivity)."""
    if not state.region:
        return []
    return ownership_hosts(state.region, state_targets(state)[0].host)


def plan_found(result: ProbeResult | None) -> tuple[str, str] | None:
    """(plan, plan region) of the plan host that accepted the key in a region search (the
    only way to tell Coding Plan and Token Plan keys apart); None when none did."""
    if result is None:
        return None
    for finding in result.findings:
        if finding.code == "key_is_plan":
            plan, region = finding.params.get("plan"), finding.params.get("plan_region")
            if isinstance(plan, str) and isinstance(region, str):
                return plan, region
    return None


def probed_hosts(result: ProbeResult | None) -> list[str]:
    """The hosts a result's checks sent the key to (named before running it again)."""
    if result is None:
        return []
    return sorted({check.host for check in result.checks})


# Findings after which the region search is offered (the CLI's remedies name --all-regions):
# a refused key (a plan key on a pay-as-you-go host among them: only the search tells which
# plan it is of), a workspace that denies it, and a 429 that came before the key was checked.
REGION_SEARCH_CODES = frozenset(
    {
        "key_rejected",
        "illegal_endpoint",
        "plan_token_invalid",
        "plan_key_mismatch",
        "workspace_access_denied",
        "rate_limited",
    }
)


def offers_region_search(result: ProbeResult | None, consented: bool) -> bool:
    """After such a finding, and before the user agreed to a search: offer it (the wizard's
    Connectivity step and the doctor screen ask the same question)."""
    if result is None or consented:
        return False
    return any(f.code in REGION_SEARCH_CODES for f in result.findings)


def offered_models(result: ProbeResult | None) -> list[str]:
    """The key's listed models a profile can hold (a name the config accepts: the service's
    list is not trusted to carry only model names), in the service's order."""
    from app.config.fields import MODEL_NAME  # lazy: Connectivity's offer only

    if result is None:
        return []
    return [m for m in result.listed_models if MODEL_NAME.fullmatch(m)]


def plan_words(plan: str, region: str) -> dict[str, str]:
    """A plan host in words (`Token Plan`, `Singapore (ap-southeast-1)`, its host)."""
    from app.config.region_switch import region_label  # lazy: Connectivity's offer only
    from app.core.catalog import load_catalog
    from app.core.endpoints import plan_base_urls

    name = load_catalog().plan(plan).name.get(get_language())
    return {"plan": name, "region": region_label(region), "host": plan_base_urls(plan, region).host}


def key_store_for(profile: Profile, services: Services) -> KeyStore:
    """A saved profile's key store: the injected factory, except env stores, which need the
    variable the profile names."""
    if profile.api_key.store == "env":
        return EnvStore(profile.api_key.env)
    return services.key_store_factory(profile.api_key.store)


def describe_store(store: KeyStore) -> str:
    """The store's status line; its kind when even that fails (a broken keyring backend)."""
    try:
        return str(store.describe())
    except Exception:
        return store.kind  # every KeyStore has one (the Protocol)


# -- the profile -------------------------------------------------------------------------


def verdict_of(state: WizardState) -> str | None:
    """The verdict of the last connectivity result (ok | warn | fail), None without one."""
    return state.probe_result.verdict if state.probe_result is not None else None


def build_profile(
    state: WizardState,
    clock: Callable[[], _dt.datetime] | None = None,
    recorded_store: str | None = None,
) -> Profile:
    """The profile the wizard is about to save, validated by app.config.profiles like any input.

    `recorded_store` (Services.recorded_store) is where a stored key really is when that
    is not the store chosen (the demo's key file): the profile must say where it is.
    """
    from app.config.schema import Verification  # lazy: Export only
    from app.config.validate import make_profile

    store = state.key_store if state.key_store in STORE_KINDS else "keyring"
    if recorded_store is not None and state.key_saved:
        store = recorded_store
    verified = None
    verdict = verdict_of(state)
    if verdict in ("ok", "warn", "fail") and clock is not None:
        verified = Verification(at=clock().isoformat(timespec="seconds"), verdict=verdict)
    profile, _notices = make_profile(
        state.profile_name,
        region=state.region or "",
        scope=state.scope,
        endpoint_style=state.endpoint_style,
        workspace_id=state.workspace_id if state.endpoint_style == "workspace" else None,
        model=state.model,
        api_key=KeyRef(store=store, env=state.key_env),
        residency=state.residency,
        verified=verified,
        plan=state.plan if state.endpoint_style == "plan" else None,
        plan_edition=state.plan_edition if state.endpoint_style == "plan" else None,
    )
    return profile


def scoped_profile(profile: Profile, services: Services) -> Profile:
    """Record the keyring entry the key was stored under (T21): the one the real key store
    factory chose (app.services.real_services); other stores (demo, tests) record none."""
    if profile.api_key.store != "keyring" or services.keyring_account is None:
        return profile
    account = services.keyring_account(profile.name)
    if not account:
        return profile
    return record.replace(profile, api_key=record.replace(profile.api_key, account=account))


# -- done --------------------------------------------------------------------------------


def place_names(state: WizardState) -> tuple[str, str]:
    """The region and scope as the catalog names them in the state's language, with the
    region id kept (it is what the config and the commands say): never a bare scope id
    inside a sentence of the other language (E27: "部署范围 mainland")."""
    from app.core.catalog import load_catalog  # lazy: Done only

    catalog = load_catalog()
    lang = state.lang
    region = catalog.regions.get(state.region or "")
    scope = catalog.scopes.get(state.scope or "")
    region_text = f"{region.name.get(lang)} ({region.id})" if region else (state.region or "-")
    scope_text = scope.name.get(lang) if scope else (state.scope or "-")
    return region_text, scope_text


def verdict_text(state: WizardState) -> str:
    verdict = verdict_of(state)
    return t(f"screen_done.verdict.{verdict if verdict in ('ok', 'warn', 'fail') else 'none'}")


def next_commands(state: WizardState, services: Services) -> list[tuple[str, str]]:
    """(caption, command) pairs Done offers: spelt the way they run from the user's shell,
    with this run's config file and network options (app.config.next_steps)."""
    from app.config.next_steps import next_commands as commands  # lazy: Done only

    if not state.region:
        return []
    return commands(state, services.config_path, services.network_args)
