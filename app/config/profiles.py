"""The config file: schema v1, validation on every load, locked atomic 0600 writes, backups.

The config decides which host receives the API key, so a file someone else wrote (a
committed dotfile, a poisoned download) must not be able to redirect it: every load
re-validates every field and recomputes the base URLs from region / style / workspace
(SECURITY.md T3). Writes must never leave a torn, lost or world-readable file behind
(T11, T12), which is why they go through a lock, a temp file, fsync and os.replace.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.catalog import Catalog, load_catalog
from app.core.endpoints import STYLES, base_urls, normalize_workspace_id
from app.core.errors import Notice, UserError, refuse_if_key, render
from app.core.i18n import t
from app.core.key_env import check_key_env_name, key_env_name_ok
from app.core.text import looks_like_key
from app.secrets.stores import DEFAULT_ENV_VAR, STORE_KINDS, KeyRef, check_account

APP_NAME = "modelstudio-setup"
CONFIG_ENV = "MODELSTUDIO_SETUP_CONFIG"
CONFIG_FILE = "config.yaml"
SCHEMA_VERSION = 1
BACKUPS_KEPT = 3
MAX_CONFIG_BYTES = 1_000_000
MAX_YAML_DEPTH = 16  # the schema nests 4 levels (profiles.NAME.base_urls.SURFACE)
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
VERDICTS = ("ok", "warn", "fail")
PROFILE_FIELDS = (
    "region",
    "scope",
    "endpoint_style",
    "workspace_id",
    "base_urls",
    "model",
    "api_key",
    "residency",
    "verified",
)
_REQUIRED_FIELDS = ("region", "scope", "endpoint_style", "base_urls", "model", "api_key")
_LOCK_TIMEOUT_S = 30.0


class ConfigError(UserError):
    """The config file cannot be used; the message names the file, profile and field."""

    def __init__(
        self,
        path: Path | str,
        where: str,
        reason_key: str,
        /,
        **reason_params: Any,
    ) -> None:
        super().__init__("profiles.config_invalid", path=str(path), where=where)
        self.where = where
        self.reason_key = reason_key
        self.reason_params = reason_params

    @property
    def message(self) -> str:
        # Every part came from the file (its YAML keys, profile names, values) or its path:
        # each goes through the one sanitiser and key detector (render), not raw (QA B7).
        reason = render(self.reason_key, **self.reason_params)
        return render(self.key, path=self.params["path"], where=self.where, reason=reason)


class ProfileNotFound(UserError):
    """The named (or default) profile is not in the config file."""


class ConfigWriteError(UserError):
    """The config (or an export) could not be written; nothing was changed."""


@dataclass(frozen=True)
class Verification:
    """The last doctor verdict on a profile (written by doctor via `update_verified`)."""

    at: str
    verdict: str  # ok | warn | fail


@dataclass(frozen=True)
class Profile:
    """One validated profile; base_urls always equal what endpoints.py builds for it."""

    name: str
    region: str
    scope: str
    endpoint_style: str
    workspace_id: str | None
    base_urls: dict[str, str]
    model: str
    api_key: KeyRef = field(default_factory=KeyRef)
    residency: str | None = None
    verified: Verification | None = None

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.base_urls["openai"]).hostname or ""

    def to_dict(self) -> dict[str, Any]:
        """The mapping written under `profiles.<name>` (schema v1 field order)."""
        return {
            "region": self.region,
            "scope": self.scope,
            "endpoint_style": self.endpoint_style,
            "workspace_id": self.workspace_id,
            "base_urls": dict(self.base_urls),
            "model": self.model,
            "api_key": _key_ref_dict(self.api_key),
            "residency": self.residency,
            "verified": (
                {"at": self.verified.at, "verdict": self.verified.verdict}
                if self.verified
                else None
            ),
        }


def _key_ref_dict(ref: KeyRef) -> dict[str, str]:
    doc = {"store": ref.store, "env": ref.env}
    if ref.account is not None:
        doc["account"] = ref.account  # where in the keyring this file's key is (T21)
    return doc


@dataclass(frozen=True)
class Config:
    version: int = SCHEMA_VERSION
    default_profile: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    def profile(self, name: str | None = None) -> Profile:
        """The named profile, else the default one; a clear error when there is none.

        An explicitly given name is checked first: `--profile ""` (an unset variable in a
        script) must not mean "the default profile", and `--profile ../x` is an invalid
        name, not a profile to create (sweep S4/S5, QA B12).
        """
        if name is not None:
            check_profile_name(name)
        wanted = name if name is not None else self.default_profile
        if wanted is None:
            if len(self.profiles) == 1:
                return next(iter(self.profiles.values()))
            raise ProfileNotFound("profiles.no_default", known=_names(self))
        if wanted not in self.profiles:
            from app.core.invocation import command

            create = command("configure", "--profile", wanted, "--region", "REGION")
            raise ProfileNotFound(
                "profiles.not_found", name=wanted, known=_names(self), command=create
            )
        return self.profiles[wanted]

    def with_profile(self, profile: Profile, make_default: bool = False) -> Config:
        profiles = dict(self.profiles)
        profiles[profile.name] = profile
        default = self.default_profile
        if make_default or default is None or default not in profiles:
            default = profile.name
        return Config(self.version, default, profiles)

    def without_profile(self, name: str) -> Config:
        profiles = {k: v for k, v in self.profiles.items() if k != name}
        default = self.default_profile
        if default == name:
            default = next(iter(profiles), None)
        return Config(self.version, default, profiles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "default_profile": self.default_profile,
            "profiles": {name: p.to_dict() for name, p in self.profiles.items()},
        }

    def dump(self) -> str:
        import yaml  # here: reading a config (`env`, `key get`) does not need PyYAML

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=False)


def _names(config: Config) -> str:
    return ", ".join(config.profiles) or "-"


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
    import platformdirs

    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILE


def is_default_location(path: Path) -> bool:
    """True when `path` is where the tool looks without --config or the env variable."""
    import platformdirs

    return Path(path) == platformdirs.user_config_path(APP_NAME) / CONFIG_FILE


# ---------------------------------------------------------------------------------------------
# Validation of inputs (shared by the loader, configure and the wizard)
# ---------------------------------------------------------------------------------------------


class _Invalid(Exception):
    """A field failed validation: carries the reason as a locale key and parameters."""

    def __init__(self, field: str, key: str, **params: Any) -> None:
        super().__init__(key)
        self.field = field
        self.key = key
        self.params = params


def check_profile_name(name: object) -> str:
    """Profile names become keyring user names and key file names: one safe path segment."""
    if not isinstance(name, str) or not PROFILE_NAME.fullmatch(name) or ".." in name:
        raise UserError("profiles.bad_profile_name", name=_safe_repr(name))
    refuse_if_key(name, _what("profiles.what_profile_name"))
    return name


def check_model(model: object) -> str:
    if not isinstance(model, str) or not MODEL_NAME.fullmatch(model):
        raise UserError("profiles.bad_model", model=_safe_repr(model))
    refuse_if_key(model, _what("profiles.what_model"))
    return model


def _what(key: str) -> str:
    from app.core.i18n import t

    return t(key)


def _safe_repr(value: object, limit: int = 80) -> str:
    """Show a bad value without letting control characters reach the terminal.

    Bounded work whatever the value: a list or mapping from a hostile file may share its
    parts (aliases) and expand to billions of items under a plain repr() (sweep S7).
    """
    import reprlib

    if isinstance(value, str):
        text = ascii(value[: limit + 1])
    elif value is None or isinstance(value, (bool, int, float)):
        text = repr(value)
    else:
        shown = reprlib.Repr()
        shown.maxlevel, shown.maxlist, shown.maxdict, shown.maxstring = 2, 4, 4, limit
        shown.maxother = limit
        text = shown.repr(value).encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "…"


def default_scope(region_id: str, residency: str | None, catalog: Catalog | None = None) -> str:
    """The region's scope for the residency scenario, else Global, else its first scope."""
    catalog = catalog or load_catalog()
    region = catalog.regions[region_id]
    if residency and residency in catalog.scenarios:
        scenario = catalog.scenarios[residency]
        for placement in (scenario.placement, *scenario.near.values()):
            if placement.region == region_id and placement.scope in region.scopes:
                return placement.scope
    return "global" if "global" in region.scopes else region.scopes[0]


