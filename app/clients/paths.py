"""Paths as the clients' readers name and test them, with nothing else loaded: `status` is a
hot path (<= 5 x `python -c pass`) and lists the client files that exist without reading
them, so these live apart from app.clients.files (which reads, and loads the finding types).
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.text import inert

_PATH_SHOWN_MAX = 300


def shown_path(path: Path, home: Path) -> str:
    """The path as a message shows it: HOME as `~`, control characters escaped."""
    text = str(path)
    home_text = str(home).rstrip(os.sep)
    if home_text and (text == home_text or text.startswith(home_text + os.sep)):
        text = "~" + text[len(home_text) :]
    return inert(text, _PATH_SHOWN_MAX)


def where(source: str, line: int | None) -> str:
    """`~/.bashrc:12`: a file position as editors and compilers print it."""
    return source if line is None else f"{source}:{line}"


def exists_for_client(path: Path) -> bool:
    """Node's `fs.existsSync` (Qwen Code's test for its .env candidates): true for any kind
    of file, a directory included; false for a dangling symlink."""
    try:
        path.stat()
    except (OSError, ValueError):
        return False
    return True


def expand(raw: str, home: Path, cwd: Path) -> Path:
    """A path from a variable (`CODEX_HOME`, `DASHSCOPE_API_KEY_FILE_PATH`): `~` is the
    given HOME (not this process's), a relative path is relative to the working directory."""
    if raw == "~" or raw.startswith("~/"):
        return home / raw[2:]
    path = Path(raw)
    return path if path.is_absolute() else cwd / path
