"""The arithmetic of doctor over time (app.findings.series, app.commands.doctor_watch): the
nearest-rank percentiles, the sparkline, and the loop's bounds and Ctrl+C, with a fake clock
so that no test waits."""

from __future__ import annotations

import pytest

from app.commands.doctor_watch import WatchPlan, run_series
from app.findings.series import SPARK, SPARK_FAIL, percentile, sparkline, stats


def test_percentiles_are_observed_values_by_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95
    assert percentile(values, 100) == 100 and percentile(values, 1) == 1
    # Few samples: p95 of three is the largest, p50 the middle one, never an average.
    assert percentile([30.0, 10.0, 20.0], 50) == 20 and percentile([30.0, 10.0, 20.0], 95) == 30
    assert percentile([7.0], 50) == 7 and percentile([], 50) is None
    assert stats([5.0, 1.0]) == {"n": 2, "p50": 1.0, "p95": 5.0, "max": 5.0}
    assert stats([]) == {"n": 0, "p50": None, "p95": None, "max": None}


def test_the_sparkline_scales_from_fastest_to_slowest_and_marks_failures():
    line = sparkline([10.0, 20.0, None, 90.0])
    assert len(line) == 4
    assert line[0] == SPARK[0] and line[3] == SPARK[-1] and line[2] == SPARK_FAIL
    assert SPARK.index(line[1]) < SPARK.index(line[3])
    assert sparkline([5.0, 5.0]) == SPARK[0] * 2  # all equal: flat, not a division by zero
    assert sparkline([None, None]) == SPARK_FAIL * 2


def test_a_long_series_is_bucketed_and_keeps_the_slow_run_and_the_failure():
    values: list[float | None] = [10.0] * 120
    values[50] = 500.0
    values[100] = None
    line = sparkline(values, width=60)
    assert len(line) == 60
    assert line[25] == SPARK[-1]  # the bucket of run 50 shows its slowest run
    assert line[50] == SPARK_FAIL  # and a failed run is not averaged away
    assert line.count(SPARK[-1]) == 1 and line.count(SPARK_FAIL) == 1


class FakeClock:
    def __init__(self, run_takes: float = 0.0) -> None:
        self.now = 0.0
        self.run_takes = run_takes
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture(autouse=True)
def _sigint_handler_restored():
    """run_series ignores Ctrl+C after an interrupt until doctor releases it (the summary
    must print whole); these tests call it directly, so the handler is put back here."""
    import signal

    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


class FakeResult:
    """What RunSample.of reads of a probe result."""

    def __init__(self) -> None:
        self.checks: list[object] = []
        self.findings: list[object] = []
        self.verdict = "ok"
        self.started_at = "2026-12-07T00:00:00Z"


def _once(clock: FakeClock, interrupt_at: int | None = None):
    calls = {"n": 0}

    def once():
        calls["n"] += 1
        if calls["n"] == interrupt_at:
            raise KeyboardInterrupt
        clock.now += clock.run_takes
        return FakeResult(), None

    return once, calls


def test_runs_start_an_interval_apart_and_a_slow_run_is_not_followed_by_a_wait():
    clock = FakeClock(run_takes=0.25)
    once, calls = _once(clock)
    series = run_series(WatchPlan(4, 1.0, None, False), once, None, clock=clock, sleep=clock.sleep)
    assert calls["n"] == 4 and len(series.samples) == 4 and not series.interrupted
    assert clock.slept == [0.75, 0.75, 0.75]  # start to start is the interval
    assert [s.elapsed_s for s in series.samples] == [0.0, 1.0, 2.0, 3.0]
    slow = FakeClock(run_takes=2.0)
    once, _ = _once(slow)
    run_series(WatchPlan(3, 1.0, None, False), once, None, clock=slow, sleep=slow.sleep)
    assert slow.slept == []  # each run took longer than the interval: the next starts at once


def test_a_watch_stops_at_its_duration_and_ctrl_c_keeps_the_finished_runs():
    clock = FakeClock(run_takes=0.1)
    once, calls = _once(clock)
    series = run_series(
        WatchPlan(1000, 5.0, 12.0, True), once, None, clock=clock, sleep=clock.sleep
    )
    assert calls["n"] == 3  # runs start at 0, 5 and 10 s; the next one would be at 15 > 12
    slow = FakeClock(run_takes=1.2)  # longer than the interval and the whole duration
    once, calls = _once(slow)
    series = run_series(WatchPlan(1000, 0.4, 1.0, True), once, None, clock=slow, sleep=slow.sleep)
    assert [s.elapsed_s for s in series.samples] == [0.0]  # no second run starting at 1.2 s
    clock = FakeClock()
    once, _ = _once(clock, interrupt_at=3)
    series = run_series(WatchPlan(10, 0.0, None, False), once, None, clock=clock, sleep=clock.sleep)
    assert series.interrupted and len(series.samples) == 2
    assert series.exit_code("ok") == 0
    once, _ = _once(clock, interrupt_at=1)
    series = run_series(WatchPlan(10, 0.0, None, False), once, None, clock=clock, sleep=clock.sleep)
    assert series.interrupted and series.samples == [] and series.exit_code("ok") == 130


@pytest.mark.parametrize("verdicts", [("ok", "fail", "ok"), ("warn", "ok")])
def test_the_worst_run_decides_the_exit_code(verdicts):
    clock = FakeClock()
    queue = list(verdicts)

    def once():
        result = FakeResult()
        result.verdict = queue.pop(0)
        return result, None

    series = run_series(
        WatchPlan(len(verdicts), 0.0, None, False), once, None, clock=clock, sleep=clock.sleep
    )
    assert series.exit_code("ok") == 1


def test_after_ctrl_c_a_second_one_is_ignored_until_the_summary_is_out():
    """uv run (or `timeout -s INT`) delivers one Ctrl+C twice: the second must not cut the
    summary of the runs that finished; the handler comes back afterwards."""
    import signal

    from app.commands.doctor_watch import release_interrupts

    before = signal.getsignal(signal.SIGINT)
    clock = FakeClock()
    once, _ = _once(clock, interrupt_at=2)
    series = run_series(WatchPlan(10, 0.0, None, False), once, None, clock=clock, sleep=clock.sleep)
    try:
        assert series.interrupted and len(series.samples) == 1
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        signal.raise_signal(signal.SIGINT)  # the second one: nothing happens
    finally:
        release_interrupts(series)
    assert signal.getsignal(signal.SIGINT) is before
    assert series.exit_code("ok") == 0
