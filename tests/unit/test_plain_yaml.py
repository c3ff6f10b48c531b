"""app.core.plain_yaml reads the plain subset exactly as PyYAML does, and refuses the rest.

It is what lets `env` and `key get` start without importing PyYAML, so the one rule is: for
any text, it either returns what `yaml.safe_load` returns or raises `Unsupported` (and the
caller falls back to PyYAML). Checked on every packaged file, on the configs `configure`
writes, on hand-picked edge cases and on generated documents.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import plain_yaml
from app.core.plain_yaml import DuplicateKey, Unsupported

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = sorted((ROOT / "assets").rglob("*.yaml"))


def same_as_pyyaml(text: str) -> bool:
    """True when plain_yaml gives PyYAML's result; False when it declines (Unsupported)."""
    try:
        got = plain_yaml.load(text)
    except Unsupported:
        return False
    want = yaml.safe_load(text)
    assert got == want and type(got) is type(want), (text, got, want)
    return True


@pytest.mark.parametrize("path", PACKAGED, ids=[str(p.relative_to(ROOT)) for p in PACKAGED])
def test_every_packaged_file_is_read_without_pyyaml_and_equals_its_result(path):
    """A locale file or the catalog outside the subset would still load (through PyYAML),
    only slower: keep them plain, or extend the reader."""
    assert same_as_pyyaml(path.read_text(encoding="utf-8")), f"{path} is not plain YAML"


def test_the_config_configure_writes_is_plain():
    from app.config.schema import Config, Verification
    from app.config.validate import make_profile
    from app.secrets.stores import KeyRef

    ws, _ = make_profile(
        "default", region="ap-southeast-1", workspace_id="ws-g3ganedl8go5vc5i", residency="eu"
    )
    shared, _ = make_profile(
        "cn.team_2",
        region="cn-beijing",
        endpoint_style="shared",
        api_key=KeyRef(store="file", env="TEAM_KEY"),
        verified=Verification(at="2026-12-04T05:00:00+00:00", verdict="ok"),
    )
    text = Config(default_profile="default", profiles={"default": ws, "cn.team_2": shared}).dump()
    assert same_as_pyyaml(text)


PLAIN = [
    "",
    "# only a comment\n",
    "a: 1\nb: null\nc: ~\nd:\ne: yes\nf: Off\ng: text with spaces\n",
    "a:\n  b:\n    c: d\n  e: f # comment\n",
    "list:\n- a\n- b\nother:\n  - 'it''s'\n  - \"q\\\"uote\\n\"\n",
    "seq:\n  - en: one\n    zh: 二\n  - en: two\n    zh: 三\n",
    'flow: [a, b, \'c, d\', "e"]\nmap: {en: A, zh: B, x: "yes"}\nempty: []\nnone: {}\n',
    "block: |\n  line one\n    indented\n\n  after blank\nnext: x\n",
    "strip: |-\n  a\n  b\nfold: >-\n  a\n  b\nkeep_fold: >\n  c\n  d\n",
    "\"yes\": quoted key\n'no': also\n",
    "url: https://ws-x.cn-beijing.maas.aliyuncs.com/api/v1\n",
    "nested:\n  deeper:\n    deepest: [1, 2]\n",
]

