"""Temporary API keys (`st-…`): `POST /api/v1/tokens?expire_in_seconds=N` (MODEL_STUDIO.md
section 3). A temporary key stands for its parent key until it expires, then it is just an
unknown key (401 InvalidApiKey), which is what a CI job holding a stale one sees.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from app.simulator import errors as simerr
from app.simulator.accounts import Account

MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 1, 1800, 60


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: int  # unix seconds
    parent: Account


def expiry_seconds(query: str) -> int | simerr.SimError:
    """The requested lifetime, or the 400 for a value out of 1-1800 or not an integer."""
    raw = dict(parse_qsl(query, keep_blank_values=True)).get("expire_in_seconds")
    if raw is None:
        return DEFAULT_SECONDS
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not MIN_SECONDS <= int(text) <= MAX_SECONDS:
        return simerr.bad_request(
            f"expire_in_seconds must be an integer from {MIN_SECONDS} to {MAX_SECONDS}."
        )
    return int(text)


class TokenIssuer:
    """The temporary keys issued so far; thread-safe (tests read from another thread)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._issued: dict[str, Issued] = {}
        self._lock = threading.Lock()

    def issue(self, parent: Account, seconds: int) -> Issued:
        token = "st-" + secrets.token_hex(16)
        issued = Issued(token, int(self.clock()) + seconds, parent)
        with self._lock:
            self._issued[token] = issued
        return issued

    def resolve(self, key: str) -> Account | None:
        """The parent account of a live temporary key; None when unknown or expired."""
        with self._lock:
            issued = self._issued.get(key)
        if issued is None or self.clock() >= issued.expires_at:
            return None
        return issued.parent

    def is_temporary(self, key: str | None) -> bool:
        with self._lock:
            return key is not None and key in self._issued
