"""Faults the simulator injects on demand, and which request each one applies to.

Every network failure the doctor must diagnose (SECURITY.md's bad-input list) has a fault
here, so a test can produce the failure on a real socket instead of mocking the client.
A fault can be narrowed to one host, one key (or account name) and one path prefix, and can
be limited to the first N matching requests, e.g. to prove a retry recovers.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field

# Kinds that replace the normal answer with another one.
RESPONSE_KINDS = (
    "hang",
    "redirect",
    "html",
    "huge",
    "nested_json",
    "endless_brackets",
    "huge_list",
    "malformed_json",
    "rate_limit",
    "burst",
    "quota",
    "server_error",
    "unavailable",
    "status",
)
# Kinds that change how the normal answer is delivered. The stream kinds act on an SSE
# answer only (any other answer goes out as usual), as a middlebox on the path would.
STREAM_KINDS = ("stream_buffer", "stream_cut")
DELIVERY_KINDS = ("drip", "reset", *STREAM_KINDS)
KINDS = ("latency", *DELIVERY_KINDS, *RESPONSE_KINDS)

HUGE_BODY_BYTES = 50 * 1024 * 1024


@dataclass
class Fault:
    """One injected misbehaviour.

    kind: latency | drip | reset | stream_buffer | stream_cut | hang | redirect | html | huge |
          nested_json | endless_brackets | huge_list | malformed_json | rate_limit | burst |
          quota | server_error | unavailable | status
    Parameters by kind:
      latency      `seconds` before the response headers.
      drip         the normal body sent `chunk_size` bytes at a time, `chunk_delay` seconds apart
                   (or at `rate` bytes per second), so that a client deadline expires mid-body.
      reset        headers and part of the body, then a TCP reset.
      stream_buffer an SSE answer held back whole, as a buffering proxy or scanner does: the
                   events are produced at the usual pace, then sent at once, headers included
                   (with a Content-Length), when the last one is ready.
      stream_cut   an SSE answer cut after its first `events` events (default 2): the
                   connection closes without the final event or the end of the chunked body.
      hang         request read, nothing ever sent (until the client gives up or the server stops).
      redirect     `status` 301 (default) or 302 to `location` (default: https://example.com/).
      html         200 text/html captive-portal page.
      huge         200 application/json with a `size`-byte body (default 50 MB).
      nested_json  `status` (default 200) application/json: `depth` nested arrays
                   (`[[[…]]]`, default 1000: a 2 KB body that overflows a recursive parser).
      endless_brackets `status` (default 200) application/json, chunked, `[` forever.
      huge_list    200, a valid model list (the surface's shape) of `entries` models (200 000).
      malformed_json `status` (default 200) application/json, a model list cut mid-way.
      rate_limit   429 limit_requests / Throttling.RateQuota with Retry-After `retry_after`.
      burst        429 Throttling.RateQuota "Request rate increased too quickly" (a burst).
      quota        429 insufficient_quota / Throttling.AllocationQuota.
      server_error 500 internal_error / InternalError.
      unavailable  503 ModelUnavailable.
      status       any `status` with any `code` (and `message`) in the surface's error envelope.
    Filters (None = any): `host` (exact or fnmatch pattern), `key` (raw key or account name),
    `path_prefix`. `times`: apply to this many matching requests, then stop (None = forever).
    """

    kind: str
    host: str | None = None
    key: str | None = field(
        default=None, repr=False
    )  # may be a raw (fake) key: keep it out of logs
    path_prefix: str | None = None
    times: int | None = None
    seconds: float = 0.0
    chunk_size: int = 1
    chunk_delay: float = 0.5
    rate: float | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    location: str | None = None
    retry_after: int = 2
    size: int = HUGE_BODY_BYTES
    depth: int = 1000
    entries: int = 200_000
    events: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        if self.kind == "status" and self.status is None:
            raise ValueError("a 'status' fault needs status= (and usually code=)")
        if self.kind == "redirect" and self.status not in (None, 301, 302, 303, 307, 308):
            raise ValueError("a 'redirect' fault needs a 3xx status")
        if self.kind == "huge" and self.size < 16:
            raise ValueError("a 'huge' fault needs size >= 16 bytes")
        if self.kind == "huge_list" and self.entries < 1:
            raise ValueError("a 'huge_list' fault needs entries >= 1")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0")
        if self.kind == "stream_cut" and self.events < 0:
            raise ValueError("a 'stream_cut' fault needs events >= 0")
        if self.kind == "drip":
            if self.rate is not None and self.rate <= 0:
                raise ValueError("rate must be > 0 bytes per second")
            if self.chunk_size < 1:
                raise ValueError("chunk_size must be >= 1")

    @property
    def drip_delay(self) -> float:
        """Seconds between two chunks of a drip."""
        if self.rate is not None:
            return self.chunk_size / self.rate
        return self.chunk_delay

    def matches(self, host: str, path: str, key: str | None, account: str | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.host is not None and not fnmatch.fnmatchcase(host, self.host.lower()):
            return False
        if self.path_prefix is not None and not path.startswith(self.path_prefix):
            return False
        return self.key is None or self.key in (key, account)


class FaultSet:
    """The active faults; thread-safe because tests inject from another thread than the loop."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, host: str, path: str, key: str | None, account: str | None) -> list[Fault]:
        """The faults for this request (each use counted): all latencies, then at most one
        delivery fault and one response fault, the first injected of each winning."""
        chosen: list[Fault] = []
        seen_delivery = seen_response = False
        with self._lock:
            for fault in self._faults:
                if not fault.matches(host, path, key, account):
                    continue
                if fault.kind in DELIVERY_KINDS:
                    if seen_delivery:
                        continue
                    seen_delivery = True
                elif fault.kind in RESPONSE_KINDS:
                    if seen_response:
                        continue
                    seen_response = True
                if fault.times is not None:
                    fault.times -= 1
                chosen.append(fault)
        return chosen
