"""The files the clients read, when they are not what a reader hopes (app.clients.files,
app.clients.parsers): too big, too deep, malformed, oddly quoted, over several lines,
symlinked, unreadable, or holding a key that is not ours. Each is a clear problem line or
a finding, never an exception, and the key never shows unmasked.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from dotenv import dotenv_values

from app.clients.environment import ClientEnvironment, read_environment
from app.clients.files import MAX_FILE_BYTES
from app.clients.parsers import parse_dotenv, parse_rc
from app.config.validate import make_profile
from app.core.i18n import set_language
from app.core.text import inert
from app.secrets.key import ApiKey

KEY = "sk-4f1e2d3c4b5a69788796a5b4c3d2a1b2"
OTHER = "sk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # someone else's key, found in a file
PROFILE = make_profile("default", region="ap-southeast-1", workspace_id="ws-abcdefghijklmnop")[0]


@pytest.fixture
def places(tmp_path):
    home, proj = tmp_path / "home", tmp_path / "proj"
    (proj / ".git").mkdir(parents=True)
    home.mkdir()
    return home, proj


def run(places, env=None) -> ClientEnvironment:
    home, proj = places
    result = read_environment(PROFILE, ApiKey(KEY), env=env or {}, cwd=proj, home=home)
    blob = [repr(result), json.dumps(result.to_json(), ensure_ascii=False)]
    for lang in ("en", "zh"):
        set_language(lang)
        try:
            blob += [f.message + f.remedy for f in result.findings] + list(result.problem_lines())
        finally:
            set_language("en")
    text = "\n".join(blob)
    for key in (KEY, OTHER):
        assert key not in text and key[3:15] not in text
    return result


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def reasons(result: ClientEnvironment) -> list[tuple[str, str]]:
    """(`file:line` as the finding names it, reason) for every file not read whole."""
    return [(f"{p.source}:{p.line}" if p.line else p.source, p.reason) for p in result.problems]


def test_nothing_there_is_nothing_to_say(places):
    result = run(places)
    assert result.findings == () and result.problems == () and result.files == ()


def test_a_2_mib_settings_file_is_refused_unread(places):
    home, _ = places
    big = '{"env": {"ANTHROPIC_AUTH_TOKEN": "' + OTHER + '"}, "pad": "' + "x" * (2 << 20) + '"}'
    write(home / ".claude" / "settings.json", big)
    result = run(places)
    assert reasons(result) == [("~/.claude/settings.json", "too_large")]
    assert [f.code for f in result.findings] == ["client_file_unreadable"]
    assert "larger than 1 MiB" in result.problem_lines()[0]
    assert result.stray_keys == ()  # not read at all
    assert MAX_FILE_BYTES == 1 << 20


def test_nesting_past_the_limit_is_refused(places):
    home, _ = places
    write(home / ".qwen" / "settings.json", "[" * 1000 + "]" * 1000)
    write(home / ".codex" / "config.toml", "a = " + "[" * 1000 + "]" * 1000 + "\n")
    result = run(places)
    assert sorted(reasons(result)) == [
        ("~/.codex/config.toml", "too_deep"),
        ("~/.qwen/settings.json:1", "too_deep"),
    ]


def test_malformed_json_and_toml_name_the_line(places):
    home, proj = places
    write(proj / ".claude" / "settings.local.json", '{\n  "env": {\n    "A": 1,\n  }\n}\n')
    write(home / ".codex" / "config.toml", 'model = "x"\nmodel = "y"\n')
    result = run(places)
    assert (f"{proj}/.claude/settings.local.json:4", "malformed") in reasons(result)
    assert ("~/.codex/config.toml", "malformed") in [(p.source.split(":")[0], p.reason)
                                                      for p in result.problems]  # fmt: skip


ODD_DOTENV = """\
ANTHROPIC_MODEL='single # not a comment'
ANTHROPIC_DEFAULT_HAIKU_MODEL="double \\"escaped\\" \\n newline"
ANTHROPIC_DEFAULT_SONNET_MODEL=unquoted # a comment
export ANTHROPIC_DEFAULT_OPUS_MODEL=exported
CLAUDE_CODE_SUBAGENT_MODEL="spans
two lines"
ANTHROPIC_SMALL_FAST_MODEL = spaced
OPENAI_MODEL=${NOT_EXPANDED}
QWENCLOUD_API_BASE
this line is not a binding
DASHSCOPE_API_REGION='unterminated
"""


def test_a_dotenv_is_read_as_python_dotenv_reads_it(places):
    """python-dotenv is the client's truth (LiteLLM loads it; interpolation off, as Node's
    dotenv, which Qwen Code uses, expands nothing)."""
    _, proj = places
    write(proj / ".env", ODD_DOTENV)
    truth = dotenv_values(stream=io.StringIO(ODD_DOTENV), interpolate=False)
    result = run(places)
    shown = {e.name: e.shown for e in result.entries if e.source.endswith("/.env")}
    expected = {k: inert(v) for k, v in truth.items() if v is not None and k in shown}
    assert shown == expected and len(shown) >= 7
    # The lines python-dotenv skips are problem lines with their numbers.
    _, bad = parse_dotenv(ODD_DOTENV)
    assert [p.line for p in result.problems] == bad and bad
    assert {r for _, r in reasons(result)} == {"parse_error"}


def test_rc_files_skip_values_over_several_lines(places):
    home, _ = places
    text = (
        'export PS1="\\u@\\h\n'  # 1: opens a quote that closes on line 2
        '> "\n'
        f"export DASHSCOPE_API_KEY={OTHER}  # old\n"  # 3
        "DASHSCOPE_HTTP_BASE_URL=https://not.exported.example/api/v1\n"  # 4: not exported
        "export OPENAI_MODEL='no end\n"  # 5: never closed
    )
    write(home / ".bashrc", text)
    write(home / ".config" / "fish" / "config.fish", f"set -gx OPENAI_API_KEY {OTHER}\n")
    result = run(places)
    assert reasons(result) == [("~/.bashrc:1", "multiline"), ("~/.bashrc:5", "multiline")]
    keys = {(s.source, s.line, s.variable) for s in result.stray_keys}
    assert keys == {("~/.bashrc", 3, "DASHSCOPE_API_KEY"),
                    ("~/.config/fish/config.fish", 1, "OPENAI_API_KEY")}  # fmt: skip
    assert not any(e.name == "DASHSCOPE_HTTP_BASE_URL" for e in result.entries)
    leaves, _ = parse_rc("set -x -g A 1 2\nset -g B 3\nset --export C 4\n")
    assert [(leaf.keys[0], leaf.value) for leaf in leaves] == [("A", "1 2"), ("C", "4")]


def test_a_symlinked_settings_file_is_read_and_named(places, tmp_path):
    home, _ = places
    real = write(tmp_path / "dotfiles" / "claude.json", json.dumps({"env": {
        "ANTHROPIC_BASE_URL": "https://api.anthropic.com"}}))  # fmt: skip
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").symlink_to(real)
    result = run(places)
    (entry,) = [e for e in result.entries if e.name == "env.ANTHROPIC_BASE_URL"]
    assert entry.note == f"symlink to {real}" and entry.status == "elsewhere"
    assert result.files[0].note == f"symlink to {real}"


def test_a_dangling_symlink_and_a_loop_are_problems(places):
    home, _ = places
    (home / ".env").symlink_to(home / "gone")
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").symlink_to(home / ".codex" / "config.toml")
    result = run(places)
    assert sorted(reasons(result)) == [("~/.codex/config.toml", "unreadable"),
                                       ("~/.env", "broken_link")]  # fmt: skip


def test_a_fifo_and_a_directory_are_not_opened(places):
    """A FIFO named .env would block a reader forever; root can read any file, so a FIFO
    and a directory are the "cannot read" cases every user (and CI) can produce."""
    home, proj = places
    os.mkfifo(proj / ".env")
    (home / ".qwen" / "settings.json").mkdir(parents=True)
    result = run(places)
    assert sorted(reasons(result)) == [(f"{proj}/.env", "not_a_file"),
                                       ("~/.qwen/settings.json", "not_a_file")]  # fmt: skip
    assert all(f.severity == "info" for f in result.findings)


def test_a_file_without_read_permission(places):
    """Read in a child process; as root (CI), the child drops the capabilities that let
    root read a mode-000 file, so the unreadable case is really exercised."""
    home, proj = places
    path = write(home / ".bailian" / "config.json", json.dumps({"api_key": OTHER}))
    path.chmod(0)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.fail("running as root needs setpriv (util-linux) to drop the dac bypass")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    code = (
        "import json, sys; from pathlib import Path\n"
        "from app.clients.environment import read_environment\n"
        "from app.config.validate import make_profile\n"
        "p = make_profile('d', region='ap-southeast-1', workspace_id='ws-abcdefgh')[0]\n"
        "r = read_environment(p, None, env={}, cwd=Path(sys.argv[1]), home=Path(sys.argv[2]))\n"
        "print(json.dumps([[x.source, x.reason] for x in r.problems]))\n"
    )
    try:
        out = subprocess.run(
            [*prefix, sys.executable, "-c", code, str(proj), str(home)],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        assert json.loads(out.stdout) == [["~/.bailian/config.json", "unreadable"]]
        assert OTHER not in out.stdout + out.stderr
    finally:
        path.chmod(0o600)


def test_a_key_shaped_value_that_is_not_ours(places):
    home, proj = places
    text = '{\n  // mine\n  "provider": {"x": {"options": {\n    "apiKey": "KEY"}}},\n}\n'
    write(proj / "opencode.jsonc", text.replace("KEY", OTHER))  # a trailing comma: jsonc-parser
    write(home / ".env", f"SOME_TOOL_TOKEN=Bearer {OTHER}\n")
    result = run(places)
    found = {(s.source, s.line, s.ours, s.masked) for s in result.stray_keys}
    assert found == {(f"{proj}/opencode.jsonc", 4, False, "sk-…e8f9"),
                     ("~/.env", 1, False, "sk-…e8f9")}  # fmt: skip
    assert all(s.key is not None and repr(s.key) == "ApiKey('sk-…e8f9')" for s in result.stray_keys)


def test_values_that_could_drive_a_terminal_are_escaped(places):
    _, proj = places
    write(proj / ".env", "OPENAI_MODEL=\x1b]52;c;aGk=\x07gpt-4o\n")
    result = run(places)
    texts = [e.shown for e in result.entries] + [f.message for f in result.findings]
    assert all("\x1b" not in t and "\x07" not in t for t in texts)
    assert any("\\x1b" in t for t in texts)


def test_a_key_pasted_into_a_url_variable_is_never_shown(places):
    env = {"OPENAI_BASE_URL": OTHER, "HTTPS_PROXY": f"http://u:{OTHER}@proxy:8080"}
    result = run(places, env)
    shown = {e.name: e.shown for e in result.entries}
    assert shown["OPENAI_BASE_URL"] == "sk-…e8f9"
    assert shown["HTTPS_PROXY"] == "http://***@proxy:8080"
