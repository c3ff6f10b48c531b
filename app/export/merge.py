"""Merging an export into a file that is already there, instead of clobbering it.

A project's .env holds other settings (DATABASE_URL, ...), a settings.json holds the user's
own token and helper: only what the export is for is replaced, what this tool wrote earlier
and no longer writes is removed, and everything else stays, in order (QA B37). Pure
functions over text; app.export.write decides when they run (no TOML target exists yet:
one would merge here too).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from app.core.json_limits import json_too_deep
from app.core.text import inert
from app.export.formats import KEY_COMMAND, KEY_REFERENCED, KEY_WARNING, MARKER
from app.export.rules import ExportError
from app.secrets.key import mask

# The header lines `_header` / `_dotenv` write: recognised so a re-export replaces them.
_OWN_COMMENT = re.compile(
    r"#\s*(?:Model Studio profile '.*|Written by modelstudio-setup export\.|"
    r"WARNING: this file contains the API key\..*|The API key is not in this file; .*|"
    r'Set [A-Za-z_][A-Za-z0-9_]* in your environment, e\.g\. eval "\$\(.*\benv\b.*\)"\.|'
    r"ANTHROPIC_MODEL is left out: .*)\s*$"
)
# Variables an export writes only for some profiles.
_OPTIONAL_VARS = ("DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_WORKSPACE", "ANTHROPIC_MODEL")
_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def _load_settings(existing: str) -> dict[str, object]:
    if json_too_deep(existing.encode("utf-8", "replace")):
        # A settings file nested deeper than any real one (T18): refused, left as it is.
        raise ExportError("exporters.existing_too_deep")
    try:
        current = json.loads(existing) if existing.strip() else {}
    except json.JSONDecodeError as exc:
        raise ExportError("exporters.existing_not_json", line=exc.lineno) from None
    if not isinstance(current, dict):
        raise ExportError("exporters.existing_not_json", line=1)
    return current


def _our_helper(value: object) -> bool:
    """Whether an apiKeyHelper is this tool's own `modelstudio-setup key get …` command."""
    if not isinstance(value, str):
        return False
    try:
        argv = shlex.split(value)
    except ValueError:
        return False
    return argv[:3] == [KEY_COMMAND, "key", "get"]


# The name an export gives its Qwen Code provider entry (see _qwen_code).
_OUR_QWEN_NAME = re.compile(r"Model Studio \S+ \(.+, .+\)")


def settings_conflicts(existing: str, exported: str, fmt: str) -> tuple[str, ...]:
    """What merging `exported` would replace or remove that the USER set; named for a
    message (a token masked, values of other settings never shown).

    Per setting (docs/configure.md, export): Claude Code's ANTHROPIC_BASE_URL,
    ANTHROPIC_MODEL and ANTHROPIC_SMALL_FAST_MODEL are what the export is for and are
    replaced; an env ANTHROPIC_AUTH_TOKEN that would be removed or changed, and an
    apiKeyHelper that is not this tool's own `key get` command, are the user's. Qwen Code:
    a provider entry the merge would replace that this tool did not name is the user's.
    Raises ExportError when `existing` is not a settings object.
    """
    current = _load_settings(existing)
    new = json.loads(exported)
    found: list[str] = []
    if fmt == "claude-code":
        env = current.get("env")
        token = env.get("ANTHROPIC_AUTH_TOKEN") if isinstance(env, dict) else None
        if isinstance(token, str) and token and new["env"].get("ANTHROPIC_AUTH_TOKEN") != token:
            found.append(f"env.ANTHROPIC_AUTH_TOKEN ({mask(token)})")
        helper = current.get("apiKeyHelper")
        if (
            helper not in (None, "")
            and not _our_helper(helper)
            and new.get("apiKeyHelper") != helper
        ):
            found.append("apiKeyHelper")
    elif fmt == "qwen-code":
        providers = current.get("modelProviders")
        entries = providers.get("openai") if isinstance(providers, dict) else None
        entry = new["modelProviders"]["openai"][0]
        for e in entries if isinstance(entries, list) else []:
            if not isinstance(e, dict) or e == entry:
                continue
            replaced = (e.get("id") == entry["id"] and e.get("baseUrl") == entry["baseUrl"]) or (
                e.get("name") == entry["name"]
            )
            name = e.get("name")
            ours = isinstance(name, str) and _OUR_QWEN_NAME.fullmatch(name) is not None
            if replaced and not ours:
                found.append(f"modelProviders.openai[id={inert(e.get('id'), 80)}]")
    return tuple(found)


