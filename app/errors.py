"""Errors a user can act on, carrying a locale key instead of a baked-in English string.

The message is rendered when shown, so the same error reads correctly in either language.
Parameters must never contain the API key: callers pass masked values only.
"""

from __future__ import annotations

import re
from typing import Any

from app.i18n import t

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_NO_SECURE_STORE = 3


# A key anywhere in a value, also quoted ('sk-…' from a repr); a masked key (sk-…a1b2) is not.
_KEY_LIKE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}")
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def _escape_controls(text: str) -> str:
    """Show control characters as escapes (`\\x1b`), so a typed value cannot drive the terminal.

    Newlines and tabs stay: messages nest other messages. ESC, CR, BEL, DEL, C1 controls
    and bidi overrides are what can clear the screen or disguise the text around them.
    """

    def shown(ch: str) -> str:
        code = ord(ch)
        if ch in "\n\t":
            return ch
        if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or ch in _BIDI:
            return repr(ch)[1:-1] if code < 0x100 else f"\\u{code:04x}"
        return ch

    if all(ch.isprintable() or ch in "\n\t" for ch in text):
        return text
    return "".join(shown(ch) for ch in text)


def looks_like_key(value: str) -> bool:
    """True when an API key (not a masked one) appears in `value`."""
    return _KEY_LIKE.search(value) is not None


def _hide_keys(params: dict[str, Any]) -> dict[str, Any]:
    """A user may paste the key where another value belongs; never echo such a value back.

    Every other text parameter has its control characters escaped (sweep S4).
    """
    return {
        k: ("<hidden>" if _KEY_LIKE.search(v) else _escape_controls(v)) if isinstance(v, str) else v
        for k, v in params.items()
    }


class UserError(Exception):
    """Bad input or an unusable environment; the CLI prints it and exits with `exit_code`."""

    exit_code = EXIT_USAGE

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    @property
    def message(self) -> str:
        return t(self.key, **_hide_keys(self.params))

    def __str__(self) -> str:
        return self.message


class Notice:
    """A non-fatal remark about an input (unusual prefix, plan key)."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    @property
    def message(self) -> str:
        return t(self.key, **_hide_keys(self.params))

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Notice({self.key!r})"
