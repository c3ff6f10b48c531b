"""app.core.linebreak: Chinese prose breaks by the rules (避头尾), English as Textual wraps
it (E27).

Property-style: every real Chinese message of assets/locales/zh, at many widths, even and odd.
"""

from __future__ import annotations

import itertools
import re

import pytest
from rich.cells import cell_len

from app.core.i18n import messages
from app.core.linebreak import CLOSING as CLOSING_MARKS
from app.core.linebreak import NO_BREAK_AFTER, NO_BREAK_BEFORE, break_spans, wrap
from app.core.linebreak import OPENING as OPENING_MARKS

# The marks the issue names (E27) must be among the rules.
NAMED_CLOSING = "。）)，、：；！？」』》”’…"
NAMED_OPENING = "（“「《‘『(["
# From 8 cells: narrower, "换”，" (5 cells, one unit) cannot be kept whole on a line.
WIDTHS = [*range(8, 41), 47, 58, 59, 60, 61, 77, 78, 79, 96, 97, 116]


def _zh_texts() -> list[str]:
    # Placeholders filled with a Latin word, as the screens fill them (names, hosts, paths).
    return sorted({re.sub(r"\{[^{}]*\}", "work-profile", text) for text in messages("zh").values()})


ZH = _zh_texts()


def test_the_rules_hold_the_marks_the_issue_names():
    assert set(NAMED_CLOSING) <= NO_BREAK_BEFORE
    assert set(NAMED_OPENING) <= NO_BREAK_AFTER
    assert set(NAMED_CLOSING) - set(")") <= CLOSING_MARKS


def test_there_are_many_chinese_messages_to_check():
    assert len(ZH) > 300
    assert any(len(text) > 80 for text in ZH)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_of_a_chinese_message_starts_with_a_closing_or_ends_with_an_opening_mark(width):
    """(A paragraph that itself starts with a mark, the "!" of a warning, keeps it.)"""
    for text in ZH:
        for paragraph in text.split("\n"):
            lines = wrap(paragraph, width)
            for line in lines[1:]:
                assert line[:1] not in CLOSING_MARKS, (width, text, line)
            for line in lines[:-1]:
                assert line[-1:] not in OPENING_MARKS, (width, text, line)


@pytest.mark.parametrize("width", WIDTHS)
def test_breaking_loses_and_reorders_nothing_but_the_whitespace_at_breaks(width):
    for text in ZH:
        for paragraph in text.split("\n"):
            spans = break_spans(paragraph, width)
            assert spans[0][0] == 0 and spans[-1][1] == len(paragraph)
            rebuilt = paragraph[: spans[0][1]]
            for (_, end), (start, stop) in itertools.pairwise(spans):
                assert end <= start and not paragraph[end:start].strip(), (paragraph, spans)
                rebuilt += paragraph[end:start] + paragraph[start:stop]
            assert rebuilt == paragraph  # the lines, with the break whitespace put back
            assert wrap(paragraph, width) == [paragraph[a:b] for a, b in spans]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_is_wider_than_the_width(width):
    """Not even a run that cannot be broken (a URL, a long name): it is folded, as Textual
    folds it."""
    for text in ZH:
        for line in wrap(text, width):
            assert cell_len(line.rstrip()) <= width, (width, text, line)


def test_a_chinese_paragraph_breaks_between_characters_and_keeps_marks_off_line_starts():
    text = "演示模式：配置、密钥文件和导出文件都位于临时目录中，退出时会被删除。"
    lines = wrap(text, 10)
    assert "".join(lines) == text
    assert all(cell_len(line) <= 10 for line in lines)
    assert not any(line[0] in CLOSING_MARKS for line in lines)
    # "中，" would put "，" at the start of a line at width 18: "中" goes down with it.
    assert wrap("配置、密钥文件和导出文件都位于临时目录中，退出", 18) == [
        "配置、密钥文件和导",
        "出文件都位于临时目",
        "录中，退出",
    ]
    assert wrap("一二三（四五", 8) == ["一二三", "（四五"]  # not "一二三（": 8 cells
    assert wrap("一二三四五六七八。", 16) == ["一二三四五六七", "八。"]


def test_english_breaks_at_spaces_only_as_textual_does():
    text = "The quick brown fox jumps over the lazy dog"
    assert wrap(text, 10) == ["The quick", "brown fox", "jumps over", "the lazy", "dog"]
    assert wrap("https://dashscope-intl.aliyuncs.com/v1", 80) == [
        "https://dashscope-intl.aliyuncs.com/v1"
    ]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]  # folded, as Textual folds


def test_latin_words_inside_chinese_stay_whole():
    lines = wrap("运行 modelstudio-setup doctor 诊断配置", 20)
    assert lines == ["运行", "modelstudio-setup", "doctor 诊断配置"]


def test_newlines_end_lines_and_blank_lines_stay():
    assert wrap("第一行。\n\n第二行。", 40) == ["第一行。", "", "第二行。"]
    assert wrap("", 10) == [""]
