"""app.core.jsonc: JSON with comments is read as its clients read it, edited in place with
everything outside the edit kept byte for byte, and a broken or hostile file is refused with
its line, never a traceback (the Qwen Code and opencode merges stand on this)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import jsonc

SETTINGS = """// my Qwen Code settings
{
  /* the theme I like */
  "$version": 3,
  "ui": {"theme": "dark"}, // keep dark
  "modelProviders": {
    "openai": [
      {"id": "gpt-x", "baseUrl": "https://example.test/v1"} // work account
    ]
  }
}
"""


def test_comments_are_ignored_on_read():
    assert jsonc.loads(SETTINGS) == {
        "$version": 3,
        "ui": {"theme": "dark"},
        "modelProviders": {"openai": [{"id": "gpt-x", "baseUrl": "https://example.test/v1"}]},
    }


def test_adding_a_member_keeps_every_other_byte():
    edited = jsonc.set_member(SETTINGS, ["security", "auth", "selectedType"], "openai")
    assert jsonc.loads(edited)["security"] == {"auth": {"selectedType": "openai"}}
    # The original text is still there, in order, with its comments: only added to.
    kept = [line for line in SETTINGS.splitlines() if line.strip()]
    lines = edited.splitlines()
    positions = [lines.index(line) for line in kept[:-2]]  # up to the last member's close
    assert positions == sorted(positions)
    assert "// keep dark" in edited and "/* the theme I like */" in edited
    assert "// work account" in edited


def test_replacing_a_value_touches_only_its_span():
    edited = jsonc.set_member(SETTINGS, ["ui", "theme"], "light")
    assert edited == SETTINGS.replace('"theme": "dark"', '"theme": "light"')


def test_an_item_is_replaced_or_appended_in_its_array():
    replaced = jsonc.replace_value(SETTINGS, ["modelProviders", "openai", 0], {"id": "mine"})
    assert jsonc.loads(replaced)["modelProviders"]["openai"] == [{"id": "mine"}]
    assert "// work account" in replaced  # the comment after the item stays
    appended = jsonc.append_item(SETTINGS, ["modelProviders", "openai"], {"id": "ours"})
    items = jsonc.loads(appended)["modelProviders"]["openai"]
    assert [i["id"] for i in items] == ["gpt-x", "ours"]
    assert "// work account" in appended


@pytest.mark.parametrize("text", ["{}", "{\n}\n", '{"a": 1}', '{\n  "a": 1 // c\n}\n'])
def test_members_are_added_to_any_shape_of_object(text):
    edited = jsonc.set_member(text, ["b", "c"], [1, "two"])
    assert jsonc.loads(edited)["b"] == {"c": [1, "two"]}


def test_trailing_commas_only_where_the_reader_accepts_them():
    with pytest.raises(jsonc.JsoncError) as err:
        jsonc.loads('{\n  "a": 1,\n}')
    assert err.value.line == 3
    assert jsonc.loads('{"a": [1,],}', trailing_commas=True) == {"a": [1]}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a" 1}', "expected ':'"),
        ('{"a": 1} trailing', "text after the end"),
        ("/* never closed", "never closed"),
        ('{"a": "line\nbreak"}', "control character"),
        ("", "ends early"),
        ("{a: 1}", "key must be a string"),
        ("[" * 200 + "]" * 200, "nested deeper"),
        ('{"a": tru}', "expected a value"),
    ],
)
def test_broken_or_hostile_text_is_refused_with_a_reason(text, reason):
    with pytest.raises(jsonc.JsoncError) as err:
        jsonc.loads(text)
    assert reason in err.value.reason and err.value.line >= 1


def test_setting_under_a_non_object_is_refused():
    with pytest.raises(jsonc.JsoncError):
        jsonc.set_member('{"security": "strict"}', ["security", "auth"], 1)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=6), _values, max_size=4), value=_values)
def test_any_json_reads_the_same_and_any_edit_lands(doc, value):
    """Plain JSON is JSONC: read like json.loads, and an edit yields exactly the edited value."""
    doc.pop("new", None)
    for text in (json.dumps(doc), json.dumps(doc, indent=2)):
        assert jsonc.loads(text) == doc
        edited = jsonc.set_member(text, ["new", "deep"], value)
        assert jsonc.loads(edited) == {**doc, "new": {"deep": value}}
