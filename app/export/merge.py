"""Merging a .env export into the .env that is already there, instead of clobbering it.

A project's .env holds other settings (DATABASE_URL, ...): only what the export is for is
replaced, what this tool wrote earlier and no longer writes is removed, and everything else
stays, in order (QA B37). Pure functions over text; app.export.write decides when they run.
The agents' settings files merge in app.export.merge_settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.export.header import KEY_REFERENCED, KEY_WARNING, MARKER

# The header lines header_lines / text_formats.dotenv write: recognised so a re-export
# replaces them.
_OWN_COMMENT = re.compile(
    r"#\s*(?:Model Studio profile '.*|Written by modelstudio-setup export\.|"
    r"WARNING: this file contains the API key\..*|The API key is not in this file; .*|"
    r'Set [A-Za-z_][A-Za-z0-9_]* in your environment, e\.g\. eval "\$\(.*\benv\b.*\)"\.|'
    r"\$\{VAR\} below is expanded by python-dotenv, .*|"
    r"For Node's dotenv, which expands no \$\{VAR\}: .*|"
    r"DASHSCOPE_HTTP_BASE_URL is left out: dashscope .*|"
    r"dashscope 2\.x Client: DASHSCOPE_HTTP_BASE_URL is its base .*|"
    r"ANTHROPIC_MODEL is left out: .*)\s*$"
)
# Variables an export writes only for some profiles (a plan host has no native surface, the
# trial domain of a region without a shared host no WebSocket URL), and DASHSCOPE_BASE_URL,
# which earlier exports wrote: the dashscope 2.x Client sends every protocol to it.
_OPTIONAL_VARS = (
    "DASHSCOPE_WORKSPACE_ID",
    "DASHSCOPE_WORKSPACE",
    "ANTHROPIC_MODEL",
    "DASHSCOPE_HTTP_BASE_URL",
    "DASHSCOPE_WEBSOCKET_BASE_URL",
    "DASHSCOPE_COMPATIBLE_BASE_URL",
    "DASHSCOPE_BASE_URL",
)
_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


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
    references_removed: tuple[str, ...] = ()  # `${VAR}` lines a Node .env must not have


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
    # A `${VAR}` reference the new export leaves out (the .env for Node's dotenv): Node
    # would read those very characters as the key, so it goes, the user's too.
    unexpanded = {n for n in key_vars if n not in new_vars}
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
    references_removed: list[str] = []
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
        if name in unexpanded and _REFERENCE.match(_value(lines)):
            references_removed.append(name)
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
        references_removed=tuple(references_removed),
    )
