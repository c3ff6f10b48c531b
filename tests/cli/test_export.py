"""Exports: every format parsed back, the key referenced (never copied) unless asked for."""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit
import yaml
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from app.config.io import load_config
from app.config.validate import make_profile
from app.core.errors import UserError
from app.export.formats import FORMATS, SHELLS, export
from app.export.merge_settings import merge as merge_json_settings
from app.secrets.key import ApiKey
from app.secrets.stores import KeyRef
from tests.fixtures.export import KEY, URLS, configured_file_store, profile

VENV_BIN = str(Path(sys.executable).parent)


P = profile()


def _parse(fmt: str, text: str):
    """Parse an export the way its consumer would; returns a dict of what matters."""
    if fmt in ("yaml", "litellm"):
        return yaml.safe_load(text)
    if fmt in ("claude-code", "qwen-code", "opencode"):
        return json.loads(text)
    if fmt == "codex":
        return tomlkit.parse(text).unwrap()
    if fmt == "dotenv":
        return dict(dotenv_values(stream=io.StringIO(text), interpolate=False))
    if fmt.endswith("-python"):
        tree = ast.parse(text)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        return {kw.arg: ast.unparse(kw.value) for call in calls for kw in call.keywords if kw.arg}
    return text


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_references_the_key_and_parses(fmt: str) -> None:
    text = export(P, fmt, ApiKey(KEY), include_key=False)
    assert KEY not in text
    doc = _parse(fmt, text)
    assert doc is not None
    if fmt == "yaml":
        assert doc["profiles"]["default"]["base_urls"] == URLS
    elif fmt == "dotenv":
        assert doc["OPENAI_BASE_URL"] == URLS["openai"]
        assert doc["ANTHROPIC_BASE_URL"] == URLS["anthropic"]
        # The SDK builds this workspace host from region + workspace ID (>= 1.27.8); its 2.x
        # Client would send every protocol to an explicit DASHSCOPE_HTTP_BASE_URL.
        assert "DASHSCOPE_HTTP_BASE_URL" not in doc
        assert doc["DASHSCOPE_WEBSOCKET_BASE_URL"].startswith("wss://ws-g3ganedl8go5vc5i.")
        assert doc["DASHSCOPE_WORKSPACE_ID"] == "ws-g3ganedl8go5vc5i"
        assert doc["OPENAI_API_KEY"] == "${DASHSCOPE_API_KEY}"
        assert "DASHSCOPE_API_KEY" not in doc
    elif fmt == "openai-python":
        assert doc["base_url"] == repr(URLS["openai"])
        assert doc["api_key"] == "os.environ['DASHSCOPE_API_KEY']"
    elif fmt == "anthropic-python":
        assert doc["base_url"] == repr(URLS["anthropic"])
        assert doc["api_key"] == "os.environ['DASHSCOPE_API_KEY']"
    elif fmt == "dashscope-python":
        assert repr(URLS["dashscope"]) in text
        assert doc["api_key"] == "os.environ['DASHSCOPE_API_KEY']"
    elif fmt == "claude-code":
        assert doc["env"]["ANTHROPIC_BASE_URL"] == URLS["anthropic"]
        assert doc["env"]["ANTHROPIC_MODEL"] == "qwen-flash"
        assert "ANTHROPIC_AUTH_TOKEN" not in doc["env"]
        assert doc["apiKeyHelper"] == "modelstudio-setup key get --profile default"
    elif fmt == "qwen-code":
        (entry,) = doc["modelProviders"]["openai"]
        assert entry["baseUrl"] == URLS["openai"]
        assert entry["envKey"] == "DASHSCOPE_API_KEY"
        assert entry["id"] == "qwen-flash"
    elif fmt == "litellm":
        # The legacy dashscope/ route, and (outside the mainland) the newer qwencloud/ one,
        # each with the explicit base (LiteLLM's default hosts changed between versions).
        routes = [e["litellm_params"] for e in doc["model_list"]]
        assert [r["model"] for r in routes] == ["dashscope/qwen-flash", "qwencloud/qwen-flash"]
        assert all(r["api_base"] == URLS["openai"] for r in routes)
        assert all(r["api_key"] == "os.environ/DASHSCOPE_API_KEY" for r in routes)
    elif fmt == "opencode":
        (provider,) = doc["provider"].values()
        assert provider["npm"] == "@ai-sdk/openai-compatible"
        assert provider["options"] == {
            "baseURL": URLS["openai"],
            "apiKey": "{env:DASHSCOPE_API_KEY}",
        }
        assert doc["model"] == "modelstudio/qwen-flash" and "qwen-flash" in provider["models"]
    elif fmt == "codex":
        assert doc["model_provider"] == "modelstudio"
        table = doc["model_providers"]["modelstudio"]
        assert table["base_url"] == URLS["openai"] and table["env_key"] == "DASHSCOPE_API_KEY"
        assert table["wire_api"] == "responses"
        # qwen-flash is not served by the Responses API: a model that is
        assert doc["model"] != "qwen-flash"
    elif fmt in SHELLS:
        assert "modelstudio-setup" in text and "key" in text and "get" in text


