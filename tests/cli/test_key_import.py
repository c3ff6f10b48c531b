"""`key import`: a plain-text key of the bl CLI, the DashScope SDK, a variable or a file moved
into the profile's OS keyring. Real files in a temporary HOME, the simulator over real TLS
under the production host names, a real Secret Service (and the fail keyring); every output
is searched for the key (and a piece of it)."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from app.config.io import load_config
from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.secrets.stores import KeyRef, KeyringStore
from tests.fixtures.cli import Captured, main_captured, no_leak
from tests.fixtures.keyring import SECRET_SERVICE_BACKEND

# Other places a key may come from (XDG_STATE_HOME is set by rotation_home, privately).
EXTRA_VARS = ("BAILIAN_CONFIG_DIR", "DASHSCOPE_API_KEY_FILE_PATH")


@pytest.fixture
def home(rotation_home, env) -> Path:
    """A private HOME (and XDG folders), no proxy/trust/key variables, stdin not a terminal
    (tests/fixtures/rotation.py), and none of the other places a key may come from.
    Requested after `secret_service`, whose own HOME it replaces."""
    for var in EXTRA_VARS:
        env.delenv(var, raising=False)
    return rotation_home


def profile_config(path: Path, sim, account: str = "ap-southeast-1", name: str = "default"):
    acct = sim.accounts[account]
    profile, _ = make_profile(
        name,
        region=acct.region,
        endpoint_style="workspace",
        workspace_id=acct.workspace_id,
        model="qwen-plus",
        api_key=KeyRef(store="keyring"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, Config().with_profile(profile, make_default=True).dump())
    return path


def key_import(capsys, config: Path, sim, *args: str, lang: str = "en") -> Captured:
    argv = ["key", "import", "--lang", lang, "--config", str(config), *args]
    return main_captured(capsys, argv, sim)


def stored(config: Path, name: str = "default") -> str | None:
    profile = load_config(config).profile(name)
    if profile.api_key.account is None:
        return None
    key = KeyringStore(account=profile.api_key.account).get(name)
    return key.reveal() if key else None


def bl_config(home: Path, doc: dict) -> Path:
    path = home / ".bailian" / "config.json"
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")  # as bl writes it
    path.chmod(0o600)
    return path


# ------------------------------------------------------------------------------ the good paths


def test_bl_key_is_checked_stored_and_the_file_left_untouched(
    capsys, secret_service, home, tmp_path, simulator
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    path = bl_config(home, {"api_key": key, "workspace_id": "ws-x", "output": "json"})
    before = path.read_bytes()
    run = key_import(capsys, config, simulator, "--from", "bl")
    assert run.code == 0, run.text
    assert stored(config) == key
    assert path.read_bytes() == before
    assert f"Read the API key {key[:3]}…{key[-4:]} from the bl CLI's config {path}" in run.out
    assert "accepted by" in run.out and "SecretService" in run.out
    assert "also stays in plain text" in run.out
    workspace = simulator.accounts["ap-southeast-1"].workspace_id
    assert {r.host for r in simulator.requests} == {f"{workspace}.ap-southeast-1.maas.aliyuncs.com"}
    assert {r.account for r in simulator.requests if r.key_fingerprint} == {"ap-southeast-1"}
    assert not [p for p in path.parent.iterdir() if p.name != "config.json"]
    no_leak(key, run.out, run.err)


def test_remove_plaintext_from_bl_keeps_its_other_settings_after_a_backup(
    capsys, secret_service, home, tmp_path, simulator
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    doc = {
        "api_key": key,
        "base_url": "https://dashscope-intl.aliyuncs.com",
        "timeout": 60,
        "dev": {"api_key": simulator.key("demo"), "output": "text"},
        "active_config": "default",
    }
    path = bl_config(home, doc)
    before = path.read_bytes()
    run = key_import(capsys, config, simulator, "--from", "bl", "--remove-plaintext", "--yes")
    assert run.code == 0, run.text
    assert stored(config) == key
    rest = {k: v for k, v in doc.items() if k != "api_key"}
    assert path.read_text() == json.dumps(rest, indent=2) + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key not in path.read_text()
    (backup,) = [p for p in path.parent.iterdir() if p.name != "config.json"]
    assert backup.name.startswith("config.json.bak-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.read_bytes() == before
    assert str(backup) in run.out and "delete it when you no longer need it" in run.out
    assert "Removed the api_key of the config 'default'" in run.out
    assert 'DASHSCOPE_API_KEY="$(' in run.out and "key get" in run.out
    no_leak(key, run.out, run.err)


def test_the_dashscope_key_file_is_removed_after_a_backup(
    capsys, secret_service, home, tmp_path, simulator
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    path = home / ".dashscope" / "api_key"
    path.parent.mkdir()
    path.write_text(key + "\n")  # `echo "$KEY" > ~/.dashscope/api_key`
    args = ("--from", "dashscope-file", "--remove-plaintext", "--yes", "--json")
    run = key_import(capsys, config, simulator, *args)
    assert run.code == 0, run.text
    assert stored(config) == key and not path.exists()
    data = run.data
    assert data["stored"] is True and data["removed"] is True and data["check"] == "accepted"
    assert data["key"] == f"sk-…{key[-4:]}" and data["source"]["kind"] == "dashscope-file"
    backup = Path(data["backup"])
    assert backup.parent == path.parent and backup.read_text() == key + "\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    no_leak(key, run.out, run.err, backup.name)


def test_a_dotenv_loses_only_the_line_and_its_backup_stays_out_of_the_project(
    capsys, secret_service, home, tmp_path, simulator
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    project = tmp_path / "project"
    project.mkdir()
    dotenv = project / ".env"
    dotenv.write_text(f"# app\nPORT=8080\nTEAM_API_KEY='{key}'\nDEBUG=1\n")
    args = ("--from", str(dotenv), "--env-var", "TEAM_API_KEY", "--remove-plaintext", "--yes")
    run = key_import(capsys, config, simulator, *args)
    assert run.code == 0, run.text
    assert stored(config) == key
    assert dotenv.read_text() == "# app\nPORT=8080\nDEBUG=1\n"
    assert sorted(p.name for p in project.iterdir()) == [".env"]
    (backup,) = (tmp_path / "xdg-config" / "modelstudio-setup" / "backups").iterdir()
    assert key in backup.read_text() and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "Removed the line setting TEAM_API_KEY" in run.out
    no_leak(key, run.out, run.err)


def test_from_the_environment_nothing_can_be_removed_so_it_says_how(
    capsys, secret_service, home, tmp_path, simulator, monkeypatch
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)
    run = key_import(capsys, config, simulator, "--from", "env", "--remove-plaintext")
    assert run.code == 0, run.text
    assert stored(config) == key
    assert "unset DASHSCOPE_API_KEY" in run.out and "~/.bashrc" in run.out
    no_leak(key, run.out, run.err)


def test_no_check_sends_nothing_and_says_so(capsys, secret_service, home, tmp_path, simulator):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    bl_config(home, {"api_key": key})
    run = key_import(capsys, config, simulator, "--from", "bl", "--no-check")
    assert run.code == 0, run.text
    assert "--no-check: the key was not tried" in run.out
    assert simulator.requests == [] and stored(config) == key


# ------------------------------------------------------------------------------ refused keys


def test_a_singapore_key_on_a_beijing_profile_is_named_and_not_stored(
    capsys, secret_service, home, tmp_path, simulator
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator, account="cn-beijing")
    path = bl_config(home, {"api_key": key})
    before = path.read_bytes()
    args = ("--from", "bl", "--yes", "--remove-plaintext")
    run = key_import(capsys, config, simulator, *args)
    assert run.code == 1, run.text
    assert "pay-as-you-go key of another region" in run.out
    assert "It is a key of Singapore (ap-southeast-1)" in run.out
    assert "points at China (Beijing) (cn-beijing)" in run.out
    assert "so it was not stored" in run.out
    assert stored(config) is None and path.read_bytes() == before
    assert len(list(path.parent.iterdir())) == 1  # no backup: nothing was to be removed
    assert "dashscope-intl.aliyuncs.com" in {r.host for r in simulator.requests}
    no_leak(key, run.out, run.err)


def test_without_consent_a_refused_key_goes_nowhere_else(
    capsys, secret_service, home, tmp_path, simulator
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator, account="cn-beijing")
    bl_config(home, {"api_key": key})
    run = key_import(capsys, config, simulator, "--from", "bl", "--json")
    assert run.code == 1, run.text
    assert run.data["check"] == "rejected" and "stored" not in run.data
    assert "run the import again with --yes" in run.err
    workspace = simulator.accounts["cn-beijing"].workspace_id
    assert {r.host for r in simulator.requests} == {f"{workspace}.cn-beijing.maas.aliyuncs.com"}
    assert stored(config) is None
    no_leak(key, run.out, run.err)


def test_the_fail_keyring_refuses_before_anything_is_sent(run_cli, simulator):
    """Subprocess with the fail backend: exit 3, the plain text untouched, no request."""
    key = simulator.key("ap-southeast-1")
    profile_config(run_cli.config, simulator)
    path = bl_config(run_cli.home, {"api_key": key, "output": "json"})
    before = path.read_bytes()
    args = ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    r = run_cli("key", "import", "--from", "bl", "--remove-plaintext", "--yes", *args)
    assert r.rc == 3, r.output
    assert "never writes it in plain text" in r.stderr
    assert path.read_bytes() == before and len(list(path.parent.iterdir())) == 1
    assert simulator.requests == []
    assert "account" not in run_cli.config.read_text()
    no_leak(key, r.stdout, r.stderr)


def _without_root_bypass() -> tuple[str, ...]:
    """Root ignores directory permissions; setpriv drops that capability for the child."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@pytest.mark.parametrize("where", ["bl", "dotenv"])
