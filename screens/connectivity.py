"""Step 5, Connectivity: the probe engine run live, one row per API surface.

The rows fill in while the probe runs (its `on_event` callback posts messages to the screen),
so a slow TLS handshake is visible as it happens instead of after a silent wait. All logic
(what to check, what a status means, which remedy applies) lives in app.probe.engine and
app.findings.judge; this module only draws their results. `ProbeView` is shared with the doctor
screen so both show the same rows and findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

from app.core.errors import UserError
from app.core.i18n import t
from screens.base import StepScreen
from screens.consent import ConsentScreen
from screens.widgets import Prose

SURFACES = ("openai", "anthropic", "dashscope")
TIMED_PHASES = ("dns", "tcp", "tls", "ttfb")
STEP_PHASES = ("auth", "inference", "reachability")
SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-", "pending": "·", "running": "…"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a probe dataclass or from its JSON-shaped dict form alike."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


@dataclasses.dataclass
class RowModel:
    """What one surface row shows; updated field by field as probe events arrive."""

    surface: str
    host: str = ""
    status: str = "pending"
    phases: dict[str, float | None] = dataclasses.field(default_factory=dict)
    http_status: int | None = None
    request_id: str | None = None
    steps: dict[str, bool] = dataclasses.field(default_factory=dict)  # auth/inference: ok?
    step_ms: list[tuple[str, float | None]] = dataclasses.field(default_factory=list)

    def timeline(self) -> list[tuple[str, float]]:
        """The row's phases for the waterfall (app.findings.waterfall), as the CLI draws them."""
        from app.findings.waterfall import timeline

        return timeline(self.phases, self.step_ms, self.phases.get("total"))


def render_row(row: RowModel, axis_ms: float | None = None, phases: Any = None) -> str:
    """Two lines: symbol + words + surface + host, then the phase waterfall on the run's
    common time axis (`axis_ms`: the slowest row) and the phases' times.

    Colour is never the only signal: every status has a symbol and a word.
    """
    from app.findings.waterfall import bar, describe, layout, total_ms

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
    axis = axis_ms if axis_ms is not None else total_ms(phases)
    total = f"{t('waterfall.phase.total')} {total_ms(phases):.0f} ms"
    cells = bar(layout(phases, axis)).rstrip()
    return f"{head}\n  {cells} {total}\n  {describe(phases, with_total=False)}"


def _pad(text: str, width: int) -> str:
    """Pad to a number of terminal cells (CJK characters take two)."""
    from rich.cells import cell_len

    return text + " " * max(width - cell_len(text), 0)


def _legend() -> str:
    from app.findings.waterfall import legend

    return legend()


def render_finding(finding: Any) -> str:
    """Severity words, the message, where it happened, the remedy and the request ids."""
    severity = str(_get(finding, "severity", "error"))
    lines = [f"{t(f'screen_connectivity.severity.{severity}')}  {_get(finding, 'message', '')}"]
    surface = _get(finding, "surface")
    region = _get(finding, "region")
    if surface or region:
        where_surface = t(f"screen_connectivity.surface.{surface}") if surface else "-"
        from app.config.region_switch import region_label

        shown = region_label(str(region)) if region else "-"
        lines.append("   " + t("screen_connectivity.where", surface=where_surface, region=shown))
    remedy = _get(finding, "remedy")
    if remedy:
        lines.append("   " + t("screen_connectivity.remedy", remedy=remedy))
    ids = _request_ids(finding)
    if ids:
        lines.append("   " + t("screen_connectivity.request_ids", ids=", ".join(ids)))
    return "\n".join(lines)


def _request_ids(finding: Any) -> list[str]:
    ids = _get(finding, "request_ids")
    if ids:
        return [str(i) for i in ids]
    one = _get(finding, "request_id")
    return [str(one)] if one else []