@pytest.mark.parametrize("fmt", [f for f, spec in FORMATS.items() if spec.can_hold_key])
def test_include_key_writes_the_literal_key(fmt: str) -> None:
    text = export(P, fmt, ApiKey(KEY), include_key=True)
    assert KEY in text
    doc = _parse(fmt, text)
    if fmt == "dotenv":
        assert doc["DASHSCOPE_API_KEY"] == KEY and doc["OPENAI_API_KEY"] == KEY
    elif fmt == "claude-code":
        assert doc["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY and "apiKeyHelper" not in doc
    elif fmt == "litellm":
        assert all(e["litellm_params"]["api_key"] == KEY for e in doc["model_list"])
    elif fmt == "opencode":
        (provider,) = doc["provider"].values()
        assert provider["options"]["apiKey"] == KEY
    elif fmt.endswith("-python"):
        assert doc["api_key"] == repr(KEY)


@pytest.mark.parametrize("fmt", [f for f, spec in FORMATS.items() if not spec.can_hold_key])
def test_formats_that_only_reference_refuse_include_key(fmt: str) -> None:
    with pytest.raises(UserError):
        export(P, fmt, ApiKey(KEY), include_key=True)


def test_key_argument_is_ignored_without_include_key() -> None:
    for fmt in FORMATS:
        assert KEY not in export(P, fmt, ApiKey(KEY), include_key=False)


def test_custom_env_var_is_what_exports_reference() -> None:
    p = profile(store="env", env="TEAM_KEY")
    env = _parse("dotenv", export(p, "dotenv"))
    assert env["DASHSCOPE_API_KEY"] == "${TEAM_KEY}"
    assert env["OPENAI_API_KEY"] == "${TEAM_KEY}"
    assert json.loads(export(p, "qwen-code"))["modelProviders"]["openai"][0]["envKey"] == "TEAM_KEY"
    assert "os.environ/TEAM_KEY" in export(p, "litellm")
    # an env-store profile has no `key get` to call: the variable is already there
    assert "key get" not in export(p, "sh")


def test_dotenv_interpolates_with_python_dotenv(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    values = dotenv_values(stream=io.StringIO(export(P, "dotenv")), interpolate=True)
    assert values["OPENAI_API_KEY"] == KEY
    assert values["ANTHROPIC_AUTH_TOKEN"] == KEY


def test_anthropic_model_stays_in_scope() -> None:
    eu = make_profile("eu", region="eu-central-1", workspace_id="ws-abc", scope="eu")[0]
    assert eu.model == "qwen3.5-flash"
    settings = json.loads(export(eu, "claude-code"))
    assert settings["env"]["ANTHROPIC_MODEL"] == "qwen-plus"


def test_yaml_export_is_a_loadable_standalone_config(tmp_path: Path) -> None:
    path = tmp_path / "standalone.yaml"
    path.write_text(export(P, "yaml"))
    assert load_config(path).profile() == P


def test_shared_host_export_has_no_workspace() -> None:
    shared = make_profile("s", region="cn-beijing", endpoint_style="shared")[0]
    env = _parse("dotenv", export(shared, "dotenv"))
    assert env["OPENAI_BASE_URL"] == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert "DASHSCOPE_WORKSPACE_ID" not in env


def test_control_characters_are_refused() -> None:
    from app.core.record import replace

    evil = replace(P, model="qwen\nEVIL=1")
    for fmt in FORMATS:
        with pytest.raises(UserError, match="control character"):
            export(evil, fmt)


# ------------------------------------------------------------------ the shells run the output


def _run_shell(argv: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


def _shell_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    env.update(extra or {})
    return env


VARS = (
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "DASHSCOPE_COMPATIBLE_BASE_URL",
)


def test_sh_export_with_key_sets_the_variables(tmp_path: Path) -> None:
    script = tmp_path / "ms.sh"
    script.write_text(export(P, "sh", ApiKey(KEY), include_key=True))
    printf = "printf '%s\\n' " + " ".join(f'"${v}"' for v in VARS)
    out = _run_shell(["sh", "-c", f". {script}; {printf}"], _shell_env()).splitlines()
    assert out == [URLS["openai"], KEY, KEY, URLS["openai"]]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
def test_fish_export_with_key_sets_the_variables(tmp_path: Path) -> None:
    script = tmp_path / "ms.fish"
    script.write_text(export(P, "fish", ApiKey(KEY), include_key=True))
    printf = "printf '%s\\n' " + " ".join(f"${v}" for v in VARS)
    out = _run_shell(["fish", "-c", f"source {script}; {printf}"], _shell_env()).splitlines()
    assert out == [URLS["openai"], KEY, KEY, URLS["openai"]]


def test_sh_export_fetches_the_key_with_key_get(cli, tmp_path: Path) -> None:
    """The referenced form: the shell runs `modelstudio-setup key get` and gets the key."""
    config = configured_file_store(cli)
    r = cli("export", "--format", "sh", "--config", str(config))
    assert r.rc == 0 and KEY not in r.stdout
    assert f"--config {config}" in r.stdout
    script = tmp_path / "ref.sh"
    script.write_text(r.stdout)
    printf = "printf '%s\\n' " + " ".join(f'"${v}"' for v in VARS)
    out = _run_shell(["sh", "-c", f". {script}; {printf}"], _shell_env()).splitlines()
    assert out == [URLS["openai"], KEY, KEY, URLS["openai"]]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
def test_fish_export_fetches_the_key_with_key_get(cli, tmp_path: Path) -> None:
    config = configured_file_store(cli)
    r = cli("export", "--format", "fish", "--config", str(config))
    script = tmp_path / "ref.fish"
    script.write_text(r.stdout)
    printf = "printf '%s\\n' " + " ".join(f"${v}" for v in VARS)
    out = _run_shell(["fish", "-c", f"source {script}; {printf}"], _shell_env()).splitlines()
    assert out == [URLS["openai"], KEY, KEY, URLS["openai"]]


# ------------------------------------------------------------------------- the export command


def test_export_command_stdout_and_output_file_modes(cli, tmp_path: Path) -> None:
    configured_file_store(cli)
    r = cli("export", "--format", "dotenv")
    assert r.rc == 0 and KEY not in r.output
    assert dotenv_values(stream=io.StringIO(r.stdout))["OPENAI_BASE_URL"] == URLS["openai"]

    old = os.umask(0o022)
    try:
        plain = tmp_path / "out" / ".env"
        r = cli("export", "--format", "dotenv", "--output", str(plain))
        assert r.rc == 0, r
        assert stat.S_IMODE(plain.stat().st_mode) == 0o644
        assert KEY not in plain.read_text()

        secret = tmp_path / "out" / "secret.env"
        r = cli("export", "--format", "dotenv", "--output", str(secret), "--include-key")
        assert r.rc == 0, r
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert dotenv_values(secret)["DASHSCOPE_API_KEY"] == KEY
        assert "contains the API key" in r.stderr
        assert KEY not in r.output
    finally:
        os.umask(old)


def test_include_key_to_stdout_warns(cli) -> None:
    configured_file_store(cli)
    r = cli("export", "--format", "openai-python", "--include-key")
    assert r.rc == 0
    assert KEY in r.stdout and KEY not in r.stderr
    assert "plain text" in r.stderr


def test_include_key_with_missing_key_exits_1(cli) -> None:
    cli("configure", "--region", "cn-beijing", "--shared-host", "--store", "env")
    r = cli("export", "--format", "dotenv", "--include-key")
    assert r.rc == 1
    assert "environment variable DASHSCOPE_API_KEY, which is not set" in r.stderr
    assert "--api-key-stdin" not in r.stderr  # configure refuses it with --store env (B19)


def test_export_refuses_unknown_profile_and_format(cli) -> None:
    configured_file_store(cli)
    assert cli("export", "--format", "dotenv", "--profile", "ghost").rc == 2
    assert cli("export", "--format", "toml").rc == 2
    assert cli("export", "--format", "yaml", "--include-key").rc == 2


def test_export_over_a_symlink_says_so(cli, tmp_path: Path) -> None:
    configured_file_store(cli)
    real = tmp_path / "real.env"
    real.write_text("OLD=1\n")
    link = tmp_path / "link.env"
    link.symlink_to(real)
    r = cli("export", "--format", "dotenv", "--output", str(link))
    assert r.rc == 0, r
    assert "symbolic link" in r.stderr and str(real) in r.stderr
    assert link.is_symlink()
    assert "OPENAI_BASE_URL" in real.read_text()
    assert real.read_text().startswith("OLD=1\n")  # merged into, not replaced (B37)
    assert not list(tmp_path.glob("real.env.bak-*"))  # an export keeps no backup (B16)
    assert "Merged into" in r.stderr


def test_settings_json_is_merged_not_clobbered(cli, tmp_path: Path) -> None:
    configured_file_store(cli)
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"theme": "dark", "env": {"FOO": "bar"}}))
    r = cli("export", "--format", "claude-code", "--output", str(settings))
    assert r.rc == 0, r
    doc = json.loads(settings.read_text())
    assert doc["theme"] == "dark" and doc["env"]["FOO"] == "bar"
    assert doc["env"]["ANTHROPIC_BASE_URL"] == URLS["anthropic"]
    assert "apiKeyHelper" in doc

    qwen = tmp_path / ".qwen" / "settings.json"
    qwen.parent.mkdir()
    other = {"id": "gpt", "name": "x", "baseUrl": "https://example.invalid/v1", "envKey": "K"}
    qwen.write_text(json.dumps({"modelProviders": {"openai": [other]}}))
    for _ in range(2):  # exporting twice replaces our entry, never duplicates it
        assert cli("export", "--format", "qwen-code", "--output", str(qwen)).rc == 0
    entries = json.loads(qwen.read_text())["modelProviders"]["openai"]
    assert [e["id"] for e in entries] == ["gpt", "qwen-flash"]


