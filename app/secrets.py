"""The API key wrapper and the places a key may be kept (keyring, environment, file).

The key is the one secret this tool handles. `ApiKey` masks itself everywhere Python might
print it (repr, str, format, tracebacks with locals), so a leak takes a deliberate
`reveal()`. Stores fail closed: no secure store and no explicit alternative means nothing is
written (SECURITY.md T6-T8).
"""

from __future__ import annotations

import hashlib
import hmac

from app.errors import Notice, UserError

MIN_KEY_LEN = 8
MAX_KEY_LEN = 1000
PLAN_KEY_PREFIX = "sk-sp-"
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "`": "`"}
_PASTE_WHITESPACE = " \t\r\n\f\v"


class InvalidApiKey(UserError):
    """The key text cannot be a key; the message never contains the key itself."""


class ApiKey:
    """A validated API key that never shows itself unless `reveal()` is called."""

    __slots__ = ("_value",)

    def __init__(self, raw: str) -> None:
        object.__setattr__(self, "_value", _validate(raw))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ApiKey is immutable")

    @classmethod
    def parse(cls, raw: str) -> tuple[ApiKey, tuple[Notice, ...]]:
        """Validate pasted text; return the key and remarks about its shape."""
        key = cls(raw)
        return key, key.notices()

    def reveal(self) -> str:
        """The raw key: only for building an auth header or an explicit user request."""
        return self._value

    @property
    def is_plan_key(self) -> bool:
        return self._value.startswith(PLAN_KEY_PREFIX)

    def notices(self) -> tuple[Notice, ...]:
        if self.is_plan_key:
            return (Notice("secrets.plan_key"),)
        if not self._value.startswith("sk-"):
            return (Notice("secrets.unusual_prefix"),)
        return ()

    def masked(self) -> str:
        """`sk-…a1b2`: enough to recognise a key, not enough to use it."""
        v = self._value
        prefix = PLAN_KEY_PREFIX if self.is_plan_key else ("sk-" if v.startswith("sk-") else "")
        tail = v[-4:] if len(v) >= 16 else ""
        return f"{prefix}…{tail}" if prefix or tail else "…"

    def fingerprint(self) -> str:
        """A short digest to compare two keys (e.g. env vs stored) without showing either."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApiKey):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        return f"ApiKey({self.masked()!r})"

    def __str__(self) -> str:
        return self.masked()

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __reduce__(self) -> object:
        raise TypeError("ApiKey cannot be pickled")

    def __copy__(self) -> ApiKey:
        return self

    def __deepcopy__(self, memo: object) -> ApiKey:
        return self


def _validate(raw: object) -> str:
    """Strip paste artefacts and refuse anything that is not a plausible key.

    Messages name the position and code point of a bad character, never the key's text.
    """
    if not isinstance(raw, str):
        raise InvalidApiKey("secrets.key_empty")
    if len(raw) > MAX_KEY_LEN * 4:
        raise InvalidApiKey("secrets.key_too_long", max=MAX_KEY_LEN)
    value = raw.strip(_PASTE_WHITESPACE)
    if len(value) >= 2 and _QUOTES.get(value[0]) == value[-1]:
        value = value[1:-1].strip(_PASTE_WHITESPACE)
    if not value:
        raise InvalidApiKey("secrets.key_empty")
    for pos, ch in enumerate(value, start=1):
        code = ord(ch)
        if ch in _PASTE_WHITESPACE or code == 0x20:
            raise InvalidApiKey("secrets.key_inner_space", pos=pos)
        if code < 0x21 or code == 0x7F:
            raise InvalidApiKey("secrets.key_control_char", pos=pos, code=f"U+{code:04X}")
        if code > 0x7E:
            raise InvalidApiKey("secrets.key_non_ascii", pos=pos, code=f"U+{code:04X}")
    if len(value) < MIN_KEY_LEN:
        raise InvalidApiKey("secrets.key_too_short", min=MIN_KEY_LEN)
    if len(value) > MAX_KEY_LEN:
        raise InvalidApiKey("secrets.key_too_long", max=MAX_KEY_LEN)
    return value


# ---------------------------------------------------------------------------------------------
# Key stores. CONTRACT (used by profiles, CLI, probe and TUI; implemented by the key-storage
# work). Every store call may block (keyring) and is therefore run with a timeout by callers
# that have a UI; the functions here never print and never log the key.
# ---------------------------------------------------------------------------------------------

from dataclasses import dataclass, field  # noqa: E402
from typing import Protocol  # noqa: E402

STORE_KINDS = ("keyring", "env", "file")
DEFAULT_ENV_VAR = "DASHSCOPE_API_KEY"
KEYRING_SERVICE = "modelstudio-setup"
KEYRING_PROBE_TIMEOUT = 15.0


@dataclass(frozen=True)
class KeyRef:
    """Where a profile's key lives: the `api_key` mapping of a profile in config.yaml."""

    store: str = "keyring"  # keyring | env | file
    env: str = DEFAULT_ENV_VAR  # the variable exports reference (and the source for store=env)


@dataclass(frozen=True)
class KeyringStatus:
    """Result of probing the OS keyring before trusting it with a key."""

    available: bool
    backend: str  # e.g. "keyring.backends.SecretService.Keyring"
    reason: str | None = None  # locale key, e.g. "secrets.keyring_locked"
    next_step: str | None = None  # locale key naming what the user can do
    params: dict[str, str] = field(default_factory=dict)


class KeyStore(Protocol):
    kind: str

    def describe(self) -> str:
        """Human status line, e.g. 'OS keyring (SecretService)' / 'plain text file ... (0600)'."""
        ...

    def get(self, profile: str) -> ApiKey | None: ...

    def set(self, profile: str, key: ApiKey) -> None: ...

    def delete(self, profile: str) -> bool: ...
