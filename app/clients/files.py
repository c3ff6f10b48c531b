"""Reading the files the clients read: bounded, never following a surprise, never raising.

Doctor reads files a user (or a tool, or a cloned repository) wrote: a 2 MiB settings file,
a FIFO named `.env` (opening it would block forever), a symlink into another tree, a file
root cannot read. Each becomes a `Problem` line, never an exception: the rest of the report
is still worth having (SECURITY.md T18). Files are opened read-only; nothing is changed.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from app.clients.found import Problem
from app.clients.paths import exists_for_client, shown_path
from app.core.text import inert

# Bigger than any settings or .env file a person writes; a bigger one is refused unread.
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Read:
    """One file looked at: its text, or the problem that kept it unread (or both None when
    there is nothing at that path, as the client would see it: no file, no finding)."""

    path: Path
    shown: str
    text: str | None = None
    problem: Problem | None = None
    note: str | None = None  # "symlink to …": read through the link, said aloud


def read_bounded(path: Path, home: Path) -> Read | None:
    """The file's text (UTF-8, undecodable bytes replaced, as Node reads it), or a problem.

    None when nothing is at `path`. A symlink is read through and named (`note`); a dangling
    one, a directory, a FIFO or a device is a problem, never opened; a file over
    MAX_FILE_BYTES is refused unread (its size is checked again while reading).
    """
    shown = shown_path(path, home)
    try:
        link = path.is_symlink()
    except (OSError, ValueError):
        return Read(path, shown, problem=Problem(shown, "unreadable"))
    note = None
    if link:
        try:
            target = shown_path(Path(os.path.realpath(path)), home)
        except (OSError, ValueError):
            target = "?"
        note = f"symlink to {target}"
        if not exists_for_client(path):
            loop = _is_loop(path)
            reason = "unreadable" if loop else "broken_link"
            return Read(path, shown, problem=Problem(shown, reason, detail=note), note=note)
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return Read(path, shown, problem=Problem(shown, "unreadable", _errno(exc)), note=note)
    if not stat.S_ISREG(info.st_mode):
        return Read(path, shown, problem=Problem(shown, "not_a_file"), note=note)
    if info.st_size > MAX_FILE_BYTES:
        size = f"{info.st_size // 1024} KiB"
        return Read(path, shown, problem=Problem(shown, "too_large", size), note=note)
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, open does not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return Read(path, shown, problem=Problem(shown, "not_a_file"), note=note)
            raw = f.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:
        return Read(path, shown, problem=Problem(shown, "unreadable", _errno(exc)), note=note)
    if len(raw) > MAX_FILE_BYTES:
        return Read(path, shown, problem=Problem(shown, "too_large"), note=note)
    return Read(path, shown, text=raw.decode("utf-8", errors="replace"), note=note)


def _is_loop(path: Path) -> bool:
    try:
        path.stat()
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _errno(exc: BaseException) -> str:
    """The OS reason without the path (the path is shown on its own)."""
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return inert(reason, 80)
