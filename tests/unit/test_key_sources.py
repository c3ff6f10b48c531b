"""app.clients.key_sources: where other tools keep a plain-text key, read with limits and
removed after a backup. Real files in a temporary HOME; the key is never in a message."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import datetime
from pathlib import Path

import pytest

from app.clients import key_sources as ks
from app.core.errors import UserError

KEY = "sk-0123456789abcdef0123456789abcdef"
OTHER = "sk-fedcba9876543210fedcba9876543210"
PLAN = "sk-sp-0123456789abcdef0123456789abcdef"
NOW = datetime(2025, 1, 2, 3, 4, 5)


def bl_text(doc: dict) -> str:
    """What the bl CLI writes: JSON.stringify(data, null, 2) + "\\n" (loader.ts)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def found(spec: str, environ: dict | None = None, **kw) -> ks.Found:
    environ = environ or {}
    source = ks.locate(
        spec, env_var=kw.get("env_var"), bl_config=kw.get("bl_config"), environ=environ
    )
    return ks.read_key(source, environ)


def refused(spec: str, environ: dict | None = None, **kw) -> str:
    with pytest.raises(UserError) as info:
        found(spec, environ, **kw)
    message = info.value.message
    assert KEY not in message and KEY[3:15] not in message
    assert info.value.exit_code == 2
    return message


def write(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(mode)
    return path


# ------------------------------------------------------------------------------ locate


def test_locations_are_the_clients_own(home):
    assert ks.locate("bl", env_var=None, bl_config=None, environ={}).path == (
        home / ".bailian" / "config.json"
    )
    bl = ks.locate("bl", env_var=None, bl_config=None, environ={"BAILIAN_CONFIG_DIR": "/x/bl"})
    assert bl.path == Path("/x/bl/config.json")
    ds = ks.locate("dashscope-file", env_var=None, bl_config=None, environ={})
    assert ds.path == home / ".dashscope" / "api_key"
    custom = {"DASHSCOPE_API_KEY_FILE_PATH": "/etc/ds/key"}
    assert ks.locate("dashscope-file", env_var=None, bl_config=None, environ=custom).path == Path(
        "/etc/ds/key"
    )
    # An empty variable is unset for the SDK (`if dashscope.api_key_file_path:`).
    empty = {"DASHSCOPE_API_KEY_FILE_PATH": ""}
    assert ks.locate("dashscope-file", env_var=None, bl_config=None, environ=empty).path == (
        home / ".dashscope" / "api_key"
    )
    assert ks.locate("env", env_var=None, bl_config=None, environ={}).var == "DASHSCOPE_API_KEY"
    assert ks.locate("~/k", env_var=None, bl_config=None, environ={}).path == home / "k"


# ------------------------------------------------------------------------------ bl


def test_bl_flat_layout(home):
    write(home / ".bailian" / "config.json", bl_text({"api_key": KEY, "output": "json"}))
    got = found("bl")
    assert got.key.reveal() == KEY and got.source.config == "default"
    assert got.source.real == home / ".bailian" / "config.json" and not got.source.linked


def test_bl_named_configs_follow_active_config_or_the_flag(home):
    doc = {"api_key": KEY, "token-plan": {"api_key": PLAN}, "active_config": "token-plan"}
    write(home / ".bailian" / "config.json", bl_text(doc))
    assert found("bl").key.reveal() == PLAN
    assert found("bl").source.config == "token-plan"
    assert found("bl", bl_config="default").key.reveal() == KEY
    assert "no config named 'dev'" in refused("bl", bl_config="dev")
    assert "not a bl config name" in refused("bl", bl_config="../x")


def test_bl_dangling_active_config_and_missing_key(home):
    path = write(
        home / ".bailian" / "config.json", bl_text({"api_key": KEY, "active_config": "gone"})
    )
    assert "no such config" in refused("bl")
    write(path, bl_text({"output": "json", "dev": {"api_key": OTHER}}))
    message = refused("bl")
    assert "these do: dev" in message and "--bl-config" in message
    write(path, bl_text({"access_token": "tok-1", "workspace_id": "ws-1"}))
    assert "holds no API key" in refused("bl")
    write(path, bl_text({"api_key": 12}))
    assert "not a string" in refused("bl")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON (line 1)"),
        ('{"api_key": "x", "api_key": "y"}', "more than once"),
        ("[1, 2]", "not a bl config"),
        ("[" * 400 + "]" * 400, "nested deeper than"),
        ("", "not valid JSON"),
    ],
)
def test_bl_files_that_are_not_a_config(home, text, words):
    write(home / ".bailian" / "config.json", text)
    assert words in refused("bl")


@pytest.mark.parametrize(
    "value", [KEY + "\n", " " + KEY, f"\u201c{KEY}\u201d", f'"{KEY}"', KEY + "\u00e9", ""]
)
def test_a_bl_key_is_taken_exactly_as_bl_sends_it(home, value):
    write(home / ".bailian" / "config.json", bl_text({"api_key": value}))
    refused("bl")


# ------------------------------------------------------------------------------ key files