def test_merge_refuses_a_settings_file_that_is_not_json() -> None:
    with pytest.raises(UserError, match="not a JSON object"):
        merge_json_settings("{oops", export(P, "claude-code"), "claude-code")


def test_merge_drops_a_previously_included_token() -> None:
    with_key = export(P, "claude-code", ApiKey(KEY), include_key=True)
    merged = merge_json_settings(with_key, export(P, "claude-code"), "claude-code")
    assert KEY not in merged


# --------------------------------------------------------------- quoting of the literal key

NASTY_KEY = "sk-a'b\"c$d`e\\f${HOME}$(id);g|h&i*j#k!l~m%n"
# A `'` beside `$` fits no .env quoting that bash and python-dotenv read alike (B9): left out.
NASTY_DOTENV_KEY = 'sk-a"c$d`e\\f$HOME$(id);g|h&i*j#k!l~m%n{x}'


def test_nasty_key_round_trips_through_every_literal_format() -> None:
    key = ApiKey(NASTY_KEY)
    dotenv_key = ApiKey(NASTY_DOTENV_KEY)
    # Read the way applications read it: load_dotenv interpolates by default.
    text = export(P, "dotenv", dotenv_key, True)
    assert dotenv_values(stream=io.StringIO(text))["DASHSCOPE_API_KEY"] == NASTY_DOTENV_KEY
    for fmt in ("openai-python", "anthropic-python", "dashscope-python"):
        assert ast.literal_eval(_parse(fmt, export(P, fmt, key, True))["api_key"]) == NASTY_KEY
    assert json.loads(export(P, "claude-code", key, True))["env"]["ANTHROPIC_AUTH_TOKEN"] == (
        NASTY_KEY
    )
    assert (
        yaml.safe_load(export(P, "litellm", key, True))["model_list"][0]["litellm_params"][
            "api_key"
        ]
        == NASTY_KEY
    )


