"""JSON with comments, read and edited in place: Qwen Code's settings.json (read through
strip-json-comments) and opencode.json (jsonc-parser) may carry the user's comments, which a
writer must keep (CLIENTS.md). No maintained Python library edits JSONC keeping comments,
so this is the small part of VS Code's jsonc-parser `modify` that the exports need: parse
with the span of every value, then replace a value, add a member to an object or an item to
an array as a text edit. Everything outside the edited span stays byte for byte.

Limits (T18): nesting deeper than JSON_MAX_DEPTH is refused before it can recurse; a size
cap is the caller's (app.export.write). Refusals are JsoncError with the line, never a
traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.core.json_limits import JSON_MAX_DEPTH

__all__ = ["JsoncError", "Node", "append_item", "loads", "parse", "replace_value", "set_member"]


class JsoncError(ValueError):
    """The text is not JSON with comments (or nests too deep): `line` says where."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(f"line {line}: {reason}")
        self.reason = reason
        self.line = line


@dataclass
class Node:
    """A parsed value and its span `text[start:end]`; members/items for objects/arrays."""

    value: Any
    start: int
    end: int
    members: dict[str, Node] = field(default_factory=dict)  # objects: key -> value node
    items: list[Node] = field(default_factory=list)  # arrays


_WS = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str, trailing_commas: bool) -> None:
        self.text = text
        self.pos = 0
        self.trailing_commas = trailing_commas

    def fail(self, reason: str, pos: int | None = None) -> JsoncError:
        at = self.pos if pos is None else pos
        return JsoncError(reason, self.text.count("\n", 0, at) + 1)

    def skip(self) -> None:
        match = _WS.match(self.text, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()
        if self.text.startswith("/*", self.pos):
            raise self.fail("a comment that is never closed")

    def value(self, depth: int) -> Node:
        if depth > JSON_MAX_DEPTH:
            raise self.fail(f"nested deeper than {JSON_MAX_DEPTH} levels")
        self.skip()
        start = self.pos
        char = self.text[start : start + 1]
        if char == "{":
            return self.container(depth, start, "}")
        if char == "[":
            return self.container(depth, start, "]")
        if char == '"':
            match = _STRING.match(self.text, start)
            if match is None:
                raise self.fail("a string that is not closed or holds a control character")
            self.pos = match.end()
            return Node(json.loads(match.group()), start, self.pos)
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, start):
                self.pos = start + len(word)
                return Node(literal, start, self.pos)
        match = _NUMBER.match(self.text, start)
        if match is None or match.end() == start:
            raise self.fail("expected a value" if char else "the text ends early")
        self.pos = match.end()
        return Node(json.loads(match.group()), start, self.pos)

    def container(self, depth: int, start: int, close: str) -> Node:
        node = Node({} if close == "}" else [], start, start)
        self.pos += 1
        first = True
        while True:
            self.skip()
            if self.text.startswith(close, self.pos):
                break
            if not first:
                if not self.text.startswith(",", self.pos):
                    raise self.fail(f"expected ',' or '{close}'")
                self.pos += 1
                self.skip()
                if self.text.startswith(close, self.pos):
                    if self.trailing_commas:
                        break
                    raise self.fail(f"a comma before '{close}'")
            first = False
            if close == "}":
                if not self.text.startswith('"', self.pos):
                    raise self.fail("an object key must be a string")
                key_node = self.value(depth + 1)
                if not isinstance(key_node.value, str) or self.text[key_node.start] != '"':
                    raise self.fail("an object key must be a string", key_node.start)
                self.skip()
                if not self.text.startswith(":", self.pos):
                    raise self.fail("expected ':'")
                self.pos += 1
                child = self.value(depth + 1)
                node.value[key_node.value] = child.value
                node.members[key_node.value] = child  # the last duplicate wins, as JSON.parse
            else:
                child = self.value(depth + 1)
                node.value.append(child.value)
                node.items.append(child)
        self.pos += 1
        node.end = self.pos
        return node


def parse(text: str, *, trailing_commas: bool = False) -> Node:
    """The document's root node. `trailing_commas`: accepted where the client's own reader
    accepts them (jsonc-parser does, strip-json-comments + JSON.parse does not)."""
    parser = _Parser(text.removeprefix("\ufeff"), trailing_commas)
    offset = len(text) - len(parser.text)
    root = parser.value(0)
    parser.skip()
    if parser.pos != len(parser.text):
        raise parser.fail("text after the end of the document")
    if offset:
        _shift(root, offset)
    return root


