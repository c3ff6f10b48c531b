"""How to run this tool again, as the user can type it: one answer for every message.

Done screens, remedies, export headers and final lines all print commands. Printed as
`modelstudio-setup …` they fail for the most common first install, `uv run modelstudio-setup`
inside a clone: the name is on PATH only inside `uv run` (uv puts the project's venv first
on PATH for its child), not in the user's shell (QA: D26). So a command is spelt the way
that works from where the user stands now, and when the bare name does not resolve in their
shell they are told how to make it resolve (`uv tool install .`).

Files that other programs run later (Claude Code's apiKeyHelper, shell rc lines) keep the
bare name on purpose: an absolute path into a project's .venv breaks when the venv is
rebuilt and leaks a local path into committed settings; `install_hint()` says what to do.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from app.core.i18n import t

COMMAND = "modelstudio-setup"


def _user_path(env: Mapping[str, str]) -> str:
    """PATH as the user's shell has it: without the venv bin `uv run` put in front."""
    path = env.get("PATH", "")
    venv = env.get("VIRTUAL_ENV")
    if not (env.get("UV_RUN_RECURSION_DEPTH") and venv):
        return path
    venv_bin = os.path.normcase(os.path.abspath(os.path.join(venv, "bin")))
    parts = [p for p in path.split(os.pathsep) if os.path.normcase(os.path.abspath(p)) != venv_bin]
    return os.pathsep.join(parts)


def on_user_path(env: Mapping[str, str] | None = None) -> bool:
    """True when `modelstudio-setup` resolves in the user's own shell."""
    env = os.environ if env is None else env
    path = _user_path(env)
    if os.name == "nt":  # PATHEXT and the current folder: shutil.which knows Windows' rules
        import shutil  # lazy: it loads bz2, lzma and zlib (4 ms of `status`, a hot path)

        return shutil.which(COMMAND, path=path) is not None
    # POSIX: what shutil.which does there, an executable file in a PATH folder.
    for folder in path.split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, COMMAND)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return True
    return False


def under_uv_run(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get("UV_RUN_RECURSION_DEPTH") and env.get("VIRTUAL_ENV"))


def _project_root(env: Mapping[str, str]) -> Path | None:
    """The project `uv run` runs: the folder of its `.venv` (uv's default layout)."""
    venv = Path(env.get("VIRTUAL_ENV", ""))
    root = venv.parent
    if venv.name == ".venv" and (root / "pyproject.toml").is_file():
        return root
    return None


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


def prefix(env: Mapping[str, str] | None = None) -> list[str]:
    """The words that start this tool from the user's shell, here and now."""
    env = os.environ if env is None else env
    if on_user_path(env):
        return [COMMAND]
    if under_uv_run(env):
        root = _project_root(env)
        if root is not None and not _inside(Path.cwd(), root):
            # `uv run --project DIR` from elsewhere: a bare `uv run` here finds no project.
            return ["uv", "run", "--project", str(root), COMMAND]
        return ["uv", "run", COMMAND]
    return [str(Path(sys.executable)), "-m", "modelstudio_setup"]


def command(*args: str, env: Mapping[str, str] | None = None) -> str:
    """A whole command line, quoted for a POSIX shell, that works when pasted here."""
    return shlex.join([*prefix(env), *args])


def install_hint(env: Mapping[str, str] | None = None) -> str | None:
    """What to run so that the bare name works everywhere (None when it already does)."""
    env = os.environ if env is None else env
    if on_user_path(env):
        return None
    root = _project_root(env) if under_uv_run(env) else None
    if root is not None and not _inside(Path.cwd(), root):
        # `uv run --project DIR` from elsewhere: "from this folder" would be wrong here.
        folder = shlex.quote(str(root))
        return t("cli.install_hint_project", command=COMMAND, project=folder)
    return t("cli.install_hint", command=COMMAND)