def sorted_findings(findings: Iterable[Any]) -> list[Any]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(str(_get(f, "severity")), 3))


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
    FIXED_TIMINGS: ClassVar[Any] = None

    def __init__(self, *, id: str | None = None, result: Any = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, RowModel] = {}
        self.result: Any = result

    def on_mount(self) -> None:
        # Recomposed after a language switch: redraw the last result in the new language.
        if self.result is not None:
            self.show_result(self.result)

    def compose(self) -> ComposeResult:
        yield Prose("", id="probe-host", markup=False)
        yield Vertical(id="probe-rows")
        yield Prose(_legend(), id="probe-legend", markup=False)
        yield Prose("", id="probe-verdict", markup=False)
        yield Prose("", id="probe-findings-title", markup=False)
        yield Vertical(id="probe-findings")

    # -- feeding -------------------------------------------------------------------------
    def start(self, targets: Iterable[Any]) -> None:
        """Show one pending row per target before the first event arrives."""
        self.result = None
        self.rows = {}
        for target in targets:
            surface = str(_get(target, "surface"))
            self.rows[surface] = RowModel(surface=surface, host=str(_get(target, "host", "")))
        self._redraw_rows(rebuild=True)
        hosts = sorted({row.host for row in self.rows.values() if row.host})
        self.query_one("#probe-host", Static).update(
            t("screen_connectivity.testing", host=", ".join(hosts))
        )
        self.query_one("#probe-verdict", Static).update(t("screen_connectivity.verdict.running"))
        self.query_one("#probe-findings-title", Static).update("")
        self.query_one("#probe-findings", Vertical).remove_children()

    def apply_event(self, event: Any) -> None:
        """Update one row from a probe event (check started, phase done, check finished).

        Rows of the profile's own hosts exist from the start; rows for other regions'
        hosts (only after consent) appear when their check starts.
        """
        surface = _get(event, "surface")
        if surface is None or self.result is not None:
            # Events still queued when the result arrived are older than it: drawing them
            # would add the steps twice (or revert a final status).
            return
        kind = type(event).__name__
        row = self.rows.get(surface)
        if row is None:
            if kind != "CheckStarted":
                return
            row = self.rows[surface] = RowModel(surface=surface, host=_get(event, "host", ""))
            self._redraw_rows(rebuild=True)
        if kind == "CheckStarted":
            row.status = "running"
            row.host = _get(event, "host", row.host) or row.host
        elif kind == "PhaseDone":
            phase = str(_get(event, "phase"))
            ms = _get(event, "ms")
            if phase in TIMED_PHASES:
                if ms is not None:
                    row.phases[phase] = float(ms)
            elif phase in STEP_PHASES:
                if phase != "reachability":
                    row.steps[phase] = bool(_get(event, "ok"))
                row.step_ms.append((phase, None if ms is None else float(ms)))
        elif kind == "CheckFinished":
            row.status = str(_get(event, "status", row.status))
            row.http_status = _get(event, "http_status") or row.http_status
            row.request_id = _get(event, "request_id") or row.request_id
        self._redraw_rows()

    def show_result(self, result: Any) -> None:
        """Final rows, verdict and findings from a finished ProbeResult."""
        self.result = result
        checks = list(_get(result, "checks", ()) or ()) + list(_get(result, "ownership", ()) or ())
        for check in checks:
            surface = str(_get(check, "event_surface") or _get(check, "surface"))
            row = self.rows.setdefault(surface, RowModel(surface=surface))
            row.host = str(_get(check, "host", row.host) or row.host)
            row.status = str(_get(check, "status", row.status))
            phases = _get(check, "phases") or {}
            if not isinstance(phases, dict):
                phases = dataclasses.asdict(phases) if dataclasses.is_dataclass(phases) else {}
            for name, ms in phases.items():
                if ms is not None:
                    row.phases[_phase_key(name)] = float(ms)
            row.http_status = _get(check, "http_status", row.http_status)
            row.request_id = _get(check, "request_id", row.request_id)
            row.step_ms = []
            for step in _get(check, "steps", ()) or ():
                name = _get(step, "name")
                row.step_ms.append((str(name), _get(step, "ms")))
                if name in ("auth", "inference"):
                    row.steps[name] = _get(step, "ms") is not None and status_ok(check, name)
        self._redraw_rows(rebuild=True)
        verdict = str(_get(result, "verdict_words", None) or _get(result, "verdict", "fail"))
        self.query_one("#probe-verdict", Static).update(t(f"screen_connectivity.verdict.{verdict}"))
        findings = sorted_findings(_get(result, "findings", ()) or ())
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
                    classes=f"probe-finding -{_get(f, 'severity')}",
                    markup=False,
                )
                for f in findings
            )

    def show_error(self, message: str) -> None:
        self.query_one("#probe-verdict", Static).update(message)

    def relocalize(self) -> None:
        """Redraw in the current language in place (the doctor screen is not recomposed)."""
        self.query_one("#probe-legend", Static).update(_legend())
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
        from app.findings.waterfall import MIN_MS

        fixed = type(self).FIXED_TIMINGS
        out = {}
        for surface, row in self.rows.items():
            phases = row.timeline()
            if fixed is not None:
                phases = [(p, float(fixed(p, surface))) for p, _ in phases]
                phases = [(p, ms) for p, ms in phases if ms >= MIN_MS]
            out[surface] = phases
        return out

    def _redraw_rows(self, rebuild: bool = False) -> None:
        from app.findings.waterfall import axis_of

        box = self.query_one("#probe-rows", Vertical)
        timelines = self._timelines()
        axis = axis_of(timelines.values())  # one time axis for every row (D20)
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


