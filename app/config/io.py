"""The config file on disk: where it lives, reading it (plain YAML first, PyYAML with alias
and depth refusals otherwise), and the one read-modify-write under a lock (app.config.write).

Every load re-validates every field (app.config.parse), so a file someone else wrote
cannot redirect the key (SECURITY.md T3).
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config.parse import parse_config
from app.config.schema import (
    APP_NAME,
    CONFIG_ENV,
    CONFIG_FILE,
    MAX_CONFIG_BYTES,
    MAX_YAML_DEPTH,
    READ_VERSIONS,
    SCHEMA_VERSION,
    VERDICTS,
    Config,
    ConfigError,
    ConfigWriteError,
    MalformedYaml,
    Verification,
)
from app.config.write import WriteResult, atomic_write, file_lock, resolve_target
from app.core import plain_yaml
from app.core.catalog import Catalog
from app.core.errors import Notice, UserError, refuse_if_key
from app.core.i18n import t
from app.core.names import safe_repr
from app.core.record import replace
from app.fs import link_out_of_folder

if TYPE_CHECKING:
    import datetime as _dt

# ---------------------------------------------------------------------------------------------
# Where the file lives
# ---------------------------------------------------------------------------------------------


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--config PATH` > $MODELSTUDIO_SETUP_CONFIG > the per-user config dir."""
    # Absolute, so the key file directory and `key get --config` references do not depend
    # on the directory a later command happens to run in.
    if explicit:
        return Path(explicit).expanduser().absolute()
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        refuse_if_key(from_env, CONFIG_ENV, "profiles.env_value_looks_like_key")
        return Path(from_env).expanduser().absolute()
    return user_dir("config") / CONFIG_FILE


def is_default_location(path: Path) -> bool:
    """True when `path` is where the tool looks without --config or the env variable."""
    return Path(path) == user_dir("config") / CONFIG_FILE


# platformdirs' XDG variable and default of each per-user folder of the tool.
_XDG = {"config": ("XDG_CONFIG_HOME", "~/.config"), "state": ("XDG_STATE_HOME", "~/.local/state")}


def user_dir(kind: str) -> Path:
    """The tool's per-user `config` or `state` folder: platformdirs' user_config_path /
    user_state_path of APP_NAME.

    On Linux and the other XDG systems (not Windows, macOS or Android) it is computed here
    as platformdirs computes it: `$XDG_CONFIG_HOME` (`$XDG_STATE_HOME`) when that is an
    absolute path, else `~/.config` (`~/.local/state`) under an absolute `$HOME`. Importing
    platformdirs costs about 4 ms, a tenth of what `env` and `key get` may take in all.
    Anything unusual (a relative or blank variable, a relative or missing `$HOME`) and the
    other systems are left to platformdirs, so its answer applies there as before.
    """
    var, default = _XDG[kind]
    if _plain_xdg_system():
        xdg = os.environ.get(var, "")
        if os.path.isabs(xdg):
            return Path(os.path.join(xdg, APP_NAME))
        if not xdg and os.path.isabs(os.environ.get("HOME", "")):
            return Path(os.path.join(os.path.expanduser(default), APP_NAME))
    import platformdirs  # lazy: only where the rule above does not decide (see the docstring)

    if kind == "config":
        return platformdirs.user_config_path(APP_NAME)
    return platformdirs.user_state_path(APP_NAME)


