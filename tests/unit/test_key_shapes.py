"""Key shapes (MODEL_STUDIO.md section 3, issue 9 section 3): what a user sees when pasting
each kind of key. Never one fixed regex: printable ASCII, no whitespace, 8-1000 characters;
the shape only decides which remark, if any, is shown."""

from __future__ import annotations

import pytest

from app.core.i18n import set_language
from app.secrets.key import ApiKey, InvalidApiKey, temporary_expiry

# A newer pay-as-you-go key: `sk-ws-` and a long dotted body (~125 characters observed).
WS_KEY = (
    "sk-ws-"
    + ".".join(["Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3"] * 3)
    + ".x9Y8z7W6v5U4t3S2r1Q0pO9n8M7l6K5j4I3h2"
)
PLAN_KEY = "sk-sp-" + "f0e1d2c3b4a5" * 9  # ~112 characters, as observed for Token Plan
TEMP_KEY = "st-" + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"


def test_a_dotted_sk_ws_key_is_accepted_without_a_warning():
    assert 120 <= len(WS_KEY) <= 150  # "~125" observed; the body length is not fixed
    key, notices = ApiKey.parse(WS_KEY)
    assert notices == ()
    assert key.reveal() == WS_KEY
    assert key.masked() == "sk-…" + WS_KEY[-4:]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_plan_key_says_the_ownership_probe_tells_which_plan(lang):
    set_language(lang)
    try:
        _, notices = ApiKey.parse(PLAN_KEY)
        text = notices[0].message
    finally:
        set_language("en")
    assert [n.key for n in notices] == ["secrets.plan_key"]
    assert "doctor --all-regions" in text and "Coding Plan" in text and "Token Plan" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_temporary_key_is_recognised_and_said_to_expire(lang):
    set_language(lang)
    try:
        key, notices = ApiKey.parse(TEMP_KEY)
        text = notices[0].message
    finally:
        set_language("en")
    assert key.is_temporary and not key.is_plan_key
    assert [n.key for n in notices] == ["secrets.temporary_key"]
    assert "st-" in text and ("expires" in text or "过期" in text)
    assert key.masked() == "st-…" + TEMP_KEY[-4:]
    assert TEMP_KEY not in repr(key) + str(key)


@pytest.mark.parametrize(
    ("expires_at", "shown"),
    [
        (1764934200, "2025-12-05 11:30:00 UTC"),  # epoch seconds
        (1764934200000, "2025-12-05 11:30:00 UTC"),  # epoch milliseconds
        ("1764934200", "2025-12-05 11:30:00 UTC"),
        ("2025-12-05T11:30:00Z", "2025-12-05T11:30:00Z"),
    ],
)
def test_the_expiry_the_service_returns_is_shown(expires_at, shown):
    notice = temporary_expiry(expires_at)
    assert notice is not None and shown in notice.message


@pytest.mark.parametrize("expires_at", [None, "", True, 10**30, {"at": 1}, "\x1b[31m" * 40])
def test_an_unusable_or_hostile_expiry_says_nothing_or_is_inert(expires_at):
    notice = temporary_expiry(expires_at)
    assert notice is None or ("\x1b" not in notice.message and len(notice.message) < 120)


@pytest.mark.parametrize(
    "raw",
    ["sk-" + "a" * 1000, "sk-abc def0123", "sk-\u00e9" + "0" * 20, "sk-1234"],
)
def test_shape_rules_are_length_ascii_and_whitespace_only(raw):
    with pytest.raises(InvalidApiKey):
        ApiKey(raw)


def test_any_printable_body_of_a_valid_length_is_accepted():
    for raw in ["sk-" + "Z" * 997, "sk-a_b.c-d~e!f@g", "x" * 8]:
        assert ApiKey(raw).reveal() == raw
