"""`doctor --repeat N [--interval S]`, `doctor --watch [--duration S]` and `--stream`: the
options, their checks (before any packet), and the loop of repeated runs.

Bounds, so that a typo cannot run forever or fill the memory: at most MAX_RUNS runs in
either mode, a watch ends after --duration (default and cap: DEFAULT_DURATION /
MAX_DURATION seconds), and the interval is capped too. Ctrl+C ends the series: the runs
that finished are summarised and the command exits with their verdict (like `ping`); only
when no run finished is the exit 130. The profile's verified stamp and the report are
those of the last finished run, the exit code the worst run's (an intermittent failure
is exactly what a user repeats doctor to catch).
"""

from __future__ import annotations

import argparse
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from app.core.errors import EXIT_OK, EXIT_PROBLEMS, UserError
from app.core.i18n import t
from app.findings.series import DEFAULT_WATCH_INTERVAL, MAX_DURATION, MAX_RUNS

MAX_INTERVAL = 3600.0
DEFAULT_INTERVAL = 1.0
DEFAULT_DURATION = 3600.0
EXIT_INTERRUPTED = 130


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeat", metavar="N", help=t("doctor_watch.opt_repeat", max=MAX_RUNS))
    p.add_argument("--interval", metavar="SECONDS", help=t("doctor_watch.opt_interval"))
    p.add_argument("--watch", action="store_true", help=t("doctor_watch.opt_watch"))
    p.add_argument("--duration", metavar="SECONDS", help=t("doctor_watch.opt_duration"))
    p.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=t("doctor_watch.opt_stream"),
    )


@dataclass(frozen=True)
class WatchPlan:
    """How many runs, how far apart (seconds between two run starts), for how long."""

    runs: int
    interval: float
    duration: float | None  # only a watch has one
    watch: bool


def _number(raw: str, option: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise UserError(
            "doctor_watch.bad_number", option=option, value=raw, low=f"{low:g}", high=f"{high:g}"
        )
    return value


def parse_plan(args: argparse.Namespace) -> WatchPlan | None:
    """The series the flags ask for (None: one run); UserError (exit 2) for bad values."""
    repeat, watch = getattr(args, "repeat", None), getattr(args, "watch", False)
    interval, duration = getattr(args, "interval", None), getattr(args, "duration", None)
    if repeat is not None and watch:
        raise UserError("doctor_watch.repeat_and_watch")
    if repeat is None and not watch:
        if interval is not None or duration is not None:
            raise UserError("doctor_watch.needs_repeat")
        return None
    if duration is not None and not watch:
        raise UserError("doctor_watch.duration_needs_watch")
    if getattr(args, "tui", False):
        raise UserError("doctor_watch.not_with_tui")
    if watch:
        every = _number(interval, "--interval", 0, MAX_INTERVAL) if interval else None
        limit = _number(duration, "--duration", 1, MAX_DURATION) if duration else None
        return WatchPlan(
            MAX_RUNS,
            DEFAULT_WATCH_INTERVAL if every is None else every,
            limit or DEFAULT_DURATION,
            True,
        )
    text = str(repeat).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_RUNS:
        raise UserError("doctor_watch.bad_repeat", value=str(repeat), max=MAX_RUNS)
    every = _number(interval, "--interval", 0, MAX_INTERVAL) if interval else DEFAULT_INTERVAL
    return WatchPlan(int(text), every, None, False)


def wants_stream(args: argparse.Namespace, plan: WatchPlan | None) -> bool:
    """--stream / --no-stream when given; else on in a watch, off otherwise."""
    chosen = getattr(args, "stream", None)
    if chosen is not None:
        return bool(chosen)
    return plan is not None and plan.watch


@dataclass
class Series:
    """The finished runs (as samples), the last one's result, and whether Ctrl+C ended it."""

    samples: list[Any] = field(default_factory=list)
    last: tuple[Any, Any] | None = None
    interrupted: bool = False
    # The SIGINT handler to put back once the summary is out (see hold_interrupts).
    held: Any = None

    def exit_code(self, final_verdict: str) -> int:
        from app.findings.series import worst_verdict  # lazy: as in doctor.run()

        if not self.samples:
            return EXIT_INTERRUPTED
        ok = worst_verdict(self.samples) == "ok" and final_verdict == "ok"
        return EXIT_OK if ok else EXIT_PROBLEMS


def run_series(
    plan: WatchPlan,
    once: Callable[[], tuple[Any, Any]],
    live: TextIO | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Series:
    """Run `once` until the plan's count or duration is reached, or Ctrl+C; a live line
    per run on `live`. Runs start `interval` seconds apart (at once when one took longer)."""
    from app.findings.series import RunSample, run_line  # lazy: as in doctor.run()

    series = Series()
    started = clock()
    try:
        while len(series.samples) < plan.runs:
            run_started = clock()
            result, stream = once()
            sample = RunSample.of(len(series.samples) + 1, run_started - started, result, stream)
            series.samples.append(sample)
            series.last = (result, stream)
            if live is not None:
                print(run_line(sample), file=live, flush=True)
            # A run longer than the interval is followed at once: the next start is then
            # now, and it must still fall within the duration.
            next_start = max(run_started + plan.interval, clock())
            if len(series.samples) >= plan.runs:
                break
            if plan.duration is not None and next_start - started >= plan.duration:
                break
            wait = next_start - clock()
            if wait > 0:
                sleep(wait)
    except KeyboardInterrupt:
        series.interrupted = True
        series.held = hold_interrupts()
    return series


def hold_interrupts() -> Any:
    """Ignore further Ctrl+C until the summary is out (release_interrupts puts the handler
    back): under `uv run`, or with `timeout -s INT`, the one Ctrl+C reaches Python twice
    (uv forwards the terminal's signal), and the second would cut the summary and exit 130
    after finished runs. None when not on the main thread (no handler can be set there)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def release_interrupts(series: Series | None) -> None:
    """The SIGINT handler as it was before the series was interrupted."""
    if series is not None and series.held is not None:
        signal.signal(signal.SIGINT, series.held)
        series.held = None


def print_start(plan: WatchPlan, live: TextIO) -> None:
    if plan.watch:
        line = t(
            "doctor_watch.start_watch", interval=f"{plan.interval:g}", duration=f"{plan.duration:g}"
        )
    else:
        line = t("doctor_watch.start_repeat", runs=plan.runs, interval=f"{plan.interval:g}")
    print(line, file=live, flush=True)


def text_summary(series: Series) -> str:
    from app.findings.series import text_lines  # lazy: as in doctor.run()

    return "\n".join(["", *text_lines(series.samples, interrupted=series.interrupted), ""]) + "\n"


def interrupted_output(series: Series, *, as_json: bool) -> str:
    """What stdout gets when Ctrl+C came before any run finished: the (empty) summary, as
    text or as the --json document with no last run."""
    if not as_json:
        return text_summary(series)
    from app.core.json_out import dumps  # lazy: only --json prints JSON

    return dumps({**json_summary(series), "last_run": None}) + "\n"


def json_summary(series: Series) -> dict[str, Any]:
    from app.findings.series import to_json  # lazy: as in doctor.run()

    return to_json(series.samples, interrupted=series.interrupted)


def markdown_summary(series: Series) -> str:
    from app.findings.series import markdown_lines  # lazy: as in doctor.run()

    return "\n".join(markdown_lines(series.samples, interrupted=series.interrupted)) + "\n"
