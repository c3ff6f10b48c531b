"""Shared test setup. Topic fixtures live in tests/fixtures/, registered here.

The folders are the kinds of test: unit/ (one module, no terminal), cli/ (the command line as a
user runs it), tui/ (the wizard and doctor screens through Textual's Pilot), e2e/ (real
terminals, built wheels, real SDK clients: slow). Every test under e2e/ carries the `e2e`
marker, so `uv run pytest -m "not e2e"` runs the rest alone; CI runs everything."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.keyring",
    "tests.fixtures.simulator",
    "tests.fixtures.doctor",
    "tests.fixtures.cli",
    "tests.fixtures.packaging",
    "tests.fixtures.tmux",
    "tests.fixtures.real_clients",
    "tests.fixtures.httpx2_rules",
    "tests.fixtures.rotation",  # after cli, which it imports
]


def pytest_collection_modifyitems(config, items):
    """Mark what lives in tests/e2e/ as `e2e` (the folder is the rule, not a decorator)."""
    import pytest

    for item in items:
        if "e2e" in item.path.parts[-2:-1]:
            item.add_marker(pytest.mark.e2e)


import pytest  # noqa: E402 (the fixture below; the plugin list stays first)


@pytest.fixture(autouse=True)
def _no_language_leaks():
    """The message language belongs to the run that set it: `main()` and the App give the
    process its language back (tests/tui/test_language_scope.py). A test that leaves another
    one behind fails here, by name, instead of turning later tests silently Chinese."""
    from app.core.i18n import get_language, set_language

    before = get_language()
    yield
    after = get_language()
    if after != before:
        set_language(before)  # one leak fails one test, not every later one
        pytest.fail(f"the message language leaked out of this test: {before!r} -> {after!r}")
