"""What the user's clients see (app.clients.environment): one test per thing a user would
notice, with real files in a temporary HOME and a project folder that is a repository.

Every test also proves the key never leaves masked: not in a message (English or Chinese),
not in a repr, not in `to_json()`.
"""

from __future__ import annotations

import json

import pytest

from app.clients.environment import ClientEnvironment, read_environment, stray_keys
from app.clients.variables import env_pairs, key_vars
from app.config.validate import make_profile
from app.core.catalog import load_catalog
from app.core.i18n import set_language
from app.export.agents import claude_code, qwen_code
from app.export.text_formats import dotenv, shell
from app.findings.codes import INFO
from app.secrets.key import ApiKey

CATALOG = load_catalog()
KEY = "sk-4f1e2d3c4b5a69788796a5b4c3d2a1b2"  # the profile's
OLD = "sk-9e8d7c6b5a4f3e2d1c0b9a8f7e6dc3d4"  # another one (stale, or someone else's)
SINGAPORE = make_profile("default", region="ap-southeast-1", workspace_id="ws-abcdefghijklmnop")[0]
HOST = "ws-abcdefghijklmnop.ap-southeast-1.maas.aliyuncs.com"


@pytest.fixture
def places(tmp_path):
    home, proj = tmp_path / "home", tmp_path / "proj"
    (proj / ".git").mkdir(parents=True)
    home.mkdir()
    return home, proj


def good_env(profile=SINGAPORE, key=KEY) -> dict[str, str]:
    """What `eval "$(modelstudio-setup env)"` leaves in the shell."""
    env = dict(env_pairs(profile, CATALOG))
    for name in key_vars(profile):
        env[name] = key
    return env


def run(places, env, profile=SINGAPORE, key: str | None = KEY, cwd=None) -> ClientEnvironment:
    home, proj = places
    stored = ApiKey(key) if key is not None else None
    result = read_environment(profile, stored, env=env, cwd=cwd or proj, home=home)
    assert_no_leak(result, KEY, OLD)
    return result


def assert_no_leak(result: ClientEnvironment, *keys: str) -> None:
    texts = [repr(result), json.dumps(result.to_json(), ensure_ascii=False)]
    texts += [repr(s) for s in result.stray_keys]
    for lang in ("en", "zh"):
        set_language(lang)
        try:
            texts += [f.message + f.remedy for f in result.findings]
            texts += list(result.problem_lines())
        finally:
            set_language("en")
    blob = "\n".join(texts)
    for key in keys:
        assert key not in blob and key[3:15] not in blob


def codes(result: ClientEnvironment) -> list[str]:
    return [f.code for f in result.findings]


def one(result: ClientEnvironment, code: str):
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in result.findings]
    return found[0]


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PROFILES = [
    SINGAPORE,
    make_profile("bj", region="cn-beijing", endpoint_style="shared")[0],
    make_profile("eu", region="eu-central-1", workspace_id="ws-abc", scope="eu")[0],
    make_profile("plan", region="ap-southeast-1", endpoint_style="plan", plan="coding")[0],
]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_a_correct_setup_gives_no_warning(places, profile):
    """The shell exports plus the files this tool writes: Claude Code and Qwen Code
    settings, the project's .env, the ~/.bashrc lines."""
    home, proj = places
    write(proj / ".env", dotenv(profile, None, CATALOG, None, False))
    write(home / ".bashrc", shell(profile, "sh", None, CATALOG, None))
    key = "sk-sp-4f1e2d3c4b5a69788796a5b4c3d2a1b2" if profile.plan else KEY
    settings = claude_code(profile, None, None, CATALOG)
    write(home / ".claude" / "settings.json", json.dumps(settings, indent=2))
    qwen = json.dumps(qwen_code(profile), indent=2)
    write(home / ".qwen" / "settings.json", "// written by modelstudio-setup\n" + qwen)
    result = run(places, good_env(profile, key), profile, key)
    assert_no_leak(result, key)
    assert [f for f in result.findings if f.severity != INFO] == []
    assert {e.status for e in result.entries} <= {"ok", "set", "other", "reference"}


