"""What users paste around a key (E28): a shell assignment or a header value is taken off
and said aloud; text on more than one line is refused, never cut silently. The CLI (the real
entry point) and the wizard (Textual Pilot, a real paste event) both go through ApiKey.parse.
"""

from __future__ import annotations

import pytest
from textual import events

from app.tui import make_app
from screens.widgets import SecretInput
from tests.fixtures.cli import InProcessCli
from tests.fixtures.tui_steps import KEY_STATE, SIZE, settle, text_of

KEY = "sk-paste0123456789abcdef01234567"
CONF = ("configure", "--region", "ap-southeast-1", "--workspace-id", "ws-paste1")


@pytest.mark.parametrize(
    ("pasted", "prefix"),
    [
        (f"DASHSCOPE_API_KEY={KEY}\n", "DASHSCOPE_API_KEY="),
        (f'export DASHSCOPE_API_KEY="{KEY}"', "export DASHSCOPE_API_KEY="),
        (f"Bearer {KEY}", "Bearer"),
        (f"Authorization: Bearer {KEY}\n\n", "Authorization: Bearer"),
    ],
)
def test_cli_takes_the_key_out_of_a_pasted_line_and_says_so(
    cli: InProcessCli, pasted: str, prefix: str
) -> None:
    r = cli(*CONF, "--store", "file", "--api-key-stdin", input=pasted)
    assert r.rc == 0, r.output
    assert f'"{prefix}" in front of it was left out' in r.stderr
    assert (cli.config.parent / "keys" / "default.key").read_text() == KEY + "\n"
    assert KEY not in r.output


def test_cli_refuses_two_pasted_lines_and_writes_nothing(cli: InProcessCli) -> None:
    r = cli(*CONF, "--store", "file", "--api-key-stdin", input=f"{KEY}\nsk-other0123456789abc\n")
    assert r.rc == 2
    assert "is 2 lines of text" in r.stderr
    assert not cli.config.exists()
    assert KEY not in r.output


def test_cli_takes_one_line_among_empty_ones(cli: InProcessCli) -> None:
    r = cli(*CONF, "--store", "file", "--api-key-stdin", input=f"\n\n  {KEY}  \n\n")
    assert r.rc == 0, r.output
    assert (cli.config.parent / "keys" / "default.key").read_text() == KEY + "\n"


async def test_wizard_shows_the_stripped_prefix(services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#api-key", SecretInput)
        field.focus()
        field.post_message(events.Paste(f"Bearer {KEY}"))
        await settle(app, pilot)
        preview = text_of(app, "#key-preview")
        assert "sk-…4567" in preview
        assert '"Bearer" in front of it was left out' in preview.replace("\n", " ")


async def test_wizard_refuses_a_two_line_paste_instead_of_keeping_the_first(services) -> None:
    app = make_app(services, KEY_STATE, start_step="apikey")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#api-key", SecretInput)
        field.focus()
        field.post_message(events.Paste(f"{KEY}\nsk-other0123456789abcdef"))
        await settle(app, pilot)
        assert field.value == ""
        notes = " ".join(str(n.message) for n in app._notifications)
        assert "is 2 lines of text" in notes
