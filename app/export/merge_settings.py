"""Merging an agent's settings export into the settings file already there: Claude Code's
settings.json (JSON), Qwen Code's settings.json and opencode.json (JSON with comments,
edited in place so the user's comments stay: app.core.jsonc) and Codex's config.toml (TOML,
through tomlkit, which keeps comments and the order of tables).

Only what the export is for changes: this profile's provider entry, the settings that
select it, Claude Code's model variables and key helper. What the USER set that the merge
would replace or remove is named first (`conflicts`), so app.export.write can refuse or,
with --force, keep a 0600 backup. A file that cannot be read is refused with the reason
and left byte-identical.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from app.core import jsonc
from app.core.text import inert
from app.export.agents import CLAUDE_MODEL_VARS, ours
from app.export.header import KEY_COMMAND
from app.export.qwen_settings import qwen_conflicts, qwen_merge
from app.export.rules import ExportError
from app.secrets.key import mask

# Beyond any real settings file (Claude Code's, Qwen Code's and Codex's are a few KB):
# a bigger one is not read at all (T18).
MAX_SETTINGS_BYTES = 1 << 20


def _check_size(existing: str) -> None:
    if len(existing.encode("utf-8", "replace")) > MAX_SETTINGS_BYTES:
        raise ExportError("exporters.existing_too_large", limit=MAX_SETTINGS_BYTES // 1024)


def load_json(existing: str, *, comments: bool, trailing_commas: bool = False) -> dict[str, Any]:
    """The settings object of a JSON (or, `comments`, JSONC) file; ExportError otherwise."""
    _check_size(existing)
    if not existing.strip():
        return {}
    try:
        if comments:
            current = jsonc.loads(existing, trailing_commas=trailing_commas)
        else:
            current = json.loads(existing)
    except jsonc.JsoncError as exc:
        if "nested deeper" in exc.reason:
            raise ExportError("exporters.existing_too_deep") from None
        raise ExportError("exporters.existing_not_json", line=exc.line) from None
    except RecursionError:
        raise ExportError("exporters.existing_too_deep") from None
    except json.JSONDecodeError as exc:
        raise ExportError("exporters.existing_not_json", line=exc.lineno) from None
    if not isinstance(current, dict):
        raise ExportError("exporters.existing_not_json", line=1)
    return current


def _load_claude(existing: str) -> dict[str, Any]:
    from app.core.json_limits import json_too_deep  # lazy: only a Claude Code merge

    if json_too_deep(existing.encode("utf-8", "replace")):
        raise ExportError("exporters.existing_too_deep")  # T18: refused, left as it is
    return load_json(existing, comments=False)


def _our_helper(value: object) -> bool:
    """Whether an apiKeyHelper is this tool's own `modelstudio-setup key get …` command."""
    if not isinstance(value, str):
        return False
    try:
        argv = shlex.split(value)
    except ValueError:
        return False
    return argv[:3] == [KEY_COMMAND, "key", "get"]