def test_the_dotenv_export_alone_is_a_whole_set_for_qwen_code(places):
    """Qwen Code takes an OpenAI-compatible setup from the environment only with all of
    OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL: the .env this tool writes has the
    three (QA: it lacked OPENAI_MODEL, and doctor called the tool's own export partial)."""
    _, proj = places
    write(proj / ".env", dotenv(SINGAPORE, None, CATALOG, None, False))
    result = run(places, {SINGAPORE.api_key.env: KEY})
    partial = [f for f in result.findings if f.code == "client_config_partial"]
    assert not [f for f in partial if f.params["reason"] == "qwen_autodetect"], partial


def test_a_stale_openai_base_url_points_elsewhere(places):
    env = {**good_env(), "OPENAI_BASE_URL": "https://api.openai.com/v1"}
    finding = one(run(places, env), "base_url_elsewhere")
    assert "OPENAI_BASE_URL (environment) is https://api.openai.com/v1" in finding.message
    assert f"https://{HOST}/compatible-mode/v1" in finding.remedy
    assert "OpenAI Python SDK" in finding.message
    set_language("zh")
    try:
        assert "环境变量" in finding.message
    finally:
        set_language("en")


def test_another_region_and_workspace_are_elsewhere(places):
    env = {
        **good_env(),
        "ANTHROPIC_BASE_URL": "https://dashscope.aliyuncs.com/apps/anthropic",
        "DASHSCOPE_WORKSPACE_ID": "ws-other",
    }
    found = [f for f in run(places, env).findings if f.code == "base_url_elsewhere"]
    assert {f.params["variable"] for f in found} == {"ANTHROPIC_BASE_URL", "DASHSCOPE_WORKSPACE_ID"}


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("OPENAI_BASE_URL", f"https://{HOST}/api/v1"),
        ("OPENAI_BASE_URL", f"https://{HOST}/compatible-mode/v1/v1"),
        ("OPENAI_BASE_URL", f"https://{HOST}/compatible-mode/v1/chat/completions"),
        ("ANTHROPIC_BASE_URL", f"https://{HOST}/apps/anthropic/v1"),
        ("ANTHROPIC_BASE_URL", f"https://{HOST}/compatible-mode/v1"),
    ],
)
def test_a_path_that_answers_404_is_named(places, name, url):
    finding = one(run(places, {**good_env(), name: url}), "base_url_bad_path")
    assert finding.params["variable"] == name and url in finding.message


def test_litellm_derives_every_protocol_from_a_standard_base(places):
    """litellm/llms/dashscope/common_utils.py: `/api/v1` is fine for DASHSCOPE_API_BASE."""
    env = {**good_env(), "DASHSCOPE_API_BASE": f"https://{HOST}/api/v1"}
    assert "base_url_bad_path" not in codes(run(places, env))


def test_both_anthropic_auth_variables_conflict(places):
    env = {**good_env(), "ANTHROPIC_API_KEY": KEY}
    finding = one(run(places, env), "auth_vars_conflict")
    assert "Claude Code" in finding.message and "(environment)" in finding.message


def test_both_in_a_claude_settings_env_block_conflict(places):
    _, proj = places
    block = {"env": {"ANTHROPIC_API_KEY": "${X}", "ANTHROPIC_AUTH_TOKEN": "${Y}"}}
    write(proj / ".claude" / "settings.json", json.dumps(block, indent=2))
    finding = one(run(places, good_env()), "auth_vars_conflict")
    assert f"({proj}/.claude/settings.json:3, {proj}/.claude/settings.json:4)" in finding.message


def test_an_old_key_in_bashrc_is_a_plaintext_key(places):
    home, _ = places
    write(home / ".bashrc", f'# my shell\nalias ll="ls -l"\nexport DASHSCOPE_API_KEY="{OLD}"\n')
    result = run(places, good_env())
    finding = one(result, "plaintext_key_found")
    assert "~/.bashrc, line 3" in finding.message and "sk-…c3d4" in finding.message
    assert "not this profile's key" in finding.message
    (stray,) = result.stray_keys
    assert (stray.source, stray.line, stray.ours, stray.masked) == (
        "~/.bashrc",
        3,
        False,
        "sk-…c3d4",
    )


