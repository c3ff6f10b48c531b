"""The compiled forms of the asset files (app/core/compiled_assets.py): each is exactly its
YAML file (text and content), the hot paths use them instead of parsing, and an asset
edited without regenerating its module is parsed as before, never read stale."""

from __future__ import annotations

import importlib
import os

import pytest

from app.core import compiled_assets, i18n, plain_yaml
from app.core.catalog import load_catalog

REGENERATE = "uv run python -m app.core.compiled_assets"


def _text(relpath: str) -> str:
    with open(os.path.join(compiled_assets.ASSETS_DIR, relpath), encoding="utf-8") as f:
        return f.read()


def test_every_asset_file_has_a_module_made_from_its_current_text() -> None:
    files = compiled_assets.asset_files()
    assert "regions.yaml" in files and "locales/en/status.yaml" in files
    modules = {n for n in os.listdir(compiled_assets.COMPILED_DIR) if n.endswith(".py")}
    expected = {compiled_assets.module_name(f) + ".py" for f in files} | {"__init__.py"}
    assert modules == expected, f"assets/compiled/ is out of date: run `{REGENERATE}`"
    for relpath in files:
        name = compiled_assets.module_name(relpath)
        module = importlib.import_module(f"{compiled_assets.PACKAGE}.{name}")
        text = _text(relpath)
        assert text == module.SOURCE, f"{relpath} changed: run `{REGENERATE}`"
        assert compiled_assets.fast_safe_load(text) == module.DATA, f"{relpath}: run `{REGENERATE}`"


def test_the_hot_paths_read_the_catalog_and_messages_without_parsing_yaml(monkeypatch) -> None:
    parsed: list[str] = []
    real = plain_yaml.load
    monkeypatch.setattr(plain_yaml, "load", lambda text: parsed.append(text[:40]) or real(text))
    catalog = load_catalog.__wrapped__()
    messages = i18n.domain_messages.__wrapped__("en", "status")
    assert catalog.regions["ap-southeast-1"].id == "ap-southeast-1"
    assert messages  # the status command's words
    assert parsed == []


def test_an_asset_edited_without_regenerating_is_parsed_not_read_stale(
    monkeypatch, tmp_path
) -> None:
    text = _text("locales/en/status.yaml")
    assert compiled_assets.load_asset("locales/en/status.yaml", text) is not None
    edited = text + 'added_after_compile: "A message added by hand."\n'
    assert compiled_assets.load_asset("locales/en/status.yaml", edited) is None
    # The locale reader then parses the file as it is now.
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "status.yaml").write_text(edited, encoding="utf-8")
    monkeypatch.setattr(i18n, "_LOCALES", str(tmp_path))
    messages = i18n.domain_messages.__wrapped__("en", "status")
    assert messages["status.added_after_compile"] == "A message added by hand."


def test_a_module_for_another_text_or_none_at_all_is_not_used() -> None:
    assert compiled_assets.load_asset("locales/en/no_such_domain.yaml", "a: b\n") is None
    assert compiled_assets.load_asset("regions.yaml", "version: 1\n") is None


@pytest.mark.parametrize("value", [{1: "x"}, {"a": object()}, [b"bytes"]])
def test_only_plain_data_is_written_as_a_literal(value) -> None:
    assert not compiled_assets._plain_data(value)