def merge_json_settings(existing: str, exported: str, fmt: str) -> str:
    """Merge an exported settings.json into an existing one instead of clobbering it.

    Claude Code: the `env` block is updated key by key, other settings are kept.
    Qwen Code: the provider entry with the same id is replaced, others are kept.
    """
    current = _load_settings(existing)
    new = json.loads(exported)
    if fmt == "claude-code":
        env = current.get("env")
        env = dict(env) if isinstance(env, dict) else {}
        env.update(new["env"])
        # Tool-written values the new export leaves out must not linger: an old token, or a
        # model the surface does not serve for this profile.
        for name in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL"):
            if name not in new["env"]:
                env.pop(name, None)
        current["env"] = env
        if "apiKeyHelper" in new:
            current["apiKeyHelper"] = new["apiKeyHelper"]
        else:
            current.pop("apiKeyHelper", None)
    elif fmt == "qwen-code":
        providers = current.get("modelProviders")
        providers = dict(providers) if isinstance(providers, dict) else {}
        entries = providers.get("openai")
        entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        entry = new["modelProviders"]["openai"][0]
        # Replace only this profile's own entry (same model at the same endpoint, or the same
        # name): a CN and an international account may both offer qwen-flash (QA B46).
        entries = [
            e
            for e in entries
            if not (
                (e.get("id") == entry["id"] and e.get("baseUrl") == entry["baseUrl"])
                or e.get("name") == entry["name"]
            )
        ] + [entry]
        providers["openai"] = entries
        current["modelProviders"] = providers
    else:
        raise ValueError(fmt)
    return json.dumps(current, indent=2) + "\n"


def _quote_closed(value: str) -> bool:
    """Whether a value opening with a quote closes it (backslash escapes, as python-dotenv)."""
    quote, i = value[0], 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == quote:
            return True
        i += 1
    return False


def _dotenv_entries(text: str) -> list[tuple[str | None, list[str]]]:
    """The file as entries: (name, lines) per assignment, a quoted value may span lines;
    (None, [line]) for comments, blank and unparsable lines (kept verbatim)."""
    lines = text.splitlines()
    entries: list[tuple[str | None, list[str]]] = []
    i = 0
    while i < len(lines):
        match = _ASSIGN.match(lines[i])
        if not match:
            entries.append((None, [lines[i]]))
            i += 1
            continue
        chunk, value = [lines[i]], match.group(2)
        i += 1
        if value[:1] in ("'", '"'):
            while not _quote_closed(value) and i < len(lines):
                chunk.append(lines[i])
                value += "\n" + lines[i]
                i += 1
        entries.append((match.group(1), chunk))
    return entries


def _value(lines: list[str]) -> str:
    """An assignment's value, its quotes taken off (enough to compare two values)."""
    match = _ASSIGN.match(lines[0])
    value = "\n".join([match.group(2) if match else "", *lines[1:]]).strip()
    if value[:1] in ("'", '"') and value.endswith(value[0]) and len(value) > 1:
        value = value[1:-1]
    return value


def _holds_literal(lines: list[str]) -> bool:
    """True when an assignment's value is a literal (not empty, not a ${VAR} reference)."""
    value = _value(lines)
    return bool(value) and not _REFERENCE.match(value)


def _key_written_by_us(
    entries: list[tuple[str | None, list[str]]], key_vars: tuple[str, ...]
) -> bool:
    """Whether the literal key in this .env is one an `--include-key` export wrote.

    The WARNING header alone does not tell: a keyless merge into a file where the USER put
    the key writes it too (the file does hold a key). An `--include-key` export writes the
    same literal into EVERY key variable, while a keyless one writes references into all
    but the profile's own: so the key is ours only under our header and when every key
    variable holds one and the same literal (QA: a user's key line was removed on the
    second export).
    """
    values = {n: _value(ls) for n, ls in entries if n in key_vars}
    if set(values) != set(key_vars):
        return False
    literals = {v for n, v in values.items() if _holds_literal([f"{n}={v}"])}
    return len(literals) == 1 and all(_holds_literal([f"{n}={v}"]) for n, v in values.items())


