"""The config file's schema v2: its constants, the Profile / Config types and their errors.

v2 adds `plan` (and the "plan" endpoint style) to v1: a v1 file is read as it is and
rewritten as v2 on the next write, with a backup and a notice (app.config.io).

Only data here: what a valid file holds once app.config.validate has checked it, and how it
is written back (`to_dict` keeps the schema's field order). Reading and writing the file is
app.config.io; the field rules are app.config.validate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import UserError, render
from app.core.names import check_profile_name
from app.core.record import Record, field
from app.secrets.stores import KeyRef

APP_NAME = "modelstudio-setup"
CONFIG_ENV = "MODELSTUDIO_SETUP_CONFIG"
CONFIG_FILE = "config.yaml"
SCHEMA_VERSION = 2
# Versions this tool reads: v1 is v2 without `plan` (every v1 file is a valid v2 profile set).
READ_VERSIONS = (1, 2)
BACKUPS_KEPT = 3
MAX_CONFIG_BYTES = 1_000_000
MAX_YAML_DEPTH = 16  # the schema nests 4 levels (profiles.NAME.base_urls.SURFACE)
VERDICTS = ("ok", "warn", "fail")
PROFILE_FIELDS = (
    "region",
    "scope",
    "endpoint_style",
    "workspace_id",
    "plan",
    "plan_edition",
    "base_urls",
    "model",
    "api_key",
    "residency",
    "verified",
)
REQUIRED_FIELDS = ("region", "scope", "endpoint_style", "base_urls", "model", "api_key")
KEY_REF_FIELDS = ("store", "env", "account")
VERIFIED_FIELDS = ("at", "verdict")
TOP_FIELDS = ("version", "default_profile", "profiles")


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


class MalformedYaml(ConfigError):
    """The file is not YAML at all (as opposed to YAML that fails validation)."""


class ProfileNotFound(UserError):
    """The named (or default) profile is not in the config file."""


class ConfigWriteError(UserError):
    """The config (or an export) could not be written; nothing was changed."""


class Verification(Record):
    """The last doctor verdict on a profile (written by doctor via `update_verified`)."""

    at: str
    verdict: str  # ok | warn | fail


class Profile(Record):
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
    # coding | token: a plan profile (endpoint_style "plan"), its region the plan region.
    plan: str | None = None
    # personal | team: a Token Plan profile's edition when the user said it (None: not said).
    plan_edition: str | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base_urls["openai"]).hostname or ""

    def to_dict(self) -> dict[str, Any]:
        """The mapping written under `profiles.<name>` (schema v2 field order)."""
        return {
            "region": self.region,
            "scope": self.scope,
            "endpoint_style": self.endpoint_style,
            "workspace_id": self.workspace_id,
            "plan": self.plan,
            **({"plan_edition": self.plan_edition} if self.plan_edition else {}),
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


class Config(Record):
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
            if not self.profiles:  # nothing set up yet: say how to start, not "no default"
                from app.core.invocation import command  # lazy: as below

                raise ProfileNotFound(
                    "profiles.nothing_set_up", wizard=command(), configure=command("configure")
                )
            raise ProfileNotFound("profiles.no_default", known=self._names())
        if wanted not in self.profiles:
            # lazy: shutil and the PATH lookup only for this message, not on `env`'s path
            from app.core.invocation import command

            create = command("configure", "--profile", wanted, "--region", "REGION")
            raise ProfileNotFound(
                "profiles.not_found", name=wanted, known=self._names(), command=create
            )
        return self.profiles[wanted]

    def _names(self) -> str:
        return ", ".join(self.profiles) or "-"

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
            "version": SCHEMA_VERSION,  # a v1 file read is written back as v2
            "default_profile": self.default_profile,
            "profiles": {name: p.to_dict() for name, p in self.profiles.items()},
        }

    def dump(self) -> str:
        import yaml  # lazy: reading a config (`env`, `key get`) does not need PyYAML

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=False)
