"""Qwen Code's settings.json: finding this profile's model entry in the layout the file
has, and writing it back in that layout, comments kept (app.core.jsonc).

Layouts (Qwen Code 0.24.4, packages/cli/src/config/migration/): `$version` 3 and 4 keep
`modelProviders.<protocol>` as an array of model entries (v3->v4 changed only
`general.gitCoAuthor`); the reverted v5 wraps it as `{"protocol": ..., "models": [...]}`,
which 0.24.4 downgrades on start. The merge writes the layout found and never changes
`$version`. Which entry is ours: the same model at the same endpoint, or the name this tool
gives its entries (a CN and an international account may both offer qwen-flash, QA B46).
"""

from __future__ import annotations

from typing import Any

from app.core import jsonc
from app.core.text import inert
from app.export.agents import ours


def _same(entry: Any, ours_: dict[str, Any]) -> bool:
    if not isinstance(entry, dict):
        return False
    return (entry.get("id") == ours_["id"] and entry.get("baseUrl") == ours_["baseUrl"]) or (
        entry.get("name") == ours_["name"]
    )


def models_path(current: dict[str, Any]) -> list[str | int]:
    """Where the openai model entries are in this file's layout."""
    providers = current.get("modelProviders")
    group = providers.get("openai") if isinstance(providers, dict) else None
    if isinstance(group, dict) or current.get("$version") == 5:
        return ["modelProviders", "openai", "models"]
    return ["modelProviders", "openai"]


def _entries(current: dict[str, Any]) -> Any:
    node: Any = current
    for step in models_path(current):
        node = node.get(step) if isinstance(node, dict) else None
    return node


def qwen_conflicts(current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The user's entries the merge would replace, and a provider group of a shape it would
    have to overwrite (neither a list nor the v5 object)."""
    entry = new["modelProviders"]["openai"][0]
    entries = _entries(current)
    where = ".".join(str(s) for s in models_path(current))
    if entries is not None and not isinstance(entries, list):
        return [f"{where} ({type(entries).__name__}, not a list)"]
    found = []
    for old in entries or []:
        if old != entry and _same(old, entry) and not ours(old.get("name")):
            found.append(f"{where}[id={inert(old.get('id'), 80)}]")
    return found


def qwen_merge(existing: str, new: dict[str, Any]) -> str:
    """The entry placed (replacing ours, else appended) and the provider selected."""
    text = existing if existing.strip() else "{}\n"
    current = jsonc.loads(text)
    if not existing.strip():
        text = jsonc.set_member(text, ["$version"], new["$version"])
    entry = new["modelProviders"]["openai"][0]
    path = models_path(current)
    entries = _entries(current)
    index = None
    if isinstance(entries, list):
        index = next((i for i, old in enumerate(entries) if _same(old, entry)), None)
    if index is not None:
        text = jsonc.replace_value(text, [*path, index], entry)
    elif isinstance(entries, list):
        text = jsonc.append_item(text, path, entry)
    elif path[-1] == "models":
        text = jsonc.set_member(
            text, ["modelProviders", "openai"], {"protocol": "openai", "models": [entry]}
        )
    else:
        text = jsonc.set_member(text, ["modelProviders", "openai"], [entry])
    text = jsonc.set_member(text, ["security", "auth", "selectedType"], "openai")
    text = jsonc.set_member(text, ["model", "name"], new["model"]["name"])
    return jsonc.set_member(text, ["model", "baseUrl"], new["model"]["baseUrl"])