def test_the_environment_key_keeps_its_own_code(places):
    finding = one(run(places, {**good_env(), "DASHSCOPE_API_KEY": OLD}), "env_key_differs")
    assert finding.params == {"env_key": "sk-…c3d4", "stored_key": "sk-…a1b2"}


def test_a_project_env_file_shadows_the_profile_for_qwen_code(places):
    """Qwen Code loads the first .env up from the working directory, without overriding the
    shell: with nothing exported, the project's stale value is what it uses."""
    _, proj = places
    sub = proj / "src" / "pkg"
    sub.mkdir(parents=True)
    write(
        proj / ".env", f"# local\nOPENAI_BASE_URL=https://api.openai.com/v1\nOPENAI_API_KEY={OLD}\n"
    )
    result = run(places, {}, cwd=sub)
    shadows = [f for f in result.findings if f.code == "file_shadows_profile"]
    assert {f.params["variable"] for f in shadows} == {"OPENAI_BASE_URL", "OPENAI_API_KEY"}
    url = next(f for f in shadows if f.params["variable"] == "OPENAI_BASE_URL")
    # LiteLLM loads that file too, but reads no OPENAI_BASE_URL.
    assert url.message.startswith(f"Qwen Code will take OPENAI_BASE_URL from {proj}/.env:2")
    assert "it points at another host" in url.message
    # Exported in the shell, the shell wins for Qwen Code: a stale line, not a shadow.
    result = run(places, good_env(), cwd=sub)
    assert "file_shadows_profile" not in codes(result)
    assert "base_url_elsewhere" in codes(result)


def test_qwen_dot_env_wins_over_env_in_the_same_folder(places):
    _, proj = places
    write(proj / ".env", "OPENAI_BASE_URL=https://api.openai.com/v1\n")
    write(proj / ".qwen" / ".env", f"OPENAI_BASE_URL=https://{HOST}/compatible-mode/v1\n")
    result = run(places, {})
    assert "file_shadows_profile" not in codes(result)  # Qwen Code takes .qwen/.env (correct)
    picked = [e for e in result.entries if "qwen-code" in e.used_by]
    assert [e.source for e in picked] == [f"{proj}/.qwen/.env"]


def test_a_key_in_the_bailian_cli_config(places):
    """modelstudioai/cli: top level = default profile, named blocks, `active_config`."""
    home, _ = places
    doc = {"api_key": OLD, "workspace_id": "ws-abcdefghijklmnop", "active_config": "work",
           "work": {"api_key": KEY, "base_url": "https://dashscope-intl.aliyuncs.com"}}  # fmt: skip
    write(home / ".bailian" / "config.json", json.dumps(doc, indent=2))
    result = run(places, {})
    plain = [f for f in result.findings if f.code == "plaintext_key_found"]
    assert {f.params["found_key"] for f in plain} == {"sk-…c3d4", "sk-…a1b2"}
    assert all("~/.bailian/config.json" in f.message for f in plain)
    assert sorted(s.ours for s in result.stray_keys) == [False, True]
    # The active profile's base_url is another host than this workspace profile's.
    shadow = one(result, "file_shadows_profile")
    assert shadow.params["variable"] == "work.base_url" and "Bailian CLI" in shadow.message


def test_bailian_config_dir_moves_the_file(places, tmp_path):
    write(tmp_path / "bl" / "config.json", json.dumps({"api_key": OLD}))
    result = run(places, {"BAILIAN_CONFIG_DIR": str(tmp_path / "bl")})
    assert [s.masked for s in result.stray_keys] == ["sk-…c3d4"]