def _shift(node: Node, offset: int) -> None:
    node.start += offset
    node.end += offset
    for child in [*node.members.values(), *node.items]:
        _shift(child, offset)


def loads(text: str, *, trailing_commas: bool = False) -> Any:
    """The document's value, comments ignored."""
    return parse(text, trailing_commas=trailing_commas).value


def _indent_unit(text: str) -> str:
    match = re.search(r"\n([ \t]+)\S", text)
    return match.group(1) if match else "  "


def _line_indent(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    match = re.match(r"[ \t]*", text[line_start:])
    return match.group() if match else ""


def _render(value: Any, text: str, base: str) -> str:
    """`value` as JSON in the file's indentation, continuation lines indented from `base`."""
    dumped = json.dumps(value, indent=len(_indent_unit(text).expandtabs(4)), ensure_ascii=False)
    return dumped.replace("\n", "\n" + base)


def _walk(root: Node, path: list[str | int]) -> Node:
    node = root
    for step in path:
        node = node.items[step] if isinstance(step, int) else node.members[step]
    return node


def replace_value(text: str, path: list[str | int], value: Any) -> str:
    """The text with the value at `path` (keys and array indexes) replaced."""
    node = _walk(parse(text, trailing_commas=True), path)
    base = _line_indent(text, node.start)
    return text[: node.start] + _render(value, text, base) + text[node.end :]


def _insert(text: str, container: Node, entry: str, close: str) -> str:
    """Add `entry` (a rendered member or item) as the last one of `container`."""
    children = list(container.members.values()) or container.items
    inner_start, inner_end = container.start + 1, container.end - 1
    base = _line_indent(text, container.start)
    if not children:
        if "\n" in text[container.start : container.end]:
            unit = _indent_unit(text)
            return text[:inner_end] + unit + entry + "\n" + base + text[inner_end:]
        return text[:inner_start] + entry + text[inner_end:]
    last = children[-1]
    tail = text[last.end : inner_end]
    comma = re.match(r"(?:\s|//[^\n]*|/\*.*?\*/)*,", tail, re.S)
    cut = last.end + (comma.end() if comma else 0)
    sep = "" if comma else ","
    if "\n" not in text[container.start : container.end]:
        return text[:cut] + sep + " " + entry + text[cut:]
    # After the rest of the last entry's line (a trailing comment stays with its entry).
    line_end = text.find("\n", cut, inner_end)
    member_indent = _line_indent(text, last.start)
    if line_end == -1 or text[cut:line_end].strip().startswith("/*"):
        return text[:cut] + sep + "\n" + member_indent + entry + text[cut:]
    return text[:cut] + sep + text[cut:line_end] + "\n" + member_indent + entry + text[line_end:]


def set_member(text: str, path: list[str], value: Any) -> str:
    """The text with the object member at `path` set to `value`: replaced where it exists,
    else added to the deepest object on the path that exists (the missing ones created)."""
    root = parse(text, trailing_commas=True)
    node, depth = root, 0
    while depth < len(path) and isinstance(node.value, dict) and path[depth] in node.members:
        node = node.members[path[depth]]
        depth += 1
    if depth == len(path):
        return replace_value(text, list(path), value)
    if not isinstance(node.value, dict):
        raise JsoncError(f"'{'.'.join(path[:depth])}' is not an object", 1)
    for key in reversed(path[depth + 1 :]):
        value = {key: value}
    member_base = _line_indent(text, node.start) + _indent_unit(text)
    entry = json.dumps(path[depth], ensure_ascii=False) + ": " + _render(value, text, member_base)
    return _insert(text, node, entry, "}")


def append_item(text: str, path: list[str | int], value: Any) -> str:
    """The text with `value` added as the last item of the array at `path`."""
    node = _walk(parse(text, trailing_commas=True), path)
    if not isinstance(node.value, list):
        raise JsoncError(f"'{'.'.join(map(str, path))}' is not an array", 1)
    base = _line_indent(text, node.items[-1].start if node.items else node.start)
    if not node.items:
        base += _indent_unit(text)
    return _insert(text, node, _render(value, text, base), "]")
