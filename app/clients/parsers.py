"""The formats of the clients' files, each read by the parser whose answer the client gets,
with the line of every value (a finding names the file AND the line to edit).

- `.env`: python-dotenv's own parser (`dotenv.parser.parse_stream`, interpolation off:
  Node's dotenv, which Qwen Code uses, expands nothing; python-dotenv's `${VAR}` expansion
  is LiteLLM's). A hand-written tokeniser disagreed with it on 6 of 13 edge inputs.
- settings JSON (with comments): app.core.jsonc, which refuses nesting past JSON_MAX_DEPTH.
- TOML: tomlkit (a dependency already), after the same nesting check.
- shell start-up files: only `export VAR=...` lines (fish: `set -x` / `set -gx`), values
  split by shlex; a quote left open (a value over several lines) is a problem, not a value.
Failures are `ParseFailure` (a reason tag and a line), never a parser's traceback.
"""

from __future__ import annotations

import bisect
import io
import re
import shlex
from dataclasses import dataclass
from typing import Any

from app.core import jsonc
from app.core.json_limits import JSON_MAX_DEPTH, json_too_deep
from app.core.text import inert

_RC_CONTINUATION_MAX = 200  # lines an open quote may span before we stop looking for its end


@dataclass(frozen=True)
class Leaf:
    """One scalar of a document: its key path, value and line (None when unknown)."""

    keys: tuple[str | int, ...]
    value: Any
    line: int | None

    @property
    def name(self) -> str:
        """`env.ANTHROPIC_BASE_URL`, `modelProviders.openai[0].baseUrl`."""
        out = ""
        for key in self.keys:
            out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
        return out


class ParseFailure(ValueError):
    """The document cannot be read: `reason` is malformed / too_deep, `line` where."""

    def __init__(self, reason: str, line: int | None = None, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.detail = detail


def parse_dotenv(text: str) -> tuple[list[Leaf], list[int]]:
    """(every `KEY=value` binding as python-dotenv reads it, the lines it could not parse).
    A key without `=` has the value None, as in `dotenv_values`."""
    from dotenv.parser import parse_stream  # here: only doctor reads .env files

    leaves, errors = [], []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            errors.append(binding.original.line)
        elif binding.key is not None:
            leaves.append(Leaf((binding.key,), binding.value, binding.original.line))
    return leaves, errors


_VAR = r"[A-Za-z_][A-Za-z0-9_]*"
_EXPORT = re.compile(rf"[ \t]*export[ \t]+({_VAR})=(.*)")
_FISH_SET = re.compile(rf"[ \t]*set[ \t]+((?:-{{1,2}}[A-Za-z-]+[ \t]+)+)({_VAR})(?:[ \t]+(.*))?")


def _fish_exports(flags: str) -> bool:
    parts = flags.split()
    return any(p == "--export" or (not p.startswith("--") and "x" in p) for p in parts)


def parse_rc(text: str) -> tuple[list[Leaf], list[int]]:
    """(the exported variables of a shell start-up file, the lines of values that span
    several lines). Only exports count: a plain `VAR=x` does not reach the clients."""
    lines = text.splitlines()
    leaves: list[Leaf] = []
    multiline: list[int] = []
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index]
        index += 1
        match = _EXPORT.fullmatch(line)
        name, rest, fish = None, "", False
        if match is not None:
            name, rest = match.group(1), match.group(2)
        else:
            fish_match = _FISH_SET.fullmatch(line)
            if fish_match is not None and _fish_exports(fish_match.group(1)):
                name, rest, fish = fish_match.group(2), fish_match.group(3) or "", True
        if name is None:
            continue
        try:
            tokens = shlex.split(rest, comments=True)
        except ValueError:  # an open quote or a trailing backslash: the value goes on
            multiline.append(number)
            index = _skip_continuation(lines, index, rest)
            continue
        value = " ".join(tokens) if fish else (tokens[0] if tokens else "")
        leaves.append(Leaf((name,), value.rstrip(";"), number))
    return leaves, multiline


