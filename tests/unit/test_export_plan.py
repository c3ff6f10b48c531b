"""The write plan (app.export.write): what the Export step says will happen at a destination
is the decision write_export acts on."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.export.write import destination_action, write_action

OURS = "# Model Studio profile 'p': x\n# Written by modelstudio-setup export.\nA=1\n"


@pytest.mark.parametrize(
    ("fmt", "existing", "action"),
    [
        ("sh", None, "create"),
        ("sh", "  \n", "create"),
        ("claude-code", "{}", "merge_settings"),
        ("qwen-code", '{"a": 1}', "merge_settings"),
        ("dotenv", "FOO=bar\n", "merge_dotenv"),
        ("sh", OURS, "replace"),
        ("openai-python", "print('mine')\n", "foreign"),
    ],
)
def test_write_action(fmt: str, existing: str | None, action: str) -> None:
    assert write_action(fmt, existing) == action


def test_destination_action_reads_the_file_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "modelstudio.sh"
    assert destination_action(target, "sh") == "create"
    target.write_text("echo mine\n")
    assert destination_action(target, "sh") == "foreign"
    assert destination_action(target, "sh", force=True) == "replace"
    target.write_text(OURS)
    assert destination_action(target, "sh") == "replace"
    assert destination_action(tmp_path, "sh") == "not_a_file"
