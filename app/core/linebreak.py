"""Line breaking for Chinese prose (避头尾, kinsoku shori): text and a width in, lines out.

Textual wraps only at whitespace and folds a word wider than the line at the edge. A Chinese
paragraph has no whitespace, so it is folded wherever the edge falls, and a line may start
with "。" or "）" (E27). Here a line may also break between two characters when either is
CJK (an ideograph, kana, a fullwidth form), never before closing punctuation ("。", "，",
"）", "」", "”" ...) and never after opening punctuation ("（", "“", "「", "《" ...): such a
mark stays glued to its neighbour, so a line that would start with "。" takes the character
before it along. Text without CJK breaks at whitespace only, as Textual does; a run that
cannot be broken and is wider than the line is folded by cells, still avoiding those marks
at a fold where the run allows it.

Widths are terminal cells (`rich.cells.cell_len`: an ideograph is two). No Textual here
(screens/widgets.py `Prose` renders with it); this module only measures and cuts.
"""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len

# A line must not start with these: closing and trailing marks of Chinese (and Japanese) text.
CLOSING = frozenset(
    "。．，、：；！？）」』》〉】〕〗〙〛｝］｠’”…‥⋯・〜～々〻"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー"
    "｡､｣"
)
# ...nor end with these: opening marks.
OPENING = frozenset("（「『《〈【〔〖〘〚｛［｟‘“｢")
# ASCII marks keep to the character before / after them too ("密钥)", "(密钥"), but a space
# before or after one is a break, as in English (".env", "::1", "...").
NO_BREAK_BEFORE = CLOSING | frozenset(")]}.,;:!?%")
NO_BREAK_AFTER = OPENING | frozenset("([{")
# Doubled marks that are one mark ("……", "——"): never split in the middle.
_PAIRED = frozenset("…—⋯")


def is_cjk(char: str) -> bool:
    """A wide (or fullwidth) character: a break is allowed next to it."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def has_cjk(text: str) -> bool:
    return any(is_cjk(char) for char in text)


def _may_break_between(before: str, after: str) -> bool:
    """A break between two adjacent characters (no whitespace between them)."""
    if before in NO_BREAK_AFTER or after in NO_BREAK_BEFORE:
        return False
    if before == after and before in _PAIRED:
        return False
    return is_cjk(before) or is_cjk(after)


def _glued(char: str, *, before: bool = True) -> bool:
    """A Chinese closing mark (`before`) or opening mark: it keeps to its word across a
    space too ("密钥 ）"); ASCII ones do not ("| ..." breaks at the space, as in English)."""
    return char in (CLOSING if before else OPENING)


def _units(line: str) -> list[tuple[int, int, int]]:
    """The pieces no break may fall inside: (start, end of the text, end with the whitespace
    after it). A break after a unit drops that whitespace; otherwise it stays in the line."""
    units: list[tuple[int, int, int]] = []
    start = 0
    i = 0
    n = len(line)
    while i < n and line[i].isspace():  # leading indentation belongs to the first unit
        i += 1
    while i < n:
        j = i + 1
        while j < n and not line[j].isspace() and not _may_break_between(line[j - 1], line[j]):
            j += 1
        k = j
        while k < n and line[k].isspace():
            k += 1
        if k > j and k < n and (_glued(line[j - 1], before=False) or _glued(line[k])):
            i = k  # "密钥 ）" / "（ 密钥": that whitespace is no break either
            continue
        units.append((start, j, k))
        start = i = k
    if start < n or not units:
        units.append((start, n, n))
    return units


def _fold(line: str, start: int, end: int, width: int) -> list[int]:
    """Where to cut line[start:end], wider than `width`, into pieces that fit: after the last
    character that fits, or earlier to keep a closing mark off the next piece's start."""
    cuts: list[int] = []
    piece_start = start
    used = 0
    i = start
    while i < end:
        w = cell_len(line[i])
        if used + w > width and i > piece_start:
            cut = i
            while cut > piece_start + 1 and (
                line[cut] in NO_BREAK_BEFORE or line[cut - 1] in NO_BREAK_AFTER
            ):
                cut -= 1
            if line[cut] in NO_BREAK_BEFORE or line[cut - 1] in NO_BREAK_AFTER:
                cut = i  # no better place: cut at the edge
            cuts.append(cut)
            piece_start = cut
            used = cell_len(line[cut:i])
        used += w
        i += 1
    return cuts


def break_spans(line: str, width: int) -> list[tuple[int, int]]:
    """The (start, end) of each line `line` (one paragraph, no newline) breaks into at `width`.

    line[start:end] is what that line shows: the whitespace at a break is in no span.
    """
    width = max(width, 1)
    spans: list[tuple[int, int]] = []
    line_start: int | None = None
    line_end = 0
    used = 0  # cells of line[line_start:position], whitespace after the last unit included
    for start, end, after in _units(line):
        w = cell_len(line[start:end])
        if line_start is not None and used + w <= width:
            line_end = end
            used += w + cell_len(line[end:after])
            continue
        if line_start is not None:
            spans.append((line_start, line_end))
        line_start = start
        if w > width:
            for cut in _fold(line, start, end, width):
                spans.append((line_start, cut))
                line_start = cut
            w = cell_len(line[line_start:end])
        line_end = end
        used = w + cell_len(line[end:after])
    if line_start is None:
        return [(0, len(line))]
    spans.append((line_start, len(line)))  # the paragraph's own trailing whitespace stays
    return spans


def wrap(text: str, width: int) -> list[str]:
    """`text` as the lines it shows at `width` cells; every newline in it ends a line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(paragraph[start:end] for start, end in break_spans(paragraph, width))
    return lines
