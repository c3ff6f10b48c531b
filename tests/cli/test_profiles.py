"""The config file: every bad file refused with the field named, safe writes, backups, locking."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.config.io import config_path, load_config, modify_config, update_verified
from app.config.schema import BACKUPS_KEPT, Config, ConfigError, ConfigWriteError
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.core.errors import UserError
from app.secrets.stores import KeyRef

REPO = Path(__file__).resolve().parents[2]


def good_profile(name: str = "default", **over: object) -> dict:
    base = {
        "region": "ap-southeast-1",
        "scope": "international",
        "endpoint_style": "workspace",
        "workspace_id": "ws-g3ganedl8go5vc5i",
        "base_urls": {
            "openai": "https://ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
            "anthropic": "https://ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com/apps/anthropic",
            "dashscope": "https://ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com/api/v1",
        },
        "model": "qwen3.5-flash",
        "api_key": {"store": "keyring", "env": "DASHSCOPE_API_KEY"},
        "residency": "outside-mainland",
        "verified": None,
    }
    base.update(over)
    return base


def write_config(path: Path, profiles: dict, default: str | None = "default") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"version": 1, "default_profile": default, "profiles": profiles}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_the_issue_example_loads(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path / "config.yaml", {"default": good_profile()}))
    p = cfg.profile()
    assert p.host == "ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com"
    assert p.api_key == KeyRef("keyring", "DASHSCOPE_API_KEY")


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load_config(tmp_path / "nope.yaml") == Config()


BAD_PROFILES = [
    # (changes to a good profile, field named in the message, words in the reason)
    ({"workspace_id": "evil.com#"}, "profiles.default.workspace_id", "dot"),
    ({"workspace_id": "WS-G3GANEDL8GO5VC5I"}, "profiles.default.workspace_id", "normal form"),
    ({"workspace_id": "ws-abc\n"}, "profiles.default.workspace_id", ""),
    ({"workspace_id": "ｗｓ-abc"}, "profiles.default.workspace_id", "non-ASCII"),
    ({"workspace_id": None}, "profiles.default.workspace_id", "required"),
    (
        {
            "base_urls": {
                **good_profile()["base_urls"],
                "openai": "https://evil.example/compatible-mode/v1",
            }
        },
        "profiles.default.base_urls.openai",
        "tampered",
    ),
    (
        {
            "base_urls": {
                **good_profile()["base_urls"],
                "dashscope": "http://ws-g3ganedl8go5vc5i.ap-southeast-1.maas.aliyuncs.com/api/v1",
            }
        },
        "profiles.default.base_urls.dashscope",
        "tampered",
    ),
    (
        {"base_urls": {"openai": good_profile()["base_urls"]["openai"]}},
        "profiles.default.base_urls.anthropic",
        "missing",
    ),
    ({"region": "mars-1"}, "profiles.default.region", "unknown region"),
    ({"scope": "galactic"}, "profiles.default.scope", "unknown scope"),
    ({"scope": "mainland"}, "profiles.default.scope", "does not offer"),
    ({"endpoint_style": "dedicated"}, "profiles.default.endpoint_style", "not one of"),
    ({"model": "qwen plus; rm -rf"}, "profiles.default.model", "not a model name"),
    ({"api_key": {"store": "plaintext"}}, "profiles.default.api_key.store", "not one of"),
    ({"api_key": {"store": "env", "env": "A=B"}}, "profiles.default.api_key.env", "variable"),
    ({"api_key": {"store": "env", "key": "sk-x"}}, "profiles.default.api_key.key", "unknown"),
    # `env` output is eval'd: the key must not be exported as PATH, LD_PRELOAD or a base URL
    ({"api_key": {"store": "env", "env": "PATH"}}, "profiles.default.api_key.env", "PATH"),
    ({"api_key": {"store": "env", "env": "LD_PRELOAD"}}, "profiles.default.api_key.env", ""),
    ({"api_key": {"store": "env", "env": "OPENAI_BASE_URL"}}, "profiles.default.api_key.env", ""),
    ({"residency": "moon"}, "profiles.default.residency", "not one of"),
    ({"verified": {"at": "now", "verdict": "great"}}, "profiles.default.verified.verdict", ""),
    ({"proxy": "http://evil"}, "profiles.default.proxy", "unknown field"),
]


@pytest.mark.parametrize(("change", "where", "words"), BAD_PROFILES)
def test_bad_profile_is_refused_naming_the_field(
    tmp_path: Path, change: dict, where: str, words: str
) -> None:
    path = write_config(tmp_path / "config.yaml", {"default": good_profile(**change)})
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = exc.value.message
    assert str(path) in message
    assert where in message
    assert words in message
    assert exc.value.exit_code == 2


def test_shared_style_must_not_carry_a_workspace(tmp_path: Path) -> None:
    p = good_profile(endpoint_style="shared")
    path = write_config(tmp_path / "config.yaml", {"default": p})
    with pytest.raises(ConfigError, match=r"workspace_id"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nprofiles: [a, b\n", "line"),
        ("version: 3\nprofiles: {}\n", "version"),
        ("- just\n- a list\n", "<root>"),
        ("version: 1\nprofiles: {}\nextra: 1\n", "extra"),
        ("version: 1\ndefault_profile: ghost\nprofiles: {}\n", "default_profile"),
        ("version: 1\nprofiles:\n  '../x': {}\n", "profiles.../x"),
        ("!!python/object/apply:os.system ['echo pwned']\n", "line"),
    ],
)
def test_bad_documents_are_refused(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert where in exc.value.message


def test_dangling_symlink_and_non_files_are_refused(tmp_path: Path) -> None:
    link = tmp_path / "config.yaml"
    link.symlink_to(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="symbolic link"):
        load_config(link)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MODELSTUDIO_SETUP_CONFIG", raising=False)
    assert config_path(None) == tmp_path / "xdg" / "modelstudio-setup" / "config.yaml"
    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", str(tmp_path / "env.yaml"))
    assert config_path(None) == tmp_path / "env.yaml"
    assert config_path(str(tmp_path / "flag.yaml")) == tmp_path / "flag.yaml"


def _profile(name: str = "default", ws: str = "ws-abc123"):
    return make_profile(name, region="ap-southeast-1", workspace_id=ws)[0]


def test_write_is_0600_even_with_umask_022_and_round_trips(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "config.yaml"
        cfg, result = modify_config(path, lambda c: c.with_profile(_profile()))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert result.mode == 0o600
    assert load_config(path) == cfg
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_looser_existing_file_is_tightened_with_a_warning(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", {"default": good_profile()})
    path.chmod(0o644)
    _, result = modify_config(path, lambda c: c.with_profile(_profile("second")))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any(n.key == "profiles.was_looser" and "0644" in n.message for n in result.notices)


def test_backups_are_0600_timestamped_and_only_three_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    contents = []
    for i in range(6):
        modify_config(path, lambda c, i=i: c.with_profile(_profile(f"p{i}")))
        contents.append(path.read_text())
    backups = sorted(tmp_path.glob("config.yaml.bak-*"), key=lambda p: p.stat().st_mtime_ns)
    assert len(backups) == BACKUPS_KEPT
    for backup in backups:
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # The newest backup is the version just before the current one.
    assert backups[-1].read_text() == contents[-2]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    assert all(stamp in b.name for b in backups)


def test_malformed_yaml_is_backed_up_then_replaced(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("version: 1\nprofiles: {oops\n")
    original = path.read_text()
    _, result = modify_config(path, lambda c: c.with_profile(_profile()))
    assert any(n.key == "profiles.malformed_replaced" for n in result.notices)
    assert result.backup is not None and result.backup.read_text() == original
    assert load_config(path).profile().name == "default"


def test_invalid_profile_can_be_replaced_but_others_block_writes(tmp_path: Path) -> None:
    bad = good_profile(workspace_id="evil.com#")
    path = write_config(tmp_path / "config.yaml", {"default": bad, "other": good_profile()})
    # Rewriting the broken profile itself repairs the file.
    modify_config(path, lambda c: c.with_profile(_profile("default")), replacing="default")
    assert load_config(path).profile("default").workspace_id == "ws-abc123"
    # A broken profile that is not being replaced blocks the write; nothing changes.
    path2 = write_config(tmp_path / "c2.yaml", {"default": bad})
    before = path2.read_bytes()
    with pytest.raises(ConfigError):
        modify_config(path2, lambda c: c.with_profile(_profile("x")), replacing="x")
    assert path2.read_bytes() == before


def test_symlinked_config_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = write_config(tmp_path / "dotfiles" / "config.yaml", {"default": good_profile()})
    link = tmp_path / "conf" / "config.yaml"
    link.parent.mkdir()
    link.symlink_to(real)
    _, result = modify_config(link, lambda c: c.with_profile(_profile("second")))
    assert link.is_symlink()
    assert result.path == real and result.via_symlink
    assert any(n.key == "profiles.symlink_followed" for n in result.notices)
    assert set(load_config(real).profiles) == {"default", "second"}


def test_symlink_to_a_directory_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "config.yaml"
    (tmp_path / "d").mkdir()
    link.symlink_to(tmp_path / "d")
    with pytest.raises(ConfigWriteError):
        atomic_write(link, "x")
    assert (tmp_path / "d").is_dir()


def test_update_verified_keeps_everything_else(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", {"default": good_profile(), "b": good_profile()})
    before = load_config(path)
    after = update_verified(path, "b", "warn", dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc))
    assert after.profile("b").verified.verdict == "warn"
    assert after.profile("b").verified.at.startswith("2026-11-01T12:00:00")
    assert load_config(path).profile("default") == before.profile("default")
    with pytest.raises(UserError):
        update_verified(path, "ghost", "ok", "2026-01-01")


def test_concurrent_writers_do_not_lose_updates(tmp_path: Path) -> None:
    """Two processes add 15 profiles each; without the lock some would be lost."""
    path = tmp_path / "config.yaml"
    script = textwrap.dedent(
        f"""
        import sys
        from app.config.validate import make_profile
        from app.config.io import modify_config
        tag = sys.argv[1]
        for i in range(15):
            p = make_profile(f"{{tag}}{{i}}", region="cn-beijing", workspace_id="ws-abc")[0]
            modify_config({str(path)!r}, lambda c: c.with_profile(p))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", script, tag], env=env) for tag in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    names = set(load_config(path).profiles)
    assert names == {f"{t}{i}" for t in "ab" for i in range(15)}