def _plain_xdg_system() -> bool:
    """Where platformdirs uses its XDG (Unix) rules: not Windows, macOS or an Android app."""
    if sys.platform in ("win32", "darwin") or hasattr(sys, "getandroidapilevel"):
        return False
    android = os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT")
    return android != "/system"


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist; refuses what is not a regular file."""
    try:
        st = path.stat()  # follows a symlink: a symlinked dotfile is fine to read
    except FileNotFoundError:
        if path.is_symlink():
            raise ConfigError(path, "<file>", "profiles.reason_dangling_symlink") from None
        return None
    except OSError as exc:
        raise ConfigError(path, "<file>", "profiles.reason_os", error=exc.strerror) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(path, "<file>", "profiles.reason_not_regular")
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(path, "<file>", "profiles.reason_too_big", limit=MAX_CONFIG_BYTES)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, "<file>", "profiles.reason_os", error=exc.strerror) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "<file>", "profiles.reason_not_utf8") from None


class _AliasFound(Exception):
    def __init__(self, where: str, line: int) -> None:
        super().__init__(where)
        self.where = where
        self.line = line


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Duplicate(Exception):
    """A key twice in one mapping, as PyYAML's loader found it (plain_yaml.DuplicateKey's
    counterpart): where the mapping is, the key as written, both lines."""

    def __init__(self, where: str, key: str, line: int, first_line: int) -> None:
        super().__init__(key)
        self.where = where
        self.key = key
        self.line = line
        self.first_line = first_line


@functools.cache
def _no_alias_loader() -> type:
    """The PyYAML loader of a config that is not plain (app.core.plain_yaml), made on first use:
    PyYAML is imported only when such a file is read."""
    import yaml  # lazy: PyYAML (20 ms) only for a file plain_yaml cannot read

    class _NoAliasLoader(yaml.SafeLoader):
        """SafeLoader that refuses aliases (`*name`).

        The tool never writes anchors or aliases, and they are how a 1 KB file becomes a
        billion-item document (the "YAML bomb"): a config that uses them is refused outright,
        naming the field, instead of being expanded by anything downstream (sweep S7).
        """

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._path: list[str] = []
            self._depth = 0
            self._mapping_at: dict[int, str] = {}  # id(mapping node) -> its dotted path

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            """Refuse a key written twice in one mapping: PyYAML keeps the last silently,
            and a merge-conflict leftover (`regions:` twice in a team policy, `region:`
            twice in a profile) would change a rule or a profile unseen. Keys are compared
            as constructed (`yes` and `true` are one key); merge keys (`<<`) are YAML's own
            way of overriding and are left to PyYAML."""
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, Any] = {}
                for key_node, _ in node.value:
                    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                        continue  # a collection as a key is refused by PyYAML (unhashable)
                    first = seen.setdefault(self.construct_object(key_node), key_node)
                    if first is not key_node:
                        raise _Duplicate(
                            self._mapping_at.get(id(node), ""),
                            key_node.value,
                            key_node.start_mark.line + 1,
                            first.start_mark.line + 1,
                        )
            return super().construct_mapping(node, deep)

        def compose_node(self, parent: Any, index: Any) -> Any:
            label = index.value if isinstance(index, yaml.ScalarNode) else None
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                where = ".".join(str(p) for p in [*self._path, label] if p is not None)
                raise _AliasFound(where or "<root>", event.start_mark.line + 1)
            # PyYAML composes nested collections recursively: 400 `[` (800 bytes) end in a
            # RecursionError in every command and the wizard (QA C11). The file never nests
            # deeper than 4 levels, so anything past MAX_YAML_DEPTH is refused as not usable.
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            if label is not None:
                self._path.append(str(label))
            try:
                composed = super().compose_node(parent, index)
                if isinstance(composed, yaml.MappingNode):
                    self._mapping_at[id(composed)] = ".".join(self._path)
                return composed
            finally:
                self._depth -= 1
                if label is not None:
                    self._path.pop()

    return _NoAliasLoader


def _duplicate_error(path: Path, where: str, key: str, line: int, first: int) -> ConfigError:
    """A key twice in one mapping: refused like an alias, naming the mapping, the key and
    both lines (the user decides which value was meant; the tool never guesses)."""
    at = t("profiles.where_at_line", where=safe_repr(where)[1:-1], line=line) if where else None
    return ConfigError(
        path,
        at or t("profiles.at_line", line=line),
        "profiles.reason_duplicate_key",
        key=key,
        first=first,
    )


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        # The file as this tool writes it (and as most hand edits leave it) is plain YAML:
        # read without PyYAML, the same data (a plain document has no alias and is shallow).
        return plain_yaml.load(text)
    except plain_yaml.DuplicateKey as exc:
        at = exc.line or 0
        dup = _duplicate_error(path, ".".join(exc.path), exc.key, at, exc.first_line or at)
        raise dup from None
    except plain_yaml.Unsupported:
        pass
    import yaml  # lazy: anything else: PyYAML, with the alias and depth refusals below

    loader = _no_alias_loader()(text)
    try:
        return loader.get_single_data()
    except _AliasFound as exc:
        raise ConfigError(
            path,
            t("profiles.where_at_line", where=safe_repr(exc.where)[1:-1], line=exc.line),
            "profiles.reason_alias",
        ) from None
    except _Duplicate as exc:
        raise _duplicate_error(path, exc.where, exc.key, exc.line, exc.first_line) from None
    except _TooDeep as exc:
        raise MalformedYaml(
            path, t("profiles.at_line", line=exc.line), "profiles.reason_too_deep"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise MalformedYaml(
            path, t("profiles.at_line", line=line), "profiles.reason_malformed"
        ) from None
    finally:
        loader.dispose()


def load_config(path: Path | str | None = None, catalog: Catalog | None = None) -> Config:
    """Load and fully validate the config; a missing file is an empty config."""
    path = config_path(path) if not isinstance(path, Path) else path
    text = _read_text(path)
    if text is None:
        return Config()
    return parse_config(_parse_yaml(text, path), path, catalog)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def refuse_symlink_out(requested: Path, force: bool) -> None:
    """A config that is a link leading out of its own folder is not rewritten silently.

    `--config repo/team.yaml` -> `~/.gitconfig` in a cloned repo would otherwise make
    `configure` overwrite the user's file (E28): refused unless `--force`. A link to a file
    that already is a config of this tool (a dotfiles manager's link) is written through,
    with the usual "symlink followed" notice.
    """
    target = None if force else link_out_of_folder(requested)
    if target is None or _is_our_config(target):
        return  # a dotfiles manager's link to a config of this tool is fine (said aloud)
    raise ConfigWriteError("profiles.symlink_outside", path=str(requested), target=str(target))


def _is_our_config(path: Path) -> bool:
    """An existing file that already is a config of this tool (schema version and fields)."""
    try:
        text = _read_text(path)
        doc = _parse_yaml(text, path) if text is not None else None
    except (UserError, RecursionError):
        return False
    return isinstance(doc, dict) and doc.get("version") in READ_VERSIONS and "profiles" in doc


def loose_config_notices(path: Path) -> tuple[Notice, ...]:
    """A config others may write (group/world-writable file or folder) could redirect the
    key: say so whenever it is used (the next write by this tool makes the file 0600)."""
    notices = []
    for where in (path, path.parent):
        try:
            st = where.stat()
        except OSError:
            continue
        if stat.S_IMODE(st.st_mode) & 0o022 and not (st.st_mode & stat.S_ISVTX):
            mode = f"{stat.S_IMODE(st.st_mode):04o}"
            notices.append(Notice("profiles.writable_by_others", path=str(where), mode=mode))
    return tuple(notices)


def modify_config(
    path: Path | str,
    change: Callable[[Config], Config],
    *,
    replacing: str | None = None,
    catalog: Catalog | None = None,
    before_write: Callable[[Config], None] | None = None,
    backup: bool = True,
    force: bool = False,
) -> tuple[Config, WriteResult]:
    """Read, change and write the config under one lock.

    A file that is not YAML at all is backed up and reported, then replaced by the new
    config (only what `change` adds). A file that is YAML but fails validation is refused,
    except for the profile named by `replacing`, which is about to be overwritten anyway.
    `before_write` runs under the lock with the new config (e.g. to store the key) and may
    raise to abort with nothing written.
    """
    requested = Path(path).expanduser().absolute()
    refuse_symlink_out(requested, force)
    target, _ = resolve_target(requested)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigWriteError(
            "profiles.dir_not_writable", dir=str(target.parent), error=exc.strerror or str(exc)
        ) from None
    notices: list[Notice] = []
    with file_lock(target):
        text = _read_text(target)
        current = Config()
        if text is not None:
            try:
                current = parse_config(
                    _parse_yaml(text, target), target, catalog, replacing=replacing
                )
            except MalformedYaml as exc:
                notices.append(
                    Notice("profiles.malformed_replaced", path=str(target), where=exc.where)
                )
        if text is not None and current.version < SCHEMA_VERSION:
            # An older schema is rewritten as the current one: always with a backup of the
            # file as it was, and said once (the next run reads the new version).
            notices.append(
                Notice("profiles.schema_migrated", old=current.version, new=SCHEMA_VERSION)
            )
        new = change(current)
        # Validate what is about to be written by the same code that will read it back.
        parse_config(new.to_dict(), target, catalog)
        if before_write is not None:
            before_write(new)
        # A malformed file is always backed up: it may be the user's only copy of something.
        keep = backup or bool(notices)
        result = atomic_write(
            requested, new.dump(), secret=True, backup=keep, locked=True, is_config=True
        )
    if notices:
        result = replace(result, notices=tuple(notices) + result.notices)
    return new, result


def update_verified(path: Path | str, profile: str, verdict: str, at: _dt.datetime | str) -> Config:
    """Record doctor's verdict on a profile, leaving everything else untouched."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    stamp = at if isinstance(at, str) else at.isoformat(timespec="seconds")

    def change(config: Config) -> Config:
        current = config.profile(profile)
        return config.with_profile(replace(current, verified=Verification(stamp, verdict)))

    # No backup: a verdict stamp is not worth pushing a real earlier version out of the three.
    new, _ = modify_config(path, change, backup=False)
    return new
