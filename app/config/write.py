"""Locked, atomic, private writes of the config and of exports, with backups.

Writes must never leave a torn, lost or world-readable file behind (SECURITY.md T11, T12):
the bytes go through app.fs.write_replace (temp file, fsync, os.replace), under a lock so
two runs cannot interleave a read-modify-write, with symlinks followed only aloud.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from app.config.schema import BACKUPS_KEPT, ConfigWriteError
from app.core.errors import Notice
from app.core.record import Record
from app.fs import write_replace

if TYPE_CHECKING:
    import datetime as _dt

_LOCK_TIMEOUT_S = 30.0


class WriteResult(Record):
    """What a write did, so the CLI and the wizard can tell the user."""

    path: Path  # the file actually written (a symlink's target)
    requested: Path
    mode: int
    backup: Path | None = None
    notices: tuple[Notice, ...] = ()
    replaced: bool = False  # an existing file was overwritten

    @property
    def via_symlink(self) -> bool:
        return self.path != self.requested


def resolve_target(path: Path) -> tuple[Path, tuple[Notice, ...]]:
    """Where a write to `path` really lands: symlinks are followed, never silently."""
    path = Path(path).expanduser().absolute()
    try:
        if "\x00" in str(path):
            raise ValueError("embedded null byte")
        linked = path.is_symlink()
    except (OSError, ValueError) as exc:
        # ENAMETOOLONG, a NUL byte, ...: bad input, not a crash (QA B44 / B41).
        error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigWriteError("profiles.file_not_writable", path=str(path), error=error) from None
    if not linked:
        return path, ()
    try:
        target = path.resolve(strict=False)
    except (OSError, RuntimeError):
        raise ConfigWriteError("profiles.symlink_loop", path=str(path)) from None
    if target.exists() and not target.is_file():
        raise ConfigWriteError("profiles.symlink_not_file", path=str(path), target=str(target))
    return target, (Notice("profiles.symlink_followed", path=str(path), target=str(target)),)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `<path>.lock`, so two runs cannot interleave read-modify-write.

    The lock file is opened without following a symlink: a planted `config.yaml.lock ->
    ~/.bashrc` must not make the tool create or open files elsewhere (E28).
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        if os.path.islink(lock_path):
            raise ConfigWriteError("profiles.lock_is_symlink", path=str(lock_path)) from None
        raise ConfigWriteError(
            "profiles.dir_not_writable", dir=str(path.parent), error=exc.strerror or str(exc)
        ) from None
    with _holding(fd):
        yield


@contextlib.contextmanager
def dir_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on the directory itself, for writes outside the config dir.

    Exports land in the user's project: a `<file>.lock` beside them would show up in
    `git status` and get committed, so they lock the directory's own inode instead (POSIX
    flock on a directory fd); where that is not possible the write is still atomic.
    """
    try:
        import fcntl  # noqa: F401  # per platform: POSIX only
    except ImportError:
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield
        return
    with _holding(fd):
        yield


@contextlib.contextmanager
def _holding(fd: int) -> Iterator[None]:
    """Hold the lock on an open descriptor for the block; release and close it after."""
    try:
        _lock_fd(fd)
        yield
    finally:
        _unlock_fd(fd)
        os.close(fd)


def _lock_fd(fd: int) -> None:
    """Wait for the lock, but not forever: a run stuck elsewhere must not hang this one."""
    try:
        import fcntl  # per platform: POSIX
    except ImportError:  # Windows: msvcrt locks one byte (LK_NBLCK fails at once if taken)
        import msvcrt  # per platform: Windows

        def attempt() -> None:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    else:

        def attempt() -> None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    deadline = time.monotonic() + _LOCK_TIMEOUT_S
    while True:
        try:
            attempt()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise ConfigWriteError("profiles.lock_timeout") from None
            time.sleep(0.02)


def _unlock_fd(fd: int) -> None:
    try:
        import fcntl  # per platform: POSIX
    except ImportError:
        import msvcrt  # Windows

        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _backup(target: Path, now: _dt.datetime) -> Path:
    """Copy the current file to a 0600 timestamped sibling; keep the newest BACKUPS_KEPT."""
    stamp = now.strftime("%Y%m%dT%H%M%S")
    candidate = target.with_name(f"{target.name}.bak-{stamp}")
    n = 1
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.bak-{stamp}-{n}")
        n += 1
    data = target.read_bytes()
    _write_new(candidate.parent, candidate, data, 0o600)
    import glob  # lazy: only a backup needs it, and `env` / `key get` never write

    backups = sorted(
        target.parent.glob(f"{glob.escape(target.name)}.bak-*"),
        key=lambda p: p.stat().st_mtime_ns,
    )
    for old in backups[:-BACKUPS_KEPT]:
        with contextlib.suppress(OSError):
            old.unlink()
    return candidate


