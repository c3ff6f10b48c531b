"""Where other tools leave an API key in plain text, read and (on request) removed: the `bl`
CLI's config.json, the DashScope SDK's key file, a variable, a key file or a .env / shell file.
The file part of `key import` (app.commands.key_import): no keyring, no network, no printing.

Reads are bounded (T18): a size cap, no FIFO, device or socket (opened non-blocking: a FIFO
cannot hang the read), JSON nesting limited. A symbolic link is followed and said
(`Source.real`): the plain text is in the target, so a removal changes the target. Refusals
are `SourceError` (exit 2), whose parameters never hold the key (T8). The value must be the
key exactly as its reader sends it (quotes or a line break around it are refused, not
repaired); only a whole-file key is stripped, as the DashScope SDK strips it
(`f.read().strip()`, dashscope/common/api_key.py, SDK 2.0.2).

The bl CLI (github.com/modelstudioai/cli, packages/core/src/config/): `$BAILIAN_CONFIG_DIR/
config.json`, else `~/.bailian/config.json` (paths.ts @ 3c158ea1), written as
`JSON.stringify(data, null, 2) + "\n"`, mode 0600. Older releases: one flat object, the key
in `api_key` (loader.ts @ 03f0e7c5 and @ 1fd08fe1, auth/credentials.ts @ eb808485). Newer:
a member whose value is an object is a named config with its own `api_key`, top-level
`active_config` names the one in use ("default" or absent: the top level), and `bl auth
login` files an `sk-sp-` key under `token-plan` (schema.ts @ 02d859ee, auth/store.ts and
profile-presets.ts @ 02d4e973); selection is "--config NAME > active_config > default", a
dangling active_config an error (docs/agents/config-profile-change.md @ 17b13de1).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from app.core.errors import UserError
from app.core.json_limits import JSON_MAX_DEPTH, json_too_deep
from app.core.text import looks_like_key
from app.fs import fsync_dir, write_replace
from app.secrets.key import ApiKey, InvalidApiKey

BL_DIR_ENV = "BAILIAN_CONFIG_DIR"
DASHSCOPE_FILE_ENV = "DASHSCOPE_API_KEY_FILE_PATH"
DEFAULT_VAR = "DASHSCOPE_API_KEY"
NAMED_SOURCES = ("bl", "dashscope-file", "env")
MAX_BYTES = 256 * 1024  # far above any config or .env worth reading; a bigger file is not one
BL_CONFIG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # bl's own CONFIG_NAME_PATTERN
# A line that assigns a variable (sh, .env): such a file is read with python-dotenv.
_ASSIGNMENT = re.compile(r"^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*=", re.M)


class SourceError(UserError):
    """The key cannot be read from the source (exit 2); nothing was stored or changed."""

    single_line_params = True  # paths and names from the user's files: escaped, one line


class RemovalError(UserError):
    """The plain-text copy could not be removed; the original was left whole (exit 1)."""

    exit_code = 1
    single_line_params = True


@dataclass(frozen=True)
class Source:
    """Where a key is: `kind` bl | dashscope-file | env | file; `path` as named, `real` the
    file itself once read (symbolic links resolved); `var` the variable (env, a .env file);
    `config` the bl config (None: bl's active one, until read)."""

    kind: str
    path: Path | None = None
    real: Path | None = None
    var: str | None = None
    config: str | None = None

    @property
    def linked(self) -> bool:
        return self.real is not None and self.path is not None and self.real != self.path


@dataclass(frozen=True)
class Found:
    """The key read, its source, and the bytes of the file as read (a removal checks them)."""

    key: ApiKey
    source: Source
    data: bytes = b""

    @property
    def whole_file(self) -> bool:
        """The file is the key (removed as a whole), not a config or .env holding it."""
        return self.source.kind == "dashscope-file" or (
            self.source.kind == "file" and self.source.var is None
        )


def locate(
    spec: str, *, env_var: str | None, bl_config: str | None, environ: Mapping[str, str]
) -> Source:
    """The source `--from` names. Paths as the clients build them: bl joins its variable's
    directory and the SDK opens its variable's path as given (neither expands `~`)."""
    if spec == "bl":
        if bl_config is not None and not _bl_name(bl_config):
            raise SourceError("key_import.bad_bl_config", name=bl_config)
        base = environ.get(BL_DIR_ENV) or str(Path.home() / ".bailian")
        return Source("bl", path=Path(base, "config.json").absolute(), config=bl_config)
    if spec == "dashscope-file":
        named = environ.get(DASHSCOPE_FILE_ENV) or str(Path.home() / ".dashscope" / "api_key")
        return Source("dashscope-file", path=Path(named).absolute())
    if spec == "env":
        return Source("env", var=env_var or DEFAULT_VAR)
    if not spec.strip():
        raise SourceError("key_import.from_empty")
    return Source("file", path=Path(spec).expanduser().absolute(), var=env_var)


def read_key(source: Source, environ: Mapping[str, str]) -> Found:
    """The key of `source`, validated; SourceError for anything else."""
    if source.kind == "env":
        var = source.var or DEFAULT_VAR
        raw = environ.get(var)
        if not raw:
            raise SourceError("key_import.env_unset", var=var)
        return Found(_exact(raw, var), source)
    assert source.path is not None  # every other kind names a file
    real, data = read_bounded(source.path)
    source = replace(source, real=real)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("key_import.not_text", path=str(real)) from None
    if source.kind == "bl":
        raw, config = _bl_value(text, data, real, source.config)
        return Found(_exact(raw, f"{real} ({config})"), replace(source, config=config), data)
    if source.kind == "dashscope-file" or (source.var is None and not _ASSIGNMENT.search(text)):
        if not text.strip():
            raise SourceError("key_import.empty", path=str(real))
        return Found(_exact(text.strip(), str(real)), replace(source, var=None), data)
    var = source.var or DEFAULT_VAR
    value = _dotenv_value(text, var, real)
    return Found(_exact(value, f"{real} ({var})"), replace(source, var=var), data)


def read_bounded(path: Path) -> tuple[Path, bytes]:
    """(the file itself, its bytes): at most MAX_BYTES of a regular file, through a link."""
    try:
        st = os.lstat(path)
        real = Path(os.path.realpath(path)) if stat.S_ISLNK(st.st_mode) else path
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(real, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SourceError("key_import.no_file", path=str(path)) from None
    except OSError as exc:
        raise SourceError("key_import.unreadable", path=str(path), reason=_why(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise SourceError("key_import.is_directory", path=str(real))
        if not stat.S_ISREG(st.st_mode):
            raise SourceError("key_import.not_regular", path=str(real))
        if st.st_size > MAX_BYTES:
            raise SourceError("key_import.too_big", path=str(real), max=MAX_BYTES // 1024)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SourceError("key_import.unreadable", path=str(real), reason=_why(exc)) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:  # it grew while being read
        raise SourceError("key_import.too_big", path=str(real), max=MAX_BYTES // 1024)
    return real, b"".join(chunks)


def _exact(raw: str, where: str) -> ApiKey:
    """The key `raw` is, or a refusal naming `where` (never the value)."""
    try:
        key = ApiKey(raw)
    except InvalidApiKey as exc:
        raise SourceError("key_import.key_invalid", where=where, why=exc.message) from None
    if key.reveal() != raw:  # ApiKey took off whitespace or quotes the client would send
        raise SourceError("key_import.key_not_exact", where=where)
    return key


class _Duplicate(ValueError):
    """A member named twice (JSON.parse keeps the last, a removal could keep the other)."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise _Duplicate(name)
        out[name] = value
    return out


def _bl_name(name: object) -> bool:
    return isinstance(name, str) and (name == "default" or bool(BL_CONFIG_NAME.fullmatch(name)))


def _bl_block(doc: dict[str, Any], config: str) -> dict[str, Any] | None:
    block = doc if config == "default" else doc.get(config)
    return block if isinstance(block, dict) else None


def _bl_value(text: str, data: bytes, path: Path, wanted: str | None) -> tuple[str, str]:
    """(the api_key of the config bl would use, or of `wanted`; that config's name)."""
    if json_too_deep(data):
        raise SourceError("key_import.bl_too_deep", path=str(path), max=JSON_MAX_DEPTH)
    try:
        doc = json.loads(text, object_pairs_hook=_unique)
    except _Duplicate as exc:
        raise SourceError("key_import.bl_duplicate", path=str(path), name=str(exc)) from None
    except json.JSONDecodeError as exc:
        raise SourceError("key_import.bl_not_json", path=str(path), line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise SourceError("key_import.bl_not_object", path=str(path))
    active = doc.get("active_config")
    config = wanted if wanted is not None else active if active not in (None, "") else "default"
    if not _bl_name(config):
        raise SourceError("key_import.bl_bad_active", path=str(path), name=str(config))
    block = _bl_block(doc, config)
    if block is None:
        key = "key_import.bl_no_config" if wanted is not None else "key_import.bl_bad_active"
        raise SourceError(key, path=str(path), name=config)
    value = block.get("api_key")
    if isinstance(value, str) and value:
        return value, config
    if value not in (None, ""):
        raise SourceError("key_import.bl_key_not_text", path=str(path), config=config)
    names = ["default", *(n for n in doc if isinstance(doc[n], dict) and n != "default")]
    others = [n for n in names if (b := _bl_block(doc, n)) and b.get("api_key") and n != config]
    if others:
        raise SourceError(
            "key_import.bl_no_key_here", path=str(path), config=config, others=", ".join(others)
        )
    raise SourceError("key_import.bl_no_key", path=str(path), config=config)


def _bindings(text: str) -> list[Any]:
    # lazy: python-dotenv's parser, only for a .env / shell file
    from dotenv.parser import parse_stream

    return list(parse_stream(io.StringIO(text)))


def _dotenv_value(text: str, var: str, path: Path) -> str:
    """`var` as python-dotenv reads it (the last assignment wins), not interpolated."""
    found = [b for b in _bindings(text) if b.key == var and not b.error]
    if not found:
        raise SourceError("key_import.var_not_in_file", path=str(path), var=var)
    value = found[-1].value
    if not value:
        raise SourceError("key_import.var_empty", path=str(path), var=var)
    if "$" in value:
        raise SourceError("key_import.var_refers", path=str(path), var=var)
    return str(value)


def without_key(found: Found) -> bytes | None:
    """The file's new content without the key; None when the file is the key."""
    if found.whole_file:
        return None
    text = found.data.decode("utf-8")
    if found.source.kind == "bl":
        doc = json.loads(text)
        block = _bl_block(doc, found.source.config or "default")
        assert block is not None  # read_key found the key there
        del block["api_key"]
        # bl writes JSON.stringify(data, null, 2): the same indentation (the file's own,
        # if another), a one-line file stays one line, the final newline as it was.
        match = re.search(r"\n([ \t]+)\S", text)
        indent = match.group(1) if match else None
        separators = (",", ": ") if indent else (",", ":")
        out = json.dumps(doc, indent=indent, ensure_ascii=False, separators=separators)
        return (out + ("\n" if text.endswith("\n") else "")).encode("utf-8")
    kept = []
    for binding in _bindings(text):
        original = binding.original.string
        if binding.key == found.source.var and not binding.error:
            # python-dotenv counts the blank lines before an assignment as its own: kept.
            lead = original[: len(original) - len(original.lstrip())]
            original = lead[: lead.rfind("\n") + 1]
        kept.append(original)
    return "".join(kept).encode("utf-8")


def remove_plaintext(found: Found, backup_dir: Path, now: datetime | None = None) -> Path:
    """Remove the key from its file, after a 0600 backup in `backup_dir`; the backup's path.

    The file must still be as it was read; the change is one atomic step (an unlink, or a
    replace keeping the file's mode), so any failure leaves the original whole (T19)."""
    real = found.source.real
    assert real is not None  # only a file can be changed
    if read_bounded(real)[1] != found.data:
        raise RemovalError("key_import.changed_since", path=str(real))
    new = without_key(found)
    backup = write_backup(real, found.data, backup_dir, now or datetime.now())
    try:
        if new is None:
            os.unlink(real)
            fsync_dir(real.parent)
        else:
            write_replace(real.parent, real, new, stat.S_IMODE(os.stat(real).st_mode))
    except OSError as exc:
        raise RemovalError(
            "key_import.remove_failed", path=str(real), reason=_why(exc), backup=str(backup)
        ) from None
    return backup


def write_backup(real: Path, data: bytes, folder: Path, now: datetime) -> Path:
    """`<name>.bak-YYYYMMDDTHHMMSS` (a suffix when taken), created 0600, never replacing
    anything; the name comes from the file, never from its content."""
    name = real.name if not looks_like_key(real.name) else "key"
    stamp = now.strftime("%Y%m%dT%H%M%S")
    try:
        for n in range(100):
            path = folder / f"{name}.bak-{stamp}{f'-{n}' if n else ''}"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(path)  # no half backup left
                raise
            return path
        raise FileExistsError(17, "100 backups of this second exist")
    except OSError as exc:
        raise RemovalError(
            "key_import.backup_failed", path=str(real), folder=str(folder), reason=_why(exc)
        ) from None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