def model_known(model: str, scope: str, catalog: Catalog | None = None) -> bool:
    """Whether the catalog lists `model` for `scope` (its test models, and the models the
    Anthropic-compatible surface serves: `-us` variants in the US scope)."""
    catalog = catalog or load_catalog()
    known = set(catalog.ping_models(scope))
    suffix = "-us" if scope == "us" else ""
    known.update(f"{m}{suffix}" for m in catalog.anthropic_models)
    return model in known


def make_profile(
    name: str,
    *,
    region: str,
    scope: str | None = None,
    endpoint_style: str = "workspace",
    workspace_id: str | None = None,
    model: str | None = None,
    api_key: KeyRef | None = None,
    residency: str | None = None,
    verified: Verification | None = None,
    catalog: Catalog | None = None,
) -> tuple[Profile, tuple[Notice, ...]]:
    """Validate user input into a Profile; notices say what was normalised or is unusual.

    Raises UserError (exit 2) naming the first bad input; nothing here writes anything.
    """
    catalog = catalog or load_catalog()
    check_profile_name(name)
    if region not in catalog.regions:
        raise UserError("profiles.unknown_region", region=region, known=", ".join(catalog.regions))
    reg = catalog.regions[region]
    if residency is not None and residency not in catalog.scenarios:
        raise UserError(
            "profiles.unknown_residency", residency=residency, known=", ".join(catalog.scenarios)
        )
    notices: list[Notice] = []
    if scope is None:
        scope = default_scope(region, residency, catalog)
    if scope not in catalog.scopes:
        raise UserError("profiles.unknown_scope", scope=scope, known=", ".join(catalog.scopes))
    if scope not in reg.scopes:
        raise UserError(
            "profiles.scope_not_offered", scope=scope, region=region, offered=", ".join(reg.scopes)
        )
    if endpoint_style not in STYLES:
        raise UserError("profiles.bad_style", style=endpoint_style)
    ws_value: str | None = None
    if endpoint_style == "workspace":
        if workspace_id is None:
            # base_urls raises the region-specific "where to find the ID" message.
            base_urls(region, "workspace", None, catalog)
        ws = normalize_workspace_id(workspace_id, catalog)
        ws_value = ws.value
        notices.extend(ws.notices)
        if ws.changed:
            notices.append(
                Notice("profiles.ws_normalised", raw=_safe_repr(workspace_id), value=ws.value)
            )
    elif workspace_id is not None:
        raise UserError("profiles.ws_with_shared")
    urls = base_urls(region, endpoint_style, ws_value, catalog).as_dict()
    if model is None:
        model = catalog.default_model(scope)
    check_model(model)
    if scope == "us" and not model.endswith("-us"):
        notices.append(Notice("profiles.us_model_suffix", model=model))
    if residency is not None:
        scenario = catalog.scenarios[residency]
        allowed = {(p.region, p.scope) for p in (scenario.placement, *scenario.near.values())}
        if residency != "none" and (region, scope) not in allowed:
            notices.append(
                Notice(
                    "profiles.residency_mismatch",
                    residency=residency,
                    region=region,
                    scope=scope,
                    wanted=f"{scenario.placement.region} / {scenario.placement.scope}",
                )
            )
    key_ref = api_key or KeyRef()
    if key_ref.store not in STORE_KINDS:
        raise UserError("profiles.bad_store", store=key_ref.store, known=", ".join(STORE_KINDS))
    check_key_env_name(key_ref.env)
    if key_ref.account is not None:
        if key_ref.store != "keyring":
            raise UserError("secrets.bad_account")
        check_account(key_ref.account)
    profile = Profile(
        name=name,
        region=region,
        scope=scope,
        endpoint_style=endpoint_style,
        workspace_id=ws_value,
        base_urls=urls,
        model=model,
        api_key=key_ref,
        residency=residency,
        verified=verified,
    )
    return profile, tuple(notices)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _parse_profile(name: Any, raw: Any, catalog: Catalog) -> Profile:
    """Validate one stored profile; raises _Invalid naming the field."""
    if not isinstance(name, str) or not PROFILE_NAME.fullmatch(name) or ".." in name:
        raise _Invalid("", "profiles.reason_bad_name", name=_safe_repr(name))
    if not isinstance(raw, dict):
        raise _Invalid("", "profiles.reason_not_mapping")
    for key in raw:
        if key not in PROFILE_FIELDS:
            raise _Invalid(str(key), "profiles.reason_unknown_field")
    for key in _REQUIRED_FIELDS:
        if key not in raw:
            raise _Invalid(key, "profiles.reason_missing_field")
    region = raw["region"]
    if not isinstance(region, str) or region not in catalog.regions:
        raise _Invalid(
            "region",
            "profiles.reason_unknown_region",
            value=_safe_repr(region),
            known=", ".join(catalog.regions),
        )
    scope = raw["scope"]
    if not isinstance(scope, str) or scope not in catalog.scopes:
        raise _Invalid(
            "scope",
            "profiles.reason_unknown_scope",
            value=_safe_repr(scope),
            known=", ".join(catalog.scopes),
        )
    offered = catalog.regions[region].scopes
    if scope not in offered:
        raise _Invalid(
            "scope",
            "profiles.reason_scope_not_offered",
            value=scope,
            region=region,
            offered=", ".join(offered),
        )
    style = raw["endpoint_style"]
    if style not in STYLES:
        raise _Invalid(
            "endpoint_style",
            "profiles.reason_bad_choice",
            value=_safe_repr(style),
            known="/".join(STYLES),
        )
    ws_raw = raw.get("workspace_id")
    ws_value: str | None = None
    if style == "shared":
        if ws_raw is not None:
            raise _Invalid("workspace_id", "profiles.reason_ws_with_shared")
    else:
        if ws_raw is None:
            raise _Invalid("workspace_id", "profiles.reason_ws_required")
        try:
            ws = normalize_workspace_id(ws_raw, catalog)
        except UserError as exc:
            raise _Invalid("workspace_id", "profiles.reason_nested", reason=exc.message) from None
        if ws.value != ws_raw:
            raise _Invalid("workspace_id", "profiles.reason_ws_not_normalised", value=ws.value)
        ws_value = ws.value
    try:
        expected = base_urls(region, style, ws_value, catalog).as_dict()
    except UserError as exc:
        raise _Invalid("endpoint_style", "profiles.reason_nested", reason=exc.message) from None
    urls = raw["base_urls"]
    if not isinstance(urls, dict):
        raise _Invalid("base_urls", "profiles.reason_not_mapping")
    for key in urls:
        if key not in expected:
            raise _Invalid(f"base_urls.{key}", "profiles.reason_unknown_field")
    for surface, url in expected.items():
        if surface not in urls:
            raise _Invalid(f"base_urls.{surface}", "profiles.reason_missing_field")
        if urls[surface] != url:
            raise _Invalid(
                f"base_urls.{surface}",
                "profiles.reason_url_mismatch",
                value=_safe_repr(urls[surface]),
                expected=url,
            )
    model = raw["model"]
    if not isinstance(model, str) or not MODEL_NAME.fullmatch(model):
        raise _Invalid("model", "profiles.reason_bad_model", value=_safe_repr(model))
    key_raw = raw["api_key"]
    if not isinstance(key_raw, dict):
        raise _Invalid("api_key", "profiles.reason_not_mapping")
    for key in key_raw:
        if key not in ("store", "env", "account"):
            raise _Invalid(f"api_key.{key}", "profiles.reason_unknown_field")
    store = key_raw.get("store")
    if store not in STORE_KINDS:
        raise _Invalid(
            "api_key.store",
            "profiles.reason_bad_choice",
            value=_safe_repr(store),
            known="/".join(STORE_KINDS),
        )
    env = key_raw.get("env", DEFAULT_ENV_VAR)
    if not key_env_name_ok(env):
        raise _Invalid("api_key.env", "profiles.reason_bad_env")
    account = key_raw.get("account")
    if account is not None:
        # Only a keyring profile has one, and only of the scoped form (never echoed: T16).
        try:
            if store != "keyring":
                raise UserError("secrets.bad_account")
            check_account(account)
        except UserError:
            raise _Invalid("api_key.account", "profiles.reason_bad_account") from None
    residency = raw.get("residency")
    if residency is not None and (
        not isinstance(residency, str) or residency not in catalog.scenarios
    ):
        raise _Invalid(
            "residency",
            "profiles.reason_bad_choice",
            value=_safe_repr(residency),
            known="/".join(catalog.scenarios),
        )
    verified = _parse_verified(raw.get("verified"))
    return Profile(
        name=name,
        region=region,
        scope=scope,
        endpoint_style=style,
        workspace_id=ws_value,
        base_urls=expected,
        model=model,
        api_key=KeyRef(store=store, env=env, account=account),
        residency=residency,
        verified=verified,
    )


