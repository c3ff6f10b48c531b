"""The streaming check's results (doctor --stream), as data and as report lines.

One `StreamSample` per surface: when the response headers, the first event and the first
token arrived, how many events came in how many reads, and whether the final event came.
The probe (app.probe.stream) fills them; the report (text, Markdown, JSON) and the series
of `doctor --repeat / --watch` (app.findings.series) read them. They live in the findings
layer, like CheckResult, so that no reader of results imports the network code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.i18n import t

# Row status of a stream: it streamed; it arrived all at once (buffered); it ended before its
# final event (cut); the request failed before any event (failed, with the finding's code);
# too few events to judge the timing (few_events, still complete).
STREAM_STATUSES = ("ok", "buffered", "cut", "failed", "few_events")
_SYMBOLS = {"ok": "✓", "buffered": "!", "cut": "✗", "failed": "✗", "few_events": "-"}


@dataclass
class StreamSample:
    """One SSE request of one surface, timed from the moment it was sent (milliseconds)."""

    surface: str
    host: str
    region: str
    status: str = "failed"
    http_status: int | None = None
    headers_ms: float | None = None  # response headers received
    first_event_ms: float | None = None
    first_token_ms: float | None = None  # first event that carried text
    last_event_ms: float | None = None
    total_ms: float | None = None
    events: int = 0
    reads: int = 0  # network reads that brought at least one event
    final_event: bool = False
    code: str | None = None  # the finding of a failed or cut stream
    request_id: str | None = None

    @property
    def spread_ms(self) -> float | None:
        """Time from the first event to the last: near zero for a buffered stream."""
        if self.first_event_ms is None or self.last_event_ms is None:
            return None
        return round(self.last_event_ms - self.first_event_ms, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "host": self.host,
            "region": self.region,
            "status": self.status,
            "http_status": self.http_status,
            "headers_ms": self.headers_ms,
            "first_event_ms": self.first_event_ms,
            "first_token_ms": self.first_token_ms,
            "last_event_ms": self.last_event_ms,
            "total_ms": self.total_ms,
            "spread_ms": self.spread_ms,
            "events": self.events,
            "reads": self.reads,
            "final_event": self.final_event,
            "finding": self.code,
            "request_id": self.request_id,
        }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def row_text(sample: StreamSample) -> str:
    """`✓ OpenAI-compatible  first token 42 ms · total 120 ms · 5 events in 5 reads`."""
    name = t(f"doctor.surface_{sample.surface}")
    word = t(f"doctor_watch.stream_status_{sample.status}")
    details = t(
        "doctor_watch.stream_row",
        first_token=_ms(sample.first_token_ms),
        total=_ms(sample.total_ms),
        events=sample.events,
        reads=sample.reads,
    )
    return f"{_SYMBOLS.get(sample.status, '?')} {name:<22} {word:<10} {details}"


def text_lines(samples: list[StreamSample] | None) -> list[str]:
    """The report's "Streaming check" section; nothing when the check did not run."""
    if samples is None:
        return []
    lines = ["", t("doctor_watch.stream_title")]
    if not samples:
        lines.append("  " + t("doctor_watch.stream_none"))
    lines += ["  " + row_text(s) for s in samples]
    return lines


def markdown_lines(samples: list[StreamSample] | None, cell: Callable[[object], str]) -> list[str]:
    """The same section as a Markdown table (`cell` makes each value table-safe)."""
    if samples is None:
        return []
    out = ["", f"## {t('doctor_watch.stream_title')}", ""]
    cols = ["surface", "status", "headers", "first token", "total", "events", "reads", "final"]
    out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for s in samples:
        row = [
            s.surface,
            s.status,
            s.headers_ms,
            s.first_token_ms,
            s.total_ms,
            s.events,
            s.reads,
            "yes" if s.final_event else "no",
        ]
        out.append("| " + " | ".join(cell(v) for v in row) + " |")
    return out
