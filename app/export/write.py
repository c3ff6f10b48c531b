"""The write plan of an export: what writing a target over what is there will do, and the
one function that does it (the CLI and the wizard both write through `write_export`).

`write_action` is the decision (create, merge, replace our own file, refuse a foreign one);
`destination_action` asks it about a path as it is now, which is what the wizard's Export
step says under the destination before anything is written. Files go through
app.config.write.atomic_write, i.e. app.fs's one atomic, private writer.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.clients.variables import key_vars
from app.config.io import config_path as default_config_path
from app.config.key_scope import index_path
from app.config.schema import Profile
from app.config.write import WriteResult, atomic_write
from app.export import merge_settings
from app.export.formats import FORMATS, written_by_us
from app.export.merge import DotenvMerge, merge_dotenv
from app.export.rules import ExportError
from app.fs import link_out_of_folder

# What writing an export over a destination does:
#   create          nothing (or only blank text) is there: the export is written as it is
#   merge_settings  an agent's settings file (JSON, JSONC, TOML): merged in (merge_settings)
#   merge_dotenv    a .env: the export's variables are merged in, the user's lines stay
#   replace         a file this tool wrote (its header): replaced, no backup (it may hold a key)
#   foreign         a file this tool did not write: refused, unless the user forces it
#   not_a_file      a directory or other non-file: refused
WriteAction = Literal[
    "create", "merge_settings", "merge_dotenv", "replace", "foreign", "not_a_file"
]
_HEAD_BYTES = 4096


def write_action(fmt: str, existing: str | None) -> WriteAction:
    """What writing `fmt` over a file holding `existing` does (None: there is no file)."""
    if existing is None or not existing.strip():
        return "create"
    if FORMATS[fmt].kind in ("json", "toml"):
        return "merge_settings"
    if fmt == "dotenv":
        return "merge_dotenv"
    return "replace" if written_by_us(existing) else "foreign"


def destination_action(path: Path, fmt: str, *, force: bool = False) -> WriteAction:
    """`write_action` for the file at `path` as it is now; `force` turns foreign into replace.

    For a preview: reads only the head of the file (the header is in its first lines).
    Raises OSError / ValueError when the OS refuses the path itself (ENAMETOOLONG, NUL).
    """
    if not path.exists():
        return "create"
    if not path.is_file():
        return "not_a_file"
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        head = None
    action = write_action(fmt, head)
    return "replace" if action == "foreign" and force else action


@dataclass(frozen=True)
class ExportWritten:
    """What writing an export did: the file write, and whether it merged or forced."""

    result: WriteResult
    merged: bool = False
    dotenv: DotenvMerge | None = None
    forced: bool = False  # a file this tool did not write was replaced (--force)
    overridden: tuple[str, ...] = ()  # user settings replaced or removed (--force)


def _check_symlink(requested: Path, force: bool) -> None:
    """Refuse a link leading out of its own directory: a cloned repo's `.env -> ~/.bashrc`
    must not make an export overwrite the user's shell startup file (QA B37)."""
    target = None if force else link_out_of_folder(requested)
    if target is not None:
        raise ExportError("exporters.symlink_outside", path=str(requested), target=str(target))


def _check_tool_file(requested: Path, config_path: Path | None) -> None:
    """Refuse, even with --force, an output that is one of this tool's own files, resolved
    through symlinks: the config (other profiles would be lost), its backups, the keys
    directory (another profile's key file) or the keyring index."""
    real = Path(os.path.realpath(requested))
    config = Path(os.path.realpath(config_path or default_config_path()))
    keys = Path(os.path.realpath(config.parent / "keys"))
    which = None
    if real == config:
        which = "exporters.own_config"
    elif real.parent == config.parent and real.name.startswith(f"{config.name}.bak-"):
        which = "exporters.own_config_backup"
    elif real == keys or real.is_relative_to(keys):
        which = "exporters.own_keys"
    elif real == Path(os.path.realpath(index_path())):
        which = "exporters.own_index"
    if which is not None:
        raise ExportError(which, path=str(requested), target=str(real))


def _existing(target: Path) -> tuple[bytes | None, int | None]:
    """The bytes and mode of the file a write would replace; (None, None) when there is none
    (what is not a regular file is left for atomic_write to refuse)."""
    try:
        st = target.stat()
    except OSError:
        return None, None
    if not stat.S_ISREG(st.st_mode):
        return None, None
    try:
        return target.read_bytes(), stat.S_IMODE(st.st_mode)
    except OSError:
        return None, None


