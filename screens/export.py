"""Step 6, Export: choose targets, preview them, then write them (the only step that writes,
apart from the key store the API-key step filled after asking).

Previews are the real exporter output with the key masked, so what the user approves is
what lands on disk. The literal key is only written after an explicit opt-in whose warning
is on screen; files that hold it are 0600. This screen decides nothing itself: app.flow says
where each target goes, what writing there will do (merge, replace, refuse: the export
core's policy), and which destinations cannot even be handed to the OS (a control
character, a name longer than the file system allows; refused under the field, so no
keystroke or paste can crash the wizard and lose what was entered), and writes the config
and the exports through the config and export cores (atomic, locked, no backups).
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from rich.segment import Segment
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.strip import Strip
from textual.widgets import Button, Checkbox, Input, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from app import export_flow
from app.core.errors import UserError
from app.core.i18n import t
from app.core.invocation import install_hint
from app.services import Services
from app.state import WizardState, WrittenFile
from screens.base import StepScreen
from screens.parts.choices import MarkedCheckbox
from screens.parts.dialogs import ConfirmDialog
from screens.parts.policy_banner import setup_refusal
from screens.widgets import Prose

MARK_ON = "✓"
MARK_OFF = " "


class TargetList(SelectionList[str], inherit_bindings=False):
    """The optional targets: Space toggles, and Enter is left to the step (Next), so that
    pressing Enter walks through the wizard as on every other step."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", show=False),
        Binding("up", "cursor_up", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("space", "select", show=False),
    ]

    def render_line(self, y: int) -> Strip:
        """The toggle shows ✓ or a blank, not only a colour (tmux capture, no colour)."""
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) < 2:
            return strip
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        inner = segments[1]
        mark = MARK_ON if selection.value in self.selected else MARK_OFF
        segments[1] = Segment(mark, inner.style, inner.control)
        return Strip(segments, strip.cell_length)


