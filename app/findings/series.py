"""Doctor over time (`doctor --repeat N` / `--watch`): every run's numbers as a sample, and
their summary: per surface and phase p50 / p95 / max, finding counts by code, a sparkline.

"It works, but sometimes it is slow" is a question about a distribution, not one run: the
median says what is usual, p95 and max what users hit now and then, the error counts how
often it fails and how. Percentiles use the nearest-rank rule on the samples that have the
value (a failed run has no inference time), so they are real observed values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from app.core.i18n import t
from app.core.json_out import SCHEMA_VERSION
from app.core.models import PHASE_KEYS
from app.findings.results import ProbeResult
from app.findings.stream_section import StreamSample

# The bounds of a series, the CLI's (app.commands.doctor_watch) and the doctor screen's Watch:
# at most MAX_RUNS runs and MAX_DURATION seconds, so that a typo cannot run forever or fill
# the memory; a watch runs every DEFAULT_WATCH_INTERVAL seconds unless told otherwise.
MAX_RUNS = 1000
MAX_DURATION = 3600.0
DEFAULT_WATCH_INTERVAL = 5.0

SPARK = "▁▂▃▄▅▆▇█"
SPARK_FAIL = "✗"
SPARK_WIDTH = 60
# The numbers kept per surface and run: the engine's phases, the two HTTP steps, and the
# stream check's first token and total.
STEP_KEYS = ("auth_ms", "inference_ms", "reachability_ms")
STREAM_KEYS = ("stream_first_token_ms", "stream_total_ms")
METRICS = (*PHASE_KEYS, *STEP_KEYS, *STREAM_KEYS)


@dataclass
class RunSample:
    """One run of the series: when, its verdict, each surface's numbers and its findings."""

    index: int
    started_at: str
    elapsed_s: float  # since the series began
    verdict: str
    surfaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    stream: list[StreamSample] | None = None

    @classmethod
    def of(
        cls,
        index: int,
        elapsed_s: float,
        result: ProbeResult,
        stream: list[StreamSample] | None,
    ) -> RunSample:
        surfaces: dict[str, dict[str, Any]] = {}
        for check in result.checks:
            if check.role != "profile":
                continue
            values: dict[str, Any] = {k: check.phases.get(k) for k in PHASE_KEYS}
            for step in check.steps:
                values[f"{step.name}_ms"] = step.ms
            values["status"] = check.status
            values["finding"] = check.finding.code if check.finding else None
            values["http_status"] = check.http_status
            values["request_id"] = check.request_id
            surfaces[check.surface] = values
        for s in stream or ():
            if s.surface in surfaces:
                surfaces[s.surface]["stream_first_token_ms"] = s.first_token_ms
                surfaces[s.surface]["stream_total_ms"] = s.total_ms
                surfaces[s.surface]["stream_status"] = s.status
        return cls(
            index,
            result.started_at,
            round(elapsed_s, 3),
            result.verdict,
            surfaces,
            sorted({f.code for f in result.findings}),
            stream,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.index,
            "started_at": self.started_at,
            "elapsed_s": self.elapsed_s,
            "verdict": self.verdict,
            "surfaces": self.surfaces,
            "findings": self.findings,
            "stream": [s.to_json() for s in self.stream] if self.stream is not None else None,
        }


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest sample with at least p% of the samples at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def stats(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else None,
    }


def surfaces_of(samples: list[RunSample]) -> list[str]:
    return list(dict.fromkeys(s for run in samples for s in run.surfaces))


