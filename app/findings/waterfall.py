"""The phase waterfall of a check, as cells: one layout for the CLI text and the TUI (D20).

Like httpstat, a check is drawn as the phases it went through, in order, each as long as it
took, on ONE time axis shared by every row of a run: a slow surface has a long bar, a fast
one a short bar. The phases are DNS, TCP, TLS, request (until the first answer's headers),
auth (the rest of the first exchange), inference (the 1-token call) and waiting (time in no
other phase: until the deadline of a check that timed out, a retry's pause). They add up to
the check's total, so the bar and the printed total agree. Every phase that took time gets
at least one cell, so a short HTTP phase never vanishes behind a long handshake.

Pure functions, no I/O and no UI: `timeline` turns a check's measurements into phases,
`layout` places them on the axis, `bar` draws the cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.core.i18n import t

PHASES = ("dns", "tcp", "tls", "request", "auth", "inference", "wait")
GLYPHS = {
    "dns": "░",
    "tcp": "▒",
    "tls": "▓",
    "request": "█",
    "auth": "▞",
    "inference": "■",
    "wait": "·",
}
BAR_WIDTH = 30
MIN_MS = 1.0  # a phase shorter than this "took no time" (below the printed precision)
# The first exchange of a check is named by its step: its part after the headers is `auth`
# for the GET of the auth check; the keyless reachability POST is all `request`.
_STEP_PHASE = {"auth": "auth", "inference": "inference", "reachability": "request"}


@dataclass(frozen=True)
class Segment:
    phase: str
    start: int  # first cell
    width: int  # cells
    ms: float


def timeline(
    phases: Mapping[str, float | None],
    steps: Iterable[tuple[str, float | None]] = (),
    total_ms: float | None = None,
) -> list[tuple[str, float]]:
    """The phases of one check in order, with their ms, summing to `total_ms` (when given).

    `phases` holds dns/tcp/tls/ttfb (with or without the `_ms` suffix); `steps` the HTTP
    exchanges (name, ms) in order: the first includes the connection set-up and the wait
    for its headers (`ttfb`), so only its remainder is drawn as its own phase.
    """
    get = _getter(phases)
    out: list[tuple[str, float]] = []
    for name in ("dns", "tcp", "tls"):
        ms = get(name)
        if ms is not None:
            out.append((name, ms))
    ttfb = get("ttfb")
    if ttfb is not None:
        out.append(("request", ttfb))
    for index, (name, ms) in enumerate(steps):
        if ms is None:
            continue
        phase = _STEP_PHASE.get(name, "request")
        if index == 0:
            ms -= sum(get(n) or 0.0 for n in ("tcp", "tls", "ttfb"))
        if ms <= 0:
            continue
        if out and out[-1][0] == phase:
            out[-1] = (phase, out[-1][1] + ms)
        else:
            out.append((phase, ms))
    if total_ms is not None:
        rest = total_ms - sum(ms for _, ms in out)
        if rest >= MIN_MS:
            out.append(("wait", rest))
    return out


def _getter(phases: Mapping[str, float | None]) -> Callable[[str], float | None]:
    def get(name: str) -> float | None:
        value = phases.get(name, phases.get(f"{name}_ms"))
        return None if value is None else max(float(value), 0.0)

    return get


def layout(
    phases: Sequence[tuple[str, float]], axis_ms: float, width: int = BAR_WIDTH
) -> list[Segment]:
    """Place `phases` on an axis of `axis_ms` over `width` cells (start/width per cell).

    The bar is as long as its share of the axis (the run's slowest check); inside it, each
    phase that took time gets at least one cell, the rest by largest remainder.
    """
    timed = [(p, ms) for p, ms in phases if ms >= MIN_MS]
    total = sum(ms for _, ms in timed)
    if not timed or total <= 0 or width <= 0:
        return []
    axis = max(axis_ms, total)
    cells = max(len(timed), round(width * total / axis))
    cells = min(cells, max(width, len(timed)))
    exact = [cells * ms / total for _, ms in timed]
    sizes = [max(1, int(e)) for e in exact]
    while sum(sizes) > cells:  # the minimum cells took some: shrink the largest
        sizes[sizes.index(max(sizes))] -= 1
    order = sorted(range(len(timed)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in order:
        if sum(sizes) >= cells:
            break
        sizes[i] += 1
    out, start = [], 0
    for (phase, ms), size in zip(timed, sizes, strict=True):
        out.append(Segment(phase, start, size, ms))
        start += size
    return out


def bar(segments: Sequence[Segment], width: int = BAR_WIDTH) -> str:
    """The cells of a layout, padded to `width`."""
    cells = "".join(GLYPHS.get(s.phase, "?") * s.width for s in segments)
    return f"{cells:<{width}}"


def axis_of(timelines: Iterable[Sequence[tuple[str, float]]]) -> float:
    """The common axis of a run: the longest check."""
    return max((sum(ms for _, ms in t) for t in timelines), default=0.0)


def describe(phases: Sequence[tuple[str, float]], *, with_total: bool = True) -> str:
    """`dns 3 · tcp 1 · … · total 70 ms`, in the current language: the numbers of the bar."""
    parts = [f"{t(f'waterfall.phase.{p}')} {ms:.0f}" for p, ms in phases]
    if with_total:
        parts.append(f"{t('waterfall.phase.total')} {total_ms(phases):.0f}")
    return " · ".join(parts) + " ms"


def total_ms(phases: Sequence[tuple[str, float]]) -> float:
    return sum(ms for _, ms in phases)


def legend() -> str:
    return t("waterfall.legend")
