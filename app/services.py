"""The composition root: what the wizard talks to, built once per run and injected.

`Services` holds the config path, the key store factory, the keyring probe, the probe
options, the export folder and the clock. `real_services` fills it for a real run (the
user's config file, the OS key stores, the real network); app/demo.py fills it for the demo
and tests fill it with a simulator and an in-memory store, so nobody patches a module.
Both `wizard` and `doctor --tui` start the App from here, which is why this lives below
app/commands (one command importing another would be a cycle).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.config.io import config_path
from app.config.key_scope import wizard_account
from app.core.i18n import get_language
from app.core.names import check_profile_name
from app.secrets.key import ApiKey
from app.secrets.keyring import KEYRING_PROBE_TIMEOUT, KeyringStatus, probe_keyring
from app.secrets.stores import KeyRef, KeyringStore, KeyStore, store_for
from app.state import WizardState

if TYPE_CHECKING:  # only the type: importing the engine (httpx, ssl) costs ~0.4 s at startup
    from app.config.policy import Policy
    from app.probe.engine import ProbeOptions


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


@dataclass
class Services:
    """What the wizard talks to; the factory fills these for real use, demo mode and tests."""

    config_path: Path
    key_store_factory: Callable[[str], KeyStore]  # store kind -> KeyStore
    keyring_probe: Callable[[], KeyringStatus]  # blocking; run in a thread
    probe_options: ProbeOptions | None = None  # pins, CA file, timeout; None = defaults
    export_dir: Path = field(default_factory=Path.cwd)
    clock: Callable[[], _dt.datetime] = _utc_now
    demo_key: ApiKey | None = None
    # The demo's second key, a Singapore Token Plan key (plan hosts); None outside the demo.
    demo_plan_key: ApiKey | None = None
    keyring_timeout: float = 15.0
    # The network options the wizard runs with, as typed (`--connect-to X`, `--ca-file Y`):
    # the commands shown on Done carry them, so they reach what the test reached.
    network_args: tuple[str, ...] = ()
    # The store a profile records when its key was stored (None = the store chosen): the
    # demo keeps every key in its own file, whatever the user picked.
    recorded_store: str | None = None
    # The keyring entry (account) the key of a profile is stored under, when the store
    # chose one scoped to this config file (T21); None = the store's default.
    keyring_account: Callable[[str], str | None] | None = None
    # What the user's clients read (the doctor's "What your clients read", the Welcome's
    # offer to move a plain-text key into the keyring): the environment, the working
    # directory and HOME. None = this process's (os.environ, the cwd, Path.home()), looked
    # up when read; tests point them at temporary ones.
    client_env: Mapping[str, str] | None = None
    client_cwd: Path | None = None
    client_home: Path | None = None
    # The team policy in force (app.config.policy): Welcome shows it, the steps preselect
    # and lock what it pins and refuse what it does not allow. None = no policy.
    policy: Policy | None = None


def is_interactive() -> bool:
    """Both ends must be a terminal: keys come from stdin, the screen goes to stdout."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def real_services(
    args: argparse.Namespace,
    *,
    lang: str | None = None,
    probe_options: ProbeOptions | None = None,
    network_args: tuple[str, ...] = (),
) -> tuple[Services, WizardState]:
    """Services for a real run: the user's config file (`args.config`), the OS key stores,
    the real network; and the first state (`args.profile`, `lang`; None = the language
    this command line runs in).

    `probe_options` None = the probe's defaults, built when Connectivity runs: importing the
    probe engine (httpx, httpcore, ssl) at startup would cost ~0.4 s before the first paint.
    """
    path = config_path(getattr(args, "config", None))
    profile = getattr(args, "profile", None)
    if profile is not None:
        check_profile_name(profile)
    state = WizardState(lang=lang or get_language(), profile_name=profile or "default")

    # The entry chosen for each profile, once per run: the ApiKey step stores the key
    # under it and Export records the same one in the config (a new entry's digits are
    # random, so asking again would give another).
    chosen: dict[str, str | None] = {}

    def account_of(profile: str) -> str | None:
        if profile not in chosen:
            chosen[profile] = wizard_account(path, profile)
        return chosen[profile]

    def key_store_factory(kind: str) -> KeyStore:
        if kind == "keyring":  # the entry scoped to this config file (T21), as the CLI uses
            return KeyringStore(timeout=KEYRING_PROBE_TIMEOUT, account_of=account_of)
        return store_for(KeyRef(kind), path.parent, keyring_timeout=KEYRING_PROBE_TIMEOUT)

    from app.config.policy import cli_policy  # lazy: a file read; an unusable one is exit 2

    services = Services(
        policy=cli_policy(args),
        config_path=path,
        key_store_factory=key_store_factory,
        keyring_probe=lambda: probe_keyring(KEYRING_PROBE_TIMEOUT),
        probe_options=probe_options,
        keyring_timeout=KEYRING_PROBE_TIMEOUT + 2.0,
        network_args=network_args,
        keyring_account=account_of,
    )
    return services, state


def stored_account(services: Services, state: WizardState | None) -> str | None:
    """The keyring entry the wizard stored the key under (the one its store chose), if any."""
    if state is None or not state.key_saved or state.key_store != "keyring":
        return None
    if services.keyring_account is None:
        return None
    return services.keyring_account(state.profile_name)
