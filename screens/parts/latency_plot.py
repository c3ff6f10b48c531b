"""The doctor screen's latency over time: one sparkline per surface, with p50 / p95 / max.

"It works, but sometimes it is slow" needs more than one run. Every run of the doctor
screen (the first, Retry, the region search, and the runs of Watch) is kept as a sample,
the same `RunSample` that `doctor --repeat / --watch` keeps, and drawn with the same
sparkline and percentiles (app.findings.series), so the screen and the CLI cannot
disagree about what "p95" means. A failed run shows as ✗ in its surface's line. Shown
from the second run on; a language switch redraws it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.widgets import Static

from app.core.i18n import t
from app.findings.results import ProbeResult
from app.findings.series import (
    MAX_RUNS,
    RunSample,
    series_of,
    sparkline,
    summary,
    surfaces_of,
)

PLOT_WIDTH = 40  # characters of sparkline: the latest runs, bucketed beyond that
MAX_SAMPLES = MAX_RUNS  # as many as `doctor --watch` keeps


def _ms(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.0f}"


class LatencyPlot(Static):
    """Latency of this screen's runs: title, then a line per surface."""

    DEFAULT_CSS = """
    LatencyPlot { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.samples: list[RunSample] = []
        self._clock = clock
        self._started: float | None = None

    def on_mount(self) -> None:
        self.display = False

    def add(self, result: ProbeResult) -> None:
        """One more finished run (oldest dropped beyond MAX_SAMPLES)."""
        now = self._clock()
        if self._started is None:
            self._started = now
        sample = RunSample.of(len(self.samples) + 1, now - self._started, result, None)
        self.samples = [*self.samples, sample][-MAX_SAMPLES:]
        self.redraw()

    def redraw(self) -> None:
        self.display = len(self.samples) >= 2
        if self.display:
            self.update(self.text())

    relocalize = redraw

    def text(self) -> str:
        info = summary(self.samples)
        lines = [t("screen_doctor.plot_title", runs=info["runs"])]
        names = {s: t(f"doctor.surface_{s}") for s in surfaces_of(self.samples)}
        width = max((len(n) for n in names.values()), default=0)
        for surface, name in names.items():
            data = info["surfaces"][surface]
            total = data["metrics"].get("total_ms", {})
            line = sparkline(series_of(self.samples, surface), width=PLOT_WIDTH)
            numbers = t(
                "screen_doctor.plot_numbers",
                p50=_ms(total.get("p50")),
                p95=_ms(total.get("p95")),
                max=_ms(total.get("max")),
                failed=data["failed"],
                runs=data["runs"],
            )
            lines.append(f"  {name:<{width}}  {line}  {numbers}")
        return "\n".join(lines)
