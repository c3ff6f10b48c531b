"""The probe's rows and findings, drawn live: what Connectivity and Doctor both show.

One row per API surface fills in while the probe runs (its `on_event` callback posts
`ProbeEventMessage`s to the screen), so a slow TLS handshake is visible as it happens; then
the verdict and the findings. All logic (what to check, what a status means, which remedy
applies) lives in app.probe.engine and app.findings.judge; this module only draws their
results. Colour is never the only signal: every status has a symbol and a word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from app.config.region_switch import joined, region_label
from app.core.i18n import t
from app.core.models import CheckFinished, CheckStarted, PhaseDone
from app.findings import waterfall
from screens.widgets import Prose

if TYPE_CHECKING:  # only the types: the engine (httpx, ssl) loads when a probe runs
    from app.core.models import ProbeEvent, Target
    from app.findings.codes import Finding
    from app.findings.results import CheckResult, ProbeResult

SURFACES = ("openai", "anthropic", "dashscope")
TIMED_PHASES = ("dns", "tcp", "tls", "ttfb")
STEP_PHASES = ("auth", "inference", "reachability")
SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-", "pending": "·", "running": "…"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class RowModel:
    """What one surface row shows; updated field by field as probe events arrive."""

    surface: str
    host: str = ""
    status: str = "pending"
    phases: dict[str, float | None] = field(default_factory=dict)
    http_status: int | None = None
    request_id: str | None = None
    steps: dict[str, bool] = field(default_factory=dict)  # auth/inference: ok?
    step_ms: list[tuple[str, float | None]] = field(default_factory=list)

    def timeline(self) -> list[tuple[str, float]]:
        """The row's phases for the waterfall (app.findings.waterfall), as the CLI draws them."""
        return waterfall.timeline(self.phases, self.step_ms, self.phases.get("total"))


def render_row(
    row: RowModel, axis_ms: float | None = None, phases: list[tuple[str, float]] | None = None
) -> str:
    """Two lines: symbol + words + surface + host, then the phase waterfall on the run's
    common time axis (`axis_ms`: the slowest row) and the phases' times.

    Colour is never the only signal: every status has a symbol and a word.
    """
    symbol = SYMBOLS.get(row.status, "?")
    word = t(f"screen_connectivity.status.{row.status}")
    surface, _, region = row.surface.partition("@")
    name = t(f"screen_connectivity.surface.{surface}")
    if region:
        name = f"{name} · {region}"
    head = f"{symbol} {_pad(name, 21)} {_pad(word, 9)}"
    if row.http_status and not (row.status == "pass" and 200 <= int(row.http_status) < 300):
        head += f"  HTTP {row.http_status}"  # a 2xx on a passed row says nothing new
    for step, ok in row.steps.items():
        label = t(f"screen_connectivity.phase.{step}")
        head += f"  {label} {'✓' if ok else '✗'}"
    if region:  # another region's host (ownership check): name it, it is not the profile's
        head += f"  {row.host}"
    phases = row.timeline() if phases is None else phases
    if not phases:
        return head
    axis = axis_ms if axis_ms is not None else waterfall.total_ms(phases)
    total = f"{t('waterfall.phase.total')} {waterfall.total_ms(phases):.0f} ms"
    cells = waterfall.bar(waterfall.layout(phases, axis)).rstrip()
    return f"{head}\n  {cells} {total}\n  {waterfall.describe(phases, with_total=False)}"


def _pad(text: str, width: int) -> str:
    """Pad to a number of terminal cells (CJK characters take two)."""
    return text + " " * max(width - cell_len(text), 0)


def render_finding(finding: Finding) -> str:
    """Severity words, the message, where it happened, the remedy and the request ids."""
    severity = finding.severity
    lines = [f"{t(f'screen_connectivity.severity.{severity}')}  {finding.message}"]
    region = finding.region
    if finding.surfaces:  # as the CLI's report: a file's or a variable's finding has none
        names = joined([t(f"screen_connectivity.surface.{s}") for s in finding.surfaces])
        shown = region_label(str(region)) if region else "-"
        lines.append("   " + t("screen_connectivity.where", surface=names, region=shown))
    if finding.remedy:
        lines.append("   " + t("screen_connectivity.remedy", remedy=finding.remedy))
    ids = [str(i) for i in finding.request_ids]
    if ids:
        lines.append("   " + t("screen_connectivity.request_ids", ids=", ".join(ids)))
    return "\n".join(lines)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))


