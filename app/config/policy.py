"""The team policy file: where it is, reading it safely, and the Policy it holds.

A team lead commits `modelstudio-policy.yaml` to a repository so that everyone who runs the
tool there gets a compliant setup: the residency, the regions, scopes, access domains and
plans allowed, the workspace, the models, the key store and the export targets. The file is
secret-free and written by someone else, so it is read like the config (SECURITY.md T3, T13,
T18): a size cap, safe YAML without aliases and with a depth limit, every value checked
against the catalog (app.config.policy_rules), nothing key-shaped anywhere. A policy can
only take choices away: it has no field that names a host, a URL, a proxy or a key, and a
file that tries to set one is refused, so it can never send the key anywhere the profile
would not.

Where: `--policy PATH`, else $MODELSTUDIO_SETUP_POLICY, else the first
`modelstudio-policy.yaml` from the current directory upwards, stopping at the repository
root (the nearest folder holding `.git`, searched itself) or, outside a repository, at the
filesystem root. A given path that does not exist is an error (a typo must not silently
mean "no policy"); a discovered file that cannot be used is an error too (exit 2), never a
reason to go on without it.
"""

from __future__ import annotations

import argparse
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from app.config.policy_types import (  # re-exported: the names the commands use
    MAX_POLICY_BYTES,
    PAY_AS_YOU_GO,
    POLICY_ENV,
    POLICY_FILE,
    POLICY_VERSION,
    RULES,
    Policy,
    PolicyError,
    Rule,
)
from app.core.catalog import Catalog, load_catalog
from app.core.errors import refuse_if_key

__all__ = [
    "MAX_POLICY_BYTES",
    "PAY_AS_YOU_GO",
    "POLICY_ENV",
    "POLICY_FILE",
    "POLICY_VERSION",
    "RULES",
    "Policy",
    "PolicyError",
    "Rule",
    "Search",
    "cli_policy",
    "find_policy",
    "load_policy",
    "read_policy",
]


@dataclass(frozen=True)
class Search:
    """Where the upward search looked: the file found (or None) and where it stopped."""

    found: Path | None
    stopped_at: Path
    stop: str  # "repository" | "filesystem"


def find_policy(start: Path) -> Search:
    """The first POLICY_FILE from `start` upwards, stopping at the repository root (the
    nearest folder holding `.git`, a folder or a worktree's file: it is searched too) or at
    the filesystem root. Paths are made absolute without following links, so a linked
    checkout is searched where the user stands, as git does."""
    folder = Path(os.path.abspath(start))
    while True:
        if os.path.lexists(folder / POLICY_FILE):
            root = _repo_at(folder)  # at or above: a `.git` below would have stopped us
            stopped = (root, "repository") if root else (Path(folder.anchor), "filesystem")
            return Search(folder / POLICY_FILE, *stopped)
        if os.path.lexists(folder / ".git"):
            return Search(None, folder, "repository")
        if folder.parent == folder:
            return Search(None, folder, "filesystem")
        folder = folder.parent


def _repo_at(folder: Path) -> Path | None:
    """The nearest folder at or above `folder` holding `.git`."""
    for above in (folder, *folder.parents):
        if os.path.lexists(above / ".git"):
            return above
    return None


def locate(explicit: str | os.PathLike[str] | None, cwd: Path | None = None) -> Search | Path:
    """`--policy PATH` > $MODELSTUDIO_SETUP_POLICY > the upward search from `cwd`. A given
    path is returned as a Path; the search's result as a Search."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    from_env = os.environ.get(POLICY_ENV, "")
    if from_env:
        refuse_if_key(from_env, POLICY_ENV, "profiles.env_value_looks_like_key")
        return Path(from_env).expanduser().absolute()
    return find_policy(cwd or Path.cwd())


def load_policy(
    explicit: str | os.PathLike[str] | None = None,
    cwd: Path | None = None,
    catalog: Catalog | None = None,
) -> Policy | None:
    """The policy in force here, validated; None when there is none. Raises PolicyError
    (exit 2) for a file that cannot be used, and for a given path that does not exist."""
    where = locate(explicit, cwd)
    if isinstance(where, Search):
        if where.found is None:
            return None
        path, found_by, searched_to = where.found, where.stop, where.stopped_at
    else:
        path = where
        found_by = "flag" if explicit else "environment"
        searched_to = None
        if not os.path.lexists(path):
            raise PolicyError(path, "<file>", "policy.reason_missing")
    policy = read_policy(path, catalog)
    return Policy(policy.path, policy.rules, policy.team, found_by, searched_to)


def cli_policy(args: argparse.Namespace, catalog: Catalog | None = None) -> Policy | None:
    """The policy for a parsed command line (`--policy` is a common option, SUPPRESS)."""
    return load_policy(getattr(args, "policy", None), catalog=catalog)


def read_policy(path: Path, catalog: Catalog | None = None) -> Policy:
    """Read and validate one policy file (app.config.policy_rules checks its content)."""
    from app.config.policy_parse import parse_policy  # the rules: only once a file exists

    data = _parse(_read_text(path), path)
    return parse_policy(data, path, catalog or load_catalog())


def _read_text(path: Path) -> str:
    """The file's text: a regular file (a FIFO or a device is never waited on: it is opened
    non-blocking and checked before reading), at most MAX_POLICY_BYTES, UTF-8, no NUL."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        key = "policy.reason_dangling" if os.path.islink(path) else "policy.reason_missing"
        raise PolicyError(path, "<file>", key) from None
    except OSError as exc:
        error = exc.strerror or type(exc).__name__
        raise PolicyError(path, "<file>", "policy.reason_os", error=error) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PolicyError(path, "<file>", "policy.reason_not_regular")
        if st.st_size > MAX_POLICY_BYTES:
            raise PolicyError(path, "<file>", "policy.reason_too_big", limit=MAX_POLICY_BYTES)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_POLICY_BYTES:  # the size may change after fstat: read bounded
            chunk = os.read(fd, MAX_POLICY_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        error = exc.strerror or type(exc).__name__
        raise PolicyError(path, "<file>", "policy.reason_os", error=error) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(path, "<file>", "policy.reason_too_big", limit=MAX_POLICY_BYTES)
    if b"\x00" in data:
        raise PolicyError(path, "<file>", "policy.reason_binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(path, "<file>", "policy.reason_binary") from None


# The config reader's YAML refusals, worded for a policy file.
_YAML_REASONS = {
    "profiles.reason_alias": "policy.reason_alias",
    "profiles.reason_too_deep": "policy.reason_too_deep",
    "profiles.reason_malformed": "policy.reason_malformed",
    # A merge-conflict leftover (`regions:` twice) must not let the last rule win unseen.
    "profiles.reason_duplicate_key": "policy.reason_duplicate_key",
}


def _parse(text: str, path: Path) -> object:
    """The config's YAML reader (plain subset first, else PyYAML's safe loader refusing
    aliases and nesting past its limit: a YAML bomb is refused, not expanded; and a key
    written twice in one mapping, which would otherwise let the last rule win unseen)."""
    from app.config.io import _parse_yaml  # the one hardened YAML reader of the config
    from app.config.schema import ConfigError

    try:
        return _parse_yaml(text, path)
    except ConfigError as exc:
        reason = _YAML_REASONS.get(exc.reason_key)
        if reason is None:
            raise PolicyError(path, exc.where, "policy.reason_malformed") from None
        raise PolicyError(path, exc.where, reason, **exc.reason_params) from None
    except RecursionError:  # belt and braces: the loader bounds the depth first
        raise PolicyError(path, "<file>", "policy.reason_too_deep") from None
