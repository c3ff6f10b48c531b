"""The one sanitiser and the one key detector (app.core.text) that every message goes through."""

from __future__ import annotations

import base64

import pytest

from app.core.errors import Notice, UserError
from app.core.text import hide_if_key, inert, looks_like_key

REAL_KEYS = [
    "sk-" + "0123456789abcdef" * 2,  # pay-as-you-go, 32 hex: also a valid DNS label
    "sk-sp-" + "a1b2c3d4" * 12,  # plan key
    "sk-ws-" + "AbCdEf12." * 12 + "xyz",  # newer dotted body
    "st-" + "Zx9" * 12,  # temporary key
    "SK-" + "0123456789ABCDEF" * 2,  # upper-cased by a paste
    "Q2hhbmdlTWU" + "x7Pq9" * 6,  # another provider's long token
]
NOT_KEYS = [
    "sk-…a1b2",  # masked
    "sk-learn",
    "~/sk-learn-demo/.env",  # a folder name, not a key (no digit in the body)
    "st-louis-office",
    "task-0123456789abcdef",  # 'sk-' inside a word
    "ws-abc123def4567890",
    "llm-0123456789abcdef",
    "qwen3-coder-480b-a35b-instruct",
    "/usr/lib/python3/dist-packages/site/packages/abc123",
    "https://ws-abc.cn-beijing.maas.aliyuncs.com/compatible-mode/v1",
    "DASHSCOPE_COMPATIBLE_BASE_URL",
    "",
]


@pytest.mark.parametrize("value", REAL_KEYS)
def test_key_shapes_are_recognised_alone_and_inside_text(value: str) -> None:
    assert looks_like_key(value)
    assert looks_like_key(f"workspace_id: '{value}'\n")
    assert hide_if_key(f"x {value} y") == "<hidden>"


@pytest.mark.parametrize("value", NOT_KEYS)
def test_ordinary_values_are_not_keys(value: str) -> None:
    assert not looks_like_key(value)


def test_base64_of_a_key_is_a_long_token() -> None:
    key = "sk-" + "0123456789abcdef" * 2
    assert looks_like_key(base64.b64encode(key.encode()).decode())


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b]52;c;aGVsbG8=\x07",  # OSC 52 clipboard write
        "\x1b[2J",  # clear screen
        "\x9b31m",  # C1 CSI
        "a\u202eb",  # bidi override
        "a\u2028b",  # line separator
        "a\rb",
        "a\x00b",
        "a\u200bb",  # zero-width space
    ],
)
def test_inert_text_carries_no_control_character(raw: str) -> None:
    for keep in (False, True):
        shown = inert(raw, keep_newlines=keep)
        assert shown.isprintable()
        assert "\\" in shown  # shown as an escape, not dropped


def test_newlines_stay_only_when_asked_and_limit_cuts_with_an_ellipsis() -> None:
    assert inert("a\nb") == "a\\nb"
    assert inert("a\nb\tc", keep_newlines=True) == "a\nb\tc"
    assert inert("x" * 50, limit=10) == "x" * 9 + "…"
    assert inert("\x1b" * 50, limit=10).endswith("…")
    assert inert(42) == "42"


def test_messages_hide_keys_and_escape_controls_in_every_parameter() -> None:
    key = REAL_KEYS[0]
    err = UserError("profiles.value_looks_like_key", what=key)
    assert key not in err.message
    note = Notice("profiles.value_looks_like_key", what="\x1b]0;pwned\x07")
    assert "\x1b" not in note.message and "\\x1b" in note.message
