"""The plain subset of YAML the tool's own files are written in, read without PyYAML.

Importing PyYAML costs more than starting Python (`python -c pass`), and `env` / `key get`
(run from shell rc files and by apiKeyHelper) read three YAML files: the config, the catalog
and a locale file. Those files use a small, regular part of YAML: block mappings and
sequences, one-line flow collections of scalars, plain / quoted scalars and `|` / `>` blocks.
`load` reads exactly that part and returns what `yaml.safe_load` returns for it; for anything
else (anchors and aliases, tags, several documents, tabs, multi-line flow or quoted scalars,
numbers other than plain integers, timestamps, ...) it raises `Unsupported` and the caller
hands the text to PyYAML, whose result, errors and limits then apply as before. A key that
appears twice in one mapping raises `DuplicateKey` (an `Unsupported`, so a caller that only
knows the fallback still gets PyYAML's answer): PyYAML would silently keep the last value,
and in a user's config or a team policy a merge-conflict leftover must be refused instead
(app.config.io), not win unseen. A test checks that every packaged file is read here and
equals PyYAML's result, and a property test compares the two on generated documents.
"""

from __future__ import annotations

import re
from typing import Any


class Unsupported(Exception):
    """The text uses YAML this reader does not handle: parse it with PyYAML instead."""


class DuplicateKey(Unsupported):
    """A key appears twice in one mapping (PyYAML would keep the last value, silently).

    `path` holds the keys of the mappings around it, outermost first (filled in as the
    exception leaves each enclosing mapping: nothing is tracked while reading, which keeps
    the hot path as fast as before); `line` and `first_line` are 1-based.
    """

    def __init__(self, key: str, line: int | None = None, first_line: int | None = None):
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.line = line
        self.first_line = first_line
        self.path: list[str] = []


MAX_DEPTH = 8  # deeper nesting is left to PyYAML (and to the caller's own depth limit)

# YAML 1.1 implicit types as PyYAML's resolver sees them (yaml/resolver.py), by first char.
_BOOL = {
    "yes": True, "Yes": True, "YES": True, "no": False, "No": False, "NO": False,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "on": True, "On": True, "ON": True, "off": False, "Off": False, "OFF": False,
}  # fmt: skip
_NULL = ("~", "null", "Null", "NULL", "")
_INT = re.compile(r"0|[1-9][0-9]*")
_NUMERIC_START = set("-+0123456789.")
# What may start a plain scalar here (no indicator, no quote, no space).
# Only " " separates (PyYAML's whitespace is space, tab and line breaks; \s would also take
# U+00A0 and other Unicode spaces, which YAML reads as text).
_PLAIN_START = re.compile(r"[^ \-?:,\[\]{}#&*!|>'\"%@`]")
_KEY = re.compile(r"([^ \-?:,\[\]{}#&*!|>'\"%@`][^:#]*?):(?: +|$)")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "/": "/", "0": "\0"}


# PyYAML refuses these characters (yaml/reader.py: all but \n, \x20-\x7e, \xa0-\ud7ff,
# \ue000-\ufffd and \U00010000-\U0010ffff) or reads them as line breaks. Spelt as what is
# refused, not as the negation of what is allowed: `re` expands a character range one code
# point at a time, and the big allowed ranges took ~3 ms to compile on every `env` run.
_NOT_PLAIN_TEXT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029\ufeff]"
)


def load(text: str) -> Any:
    """What `yaml.safe_load(text)` returns, for the plain subset; else `Unsupported`."""
    if _NOT_PLAIN_TEXT.search(text):
        raise Unsupported("a tab, a control character, a byte order mark or a line separator")
    lines: list[tuple[int, str, int]] = []  # (indent, content, line number)
    for number, raw in enumerate(text.split("\n"), 1):
        stripped = raw.strip(" ")
        if not stripped or stripped.startswith("#"):
            lines.append((-1, "", number))  # blank or comment: kept for block scalars
            continue
        if raw.startswith(("---", "...", "%")):
            raise Unsupported("document marker or directive")
        lines.append((len(raw) - len(raw.lstrip(" ")), raw.rstrip(" "), number))
    reader = _Reader(lines, text.split("\n"))
    reader.skip_blank()
    if reader.at_end():
        return None
    value = reader.node(reader.indent(), 1)
    reader.skip_blank()
    if not reader.at_end():
        raise Unsupported("content after the document")
    return value


