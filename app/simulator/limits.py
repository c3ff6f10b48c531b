"""The trial host's requests-per-minute limit (RPM 1000, MODEL_STUDIO.md section 2).

A sliding one-minute window per key; an account's `trial_rpm` lowers the limit so a test
reaches the 429 in a few requests instead of a thousand.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RpmWindow:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, who: str, limit: int) -> bool:
        """Count this request; False when `who` already made `limit` in the last minute."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(who, deque())
            while seen and now - seen[0] >= WINDOW_SECONDS:
                seen.popleft()
            if len(seen) >= limit:
                return False
            seen.append(now)
            return True
