"""Fixtures of the Pilot tests: `services`, the wizard's services with an in-memory key
store (tests/fixtures/tui_steps.py), for every module here that does not define its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.secrets.stores import MemoryStore
from app.services import Services
from tests.fixtures.tui_steps import memory_services


@pytest.fixture
def services(tmp_path: Path, memory_store: MemoryStore) -> Services:
    return memory_services(tmp_path, memory_store)
