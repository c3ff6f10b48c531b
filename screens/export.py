"""Step 6, Export: choose targets, preview them, then write them (the only step that writes,
apart from the key store the API-key step filled after asking).

Previews are the real exporter output with the key masked, so what the user approves is
what lands on disk. The literal key is only written after an explicit opt-in whose warning
is on screen; files that hold it are 0600. Writing goes through app.config.write (atomic,
locked; exports keep no backup, an old version may hold the key) and app.export.formats: this
screen decides nothing itself, except that a destination it cannot even hand to the OS
(a control character, a name longer than the file system allows) is refused under the
field, so no keystroke or paste can crash the wizard and lose what was entered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
from pathlib import Path
from typing import Any, ClassVar

from rich.segment import Segment
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.strip import Strip
from textual.widgets import Checkbox, Input, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from app.core.errors import UserError
from app.core.i18n import t
from app.core.text import looks_like_key
from app.state import WizardState, WrittenFile
from screens.base import StepScreen
from screens.widgets import MarkedCheckbox, Prose

# Where each target goes by default, relative to Services.export_dir. Claude Code and Qwen
# Code read these project-level files; an existing one is merged, never clobbered.
DEFAULT_PATHS: dict[str, str] = {
    "claude-code": ".claude/settings.local.json",
    "qwen-code": ".qwen/settings.json",
}
MERGED_JSON = ("claude-code", "qwen-code")
# POSIX NAME_MAX / PATH_MAX of the common file systems (ext4, APFS, NTFS counts UTF-16 units,
# which never exceeds the UTF-8 byte count for these limits' purpose).
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096
# Refusals of the export core that an explicit "replace it" (force) may override.
REFUSALS: dict[str, str] = {
    "exporters.foreign_file": "screen_export.foreign_file",
    "exporters.existing_not_text": "screen_export.existing_not_text",
    "exporters.symlink_outside": "screen_export.symlink_outside",
    "exporters.settings_conflict": "screen_export.settings_conflict",
}
MARK_ON = "✓"
MARK_OFF = " "


def _export_core() -> Any:
    """app.export.write.write_export (merge / refuse foreign files), when this build has it."""
    import app.export.write

    return getattr(app.export.write, "write_export", None)


def destination_problem(raw: str) -> str | None:
    """Why `raw` cannot be a destination at all, or None.

    Checked before the OS sees it: a NUL makes every os call raise ValueError, a component
    over NAME_MAX raises ENAMETOOLONG even from `exists()`. Both arrive by paste.
    """
    text = raw.strip()
    if not text:
        return t("screen_export.destination_empty")
    if looks_like_key(text):  # a pasted key would become a file name (T16)
        return t("profiles.field_looks_like_key", what=t("profiles.what_destination"))
    for index, char in enumerate(text, start=1):
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0:
            return t("screen_export.destination_control", code=f"U+{code:04X}", position=index)
    try:
        encoded = [os.fsencode(part) for part in Path(text).expanduser().parts]
    except (ValueError, RuntimeError):  # undecodable surrogates; no home for "~user"
        return t("screen_export.destination_unusable")
    for part in encoded:
        if len(part) > NAME_MAX_BYTES:
            return t(
                "screen_export.destination_name_too_long",
                length=len(part),
                limit=NAME_MAX_BYTES,
            )
    if sum(len(part) + 1 for part in encoded) > PATH_MAX_BYTES:
        return t("screen_export.destination_too_long", limit=PATH_MAX_BYTES)
    return None


def _ours(path: Path) -> bool:
    """Whether `path` carries this tool's header (an earlier export it may replace)."""
    from app.export import formats as exporters

    written_by_us = getattr(exporters, "written_by_us", None)
    try:
        head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return False
    return bool(written_by_us and written_by_us(head))


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
        mark = MARK_ON if selection.value in self._selected else MARK_OFF
        segments[1] = Segment(mark, inner.style, inner.control)
        return Strip(segments, strip.cell_length)


