"""Shared test setup. Topic fixtures live in tests/fixtures_*.py, registered here."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures_keyring",
    "tests.fixtures_simulator",
    "tests.fixtures_cli",
]