def test_the_dashscope_key_file(places, tmp_path):
    home, _ = places
    write(home / ".dashscope" / "api_key", OLD + "\n")
    result = run(places, {})
    shadow = one(result, "file_shadows_profile")
    assert "DashScope SDK" in shadow.message and "~/.dashscope/api_key:1" in shadow.message
    assert one(result, "plaintext_key_found").params["reason"] == "other"
    # DASHSCOPE_API_KEY_FILE_PATH replaces the default file (dashscope/common/api_key.py).
    write(tmp_path / "k", KEY)
    result = run(places, {"DASHSCOPE_API_KEY_FILE_PATH": str(tmp_path / "k")})
    assert [(s.source, s.ours) for s in result.stray_keys] == [(str(tmp_path / "k"), True)]


def test_a_commented_qwen_settings_file_is_read_with_lines(places):
    home, _ = places
    text = """{
  // my providers
  "$version": 3,
  /* an old entry */
  "modelProviders": {
    "openai": [
      {"id": "qwen-plus", "baseUrl": "https://dashscope.aliyuncs.com/compatible-mode/v1",
       "envKey": "DASHSCOPE_API_KEY"}
    ]
  },
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "gpt-4o"}
}
"""
    write(home / ".qwen" / "settings.json", text)
    result = run(places, good_env())
    url = one(result, "base_url_elsewhere")
    assert "~/.qwen/settings.json:7" in url.message
    assert url.params["variable"] == "modelProviders.openai[0].baseUrl"
    reasons = {f.params["reason"] for f in result.findings if f.code == "client_config_partial"}
    assert "qwen_autodetect" not in reasons  # a provider is selected


def test_the_v5_layout_of_qwen_settings_is_read(places):
    home, _ = places
    doc = {"$version": 5, "modelProviders": {"openai": {"protocol": "openai", "models": [
        {"id": "qwen3-max", "baseUrl": f"https://{HOST}/api/v1", "apiKey": OLD}]}}}  # fmt: skip
    write(home / ".qwen" / "settings.json", json.dumps(doc, indent=2))
    result = run(places, good_env())
    assert {"base_url_bad_path", "client_key_differs", "plaintext_key_found"} <= set(codes(result))