class ProbeView(Widget):
    """Rows per surface plus findings: the part of the screen that both Connectivity and
    Doctor show. Feed it with `start(targets)`, `apply_event(event)` and `show_result(result)`."""

    DEFAULT_CSS = """
    ProbeView { height: auto; }
    ProbeView #probe-rows, ProbeView #probe-findings { height: auto; }
    ProbeView .probe-row { height: auto; padding: 0 1; }
    ProbeView #probe-host { padding: 0 1; color: $text-muted; }
    ProbeView #probe-legend { color: $text-muted; padding: 0 1; }
    ProbeView #probe-verdict { padding: 1 1 0 1; text-style: bold; }
    ProbeView #probe-findings-title { padding: 1 1 0 1; text-style: bold; }
    ProbeView .probe-finding { padding: 0 1 1 1; height: auto; }
    """

    # Snapshot tests set this: real timings vary from run to run, so each phase a row went
    # through is drawn with a fixed duration (phase, surface) -> ms instead; the bars still
    # show which phases ran, in order, on the common axis.
    FIXED_TIMINGS: ClassVar[Callable[[str, str], float] | None] = None

    def __init__(self, *, id: str | None = None, result: ProbeResult | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, RowModel] = {}
        self.result: ProbeResult | None = result

    def on_mount(self) -> None:
        # Recomposed after a language switch: redraw the last result in the new language.
        if self.result is not None:
            self.show_result(self.result)

    def compose(self) -> ComposeResult:
        yield Prose("", id="probe-host", markup=False)
        yield Vertical(id="probe-rows")
        yield Prose(waterfall.legend(), id="probe-legend", markup=False)
        yield Prose("", id="probe-verdict", markup=False)
        yield Prose("", id="probe-findings-title", markup=False)
        yield Vertical(id="probe-findings")

    # -- feeding -------------------------------------------------------------------------
    def start(self, targets: Iterable[Target]) -> None:
        """Show one pending row per target before the first event arrives."""
        self.result = None
        self.rows = {}
        for target in targets:
            self.rows[target.surface] = RowModel(surface=target.surface, host=target.host)
        self._redraw_rows(rebuild=True)
        hosts = sorted({row.host for row in self.rows.values() if row.host})
        self.query_one("#probe-host", Static).update(
            t("screen_connectivity.testing", host=", ".join(hosts))
        )
        self.query_one("#probe-verdict", Static).update(t("screen_connectivity.verdict.running"))
        self.query_one("#probe-findings-title", Static).update("")
        self.query_one("#probe-findings", Vertical).remove_children()

    def apply_event(self, event: ProbeEvent) -> None:
        """Update one row from a probe event (check started, phase done, check finished).

        Rows of the profile's own hosts exist from the start; rows for other regions'
        hosts (only after consent) appear when their check starts.
        """
        if self.result is not None:
            # Events still queued when the result arrived are older than it: drawing them
            # would add the steps twice (or revert a final status).
            return
        row = self.rows.get(event.surface)
        if row is None:
            if not isinstance(event, CheckStarted):
                return
            row = self.rows[event.surface] = RowModel(surface=event.surface, host=event.host)
            self._redraw_rows(rebuild=True)
        if isinstance(event, CheckStarted):
            row.status = "running"
            row.host = event.host or row.host
        elif isinstance(event, PhaseDone):
            phase, ms = event.phase, event.ms
            if phase in TIMED_PHASES:
                if ms is not None:
                    row.phases[phase] = float(ms)
            elif phase in STEP_PHASES:
                if phase != "reachability":
                    row.steps[phase] = bool(event.ok)
                row.step_ms.append((phase, None if ms is None else float(ms)))
        elif isinstance(event, CheckFinished):
            row.status = event.status or row.status
            row.http_status = event.http_status or row.http_status
            row.request_id = event.request_id or row.request_id
        self._redraw_rows()

    def show_result(self, result: ProbeResult) -> None:
        """Final rows, verdict and findings from a finished ProbeResult."""
        self.result = result
        for check in [*result.checks, *result.ownership]:
            surface = check.event_surface
            row = self.rows.setdefault(surface, RowModel(surface=surface))
            row.host = check.host or row.host
            row.status = check.status
            for name, ms in check.phases.items():
                if ms is not None:
                    row.phases[_phase_key(name)] = float(ms)
            row.http_status = check.http_status
            row.request_id = check.request_id
            row.step_ms = []
            for step in check.steps:
                row.step_ms.append((step.name, step.ms))
                if step.name in ("auth", "inference"):
                    row.steps[step.name] = step.ms is not None and status_ok(check, step.name)
        self._redraw_rows(rebuild=True)
        # The host line too: a result shown again (Keep result, F2) had lost it (QA).
        hosts = sorted({c.host for c in result.checks if c.host})
        if hosts:
            host_line = t("screen_connectivity.testing", host=", ".join(hosts))
            self.query_one("#probe-host", Static).update(host_line)
        verdict = result.verdict_words
        self.query_one("#probe-verdict", Static).update(t(f"screen_connectivity.verdict.{verdict}"))
        findings = sorted_findings(result.findings)
        self.query_one("#probe-findings-title", Static).update(
            t("screen_connectivity.findings_title")
        )
        box = self.query_one("#probe-findings", Vertical)
        box.remove_children()
        if not findings:
            none = t("screen_connectivity.no_findings")
            box.mount(Prose(none, classes="probe-finding", markup=False))
        else:
            box.mount_all(
                Prose(
                    render_finding(f),
                    classes=f"probe-finding -{f.severity}",
                    markup=False,
                )
                for f in findings
            )

    def show_error(self, message: str) -> None:
        self.query_one("#probe-verdict", Static).update(message)

    def relocalize(self) -> None:
        """Redraw in the current language in place (the doctor screen is not recomposed)."""
        self.query_one("#probe-legend", Static).update(waterfall.legend())
        if self.result is not None:
            self.show_result(self.result)
            return
        if self.rows:
            hosts = sorted({row.host for row in self.rows.values() if row.host})
            self.query_one("#probe-host", Static).update(
                t("screen_connectivity.testing", host=", ".join(hosts))
            )
            self.query_one("#probe-verdict", Static).update(
                t("screen_connectivity.verdict.running")
            )
            self._redraw_rows(rebuild=True)

    def _timelines(self) -> dict[str, list[tuple[str, float]]]:
        fixed = type(self).FIXED_TIMINGS
        out = {}
        for surface, row in self.rows.items():
            phases = row.timeline()
            if fixed is not None:
                phases = [(p, float(fixed(p, surface))) for p, _ in phases]
                phases = [(p, ms) for p, ms in phases if ms >= waterfall.MIN_MS]
            out[surface] = phases
        return out

    def _redraw_rows(self, rebuild: bool = False) -> None:
        box = self.query_one("#probe-rows", Vertical)
        timelines = self._timelines()
        axis = waterfall.axis_of(timelines.values())  # one time axis for every row (D20)
        texts = {s: render_row(r, axis, timelines[s]) for s, r in self.rows.items()}
        if rebuild or len(box.children) != len(self.rows):
            box.remove_children()
            box.mount_all(
                Static(texts[surface], classes="probe-row", name=surface, markup=False)
                for surface in self.rows
            )
            return
        for widget, surface in zip(box.children, self.rows, strict=False):
            if isinstance(widget, Static):
                widget.update(texts[surface])


def status_ok(check: CheckResult, step: str) -> bool:
    """A step passed unless the check's finding came from it (the last step run)."""
    steps = [x.name for x in check.steps]
    failed_last = check.finding is not None and bool(steps) and steps[-1] == step
    return not failed_last


def _phase_key(name: str) -> str:
    """Accept the probe's `dns_ms` JSON names as well as bare phase names."""
    return name[:-3] if name.endswith("_ms") else name


class ProbeEventMessage(Message):
    """A probe event carried from the probe's callback into the screen's message queue."""

    def __init__(self, event: ProbeEvent) -> None:
        super().__init__()
        self.event = event


def post_events_to(widget: Widget) -> Callable[[ProbeEvent], None]:
    """The probe's `on_event` callback: each event goes into `widget`'s message queue (the
    probe runs in a worker; the rows are drawn by the screen's own handler)."""

    def post(event: ProbeEvent) -> None:
        widget.post_message(ProbeEventMessage(event))

    return post
