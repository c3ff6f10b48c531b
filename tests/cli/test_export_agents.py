"""The coding agents' exports through the CLI, as a user runs them over the files they have:
what each file gets, what of the user's stays (comments, other providers, tables), what is
refused untouched, and what the user is told. The real clients' acceptance of these files is
proven in tests/e2e/test_real_clients.py."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import tomlkit

from app.core import jsonc
from app.export.formats import export
from tests.fixtures.export import KEY, URLS, configured_file_store, profile

USER_KEY = "sk-" + "e" * 32


def _backups(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f"{target.name}.bak-*"))


# ---- Claude Code ------------------------------------------------------------------------------


def test_claude_code_points_every_model_alias_at_a_served_model():
    """The Explore subagent asks for `haiku`: it must name a flash-class model Model Studio
    serves on the Anthropic surface; opus/sonnet/subagents take the profile's model."""
    p = profile(model="qwen-plus")
    env = json.loads(export(p, "claude-code"))["env"]
    assert env["ANTHROPIC_MODEL"] == "qwen-plus"
    assert (
        env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "qwen-plus"
    )
    assert env["CLAUDE_CODE_SUBAGENT_MODEL"] == "qwen-plus"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == env["ANTHROPIC_SMALL_FAST_MODEL"] == "qwen-flash"
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_AUTH_TOKEN" not in env


def test_claude_code_in_the_eu_falls_back_to_the_served_main_model():
    """No flash-class model is served on the EU scope's Anthropic surface: haiku gets the
    main served model rather than one that would answer 404."""
    eu = profile(region="eu-central-1", workspace_id="ws-abc", scope="eu")
    env = json.loads(export(eu, "claude-code"))["env"]
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == env["ANTHROPIC_MODEL"] != "qwen3.5-flash"


def test_a_committed_project_file_gets_no_key_and_no_path_of_this_machine(cli, tmp_path):
    config = configured_file_store(cli)
    (tmp_path / "repo").mkdir()
    project = tmp_path / "repo" / ".claude" / "settings.json"
    r = cli("export", "--format", "claude-code", "--output", str(project), "--include-key")
    assert r.rc == 2 and "committed" in r.stderr and not project.exists()
    assert KEY not in r.output
    r = cli("export", "--format", "claude-code", "--output", str(project))
    assert r.rc == 0, r
    settings = json.loads(project.read_text())
    assert settings["apiKeyHelper"] == "modelstudio-setup key get --profile default"
    assert str(config) not in project.read_text()
    assert "project (committed)" in r.stderr and "profile 'default'" in r.stderr
    # The local file (not committed) keeps the --config this profile needs.
    local = project.with_name("settings.local.json")
    r = cli("export", "--format", "claude-code", "--output", str(local))
    assert r.rc == 0 and str(config) in json.loads(local.read_text())["apiKeyHelper"]
    assert "project-local" in r.stderr


def test_an_api_key_beside_the_token_is_the_users_and_goes_only_with_force(cli, tmp_path):
    """Both ANTHROPIC_API_KEY and a token set = Claude Code's auth conflict."""
    configured_file_store(cli)
    target = tmp_path / "settings.json"
    mine = {"permissions": {"allow": ["Bash(ls)"]}, "env": {"ANTHROPIC_API_KEY": USER_KEY}}
    target.write_text(json.dumps(mine))
    before = target.read_bytes()
    r = cli("export", "--format", "claude-code", "--output", str(target))
    assert r.rc == 2 and "env.ANTHROPIC_API_KEY (sk-…eeee)" in r.stderr
    assert target.read_bytes() == before and USER_KEY not in r.output
    r = cli("export", "--format", "claude-code", "--output", str(target), "--force")
    assert r.rc == 0, r
    (backup,) = _backups(target)
    assert backup.read_bytes() == before and stat.S_IMODE(backup.stat().st_mode) == 0o600
    new = json.loads(target.read_text())
    assert "ANTHROPIC_API_KEY" not in new["env"] and new["permissions"] == mine["permissions"]


