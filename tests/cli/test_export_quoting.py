"""Literal values in .env and shell exports are read back exactly and never run (B9, B10).

A .env is read two ways: sourced by a shell (`set -a; . ./.env`) and parsed by python-dotenv.
Both are run for real here on the same files. PowerShell is not installed on this machine
(nor in Debian); its quoting is checked against the documented rule instead.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from app.config.validate import make_profile
from app.core.errors import UserError
from app.export.formats import _dotenv_quote, _ps_quote, export
from app.secrets.key import ApiKey
from app.secrets.stores import KeyRef

P = make_profile(
    "default",
    region="ap-southeast-1",
    workspace_id="ws-g3ganedl8go5vc5i",
    api_key=KeyRef("file", "DASHSCOPE_API_KEY"),
)[0]

# Keys a shell would expand or run inside double quotes, and other characters .env readers
# treat specially; each of these has an exact form for both readers.
SAFE_KEYS = [
    "sk-abc$HOME`touch$IFS./PWNED`def",
    "sk-$(touch$IFS./PWNED)x$1",
    'sk-a"b\\c#d!e%f',
    "sk-it's-a-key#1",
    "sk-a\\b\\c",
]
# No quoting gives these back the same in both readers: refused, nothing written.
UNSAFE_KEYS = [
    "sk-it's$HOME",
    "sk-a'b`id`",
    "sk-a\"b'c",
    "sk-a\\\\bcdef",
    "sk-ends-with\\",
    "sk-a\\b\\'c",
    "sk-0123${IFS}4567",
]


def _source_in_bash(folder: Path, names: list[str]) -> list[str]:
    """What `set -a; . ./.env` in bash gives for each variable (NUL separated)."""
    printf = "printf '%s\\0' " + " ".join(f'"${n}"' for n in names)
    proc = subprocess.run(
        ["bash", "-c", f"set -a; . ./.env; {printf}"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stderr == ""
    return proc.stdout.split("\0")[:-1]


def test_bash_source_and_python_dotenv_read_every_key_back_exactly(tmp_path: Path) -> None:
    for i, raw in enumerate(SAFE_KEYS):
        key = ApiKey(raw)
        folder = tmp_path / f"k{i}"
        folder.mkdir()
        (folder / ".env").write_text(export(P, "dotenv", key, include_key=True))
        names = ["DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"]
        assert _source_in_bash(folder, names) == [raw, raw, P.base_urls["openai"]]
        assert not (folder / "PWNED").exists()  # the backtick / $() never ran
        values = dotenv_values(folder / ".env")  # interpolating, as load_dotenv does
        assert values["DASHSCOPE_API_KEY"] == raw
        assert values["ANTHROPIC_AUTH_TOKEN"] == raw


@pytest.mark.parametrize("raw", UNSAFE_KEYS)
def test_a_key_no_dotenv_quoting_holds_is_refused(raw: str) -> None:
    with pytest.raises(UserError) as caught:
        export(P, "dotenv", ApiKey(raw), include_key=True)
    assert raw not in caught.value.message
    assert "Nothing was written" in caught.value.message
    assert "DASHSCOPE_API_KEY" in caught.value.message


def test_the_cli_refuses_such_a_key_and_writes_nothing(cli, tmp_path: Path) -> None:
    raw = "sk-it's$HOME`id`"
    r = cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=raw,
    )
    assert r.rc == 0, r
    out = tmp_path / ".env"
    r = cli("export", "--format", "dotenv", "--include-key", "-o", str(out))
    assert r.rc == 2, r
    assert "no .env quoting reads it back the same" in r.stderr
    assert raw not in r.output
    assert not out.exists()


_VALUE_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(_VALUE_CHARS, max_size=24), min_size=1, max_size=8))
def test_any_printable_value_is_exact_in_both_readers_or_refused(values: list[str]) -> None:
    """Spaces, `#`, quotes, `$`, backticks, backslashes in any mix: one quoting function."""
    lines, kept = [], []
    for i, value in enumerate(values):
        try:
            lines.append(f"V{i}={_dotenv_quote(value, f'V{i}')}")
        except UserError:
            continue
        kept.append((f"V{i}", value))
    if not kept:
        return
    text = "\n".join(lines) + "\n"
    parsed = dotenv_values(stream=io.StringIO(text))
    assert [parsed[n] for n, _ in kept] == [v for _, v in kept]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / ".env").write_text(text)
        assert _source_in_bash(Path(folder), [n for n, _ in kept]) == [v for _, v in kept]
        assert sorted(p.name for p in Path(folder).iterdir()) == [".env"]


def test_a_value_with_a_space_and_a_hash_stays_whole() -> None:
    assert _dotenv_quote("a b # c", "V") == "'a b # c'"
    assert dotenv_values(stream=io.StringIO("V='a b # c'\n"))["V"] == "a b # c"


# ----------------------------------------------------------------- sh and fish export forms


def _run(argv: list[str], cwd: Path) -> str:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout


@pytest.mark.parametrize("raw", SAFE_KEYS + UNSAFE_KEYS)
def test_sh_and_bash_read_every_key_back_exactly(raw: str, tmp_path: Path) -> None:
    script = tmp_path / "ms.sh"
    script.write_text(export(P, "sh", ApiKey(raw), include_key=True))
    for shell in ("sh", "bash"):
        out = _run([shell, "-c", f'. {script}; printf %s "$OPENAI_API_KEY"'], tmp_path)
        assert out == raw
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
@pytest.mark.parametrize("raw", SAFE_KEYS + UNSAFE_KEYS)
def test_fish_reads_every_key_back_exactly(raw: str, tmp_path: Path) -> None:
    script = tmp_path / "ms.fish"
    script.write_text(export(P, "fish", ApiKey(raw), include_key=True))
    out = _run(["fish", "-c", f"source {script}; printf %s $OPENAI_API_KEY"], tmp_path)
    assert out == raw
    assert not (tmp_path / "PWNED").exists()


# ------------------------------------------------------------------------------ PowerShell

# about_Quoting_Rules (Microsoft Learn, "Single-quoted strings"): to include a single quote
# in a single-quoted string, use a second consecutive single quote; the tokenizer counts
# U+2018, U+2019, U+201A and U+201B as single quotes as well as ' (U+0027).
PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def _ps_read_single_quoted(text: str) -> tuple[str, str]:
    """(value, rest) of a PowerShell single-quoted string at the start of `text`."""
    assert text[0] in PS_QUOTES
    out, i = [], 1
    while i < len(text):
        ch = text[i]
        if ch in PS_QUOTES:
            if i + 1 < len(text) and text[i + 1] in PS_QUOTES:
                out.append(text[i + 1])
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        out.append(ch)
        i += 1
    raise AssertionError("unterminated string")


@pytest.mark.parametrize(
    "value",
    [
        "it's",
        "a\u2019; Remove-Item -Recurse ~; \u2018b",
        "\u201a\u201b''\u2018\u2019",
        "$env:HOME `n",
    ],
)
def test_powershell_single_quotes_hold_every_quote_character(value: str) -> None:
    quoted = _ps_quote(value)
    assert _ps_read_single_quoted(quoted + " # rest") == (value, " # rest")


def test_powershell_reference_warns_when_key_get_fails() -> None:
    lines = export(P, "powershell").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("$env:DASHSCOPE_API_KEY = (&"))
    assert lines[at + 1] == (
        "if (-not $? -or $LASTEXITCODE -ne 0) { [Console]::Error.WriteLine("
        "'modelstudio-setup key get failed: DASHSCOPE_API_KEY is empty') }"
    )
