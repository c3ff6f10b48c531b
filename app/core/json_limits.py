"""JSON from the network, parsed with limits (T18): the one parser of every answer doctor reads.

A hostile or broken server (or a captive portal) can answer with a 2 KB `[[[…]]]` that
overflows Python's recursive parser, or an endless body of `[`. Bodies are capped where they
are read (probe.py); here nesting is refused before parsing, so such an answer is "not JSON"
(an unexpected_response finding), never a RecursionError.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["JSON_MAX_DEPTH", "json_too_deep", "parse_json"]

# Deepest nesting of arrays/objects accepted in an answer (T18). Model Studio's envelopes
# nest 4-5 levels; a hostile 2 KB `[[[…]]]` would overflow the recursive parser.
JSON_MAX_DEPTH = 64
_JSON_TOKENS = re.compile(rb'["\\\[\]{}]')


def json_too_deep(raw: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether `raw` nests arrays/objects deeper than `limit` (brackets inside strings do
    not count). Linear, and it stops at the first level too deep."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    skip_to = -1
    for match in _JSON_TOKENS.finditer(raw):
        pos = match.start()
        if pos < skip_to:
            continue
        token = match.group()
        if in_string:
            if token == b"\\":
                skip_to = pos + 2
            elif token == b'"':
                in_string = False
        elif token == b'"':
            in_string = True
        elif token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def parse_json(content_type: str, raw: bytes) -> tuple[bool, Any]:
    """(is_json, value): a body is JSON only if it says so or parses as an object.

    The one parser of every answer the probe reads: nesting is limited (T18), so a hostile
    body is "not JSON" (an unexpected_response), never a RecursionError."""
    if "html" in content_type.lower() or json_too_deep(raw):
        return False, None
    try:
        return True, json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None