def test_nasty_key_round_trips_through_sh(tmp_path: Path) -> None:
    script = tmp_path / "k.sh"
    script.write_text(export(P, "sh", ApiKey(NASTY_KEY), include_key=True))
    out = _run_shell(["sh", "-c", f'. {script}; printf "%s" "$OPENAI_API_KEY"'], _shell_env())
    assert out == NASTY_KEY


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
def test_nasty_key_round_trips_through_fish(tmp_path: Path) -> None:
    script = tmp_path / "k.fish"
    script.write_text(export(P, "fish", ApiKey(NASTY_KEY), include_key=True))
    out = _run_shell(["fish", "-c", f"source {script}; printf '%s' $OPENAI_API_KEY"], _shell_env())
    assert out == NASTY_KEY


_KEY_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@settings(max_examples=200, deadline=None)
@given(st.text(_KEY_CHARS, min_size=8, max_size=120))
def test_any_valid_key_round_trips_through_dotenv_and_python(raw: str) -> None:
    try:
        key = ApiKey(raw)
    except UserError:
        return  # e.g. quotes around the whole text are stripped as paste artefacts
    value = key.reveal()
    try:
        text = export(P, "dotenv", key, True)
    except UserError as exc:  # refused, never written differently (B27, B9)
        assert "${" in value or "no .env quoting reads it back the same" in exc.message
    else:
        env = dotenv_values(stream=io.StringIO(text))
        assert env["DASHSCOPE_API_KEY"] == value
    assert (
        ast.literal_eval(_parse("openai-python", export(P, "openai-python", key, True))["api_key"])
        == value
    )