def _without_root_bypass() -> tuple[str, ...]:
    """Root ignores directory permissions; setpriv drops that capability for the child."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def test_read_only_directory_clear_message_nothing_lost(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    path = write_config(folder / "config.yaml", {"default": good_profile()})
    path.chmod(0o600)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        r = run_cli(
            "configure",
            "--region",
            "cn-beijing",
            "--shared-host",
            "--store",
            "env",
            "--profile",
            "second",
            env={"MODELSTUDIO_SETUP_CONFIG": str(path), "DASHSCOPE_API_KEY": "sk-abcdefgh1234"},
            prefix=_without_root_bypass(),
        )
    finally:
        folder.chmod(0o755)
    assert r.rc == 2, r
    assert "Cannot write in" in r.stderr and str(folder) in r.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml"]


# ----------------------------------------------------------------------------- profiles command


def _configure_env_profile(cli, name: str, region: str = "cn-beijing") -> None:
    r = cli(
        "configure",
        "--region",
        region,
        "--shared-host",
        "--store",
        "env",
        "--profile",
        name,
        env={"DASHSCOPE_API_KEY": "sk-0123456789abcdef0123456789abcdef"},
    )
    assert r.rc == 0, r


def test_profiles_list_show_json_and_text(cli) -> None:
    assert "No profiles yet" in cli("profiles", "list").stdout
    _configure_env_profile(cli, "default")
    _configure_env_profile(cli, "us", region="us-east-1")
    r = cli("profiles", "list", "--json")
    doc = __import__("json").loads(r.stdout)
    assert doc["default_profile"] == "default"
    assert [p["name"] for p in doc["profiles"]] == ["default", "us"]
    text = cli("profiles", "list").stdout
    assert "* default" in text and "us-east-1" in text
    show = cli("profiles", "show", "us", env={"DASHSCOPE_API_KEY": "sk-0123456789abcdef9999"})
    assert show.rc == 0
    assert "sk-…9999" in show.stdout and "environment variable DASHSCOPE_API_KEY" in show.stdout
    assert "sk-0123456789abcdef9999" not in show.output
    missing = cli("profiles", "show", "us", "--json")
    key = __import__("json").loads(missing.stdout)["api_key"]
    assert key["present"] is False and key["masked"] is None
    assert cli("profiles", "show", "ghost").rc == 2


def test_profiles_show_says_plain_text_for_file_store(cli) -> None:
    r = cli(
        "configure",
        "--region",
        "cn-beijing",
        "--workspace-id",
        "ws-abc",
        "--store",
        "file",
        "--api-key-stdin",
        input="sk-0123456789abcdef0123456789abcdef\n",
    )
    assert r.rc == 0, r
    show = cli("profiles", "show", "default")
    key_file = cli.config.parent / "keys" / "default.key"
    assert f"stored in PLAIN TEXT at {key_file}" in show.stdout
    assert "sk-…cdef" in show.stdout
    assert "sk-0123456789abcdef0123456789abcdef" not in show.output


def test_profiles_delete_needs_yes_and_removes_the_key(cli) -> None:
    r = cli(
        "configure",
        "--region",
        "cn-beijing",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        "--profile",
        "work",
        input="sk-0123456789abcdef0123456789abcdef",
    )
    assert r.rc == 0, r
    key_file = cli.config.parent / "keys" / "work.key"
    assert key_file.exists()
    refused = cli("profiles", "delete", "work")
    assert refused.rc == 2 and "--yes" in refused.stderr
    assert key_file.exists() and "work" in load_config(cli.config).profiles
    done = cli("profiles", "delete", "work", "--yes")
    assert done.rc == 0, done
    assert not key_file.exists()
    assert "work" not in load_config(cli.config).profiles
    assert "Deleted its key" in done.stdout


def test_verdict_stamps_do_not_rotate_backups_away(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    modify_config(path, lambda c: c.with_profile(_profile("a")))
    modify_config(path, lambda c: c.with_profile(_profile("b")))
    (backup,) = tmp_path.glob("config.yaml.bak-*")
    for _ in range(5):
        update_verified(path, "a", "ok", "2026-01-01T00:00:00+00:00")
    assert list(tmp_path.glob("config.yaml.bak-*")) == [backup]


def test_a_held_lock_times_out_with_a_message(tmp_path: Path, monkeypatch) -> None:
    import app.config.write as write

    monkeypatch.setattr(write, "_LOCK_TIMEOUT_S", 0.3)
    path = tmp_path / "config.yaml"
    modify_config(path, lambda c: c.with_profile(_profile("a")))
    before = path.read_bytes()
    with write.file_lock(path), pytest.raises(ConfigWriteError, match="Another"):
        modify_config(path, lambda c: c.with_profile(_profile("b")))
    assert path.read_bytes() == before


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ws=st.text(max_size=40), host=st.sampled_from(["maas", "evil"]))
@example(ws="ws-abc", host="maas")
@example(ws="ws-abc", host="evil")
def test_a_loaded_profile_never_points_anywhere_else(tmp_path: Path, ws: str, host: str) -> None:
    """T3: whatever a config file says, a profile that loads sends the key only to the host
    built from its region and workspace."""
    domain = "ap-southeast-1.maas.aliyuncs.com" if host == "maas" else "evil.example"
    urls = {
        "openai": f"https://{ws}.{domain}/compatible-mode/v1",
        "anthropic": f"https://{ws}.{domain}/apps/anthropic",
        "dashscope": f"https://{ws}.{domain}/api/v1",
    }
    path = tmp_path / "prop.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "default_profile": "default",
                "profiles": {"default": good_profile(workspace_id=ws, base_urls=urls)},
            }
        )
    )
    try:
        p = load_config(path).profile()
    except ConfigError:
        return
    assert host == "maas"
    assert p.host == f"{p.workspace_id}.ap-southeast-1.maas.aliyuncs.com"
    assert p.workspace_id == ws
    for url in p.base_urls.values():
        assert url.startswith(f"https://{p.host}/")


def test_binary_and_oversized_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00version: 1")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)
    huge = tmp_path / "huge.yaml"
    huge.write_text("#" * 1_000_001)
    with pytest.raises(ConfigError, match="larger than"):
        load_config(huge)


def test_config_errors_are_shown_in_chinese_with_the_field(cli) -> None:
    write_config(cli.config, {"default": good_profile(region="mars-1")})
    r = cli("--lang", "zh", "profiles", "show")
    assert r.rc == 2
    assert "配置文件" in r.stderr and "profiles.default.region" in r.stderr
    assert "未知地域" in r.stderr


def test_relative_config_path_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path("sub/config.yaml") == tmp_path / "sub" / "config.yaml"
    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", "env.yaml")
    assert config_path(None) == tmp_path / "env.yaml"


# ------------------------------------------------------------------ hostile YAML (sweep S7/S8)


def _bomb(levels: int = 9) -> str:
    rows = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    rows += [f"&a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "[" + ", ".join(rows) + "]"


@pytest.mark.parametrize("field", ["model", "residency", "endpoint_style"])
def test_yaml_aliases_are_refused_naming_the_field(field: str, tmp_path: Path) -> None:
    """A 1 KB alias bomb must be refused at once, not expanded (every command loads it)."""
    path = write_config(tmp_path / "config.yaml", {"default": good_profile()})
    text = path.read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith(f"    {field}:")]
    lines.insert(lines.index("  default:") + 1, f"    {field}: {_bomb()}")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"profiles.default.{field}" in info.value.message
    assert "aliases" in info.value.message


def test_a_harmless_alias_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "default_profile": "a", "profiles": {}}) + "x: &m qwen-plus\n"
    )
    path.write_text(path.read_text().replace("x: &m qwen-plus\n", "default_profile2: *m\n"))
    with pytest.raises(ConfigError, match="aliases"):
        load_config(path)


def test_bad_value_display_is_bounded_for_shared_structures() -> None:
    """Defence in depth: an error message about a huge shared structure stays short."""
    from app.core.names import safe_repr as _safe_repr

    leaf = ["lol"] * 9
    for _ in range(8):
        leaf = [leaf] * 9  # 9**9 leaves, shared: cheap to build, huge to repr()
    shown = _safe_repr(leaf)
    assert len(shown) <= 81 and shown.startswith("[[")
    assert _safe_repr("a\x1b[2Jb") == "'a\\x1b[2Jb'"


@pytest.mark.parametrize("value", [["eu"], {"eu": 1}], ids=["list", "mapping"])
def test_residency_of_the_wrong_type_is_refused(value: object, tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", {"default": good_profile(residency=value)})
    with pytest.raises(ConfigError, match=r"profiles\.default\.residency"):
        load_config(path)


@pytest.mark.parametrize("name", ["a" * 300 + "/c.yaml", "bad\x00name.yaml"])
def test_an_unusable_path_is_a_clean_error_not_a_traceback(tmp_path: Path, name: str) -> None:
    """QA B44 / B41: an over-long component or a NUL byte is bad input (exit 2)."""
    from app.config.write import atomic_write

    with pytest.raises(UserError) as info:
        atomic_write(tmp_path / name, "x: 1\n")
    assert info.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []
