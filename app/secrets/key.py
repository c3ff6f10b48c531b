"""The API key: a wrapper that never shows itself, the checks pasted text must pass, and the
error every key store raises.

The key is the one secret this tool handles. `ApiKey` masks itself everywhere Python might
print it (repr, str, format, tracebacks with locals), so a leak takes a deliberate
`reveal()`. This module is below both app.secrets.keyring and app.secrets.stores, so the
keyring code can raise `KeyStoreError` without importing the stores (SECURITY.md T6-T8).
"""

from __future__ import annotations

import re
from typing import NoReturn

from app.core.errors import Notice, UserError, render
from app.core.text import inert, looks_like_key

MIN_KEY_LEN = 8
MAX_KEY_LEN = 1000
PLAN_KEY_PREFIX = "sk-sp-"
# Temporary keys (official: POST {base}/api/v1/tokens, 1-1800 s): recognised, never refused.
TEMP_KEY_PREFIX = "st-"
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "`": "`"}
_PASTE_WHITESPACE = " \t\r\n\f\v"


def mask(value: str) -> str:
    """`sk-…a1b2` (`sk-sp-…a1b2` for a plan key, `st-…a1b2` for a temporary one): the one
    masking of a key or any token.

    Enough to recognise it, not enough to use it: the last four characters only when the
    value is long enough that four are a small part of it."""
    if value.startswith(PLAN_KEY_PREFIX):
        prefix = PLAN_KEY_PREFIX
    else:
        prefix = next((p for p in ("sk-", TEMP_KEY_PREFIX) if value.startswith(p)), "")
    tail = value[-4:] if len(value) >= 16 else ""
    return f"{prefix}…{tail}" if prefix or tail else "…"


class InvalidApiKey(UserError):
    """The key text cannot be a key; the message never contains the key itself."""


class ApiKey:
    """A validated API key that never shows itself unless `reveal()` is called."""

    __slots__ = ("_value",)
    _value: str  # set once in __init__, through object.__setattr__ (the class refuses it)

    def __init__(self, raw: str) -> None:
        object.__setattr__(self, "_value", _validate(raw))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ApiKey is immutable")

    @classmethod
    def parse(cls, raw: str) -> tuple[ApiKey, tuple[Notice, ...]]:
        """Validate pasted text; return the key and remarks about its shape.

        What users paste around a key is taken off and said aloud (E28): a shell line
        (`DASHSCOPE_API_KEY=sk-…`, `export DASHSCOPE_API_KEY="sk-…"`) or a header value
        (`Bearer sk-…`, `Authorization: Bearer sk-…`). Text on more than one line is
        refused (which line is the key is a guess); empty lines around one line are fine.
        """
        text, stripped = _unwrap_paste(raw) if isinstance(raw, str) else (raw, None)
        key = cls(text)
        said = (Notice("secrets.prefix_stripped", what=stripped),) if stripped else ()
        return key, said + key.notices()

    def reveal(self) -> str:
        """The raw key: only for building an auth header or an explicit user request."""
        return self._value

    @property
    def is_plan_key(self) -> bool:
        return self._value.startswith(PLAN_KEY_PREFIX)

    @property
    def is_temporary(self) -> bool:
        return self._value.startswith(TEMP_KEY_PREFIX)

    def notices(self) -> tuple[Notice, ...]:
        """Remarks on the key's shape, never a refusal (MODEL_STUDIO.md section 3: no fixed
        regex). `sk-…` of any body (32 hex, or `sk-ws-` with a long dotted body) says
        nothing; `sk-sp-` is a plan key whose plan only the ownership probe can tell (both
        plans issue that prefix); `st-` is a temporary key that expires (temporary_expiry
        adds when, if the service said it); anything else may be the wrong secret."""
        if self.is_plan_key:
            return (Notice("secrets.plan_key"),)
        if self.is_temporary:
            return (Notice("secrets.temporary_key"),)
        if not self._value.startswith("sk-"):
            return (Notice("secrets.unusual_prefix"),)
        return ()

    def masked(self) -> str:
        """`sk-…a1b2`: enough to recognise a key, not enough to use it (see `mask`)."""
        return mask(self._value)

    def fingerprint(self) -> str:
        """A short digest to compare two keys (e.g. env vs stored) without showing either."""
        import hashlib  # here: `key get` / `env` never compare keys, and OpenSSL is slow to load

        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ApiKey):
            return NotImplemented
        import hmac  # here, like hashlib above: the hot commands never compare keys

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        return f"ApiKey({self.masked()!r})"

    def __str__(self) -> str:
        return self.masked()

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __reduce__(self) -> NoReturn:
        raise TypeError("ApiKey cannot be pickled")

    def __copy__(self) -> ApiKey:
        return self

    def __deepcopy__(self, memo: object) -> ApiKey:
        return self


def temporary_expiry(expires_at: object) -> Notice | None:
    """ "This temporary key expires at …", from the `expires_at` the service returned with an
    `st-` key (POST /api/v1/tokens): epoch seconds (or milliseconds) or a date text. None
    when the value says nothing usable; a date text is shown inert and short (it came from
    the network)."""
    from datetime import datetime, timezone  # here: only a token issue needs it

    if isinstance(expires_at, bool):
        return None
    if isinstance(expires_at, str) and expires_at.strip().isdigit():
        expires_at = int(expires_at.strip())
    if isinstance(expires_at, int | float):
        seconds = expires_at / 1000 if expires_at > 10**11 else expires_at
        try:
            moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return Notice("secrets.temporary_expires", at=moment.strftime("%Y-%m-%d %H:%M:%S UTC"))
    if isinstance(expires_at, str) and expires_at.strip():
        return Notice("secrets.temporary_expires", at=inert(expires_at.strip(), 40))
    return None


_VAR = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
_ASSIGNMENT = re.compile(  # sh/bash/zsh, PowerShell ($env:), fish (set -gx), cmd (setx)
    rf"(?:(?:export[ \t]+|\$env:)?{_VAR}[ \t]*=|set[ \t]+-[gxU]+[ \t]+{_VAR}|setx[ \t]+{_VAR})"
    r"[ \t]*(?P<rest>\S.*)"
)
_BEARER = re.compile(r"(?:authorization[ \t]*:[ \t]*)?bearer[ \t]+(?P<rest>\S.*)", re.IGNORECASE)


def _unwrap_paste(raw: str) -> tuple[str, str | None]:
    """(the key part of pasted text, the prefix taken off or None); see ApiKey.parse."""
    if len(raw) > MAX_KEY_LEN * 4:
        return raw, None  # _validate says "too long"
    lines = [line for line in raw.splitlines() if line.strip(_PASTE_WHITESPACE)]
    if len(lines) > 1:
        raise InvalidApiKey("secrets.key_multiline", lines=len(lines))
    text = lines[0].strip(_PASTE_WHITESPACE) if lines else raw
    for pattern in (_BEARER, _ASSIGNMENT):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        prefix = text[: match.start("rest")].strip()
        if looks_like_key(prefix) or not prefix:
            continue
        if pattern is _ASSIGNMENT and prefix.lower().startswith("bearer"):
            continue
        return match.group("rest").rstrip(";"), inert(prefix, 60)
    return text, None


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


class KeyStoreError(UserError):
    """A store could not do what was asked; the message names the reason and the next step.

    `reason`, `next_step` and `also` (alternatives) are locale keys so the TUI can lay them out
    separately; the rendered message (CLI) joins them. Parameters never hold the key.
    """

    def __init__(
        self,
        reason: str,
        next_step: str | None = None,
        /,
        *,
        also: str | None = None,
        **params: object,
    ) -> None:
        super().__init__(reason, **params)
        self.reason = reason
        self.next_step = next_step
        self.also = also

    @property
    def message(self) -> str:
        keys = [k for k in (self.reason, self.next_step, self.also) if k]
        return " ".join(render(k, **self.params) for k in keys)