def write_export(
    path: Path | str,
    fmt: str,
    text: str,
    *,
    profile: Profile,
    include_key: bool,
    force: bool = False,
    config_path: Path | None = None,
) -> ExportWritten:
    """Write an export where the user asked, never destroying what this tool did not write.

    .env and settings.json are merged into an existing file; the other formats replace only
    a file carrying this tool's header, or any file with `force`. No backup is kept of
    those (an old version may hold the key); a settings.json whose user settings --force
    replaces (or which is replaced whole) is backed up first, 0600 (merge_settings.conflicts).
    Never into the config at `config_path` (default: the usual one), its backups, the
    keys directory or the keyring index (_check_tool_file). The CLI and the wizard both
    write through here.
    """
    requested = Path(path).expanduser().absolute()
    try:
        if "\x00" in str(requested):
            raise ValueError("embedded null byte")
        _check_tool_file(requested, config_path)
        _check_symlink(requested, force)
        target = Path(os.path.realpath(requested)) if requested.is_symlink() else requested
    except (OSError, ValueError) as exc:
        # ENAMETOOLONG, a NUL byte (QA B41 / B44): bad input, not a traceback.
        error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ExportError("exporters.bad_output", path=str(requested), error=error) from None
    data, old_mode = _existing(target)
    existing: str | None = None
    if data is not None:
        try:
            existing = data.decode("utf-8")
        except UnicodeDecodeError:
            if not force:
                raise ExportError("exporters.existing_not_text", path=str(requested)) from None
    secret = include_key
    merged, forced, dotenv_merge = False, False, None
    overridden: tuple[str, ...] = ()
    backup = False
    action = write_action(fmt, existing)
    private = old_mode is not None and not old_mode & 0o077
    if data is not None and existing is None:
        forced = True  # not text, and --force: replaced whole
    elif action == "merge_settings":
        assert existing is not None  # for mypy: write_action said a file holds text
        # Settings files hold the user's own token and helper: what a merge would change
        # of theirs is refused, or with --force changed after a 0600 backup (never
        # silently, never without a copy).
        try:
            overridden = merge_settings.conflicts(existing, text, fmt)
            if overridden and not force:
                raise ExportError(
                    "exporters.settings_conflict",
                    path=str(requested),
                    items=", ".join(overridden),
                )
            text = merge_settings.merge(existing, text, fmt)
            merged = True
            # Settings we merge into may hold other secrets: keep a private file private.
            secret = secret or private
        except ExportError as exc:
            if not force or exc.key == "exporters.settings_conflict":
                raise
            forced = True
        backup = forced or bool(overridden)
    elif action == "merge_dotenv":
        assert existing is not None  # for mypy: write_action said a file holds text
        dotenv_merge = merge_dotenv(existing, text, tuple(key_vars(profile)))
        text = dotenv_merge.text
        merged = True
        secret = secret or dotenv_merge.holds_key or private
    elif action == "foreign":
        if not force:
            raise ExportError("exporters.foreign_file", path=str(requested))
        forced = True
    if backup:
        # The backup holds what the old file held (maybe the user's token): 0600, and the
        # new file is private too.
        secret = True
    result = atomic_write(requested, text, secret=secret, backup=backup)
    return ExportWritten(
        result=result, merged=merged, dotenv=dotenv_merge, forced=forced, overridden=overridden
    )


def mark_onboarded(path: Path) -> WriteResult:
    """Set `hasCompletedOnboarding: true` in Claude Code's state file (`export
    --skip-onboarding`), so it does not open its login screen for a custom endpoint.

    The file holds much else of Claude Code's (projects, account): it is merged key by key,
    refused untouched when it is not a JSON object, and kept private (0600).
    """
    from app.export.merge_settings import load_json  # lazy: only with --skip-onboarding

    data, _mode = _existing(path)
    if data is None and path.exists():
        raise ExportError("exporters.bad_output", path=str(path), error="not a regular file")
    try:
        text = data.decode("utf-8") if data is not None else ""
    except UnicodeDecodeError:
        raise ExportError("exporters.existing_not_text", path=str(path)) from None
    current = load_json(text, comments=False)
    current["hasCompletedOnboarding"] = True
    import json  # lazy: as above

    return atomic_write(path, json.dumps(current, indent=2) + "\n", secret=True, backup=False)