def _with_prefix(old: list[str], new: list[str]) -> list[str]:
    """The new assignment, keeping the user's `export ` in front of it (`. .env` exports)."""
    match = re.match(r"^(\s*export\s+)", old[0])
    if not match or new[0].startswith(match.group(1)):
        return new
    return [match.group(1) + new[0].lstrip(), *new[1:]]


@dataclass(frozen=True)
class DotenvMerge:
    """The merged text and what changed in it, so the user can be told."""

    text: str
    updated: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]  # written earlier, no longer set by the profile
    key_removed: tuple[str, ...]  # a literal key written earlier, now referenced
    holds_key: bool


def merge_dotenv(existing: str, exported: str, key_vars: tuple[str, ...] = ()) -> DotenvMerge:
    """Merge an exported .env into an existing one: a project's .env holds other settings
    (DATABASE_URL, ...) that a wholesale replace would destroy (QA B37).

    Only the variables of `exported` are replaced (in place; later duplicates dropped, since
    dotenv readers let the last one win) or appended; this tool's header comments move with
    them; every other line stays, in order, and a user's `export ` prefix stays on a line
    that is updated. Re-running gives the same file. A literal key in `key_vars` that this
    tool wrote earlier (see _key_written_by_us) is removed when the new export only
    references the key; a key the user put there is kept, on every later export too. Variables an
    earlier export wrote that this profile no longer sets are removed too.
    """
    new_entries = _dotenv_entries(exported)
    header = [ls[0] for name, ls in new_entries if name is None and ls[0].strip()]
    new_vars = {name: ls for name, ls in new_entries if name is not None}
    old_lines = [line.strip() for line in existing.splitlines()]
    old_entries = _dotenv_entries(existing)
    ours_held_key = KEY_WARNING in old_lines and _key_written_by_us(old_entries, key_vars)
    drop = {n for n in key_vars if n not in new_vars} if ours_held_key else set()
    # What an earlier export of this tool wrote and this profile no longer sets (a workspace
    # ID after a move to the shared host, an unserved ANTHROPIC_MODEL) must not linger.
    stale = set(_OPTIONAL_VARS) - set(new_vars) if f"# {MARKER} export." in old_lines else set()
    out: list[str] = []
    header_at: int | None = None
    first_var_at: int | None = None
    seen: set[str] = set()
    updated: list[str] = []
    removed: list[str] = []
    key_removed: list[str] = []
    for name, lines in old_entries:
        if name is None and _OWN_COMMENT.match(lines[0]):
            if header_at is None:
                header_at = len(out)
            continue
        if name in new_vars:
            if name not in seen:
                seen.add(name)
                replacement = _with_prefix(lines, new_vars[name])
                if lines != replacement:
                    updated.append(name)
                if first_var_at is None:
                    first_var_at = len(out)
                out.extend(replacement)
            continue
        if name in stale:
            removed.append(name)
            continue
        if name in drop and _holds_literal(lines):
            key_removed.append(name)
            continue
        out.extend(lines)
    added = [n for n in new_vars if n not in seen]
    if header_at is None:
        if added or first_var_at is None:
            if out and out[-1].strip():
                out.append("")
            header_at = len(out)
        else:
            header_at = first_var_at
    for name in added:
        out.extend(new_vars[name])
    entries = _dotenv_entries("\n".join(out))
    holds_key = any(n in key_vars and _holds_literal(ls) for n, ls in entries)
    if holds_key:
        header = [KEY_WARNING if line == KEY_REFERENCED else line for line in header]
    out[header_at:header_at] = header
    return DotenvMerge(
        text="\n".join(out) + "\n",
        updated=tuple(updated),
        added=tuple(added),
        removed=tuple(removed),
        key_removed=tuple(key_removed),
        holds_key=holds_key,
    )
