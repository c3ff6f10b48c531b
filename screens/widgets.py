"""Reusable wizard widgets: the step list, the secret input, the DEMO banner, the nav bar.

They carry their own `DEFAULT_CSS` (the only place the project uses it, as DESIGN.md asks:
reusable widgets bring their defaults, screens are styled in assets/app.tcss) and only theme
variables, so every Textual theme stays readable. Every state is shown with a symbol and a
word, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import Horizontal, HorizontalScroll
from textual.content import Content
from textual.css.styles import RulesMap
from textual.events import Paste
from textual.geometry import Offset
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual, VisualType
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from app.core.i18n import get_language, t
from app.core.linebreak import break_spans, has_cjk
from app.state import STEPS

MARK_DONE = "✓"
MARK_CURRENT = "▸"
MARK_TODO = "·"
MARK_OK = "✓"
MARK_WARN = "!"
MARK_FAIL = "✗"


def gap() -> str:
    """The space after a mark or bullet: none before Chinese text.

    Text wrapping breaks at spaces only; a Chinese sentence has none, so after "✓ " it
    would be pushed whole onto the next line, leaving the mark alone on its own line.
    """
    return "" if get_language() == "zh" else " "


class KinsokuVisual(Visual):
    """A `Content` broken into lines by `app.core.linebreak` (breaks between CJK characters, never
    a closing mark at a line start) at whatever width Textual lays it out and renders it.

    Textual itself only wraps at whitespace, so a Chinese paragraph was folded at the edge
    and a line could start with "。" (E27). The width comes with every `get_height` and
    `render_strips` call, so a resize re-breaks it; Textual then lays out lines that already
    fit. Content without CJK, and `text-wrap: nowrap`, are left to Textual untouched.
    """

    def __init__(self, content: Content) -> None:
        self.content = content
        self._cjk = has_cjk(content.plain)
        self._broken: tuple[int, Content, list[tuple[int, int]]] | None = None

    def __str__(self) -> str:
        return str(self.content)

    def broken(self, width: int) -> Content:
        """The content with a newline at each line break for `width` cells."""
        return self._break(width)[0]

    def _break(self, width: int) -> tuple[Content, list[tuple[int, int]]]:
        """The broken content, and where each of its lines is in the content (start, end)."""
        if self._broken is not None and self._broken[0] == width:
            return self._broken[1], self._broken[2]
        lines: list[Content] = []
        where: list[tuple[int, int]] = []
        offset = 0
        for line in self.content.split("\n", allow_blank=True):
            for start, end in break_spans(line.plain, width):
                lines.append(line[start:end])
                where.append((offset + start, offset + end))
            offset += len(line.plain) + 1
        broken = Content("\n").join(lines)
        self._broken = (width, broken, where)
        return broken, where

    def selected_text(self, selection: Selection, rules: RulesMap, width: int) -> str:
        """The text a selection of the drawn lines covers, as it is in the content: a
        paragraph copied whole has no newlines where it was only broken for the screen."""
        if self.for_rules(rules, width) is self.content:
            return selection.extract(str(self.content))
        _, where = self._break(width - rules.get("line_pad", 0) * 2)

        def at(offset: Offset | None, default: int) -> int:
            if offset is None:
                return default
            y = min(max(offset.y, 0), len(where) - 1)
            start, end = where[y]
            return min(start + max(offset.x, 0), end) if offset.y < len(where) else end

        plain = self.content.plain
        return plain[at(selection.start, 0) : at(selection.end, len(plain))]

    def for_rules(self, rules: RulesMap, width: int) -> Content:
        """What Textual lays out: the broken content, or the content itself."""
        if rules.get("text_wrap", "wrap") == "nowrap" or not self._cjk:
            return self.content
        return self.broken(width - rules.get("line_pad", 0) * 2)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.for_rules(rules, width).get_height(rules, width)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.for_rules(options.rules, width).render_strips(width, height, style, options)


def kinsoku(visual: Visual) -> Visual:
    """`visual` broken by the CJK rules when it is text (`Content`); anything else as is."""
    return KinsokuVisual(visual) if isinstance(visual, Content) else visual


def localized_bindings(own: Iterable[Binding], declared: Iterable[BindingType]) -> BindingsMap:
    """A screen's bindings: `own` (labels already in the current language) first, then the
    ones its classes declare in BINDINGS, kept for the keys they have (Tab / Shift+Tab move
    the focus: replacing them left one button reachable from the keyboard, D21)."""
    bindings = BindingsMap(own)
    for key, items in BindingsMap(declared).key_to_bindings.items():
        bindings.key_to_bindings.setdefault(key, []).extend(items)
    return bindings


class Prose(Static):
    """A Static for prose: Chinese paragraphs break by the rules of `KinsokuVisual`.

    Used for every paragraph, hint and status the wizard and the doctor screen show;
    English renders exactly as in a Static. URLs and commands go on a `CopyLine` instead.
    """

    def render(self) -> VisualType:
        return kinsoku(self.visual)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """Selected text as it is in the paragraph (the selection's coordinates are those of
        the lines as drawn, which Textual's own get_selection would read as the paragraph's)."""
        visual = self.render()
        if isinstance(visual, KinsokuVisual):
            return visual.selected_text(selection, rules_of(self), self.content_region.width), "\n"
        return super().get_selection(selection)


class StepList(Static):
    """The sidebar: every step of the wizard, the current one marked, finished ones ticked.

    Built from `STEPS` so a new step shows up without touching the screens.
    """

    DEFAULT_CSS = """
    StepList {
        width: 20;
        height: 1fr;
        padding: 1 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, current: str, *, id: str | None = "step-list") -> None:
        self.current = current
        super().__init__(self._render_steps(), id=id)

    def _render_steps(self) -> Text:
        text = Text()
        index = STEPS.index(self.current) if self.current in STEPS else -1
        for i, step in enumerate(STEPS):
            name = t(f"wizard.step.{step}")
            if i < index:
                text.append(f"{MARK_DONE} {name}\n")
            elif i == index:
                text.append(f"{MARK_CURRENT} {name}\n", style="bold reverse")
            else:
                text.append(f"{MARK_TODO} {name}\n")
        return text