def test_a_read_only_directory_leaves_the_original_whole(run_cli, secret_service, simulator, where):
    key = simulator.key("ap-southeast-1")
    profile_config(run_cli.config, simulator)
    if where == "bl":
        path = bl_config(run_cli.home, {"api_key": key, "output": "json"})
        source = "bl"
    else:
        path = run_cli.root / "project" / ".env"
        path.parent.mkdir()
        path.write_text(f"DASHSCOPE_API_KEY={key}\nPORT=1\n")
        source = str(path)
    before = path.read_bytes()
    path.parent.chmod(0o555)
    env = {**secret_service.env, "HOME": str(run_cli.home)}
    args = ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    try:
        r = run_cli(
            "key",
            "import",
            "--from",
            source,
            "--remove-plaintext",
            "--yes",
            *args,
            env=env,
            keyring_backend=SECRET_SERVICE_BACKEND,
            prefix=_without_root_bypass(),
        )
    finally:
        path.parent.chmod(0o755)
    assert r.rc == 1, r.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert "left as it is" in r.stderr and "Permission denied" in r.stderr
    assert "The key is stored in the OS keyring" in r.stdout
    assert stored(run_cli.config) == key
    no_leak(key, r.stdout, r.stderr)


# ------------------------------------------------------------------------------ bad input


