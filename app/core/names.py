"""The one rule for profile names, and how a refused value is shown.

A profile name becomes a keyring user name, a key file name (`keys/<name>.key`) and a word
in commands the tool prints: it must be one safe path segment that is not an API key. The
same rule holds wherever a name comes from: `configure --profile`, the wizard, `key set`,
the key stores (app.secrets) and every profile name read back from a config file
(app.config.validate). It lives here, below secrets and config, so all of them can use it.
"""

from __future__ import annotations

import re
import reprlib

from app.core.errors import UserError, refuse_if_key
from app.core.i18n import t
from app.core.text import looks_like_key

# Also the `<profile>` half of a scoped keyring user (app.secrets.stores.ACCOUNT_RE).
PROFILE_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_PROFILE_NAME = re.compile(PROFILE_NAME_PATTERN)


def _shape_ok(name: object) -> bool:
    return isinstance(name, str) and bool(_PROFILE_NAME.fullmatch(name)) and ".." not in name


def profile_name_ok(name: object) -> bool:
    """True when `name` may name a profile: 1-64 of letters, digits, `_ . -` (starting with
    a letter or digit), no `..`, and not shaped like an API key."""
    return _shape_ok(name) and not looks_like_key(name)


def check_profile_name(name: object) -> str:
    """`name` when profile_name_ok, else UserError (exit 2): the bad-name message, or the
    "that looks like a key" one that never repeats the value (T16)."""
    if not _shape_ok(name):
        raise UserError("profiles.bad_profile_name", name=safe_repr(name))
    if looks_like_key(name):  # only then the message: a good name loads no locale file
        refuse_if_key(name, t("profiles.what_profile_name"))
    return name  # type: ignore[return-value]  # _shape_ok: a str


def safe_repr(value: object, limit: int = 80) -> str:
    """Show a bad value without letting control characters reach the terminal.

    Bounded work whatever the value: a list or mapping from a hostile file may share its
    parts (aliases) and expand to billions of items under a plain repr() (sweep S7).
    """
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
