"""Helpers (no tests) for the Pilot tests of the later wizard steps: Connectivity, Export,
Done, Doctor, demo and snapshots. Named test_tui_connect_* only to stay in its owner's files.

Not a fixture module: plain functions that build services pinned to a real simulator and
wait for the screens' workers (the wizard's own flow worker never finishes while the app
runs, so `wait_for_complete()` without a list would wait forever).
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from typing import Any

import pytest

from app.secrets import ApiKey, KeyringStatus, MemoryStore
from app.wizard_state import Services, WizardState


def probe_options_for(sim: Any) -> Any:
    """Probe options that reach the simulator under the production host names, real TLS."""
    from app.probe import ProbeOptions
    from app.transport import Pins

    return ProbeOptions(pins=Pins.parse(None, [sim.connect_to]), ca_file=str(sim.ca_file))


def services_for(tmp_path: Path, sim: Any = None, store: MemoryStore | None = None) -> Services:
    store = store if store is not None else MemoryStore()
    return Services(
        config_path=tmp_path / "config" / "config.yaml",
        key_store_factory=lambda _kind: store,
        keyring_probe=lambda: KeyringStatus(available=True, backend="memory"),
        probe_options=probe_options_for(sim) if sim is not None else None,
        export_dir=tmp_path / "project",
    )


def state_for(sim: Any, account: str = "demo", key_account: str | None = None, **changes: Any):
    """A state as the API-key step leaves it, for an account of the simulator."""
    from app.catalog import load_catalog
    from app.profiles import default_scope

    acc = sim.accounts[account]
    scope = acc.scope or default_scope(acc.region, None)
    base = WizardState(
        lang="en",
        profile_name="work",
        region=acc.region,
        scope=scope,
        endpoint_style="workspace",
        workspace_id=acc.workspace_id,
        model=load_catalog().default_model(scope),
        api_key=ApiKey(sim.key(key_account or account)),
        key_store="keyring",
        key_saved=True,
    )
    return dataclasses.replace(base, **changes)


async def settle(app: Any, pilot: Any, *groups: str) -> None:
    """Let screens mount, then wait for the workers of `groups` (all but the flow's)."""
    await pilot.pause()
    await pilot.pause()
    for _ in range(3):
        workers = [
            w for w in app.workers if w.group != "wizard-flow" and (not groups or w.group in groups)
        ]
        await app.workers.wait_for_complete(workers)
        await pilot.pause()


def screen_text(app: Any) -> str:
    """Everything the terminal shows, as one string (from an SVG screenshot: every cell).

    Lines are concatenated, so a phrase wrapped over two lines is still found.
    """
    svg = app.export_screenshot()
    parts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return html.unescape("".join(parts)).replace("\xa0", " ")


def assert_key_not_shown(text: str, raw_key: str) -> None:
    """Neither the key nor any 12-character piece of its secret part is on screen."""
    secret = raw_key[3:]
    assert raw_key not in text
    for i in range(0, max(len(secret) - 12, 0) + 1, 4):
        assert secret[i : i + 12] not in text


def widget_text(screen: Any, selector: str) -> str:
    return "\n".join(str(w.content) for w in screen.query(selector))


@pytest.fixture(autouse=True)
def restore_language():
    """The wizard sets the process-wide message language (make_app, F2); put it back so
    later tests in the same process are not silently in Chinese."""
    from app.i18n import get_language, set_language

    before = get_language()
    yield
    set_language(before)