DECLINED = [
    "a: &anchor 1\nb: *anchor\n",
    "a: !!str 1\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1.5\n",
    "a: 2026-12-04\n",
    "a: 0x1f\n",
    "a: 012\n",
    "a: +1\n",
    "a: .inf\n",
    "a: 1\na: 2\n",
    "a:\tb\n",
    "a: b\r\n",
    "\ufeffa: b\n",
    "a: b\x85c\n",
    "a: b\x07\n",
    "a: [[1]]\n",
    "a: [1,\n  2]\n",
    'a: "multi\n  line"\n',
    "a: plain\n  continued\n",
    "key: value: more\n",
    "? complex\n: key\n",
    "a: |+\n  x\n\n",
    "a: |2\n   x\n",
    "<<: {a: 1}\n",
    "just a scalar\n",
    "- - nested\n",
    "a: @reserved\n",
    "a: b\n" + "  " * 0 + "c:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 12)),
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_read_like_pyyaml(text):
    assert same_as_pyyaml(text)


@pytest.mark.parametrize("text", DECLINED)
def test_everything_else_is_left_to_pyyaml(text):
    with pytest.raises(Unsupported):
        plain_yaml.load(text)


DUPLICATES = [
    # (text, the mappings around the key, the key, its line, the first one's line)
    ("version: 1\nregions: [a]\nregions: [b]\n", [], "regions", 3, 2),
    ("p:\n  w:\n    region: a\n    model: m\n    region: b\n", ["p", "w"], "region", 5, 3),
    ("'a': 1\nb: 2\na: 3\n", [], "a", 3, 1),
    ("s: {allow: eu, allow: cn}\n", ["s"], "allow", 1, 1),
    ("l:\n  - a: 1\n    b: 2\n    a: 3\n", ["l"], "a", 4, 2),
    ("l:\n  - x\n  - {a: 1, a: 2}\n", ["l"], "a", 3, 3),
]


@pytest.mark.parametrize(("text", "path", "key", "line", "first"), DUPLICATES)
def test_a_duplicate_key_is_named_with_its_mapping_and_both_lines(text, path, key, line, first):
    """PyYAML keeps the last value silently; the config and policy readers refuse it, and
    need the key and where it is (still an Unsupported, for callers that only fall back)."""
    with pytest.raises(DuplicateKey) as info:
        plain_yaml.load(text)
    assert isinstance(info.value, Unsupported)
    assert (info.value.path, info.value.key, info.value.line, info.value.first_line) == (
        path,
        key,
        line,
        first,
    )


def test_the_same_key_in_different_mappings_is_no_duplicate():
    text = "a:\n  k: 1\nb:\n  k: 2\nl:\n  - k: 3\n  - k: 4\n"
    assert same_as_pyyaml(text)


# Generated documents: block mappings/sequences of scalars from a vocabulary that hits the
# resolver's corner cases (bools, nulls, ints, numbers, dates, indicators, quotes, colons).
WORDS = st.sampled_from(
    [
        "a", "qwen-plus", "yes", "No", "on", "OFF", "null", "~", "0", "7", "012", "1.5",
        "1e3", "-1", "+2", "2026-01-02", ".nan", "x:y", "x: y", "a #b", "a#b", "'q'", '"d"',
        "[x]", "{y}", "-", "- z", "&a", "*a", "!t", "%p", "@r", "`b", "|", ">", "<<", "=",
        "https://h.example/p", "中文", "ws-abc", "", " lead", "trail ", "a, b", "?", "x?",
    ]
)  # fmt: skip
KEYS = st.sampled_from(["a", "b", "key", "yes", "1", "x y", "-k", "k:", "'q'", '"d"', "中"])


def render(value: object, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:\n{render(v, indent + 2)}")
            else:
                out.append(f"{pad}{k}: {v if not isinstance(v, (dict, list)) else ''}".rstrip())
        return "\n".join(out)
    if isinstance(value, list):
        items = []
        for v in value:
            if isinstance(v, (dict, list)) and v:
                items.append(f"{pad}-\n{render(v, indent + 2)}")
            else:
                items.append(f"{pad}- {v}".rstrip())
        return "\n".join(items)
    return f"{pad}{value}"


TREES = st.recursive(
    WORDS,
    lambda children: (
        st.dictionaries(KEYS, children, min_size=1, max_size=4)
        | st.lists(children, min_size=1, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(tree=st.dictionaries(KEYS, TREES, min_size=1, max_size=4))
def test_generated_documents_are_read_like_pyyaml_or_declined(tree):
    text = render(tree) + "\n"
    try:
        want = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(Unsupported):
            plain_yaml.load(text)
        return
    try:
        got = plain_yaml.load(text)
    except Unsupported:
        return
    assert got == want, text


@settings(max_examples=300, deadline=None)
@given(line=st.text(st.characters(codec="utf-8", exclude_characters="\n"), min_size=0, max_size=30))
def test_any_one_line_value_is_read_like_pyyaml_or_declined(line):
    text = f"k: {line}\n"
    try:
        want = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(Unsupported):
            plain_yaml.load(text)
        return
    try:
        got = plain_yaml.load(text)
    except Unsupported:
        return
    assert got == want and type(got) is type(want), (text, got, want)
