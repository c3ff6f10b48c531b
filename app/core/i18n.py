"""User-facing messages in English and Simplified Chinese, from assets/locales/.

Each file `assets/locales/<lang>/<domain>.yaml` holds the messages of one domain; a message is
addressed as `<domain>.<key>` (nested keys joined with dots). One file per domain keeps every
module's messages next to each other and lets a test prove both languages have the same keys
and the same placeholders. A message loads its own domain's file only, and PyYAML is
imported on the first load: `env` and `key get` (run from shell rc files and by apiKeyHelper)
and `--version` must not pay for every locale file, nor for a YAML parser they do not use.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import Any

import assets
from app.core.compiled_assets import fast_safe_load, load_asset

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


_LOCALES = os.path.join(os.path.dirname(os.path.abspath(assets.__file__)), "locales")
_DOMAIN = re.compile(r"[a-z][a-z0-9_]*")


def _domains(lang: str) -> list[str]:
    folder = os.path.join(_LOCALES, lang)
    return sorted(name[: -len(".yaml")] for name in os.listdir(folder) if name.endswith(".yaml"))


@functools.cache
def domain_messages(lang: str, domain: str) -> dict[str, str]:
    """The messages of one domain (one file) of one language, keyed `domain.key`; empty
    when there is no such file."""
    if lang not in LANGUAGES or not _DOMAIN.fullmatch(domain):
        return {}
    try:
        with open(os.path.join(_LOCALES, lang, f"{domain}.yaml"), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    out: dict[str, str] = {}
    source = f"locales/{lang}/{domain}.yaml"
    # Its compiled module when made from this very text (app.core.compiled_assets), else
    # the file parsed: the hot paths read a few locale files.
    data = load_asset(source, text)
    if data is None:
        data = fast_safe_load(text)
    _flatten(domain, data or {}, out, source)
    return out


@functools.cache
def messages(lang: str) -> dict[str, str]:
    """All messages of one language, keyed `domain.key`."""
    out: dict[str, str] = {}
    for domain in _domains(lang):
        out.update(domain_messages(lang, domain))
    return out


def placeholders(template: str) -> set[str]:
    import string  # lazy: its Template class compiles a regex on import; only tests ask this

    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Later(str):
    """A message key to be looked up when the text is shown, not when it is named: the help
    texts of the command-line parser. Building the parser names every option's help, but only
    `--help` shows them, so `env` and `key get` (shell rc files, apiKeyHelper) would otherwise
    read and parse locale files for nothing. The value is the key itself; app.cli's help
    formatter shows `text()` in the language current at that moment."""

    __slots__ = ()

    def text(self) -> str:
        return t(str(self))


def later(key: str) -> Later:
    """The message `key`, looked up only when shown (see Later)."""
    return Later(key)


def shown(text: str | None) -> str | None:
    """The text to show for a parser's help, title or description: a Later is looked up now."""
    return text.text() if isinstance(text, Later) else text


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message `key` in `lang` (default: the current language), formatted with params.

    A missing message falls back to English, then to the key itself, so a gap in a
    translation never crashes the tool (a test keeps the two languages in step).
    """
    lang = lang or _current
    domain = key.partition(".")[0]
    template = domain_messages(lang, domain).get(key) or domain_messages("en", domain).get(key)
    if template is None:
        return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