def _fifo(home: Path) -> str:
    path = home / "fifo"
    os.mkfifo(path)
    return str(path)


def _file(home: Path, text: str | bytes, name: str = "key.txt") -> str:
    path = home / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


BAD = {
    "missing bl config": (lambda h, k: ["--from", "bl"], "There is no file"),
    "nonexistent source": (lambda h, k: ["--from", "bll"], "There is no file"),
    "empty dashscope file": (
        lambda h, k: ["--from", _file(h, "", ".dashscope-empty")],
        "is empty",
    ),
    "huge": (lambda h, k: ["--from", _file(h, "x" * 300_000)], "larger than 256 KiB"),
    "directory": (lambda h, k: ["--from", str(h)], "is a directory"),
    "fifo": (lambda h, k: ["--from", _fifo(h)], "not a regular file"),
    "not json": (
        lambda h, k: ["--from", "bl", *_bl_text(h, '{"api_key": "' + k + '",')],
        "not valid JSON",
    ),
    "json without key": (
        lambda h, k: ["--from", "bl", *_bl_text(h, '{"output": "json"}')],
        "holds no API key",
    ),
    "trailing newline in bl": (
        lambda h, k: ["--from", "bl", *_bl_text(h, json.dumps({"api_key": k + "\n"}))],
        "line breaks or quotes around it",
    ),
    "smart quotes in a key file": (
        lambda h, k: ["--from", _file(h, f"\u201c{k}\u201d\n")],
        "line breaks or quotes around it",
    ),
    "key-shaped --env-var": (
        lambda h, k: ["--from", "env", "--env-var", k],
        "looks like an API key",
    ),
    "unset variable": (lambda h, k: ["--from", "env"], "is not set"),
    "variable not in the .env": (
        lambda h, k: ["--from", _file(h, "PORT=1\n", ".env")],
        "does not set DASHSCOPE_API_KEY",
    ),
    "--env-var with bl": (
        lambda h, k: ["--from", "bl", "--env-var", "TEAM_KEY"],
        "--env-var is for --from env",
    ),
    "--remove-plaintext without a terminal": (
        lambda h, k: ["--from", "bl", "--remove-plaintext"],
        "needs --yes",
    ),
}


