"""A parsed config document -> Config: the file's shape around app.config.validate's checks.

The shape is the file's own business (mappings, known and required fields, the schema
version, nothing key-shaped anywhere); every field value goes through the same check as
input does (app.config.validate), so a name or variable refused on input is refused here
too, the message naming the file and the field (`profiles.NAME.api_key.env`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.config.fields import Invalid, check_name
from app.config.schema import (
    KEY_REF_FIELDS,
    PROFILE_FIELDS,
    READ_VERSIONS,
    REQUIRED_FIELDS,
    TOP_FIELDS,
    VERDICTS,
    VERIFIED_FIELDS,
    Config,
    ConfigError,
    Profile,
    Verification,
)
from app.config.validate import checked_profile
from app.core.catalog import Catalog, load_catalog
from app.core.names import safe_repr
from app.core.record import replace
from app.core.text import looks_like_key
from app.secrets.stores import DEFAULT_ENV_VAR


def parse_config(
    data: object,
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
    try:
        doc = _fields(data, "", TOP_FIELDS)
    except Invalid as exc:
        raise ConfigError(source, exc.field or "<root>", exc.reason) from None
    version = doc.get("version")
    if isinstance(version, bool) or version not in READ_VERSIONS:
        raise ConfigError(
            source, "version", "profiles.reason_bad_version", value=safe_repr(version)
        )
    raw_profiles = doc.get("profiles") or {}
    if not isinstance(raw_profiles, dict):
        raise ConfigError(source, "profiles", "profiles.reason_not_mapping")
    profiles: dict[str, Profile] = {}
    for name, raw in raw_profiles.items():
        if replacing is not None and name == replacing:
            continue
        try:
            profiles[name] = parse_profile(name, raw, catalog)
        except Invalid as exc:
            where = f"profiles.{name}" + (f".{exc.field}" if exc.field else "")
            raise ConfigError(source, where, exc.reason, **exc.reason_params) from None
    default = doc.get("default_profile")
    if default is not None and (not isinstance(default, str) or default not in raw_profiles):
        raise ConfigError(
            source, "default_profile", "profiles.reason_default_missing", value=safe_repr(default)
        )
    if default is not None and default not in profiles:
        default = None  # it was the profile being replaced
    # The version read is kept: modify_config says so when it rewrites a v1 file as v2.
    return Config(version=version, default_profile=default, profiles=profiles)


def _refuse_keys_anywhere(data: object, source: Path | str) -> None:
    """No field of the file is secret (the key lives in a store, never here): a key-shaped
    key or value anywhere (workspace_id, model, region, base_urls, verified.*, a profile
    name) is refused, naming the field but never showing the value (SECURITY.md T16).
    The loader bounds the nesting, so this walk is bounded too."""
    if looks_like_key(data):
        raise ConfigError(source, "<root>", "profiles.reason_looks_like_key")
    todo: list[tuple[object, str]] = [(data, "")]
    while todo:
        value, where = todo.pop()
        children: list[tuple[str, object, object]]
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


def _fields(raw: object, where: str, allowed: tuple[str, ...]) -> dict[Any, Any]:
    """A mapping whose keys are all `allowed` (the shape of a file, never of input)."""
    if not isinstance(raw, dict):
        raise Invalid.of_file(where, "profiles.reason_not_mapping")
    for key in raw:
        if key not in allowed:
            field = f"{where}.{key}" if where else str(key)
            raise Invalid.of_file(field, "profiles.reason_unknown_field")
    return raw


def _missing(field: str) -> Invalid:
    return Invalid.of_file(field, "profiles.reason_missing_field")


def parse_profile(name: object, raw: object, catalog: Catalog) -> Profile:
    """Validate one stored profile; raises Invalid naming the field."""
    check_name(name)
    raw = _fields(raw, "", PROFILE_FIELDS)
    for key in REQUIRED_FIELDS:
        if key not in raw:
            raise _missing(key)
    key_raw = _fields(raw["api_key"], "api_key", KEY_REF_FIELDS)
    ws_raw = raw.get("workspace_id")
    profile, ws = checked_profile(
        name,
        region=raw["region"],
        scope=raw["scope"],
        style=raw["endpoint_style"],
        workspace_id=ws_raw,
        model=raw["model"],
        key=(key_raw.get("store"), key_raw.get("env", DEFAULT_ENV_VAR), key_raw.get("account")),
        residency=raw.get("residency"),
        plan=raw.get("plan"),
        plan_edition=raw.get("plan_edition"),
        verified=None,  # read below, after every field the profile's endpoint depends on
        catalog=catalog,
    )
    if ws is not None and ws.value != ws_raw:
        raise Invalid.of_file("workspace_id", "profiles.reason_ws_not_normalised", value=ws.value)
    # The file's URLs must be the ones computed: anything else would send the key elsewhere.
    urls = _fields(raw["base_urls"], "base_urls", tuple(profile.base_urls))
    for surface, url in profile.base_urls.items():
        if surface not in urls:
            raise _missing(f"base_urls.{surface}")
        if urls[surface] != url:
            raise Invalid.of_file(
                f"base_urls.{surface}",
                "profiles.reason_url_mismatch",
                value=safe_repr(urls[surface]),
                expected=url,
            )
    return replace(profile, verified=_parse_verified(raw.get("verified")))


def _parse_verified(raw: object) -> Verification | None:
    if raw is None:
        return None
    raw = _fields(raw, "verified", VERIFIED_FIELDS)
    at, verdict = raw.get("at"), raw.get("verdict")
    if at is not None and not isinstance(at, str):
        import datetime  # lazy: only PyYAML makes one (plain_yaml leaves timestamps to it)

        if isinstance(at, datetime.datetime):  # YAML turns an unquoted timestamp into one
            at = at.isoformat()
    if not isinstance(at, str) or not at.isprintable() or len(at) > 64:
        raise Invalid.of_file("verified.at", "profiles.reason_bad_timestamp")
    if verdict not in VERDICTS:
        raise Invalid.of_file(
            "verified.verdict",
            "profiles.reason_bad_choice",
            value=safe_repr(verdict),
            known="/".join(VERDICTS),
        )
    return Verification(at=at, verdict=verdict)
