"""Errors a user can act on, carrying a locale key instead of a baked-in English string.

The message is rendered when shown, so the same error reads correctly in either language.
Parameters must never contain the API key: callers pass masked values only.
"""

from __future__ import annotations

from typing import Any

from app.i18n import t
from app.text import hide_if_key, inert

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_NO_SECURE_STORE = 3


def _escape_controls(text: str) -> str:
    """Messages nest other messages, so newlines and tabs stay; everything else that could
    act on a terminal is escaped (one mechanism: app.text.inert)."""
    return inert(text, keep_newlines=True)


def _hide_keys(params: dict[str, Any]) -> dict[str, Any]:
    """A user may paste the key where another value belongs; never echo such a value back.

    Every other text parameter has its control characters escaped (sweep S4).
    """
    return {k: hide_if_key(v) if isinstance(v, str) else v for k, v in params.items()}


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