def _claude_conflicts(current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The user's token, their own key helper, and an ANTHROPIC_API_KEY (both it and a
    token set = Claude Code's auth conflict; the merge removes it)."""
    found: list[str] = []
    raw_env = current.get("env")
    env: dict[str, Any] = raw_env if isinstance(raw_env, dict) else {}
    token = env.get("ANTHROPIC_AUTH_TOKEN")
    if isinstance(token, str) and token and new["env"].get("ANTHROPIC_AUTH_TOKEN") != token:
        found.append(f"env.ANTHROPIC_AUTH_TOKEN ({mask(token)})")
    api_key = env.get("ANTHROPIC_API_KEY")
    if isinstance(api_key, str) and api_key:
        found.append(f"env.ANTHROPIC_API_KEY ({mask(api_key)})")
    helper = current.get("apiKeyHelper")
    if helper not in (None, "") and not _our_helper(helper) and new.get("apiKeyHelper") != helper:
        found.append("apiKeyHelper")
    return found


def _claude_merge(current: dict[str, Any], new: dict[str, Any]) -> str:
    env = current.get("env")
    env = dict(env) if isinstance(env, dict) else {}
    env.update(new["env"])
    # Tool-written values the new export leaves out must not linger (an old token, models
    # the surface does not serve for this profile), nor a key beside the token.
    for name in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", *CLAUDE_MODEL_VARS):
        if name not in new["env"]:
            env.pop(name, None)
    current["env"] = env
    if "apiKeyHelper" in new:
        current["apiKeyHelper"] = new["apiKeyHelper"]
    else:
        current.pop("apiKeyHelper", None)
    return json.dumps(current, indent=2) + "\n"


def _opencode_conflicts(current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    ((pid, entry),) = new["provider"].items()
    providers = current.get("provider")
    old = providers.get(pid) if isinstance(providers, dict) else None
    if isinstance(old, dict) and old != entry and not ours(old.get("name")):
        return [f"provider.{inert(pid, 80)}"]
    return []


def _opencode_merge(existing: str, new: dict[str, Any]) -> str:
    text = existing if existing.strip() else "{}\n"
    ((pid, entry),) = new["provider"].items()
    text = jsonc.set_member(text, ["provider", pid], entry)
    text = jsonc.set_member(text, ["model"], new["model"])
    if "$schema" not in jsonc.loads(text, trailing_commas=True):
        text = jsonc.set_member(text, ["$schema"], new["$schema"])
    return text


def _load_toml(existing: str) -> Any:
    import tomlkit  # lazy: only a Codex merge reads TOML
    from tomlkit.exceptions import ParseError

    _check_size(existing)
    if existing.count("[") + existing.count("{") > 4 * 64 and _toml_too_deep(existing):
        raise ExportError("exporters.existing_too_deep")
    try:
        return tomlkit.parse(existing)
    except ParseError as exc:
        raise ExportError("exporters.existing_not_toml", line=exc.line, reason=str(exc)) from None
    except RecursionError:
        raise ExportError("exporters.existing_too_deep") from None


def _toml_too_deep(text: str) -> bool:
    """Inline arrays/tables nested deeper than any config (T18), before tomlkit recurses."""
    from app.core.json_limits import JSON_MAX_DEPTH, json_too_deep  # lazy: as _load_toml

    return json_too_deep(text.replace("'", '"').encode("utf-8", "replace"), JSON_MAX_DEPTH)


def _codex_conflicts(current: Any, new: dict[str, Any]) -> list[str]:
    ((pid, entry),) = new["model_providers"].items()
    providers = current.get("model_providers")
    old = providers.get(pid) if hasattr(providers, "get") else None
    if old is not None and hasattr(old, "get") and dict(old) != entry and not ours(old.get("name")):
        return [f"model_providers.{inert(pid, 80)}"]
    return []


def _set_top_level(doc: Any, name: str, value: str) -> None:
    """Set a top-level key where TOML needs it (before the first table) without moving a
    user's comment: a new key goes right after the last top-level key (tomlkit alone would
    put it after the comment that heads the next table), or first in a file without one."""
    from tomlkit.items import AoT, Table  # lazy: as _load_toml

    if name in doc:
        doc[name] = value
        return
    plain = [
        i
        for i, (key, item) in enumerate(doc.body)
        if key is not None and not isinstance(item, (Table, AoT))
    ]
    at = plain[-1] + 1 if plain else 0
    if at >= len(doc.body):  # nothing after it: a plain append is in the right place
        doc[name] = value
    else:
        doc._insert_at(at, name, value)


def _codex_merge(current: Any, new: dict[str, Any]) -> str:
    import tomlkit  # lazy: as _load_toml

    ((pid, entry),) = new["model_providers"].items()
    _set_top_level(current, "model", new["model"])
    _set_top_level(current, "model_provider", pid)
    providers = current.get("model_providers")
    if providers is None:
        providers = tomlkit.table(is_super_table=True)
        current["model_providers"] = providers
    table = tomlkit.table()
    for name, value in entry.items():
        table[name] = value
    table.add(tomlkit.nl())  # a blank line before whatever table follows it
    providers[pid] = table
    return tomlkit.dumps(current)


def conflicts(existing: str, exported: str, fmt: str) -> tuple[str, ...]:
    """What merging `exported` would replace or remove that the USER set, named for a
    message (a token masked, other settings' values never shown). Raises ExportError when
    `existing` cannot be read."""
    if fmt == "codex":
        import tomlkit  # lazy: as _load_toml

        return tuple(_codex_conflicts(_load_toml(existing), tomlkit.parse(exported).unwrap()))
    new = json.loads(exported)
    if fmt == "claude-code":
        return tuple(_claude_conflicts(_load_claude(existing), new))
    if fmt == "qwen-code":
        return tuple(qwen_conflicts(load_json(existing, comments=True), new))
    return tuple(_opencode_conflicts(load_json(existing, comments=True, trailing_commas=True), new))


def merge(existing: str, exported: str, fmt: str) -> str:
    """`exported` merged into `existing` (see the module docstring); ExportError when
    `existing` cannot be read."""
    if fmt == "codex":
        import tomlkit  # lazy: as _load_toml

        return _codex_merge(_load_toml(existing), tomlkit.parse(exported).unwrap())
    new = json.loads(exported)
    if fmt == "claude-code":
        return _claude_merge(_load_claude(existing), new)
    try:
        if fmt == "qwen-code":
            load_json(existing, comments=True)  # refused here, before any edit
            return qwen_merge(existing, new)
        if fmt == "opencode":
            load_json(existing, comments=True, trailing_commas=True)
            return _opencode_merge(existing, new)
    except jsonc.JsoncError as exc:  # a setting on the path is not an object
        raise ExportError("exporters.existing_shape", reason=exc.reason) from None
    raise ValueError(fmt)
