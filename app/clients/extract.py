"""One located file in, what it holds out: Items a client reads, key-shaped values stored in
plain text (`KeyHit`), and Problems; the environment's own variables as Items too.

This is the glue between the reader (app.clients.files), the parsers and the per-client
settings shapes (app.clients.extract_settings); it decides nothing about right or wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.clients import extract_settings as agents
from app.clients import extract_stores as stores
from app.clients.extract_settings import Settings
from app.clients.files import Read, read_bounded
from app.clients.found import ENVIRONMENT, Item, Problem
from app.clients.locate import Candidate
from app.clients.parsers import Leaf, ParseFailure, parse_dotenv, parse_json, parse_rc, parse_toml
from app.clients.table import FILES, VARIABLES, clients_of
from app.core.catalog import Catalog
from app.core.text import looks_like_key

_PROBLEMS_PER_FILE = 5  # parse errors named per file; more would only repeat the point
_KEYS_PER_FILE = 20  # plain-text keys named per file (a file of a thousand keys is one story)
_TOKEN_SPLIT = re.compile(r"[\s\"'`=:,;()<>\[\]{}@/?&#]+")


# Which reader knows each settings file's shape.
READERS = {
    "qwen-settings": agents.qwen_code,
    "qwen-settings-project": agents.qwen_code,
    "claude-local": agents.claude_code,
    "claude-project": agents.claude_code,
    "claude-user": agents.claude_code,
    "opencode-project": agents.opencode,
    "opencode-global": agents.opencode,
    "codex": agents.codex,
    "bailian": stores.bailian,
    "dashscope-config": stores.dashscope_config,
}


def key_token(value: object) -> str | None:
    """The key-shaped part of a value (`sk-…`, `sk-sp-…`, `st-…`, as app.core.text
    recognises them), e.g. inside `Bearer sk-…`; None when there is none."""
    if not isinstance(value, str) or len(value) < 11:
        return None
    for token in _TOKEN_SPLIT.split(value):
        if token[:3].lower() in ("sk-", "st-") and looks_like_key(token):
            return token
    return None


@dataclass(frozen=True)
class KeyHit:
    """A key-shaped value in a file, in plain text: where, and the value (never shown)."""

    source: str
    path: Path = field(repr=False)
    line: int | None
    name: str
    raw: str = field(repr=False)


@dataclass(frozen=True)
class FileRead:
    """A file that was there: its shown path, what it is, who reads it, and a note (a
    symlink's target)."""

    source: str
    spec: str
    clients: tuple[str, ...]
    used: bool  # it fills a precedence layer of some client now
    note: str | None = None


@dataclass
class Extracted:
    items: list[Item] = field(default_factory=list)
    hits: list[KeyHit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[FileRead] = field(default_factory=list)
    references: dict[str, set[str]] = field(default_factory=dict)  # client -> variables
    qwen_selects_provider: bool = False


def environment_items(env: Mapping[str, str], key_var: str) -> list[Item]:
    """The variables of the table (and the profile's key variable) set in `env`."""
    out = []
    for name, value in env.items():
        var = VARIABLES.get(name)
        if var is None and name != key_var:
            continue
        kind = var.kind if var is not None else "key"
        clients = var.clients if var is not None else ()
        out.append(
            Item(ENVIRONMENT, name, kind, clients, (ENVIRONMENT,), value,
                 expects=var.expects if var is not None else None, var=name)
        )  # fmt: skip
    return out


def read_candidate(
    cand: Candidate, home: Path, key_var: str, catalog: Catalog, into: Extracted
) -> None:
    """Read one file and add what it holds to `into`; a missing file adds nothing."""
    spec = FILES[cand.spec]
    read = read_bounded(cand.path, home)
    if read is None:
        return
    clients = _clients(cand)
    into.files.append(FileRead(read.shown, cand.spec, clients, bool(cand.layers), read.note))
    if read.problem is not None:
        into.problems.append(read.problem)
        return
    assert read.text is not None
    if spec.format in ("dotenv", "rc"):
        _lines_file(cand, read, key_var, clients, into)
    elif spec.format == "keyfile":
        _key_file(cand, read, into)
    else:
        _settings_file(cand, read, key_var, catalog, into)


def _clients(cand: Candidate) -> tuple[str, ...]:
    clients = list(FILES[cand.spec].clients)
    if "litellm-dotenv" in cand.layers:
        clients.append("litellm")
    return tuple(dict.fromkeys(clients))


def _lines_file(
    cand: Candidate, read: Read, key_var: str, clients: tuple[str, ...], into: Extracted
) -> None:
    """A `.env` or a shell start-up file: one Item per known variable, one KeyHit per
    key-shaped value, one Problem per unparseable (or multi-line) line."""
    assert read.text is not None
    rc = FILES[cand.spec].format == "rc"
    leaves, bad = parse_rc(read.text) if rc else parse_dotenv(read.text)
    reason = "multiline" if rc else "parse_error"
    for line in bad[:_PROBLEMS_PER_FILE]:
        into.problems.append(Problem(read.shown, reason, line=line))
    for leaf in leaves:
        name = str(leaf.keys[0])
        if not isinstance(leaf.value, str):
            continue
        _hit(read, leaf, name, into)
        var = VARIABLES.get(name)
        if var is None and name != key_var:
            continue
        kind = var.kind if var is not None else "key"
        into.items.append(
            Item(read.shown, name, kind, clients_of(name) if rc else clients, cand.layers,
                 leaf.value, line=leaf.line, expects=var.expects if var is not None else None,
                 var=name, path=cand.path, note=read.note, spec=cand.spec)
        )  # fmt: skip


def _key_file(cand: Candidate, read: Read, into: Extracted) -> None:
    """The DashScope SDK's key file: its whole text, stripped, is the key
    (dashscope/common/api_key.py get_default_api_key)."""
    assert read.text is not None
    value = read.text.strip()
    if not value:
        return
    into.items.append(
        Item(read.shown, "api_key", "key", FILES[cand.spec].clients, cand.layers, value,
             line=1, var="DASHSCOPE_API_KEY", path=cand.path, note=read.note, spec=cand.spec)
    )  # fmt: skip
    raw = value if looks_like_key(value) and " " not in value else key_token(value)
    if raw is not None:
        into.hits.append(KeyHit(read.shown, cand.path, 1, "api_key", raw))


def _settings_file(
    cand: Candidate, read: Read, key_var: str, catalog: Catalog, into: Extracted
) -> None:
    """A JSON(C) or TOML settings file, read by its client's shape (extract_settings)."""
    assert read.text is not None
    spec = FILES[cand.spec]
    try:
        if spec.format == "toml":
            doc, leaves = parse_toml(read.text)
        else:
            doc, leaves = parse_json(read.text, trailing_commas=cand.spec.startswith("opencode"))
    except ParseFailure as exc:
        into.problems.append(Problem(read.shown, exc.reason, exc.detail, exc.line))
        return
    for leaf in leaves:
        if isinstance(leaf.value, str):
            _hit(read, leaf, leaf.name, into)
    if not isinstance(doc, dict):
        into.problems.append(Problem(read.shown, "malformed", "not an object"))
        return
    settings = Settings(cand, read.shown, read.note, leaves, key_var, catalog)
    READERS[cand.spec](settings, doc)
    into.items += settings.items
    for client in spec.clients:
        into.references.setdefault(client, set()).update(settings.references)
    into.qwen_selects_provider |= settings.selects_provider
    known = {(h.source, h.line, h.name) for h in into.hits}
    for item in settings.items:  # a long token as a key is a key too, even without `sk-`
        literal = item.kind == "key" and looks_like_key(item.value)
        if literal and (item.source, item.line, item.name) not in known:
            into.hits.append(KeyHit(item.source, cand.path, item.line, item.name, item.value))


def _hit(read: Read, leaf: Leaf, name: str, into: Extracted) -> None:
    raw = key_token(leaf.value)
    if raw is None:
        return
    if sum(1 for h in into.hits if h.source == read.shown) < _KEYS_PER_FILE:
        into.hits.append(KeyHit(read.shown, read.path, leaf.line, name, raw))