def build_profile(state: WizardState, clock: Any = None, recorded_store: str | None = None) -> Any:
    """The profile the wizard is about to save, validated by app.config.validate like any input.

    `recorded_store` (Services.recorded_store) is where a stored key really is when that
    is not the store chosen (the demo's key file): the profile must say where it is.
    """
    from app.config.schema import Verification
    from app.config.validate import make_profile
    from app.secrets.stores import STORE_KINDS, KeyRef

    store = state.key_store if state.key_store in STORE_KINDS else "keyring"
    if recorded_store is not None and state.key_saved:
        store = recorded_store
    verified = None
    verdict = _get(state.probe_result, "verdict")
    if verdict in ("ok", "warn", "fail") and clock is not None:
        verified = Verification(at=clock().isoformat(timespec="seconds"), verdict=verdict)
    profile, _notices = make_profile(
        state.profile_name,
        region=state.region or "",
        scope=state.scope,
        endpoint_style=state.endpoint_style,
        workspace_id=state.workspace_id if state.endpoint_style == "workspace" else None,
        model=state.model,
        api_key=KeyRef(store=store, env=state.key_env),
        residency=state.residency,
        verified=verified,
    )
    return profile


def _scoped(profile: Any, services: Any) -> Any:
    """Record the keyring entry the key was stored under (T21): the one the real key store
    factory chose (app.commands.wizard); other stores (demo, tests) record none."""
    import dataclasses

    if profile.api_key.store != "keyring":
        return profile
    store = services.key_store_factory("keyring")
    account_of = getattr(store, "account_of", None)
    account = account_of(profile.name) if account_of is not None else None
    if not account:
        return profile
    return dataclasses.replace(
        profile, api_key=dataclasses.replace(profile.api_key, account=account)
    )


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def mode_text(mode: int) -> str:
    return f"{stat.filemode(stat.S_IFREG | (mode & 0o777))} ({mode & 0o777:04o})"


def masked_preview(text: str, key: Any) -> str:
    """Exporter output as shown on screen: a literal key (opt-in) is replaced by its mask."""
    if key is None:
        return text
    return text.replace(key.reveal(), key.masked())