class _Reader:
    def __init__(self, lines: list[tuple[int, str, int]], raw: list[str]) -> None:
        self.lines = lines
        self.raw = raw
        self.i = 0

    def at_end(self) -> bool:
        return self.i >= len(self.lines)

    def skip_blank(self) -> None:
        while not self.at_end() and self.lines[self.i][0] < 0:
            self.i += 1

    def indent(self) -> int:
        return self.lines[self.i][0]

    def node(self, indent: int, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise Unsupported("nested too deep")
        content = self.lines[self.i][1][indent:]
        if content == "-" or content.startswith("- "):
            return self.sequence(indent, depth)
        return self.mapping(indent, depth)

    def mapping(self, indent: int, depth: int, first: str | None = None) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        start = self.i
        while True:
            self.skip_blank()
            if first is None:
                if self.at_end() or self.indent() != indent:
                    break
                content = self.lines[self.i][1][indent:]
            else:
                content, first = first, None
            if content.startswith("- ") or content == "-":
                break
            key, rest = _split_key(content)
            number = self.lines[self.i][2]
            if key in out:  # the dict is the set of keys seen: no cost while there is none
                raise DuplicateKey(key, number, self._first_line(key, indent, start))
            self.i += 1
            try:
                out[key] = self.value(rest, indent, depth + 1, mapping_value=True)
            except DuplicateKey as exc:  # one inside the value: say where it is
                exc.path.insert(0, key)
                if exc.line is None:  # a one-line flow mapping `{a: 1, a: 2}`
                    exc.line = exc.first_line = number
                raise
        if not self.at_end() and self.indent() > indent:
            raise Unsupported("unexpected indentation")
        return out

    def _first_line(self, key: str, indent: int, start: int) -> int | None:
        """The line of `key`'s first occurrence in the mapping read from line index `start`:
        looked for only once a duplicate is found (its lines at `indent` are its keys)."""
        for i in range(start, self.i):
            here, content, number = self.lines[i]
            if here == indent and not content[indent:].startswith("- "):
                try:
                    if _split_key(content[indent:])[0] == key:
                        return number
                except Unsupported:
                    continue
        return None

    def sequence(self, indent: int, depth: int) -> list[Any]:
        out: list[Any] = []
        while True:
            self.skip_blank()
            if self.at_end() or self.indent() != indent:
                break
            content = self.lines[self.i][1][indent:]
            if not (content == "-" or content.startswith("- ")):
                break
            rest = content[2:].lstrip(" ") if content != "-" else ""
            if rest and _KEY.match(rest) and not rest.startswith(("'", '"', "[", "{")):
                # `- key: value` opens a mapping whose keys line up after "- ".
                inner = indent + (len(content) - len(rest))
                self.lines[self.i] = (inner, " " * inner + rest, self.lines[self.i][2])
                out.append(self.mapping(inner, depth + 1))
                continue
            number = self.lines[self.i][2]
            self.i += 1
            try:
                out.append(self.value(rest, indent, depth + 1, mapping_value=False))
            except DuplicateKey as exc:
                if exc.line is None:  # `- {a: 1, a: 2}`
                    exc.line = exc.first_line = number
                raise
        if not self.at_end() and self.indent() > indent:
            raise Unsupported("unexpected indentation")
        return out

    def value(self, rest: str, indent: int, depth: int, *, mapping_value: bool) -> Any:
        """The value after `key:` or `- ` (`rest`, comment not yet removed)."""
        if depth > MAX_DEPTH:
            raise Unsupported("nested too deep")
        if rest in ("|", "|-", ">", ">-"):
            return self.block_scalar(rest, indent)
        if rest == "" or rest.startswith("#"):
            self.skip_blank()
            if not self.at_end():
                child = self.indent()
                content = self.lines[self.i][1][child:]
                is_item = content == "-" or content.startswith("- ")
                if child > indent or (mapping_value and child == indent and is_item):
                    return self.node(child, depth)
            return None
        return scalar_or_flow(rest)

    def block_scalar(self, style: str, indent: int) -> str:
        start = self.i
        raw_lines: list[str] = []
        block_indent = None
        while self.i < len(self.lines):
            number = self.lines[self.i][2]
            raw = self.raw[number - 1]
            if raw.strip(" ") == "":
                if raw:
                    raise Unsupported("a line of spaces in a block scalar")
                raw_lines.append("")
                self.i += 1
                continue
            here = len(raw) - len(raw.lstrip(" "))
            if here <= indent:
                break
            if block_indent is None:
                block_indent = here
            if here < block_indent:
                raise Unsupported("block scalar indentation")
            raw_lines.append(raw[block_indent:])
            self.i += 1
        if block_indent is None or self.i == start:
            raise Unsupported("empty block scalar")
        while raw_lines and raw_lines[-1] == "":  # trailing blank lines are not content
            raw_lines.pop()
            self.i -= 1
        # Re-point at the first line after the content (blank lines after it are skipped
        # by the next caller anyway).
        while self.i < len(self.lines) and self.lines[self.i][0] < 0:
            self.i += 1
        if any(line.endswith(" ") or line != line.rstrip() for line in raw_lines):
            raise Unsupported("trailing spaces in a block scalar")
        if style.startswith(">"):
            if any(line == "" or line.startswith(" ") for line in raw_lines):
                raise Unsupported("folded block with blank or more-indented lines")
            text = " ".join(raw_lines)
        else:
            text = "\n".join(raw_lines)
        return text if style.endswith("-") else text + "\n"


def _split_key(content: str) -> tuple[Any, str]:
    if content.startswith(('"', "'")):
        key, after = (_double_quoted if content[0] == '"' else _single_quoted)(content)
        if not (after == ":" or after.startswith(": ")):
            raise Unsupported("a quoted key without `: `")
        return key, after[1:].lstrip(" ")
    match = _KEY.match(content)
    if match is None:
        raise Unsupported("not a `key: value` line")
    key = plain(match.group(1).rstrip(" "))
    if not isinstance(key, str):
        raise Unsupported("a key that is not a string")
    return key, content[match.end() :]


def _strip_comment(text: str) -> str:
    cut = text.find(" #")
    return (text[:cut] if cut >= 0 else text).rstrip(" ")


def scalar_or_flow(rest: str) -> Any:
    first = rest[0]
    if first == '"':
        value, after = _double_quoted(rest)
    elif first == "'":
        value, after = _single_quoted(rest)
    elif first in "[{":
        return _flow(rest)
    else:
        text = _strip_comment(rest)
        if ": " in text or text.endswith(":"):
            raise Unsupported("a colon in a plain scalar")
        return plain(text)
    if after.strip(" ") and not after.lstrip(" ").startswith("#"):
        raise Unsupported("text after a quoted scalar")
    if after and not after.startswith(" "):
        raise Unsupported("text right after a quoted scalar")
    return value


def plain(text: str) -> Any:
    """A plain scalar as PyYAML resolves it: null, bool, decimal int, or a string."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        return int(text)
    if text[0] in _NUMERIC_START or text[0] in "=<" or not _PLAIN_START.match(text):
        raise Unsupported("a plain scalar that may be a number, a date or an indicator")
    if "#" in text and " #" in text:
        raise Unsupported("comment inside a plain scalar")
    return text


_DOUBLE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code in _ESCAPES:
        return _ESCAPES[code]
    if len(code) > 1:
        return chr(int(code[1:], 16))
    raise Unsupported("an escape this reader does not know")


def _double_quoted(rest: str) -> tuple[str, str]:
    match = _DOUBLE.match(rest)
    if match is None:
        raise Unsupported("a double-quoted scalar over several lines")
    body = match.group(1)
    if "\\" in body:
        body = _ESCAPE.sub(_unescape, body)
    return body, rest[match.end() :]


def _single_quoted(rest: str) -> tuple[str, str]:
    match = _SINGLE.match(rest)
    if match is None:
        raise Unsupported("a single-quoted scalar over several lines")
    return match.group(1).replace("''", "'"), rest[match.end() :]


def _flow(rest: str) -> Any:
    """`[a, "b"]` or `{k: v, k2: "v2"}` on one line, of scalars only."""
    opening = rest[0]
    closing = {"[": "]", "{": "}"}[opening]
    i = 1
    values: list[Any] = []
    out: dict[Any, Any] = {}
    while True:
        i = _skip_spaces(rest, i)
        if rest[i : i + 1] == closing and not (values or out):
            i += 1
            break
        first, i = _flow_scalar(rest, i)
        i = _skip_spaces(rest, i)
        if opening == "{":
            if rest[i : i + 2] != ": ":
                raise Unsupported("a flow mapping item that is not `key: value`")
            if not isinstance(first, str):
                raise Unsupported("a flow mapping key")
            if first in out:
                raise DuplicateKey(first)  # the line: filled in by the block around it
            value, i = _flow_scalar(rest, _skip_spaces(rest, i + 2))
            out[first] = value
            i = _skip_spaces(rest, i)
        else:
            values.append(first)
        sep = rest[i : i + 1]
        i += 1
        if sep == closing:
            break
        if sep != ",":
            raise Unsupported("a flow collection this reader does not handle")
        if rest[_skip_spaces(rest, i) : _skip_spaces(rest, i) + 1] == closing:
            raise Unsupported("a trailing comma")
    after = rest[i:]
    if after.strip(" ") and not after.startswith(" #"):
        raise Unsupported("text after a flow collection")
    return out if opening == "{" else values


def _skip_spaces(text: str, i: int) -> int:
    while text[i : i + 1] == " ":
        i += 1
    return i


def _flow_scalar(text: str, i: int) -> tuple[Any, int]:
    """One scalar inside a flow collection, and where it ends."""
    if text[i : i + 1] == '"':
        value, after = _double_quoted(text[i:])
        return value, len(text) - len(after)
    if text[i : i + 1] == "'":
        value, after = _single_quoted(text[i:])
        return value, len(text) - len(after)
    end = i
    while end < len(text) and text[end] not in ",[]{}:#\"'":
        end += 1
    if text[end : end + 1] == ":" and text[end + 1 : end + 2] not in (" ", ""):
        raise Unsupported("a colon inside a flow scalar")
    if text[end : end + 1] in ("[", "{", "#", "'", '"') or end == i:
        raise Unsupported("a nested or unusual flow collection")
    return plain(text[i:end].rstrip(" ")), end
