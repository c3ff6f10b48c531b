"""ApiKey: paste artefacts are fixed or refused with a message that never repeats the key,
and no way Python has of printing an object shows the raw key (SECURITY.md T8)."""

from __future__ import annotations

import io
import logging
import pickle
import traceback
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import UserError
from app.core.i18n import t
from app.secrets.key import MAX_KEY_LEN, ApiKey, InvalidApiKey

GOOD = "sk-0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "pasted",
    [
        GOOD + "\n",
        GOOD + "\r\n",
        "  " + GOOD + "  ",
        "\t" + GOOD + " \n",
        f'"{GOOD}"',
        f"'{GOOD}'",
        f"\u201c{GOOD}\u201d",  # smart double quotes from a document
        f"\u2018{GOOD}\u2019",
        f"`{GOOD}`",
        f" \u201c {GOOD} \u201d\n",
    ],
)
def test_paste_artefacts_are_stripped(pasted: str) -> None:
    assert ApiKey(pasted).reveal() == GOOD


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "secrets.key_empty"),
        ("   \n", "secrets.key_empty"),
        ('""', "secrets.key_empty"),
        ("sk-abc", "secrets.key_too_short"),
        ("sk-" + "a" * MAX_KEY_LEN, "secrets.key_too_long"),
        ("sk-" + "a" * 10 * MAX_KEY_LEN, "secrets.key_too_long"),
        ("sk-0123 456789abcdef", "secrets.key_inner_space"),
        ("sk-0123456789\nabcdef", "secrets.key_inner_space"),
        ("sk-0123456789\tabcdef", "secrets.key_inner_space"),
        ("sk-0123456789\x00abcdef", "secrets.key_control_char"),
        ("sk-0123456789\x1babcdef", "secrets.key_control_char"),
        ("sk-0123456789\x7fabcdef", "secrets.key_control_char"),
        ("\u201csk-0123456789abcdef", "secrets.key_non_ascii"),  # one smart quote only
        ("sk-0123456789abcdef\u201d", "secrets.key_non_ascii"),
        ("sk-0123456789аbcdef", "secrets.key_non_ascii"),  # Cyrillic a
        ("sk-0123456789abcdef\u200b", "secrets.key_non_ascii"),  # zero-width space
        ("ｓｋ-0123456789abcdef", "secrets.key_non_ascii"),  # full-width
    ],
)
def test_bad_keys_are_refused_with_a_specific_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidApiKey) as info:
        ApiKey(raw)
    err = info.value
    assert err.key == reason
    assert isinstance(err, UserError) and err.exit_code == 2
    body = raw.strip()
    # The message explains the problem in words, and the key never appears in it.
    for lang in ("en", "zh"):
        text = t(err.key, lang, **err.params)
        assert text != err.key
        if len(body) >= 8:
            assert body not in text
            assert body[3:11] not in text
    rendered = "".join(traceback.format_exception(err))
    if len(body) >= 8:
        assert body[3:11] not in rendered


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidApiKey):
        ApiKey(None)  # type: ignore[arg-type]


def test_bad_character_is_located_by_position_and_code_point() -> None:
    with pytest.raises(InvalidApiKey) as info:
        ApiKey("sk-0123456789\u00e9bcdef")
    assert info.value.params == {"pos": 14, "code": "U+00E9"}


def test_plan_key_gets_a_warning_and_a_plan_mask() -> None:
    key, notices = ApiKey.parse("sk-sp-0123456789abcdefwxyz")
    assert key.is_plan_key
    assert [n.key for n in notices] == ["secrets.plan_key"]
    assert "sk-sp-" in notices[0].message
    assert key.masked() == "sk-sp-…wxyz"


def test_ordinary_key_has_no_notice_and_unusual_prefix_has_one() -> None:
    assert ApiKey.parse(GOOD)[1] == ()
    assert [n.key for n in ApiKey.parse("ak-0123456789abcdef")[1]] == ["secrets.unusual_prefix"]


def test_masked_shows_only_prefix_and_last_four() -> None:
    key = ApiKey(GOOD)
    assert key.masked() == "sk-…cdef"
    assert ApiKey("sk-short12").masked() == "sk-…"  # too short to show a tail


def test_equality_and_fingerprint_compare_without_revealing() -> None:
    a, b, c = ApiKey(GOOD), ApiKey(GOOD + "\n"), ApiKey(GOOD[:-1] + "0")
    assert a == b and a != c
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert GOOD not in a.fingerprint()


def test_cannot_be_pickled_or_changed() -> None:
    key = ApiKey(GOOD)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(AttributeError):
        key._value = "x"  # type: ignore[misc]


@dataclass
class _Holder:
    name: str
    key: ApiKey


def _renderings(key: ApiKey) -> list[str]:
    """Every ordinary way a key ends up as text by accident."""
    out = [
        repr(key),
        str(key),
        f"{key}",
        f"{key!r}",
        f"{key:>40}",
        "%s %r" % (key, key),  # noqa: UP031 - old-style formatting is what logs use
        "{}".format(key),  # noqa: UP032
        str([key]),
        str({"k": key}),
        repr(_Holder("p", key)),
        str((key,)),
    ]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("apikey-test")
    logger.addHandler(handler)
    try:
        logger.warning("key is %s (%r)", key, key)
    finally:
        logger.removeHandler(handler)
    out.append(stream.getvalue())
    try:
        raise RuntimeError(f"failed with {key}", key)
    except RuntimeError as exc:
        out.append("".join(traceback.format_exception(exc)))
        out.append(str(exc))
        out.append(repr(exc))
    try:
        _fail_holding(key)
    except ValueError as exc:
        tb = traceback.TracebackException.from_exception(exc, capture_locals=True)
        out.append("".join(tb.format()))
    return out


def _fail_holding(key: ApiKey) -> None:
    holder = _Holder("p", key)  # noqa: F841 - a local that a crash report would show
    raise ValueError("boom")


key_bodies = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    min_size=5,
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(prefix=st.sampled_from(["sk-", "sk-sp-"]), body=key_bodies)
def test_no_rendering_contains_the_raw_key(prefix: str, body: str) -> None:
    raw = prefix + body
    key = ApiKey(raw)
    for text in _renderings(key):
        assert raw not in text


@settings(max_examples=100, deadline=None)
@given(body=key_bodies, junk=st.sampled_from([" ", "\u00a0", "\u201d", "\x00", "é"]))
def test_refusal_messages_never_contain_the_key(body: str, junk: str) -> None:
    raw = "sk-" + body[:3] + junk + body[3:]
    with pytest.raises(InvalidApiKey) as info:
        ApiKey(raw)
    rendered = "".join(traceback.format_exception(info.value))
    for lang in ("en", "zh"):
        assert ("sk-" + body) not in t(info.value.key, lang, **info.value.params)
    assert raw.strip() not in rendered