def _bl_text(home: Path, text: str) -> list[str]:
    path = home / ".bailian" / "config.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return []


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_exit_2_nothing_stored_nothing_sent(capsys, home, tmp_path, simulator, case):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    before = config.read_bytes()
    make, words = BAD[case]
    args = make(home, key)
    files = {p: p.read_bytes() for p in home.rglob("*") if p.is_file() and not p.is_fifo()}
    run = key_import(capsys, config, simulator, *args)
    assert run.code == 2, run.text
    assert words in run.err, run.err
    assert simulator.requests == []
    assert config.read_bytes() == before  # no keyring entry recorded
    assert {p: p.read_bytes() for p in files} == files
    no_leak(key, run.out, run.err)


def test_messages_in_chinese(capsys, home, tmp_path, simulator):
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    run = key_import(capsys, config, simulator, "--from", "bl", lang="zh")
    assert run.code == 2 and "不存在" in run.err and "未存储任何内容" in run.err


class _Terminal(io.StringIO):
    """Answers typed at a terminal."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_both_consents_are_asked(
    capsys, secret_service, home, tmp_path, simulator, monkeypatch
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator, account="cn-beijing")
    path = bl_config(home, {"api_key": key})
    before = path.read_bytes()
    monkeypatch.setattr(sys, "stdin", _Terminal("y\ny\n"))
    run = key_import(capsys, config, simulator, "--from", "bl", "--remove-plaintext")
    assert run.code == 1, run.text
    assert "remove the plain-text copy in" in run.out
    assert "Ask the hosts of the other regions and plans" in run.out
    assert "It is a key of Singapore (ap-southeast-1)" in run.out
    assert stored(config) is None and path.read_bytes() == before
    no_leak(key, run.out, run.err)


def test_on_a_terminal_the_removal_can_be_declined(
    capsys, secret_service, home, tmp_path, simulator, monkeypatch
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    path = bl_config(home, {"api_key": key})
    before = path.read_bytes()
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    run = key_import(capsys, config, simulator, "--from", "bl", "--remove-plaintext")
    assert run.code == 0, run.text
    assert "The plain-text copy will be kept." in run.out
    assert stored(config) == key and path.read_bytes() == before
    no_leak(key, run.out, run.err)


def test_a_profile_without_a_keyring_store_is_refused(capsys, home, tmp_path, simulator):
    key = simulator.key("ap-southeast-1")
    acct = simulator.accounts["ap-southeast-1"]
    profile, _ = make_profile(
        "default", region=acct.region, workspace_id=acct.workspace_id, api_key=KeyRef("env")
    )
    config = tmp_path / "cfg" / "config.yaml"
    config.parent.mkdir()
    atomic_write(config, Config().with_profile(profile, make_default=True).dump())
    bl_config(home, {"api_key": key})
    run = key_import(capsys, config, simulator, "--from", "bl")
    assert run.code == 2 and "into the OS keyring only" in run.err
    assert simulator.requests == []
    no_leak(key, run.out, run.err)


def test_the_sdk_variable_and_a_symbolic_link_are_followed_and_said(
    capsys, secret_service, home, tmp_path, simulator, monkeypatch
):
    key = simulator.key("ap-southeast-1")
    config = profile_config(tmp_path / "cfg" / "config.yaml", simulator)
    real = tmp_path / "dotfiles" / "dashscope_key"
    real.parent.mkdir()
    real.write_text(key + "\n")
    link = home / "key-link"
    link.symlink_to(real)
    monkeypatch.setenv("DASHSCOPE_API_KEY_FILE_PATH", str(link))
    args = ("--from", "dashscope-file", "--no-check", "--remove-plaintext", "--yes")
    run = key_import(capsys, config, simulator, *args)
    assert run.code == 0, run.text
    assert f"{link} is a symbolic link to {real}" in run.out
    assert stored(config) == key and not real.exists() and link.is_symlink()
    no_leak(key, run.out, run.err)
