"""Errors a user can act on, carrying a locale key instead of a baked-in English string.

The message is rendered when shown, so the same error reads correctly in either language.
Parameters must never contain the API key: callers pass masked values only.
"""

from __future__ import annotations

from typing import Any

from app.core.i18n import t
from app.core.text import hide_if_key, inert, looks_like_key

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_NO_SECURE_STORE = 3


def _hide_keys(params: dict[str, Any]) -> dict[str, Any]:
    """A user may paste the key where another value belongs; never echo such a value back.

    Every other text parameter has its control characters escaped (sweep S4).
    """
    return {k: hide_if_key(v) if isinstance(v, str) else v for k, v in params.items()}


def render(key: str, /, **params: Any) -> str:
    """The message `key` with every text parameter made inert and hidden when key-shaped.

    The one way an error or notice turns parameters into text: a subclass that renders
    several messages (a reason inside a frame, a next step) calls this for each of them, so
    no parameter that came from a config file, a variable or a server reaches the terminal
    raw (QA B7: ConfigError formatted raw YAML keys and profile names itself).
    """
    return t(key, **_hide_keys(params))


def refuse_if_key(value: object, what: str, message: str = "profiles.field_looks_like_key") -> None:
    """A non-secret field (workspace ID, model, profile name, path, proxy, pin) that holds
    an API key is refused without echoing it (SECURITY.md T16): it would be written into the
    config and key-less exports, shown, or resolved in DNS."""
    if looks_like_key(value):
        raise KeyInField(message, what=what)


class UserError(Exception):
    """Bad input or an unusable environment; the CLI prints it and exits with `exit_code`."""

    exit_code = EXIT_USAGE
    # Errors whose parameters are single values the user typed (a path, a flag's value) set
    # this: their newlines are escaped too, not only kept as in nested message text.
    single_line_params = False

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        if self.single_line_params:
            params = {k: inert(v) if isinstance(v, str) else v for k, v in params.items()}
        self.params = params
        super().__init__(key)

    @property
    def message(self) -> str:
        return render(self.key, **self.params)

    def __str__(self) -> str:
        return self.message


class KeyInField(UserError):
    """An API key was given where a non-secret value belongs (exit 2, never echoed)."""


class Notice:
    """A non-fatal remark about an input (unusual prefix, plan key)."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    @property
    def message(self) -> str:
        return render(self.key, **self.params)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Notice({self.key!r})"
