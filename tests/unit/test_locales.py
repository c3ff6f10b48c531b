"""English and Simplified Chinese stay in step, and every message the code asks for exists.

A missing translation falls back to English at run time (so the tool never crashes on it);
these tests are what keeps that fallback from ever being needed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from app.core.i18n import LANGUAGES, messages, placeholders

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "assets" / "locales"
DOMAINS = sorted(p.stem for p in (LOCALES / "en").glob("*.yaml"))
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
KEY_SHAPE = re.compile(r"[a-z][a-z0-9_]*\.[A-Za-z0-9_][A-Za-z0-9_.-]*")
# Calls whose first argument is a message key. Anything else named *Error / *Notice that
# subclasses UserError / Notice carries a key too.
KEY_CALLS = re.compile(r"^(t|_t|tr|later|UserError|Notice|\w+Error|\w+Notice|Invalid\w+)$")


def flatten(prefix: str, value, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            # YAML 1.1 reads a bare yes/no/on/off key as a boolean: the message would be
            # filed under "True" and never found. Such keys must be quoted.
            assert isinstance(k, str), f"{prefix}: key {k!r} is not a string; quote it"
            flatten(f"{prefix}.{k}" if prefix else k, v, out)
    else:
        out[prefix] = value


def load(lang: str, domain: str) -> dict[str, str]:
    path = LOCALES / lang / f"{domain}.yaml"
    out: dict[str, str] = {}
    flatten("", yaml.safe_load(path.read_text(encoding="utf-8")) or {}, out)
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_key_is_a_string(lang, domain):
    load(lang, domain)


def test_both_languages_have_the_same_domain_files():
    for lang in LANGUAGES:
        assert sorted(p.stem for p in (LOCALES / lang).glob("*.yaml")) == DOMAINS, lang


@pytest.mark.parametrize("domain", DOMAINS)
def test_same_keys_and_placeholders_in_both_languages(domain):
    en, zh = load("en", domain), load("zh", domain)
    assert sorted(set(en) ^ set(zh)) == [], "keys only in one language"
    for key, text in en.items():
        assert isinstance(text, str) and text.strip(), f"en {domain}.{key} is empty"
        assert isinstance(zh[key], str) and zh[key].strip(), f"zh {domain}.{key} is empty"
        assert placeholders(text) == placeholders(zh[key]), f"{domain}.{key}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_chinese_messages_are_translated(domain):
    """A zh message identical to the English one is a forgotten translation (unless it has
    no words to translate, like a bare format string or a product name)."""
    en, zh = load("en", domain), load("zh", domain)
    untranslated = [
        k for k, v in en.items() if zh[k] == v and re.search(r"[A-Za-z]{4,}", v.replace("{", " "))
    ]
    allowed = {k for k in untranslated if not re.search(r"\b[a-z]{4,}\b", _words(en[k]))}
    assert sorted(set(untranslated) - allowed) == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_chinese_messages_use_one_word_for_the_key_and_one_register(domain):
    """QA E27: the key is 密钥 everywhere (not "Key", except the console page named
    "API-Key"), and the user is addressed as 您 throughout (not sometimes 你)."""
    zh = load("zh", domain)
    mixed = {
        k: v
        for k, v in zh.items()
        if re.search(r"(?<![A-Za-z_-])Key(?![A-Za-z_-])", v.replace("API-Key", "")) or "你" in v
    }
    assert mixed == {}


def _words(text: str) -> str:
    """Text without placeholders, commands, flags, URLs and identifiers."""
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"https?://\S+|--?[\w-]+|\S*[._/]\S*|`[^`]*`", " ", text)
    return text


def test_messages_load_for_every_language():
    for lang in LANGUAGES:
        assert messages(lang)
    assert CJK.search(messages("zh")["cli.description"])


def source_files() -> list[Path]:
    files = [*(ROOT / "app").rglob("*.py"), *(ROOT / "screens").rglob("*.py")]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def used_keys(path: Path) -> list[tuple[int, str]]:
    """(line, key) for every literal message key passed to t() / an error / a notice."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not KEY_CALLS.match(name):
            continue
        first = node.args[0]
        # `Error("a.x" if cond else "a.y")` names two keys.
        options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
        for opt in options:
            if (
                isinstance(opt, ast.Constant)
                and isinstance(opt.value, str)
                and KEY_SHAPE.fullmatch(opt.value)
                and opt.value.split(".", 1)[0] in DOMAINS
            ):
                found.append((node.lineno, opt.value))
    return found


def test_the_scan_finds_keys():
    """Guard for the guard: the scan sees the keys a known module uses."""
    keys = {k for _, k in used_keys(ROOT / "app" / "core" / "endpoints.py")}
    assert {"endpoints.ws_empty", "endpoints.workspace_required"} <= keys


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_key_used_in_the_code_exists_in_english(path):
    en = messages("en")
    missing = [f"line {line}: {key}" for line, key in used_keys(path) if key not in en]
    assert missing == []
