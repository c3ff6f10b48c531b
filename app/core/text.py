"""Text that reaches a terminal, a file or a report: one sanitiser and one key detector.

Two questions are asked of every value that came from somewhere we do not control (a config
file, an environment variable, a server, a typed answer) before it is shown:

- could it drive the terminal? An ESC, CSI, OSC 52 (clipboard write), a bidi override or a
  line separator in a profile name or a server's error text acts when printed raw. `inert`
  shows every such character as its escape (`\\x1b`), visible to support, inert on screen.
- is it an API key? A user pastes the key into the wrong field (T16): a real key
  (`sk-` + 32 hex) is even a valid DNS label. `looks_like_key` recognises the key shapes
  Model Studio issues, so a non-secret field can refuse such a value without echoing it.

A third, `redact`, is for text that may hold THE key (a keyring backend's error message):
every form of it is removed before the text is cut, then anything key-shaped hides it.

This module has no dependencies: every layer may use it, and there is no other copy.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# Key shapes (MODEL_STUDIO.md section 3): pay-as-you-go `sk-`, `sk-ws-` (dotted body), plan
# `sk-sp-`, temporary `st-`. The body is at least 8 characters so that a masked key
# (`sk-…a1b2`) or a word like `sk-learn` is not a key; `(?<![A-Za-z0-9])` keeps `task-…` out.
# The body also holds a digit: every issued key does, while names such as `sk-learn-demo`
# (a folder) or `st-louis-office` do not, and must not be refused as keys.
_PREFIXED_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?:sk|st)-(?=[A-Za-z0-9_.\-]*[0-9])[A-Za-z0-9_.\-]{8,}", re.IGNORECASE
)
# A long unstructured token (another provider's key, a bearer token): 32+ characters of
# letters and digits without separators, mixing both. Host labels, model names and paths
# have separators long before 32 characters.
_LONG_TOKEN = re.compile(r"[A-Za-z0-9]{32,}")


def inert(value: object, limit: int | None = None, *, keep_newlines: bool = False) -> str:
    """`value` as text that cannot act on a terminal, cut to `limit` characters.

    Every character that `str.isprintable` rejects (C0 and C1 controls, DEL, bidi overrides,
    zero-width and line/paragraph separators) is shown as its Python escape (`\\x1b`,
    `\\u202e`). `keep_newlines` keeps `\\n` and `\\t` as they are, for messages that nest other
    messages on their own lines; a CR is always escaped (it rewrites the line it ends).
    """
    text = value if isinstance(value, str) else str(value)
    if limit is not None:
        text = text[: limit + 1]  # every character becomes at least one: enough to decide
    if not (text.isprintable() or (keep_newlines and _printable_but_layout(text))):
        kept = "\n\t" if keep_newlines else ""
        text = "".join(ch if ch.isprintable() or ch in kept else ascii(ch)[1:-1] for ch in text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    return text


def _printable_but_layout(text: str) -> bool:
    return all(ch.isprintable() or ch in "\n\t" for ch in text)


def looks_like_key(value: object) -> bool:
    """True when an API key (not a masked one) appears anywhere in `value`."""
    if not isinstance(value, str) or len(value) < 11:
        return False
    if _PREFIXED_KEY.search(value):
        return True
    return any(_high_entropy(m.group()) for m in _LONG_TOKEN.finditer(value))


def _high_entropy(token: str) -> bool:
    has_digit = any(c.isdigit() for c in token)
    has_alpha = any(c.isalpha() for c in token)
    return has_digit and has_alpha and len(set(token)) >= 12


def hide_if_key(value: str, hidden: str = "<hidden>") -> str:
    """`value` made inert, or `hidden` when it holds a key: for echoing a field back."""
    return hidden if looks_like_key(value) else inert(value, keep_newlines=True)


def secret_forms(secret: str) -> tuple[str, ...]:
    """The ways a backend's error text may spell `secret`: as is, as `repr`/JSON escape it,
    hex, and base64 (standard and URL-safe) at each of the three byte alignments, so a key
    inside a larger base64 blob is found too. Longest first, for replacement."""
    # lazy: only a backend's error text is searched for the key (never on `env`)
    import base64
    import json

    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], secret.encode().hex()}
    raw = secret.encode("utf-8", "replace")
    for start in range(3):
        chunk = raw[start:]
        chunk = chunk[: len(chunk) // 3 * 3]
        if len(chunk) >= 6:
            forms.add(base64.b64encode(chunk).decode())
            forms.add(base64.urlsafe_b64encode(chunk).decode())
    return tuple(sorted((f for f in forms if len(f) >= 8), key=len, reverse=True))


def redact(text: object, secret: str | None = None, limit: int | None = None) -> str:
    """Foreign text (a keyring backend's error) made safe to show: the ONE redaction step
    (`secret` is the raw key the failed call was handling, if any).

    The secret is removed in every form `secret_forms` knows BEFORE anything is cut (a cut
    could split the key so that no form matches any more), then anything else key-shaped
    hides the text (app.core.text.hide_if_key), then it is made inert and cut to `limit`.
    """
    value = text if isinstance(text, str) else str(text)
    value = " ".join(value.split())
    if secret is not None:
        for form in secret_forms(secret):
            value = value.replace(form, "***")
    value = hide_if_key(value, "<hidden: looks like a key>")
    return inert(value, limit)