def _parse_verified(raw: Any) -> Verification | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _Invalid("verified", "profiles.reason_not_mapping")
    for key in raw:
        if key not in ("at", "verdict"):
            raise _Invalid(f"verified.{key}", "profiles.reason_unknown_field")
    at, verdict = raw.get("at"), raw.get("verdict")
    if isinstance(at, _dt.datetime):  # YAML turns an unquoted timestamp into a datetime
        at = at.isoformat()
    if not isinstance(at, str) or not at.isprintable() or len(at) > 64:
        raise _Invalid("verified.at", "profiles.reason_bad_timestamp")
    if verdict not in VERDICTS:
        raise _Invalid(
            "verified.verdict",
            "profiles.reason_bad_choice",
            value=_safe_repr(verdict),
            known="/".join(VERDICTS),
        )
    return Verification(at=at, verdict=verdict)


def parse_config(
    data: Any,
    source: Path | str,
    catalog: Catalog | None = None,
    *,
    replacing: str | None = None,
) -> Config:
    """Validate a parsed config document completely.

    `replacing` names a profile that is about to be overwritten: its content is dropped
    instead of validated, so `configure` can repair a profile that no longer loads.
    """
    catalog = catalog or load_catalog()
    if data is None:
        return Config()
    _refuse_keys_anywhere(data, source)
    if not isinstance(data, dict):
        raise ConfigError(source, "<root>", "profiles.reason_not_mapping")
    for key in data:
        if key not in ("version", "default_profile", "profiles"):
            raise ConfigError(source, str(key), "profiles.reason_unknown_field")
    version = data.get("version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            source, "version", "profiles.reason_bad_version", value=_safe_repr(version)
        )
    raw_profiles = data.get("profiles") or {}
    if not isinstance(raw_profiles, dict):
        raise ConfigError(source, "profiles", "profiles.reason_not_mapping")
    profiles: dict[str, Profile] = {}
    for name, raw in raw_profiles.items():
        if replacing is not None and name == replacing:
            continue
        try:
            profiles[name] = _parse_profile(name, raw, catalog)
        except _Invalid as exc:
            where = f"profiles.{name}" + (f".{exc.field}" if exc.field else "")
            raise ConfigError(source, where, exc.key, **exc.params) from None
    default = data.get("default_profile")
    if default is not None and (not isinstance(default, str) or default not in raw_profiles):
        raise ConfigError(
            source, "default_profile", "profiles.reason_default_missing", value=_safe_repr(default)
        )
    if default is not None and default not in profiles:
        default = None  # it was the profile being replaced
    return Config(version=SCHEMA_VERSION, default_profile=default, profiles=profiles)