# ------------------------------------------------------------- what an export leaves behind


def test_reexport_without_the_key_leaves_no_backup_holding_the_key(cli, tmp_path: Path) -> None:
    """QA B16: `.env.bak-<stamp>` beside `.env` is not covered by a `.env` gitignore line."""
    configured_file_store(cli)
    project = tmp_path / "project"
    project.mkdir()
    env_file = project / ".env"
    assert cli("export", "--format", "dotenv", "-o", str(env_file), "--include-key").rc == 0
    r = cli("export", "--format", "dotenv", "-o", str(env_file))
    assert r.rc == 0, r
    assert "Removed the API key this tool had written earlier" in r.stderr
    assert [p.name for p in project.iterdir()] == [".env"]
    assert KEY not in env_file.read_text()
    assert "contains the API key" not in env_file.read_text()


def test_export_leaves_no_lock_file_and_creates_one_missing_level(cli, tmp_path: Path) -> None:
    """QA B17 / sweep S9: only the exported files appear in the project."""
    configured_file_store(cli)
    project = tmp_path / "project"
    project.mkdir()
    r = cli("export", "--format", "claude-code", "-o", str(project / ".claude" / "settings.json"))
    assert r.rc == 0, r
    assert "Created the directory" in r.stderr and ".claude" in r.stderr
    assert cli("export", "--format", "dotenv", "-o", str(project / ".env")).rc == 0
    made = sorted(str(p.relative_to(project)) for p in project.rglob("*"))
    assert made == [".claude", ".claude/settings.json", ".env"]


def test_export_into_a_mistyped_deep_path_is_refused(cli, tmp_path: Path) -> None:
    """QA B18: a typo must not silently grow a directory tree."""
    configured_file_store(cli)
    target = tmp_path / "typo" / "dir" / "deep" / ".env"
    r = cli("export", "--format", "dotenv", "-o", str(target))
    assert r.rc == 2
    assert f"{tmp_path / 'typo'} does not exist" in r.stderr
    assert not (tmp_path / "typo").exists()


def test_export_write_error_names_the_file_not_config(cli, tmp_path: Path) -> None:
    """Sweep S10: an export that cannot be written must not talk about --config."""
    configured_file_store(cli)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    r = cli("export", "--format", "dotenv", "-o", str(blocker / "x" / ".env"))
    assert r.rc == 2 and "--config" not in r.stderr
    r = cli("export", "--format", "dotenv", "-o", str(blocker / ".env"))
    assert r.rc == 2, r
    assert "--config" not in r.stderr and "choose another location" in r.stderr


