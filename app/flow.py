"""Wizard decisions the screens ask for: what to probe, what the profile is, where and how an
export is written, which commands Done offers. Free of Textual, so each is testable alone.

A screen shows these answers and passes the user's input back; it never restates a policy
(what is merged, what is replaced, which store a profile records). The probe engine and the
export core are imported inside the functions that use them: screens import this module
before the first paint, and the engine alone (httpx, ssl) costs ~0.4 s there.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import record
from app.core.i18n import t
from app.core.text import looks_like_key
from app.secrets.key import ApiKey
from app.secrets.stores import STORE_KINDS, EnvStore, KeyRef, KeyStore
from app.services import Services
from app.state import WizardState, WrittenFile

if TYPE_CHECKING:  # only the types: see the module docstring
    import datetime as _dt

    from app.config.schema import Profile
    from app.config.write import WriteResult
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
) -> list[Target]:
    """The probe targets (one per API surface) of a region / style / workspace; the scope
    picks the model the Anthropic-compatible surface serves there. `base_urls`: a saved
    profile's (validated) URLs, which a plan profile needs: its plan is named by its host."""
    from app.probe.targets import targets_for  # lazy: the engine (see the module docstring)

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


def ownership_hosts(region: str, own_host: str) -> list[str]:
    """Exactly the hosts a region search sends the key to, listed in the consent dialog."""
    from app.probe.targets import ownership_targets  # lazy: the engine (module docstring)

    targets, _unchecked = ownership_targets(region, own_host)
    return sorted({target.host for target in targets})


def other_region_hosts(state: WizardState) -> list[str]:
    """The region search's hosts for the setup being entered (Connectivity)."""
    from app.core.endpoints import host_for  # lazy: with the engine, only on "find region"

    if not state.region:
        return []
    return ownership_hosts(
        state.region, host_for(state.region, state.endpoint_style, state.workspace_id)
    )


def probed_hosts(result: ProbeResult | None) -> list[str]:
    """The hosts a result's checks sent the key to (named before running it again)."""
    if result is None:
        return []
    return sorted({check.host for check in result.checks})


def offers_region_search(result: ProbeResult | None, consented: bool) -> bool:
    """After a 401, and before the user agreed to a search: offer to find the key's region."""
    if result is None or consented:
        return False
    return any(f.code == "key_rejected" for f in result.findings)


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


# -- exports -----------------------------------------------------------------------------

# Where each target goes by default, relative to Services.export_dir. Claude Code and Qwen
# Code read these project-level files; an existing one is merged, never clobbered.
DEFAULT_PATHS: dict[str, str] = {
    "claude-code": ".claude/settings.local.json",
    "qwen-code": ".qwen/settings.json",
}
MERGED_JSON = ("claude-code", "qwen-code")
# POSIX NAME_MAX / PATH_MAX of the common file systems (ext4, APFS, NTFS counts UTF-16 units,
# which never exceeds the UTF-8 byte count for these limits' purpose).
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096
# Refusals of the export core that an explicit "replace it" (force) may override, and the
# message the Export step shows for each.
REFUSALS: dict[str, str] = {
    "exporters.foreign_file": "screen_export.foreign_file",
    "exporters.existing_not_text": "screen_export.existing_not_text",
    "exporters.symlink_outside": "screen_export.symlink_outside",
    "exporters.settings_conflict": "screen_export.settings_conflict",
}


def default_paths(export_dir: Path, written: Iterable[WrittenFile] = ()) -> dict[str, Path]:
    """Where each export target goes unless the user says otherwise: what was written
    before in this run, else its default under the export folder."""
    from app.export.formats import FORMATS  # lazy: the exporters load when Export opens

    paths = {
        fmt: Path(export_dir) / DEFAULT_PATHS.get(fmt, spec.suggested_name)
        for fmt, spec in FORMATS.items()
    }
    for item in written:
        if item.target in paths:
            paths[item.target] = item.path
    return paths


