"""`status`: what is active and where it comes from, read without the network.

Like `gh auth status`, it answers "which profile, which key, and what overrides it" fast:
it is typed before anything else when calls stop working, so it is a hot path (shared/
DESIGN.md budgets: <= 5 x `python -c pass`, keyring round trip aside). That is why it does
not parse the clients' files (doctor does, app.clients.environment): it compares the
variables of the clients table with the profile (a key is compared as a whole, shown
masked; a base URL with the profile's URL of the surface it is for) and lists the client
files that exist, with the clients that read them. `--check` adds the probe (app.commands).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.clients.locate import candidates
from app.clients.paths import exists_for_client, shown_path
from app.clients.table import CLIENT_NAMES, FILES, VARIABLES
from app.config.key_status import KeyStatus
from app.config.schema import Profile
from app.core.record import Record
from app.core.text import inert
from app.secrets.key import mask

# The variables that can make a client use something else than the profile.
_KINDS = ("key", "base_url", "model", "region", "workspace")
STALE_AFTER = 7 * 24 * 3600  # a verdict older than a week is worth renewing
SOURCES = ("flag", "environment", "default", "only")  # why a profile is the active one


class Override(Record):
    """A variable or a file a client reads instead of (or on top of) the profile."""

    name: str  # the variable, or the file as shown (`~/.qwen/settings.json`)
    origin: str  # "environment" | "file"
    kind: str  # key | base_url | model | region | workspace | file
    state: str  # differs | same | set | exists
    value: str | None  # shown form: a key masked, a URL inert; None for a file
    clients: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "kind": self.kind,
            "state": self.state,
            "value": self.value,
            "clients": list(self.clients),
            "client_names": [CLIENT_NAMES.get(c, c) for c in self.clients],
        }


class Status(Record):
    """Everything `status` shows; `next_step` names the command to run next, if any."""

    profile: Profile
    source: str  # one of SOURCES
    config: Path
    key: KeyStatus
    overrides: tuple[Override, ...]
    verified_age: float | None  # seconds since the last doctor verdict, None if never
    next_step: str | None  # key_store_failed | key_set | key_env_unset | doctor_* | None
    default_profile: str | None = None  # the config's, so a printed command can omit it

    @property
    def off(self) -> bool:
        """Something the user should act on (the exit code of `status` says so)."""
        return self.next_step is not None


def variable_overrides(profile: Profile, key: str | None, env: Mapping[str, str]) -> list[Override]:
    """The clients-table variables set in `env`, judged against the profile. The profile's
    own env store variable (its key's home) is the profile, not an override."""
    out: list[Override] = []
    own = profile.api_key.env if profile.api_key.store == "env" else None
    for var in VARIABLES.values():
        value = env.get(var.name, "")
        if var.kind not in _KINDS or not value or var.name == own:
            continue
        if var.kind == "key":
            state = "set" if key is None else "same" if value == key else "differs"
            shown = mask(value)
        elif var.kind == "base_url":
            wanted = profile.base_urls.get(var.expects or "")
            state = "set" if wanted is None else _same_url(value, wanted)
            shown = inert(value, 200)
        else:
            state, shown = "set", inert(value, 120)
        out.append(Override(var.name, "environment", var.kind, state, shown, var.clients))
    return out


def _same_url(value: str, wanted: str) -> str:
    return "same" if value.strip().rstrip("/") == wanted.rstrip("/") else "differs"


def file_overrides(env: Mapping[str, str], cwd: Path, home: Path) -> list[Override]:
    """The client files that exist (what they hold is doctor's to read); shell rc files
    are left to doctor too (their `export` lines need parsing)."""
    out: list[Override] = []
    for found in candidates(env, cwd, home):
        spec = FILES.get(found.spec)
        if spec is None or spec.format == "rc" or not exists_for_client(found.path):
            continue
        if found.path.is_dir():
            continue
        shown = shown_path(found.path, home)
        out.append(Override(shown, "file", "file", "exists", None, spec.clients))
    return out


def next_step(
    profile: Profile, key: KeyStatus, overrides: list[Override], age: float | None
) -> str | None:
    """The one thing to do next, most urgent first."""
    if key.error is not None:
        return "key_store_failed"
    if not key.present:
        return "key_env_unset" if profile.api_key.store == "env" else "key_set"
    if any(o.kind == "key" and o.state == "differs" for o in overrides):
        return "doctor_overrides"
    if any(o.kind == "base_url" and o.state == "differs" for o in overrides):
        return "doctor_overrides"
    if profile.verified is None:
        return "doctor_never"
    if profile.verified.verdict != "ok":
        return "doctor_failed"
    if age is not None and age > STALE_AFTER:
        return "doctor_stale"
    return None


def verified_age(profile: Profile, now: datetime) -> float | None:
    """Seconds since the recorded verdict; None if never (or an unreadable stamp)."""
    if profile.verified is None:
        return None
    try:
        at = datetime.fromisoformat(profile.verified.at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return max(0.0, (now - at).total_seconds())


def build_status(
    profile: Profile,
    source: str,
    config: Path,
    key: KeyStatus,
    *,
    default_profile: str | None,
    env: Mapping[str, str],
    cwd: Path,
    home: Path,
    now: datetime,
) -> Status:
    """The status of `profile` (key already read by app.config.key_status)."""
    raw = key.key.reveal() if key.key is not None else None
    overrides = [*variable_overrides(profile, raw, env), *file_overrides(env, cwd, home)]
    age = verified_age(profile, now)
    step = next_step(profile, key, overrides, age)
    return Status(profile, source, config, key, tuple(overrides), age, step, default_profile)