def _refuse_keys_anywhere(data: Any, source: Path | str) -> None:
    """No field of the file is secret (the key lives in a store, never here): a key-shaped
    key or value anywhere (workspace_id, model, region, base_urls, verified.*, a profile
    name) is refused, naming the field but never showing the value (SECURITY.md T16).
    The loader bounds the nesting, so this walk is bounded too."""
    if looks_like_key(data):
        raise ConfigError(source, "<root>", "profiles.reason_looks_like_key")
    todo: list[tuple[Any, str]] = [(data, "")]
    while todo:
        value, where = todo.pop()
        if isinstance(value, dict):
            children = [(str(k), k, v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(f"[{i}]", None, v) for i, v in enumerate(value)]
        else:
            continue
        for label, key, child in children:
            at = f"{where}.{label}" if where and not label.startswith("[") else where + label
            if looks_like_key(key) or looks_like_key(child):
                at = f"{where}.<hidden>" if looks_like_key(key) and where else at
                raise ConfigError(source, at or "<root>", "profiles.reason_looks_like_key")
            todo.append((child, at))


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


class MalformedYaml(ConfigError):
    """The file is not YAML at all (as opposed to YAML that fails validation)."""


class _AliasFound(Exception):
    def __init__(self, where: str, line: int) -> None:
        super().__init__(where)
        self.where = where
        self.line = line


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@functools.cache
def _no_alias_loader() -> type:
    """The PyYAML loader of a config that is not plain (app.core.plain_yaml), made on first use:
    PyYAML is imported only when such a file is read."""
    import yaml

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

        def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
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
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
                if label is not None:
                    self._path.pop()

    return _NoAliasLoader


def _parse_yaml(text: str, path: Path) -> Any:
    from app.core import plain_yaml

    try:
        # The file as this tool writes it (and as most hand edits leave it) is plain YAML:
        # read without PyYAML, the same data (a plain document has no alias and is shallow).
        return plain_yaml.load(text)
    except plain_yaml.Unsupported:
        pass
    import yaml  # anything else: PyYAML, with the alias and depth refusals below

    loader = _no_alias_loader()(text)
    try:
        return loader.get_single_data()
    except _AliasFound as exc:
        raise ConfigError(
            path,
            t("profiles.where_at_line", where=_safe_repr(exc.where)[1:-1], line=exc.line),
            "profiles.reason_alias",
        ) from None
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


@dataclass(frozen=True)
class WriteResult:
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


def refuse_symlink_out(requested: Path, force: bool) -> None:
    """A config that is a link leading out of its own folder is not rewritten silently.

    `--config repo/team.yaml` -> `~/.gitconfig` in a cloned repo would otherwise make
    `configure` overwrite the user's file (E28): refused unless `--force`. A link to a file
    that already is a config of this tool (a dotfiles manager's link) is written through,
    with the usual "symlink followed" notice.
    """
    from app.fs import link_out_of_folder  # the writer's module: not on the hot path

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
    return isinstance(doc, dict) and doc.get("version") == SCHEMA_VERSION and "profiles" in doc


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
    try:
        _lock_fd(fd)
        yield
    finally:
        _unlock_fd(fd)
        os.close(fd)


@contextlib.contextmanager
def dir_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on the directory itself, for writes outside the config dir.

    Exports land in the user's project: a `<file>.lock` beside them would show up in
    `git status` and get committed, so they lock the directory's own inode instead (POSIX
    flock on a directory fd); where that is not possible the write is still atomic.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        _lock_fd(fd)
        yield
    finally:
        _unlock_fd(fd)
        os.close(fd)