def test_keyless_export_is_never_group_or_world_writable(cli, tmp_path: Path) -> None:
    """QA B31: whoever can rewrite OPENAI_BASE_URL in a .env receives the key next time."""
    configured_file_store(cli)
    old = os.umask(0)
    try:
        out = tmp_path / "out.env"
        assert cli("export", "--format", "dotenv", "-o", str(out)).rc == 0
        made = tmp_path / "made" / "settings.json"
        assert cli("export", "--format", "qwen-code", "-o", str(made)).rc == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(made.parent.stat().st_mode) & 0o022 == 0
    assert stat.S_IMODE(made.stat().st_mode) & 0o022 == 0


def test_key_reference_export_warns_when_the_command_is_not_on_path(cli, tmp_path: Path) -> None:
    """QA B1: run the README way (`uv run`), `$(modelstudio-setup key get)` finds nothing."""
    configured_file_store(cli)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    r = cli("export", "--format", "sh", env={"PATH": str(empty)})
    assert r.rc == 0 and "modelstudio-setup key get" in r.stdout
    assert "not on your PATH" in r.stderr and "uv tool install ." in r.stderr
    r = cli("export", "--format", "dotenv", env={"PATH": str(empty)})
    assert "not on your PATH" not in r.stderr  # .env references the variable only

    tool = tmp_path / "bin" / "modelstudio-setup"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    r = cli("export", "--format", "claude-code", env={"PATH": str(tool.parent)})
    assert r.rc == 0 and "apiKeyHelper" in r.stdout
    assert "not on your PATH" not in r.stderr


def test_dotenv_refuses_a_key_that_python_dotenv_would_expand(cli, tmp_path: Path) -> None:
    """QA B27: `${IFS}` in a key came back from load_dotenv as a different key."""
    r = cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input="sk-0123${IFS}4567abcdef",
    )
    assert r.rc == 0, r
    out = tmp_path / ".env"
    r = cli("export", "--format", "dotenv", "--include-key", "-o", str(out))
    assert r.rc == 2 and "expand" in r.stderr
    assert not out.exists()
    assert cli("export", "--format", "sh", "--include-key").rc == 0


def test_sh_reference_says_so_when_key_get_cannot_run(cli, tmp_path: Path) -> None:
    """QA B1: without modelstudio-setup on PATH the key was exported as '' silently."""
    configured_file_store(cli)
    r = cli("export", "--format", "sh")
    script = tmp_path / "ref.sh"
    script.write_text(r.stdout)
    proc = subprocess.run(
        ["sh", "-c", f'. {script}; printf "[%s]" "$DASHSCOPE_API_KEY"'],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout == "[]"
    assert "modelstudio-setup key get failed: DASHSCOPE_API_KEY is empty" in proc.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (CI installs it)")
def test_fish_reference_says_so_when_key_get_cannot_run(cli, tmp_path: Path) -> None:
    configured_file_store(cli)
    r = cli("export", "--format", "fish")
    script = tmp_path / "ref.fish"
    script.write_text(r.stdout)
    proc = subprocess.run(
        ["fish", "-c", f"source {script}; printf '[%s]' $DASHSCOPE_API_KEY"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "modelstudio-setup key get failed" in proc.stderr


def test_qwen_code_keeps_the_same_model_of_another_account() -> None:
    """A CN and an international account may both offer qwen-flash: both entries stay (B46)."""
    beijing = make_profile(
        "cn", region="cn-beijing", endpoint_style="shared", api_key=KeyRef("file")
    )[0]
    assert beijing.model == P.model
    merged = merge_json_settings(export(beijing, "qwen-code"), export(P, "qwen-code"), "qwen-code")
    merged = merge_json_settings(merged, export(P, "qwen-code"), "qwen-code")
    entries = json.loads(merged)["modelProviders"]["openai"]
    assert sorted(e["baseUrl"] for e in entries) == sorted(
        [beijing.base_urls["openai"], P.base_urls["openai"]]
    )