class DemoBanner(Static):
    """Shown on every screen in demo mode, so nobody mistakes the simulator for their account."""

    DEFAULT_CSS = """
    DemoBanner {
        dock: top;
        width: 100%;
        height: 1;
        background: $warning;
        color: $text;
        text-style: bold;
        content-align: center middle;
    }
    """

    def __init__(self) -> None:
        super().__init__(t("wizard.demo_banner"), id="demo-banner")


class NavBar(Horizontal):
    """Back and Next as buttons (mouse) next to a status (errors, hints) that wraps: a long
    reason is read whole at 80 columns, not cut at the edge (E24)."""

    DEFAULT_CSS = """
    NavBar {
        dock: bottom;
        height: auto;
        max-height: 6;
        width: 100%;
        margin: 0 0;
    }
    NavBar > Button { width: auto; min-width: 10; }
    NavBar > #nav-status {
        width: 1fr;
        height: auto;
        padding: 0 1;
        color: $text-warning;
    }
    """

    def __init__(self, *, back: bool = True, next_label: str | None = None) -> None:
        super().__init__(id="nav")
        self._back = back
        self._next_label = next_label or t("wizard.nav.next")

    def compose(self) -> ComposeResult:
        yield Button(f"← {t('wizard.nav.back')}", id="back", compact=True, disabled=not self._back)
        yield Prose("", id="nav-status")
        yield Button(f"{self._next_label} →", id="next", compact=True, variant="primary")


class CopyLine(Horizontal):
    """A URL or a command on a line of its own that never wraps, with a Copy button.

    Textual folds a long token at the edge, and a URL or command copied from a folded line
    is a broken one (E25): the line scrolls sideways instead, and Copy puts exactly `text`
    on the clipboard (OSC 52, `App.copy_to_clipboard`). Only for text that holds no key.
    """

    DEFAULT_CSS = """
    CopyLine { height: auto; width: 1fr; }
    CopyLine > Button { width: auto; min-width: 6; margin-right: 1; }
    CopyLine > HorizontalScroll { height: auto; width: 1fr; scrollbar-size-horizontal: 1; }
    CopyLine .copy-text { width: auto; text-wrap: nowrap; }
    """

    def __init__(self, text: str, *, caption: str = "", id: str | None = None) -> None:
        super().__init__(id=id, classes="copy-line")
        self.text = text
        self.caption = caption

    def compose(self) -> ComposeResult:
        yield Button(t("wizard.copy"), classes="copy-button", compact=True)
        with HorizontalScroll():
            yield Static(self.text, classes="copy-text", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.copy_to_clipboard(self.text)
        what = self.caption.rstrip(":：") or self.text
        self.app.notify(t("wizard.copied", what=what), timeout=4)


class SecretInput(Input):
    """A password input that never hands the key to the clipboard (SECURITY.md T9).

    Textual's Input copies the real value of a password field on Ctrl+C / Ctrl+X, and
    selects everything on focus; both are turned off here. Mouse selection of the screen is
    off for this widget too, so the screen-level copy cannot reach it either. Showing the key
    is an explicit toggle by the user.
    """

    ALLOW_SELECT = False

    class CopyRefused(Message):
        """Posted when a copy or cut was refused, so the screen can say why."""

    def __init__(
        self,
        value: str = "",
        *,
        placeholder: str = "",
        password: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            value,
            placeholder=placeholder,
            password=password,
            select_on_focus=False,
            id=id,
            classes=classes,
        )

    def on_paste(self, event: Paste) -> None:
        """Textual's Input keeps only the first line of a paste, silently (E28): a paste
        with text on more than one line is refused and said, one line goes in whole."""
        event.prevent_default()  # Textual would run Input's own paste handler after this one
        event.stop()
        lines = [line for line in event.text.splitlines() if line.strip()]
        if len(lines) > 1:
            self.app.notify(t("secrets.key_multiline", lines=len(lines)), severity="error")
            return
        if lines:  # what Input does with a one-line paste (Textual 8.2.8)
            if self.selection.is_empty:
                self.insert_text_at_cursor(lines[0])
            else:
                self.replace(lines[0], *self.selection)

    def action_copy(self) -> None:
        self._refuse()

    def action_cut(self) -> None:
        self._refuse()

    def _refuse(self) -> None:
        self.post_message(self.CopyRefused())
        self.app.notify(t("wizard.copy_refused"), severity="warning")

    def toggle_visibility(self) -> bool:
        """Show or hide the key; returns True when it is now hidden."""
        self.password = not self.password
        return self.password


def rules_of(widget: Widget) -> RulesMap:
    """The widget's styles as the rules a Visual reads: Textual itself passes `styles` where
    a `RulesMap` is asked (Widget.get_content_height, Textual 8.2.8); they answer `.get()`
    like one, but are typed as a class of their own."""
    return cast(RulesMap, widget.styles)
