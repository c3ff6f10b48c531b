"""What the readers hand the judge: one value a client reads (`Item`) and one file that could
not be read (`Problem`). Kept apart so the readers and the judge share them without a cycle.

An Item carries the raw value because the judge must compare it (a key with the profile's,
a URL's host with the profile's); it is never shown: `repr` leaves it out and everything
that leaves this package is built from `shown` values (app.clients.judge).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.secrets.key import ApiKey

ENVIRONMENT = "environment"


@dataclass(frozen=True)
class Item:
    """One value found: a variable (`DASHSCOPE_API_KEY`) or a setting
    (`modelProviders.openai[0].baseUrl`) in the environment or a file.

    `kind` / `expects` as in app.clients.table; `layers` are the precedence layers the
    source fills (PRECEDENCE; none for a file no client picks now), `var` the variable
    name when the setting sets one (an `env` block, a `.env` line), so the precedence of
    that variable can be followed across sources.
    """

    source: str  # "environment" or the path as shown (HOME as ~)
    name: str
    kind: str
    clients: tuple[str, ...]
    layers: tuple[str, ...]
    value: str = field(repr=False)
    line: int | None = None
    expects: str | None = None
    var: str | None = None
    path: Path | None = field(default=None, repr=False)
    note: str | None = None  # e.g. "symlink to ~/dotfiles/.env"
    spec: str | None = None  # the file's kind (app.clients.table.FILES); None: environment

    @property
    def in_file(self) -> bool:
        return self.source != ENVIRONMENT


@dataclass(frozen=True)
class Problem:
    """A file a client would read that we could not read (or not whole): `reason` is a tag
    (too_large, not_a_file, unreadable, broken_link, malformed, too_deep, multiline,
    parse_error) shown as words by the finding `client_file_unreadable`; `detail` is a
    short inert text (a parser's line, the size)."""

    source: str
    reason: str
    detail: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Entry:
    """One line of "what the clients see": a value as it may be shown (a URL or model as
    is, a secret only masked) and its status: ok, elsewhere, bad_path, differs, unserved,
    reference (names another variable or a command), set (not judged), empty, other (a
    setting of another provider). `used_by`: the clients that use this very value now."""

    clients: tuple[str, ...]
    source: str
    line: int | None
    name: str
    shown: str
    status: str
    used_by: tuple[str, ...] = ()
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "clients": list(self.clients),
            "source": self.source,
            "line": self.line,
            "name": self.name,
            "value": self.shown,
            "status": self.status,
            "used_by": list(self.used_by),
            "note": self.note,
        }


@dataclass(frozen=True)
class StrayKey:
    """A key stored in plain text in a file: where, masked, and whether it is the profile's
    (None: no stored key to compare with). `key` is for a later `key import` (the Welcome
    screen offers to move it into the keyring); it masks itself, and a key that is not the
    profile's is never used by doctor."""

    source: str
    line: int | None
    variable: str
    masked: str
    ours: bool | None
    path: Path | None = field(default=None, repr=False)
    key: ApiKey | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "line": self.line,
            "variable": self.variable,
            "key": self.masked,
            "ours": self.ours,
        }