def test_skip_onboarding_marks_only_that_in_claude_state_file(cli, tmp_path):
    configured_file_store(cli)
    state = cli.root / "home" / ".claude.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"projects": {"/x": {"allowedTools": []}}, "numStartups": 3}))
    r = cli("export", "--format", "claude-code", "--skip-onboarding")
    assert r.rc == 0, r
    data = json.loads(state.read_text())
    assert data == {
        "projects": {"/x": {"allowedTools": []}},
        "numStartups": 3,
        "hasCompletedOnboarding": True,
    }
    assert str(state) in r.stderr
    state.write_text("{broken")
    r = cli("export", "--format", "claude-code", "--skip-onboarding")
    assert r.rc == 2 and "line 1" in r.stderr and state.read_text() == "{broken"
    assert cli("export", "--format", "qwen-code", "--skip-onboarding").rc == 2


# ---- Qwen Code --------------------------------------------------------------------------------

QWEN_V3 = """// my settings: keep this comment
{
  "$version": 3,
  "ui": {"theme": "GitHub"}, // dark mode hurts
  "modelProviders": {
    "openai": [
      /* the work proxy */
      {"id": "gpt-4o", "name": "work", "baseUrl": "https://proxy.example/v1", "envKey": "WORK_KEY"}
    ]
  }
}
"""