def test_a_differing_key_in_claude_settings_wins_over_the_shell(places):
    """Claude Code applies its settings `env` over the shell (claude-code#8500)."""
    home, _ = places
    write(home / ".claude" / "settings.json", json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": OLD}}))
    result = run(places, good_env())
    shadow = one(result, "file_shadows_profile")
    assert shadow.params["clients"] == ("Claude Code",)
    assert "sk-…c3d4" in shadow.message and "sk-…a1b2" in shadow.message


def test_a_differing_key_in_qwen_settings_env_below_the_shell(places):
    home, _ = places
    write(home / ".qwen" / "settings.json", json.dumps({"env": {"OPENAI_API_KEY": OLD}}))
    finding = one(run(places, good_env()), "client_key_differs")
    assert "~/.qwen/settings.json:1" in finding.message and "sk-…c3d4" in finding.message


def test_models_the_endpoint_does_not_serve(places):
    env = {**good_env(), "ANTHROPIC_MODEL": "claude-sonnet-4-5", "OPENAI_MODEL": "gpt-4o"}
    found = [f for f in run(places, env).findings if f.code == "client_model_unserved"]
    assert {f.params["variable"] for f in found} == {"ANTHROPIC_MODEL", "OPENAI_MODEL"}
    anthropic = next(f for f in found if f.surface == "anthropic")
    assert "qwen-flash" in anthropic.remedy


def test_partial_sets_are_info(places):
    _, proj = places
    write(proj / ".env", "OPENAI_API_KEY=${DASHSCOPE_API_KEY}\n")
    env = {"OPENAI_BASE_URL": f"https://{HOST}/compatible-mode/v1", "DASHSCOPE_API_KEY": KEY}
    result = run(places, env)
    partial = [f for f in result.findings if f.code == "client_config_partial"]
    assert {f.params["reason"] for f in partial} == {"qwen_autodetect", "node_no_expand"}
    assert all(f.severity == INFO for f in partial)


def test_codex_uses_only_its_selected_provider(places):
    home, _ = places
    text = f"""model = "qwen3.7-plus"
model_provider = "ms"

[model_providers.ms]
name = "Model Studio"
base_url = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
experimental_bearer_token = "{OLD}"
wire_api = "responses"

[model_providers.openai-direct]
base_url = "https://api.openai.com/v1"
env_key = "OPENAI_API_KEY"
"""
    write(home / ".codex" / "config.toml", text)
    result = run(places, good_env())
    url = one(result, "base_url_elsewhere")
    assert "~/.codex/config.toml:6" in url.message and "Codex" in url.message
    assert one(result, "plaintext_key_found").params["line"] == 7
    assert "client_model_unserved" not in codes(result)


def test_opencode_references_and_keys(places):
    _, proj = places
    doc = {"provider": {
        "ms": {"npm": "@ai-sdk/openai-compatible",
               "options": {"baseURL": f"https://{HOST}/compatible-mode/v1",
                           "apiKey": "{env:DASHSCOPE_API_KEY}"},
               "models": {"gpt-5": {}}},
        "other": {"options": {"baseURL": "https://openrouter.ai/v1", "apiKey": OLD}}}}  # fmt: skip
    write(proj / "opencode.json", json.dumps(doc, indent=2))
    result = run(places, good_env())
    assert one(result, "client_model_unserved").params["model"] == "gpt-5"
    # Another provider's URL and key are that provider's business, but a key in the file
    # is still a plain-text key.
    assert "base_url_elsewhere" not in codes(result) and "client_key_differs" not in codes(result)
    assert one(result, "plaintext_key_found").params["reason"] == "other"


def test_without_a_stored_key_keys_are_listed_not_compared(places):
    home, _ = places
    write(home / ".zshrc", f"export OPENAI_API_KEY={OLD}\n")
    result = run(places, {"DASHSCOPE_API_KEY": OLD}, key=None)
    assert "env_key_differs" not in codes(result)
    assert [s.ours for s in stray_keys(SINGAPORE, None, env={}, cwd=places[1], home=home)] == [None]
    assert one(result, "plaintext_key_found").params["reason"] == "unknown"


def test_to_json_has_stable_fields_and_masked_values(places):
    home, _ = places
    write(home / ".bashrc", f"export DASHSCOPE_API_KEY={OLD}\n")
    doc = run(places, {**good_env(), "HTTPS_PROXY": "http://user:pw@proxy:3128"}).to_json()
    assert set(doc) == {"entries", "files", "problems", "findings", "stray_keys"}
    proxy = next(e for e in doc["entries"] if e["name"] == "HTTPS_PROXY")
    assert proxy["value"] == "http://***@proxy:3128" and "pw" not in json.dumps(doc)
    finding = next(f for f in doc["findings"] if f["code"] == "plaintext_key_found")
    assert finding["details"]["found_key"] == "sk-…c3d4" and finding["severity"] == "warning"
    assert doc["stray_keys"] == [
        {"source": "~/.bashrc", "line": 1, "variable": "DASHSCOPE_API_KEY", "key": "sk-…c3d4",
         "ours": False}
    ]  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [
        "alice:s3cr3t@proxy.corp:3128",  # scheme-less: urlsplit sees no netloc
        "http://alice:s3cr3t@proxy.corp:3128",
        "http://alice:s3/cr3t@proxy.corp:3128",  # a "/" inside the password
        "socks5h://al@ice:s3cr3t@proxy.corp:1080",
    ],
)
def test_a_proxy_password_is_never_shown(tmp_path, value):
    """CI caught it end to end: a scheme-less HTTPS_PROXY with credentials was listed with
    its password in doctor's clients section."""
    home, cwd = tmp_path / "home", tmp_path / "proj"
    home.mkdir()
    cwd.mkdir()
    result = read_environment(SINGAPORE, None, env={"HTTPS_PROXY": value}, cwd=cwd, home=home)
    dumped = json.dumps(result.to_json())
    assert "s3cr3t" not in dumped and "cr3t" not in dumped
    assert "proxy.corp" in dumped  # the proxy itself is still named