class ExportScreen(StepScreen):
    """Step 6: targets, destinations, previews, the include-key opt-in, then one write."""

    STEP = "export"
    FOCUS = "#export-targets"
    DEFAULT_CSS = """
    ExportScreen #export-main { height: 14; }
    ExportScreen #export-left { width: 34; height: 14; }
    ExportScreen #export-targets { height: 12; }
    ExportScreen #export-right { width: 1fr; height: 14; padding-left: 1; }
    ExportScreen #export-preview-title { text-style: bold; }
    ExportScreen #export-preview-box { height: 13; border: round $primary-muted; }
    ExportScreen #export-destination-note, ExportScreen #export-key-note { height: auto; }
    ExportScreen.-narrow #export-main { layout: vertical; height: auto; }
    ExportScreen.-narrow #export-left { width: 1fr; height: auto; }
    ExportScreen.-narrow #export-targets { height: 11; }
    ExportScreen.-narrow #export-right { width: 1fr; height: 12; padding-left: 0; }
    ExportScreen.-narrow #export-preview-box { height: 11; }
    """
    # Side by side from 96 columns; below that (80x24) the preview goes under the list.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (96, "-wide")]  # noqa: RUF012 (Textual types it as an instance variable)

    def __init__(self, state: WizardState, services: Services) -> None:
        super().__init__(state, services)
        self.paths: dict[str, Path] = export_flow.default_paths(services.export_dir, state.written)
        self.formats = export_flow.offered_formats(state, self.paths)
        if set(state.export_targets) - set(self.formats):  # chosen before a plan host was
            state = dataclasses.replace(
                state, export_targets=export_flow.offered_formats(state, state.export_targets)
            )
            self.state = state
        # What the user typed per target, kept even when it cannot be used, so moving the
        # highlight away and back does not silently swap it for the last good path.
        self.typed: dict[str, str] = {}
        self.problems: dict[str, str] = {}  # target -> why its destination is refused
        self.write_errors: dict[str, str] = {}  # target -> why the last write of it failed
        self.forced: set[str] = set()  # targets the user chose to replace although foreign
        self.current: str | None = None
        self._dirty = False  # inputs changed after the last write
        self._incomplete = False  # the last write stopped at a failure

    # -- layout --------------------------------------------------------------------------
    def compose_step(self) -> ComposeResult:
        s = self.state
        chosen = set(s.export_targets)
        yield Prose(self._intro_text(), id="export-intro")
        yield Prose(
            t("screen_export.config_row", profile=s.profile_name, path=self.services.config_path),
            id="export-config-row",
            markup=False,
        )
        with Horizontal(id="export-main"):
            with Vertical(id="export-left"):
                yield Prose(t("screen_export.targets_title"), classes="section-title")
                yield TargetList(
                    *(
                        Selection(t(f"screen_export.target.{fmt}"), fmt, fmt in chosen, id=fmt)
                        for fmt in self.formats
                    ),
                    id="export-targets",
                    compact=True,
                )
            with Vertical(id="export-right"):
                yield Prose(t("screen_export.preview_config"), id="export-preview-title")
                with VerticalScroll(id="export-preview-box"):
                    yield Static("", id="export-preview", markup=False)
        yield Prose("", id="export-destination-label", classes="tight")
        # A bordered field that selects nothing on focus: Tab, Tab, Space must not replace
        # the whole path with a space (E24).
        yield Input("", id="export-destination", select_on_focus=False, classes="tight")
        yield Prose("", id="export-destination-note", markup=False)
        yield MarkedCheckbox(
            t("screen_export.include_key"), s.include_key, id="export-include-key", compact=True
        )
        yield Prose("", id="export-key-note", markup=False)
        yield Prose(self._written_text(), id="export-written", markup=False)

    def next_label(self) -> str:
        return t("wizard.nav.next") if self.state.written else t("screen_export.write")

    def on_mount(self) -> None:
        self._update_key_note()
        self._show_target(next(iter(self.state.export_targets), None) or next(iter(self.formats)))

    async def relocalize(self) -> None:
        """Language switch: redraw with the inputs kept, then refill preview and notes."""
        current = self.current
        for fmt, raw in self.typed.items():  # reasons in the new language
            problem = export_flow.destination_problem(raw)
            if problem is not None:
                self.problems[fmt] = problem
        await super().relocalize()
        self._update_key_note()
        if current is not None:
            self._focus_target(current)  # the rebuilt list would highlight its first row

    # -- inputs --------------------------------------------------------------------------
    @on(SelectionList.SelectionHighlighted, "#export-targets")
    def _highlighted(self, event: SelectionList.SelectionHighlighted) -> None:
        self._show_target(event.selection.value)

    @on(SelectionList.SelectedChanged, "#export-targets")
    def _selected(self, event: SelectionList.SelectedChanged) -> None:
        self._mark_unwritten()

    @on(Checkbox.Changed, "#export-include-key")
    def _include_key_changed(self, event: Checkbox.Changed) -> None:
        self._update_key_note()
        self._show_target(self.current)
        self._mark_unwritten()

    @on(Input.Changed, "#export-destination")
    def _destination_changed(self, event: Input.Changed) -> None:
        if self.current is None:
            return
        self._set_destination(self.current, event.value)
        self._update_destination_note()
        self._mark_unwritten()
        if self.current not in self.problems:
            self.clear_error()

    def _set_destination(self, fmt: str, raw: str) -> None:
        self.typed[fmt] = raw
        self.forced.discard(fmt)  # a "replace it" was for the file named before
        self.write_errors.pop(fmt, None)
        problem = export_flow.destination_problem(raw)
        if problem is None:
            self.paths[fmt] = Path(raw.strip()).expanduser()
            self.problems.pop(fmt, None)
        else:
            self.problems[fmt] = problem

    def _mark_unwritten(self) -> None:
        """Any change after a write means the files on disk no longer match: write again."""
        if self.state.written and self.is_mounted:
            self.query_one("#next", Button).label = f"{t('screen_export.write')} →"
            self._dirty = True
            self.query_one("#export-intro", Static).update(self._intro_text())

    def _intro_text(self) -> str:
        if not self.state.written:
            return f"{t('screen_export.intro')} {t('screen_export.not_written_yet')}"
        if self._incomplete:
            return f"{t('screen_export.intro')} {t('screen_export.write_incomplete')}"
        if self._dirty:
            return f"{t('screen_export.intro')} {t('screen_export.changed_since_write')}"
        return f"{t('screen_export.intro')} {t('screen_export.written_below')}"

    def _show_target(self, fmt: str | None) -> None:
        if fmt is None:
            return
        self.current = fmt
        label = t(f"screen_export.target.{fmt}")
        self.query_one("#export-destination-label", Static).update(
            t("screen_export.destination", target=label)
        )
        field = self.query_one("#export-destination", Input)
        with field.prevent(Input.Changed):
            field.value = self.typed.get(fmt, str(self.paths[fmt]))
        self._update_destination_note()
        self.query_one("#export-preview-title", Static).update(
            t("screen_export.preview_title", target=label)
        )
        self.query_one("#export-preview", Static).update(self._preview(fmt))

    def _update_destination_note(self) -> None:
        note = ""
        if self.current is not None:
            note = self._destination_note(self.current)
        widget = self.query_one("#export-destination-note", Static)
        widget.update(note)
        widget.display = bool(note)

    def _destination_note(self, fmt: str) -> str:
        """Why the destination is refused, else what writing there will do (app.flow)."""
        problem = self.problems.get(fmt) or self.write_errors.get(fmt)
        if problem is not None:
            return t("screen_export.destination_refused", reason=problem)
        outcome = export_flow.destination_outcome(
            fmt, self.paths[fmt], written=self.state.written, forced=fmt in self.forced
        )
        usage = export_flow.usage_notice(self.state, fmt)  # a plan key in a script's file
        notes = export_flow.destination_notes(self.state, self.services, fmt, self.paths[fmt])
        return "\n".join(part for part in (usage, outcome, *notes) if part)

    def _update_key_note(self) -> None:
        include = self.query_one("#export-include-key", Checkbox).value
        note = (
            t("screen_export.include_key_warning")
            if include
            else t("screen_export.include_key_off", env=self.state.key_env)
        )
        if not include:
            # The files name `modelstudio-setup key get` (bare, for the programs that run it
            # later): say how to make that name work when it does not yet (E26).
            hint = install_hint()
            if hint:
                note = f"{note}\n{hint}"
        self.query_one("#export-key-note", Static).update(note)

    def _include_key(self) -> bool:
        return self.query_one("#export-include-key", Checkbox).value

    def _export_text(self, fmt: str) -> tuple[str, bool]:
        """Exporter text for `fmt` and whether it holds the literal key."""
        return export_flow.export_text(
            self.state, self.services, fmt, self._include_key(), self.paths[fmt]
        )

    def _preview(self, fmt: str) -> str:
        try:
            text, _ = self._export_text(fmt)
        except UserError as exc:
            return exc.message
        return export_flow.masked_preview(text, self.state.api_key)

    # -- state ---------------------------------------------------------------------------
    def collect(self) -> WizardState:
        if not self.is_mounted:
            return self.state
        targets = tuple(self.query_one("#export-targets", SelectionList).selected)
        return dataclasses.replace(
            self.state, export_targets=targets, include_key=self._include_key()
        )

    def submit(self) -> WizardState | None:
        state = self.collect()
        if state.written and not self._dirty:
            return state
        if (refused := setup_refusal(self.services.policy, state)) is not None:
            self.show_status(refused)  # the team policy: nothing is written
            return None
        self._write_and_show(state)
        return None

    def _write_and_show(self, state: WizardState) -> None:
        written = self._write(state)
        if written is None:
            return
        self.state = dataclasses.replace(state, written=written)
        self._dirty = self._incomplete = False
        self.query_one("#export-intro", Static).update(self._intro_text())
        self.query_one("#export-written", Static).update(self._written_text())
        self._update_destination_note()
        self.query_one("#next", Button).label = f"{t('wizard.nav.next')} →"
        self.show_status(t("screen_export.next_hint"), error=False)

    def _written_text(self) -> str:
        if not self.state.written:
            return ""
        return "\n".join(
            [t("screen_export.written_title"), *export_flow.written_rows(self.state.written)]
        )

    def _write(self, state: WizardState) -> tuple[WrittenFile, ...] | None:
        """Config first (so exports never reference a profile that does not exist), then
        each selected target; stop at the first failure and say what was written."""
        written: list[WrittenFile] = []
        self.write_errors.clear()
        for fmt in state.export_targets:
            if fmt in self.problems:
                self._focus_target(fmt)
                self.show_status(t("screen_export.fix_destination", target=self._label(fmt)))
                return None
        failing: str | None = None
        try:
            profile, config_file = export_flow.save_profile(state, self.services)
            written.append(config_file)
            for fmt in state.export_targets:
                failing = fmt
                text, holds_key = self._export_text(fmt)
                result = export_flow.write_export_file(
                    self.paths[fmt],
                    fmt,
                    text,
                    profile=profile,
                    holds_key=holds_key,
                    force=fmt in self.forced,
                    config_path=Path(self.services.config_path),
                )
                written.append(WrittenFile(fmt, result.path, result.mode, holds_key))
            failing = None
        except UserError as exc:
            refusal = export_flow.REFUSALS.get(exc.key)
            if refusal is not None and failing is not None:
                self._report_failure(written, t(refusal, **exc.params), failing)
                self._offer_replace(failing, exc.key, exc.params)
            else:
                self._report_failure(written, exc.message, failing)
            return None
        except (OSError, ValueError) as exc:  # never crash: the wizard state must survive
            message = getattr(exc, "strerror", None) or type(exc).__name__
            self._report_failure(written, message, failing)
            return None
        return tuple(written)

    def _offer_replace(self, fmt: str, refusal: str, params: dict[str, Any]) -> None:
        """The explicit "replace it" choice the export core allows (`force`); No is the
        default, and a yes writes again with only this file forced."""
        path = str(self.paths[fmt])

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.forced.add(fmt)
            self.write_errors.pop(fmt, None)
            self._write_and_show(self.collect())

        self.app.push_screen(
            ConfirmDialog(
                t("screen_export.replace_title"),
                t("screen_export.replace_body_link", path=path, target=params.get("target", ""))
                if refusal == "exporters.symlink_outside"
                else t(
                    "screen_export.replace_body_settings", path=path, items=params.get("items", "")
                )
                if refusal == "exporters.settings_conflict"
                else t("screen_export.replace_body", path=path),
                t("screen_export.replace_yes"),
                t("screen_export.replace_no"),
                default_yes=False,
            ),
            answered,
        )

    def _report_failure(self, written: list[WrittenFile], message: str, fmt: str | None) -> None:
        """Say what was written and why the rest was not; the reason also goes under the
        destination of the target that failed (highlighted), where it can be fixed."""
        self.state = dataclasses.replace(self.state, written=tuple(written))
        self._dirty = self._incomplete = True  # the next Enter writes again, not Done
        self.query_one("#export-written", Static).update(self._written_text())
        self.query_one("#export-intro", Static).update(self._intro_text())
        if fmt is not None:
            self.write_errors[fmt] = message
            self._focus_target(fmt)
        self.show_status(t("screen_export.write_failed", error=message))

    def _label(self, fmt: str) -> str:
        return t(f"screen_export.target.{fmt}")

    def _focus_target(self, fmt: str) -> None:
        """Highlight `fmt` so its destination field and note are the ones on screen."""
        targets = self.query_one("#export-targets", SelectionList)
        with contextlib.suppress(OptionDoesNotExist):
            targets.highlighted = targets.get_option_index(fmt)
        self._show_target(fmt)
