"""The choice widgets of the steps: toggles whose state is a glyph, and the radio set whose
highlight starts on the default answer and whose Enter means what the hints say (E23).

Like screens/widgets.py, they bring their own defaults and show every state with a symbol,
never by colour alone; long labels wrap (B22) and Chinese ones break by the CJK rules.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.css.styles import RulesMap
from textual.geometry import Size
from textual.message import Message
from textual.visual import Visual
from textual.widgets import Checkbox, RadioButton, RadioSet

from screens.parts.textual_private import (
    radio_highlight,
    set_radio_highlight,
    watch_radio_highlight,
)
from screens.widgets import kinsoku, rules_of


def _wrapped_height(visual: Visual, rules: RulesMap, width: int) -> int:
    """Lines a toggle button's label needs at `width`: Textual's ToggleButton claims one line
    always, so a long label (a host name, a Chinese sentence at 80 columns) was cut (B22)."""
    try:
        return max(1, visual.get_height(rules, max(width, 1)))
    except Exception:  # a Textual whose ToggleButton renders no Content: the old single line
        return 1


class MarkedRadioButton(RadioButton):
    """A radio button whose state shows as a glyph (● on, blank off), not only as a colour."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return _wrapped_height(self.render(), rules_of(self), width)

    # ToggleButton narrows `render` to Content; a Visual is what Widget.render may return.
    def render(self) -> Visual:  # type: ignore[override]
        self.BUTTON_INNER = "●" if self.value else " "
        return kinsoku(super().render())


class MarkedCheckbox(Checkbox, inherit_bindings=False):
    """A checkbox whose state shows as a glyph (✓ on, blank off), not only as a colour.

    Space toggles it; Enter is left to the step, where it means Next as the footer says
    (E23: Enter on a focused box unticked Fine-tuning or "Write the key itself").
    """

    BINDINGS: ClassVar = [Binding("space", "toggle_button", show=False)]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return _wrapped_height(self.render(), rules_of(self), width)

    # ToggleButton narrows `render` to Content; a Visual is what Widget.render may return.
    def render(self) -> Visual:  # type: ignore[override]
        self.BUTTON_INNER = "✓" if self.value else " "
        return kinsoku(super().render())


class ChoiceRadioSet(RadioSet):
    """A RadioSet whose highlight starts on the chosen (or default) option, and whose Enter
    means what the step's hints say (E23).

    Textual's RadioSet always highlights the first button on mount; a wizard that shows a
    default and asks the user to confirm it with Enter needs the highlight on that default.
    `Highlighted` lets the screen explain the option under the cursor.

    Space selects the highlighted option. Enter chooses it: the first Enter selects (or, on
    the option already chosen, confirms it with `Confirmed`), and once an answer stands,
    Enter goes on with the option under the cursor (`Continue`), so ↑/↓ keep working and
    the next Enter never continues with an answer other than the one shown. With
    `enter_continues`, the first Enter already goes on (a list that is no legal decision).
    """

    BINDINGS: ClassVar = [
        Binding("enter", "choose", show=False),
        Binding("space", "select", show=False),
    ]

    class _OptionMessage(Message):
        """A message about one option of the set (its index among the buttons)."""

        def __init__(self, radio_set: ChoiceRadioSet, index: int) -> None:
            super().__init__()
            self.radio_set = radio_set
            self.index = index

        @property
        def control(self) -> ChoiceRadioSet:
            return self.radio_set

    class Confirmed(_OptionMessage):
        """Enter (or Space) on the option that is already chosen: the answer stands."""

    class Continue(Message):
        """Enter on an answer that stands: the step goes on (Next) with it."""

        def __init__(self, radio_set: ChoiceRadioSet) -> None:
            super().__init__()
            self.radio_set = radio_set

        @property
        def control(self) -> ChoiceRadioSet:
            return self.radio_set

    class Highlighted(_OptionMessage):
        """The cursor moved to another option (the screen explains the one under it)."""

    def __init__(
        self,
        *buttons: str | RadioButton,
        highlight: int = 0,
        enter_continues: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(*buttons, id=id, classes=classes)
        self._initial_highlight = highlight
        self.confirmed = enter_continues
        self._continue_after_change = False
        watch_radio_highlight(self, self._highlight_moved)

    def on_mount(self) -> None:
        # RadioSet's own mount handler runs after this one (Textual calls every class's
        # handler, this class first) and highlights the first button: ours goes right after.
        self.call_next(self._highlight_initial)

    def _highlight_initial(self) -> None:
        if 0 <= self._initial_highlight < len(self.children):
            set_radio_highlight(self, self._initial_highlight)

    @property
    def highlighted(self) -> int | None:
        """Index of the option under the cursor (None before the set is mounted)."""
        return radio_highlight(self)

    def action_select(self) -> None:
        """Space: select the highlighted option (a RadioSet ignores it on the one already on,
        so a user confirming a pre-chosen answer would see nothing: `Confirmed` instead)."""
        highlighted = self.highlighted
        if highlighted is None:
            return
        if highlighted == self.pressed_index:
            self.post_message(self.Confirmed(self, highlighted))
            return
        super().action_toggle_button()

    def action_toggle_button(self) -> None:
        self.action_select()

    def action_choose(self) -> None:
        """Enter: choose the highlighted option; go on once an answer stands."""
        if self.highlighted is None:
            return
        if not self.confirmed:
            self.confirmed = True
            self.action_select()
            return
        if self.highlighted != self.pressed_index:
            # The button's change reaches this set first, which then posts RadioSet.Changed:
            # Continue must follow that, so it is posted from there.
            self._continue_after_change = True
            super().action_toggle_button()
            return
        self.post_message(self.Continue(self))

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """Our own Changed, before it bubbles on: Continue follows it (RadioSet posts Changed
        only for a button turned on)."""
        if self._continue_after_change:
            self._continue_after_change = False
            self.post_message(self.Continue(self))

    def _highlight_moved(self, index: int | None) -> None:
        if index is not None:
            self.post_message(self.Highlighted(self, index))
