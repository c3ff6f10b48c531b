"""User-facing messages in English and Simplified Chinese, from assets/locales/.

Each file `assets/locales/<lang>/<domain>.yaml` holds the messages of one domain; a message is
addressed as `<domain>.<key>` (nested keys joined with dots). One file per domain keeps every
module's messages next to each other and lets a test prove both languages have the same keys
and the same placeholders.
"""

from __future__ import annotations

import functools
import os
import string
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
_current = "en"


def detect_language(env: Mapping[str, str] | None = None) -> str:
    """Pick the language from the POSIX locale variables, in their precedence order."""
    env = os.environ if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r} (supported: {', '.join(LANGUAGES)})")
    _current = lang


def get_language() -> str:
    return _current


def _flatten(prefix: str, value: Any, out: dict[str, str], source: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out, source)
    elif isinstance(value, str):
        out[prefix] = value
    else:
        raise ValueError(f"{source}: {prefix}: a message must be a string")


def fast_safe_load(text: str) -> Any:
    """yaml.safe_load, through libyaml when PyYAML has it: the wizard reads every locale file
    before its first paint, and the pure-Python parser takes ~10x longer (startup budget)."""
    if getattr(yaml, "__with_libyaml__", False):
        return yaml.load(text, Loader=yaml.CSafeLoader)  # the C implementation of SafeLoader
    return yaml.safe_load(text)


@functools.cache
def messages(lang: str) -> dict[str, str]:
    """All messages of one language, keyed `domain.key`."""
    folder = resources.files("assets").joinpath("locales", lang)
    out: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        domain = entry.name[: -len(".yaml")]
        data = fast_safe_load(entry.read_text(encoding="utf-8")) or {}
        _flatten(domain, data, out, f"locales/{lang}/{entry.name}")
    return out


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message `key` in `lang` (default: the current language), formatted with params.

    A missing message falls back to English, then to the key itself, so a gap in a
    translation never crashes the tool (a test keeps the two languages in step).
    """
    lang = lang or _current
    template = messages(lang).get(key) or messages("en").get(key)
    if template is None:
        return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