def _write_new(directory: Path, final: Path, data: bytes, mode: int) -> None:
    """The one writer (app.fs): a private, git-ignored temp file, fsync, os.replace,
    fsync the dir; removed on SIGTERM/SIGHUP, swept after a SIGKILL (A4)."""
    write_replace(directory, final, data, mode)


def _public_mode() -> int:
    """0666 minus the umask, and never group/other writable (at most 0644).

    A key-less export still carries the base URLs: whoever can rewrite them receives the
    key on the next request (the T3 threat, moved from the config to the export).
    """
    mask = os.umask(0o077)
    os.umask(mask)
    return 0o666 & ~mask & ~0o022


def _write_error(target: Path, exc: OSError, is_config: bool) -> ConfigWriteError:
    error = exc.strerror or str(exc)
    if is_config:
        return ConfigWriteError("profiles.dir_not_writable", dir=str(target.parent), error=error)
    return ConfigWriteError("profiles.file_not_writable", path=str(target), error=error)


def _ensure_parent(target: Path, is_config: bool, secret: bool) -> tuple[Notice, ...]:
    """The config dir is created as needed; elsewhere at most ONE missing level, said aloud.

    A typo in `--output a/typo/deep/.env` must not silently grow a directory tree; one level
    covers the tool directories (`.claude/`, `.qwen/`) of a project.
    """
    parent = target.parent
    if parent.is_dir():
        return ()
    try:
        if is_config:
            parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            return ()
        if not parent.parent.is_dir():
            missing = parent
            while not missing.parent.is_dir() and missing.parent != missing:
                missing = missing.parent
            if missing.exists():  # a file where a directory should be
                raise NotADirectoryError(20, os.strerror(20), str(missing))
            raise ConfigWriteError("profiles.no_such_dir", dir=str(missing), path=str(target))
        parent.mkdir(mode=0o700 if secret else 0o755)
    except OSError as exc:
        raise _write_error(target, exc, is_config) from None
    return (Notice("profiles.dir_created", dir=str(parent)),)


def atomic_write(
    path: Path | str,
    data: str | bytes,
    *,
    secret: bool = True,
    backup: bool = False,
    locked: bool = False,
    is_config: bool = False,
    now: _dt.datetime | None = None,
) -> WriteResult:
    """Replace `path` atomically; 0600 when `secret` (always for the config).

    Backups are opt-in (the config asks for them; they stay in the config dir): an export's
    old version may hold the key, and a `.env.bak-…` beside `.env` is not covered by a
    `.gitignore` entry for `.env` (QA B16). `locked=True` means the caller already holds
    file_lock(path's target); otherwise the directory is locked (no `.lock` file is left).
    """
    requested = Path(path).expanduser().absolute()
    target, notices_t = resolve_target(requested)
    notices = list(notices_t)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if now is None:
        import datetime  # lazy: only a write needs the clock; `env` and `key get` only read

        now = datetime.datetime.now(datetime.timezone.utc)
    notices.extend(_ensure_parent(target, is_config, secret))
    ctx = contextlib.nullcontext() if locked else dir_lock(target.parent)
    with ctx:
        backup_path: Path | None = None
        old_mode: int | None = None
        try:
            st = target.stat()
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise _write_error(target, exc, is_config) from None
        if st is not None:
            if not stat.S_ISREG(st.st_mode):
                raise ConfigWriteError(
                    "profiles.symlink_not_file", path=str(requested), target=str(target)
                )
            old_mode = stat.S_IMODE(st.st_mode)
        mode = 0o600 if secret else _public_mode()
        try:
            if st is not None and backup:
                backup_path = _backup(target, now)
            _write_new(target.parent, target, payload, mode)
            final_mode = stat.S_IMODE(target.stat().st_mode)
            if secret and final_mode & 0o077:
                os.chmod(target, 0o600)
                final_mode = stat.S_IMODE(target.stat().st_mode)
        except OSError as exc:
            raise _write_error(target, exc, is_config) from None
        if secret and final_mode & 0o077:
            notices.append(
                Notice("profiles.mode_still_loose", path=str(target), mode=f"{final_mode:04o}")
            )
        if secret and old_mode is not None and old_mode & 0o077:
            notices.append(Notice("profiles.was_looser", path=str(target), mode=f"{old_mode:04o}"))
    return WriteResult(
        path=target,
        requested=requested,
        mode=final_mode,
        backup=backup_path,
        notices=tuple(notices),
        replaced=st is not None,
    )