def test_dashscope_file_is_stripped_like_the_sdk(home):
    write(home / ".dashscope" / "api_key", KEY + "\n")
    got = found("dashscope-file")
    assert got.key.reveal() == KEY and got.whole_file


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("  \n", "is empty"),
        (f"\u201c{KEY}\u201d\n", "quotes around it"),
        (f"{KEY}\n{OTHER}\n", "not usable"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_dashscope_files_that_hold_no_usable_key(home, text, words):
    write(home / ".dashscope" / "api_key", text)
    assert words in refused("dashscope-file")


def test_a_file_holding_the_key_alone_or_a_dotenv(tmp_path):
    bare = write(tmp_path / "key.txt", KEY + "\n")
    assert found(str(bare)).whole_file
    dotenv = write(tmp_path / ".env", f"# mine\nexport OTHER=1\nDASHSCOPE_API_KEY='{KEY}'\n")
    got = found(str(dotenv))
    assert got.key.reveal() == KEY and got.source.var == "DASHSCOPE_API_KEY"
    assert not got.whole_file
    team = write(tmp_path / "team.env", f'TEAM_API_KEY="{KEY}"\n')
    assert found(str(team), env_var="TEAM_API_KEY").key.reveal() == KEY
    assert "does not set DASHSCOPE_API_KEY" in refused(str(team))
    refers = write(tmp_path / "r.env", "DASHSCOPE_API_KEY=${TEAM_API_KEY}\n")
    assert "refers to another variable" in refused(str(refers))


def test_the_environment(monkeypatch):
    assert found("env", {"DASHSCOPE_API_KEY": KEY}).key.reveal() == KEY
    assert "is not set" in refused("env", {})
    assert "quotes around it" in refused("env", {"DASHSCOPE_API_KEY": KEY + "\n"})
    assert found("env", {"TEAM_KEY": KEY}, env_var="TEAM_KEY").source.var == "TEAM_KEY"


# ------------------------------------------------------------------------------ bounded reads


def test_what_is_not_a_readable_regular_file(tmp_path):
    assert "There is no file" in refused(str(tmp_path / "nope"))
    assert "is a directory" in refused(str(tmp_path))
    assert "not a regular file" in refused("/dev/null")
    big = write(tmp_path / "big", "x" * (ks.MAX_BYTES + 1))
    assert "larger than 256 KiB" in refused(str(big))
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    assert "There is no file" in refused(str(dangling))


def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(refused(str(fifo))), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading a FIFO hung"
    assert "not a regular file" in result[0]


def test_a_symbolic_link_is_followed_and_said(tmp_path):
    real = write(tmp_path / "dotfiles" / "api_key", KEY + "\n")
    link = tmp_path / "api_key"
    link.symlink_to(real)
    got = found(str(link))
    assert got.source.linked and got.source.real == real and got.source.path == link


# ------------------------------------------------------------------------------ removal


def test_bl_without_key_keeps_every_other_member_and_bls_formatting(home):
    doc = {
        "language": "zh-CN",
        "api_key": KEY,
        "base_url": "https://dashscope-intl.aliyuncs.com",
        "timeout": 60,
        "dev": {"api_key": OTHER, "workspace_id": "ws-1"},
        "active_config": "default",
    }
    path = write(home / ".bailian" / "config.json", bl_text(doc), mode=0o640)
    got = found("bl")
    backup = ks.remove_plaintext(got, path.parent, NOW)
    expected = {k: v for k, v in doc.items() if k != "api_key"}
    assert path.read_text() == bl_text(expected)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert backup == path.parent / "config.json.bak-20250102T030405"
    assert backup.read_bytes() == got.data and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.json", backup.name]


def test_bl_named_config_and_a_one_line_file(home):
    path = write(
        home / ".bailian" / "config.json", json.dumps({"api_key": KEY, "dev": {"api_key": OTHER}})
    )
    got = found("bl", bl_config="dev")
    assert (
        ks.without_key(got)
        == json.dumps({"api_key": KEY, "dev": {}}, separators=(",", ":")).encode()
    )
    ks.remove_plaintext(got, path.parent, NOW)
    assert json.loads(path.read_text()) == {"api_key": KEY, "dev": {}}


def test_dotenv_loses_only_the_line_of_the_variable(tmp_path):
    text = f"# project\nexport OTHER=1\n\nDASHSCOPE_API_KEY=\"{KEY}\"  # prod\nLAST='x'\n"
    path = write(tmp_path / ".env", text)
    got = found(str(path))
    assert ks.without_key(got) == b"# project\nexport OTHER=1\n\nLAST='x'\n"


def test_a_whole_file_key_is_unlinked_through_its_link(tmp_path):
    real = write(tmp_path / "dotfiles" / "api_key", KEY + "\n")
    link = tmp_path / "api_key"
    link.symlink_to(real)
    got = found(str(link))
    backup = ks.remove_plaintext(got, real.parent, NOW)
    assert not real.exists() and link.is_symlink()
    assert backup.read_text() == KEY + "\n"


def test_removal_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = write(tmp_path / "api_key", KEY + "\n")
    got = found(str(path))
    path.write_text(OTHER + "\n")
    with pytest.raises(ks.RemovalError) as info:
        ks.remove_plaintext(got, tmp_path, NOW)
    assert "changed while" in info.value.message and info.value.exit_code == 1
    assert path.read_text() == OTHER + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api_key"]


def test_a_backup_never_replaces_a_file_and_never_takes_a_key_shaped_name(tmp_path):
    path = write(tmp_path / "api_key", KEY)
    first = ks.write_backup(path, b"one", tmp_path, NOW)
    second = ks.write_backup(path, b"two", tmp_path, NOW)
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert second.name == "api_key.bak-20250102T030405-1"
    keyish = write(tmp_path / KEY, KEY)
    assert KEY not in ks.write_backup(keyish, b"x", tmp_path, NOW).name


def test_a_failed_backup_leaves_the_original_whole(tmp_path):
    path = write(tmp_path / "api_key", KEY + "\n")
    got = found(str(path))
    with pytest.raises(ks.RemovalError) as info:
        ks.remove_plaintext(got, tmp_path / "no-such-folder", NOW)
    assert "could not be written" in info.value.message
    assert KEY not in info.value.message
    assert path.read_text() == KEY + "\n"