def test_qwen_code_merge_keeps_comments_and_the_users_entries(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / ".qwen" / "settings.json"
    target.parent.mkdir()
    target.write_text(QWEN_V3)
    r = cli("export", "--format", "qwen-code", "--output", str(target))
    assert r.rc == 0, r
    text = target.read_text()
    for kept in ("// my settings: keep this comment", "// dark mode hurts", "/* the work proxy */"):
        assert kept in text
    doc = jsonc.loads(text)
    assert doc["$version"] == 3  # the version found is kept
    ids = [e["id"] for e in doc["modelProviders"]["openai"]]
    assert ids == ["gpt-4o", "qwen-flash"]
    assert doc["security"]["auth"]["selectedType"] == "openai"
    assert doc["model"] == {"name": "qwen-flash", "baseUrl": URLS["openai"]}
    assert "envKey" in text and KEY not in text and "DASHSCOPE_API_KEY" in r.stderr
    # Again: our entry is replaced, not added twice.
    assert cli("export", "--format", "qwen-code", "--output", str(target)).rc == 0
    again = jsonc.loads(target.read_text())
    assert [e["id"] for e in again["modelProviders"]["openai"]] == ["gpt-4o", "qwen-flash"]


def test_qwen_code_v5_layout_gets_the_entry_in_its_own_shape():
    from app.export.merge_settings import merge

    v5 = '{"$version": 5, "modelProviders": {"openai": {"protocol": "openai", "models": []}}}'
    doc = jsonc.loads(merge(v5, export(profile(), "qwen-code"), "qwen-code"))
    group = doc["modelProviders"]["openai"]
    assert group["protocol"] == "openai" and group["models"][0]["id"] == "qwen-flash"
    assert doc["$version"] == 5


def test_a_new_qwen_settings_file_is_written_in_the_current_version(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "settings.json"
    assert cli("export", "--format", "qwen-code", "--output", str(target)).rc == 0
    assert json.loads(target.read_text())["$version"] == 4  # Qwen Code 0.24 will not rewrite it


@pytest.mark.parametrize(
    ("fmt", "name", "broken"),
    [
        ("qwen-code", "settings.json", '{\n  "ui": {"theme": "x",}\n}\n'),
        ("opencode", "opencode.json", '{\n  "provider": {\n'),
        ("codex", "config.toml", 'model = "x"\n[model_providers.a\n'),
        ("claude-code", "settings.json", "{\n  // comments are not JSON\n}\n"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_and_left_byte_identical(
    cli, tmp_path, fmt, name, broken
):
    configured_file_store(cli)
    target = tmp_path / fmt / name
    target.parent.mkdir()
    target.write_text(broken)
    r = cli("export", "--format", fmt, "--output", str(target))
    assert r.rc == 2 and "line" in r.stderr and "Traceback" not in r.output, r
    assert target.read_text() == broken and _backups(target) == []


@pytest.mark.parametrize("fmt", ["qwen-code", "opencode", "codex"])
def test_huge_or_deep_settings_are_refused_cleanly(cli, tmp_path, fmt):
    configured_file_store(cli)
    target = tmp_path / "f"
    if fmt == "codex":
        cases = ["a = " + "[" * 500 + "]" * 500 + "\n", "# pad\n" * 200_000]
    else:
        cases = ['{"a": ' + "[" * 500 + "]" * 500 + "}", '{"a": "' + "x" * 2_000_000 + '"}']
    for text in cases:
        target.write_text(text)
        r = cli("export", "--format", fmt, "--output", str(target))
        assert r.rc == 2 and "Traceback" not in r.output, r
        assert target.read_text() == text


# ---- opencode ---------------------------------------------------------------------------------


def test_opencode_merge_keeps_the_users_providers_comments_and_trailing_commas(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "opencode.json"
    mine = """{
  // my local model
  "provider": {
    "ollama": {"npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://localhost:11434/v1"},},
  },
  "theme": "opencode",
}
"""
    target.write_text(mine)
    r = cli("export", "--format", "opencode", "--output", str(target))
    assert r.rc == 0, r
    text = target.read_text()
    assert "// my local model" in text
    doc = jsonc.loads(text, trailing_commas=True)
    assert set(doc["provider"]) == {"ollama", "modelstudio"} and doc["theme"] == "opencode"
    assert doc["model"] == "modelstudio/qwen-flash"
    assert doc["provider"]["modelstudio"]["options"]["apiKey"] == "{env:DASHSCOPE_API_KEY}"


def test_opencode_with_the_key_is_private(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "opencode.json"
    r = cli("export", "--format", "opencode", "--output", str(target), "--include-key")
    assert r.rc == 0, r
    assert json.loads(target.read_text())["provider"]["modelstudio"]["options"]["apiKey"] == KEY
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# ---- Codex ------------------------------------------------------------------------------------

CODEX_MINE = """# my Codex setup
approval_policy = "on-request"
model = "o4-mini"
model_provider = "other"

[model_providers.other]
name = "Other"  # a comment on the line
base_url = "https://other.example/v1"
env_key = "OTHER_KEY"

[mcp_servers.docs]
command = "docs-mcp"
"""


def test_codex_merge_keeps_the_users_tables_and_comments(cli, tmp_path):
    configured_file_store(cli)
    target = cli.root / "home" / ".codex" / "config.toml"  # Codex's home ($HOME/.codex)
    target.parent.mkdir(parents=True)
    target.write_text(CODEX_MINE)
    r = cli("export", "--format", "codex", "--output", str(target))
    assert r.rc == 0, r
    text = target.read_text()
    assert "# my Codex setup" in text and "# a comment on the line" in text
    doc = tomlkit.parse(text).unwrap()
    assert doc["approval_policy"] == "on-request" and doc["mcp_servers"]["docs"]["command"]
    assert doc["model_providers"]["other"]["env_key"] == "OTHER_KEY"
    assert doc["model_provider"] == "modelstudio"
    ours = doc["model_providers"]["modelstudio"]
    assert ours["wire_api"] == "responses" and ours["base_url"] == URLS["openai"]
    assert doc["model"] in ("qwen3.7-plus", "qwen3.6-plus", "qwen3.5-plus")
    assert "Responses API" in r.stderr and "qwen-flash" in r.stderr  # the model change said
    assert cli("export", "--format", "codex", "--output", str(target)).rc == 0
    assert tomlkit.parse(target.read_text()).unwrap() == doc  # idempotent


def test_codex_refuses_a_project_file_and_a_key(cli, tmp_path):
    configured_file_store(cli)
    project = tmp_path / "repo" / ".codex" / "config.toml"
    r = cli("export", "--format", "codex", "--output", str(project))
    assert r.rc == 2 and "ignores model_provider" in r.stderr and not project.exists()
    assert cli("export", "--format", "codex", "--include-key").rc == 2


def test_codex_users_own_provider_of_our_id_is_a_conflict(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "config.toml"
    target.write_text('[model_providers.modelstudio]\nname = "mine"\nbase_url = "https://x/v1"\n')
    before = target.read_text()
    r = cli("export", "--format", "codex", "--output", str(target))
    assert r.rc == 2 and "model_providers.modelstudio" in r.stderr and target.read_text() == before


# ---- .env for Node ----------------------------------------------------------------------------


def test_a_dotenv_beside_package_json_has_no_references_and_says_why(cli, tmp_path):
    configured_file_store(cli)
    app_dir = tmp_path / "web"
    app_dir.mkdir()
    (app_dir / "package.json").write_text("{}")
    env = app_dir / ".env"
    env.write_text('DATABASE_URL=postgres://x\nOPENAI_API_KEY="${DASHSCOPE_API_KEY}"\n')
    r = cli("export", "--format", "dotenv", "--output", str(env))
    assert r.rc == 0, r
    text = env.read_text()
    assert "${" not in text.replace("${VAR}", "") and "DATABASE_URL=postgres://x" in text
    assert "package.json" in r.stderr and "OPENAI_API_KEY" in r.stderr
    assert "Removed OPENAI_API_KEY" in r.stderr and "Node's dotenv" in r.stderr
    # Asked for explicitly, the python form writes the references again.
    r = cli("export", "--format", "dotenv", "--for", "python", "--output", str(env))
    assert r.rc == 0 and 'OPENAI_API_KEY="${DASHSCOPE_API_KEY}"' in env.read_text()


def test_codex_for_a_plan_says_the_responses_api_there_is_unconfirmed():
    from app.config.validate import make_profile
    from app.export.destination import ExportOptions, destination_notices

    plan = make_profile("p", region="ap-southeast-1", endpoint_style="plan", plan="coding")[0]
    notices = destination_notices(
        plan, "codex", ExportOptions(), output=None, config=None, include_key=False
    )
    assert any("coding-intl.dashscope.aliyuncs.com" in n and "not confirmed" in n for n in notices)
    payg = destination_notices(
        profile(), "codex", ExportOptions(), output=None, config=None, include_key=False
    )
    assert not any("not confirmed" in n for n in payg)


def test_skip_onboarding_changes_nothing_when_the_settings_are_refused(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "settings.json"
    target.write_text(json.dumps({"env": {"ANTHROPIC_API_KEY": USER_KEY}}))
    r = cli("export", "--format", "claude-code", "-o", str(target), "--skip-onboarding")
    assert r.rc == 2 and not (cli.root / "home" / ".claude.json").exists()


@pytest.mark.parametrize(
    "mine",
    [
        "",
        "# only a comment\n",
        'approval_policy = "never"\n',
        'approval_policy = "never"\n\n# the gateway\n[model_providers.other]\nname = "o"\n',
        '# heads the table\n[mcp_servers.x]\ncommand = "y"\n',
    ],
)
def test_codex_top_level_keys_land_before_the_tables_and_comments_stay_put(mine):
    """A new top-level key after a table would belong to that table; tomlkit alone also put
    it between a user's comment and the table it heads."""
    from app.export.merge_settings import merge

    merged = merge(mine, export(profile(), "codex"), "codex")
    doc = tomlkit.parse(merged).unwrap()
    assert doc["model_provider"] == "modelstudio" and "model" in doc
    for comment, table in (
        ("# the gateway", "[model_providers.other]"),
        ("# heads the table", "[mcp_servers.x]"),
    ):
        if comment in mine:
            lines = merged.splitlines()
            assert lines[lines.index(comment) + 1] == table, merged
