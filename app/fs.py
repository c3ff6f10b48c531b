"""The one low-level writer: temp file, fsync, os.replace, fsync the folder (T12), for the
config, key files and exports alike (app.config.write.atomic_write,
app.secrets.stores.FileStore, app.export); `create_private` for the write-once files.

A temp file holds the whole new content, which may be the key (A4). So:

- it lives in a private folder beside the target, `.modelstudio-setup.tmp/` (0700), whose
  own `.gitignore` ignores everything in it, the `.gitignore` included: a temp file left
  by a kill can never be picked up by `git add .` (a project's `.gitignore` for `.env`
  does not match `..env.x1y2.tmp`, the old name);
- SIGTERM and SIGHUP during the write remove it before the process dies of the signal (when
  the signal would have killed the process anyway, i.e. it had the default handler);
  Ctrl+C (KeyboardInterrupt) removes it too;
- SIGKILL cannot be caught: the next write of the same file sweeps what is left. Every
  writer holds an flock on its temp file, so a file whose lock can be taken belongs to a
  process that is gone. Temp files of the earlier naming (`.NAME.xxxx.tmp` beside the
  target) are swept when they are more than a minute old. The folder is removed again
  when nothing is left in it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # signal only for this alias: `env` / `key get` read keys, never write
    import signal

    # What signal.signal() takes and returns (typeshed's alias for it is private).
    _Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

TMP_DIR = ".modelstudio-setup.tmp"
_IGNORE_ALL = "# Temporary files of modelstudio-setup (may hold an API key): never commit.\n*\n"
_LEGACY_MIN_AGE_S = 60.0
_CAUGHT_NAMES = ("SIGTERM", "SIGHUP")  # the ones that exist here, see _cleanup_on_signals


class _Signalled(BaseException):
    """A terminating signal arrived mid-write; raised so the cleanup runs, then re-sent."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def write_replace(
    directory: Path, final: Path, data: bytes, mode: int, *, legacy_prefixes: tuple[str, ...] = ()
) -> None:
    """Write `data` to `final` (in `directory`) atomically with `mode`; see the module doc.

    `legacy_prefixes`: name prefixes (beside the target) of temp files an earlier version
    used for this target, swept when stale.
    """
    tmp_dir = directory / TMP_DIR
    sweep(directory, final.name, legacy_prefixes)
    fd, tmp = _mkstemp(tmp_dir, final.name)
    try:
        with _cleanup_on_signals():
            _flock(fd)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                if mode != 0o600:
                    os.chmod(tmp, mode)
                if os.name == "posix":  # still holding the flock: no sweeper takes it
                    os.replace(tmp, final)
            if os.name != "posix":  # Windows cannot rename an open file
                os.replace(tmp, final)
    except _Signalled as exc:
        import signal  # lazy: only a write needs it, and `env` / `key get` never write

        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_if_empty(tmp_dir)
        signal.signal(exc.signum, signal.SIG_DFL)
        os.kill(os.getpid(), exc.signum)  # die of the signal, as without us
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_if_empty(tmp_dir)
        raise
    fsync_dir(directory)
    _remove_if_empty(tmp_dir)


def _mkstemp(tmp_dir: Path, name: str) -> tuple[int, str]:
    import tempfile  # here: `env` / `key get` read keys through this module and never write

    for _ in range(3):  # another writer may remove the emptied folder in between
        _ensure_tmp_dir(tmp_dir)
        try:
            return tempfile.mkstemp(prefix=f"{name}.", suffix=".tmp", dir=tmp_dir)
        except FileNotFoundError:
            continue
    return tempfile.mkstemp(prefix=f"{name}.", suffix=".tmp", dir=tmp_dir)


def _ensure_tmp_dir(tmp_dir: Path) -> None:
    with contextlib.suppress(FileExistsError):
        os.mkdir(tmp_dir, 0o700)
    if tmp_dir.is_symlink() or not tmp_dir.is_dir():
        raise NotADirectoryError(20, "not a private directory", str(tmp_dir))
    ignore = tmp_dir / ".gitignore"
    if not ignore.exists():
        create_private(ignore, _IGNORE_ALL)


def create_private(path: Path, text: str) -> bool:
    """Create `path` (0600) holding `text`, only if nothing is there; False when something was.

    For small files written once and never replaced (a `.gitignore` beside keys or temp
    files): O_EXCL, so a file (or a link) already there is left alone, never followed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return True


def _remove_if_empty(tmp_dir: Path) -> None:
    """Take the folder away when only its .gitignore is left (put it back on a race)."""
    try:
        if {p.name for p in tmp_dir.iterdir()} - {".gitignore"}:
            return
        (tmp_dir / ".gitignore").unlink()
    except OSError:
        return
    try:
        tmp_dir.rmdir()
    except OSError:  # a writer arrived meanwhile: its temp file must stay ignored
        with contextlib.suppress(OSError):
            _ensure_tmp_dir(tmp_dir)


def sweep(directory: Path, name: str, legacy_prefixes: tuple[str, ...] = ()) -> list[Path]:
    """Remove temp files of `name` left by writers that are gone; the paths removed."""
    removed: list[Path] = []
    tmp_dir = directory / TMP_DIR
    with contextlib.suppress(OSError):
        for path in tmp_dir.glob(f"{_glob_escape(name)}.*.tmp"):
            if _owner_gone(path):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    now = time.time()
    for prefix in (f".{name}.", *legacy_prefixes):
        with contextlib.suppress(OSError):
            for path in directory.glob(f"{_glob_escape(prefix)}*.tmp"):
                st = path.lstat()
                if (
                    path.is_file()
                    and not path.is_symlink()
                    and now - st.st_mtime > _LEGACY_MIN_AGE_S
                ):
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed.append(path)
    if removed:
        _remove_if_empty(tmp_dir)
    return removed


def _owner_gone(path: Path) -> bool:
    try:
        import fcntl  # lazy: fcntl does not exist on Windows
    except ImportError:  # no flock: only what is clearly old
        try:
            return time.time() - path.stat().st_mtime > 3600
        except OSError:
            return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a live writer holds it
    finally:
        os.close(fd)
    return True


def _flock(fd: int) -> None:
    with contextlib.suppress(ImportError, OSError):
        import fcntl  # lazy: fcntl does not exist on Windows

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """SIGTERM/SIGHUP with the default (fatal) handler raise _Signalled here instead."""
    # lazy: only a write needs these, and `env` / `key get` never write
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, _Handler] = {}

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise _Signalled(signum)

    try:
        for sig in (getattr(signal, n) for n in _CAUGHT_NAMES if hasattr(signal, n)):
            if signal.getsignal(sig) is signal.SIG_DFL:
                previous[sig] = signal.signal(sig, handler)
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(Exception):
                signal.signal(sig, old)


def link_out_of_folder(requested: Path) -> Path | None:
    """Where `requested` leads when it is a symbolic link out of its own folder (else None):
    the one test behind refusing `.env -> ~/.bashrc` exports and `--config` links (T12)."""
    if not requested.is_symlink():
        return None
    target = Path(os.path.realpath(requested))
    base = Path(os.path.realpath(requested.parent))
    return None if target.is_relative_to(base) else target


def fsync_dir(folder: Path) -> None:
    """Make a rename durable; some platforms cannot open directories, which is fine there."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _glob_escape(name: str) -> str:
    import glob  # lazy: only the sweep of a write needs it, `env` / `key get` never write

    return glob.escape(name)