def _lock_fd(fd: int) -> None:
    """Wait for the lock, but not forever: a run stuck elsewhere must not hang this one."""
    import time

    try:
        import fcntl
    except ImportError:  # Windows: msvcrt locks one byte (LK_NBLCK fails at once if taken)
        import msvcrt

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
        import fcntl
    except ImportError:
        import msvcrt

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
    backups = sorted(
        target.parent.glob(f"{glob_escape(target.name)}.bak-*"),
        key=lambda p: p.stat().st_mtime_ns,
    )
    for old in backups[:-BACKUPS_KEPT]:
        with contextlib.suppress(OSError):
            old.unlink()
    return candidate


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _write_new(directory: Path, final: Path, data: bytes, mode: int) -> None:
    """The one writer (app.fs): a private, git-ignored temp file, fsync, os.replace,
    fsync the dir; removed on SIGTERM/SIGHUP, swept after a SIGKILL (A4)."""
    from app.fs import write_replace

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
    now = now or _dt.datetime.now(_dt.timezone.utc)
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


# ---------------------------------------------------------------------------------------------
# Helpers shared by the commands
# ---------------------------------------------------------------------------------------------


def cli_config_path(args: Any) -> Path:
    """The config path for a parsed command line (common options use SUPPRESS defaults).

    A config others can write is named on stderr every time it is used (E28).
    """
    path = config_path(getattr(args, "config", None))
    print_notices(loose_config_notices(path))
    return path


def cli_address(path: Path, profile: str | None, default_profile: str | None) -> list[str]:
    """`--profile P --config C` as words, as far as needed to address this profile again
    from the user's shell now (a command printed in a message or a remedy)."""
    words = []
    if profile and profile != default_profile:
        words += ["--profile", profile]
    # Left out only where the same shell finds this file without it (the default place, or
    # $MODELSTUDIO_SETUP_CONFIG naming it); a --config other than the variable stays.
    if Path(path).expanduser().absolute() != config_path(None):
        words += ["--config", str(path)]
    return words


def cli_suffix(path: Path, profile: str | None, default_profile: str | None) -> str:
    """` --profile P --config C` (cli_address, quoted for a POSIX shell)."""
    import shlex

    return "".join(f" {shlex.quote(word)}" for word in cli_address(path, profile, default_profile))


def print_notices(notices: Any, stream: Any = None) -> None:
    """Warnings go to stderr so stdout stays clean for eval / redirection."""
    import sys

    from app.core.i18n import t

    stream = stream or sys.stderr
    for notice in notices:
        print(t("configure.notice", message=notice.message), file=stream)
