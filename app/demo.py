"""Demo mode: the whole wizard against an in-process simulator, touching nothing real.

A newcomer without an account (or without network) should see every step, including a
successful connectivity test, and leave no trace: the simulator serves the production host
names on loopback over real TLS (a throwaway CA), the config lives in a temporary directory,
the key in a 0600 file inside it, and the probe is pinned to the simulator with `connect_to` +
`ca_file`, exactly the mechanism users have for pinning an edge IP.

USAGE (app/commands/wizard.py, TUI-1):

    if getattr(args, "demo", False):
        from app.demo import demo_services
        with demo_services(lang=lang) as (services, state):
            return run_wizard(services, state)

`state.demo` is True (so every screen shows the DEMO banner) and `services.demo_key` holds the
simulator's demo key (an `ApiKey`, masked like any key) for the API-key step to pre-fill.
`services.demo_plan_key` is a second key for the plan path: a Singapore Token Plan
(Personal edition) key that answers on `token-plan.ap-southeast-1.maas.aliyuncs.com`
(DEMO_PLAN, DEMO_PLAN_REGION) and is refused by the pay-as-you-go hosts, as a real plan key
is. The API key step holds it instead of the demo key when a plan host is chosen on the
Workspace step (the demo's plan path); the wizard's default walk is unchanged.
This module imports no Textual.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.probe.engine import ProbeOptions
from app.probe.transport import Pins
from app.secrets.key import ApiKey
from app.secrets.keyring import KeyringStatus
from app.secrets.stores import FileStore
from app.services import Services
from app.simulator.server import Simulator
from app.state import WizardState

DEMO_ACCOUNT = "demo"
DEMO_PLAN_ACCOUNT = "token-sg"  # a Singapore Token Plan Personal key (app/simulator/accounts.py)
DEMO_PLAN = "token"  # the plan kind, as profiles name it (CONTRACT: coding | token)
DEMO_PLAN_REGION = "ap-southeast-1"
DEMO_PROFILE = "demo"
DEMO_RESIDENCY = "outside-mainland"
# Fixed for snapshots only (start_demo's default); a real demo run uses the real clock, so
# the verdict time it records is true (QA B10).
DEMO_CLOCK = _dt.datetime(2026, 1, 15, 9, 30, tzinfo=_dt.timezone.utc)
# Variables that could otherwise lead a component to the user's real config or keyring.
_ENV_REDIRECTS = ("MODELSTUDIO_SETUP_CONFIG",)


@dataclass
class DemoEnvironment:
    """What a demo run owns; the wizard only sees `services` and `state`."""

    services: Services
    state: WizardState
    simulator: Any
    root: Path


def _demo_store_factory(config_dir: Path) -> Callable[[str], Any]:
    """One key file in the demo's own config folder whatever store the user picks: it never
    reaches the OS keyring, and the commands on the Done screen (`env`, `doctor`, run in
    another terminal while the demo runs) can read the key like any profile's (D18: with an
    in-memory store they could not). Mode 0600, removed with the folder on exit."""
    store = FileStore(config_dir)
    return lambda _kind: store


DEMO_STORE = "file"  # what the demo profile records: where its key really is


def _demo_keyring_status() -> KeyringStatus:
    return KeyringStatus(available=True, backend=DEMO_BACKEND)


DEMO_BACKEND = "demo: a 0600 key file in the demo folder, removed on exit"


def _probe_options(simulator: Any) -> Any:
    """Probe options pinned to the simulator: every production host name connects to the
    loopback port, and TLS trusts only the simulator's throwaway CA."""
    return ProbeOptions(
        pins=Pins.parse(None, [simulator.connect_to]), ca_file=str(simulator.ca_file)
    )


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def start_demo(
    root: Path, *, lang: str = "en", clock: Callable[[], _dt.datetime] | None = None
) -> DemoEnvironment:
    """Start the simulator and build demo services under `root` (a fresh temp dir).

    `clock` defaults to the fixed DEMO_CLOCK so snapshots built on this are stable;
    demo_services (the real `--demo`) passes the real clock.
    """
    simulator = Simulator(tls=True).start_in_thread()
    config_dir = root / "config"
    export_dir = root / "export"
    config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    export_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    services = Services(
        config_path=config_dir / "config.yaml",
        key_store_factory=_demo_store_factory(config_dir),
        recorded_store=DEMO_STORE,
        # The simulator's pins, for the commands the Done screen offers (they must work
        # from another terminal while the demo runs).
        network_args=("--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)),
        keyring_probe=_demo_keyring_status,
        probe_options=_probe_options(simulator),
        export_dir=export_dir,
        clock=clock or (lambda: DEMO_CLOCK),
        demo_key=ApiKey(simulator.key(DEMO_ACCOUNT)),
        demo_plan_key=ApiKey(simulator.key(DEMO_PLAN_ACCOUNT)),
    )
    # Pre-filled so pressing Enter walks to a passing test: the demo account lives in
    # Singapore, which is what "must not pass through the Chinese mainland" recommends.
    # Every value is still shown on its step and confirmed there.
    account = simulator.accounts[DEMO_ACCOUNT]
    state = WizardState(
        lang=lang,
        demo=True,
        profile_name=DEMO_PROFILE,
        residency=DEMO_RESIDENCY,
        workspace_id=account.workspace_id,
        workspace_region=account.region,
    )
    return DemoEnvironment(services=services, state=state, simulator=simulator, root=root)


# Signals that end the process without running `finally` blocks: closing the terminal
# (SIGHUP) and a plain `kill` (SIGTERM). Without handlers the temp dir stays in /tmp (B43).
_FATAL_SIGNALS = ("SIGHUP", "SIGTERM")


@contextlib.contextmanager
def _removed_on_signal(root: Path) -> Iterator[None]:
    """Remove `root` if a fatal signal arrives, then die of that signal as before.

    Only the main thread may install handlers; elsewhere (a test's worker thread) the
    `finally` of demo_services is the only cleanup.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, _frame: Any) -> None:
        shutil.rmtree(root, ignore_errors=True)
        old = previous.get(signum, signal.SIG_DFL)
        if callable(old):
            old(signum, _frame)
            return
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for name in _FATAL_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None:  # Windows has no SIGHUP
            continue
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)


@contextlib.contextmanager
def demo_services(lang: str = "en") -> Iterator[tuple[Services, WizardState]]:
    """Run a block with the simulator up and the environment pointed away from real files.

    On exit (normal, exception, SIGHUP/SIGTERM) the simulator stops and the temporary
    directory (config, exports) is removed.
    """
    root = Path(tempfile.mkdtemp(prefix="modelstudio-setup-demo-"))
    saved = {name: os.environ.get(name) for name in _ENV_REDIRECTS}
    env = None
    try:
        with _removed_on_signal(root):
            env = start_demo(root, lang=lang, clock=_now)
            os.environ["MODELSTUDIO_SETUP_CONFIG"] = str(env.services.config_path)
            yield env.services, env.state
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if env is not None:
            env.simulator.stop_thread()
        shutil.rmtree(root, ignore_errors=True)
