"""A tiny config file of nested brackets or mappings (SECURITY.md T18, QA C11).

PyYAML composes nested collections recursively: `'[' * 400 + ']' * 400` (800 bytes) raised
RecursionError in every command that loads the config and in the wizard, and `configure`
could not repair it. The one config loader now stops at a depth limit: every command exits
2 with "cannot be used", writes nothing and sends nothing; `configure` backs the file up
and replaces it like any other malformed YAML; the wizard names the problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.secrets.keyring import KeyringStatus
from app.secrets.stores import MemoryStore
from app.services import Services
from app.state import WizardState
from app.tui import make_app
from tests.fixtures.sweep import REGION, SWEEP_KEY, assert_no_leak, tree_state
from tests.fixtures.tui_steps import SIZE, settle, step_of, text_of

NESTINGS = {
    "brackets-400": "[" * 400 + "]" * 400,
    "brackets-5000": "[" * 5000 + "]" * 5000,
    "flow-mappings": "{a: " * 400 + "1" + "}" * 400,
    "block-mappings": "".join(f"{'  ' * i}a:\n" for i in range(300)) + "  " * 300 + "a: 1\n",
    "under-profiles": "version: 1\nprofiles:\n  default: " + "[" * 600 + "]" * 600 + "\n",
}
COMMANDS = [
    ("profiles", "list"),
    ("profiles", "show", "--json"),
    ("doctor", "--timeout", "2"),
    ("env",),
    ("export", "--format", "sh"),
    ("key", "get"),
    ("key", "delete", "--yes"),
    ("profiles", "delete", "default", "--yes"),
]


@pytest.mark.parametrize("text", list(NESTINGS.values()), ids=list(NESTINGS))
def test_every_command_refuses_a_deeply_nested_config(text, cli):
    cli.config.parent.mkdir(parents=True, exist_ok=True)
    cli.config.write_text(text)
    cli.config.chmod(0o600)
    before = tree_state(cli.root)
    for args in COMMANDS:
        r = cli(*args)
        assert r.rc == 2, (args, r.rc, r.output[-800:])
        assert "Traceback" not in r.output and "RecursionError" not in r.output
        assert "cannot be used" in r.stderr and "nested more than" in r.stderr, r.stderr
        assert str(cli.config) in r.stderr
        assert tree_state(cli.root) == before, args


@pytest.mark.parametrize("text", list(NESTINGS.values()), ids=list(NESTINGS))
def test_configure_backs_up_and_replaces_a_deeply_nested_config(text, cli):
    cli.config.parent.mkdir(parents=True, exist_ok=True)
    cli.config.write_text(text)
    cli.config.chmod(0o600)
    r = cli(
        "configure",
        "--region",
        REGION,
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=SWEEP_KEY,
    )
    assert r.rc == 0, r.output
    assert "kept as a backup" in r.stderr
    assert_no_leak("configure", r.output)
    backups = [p for p in cli.config.parent.iterdir() if p.name.startswith("config.yaml.bak-")]
    assert [p.read_text() for p in backups] == [text]
    shown = cli("profiles", "show")
    assert shown.rc == 0 and REGION in shown.stdout
    assert cli("key", "get").stdout == SWEEP_KEY + "\n"


def test_a_config_nested_as_deep_as_the_schema_still_loads(cli):
    """The limit is far above what the file needs (4 levels)."""
    r = cli("configure", "--region", REGION, "--shared-host", "--store", "env")
    assert r.rc == 0, r.output
    assert cli("profiles", "list").rc == 0


async def test_the_wizard_names_a_deeply_nested_config_instead_of_crashing(
    tmp_path: Path, memory_store: MemoryStore
) -> None:
    services = Services(
        config_path=tmp_path / "config" / "config.yaml",
        key_store_factory=lambda kind: memory_store,
        keyring_probe=lambda: KeyringStatus(available=True, backend="memory (test)"),
        keyring_timeout=2.0,
        export_dir=tmp_path / "export",
    )
    services.config_path.parent.mkdir(parents=True)
    services.config_path.write_text(NESTINGS["brackets-400"])
    before = services.config_path.read_bytes()
    app = make_app(services, WizardState())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        problem = text_of(app, "#config-problem").replace("\n", " ")
        assert "cannot be used" in problem and "nested more than" in problem
        await pilot.press("enter")
        await settle(app, pilot)
        assert step_of(app) == "scenario"
    assert services.config_path.read_bytes() == before