def summary(samples: list[RunSample]) -> dict[str, Any]:
    """What the series shows: per surface and metric n / p50 / p95 / max, failures per
    surface, finding counts (runs in which each code was found), verdict counts."""
    per_surface: dict[str, Any] = {}
    for surface in surfaces_of(samples):
        rows = [run.surfaces[surface] for run in samples if surface in run.surfaces]
        metrics = {}
        for key in METRICS:
            values = [float(r[key]) for r in rows if isinstance(r.get(key), int | float)]
            if values:
                metrics[key] = stats(values)
        per_surface[surface] = {
            "runs": len(rows),
            "failed": sum(1 for r in rows if r.get("status") == "fail"),
            "metrics": metrics,
        }
    errors: dict[str, int] = {}
    for run in samples:
        for code in run.findings:
            errors[code] = errors.get(code, 0) + 1
    verdicts: dict[str, int] = {}
    for run in samples:
        verdicts[run.verdict] = verdicts.get(run.verdict, 0) + 1
    return {
        "runs": len(samples),
        "verdicts": verdicts,
        "surfaces": per_surface,
        "findings": dict(sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def worst_verdict(samples: list[RunSample]) -> str:
    order = {"ok": 0, "warn": 1, "fail": 2}
    return max((s.verdict for s in samples), key=lambda v: order.get(v, 2), default="ok")


def sparkline(values: list[float | None], width: int = SPARK_WIDTH) -> str:
    """One character per run (the latest `width` runs... bucketed when there are more: each
    bucket shows its slowest run), scaled from the fastest to the slowest; ✗ for a run that
    has no value (it failed)."""
    if len(values) > width:
        size = math.ceil(len(values) / width)
        buckets = [values[i : i + size] for i in range(0, len(values), size)]
        values = [None if None in b else max(v for v in b if v is not None) for b in buckets]
    present = [v for v in values if v is not None]
    if not present:
        return SPARK_FAIL * len(values)
    low, high = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append(SPARK_FAIL)
        elif high == low:
            out.append(SPARK[0])
        else:
            out.append(SPARK[min(len(SPARK) - 1, int((v - low) / (high - low) * len(SPARK)))])
    return "".join(out)


def series_of(samples: list[RunSample], surface: str, key: str = "total_ms") -> list[float | None]:
    """One surface's values of `key` over the runs; None where the run failed there."""
    out: list[float | None] = []
    for run in samples:
        row = run.surfaces.get(surface)
        value = row.get(key) if row else None
        failed = row is None or row.get("status") == "fail"
        out.append(None if failed or not isinstance(value, int | float) else float(value))
    return out


def _ms(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def text_lines(samples: list[RunSample], *, interrupted: bool) -> list[str]:
    """The summary block of `doctor --repeat / --watch` in the terminal."""
    info = summary(samples)
    head = "doctor_watch.summary_interrupted" if interrupted else "doctor_watch.summary_title"
    lines = [t(head, runs=info["runs"])]
    verdicts = ", ".join(
        f"{t(f'doctor.verdict_word_{v}')} {n}" for v, n in info["verdicts"].items()
    )
    lines.append("  " + t("doctor_watch.verdicts", verdicts=verdicts or "-"))
    for surface, data in info["surfaces"].items():
        name = t(f"doctor.surface_{surface}")
        lines.append("")
        failed = t("doctor_watch.failed_runs", failed=data["failed"], runs=data["runs"])
        lines.append(f"  {name} · {failed}")
        lines.append(
            "    " + t("doctor_watch.sparkline", line=sparkline(series_of(samples, surface)))
        )
        lines.append(f"    {'':<22} {'p50':>7} {'p95':>7} {'max':>7}  (ms, n)")
        for key, st in data["metrics"].items():
            label = t(f"doctor_watch.metric_{key}")
            lines.append(
                f"    {label:<22} {_ms(st['p50']):>7} {_ms(st['p95']):>7} {_ms(st['max']):>7}"
                f"  n={st['n']}"
            )
    lines.append("")
    if info["findings"]:
        lines.append("  " + t("doctor_watch.findings_title"))
        for code, count in info["findings"].items():
            lines.append("    " + t("doctor_watch.finding_count", code=code, runs=count))
    else:
        lines.append("  " + t("doctor_watch.no_findings"))
    return lines


def run_line(run: RunSample) -> str:
    """One live line per finished run: `#3  +2.0 s  ok  openai 120 ms · …`."""
    parts = []
    for surface, row in run.surfaces.items():
        total = row.get("total_ms")
        mark = {"pass": "", "warn": "!", "fail": "✗", "skip": "-"}.get(row.get("status") or "", "")
        part = f"{surface} {_ms(total)} ms{mark}"
        if row.get("stream_first_token_ms") is not None:
            part += " " + t("doctor_watch.run_first_token", ms=_ms(row["stream_first_token_ms"]))
        parts.append(part)
    word = t(f"doctor.verdict_word_{run.verdict}")
    codes = f"  [{', '.join(run.findings)}]" if run.findings else ""
    return f"#{run.index:<4} +{run.elapsed_s:>7.1f} s  {word:<5} " + " · ".join(parts) + codes


def to_json(samples: list[RunSample], *, interrupted: bool) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "interrupted": interrupted,
        "samples": [s.to_json() for s in samples],
        "summary": summary(samples),
    }


def markdown_lines(samples: list[RunSample], *, interrupted: bool) -> list[str]:
    """The summary for the report file: the same lines in a code block (shown literally)."""
    body = [line.replace("```", "'''") for line in text_lines(samples, interrupted=interrupted)]
    return ["", f"## {t('doctor_watch.report_title')}", "", "```", *body, "```"]