def status_ok(check: Any, step: str) -> bool:
    """A step passed unless the check's finding came from it (the last step run)."""
    steps = [_get(x, "name") for x in _get(check, "steps", ()) or ()]
    failed_last = _get(check, "finding") is not None and steps and steps[-1] == step
    return not failed_last


def _phase_key(name: str) -> str:
    """Accept the probe's `dns_ms` JSON names as well as bare phase names."""
    return name[:-3] if name.endswith("_ms") else name


class ProbeEventMessage(Message):
    """A probe event carried from the probe's callback into the screen's message queue."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class ConnectivityScreen(StepScreen):
    """Step 5: test the endpoint just configured, explain failures, allow Retry and Back."""

    STEP = "connectivity"

    def __init__(self, state: Any, services: Any) -> None:
        from app.state import probe_inputs

        # A result of this very setup (Back from Export) is shown again, not re-run unasked.
        same = state.probe_result is not None and state.probed_for == probe_inputs(state)
        self._result: Any = state.probe_result if same else None
        self._consented = False
        super().__init__(state, services)

    def compose_step(self) -> ComposeResult:
        model = self.state.model or "-"
        yield Prose(t("screen_connectivity.intro", model=model), id="conn-intro", markup=False)
        with Horizontal(id="conn-actions", classes="row"):
            yield Button(t("screen_connectivity.retry"), id="conn-retry", compact=True)
            yield Button(t("screen_connectivity.find_region"), id="conn-find-region", compact=True)
        yield Prose("", id="conn-hint", markup=False)
        yield ProbeView(id="probe", result=self._result)

    def on_mount(self) -> None:
        self.query_one("#conn-find-region", Button).display = False
        self._hint("")
        if self._result is not None:  # back from Export: the result stands unless asked
            self._show_next_moves()
            self._ask_rerun()
            return
        self.run_probe(consent_all_regions=False)

    def _ask_rerun(self) -> None:
        """Running the test sends the key again: ask, and keep the result by default."""
        from screens.widgets import ConfirmDialog

        key = self.state.api_key
        hosts = sorted({str(_get(c, "host")) for c in _get(self._result, "checks", ()) or ()})

        def answered(again: bool | None) -> None:
            if again:
                self.run_probe(consent_all_regions=False)
            else:
                self.show_status(t("screen_connectivity.rerun_kept"), error=False)

        self.app.push_screen(
            ConfirmDialog(
                t("screen_connectivity.rerun_title"),
                t(
                    "screen_connectivity.rerun_body",
                    key=key.masked() if key is not None else "…",
                    hosts=", ".join(hosts) or "-",
                ),
                t("screen_connectivity.rerun_yes"),
                t("screen_connectivity.rerun_no"),
                default_yes=False,
            ),
            answered,
        )

    def _hint(self, text: str) -> None:
        hint = self.query_one("#conn-hint", Static)
        hint.update(text)
        hint.display = bool(text)

    # -- probe ---------------------------------------------------------------------------
    @work(exclusive=True, group="probe")
    async def run_probe(self, consent_all_regions: bool = False) -> None:
        view = self.query_one(ProbeView)
        self.query_one("#conn-find-region", Button).display = False
        self._hint("")
        if self.state.api_key is None:
            view.show_error(t("screen_connectivity.no_key"))
            return
        s = self.state
        targets = probe_targets(s.region, s.endpoint_style, s.workspace_id, s.model, s.scope)
        view.start(targets)
        try:
            result = await run_probe_checks(
                targets,
                s.api_key,
                self.services.probe_options,
                model=s.model,
                consent_all_regions=consent_all_regions,
                on_event=lambda ev: self.post_message(ProbeEventMessage(ev)),
            )
        except UserError as exc:  # unusable settings (CA file, proxy variables): say which
            view.show_error(t("screen_connectivity.crashed", error=exc.message))
            return
        except Exception as exc:  # named by type only: an error text may quote a header
            view.show_error(t("screen_connectivity.crashed", error=type(exc).__name__))
            return
        self._result = result
        self._consented = consent_all_regions
        view.show_result(result)
        self._show_next_moves()

    def _show_next_moves(self) -> None:
        """After a result: offer the region search (401, no consent yet) and say what Back
        is for when something failed."""
        result = self._result
        if result is None:
            return
        codes = {str(_get(f, "code")) for f in _get(result, "findings", ()) or ()}
        offer = "key_rejected" in codes and not self._consented
        self.query_one("#conn-find-region", Button).display = offer
        if offer:
            hint = t("screen_connectivity.find_region_hint")
            self._hint(hint + "\n" + t("screen_connectivity.back_hint"))
        elif _get(result, "verdict") == "fail":
            self._hint(t("screen_connectivity.back_hint"))
        else:
            self._hint("")

    async def relocalize(self) -> None:
        """Language switch: redraw, then restore what only exists after a result."""
        await super().relocalize()
        self._show_next_moves()
        if self._result is None:
            self.query_one("#conn-find-region", Button).display = False
            self._hint("")

    @on(ProbeEventMessage)
    def _on_probe_event(self, message: ProbeEventMessage) -> None:
        self.query_one(ProbeView).apply_event(message.event)

    @on(Button.Pressed, "#conn-retry")
    def _retry(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_probe(consent_all_regions=False)

    @on(Button.Pressed, "#conn-find-region")
    def _find_region(self, event: Button.Pressed) -> None:
        event.stop()
        key = self.state.api_key
        masked = key.masked() if key is not None else "…"

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_probe(consent_all_regions=True)
            else:
                self._hint(t("screen_connectivity.find_region_declined"))

        hosts = _other_region_hosts(self.state)
        self.app.push_screen(ConsentScreen(masked, hosts), answered)

    def collect(self) -> Any:
        """The state this step hands on: the last probe result (None when never finished).

        Next is allowed after a failed test too: the user may save a profile for a network
        they are not on right now; Done and doctor say it was not verified.
        """
        from app.state import probe_inputs

        probed_for = probe_inputs(self.state) if self._result is not None else None
        return dataclasses.replace(self.state, probe_result=self._result, probed_for=probed_for)


def probe_targets(
    region: str | None,
    endpoint_style: str,
    workspace_id: str | None,
    model: str | None,
    scope: str | None = None,
) -> list[Any]:
    """The probe targets (one per API surface) of a region / style / workspace; the scope
    picks the model the Anthropic-compatible surface serves there."""
    from app.probe.targets import targets_for

    return targets_for(
        region=region,
        endpoint_style=endpoint_style,
        workspace_id=workspace_id,
        model=model,
        scope=scope,
    )


async def run_probe_checks(
    targets: list[Any],
    key: Any,
    base_options: Any,
    *,
    model: str | None,
    consent_all_regions: bool = False,
    on_event: Any = None,
) -> Any:
    """One probe run with the injected options (pins, CA) plus this run's model and consent."""
    from app.probe.engine import run_checks

    options = _options(base_options, consent_all_regions, model)
    return await run_checks(targets, key, options, on_event=on_event)


def _options(base: Any, consent_all_regions: bool, model: str | None) -> Any:
    """The injected probe options with this run's consent (and model) applied."""
    from app.probe.engine import ProbeOptions

    options = base if base is not None else ProbeOptions()
    changes: dict[str, Any] = {"consent_all_regions": consent_all_regions}
    if model:
        changes["model"] = model
    return dataclasses.replace(options, **changes)


def _other_region_hosts(state: Any) -> list[str]:
    """Exactly the hosts the probe would send the key to, listed in the consent dialog."""
    from app.core.endpoints import host_for
    from app.probe.targets import ownership_targets

    if not state.region:
        return []
    own = host_for(state.region, state.endpoint_style, state.workspace_id)
    targets, _unchecked = ownership_targets(state.region, own)
    return sorted({target.host for target in targets})