class ExportScreen(StepScreen):
    """Step 6: targets, destinations, previews, the include-key opt-in, then one write."""

    STEP = "export"
    AUTO_FOCUS = "#export-targets"
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
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (96, "-wide")]

    def __init__(self, state: WizardState, services: Any) -> None:
        from app.export.formats import FORMATS

        super().__init__(state, services)
        self.formats = FORMATS
        self.paths: dict[str, Path] = {
            fmt: Path(services.export_dir) / DEFAULT_PATHS.get(fmt, spec.suggested_name)
            for fmt, spec in FORMATS.items()
        }
        for item in state.written:
            if item.target in self.paths:
                self.paths[item.target] = item.path
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
            problem = destination_problem(raw)
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
        problem = destination_problem(raw)
        if problem is None:
            self.paths[fmt] = Path(raw.strip()).expanduser()
            self.problems.pop(fmt, None)
        else:
            self.problems[fmt] = problem

    def _mark_unwritten(self) -> None:
        """Any change after a write means the files on disk no longer match: write again."""
        if self.state.written and self.is_mounted:
            self.query_one("#next").label = f"{t('screen_export.write')} →"  # type: ignore[attr-defined]
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
        """What will happen at this destination, in the terms app.config.write really acts on:
        JSON settings are merged, anything else is replaced and no backup is kept."""
        problem = self.problems.get(fmt) or self.write_errors.get(fmt)
        if problem is not None:
            return t("screen_export.destination_refused", reason=problem)
        path = self.paths[fmt]
        try:
            exists = path.exists()
            is_file = path.is_file()
        except (OSError, ValueError) as exc:  # e.g. a component the OS refuses (ENAMETOOLONG)
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            return t("screen_export.destination_refused", reason=reason)
        if not exists or any(w.path == path for w in self.state.written):
            return ""
        if not is_file:
            return t("screen_export.destination_not_file", path=str(path))
        if fmt in MERGED_JSON:
            return t("screen_export.destination_merged", path=str(path))
        if _export_core() is None:
            return t("screen_export.destination_exists", path=str(path))
        if fmt == "dotenv":
            return t("screen_export.destination_merged_env", path=str(path))
        if fmt in self.forced or _ours(path):
            return t("screen_export.destination_exists", path=str(path))
        return t("screen_export.destination_foreign", path=str(path))

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
            from app.core.invocation import install_hint

            hint = install_hint()
            if hint:
                note = f"{note}\n{hint}"
        self.query_one("#export-key-note", Static).update(note)

    def _include_key(self) -> bool:
        return self.query_one("#export-include-key", Checkbox).value

    def _export_text(self, fmt: str) -> tuple[str, bool]:
        """Exporter text for `fmt` and whether it holds the literal key."""
        from app.config.io import is_default_location
        from app.export.formats import export

        profile = build_profile(self.state, self.services.clock, self.services.recorded_store)
        holds_key = self._include_key() and self.formats[fmt].can_hold_key
        config_path = Path(self.services.config_path)
        config = None if is_default_location(config_path) else str(config_path)
        text = export(profile, fmt, self.state.api_key, holds_key, config=config)
        return text, holds_key

    def _preview(self, fmt: str) -> str:
        try:
            text, _ = self._export_text(fmt)
        except UserError as exc:
            return exc.message
        return masked_preview(text, self.state.api_key)

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
        self.query_one("#next").label = f"{t('wizard.nav.next')} →"  # type: ignore[attr-defined]
        self.show_status(t("screen_export.next_hint"), error=False)

    def _written_text(self) -> str:
        if not self.state.written:
            return ""
        lines = [t("screen_export.written_title")]
        for item in self.state.written:
            holds = t("screen_export.holds_key") if item.holds_key else ""
            lines.append(
                t(
                    "screen_export.written_row",
                    path=str(item.path),
                    mode=mode_text(item.mode),
                    key=holds,
                )
            )
        return "\n".join(lines)

    def _write(self, state: WizardState) -> tuple[WrittenFile, ...] | None:
        """Config first (so exports never reference a profile that does not exist), then
        each selected target; stop at the first failure and say what was written."""
        from app.config.io import modify_config

        written: list[WrittenFile] = []
        self.write_errors.clear()
        for fmt in state.export_targets:
            if fmt in self.problems:
                self._focus_target(fmt)
                self.show_status(t("screen_export.fix_destination", target=self._label(fmt)))
                return None
        failing: str | None = None
        try:
            profile = build_profile(state, self.services.clock, self.services.recorded_store)
            profile = _scoped(profile, self.services)
            _config, result = modify_config(
                self.services.config_path,
                lambda config: config.with_profile(profile),
                replacing=profile.name,
            )
            written.append(WrittenFile("config", result.path, result.mode, False))
            for fmt in state.export_targets:
                failing = fmt
                text, holds_key = self._export_text(fmt)
                result = self._write_one(fmt, text, holds_key, profile)
                written.append(WrittenFile(fmt, result.path, result.mode, holds_key))
            failing = None
        except UserError as exc:
            refusal = REFUSALS.get(exc.key)
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

    def _write_one(self, fmt: str, text: str, holds_key: bool, profile: Any) -> Any:
        """One export through the export core (merge .env / settings, refuse a file this
        tool did not write unless the user chose to replace it); the WriteResult."""
        path = self.paths[fmt]
        core = _export_core()
        if core is not None:
            done = core(
                path,
                fmt,
                text,
                profile=profile,
                include_key=holds_key,
                force=fmt in self.forced,
                config_path=Path(self.services.config_path),
            )
            return done.result
        from app.config.write import atomic_write
        from app.export.merge import merge_json_settings

        if fmt in MERGED_JSON and path.is_file():
            text = merge_json_settings(path.read_text(encoding="utf-8"), text, fmt)
        return atomic_write(path, text, secret=holds_key or fmt in MERGED_JSON)

    def _offer_replace(self, fmt: str, refusal: str, params: dict[str, Any]) -> None:
        """The explicit "replace it" choice the export core allows (`force`); No is the
        default, and a yes writes again with only this file forced."""
        from screens.widgets import ConfirmDialog

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