def _skip_continuation(lines: list[str], index: int, start: str) -> int:
    """The index after the line where the open value ends (or a bounded guess)."""
    text = start
    for offset in range(_RC_CONTINUATION_MAX):
        if index + offset >= len(lines):
            return len(lines)
        text += "\n" + lines[index + offset]
        try:
            shlex.split(text, comments=True)
        except ValueError:
            continue
        return index + offset + 1
    return index


class _Lines:
    """Line numbers of offsets in a text (one bisect each, not a count per value)."""

    def __init__(self, text: str) -> None:
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def of(self, offset: int) -> int:
        return bisect.bisect_left(self.breaks, offset) + 1


def parse_json(text: str, *, trailing_commas: bool = False) -> tuple[Any, list[Leaf]]:
    """(the document, its scalars with their lines). JSON with comments, as Qwen Code
    (strip-json-comments) and opencode (jsonc-parser) read it; strict-JSON readers (Claude
    Code, `bl`) are read the same way, a comment there being the lesser worry."""
    try:
        root = jsonc.parse(text, trailing_commas=trailing_commas)
    except jsonc.JsoncError as exc:
        reason = "too_deep" if "nested deeper" in exc.reason else "malformed"
        raise ParseFailure(reason, exc.line, inert(exc.reason, 120)) from None
    except RecursionError:
        raise ParseFailure("too_deep") from None
    lines = _Lines(text)
    leaves: list[Leaf] = []
    stack: list[tuple[tuple[str | int, ...], jsonc.Node]] = [((), root)]
    while stack:
        keys, node = stack.pop()
        if isinstance(node.value, dict):
            stack += [((*keys, k), child) for k, child in reversed(node.members.items())]
        elif isinstance(node.value, list):
            stack += [((*keys, i), child) for i, child in reversed(list(enumerate(node.items)))]
        else:
            leaves.append(Leaf(keys, node.value, lines.of(node.start)))
    return root.value, leaves


_TOML_HEADER = re.compile(r"\[\[?\s*(.+?)\s*\]\]?\s*(?:#.*)?")
_TOML_KEY = re.compile(
    r"((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", text)
    return tuple(next(p for p in part if p) if any(part) else "" for part in parts)


def _toml_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """(table path + key) -> line of every `key = value` line: tomlkit keeps no positions,
    and a finding must name the line. Keys inside inline tables are found by their table."""
    out: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = _TOML_HEADER.fullmatch(stripped) if stripped.startswith("[") else None
        if header is not None:
            table = _dotted(header.group(1))
            out.setdefault(table, number)
            continue
        key = _TOML_KEY.match(stripped)
        if key is not None:
            out.setdefault((*table, *_dotted(key.group(1))), number)
    return out


def parse_toml(text: str) -> tuple[Any, list[Leaf]]:
    """(the document as plain dicts and lists, its scalars with their lines)."""
    if json_too_deep(text.encode("utf-8", "replace"), JSON_MAX_DEPTH):
        raise ParseFailure("too_deep")
    import tomlkit  # here: only doctor and the Codex export read TOML
    from tomlkit.exceptions import TOMLKitError  # here: as above

    try:
        doc: Any = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        line = getattr(exc, "line", None)
        raise ParseFailure("malformed", line if isinstance(line, int) else None) from None
    except (RecursionError, ValueError, TypeError):
        raise ParseFailure("malformed") from None
    key_lines = _toml_key_lines(text)
    leaves: list[Leaf] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), doc)]
    while stack:
        keys, value = stack.pop()
        if isinstance(value, dict):
            stack += [((*keys, k), v) for k, v in reversed(value.items())]
        elif isinstance(value, list):
            stack += [((*keys, i), v) for i, v in reversed(list(enumerate(value)))]
        else:
            names = tuple(str(k) for k in keys if isinstance(k, str))
            line = next(
                (key_lines[names[:n]] for n in range(len(names), 0, -1) if names[:n] in key_lines),
                None,
            )
            leaves.append(Leaf(keys, value, line))
    return doc, leaves
