"""Every use of a private Textual attribute, in one place.

Textual offers no public way to do what these few functions do. Each says why it is needed
and was checked against Textual 8.2.8 (the version in uv.lock); on a Textual upgrade, read
this module against the new source first. tests/unit/test_textual_private.py fails when a
private Textual name is used anywhere else in screens/ or app/tui.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from rich.segment import Segments
from textual.app import App
from textual.binding import BindingsMap
from textual.dom import DOMNode
from textual.widgets import RadioSet

ReturnT = TypeVar("ReturnT")


def bindings_of(node: DOMNode) -> BindingsMap:
    """The node's own bindings, as Textual built them from the class's BINDINGS.

    Why: a Footer label follows the UI language, but BINDINGS are class-level strings; the
    only public way to add one (`App.bind`) appends and cannot relabel. Textual 8.2.8: the
    map is `DOMNode._bindings`, read by `App._binding_chain`."""
    return node._bindings


def replace_bindings(node: DOMNode, bindings: BindingsMap) -> None:
    """Give `node` these bindings (the same keys, labels in the current language).

    Why: see `bindings_of`; callers then call the public `refresh_bindings()`. Textual 8.2.8:
    `DOMNode._bindings` is a plain attribute, replaced whole here."""
    node._bindings = bindings


def radio_highlight(radio_set: RadioSet) -> int | None:
    """Index of the button under the RadioSet's cursor (not the pressed one).

    Why: RadioSet has `pressed_index` but no public highlight. Textual 8.2.8: the cursor is
    the reactive `RadioSet._selected`."""
    return radio_set._selected


def set_radio_highlight(radio_set: RadioSet, index: int) -> None:
    """Put the RadioSet's cursor on button `index` (the wizard's default answer).

    Why: RadioSet always starts on the first button and has no public setter. Textual 8.2.8:
    setting `RadioSet._selected` marks the button `-selected` and scrolls it into view."""
    radio_set._selected = index


def watch_radio_highlight(radio_set: RadioSet, callback: Callable[[int | None], None]) -> None:
    """Call `callback(index)` whenever the RadioSet's cursor moves (after Textual's own watch).

    Why: RadioSet posts no message for a cursor move. Textual 8.2.8: the public `watch`
    on the private reactive `_selected`."""
    radio_set.watch(radio_set, "_selected", callback, init=False)


def end_with_crash(app: App[Any], error: Exception) -> None:
    """End the app the way Textual ends it on an unhandled exception in a handler.

    Why: the wizard's flow runs as a plain task, whose exceptions Textual does not see; a
    bug there must still end the app with a traceback (`CrashWithoutLocals`). Textual
    8.2.8: `App._handle_exception`."""
    app._handle_exception(error)


class CrashWithoutLocals(App[ReturnT], Generic[ReturnT]):
    """An App whose crash traceback shows no local variables: a local may hold the key.

    Why: Textual prints its crash traceback with `show_locals=True` and has no public
    switch. Textual 8.2.8: `App._fatal_error` builds it, `_exit_renderables` holds what is
    printed on exit and `_close_messages_no_wait` ends the app; this override is that method
    with `show_locals=False`."""

    def _fatal_error(self) -> None:
        from rich.traceback import Traceback  # lazy: only on a crash, it costs startup time

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()