def destination_problem(raw: str) -> str | None:
    """Why `raw` cannot be a destination at all, or None.

    Checked before the OS sees it: a NUL makes every os call raise ValueError, a component
    over NAME_MAX raises ENAMETOOLONG even from `exists()`. Both arrive by paste.
    """
    text = raw.strip()
    if not text:
        return t("screen_export.destination_empty")
    if looks_like_key(text):  # a pasted key would become a file name (T16)
        return t("profiles.field_looks_like_key", what=t("profiles.what_destination"))
    for index, char in enumerate(text, start=1):
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0:
            return t("screen_export.destination_control", code=f"U+{code:04X}", position=index)
    try:
        encoded = [os.fsencode(part) for part in Path(text).expanduser().parts]
    except (ValueError, RuntimeError):  # undecodable surrogates; no home for "~user"
        return t("screen_export.destination_unusable")
    for part in encoded:
        if len(part) > NAME_MAX_BYTES:
            return t(
                "screen_export.destination_name_too_long",
                length=len(part),
                limit=NAME_MAX_BYTES,
            )
    if sum(len(part) + 1 for part in encoded) > PATH_MAX_BYTES:
        return t("screen_export.destination_too_long", limit=PATH_MAX_BYTES)
    return None


def _ours(path: Path) -> bool:
    """Whether `path` carries this tool's header (an earlier export it may replace)."""
    from app.export.formats import written_by_us  # lazy: the exporters load with Export

    try:
        head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return False
    return written_by_us(head)


def destination_outcome(
    fmt: str, path: Path, *, written: Iterable[WrittenFile], forced: bool
) -> str:
    """What writing `fmt` to `path` will do, in the terms the export core acts on (write_export):
    JSON settings and .env are merged, a file this tool wrote (or one the user chose to
    replace) is replaced without a backup, anything else is refused. '' = nothing to say."""
    try:
        exists = path.exists()
        is_file = path.is_file()
    except (OSError, ValueError) as exc:  # e.g. a component the OS refuses (ENAMETOOLONG)
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return t("screen_export.destination_refused", reason=reason)
    if not exists or any(w.path == path for w in written):
        return ""
    if not is_file:
        return t("screen_export.destination_not_file", path=str(path))
    if fmt in MERGED_JSON:
        return t("screen_export.destination_merged", path=str(path))
    if fmt == "dotenv":
        return t("screen_export.destination_merged_env", path=str(path))
    if forced or _ours(path):
        return t("screen_export.destination_exists", path=str(path))
    return t("screen_export.destination_foreign", path=str(path))


def export_text(
    state: WizardState, services: Services, fmt: str, include_key: bool
) -> tuple[str, bool]:
    """Exporter text for `fmt` and whether it holds the literal key (only with the opt-in,
    and only in a format that can hold one)."""
    from app.config.io import is_default_location  # lazy: Export only
    from app.export.formats import FORMATS, export  # lazy: Export only

    profile = build_profile(state, services.clock, services.recorded_store)
    holds_key = include_key and FORMATS[fmt].can_hold_key
    config_path = Path(services.config_path)
    config = None if is_default_location(config_path) else str(config_path)
    return export(profile, fmt, state.api_key, holds_key, config=config), holds_key


def write_export_file(
    path: Path,
    fmt: str,
    text: str,
    *,
    profile: Profile,
    holds_key: bool,
    force: bool,
    config_path: Path,
) -> WriteResult:
    """One export through the export core (merge .env / settings, refuse a file this tool
    did not write unless `force`); the WriteResult."""
    from app.export.write import write_export  # lazy: Export only

    done = write_export(
        path,
        fmt,
        text,
        profile=profile,
        include_key=holds_key,
        force=force,
        config_path=config_path,
    )
    return done.result


def save_profile(state: WizardState, services: Services) -> tuple[Profile, WrittenFile]:
    """The config first (exports never reference a profile that does not exist): the
    profile with its keyring entry, written through the config API (lock, atomic)."""
    from app.config.io import modify_config  # lazy: Export only

    profile = scoped_profile(
        build_profile(state, services.clock, services.recorded_store), services
    )
    _config, result = modify_config(
        services.config_path,
        lambda config: config.with_profile(profile),
        replacing=profile.name,
    )
    return profile, WrittenFile("config", result.path, result.mode, False)


def mode_text(mode: int) -> str:
    return f"{stat.filemode(stat.S_IFREG | (mode & 0o777))} ({mode & 0o777:04o})"


def masked_preview(text: str, key: ApiKey | None) -> str:
    """Exporter output as shown on screen: a literal key (opt-in) is replaced by its mask."""
    if key is None:
        return text
    return text.replace(key.reveal(), key.masked())


def written_rows(written: Iterable[WrittenFile]) -> list[str]:
    """One line per written file: path, permissions, and whether it holds the key."""
    rows = []
    for item in written:
        holds = t("screen_export.holds_key") if item.holds_key else ""
        mode = mode_text(item.mode)
        rows.append(t("screen_export.written_row", path=str(item.path), mode=mode, key=holds))
    return rows


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
