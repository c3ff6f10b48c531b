"""The Export destination typed key by key: every intermediate text gets an answer, never an
exception (QA B41/B42: a component over NAME_MAX raised ENAMETOOLONG from `exists()` and
crashed the wizard mid-typing). The screen asks exactly these two functions on every
keystroke (screens/export.py `_set_destination`, `_destination_note`); the TUI test pastes
the whole name once (tests/tui/test_tui_export_destination.py)."""

from __future__ import annotations

from pathlib import Path

from app.export_flow import NAME_MAX_BYTES, destination_outcome, destination_problem


def test_every_length_typed_gets_an_answer_and_the_limit_is_where_the_os_puts_it(
    tmp_path: Path,
) -> None:
    typed = f"{tmp_path}/"
    for count in range(1, 301):
        typed += "a"
        problem = destination_problem(typed)
        if count <= NAME_MAX_BYTES:
            assert problem is None, count
            # What writing there would do: asked of the OS, which must not raise either.
            assert destination_outcome("dotenv", Path(typed), written=(), forced=False) == ""
        else:
            assert problem is not None and f"{count} bytes" in problem, count
    for tail in ("/", "/x"):
        typed += tail
        problem = destination_problem(typed)
        assert problem is not None and "300 bytes" in problem


def test_the_os_refusing_a_name_is_an_answer_not_an_exception(tmp_path: Path) -> None:
    """Past the checks (e.g. a file system with a smaller NAME_MAX), the OS error is shown."""
    too_long = tmp_path / ("b" * 300) / "x.env"
    note = destination_outcome("dotenv", too_long, written=(), forced=False)
    assert "too long" in note.lower()
