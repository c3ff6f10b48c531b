"""Where the clients look: the list of files to read, each with the precedence layers it fills.

The search orders are the clients' own (named per rule below), because "which .env wins" is
the question a user cannot answer by looking: Qwen Code stops at the FIRST `.qwen/.env` or
`.env` on the way up from the working directory, so a stale one two folders up shadows the
profile only when nothing nearer exists. Files on the way that a client does not pick are
still listed (layer-less): they are read for stale values and plain-text keys.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from app.clients.paths import exists_for_client, expand
from app.clients.table import RC_FILES
from app.core.record import Record


class Candidate(Record):
    """A file to read: its spec (app.clients.table.FILES), and the layers it fills."""

    spec: str
    path: Path
    layers: tuple[str, ...] = ()


def repo_root(cwd: Path, home: Path) -> Path | None:
    """The nearest folder at or above `cwd` holding `.git` (a folder, or a worktree's file);
    None when HOME or / comes first."""
    for folder in _upwards(cwd):
        if folder == home:
            return None
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def project_dirs(cwd: Path, home: Path) -> list[Path]:
    """The folders from `cwd` up to the repository root, or, outside a repository, up to
    HOME (excluded: its files are the user-level ones) or /."""
    root = repo_root(cwd, home)
    out = []
    for folder in _upwards(cwd):
        if folder == home:
            break
        out.append(folder)
        if folder == root:
            break
    return out


def _upwards(start: Path) -> Iterator[Path]:
    folder = Path(os.path.abspath(start))  # path.resolve() without following links, as Node
    while True:
        yield folder
        if folder.parent == folder:
            return
        folder = folder.parent


def qwen_dir(env: Mapping[str, str], home: Path, cwd: Path) -> Path:
    """Qwen Code's global folder: `$QWEN_HOME`, else ~/.qwen (Storage.getGlobalQwenDir)."""
    raw = env.get("QWEN_HOME")
    return expand(raw, home, cwd) if raw else home / ".qwen"


def qwen_env_file(env: Mapping[str, str], cwd: Path, home: Path) -> Path | None:
    """The one `.env` Qwen Code loads (packages/cli/src/config/settings.ts findEnvFile,
    checked 2026-12): from `cwd` up to /, in each folder `.qwen/.env` then `.env`; in HOME
    the user-level ones (`$QWEN_HOME/.env`, the legacy ~/.qwen/.env when QWEN_HOME moved
    it, ~/.env); if the walk never passed HOME, those last. The first that exists wins,
    whatever it is (a directory named `.env` wins too, and then loads nothing).

    Not modelled: an untrusted folder (folder trust enabled and this folder not trusted)
    limits Qwen Code to the user-level files.
    """
    own = qwen_dir(env, home, cwd)
    user_level = [own / ".env"]
    if own != home / ".qwen":
        user_level.append(home / ".qwen" / ".env")
    user_level.append(home / ".env")
    for folder in _upwards(cwd):
        if folder == home:
            return next((p for p in user_level if exists_for_client(p)), None)
        for candidate in (folder / ".qwen" / ".env", folder / ".env"):
            if exists_for_client(candidate):
                return candidate
    return next((p for p in user_level if exists_for_client(p)), None)


def litellm_env_file(cwd: Path) -> Path | None:
    """The `.env` LiteLLM loads at import (litellm/_process_defaults.py: `load_dotenv()`,
    python-dotenv's find_dotenv): the first regular file or FIFO named `.env` on the way up.
    find_dotenv starts from LiteLLM's own folder; for a virtualenv inside the project that
    walk reaches the project's folders, so it is approximated as starting at `cwd`."""
    for folder in _upwards(cwd):
        candidate = folder / ".env"
        if os.path.isfile(candidate) or _is_fifo(candidate):
            return candidate
    return None


def _is_fifo(path: Path) -> bool:
    try:
        return stat.S_ISFIFO(path.stat().st_mode)
    except OSError:
        return False


def candidates(env: Mapping[str, str], cwd: Path, home: Path) -> list[Candidate]:
    """Every file to read, in precedence order within each client (nearest first), once."""
    qwen_pick = qwen_env_file(env, cwd, home)
    litellm_pick = litellm_env_file(cwd)

    def dotenv_layers(path: Path) -> tuple[str, ...]:
        layers = []
        if path == qwen_pick:
            layers.append("qwen-dotenv")
        if path == litellm_pick:
            layers.append("litellm-dotenv")
        return tuple(layers)

    found: list[Candidate] = []
    dirs = project_dirs(cwd, home)
    for folder in dirs:
        for path in (folder / ".qwen" / ".env", folder / ".env"):
            found.append(Candidate("dotenv", path, dotenv_layers(path)))
    for pick in (qwen_pick, litellm_pick):  # a pick above the repository root is read too
        if pick is not None and pick.parent not in dirs and pick.parent.parent not in dirs:
            found.append(Candidate("dotenv", pick, dotenv_layers(pick)))
    own = qwen_dir(env, home, cwd)
    for path in dict.fromkeys((own / ".env", home / ".qwen" / ".env", home / ".env")):
        found.append(Candidate("dotenv-home", path, dotenv_layers(path)))

    found.append(Candidate("qwen-settings", own / "settings.json", ("qwen-settings",)))
    if Path(os.path.abspath(cwd)) != home:  # in HOME the workspace file IS the user file
        found.append(
            Candidate(
                "qwen-settings-project", cwd / ".qwen" / "settings.json", ("qwen-settings-project",)
            )
        )

    # Claude Code: the project's files in the working directory, the user's in
    # CLAUDE_CONFIG_DIR (docs "Environment variables"), default ~/.claude.
    claude_home = _dir_var(env, "CLAUDE_CONFIG_DIR", home / ".claude", home, cwd)
    found += [
        Candidate("claude-local", cwd / ".claude" / "settings.local.json", ("claude-local",)),
        Candidate("claude-project", cwd / ".claude" / "settings.json", ("claude-project",)),
        Candidate("claude-user", claude_home / "settings.json", ("claude-user",)),
    ]

    # opencode: `opencode.jsonc` / `opencode.json` from the working directory up to the
    # repository root (nearest wins), then the global folder (XDG_CONFIG_HOME) and
    # OPENCODE_CONFIG.
    for folder in dirs if repo_root(cwd, home) is not None else dirs[:1]:
        for name in ("opencode.jsonc", "opencode.json"):
            found.append(Candidate("opencode-project", folder / name, ("opencode-project",)))
    config_home = _dir_var(env, "XDG_CONFIG_HOME", home / ".config", home, cwd)
    for name in ("opencode.jsonc", "opencode.json", "config.json"):
        path = config_home / "opencode" / name
        found.append(Candidate("opencode-global", path, ("opencode-global",)))
    if env.get("OPENCODE_CONFIG"):
        path = expand(env["OPENCODE_CONFIG"], home, cwd)
        found.append(Candidate("opencode-global", path, ("opencode-global",)))

    codex_home = _dir_var(env, "CODEX_HOME", home / ".codex", home, cwd)
    found.append(Candidate("codex", codex_home / "config.toml", ("codex",)))
    bailian_home = _dir_var(env, "BAILIAN_CONFIG_DIR", home / ".bailian", home, cwd)
    found.append(Candidate("bailian", bailian_home / "config.json", ("bailian",)))
    key_file = _dir_var(
        env, "DASHSCOPE_API_KEY_FILE_PATH", home / ".dashscope" / "api_key", home, cwd
    )
    found.append(Candidate("dashscope-key", key_file, ("dashscope-key",)))
    ds_config = _dir_var(env, "DASHSCOPE_CONFIG", home / ".dashscope" / "config.toml", home, cwd)
    found.append(Candidate("dashscope-config", ds_config, ("dashscope-config",)))
    found += [Candidate("rc", home / name) for name in RC_FILES]
    return _merged(found)


def _dir_var(env: Mapping[str, str], name: str, default: Path, home: Path, cwd: Path) -> Path:
    raw = env.get(name)
    return expand(raw, home, cwd) if raw else default


def _merged(found: list[Candidate]) -> list[Candidate]:
    """One candidate per path (the same file may be reached twice, e.g. cwd == HOME), its
    layers joined; the first spec named for it is kept."""
    out: dict[Path, Candidate] = {}
    for cand in found:
        key = Path(os.path.abspath(cand.path))
        if key in out:
            old = out[key]
            layers = tuple(dict.fromkeys((*old.layers, *cand.layers)))
            out[key] = Candidate(old.spec, old.path, layers)
        else:
            out[key] = cand
    return list(out.values())
