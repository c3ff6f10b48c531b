"""Writing an export over what is already there (QA B37): a project's .env is merged, a file
this tool did not write is refused unless --force, a symlink out of its directory is refused,
and no file left behind holds the key unless it was asked for."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from app.clients.variables import anthropic_model
from app.config.validate import make_profile
from app.core import record
from app.core.catalog import load_catalog
from app.export.formats import FORMATS, export
from app.export.merge import merge_dotenv
from app.secrets.key import ApiKey
from app.secrets.stores import KeyRef
from tests.fixtures.catalogs import catalog_without_anthropic_models
from tests.fixtures.export import KEY, URLS, configured_file_store

PROJECT_ENV = """\
# database of the app
DATABASE_URL=postgres://u:pw@db/app
STRIPE_KEY='sk_live_xxx'

export OPENAI_BASE_URL=https://api.openai.com/v1
CERT="-----BEGIN-----
DASHSCOPE_REGION=not-a-variable-but-part-of-CERT
-----END-----"
# trailing comment
"""
WS = "ws-abcdefghijklmnop"
MERGED_KINDS = ("json", "toml")
REPLACED = (
    "FORMAT",
    [f for f, s in FORMATS.items() if s.kind not in MERGED_KINDS and f != "dotenv"],
)


def _project(tmp_path: Path, text: str = PROJECT_ENV) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    env_file = project / ".env"
    env_file.write_text(text)
    return env_file


def _other_lines(text: str) -> list[str]:
    """The lines that are not this tool's (its variables and header comments)."""
    ours = ("DASHSCOPE_", "OPENAI_", "ANTHROPIC_", "MODELSTUDIO_", "export OPENAI_")
    lines = text.splitlines()
    kept = []
    for line in lines:
        if line.startswith(ours) and "not-a-variable" not in line:
            continue
        if line.startswith("# ") and ("Model Studio" in line or "modelstudio-setup" in line):
            continue
        if line.startswith(("# The API key", "# WARNING", "# ${VAR} below", "# For Node's")):
            continue
        if line.startswith(("# DASHSCOPE_HTTP_BASE_URL is left out", "# dashscope 2.x Client")):
            continue
        kept.append(line)
    return kept


# ------------------------------------------------------------------------------ dotenv merge


def test_dotenv_export_merges_into_a_project_env_keeping_everything_else(cli, tmp_path):
    configured_file_store(cli)
    env_file = _project(tmp_path)
    r = cli("export", "--format", "dotenv", "--output", str(env_file))
    assert r.rc == 0, r
    text = env_file.read_text()
    # Every line that is not ours is still there, in order (a blank separates our block).
    assert [x for x in _other_lines(text) if x] == [
        x for x in PROJECT_ENV.splitlines() if x and not x.startswith("export OPENAI_BASE_URL")
    ]
    assert "Merged into" in r.stderr and "updated OPENAI_BASE_URL" in r.stderr
    assert "DASHSCOPE_REGION" in r.stderr.split("added", 1)[1]
    values = dotenv_values(env_file, interpolate=False)
    assert values["DATABASE_URL"] == "postgres://u:pw@db/app"
    assert values["STRIPE_KEY"] == "sk_live_xxx"
    assert values["CERT"].startswith("-----BEGIN-----\nDASHSCOPE_REGION=not-a-variable")
    assert values["OPENAI_BASE_URL"] == URLS["openai"]  # replaced in place
    assert values["DASHSCOPE_REGION"] == "ap-southeast-1"
    assert text.index("OPENAI_BASE_URL") < text.index("CERT=")
    assert KEY not in text
    assert stat.S_IMODE(env_file.stat().st_mode) & 0o077 == 0o044 & ~_umask()

    # Idempotent: the same export again changes nothing.
    r = cli("export", "--format", "dotenv", "--output", str(env_file))
    assert r.rc == 0, r
    assert env_file.read_text() == text
    assert "updated none; added none" in r.stderr


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_python_dotenv_reads_the_merged_file_with_interpolation(cli, tmp_path, monkeypatch):
    """What a project does at startup: load_dotenv with the key in the environment."""
    configured_file_store(cli)
    env_file = _project(tmp_path)
    assert cli("export", "--format", "dotenv", "--output", str(env_file)).rc == 0
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    values = dotenv_values(env_file)
    assert values["OPENAI_API_KEY"] == KEY and values["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert values["DATABASE_URL"] == "postgres://u:pw@db/app"
    assert values["ANTHROPIC_BASE_URL"] == URLS["anthropic"]


def test_merge_replaces_duplicates_so_the_last_value_is_ours() -> None:
    """dotenv readers let the last assignment win: a later stale duplicate must not stay."""
    p = make_profile("default", region="cn-beijing", workspace_id=WS, api_key=KeyRef("file"))[0]
    new = export(p, "dotenv")
    old = "DASHSCOPE_REGION=one\nA=1\nDASHSCOPE_REGION=two\n"
    merged = merge_dotenv(old, new, ("DASHSCOPE_API_KEY",))
    values = dotenv_values(stream=io.StringIO(merged.text), interpolate=False)
    assert values["DASHSCOPE_REGION"] == "cn-beijing" and values["A"] == "1"
    assert merged.text.count("DASHSCOPE_REGION=") == 1
    assert merged.text.startswith("DASHSCOPE_REGION='cn-beijing'\nA=1\n")
    assert merge_dotenv(merged.text, new, ("DASHSCOPE_API_KEY",)).text == merged.text


def test_merge_into_an_empty_file_is_the_export() -> None:
    p = make_profile("default", region="cn-beijing", workspace_id=WS, api_key=KeyRef("file"))[0]
    new = export(p, "dotenv")
    assert merge_dotenv(new, new).text == new


def test_include_key_merge_is_private_and_a_keyless_reexport_removes_our_key(cli, tmp_path):
    configured_file_store(cli)
    env_file = _project(tmp_path)
    env_file.chmod(0o644)
    r = cli("export", "--format", "dotenv", "--output", str(env_file), "--include-key")
    assert r.rc == 0, r
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dotenv_values(env_file, interpolate=False)
    assert values["DASHSCOPE_API_KEY"] == KEY and values["DATABASE_URL"].startswith("postgres")
    assert "WARNING: this file contains the API key" in env_file.read_text()
    assert KEY not in r.output

    r = cli("export", "--format", "dotenv", "--output", str(env_file))
    assert r.rc == 0, r
    text = env_file.read_text()
    assert KEY not in text and "WARNING" not in text
    assert dotenv_values(env_file, interpolate=False)["DATABASE_URL"].startswith("postgres")
    assert [p.name for p in env_file.parent.iterdir()] == [".env"]  # no backup, no lock


def test_a_key_the_user_put_in_env_is_kept_and_the_file_stays_private(cli, tmp_path):
    configured_file_store(cli)
    env_file = _project(tmp_path, f"DATABASE_URL=x\nDASHSCOPE_API_KEY={KEY}\n")
    env_file.chmod(0o644)
    r = cli("export", "--format", "dotenv", "--output", str(env_file))
    assert r.rc == 0, r
    assert dotenv_values(env_file, interpolate=False)["DASHSCOPE_API_KEY"] == KEY
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "still holds an API key" in r.stderr
    assert "WARNING: this file contains the API key" in env_file.read_text()
    assert KEY not in r.output


# --------------------------------------------------------------- files replaced, not merged


@pytest.mark.parametrize(*REPLACED)
def test_a_file_this_tool_did_not_write_is_refused_then_replaced_with_force(FORMAT, cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "mine.txt"
    target.write_text("precious user content\n")
    r = cli("export", "--format", FORMAT, "--output", str(target))
    assert r.rc == 2, r
    assert str(target) in r.stderr and "--force" in r.stderr
    assert target.read_text() == "precious user content\n"

    r = cli("export", "--format", FORMAT, "--output", str(target), "--force")
    assert r.rc == 0, r
    assert "was not written by modelstudio-setup; it was replaced" in r.stderr
    assert "Written by modelstudio-setup" in target.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("mine")] == ["mine.txt"]


@pytest.mark.parametrize(*REPLACED)
def test_a_file_this_tool_wrote_is_replaced_without_force(FORMAT, cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "out.txt"
    assert cli("export", "--format", FORMAT, "--output", str(target)).rc == 0
    target.write_text(target.read_text() + "# edited\n")
    r = cli("export", "--format", FORMAT, "--output", str(target))
    assert r.rc == 0, r
    assert "# edited" not in target.read_text()
    assert "--force" not in r.stderr


def test_an_empty_existing_file_is_simply_written(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "modelstudio.sh"
    target.write_text("")
    assert cli("export", "--format", "sh", "--output", str(target)).rc == 0
    assert "OPENAI_BASE_URL" in target.read_text()


def test_a_settings_file_that_is_not_json_is_replaced_only_with_force(cli, tmp_path):
    configured_file_store(cli)
    target = tmp_path / "settings.json"
    target.write_text("{ not json")
    assert cli("export", "--format", "claude-code", "--output", str(target)).rc == 2
    assert target.read_text() == "{ not json"
    assert cli("export", "--format", "claude-code", "--output", str(target), "--force").rc == 0
    assert "apiKeyHelper" in target.read_text()


@pytest.mark.parametrize("fmt", ["claude-code", "qwen-code"])
def test_a_deeply_nested_settings_file_is_refused_and_left_as_it_was(fmt, cli, tmp_path):
    """T18: an 800-level `settings.json` was a RecursionError traceback."""
    configured_file_store(cli)
    target = tmp_path / "settings.json"
    hostile = '{"a": ' * 800 + "1" + "}" * 800
    target.write_text(hostile)
    r = cli("export", "--format", fmt, "--output", str(target))
    assert r.rc == 2, r
    assert "Traceback" not in r.output and "nests its values deeper" in r.output
    assert target.read_text() == hostile


# ---------------------------------------------------------------------------------- symlinks


def test_a_symlink_out_of_its_directory_is_refused(cli, tmp_path):
    """A cloned repo's `.env -> ../home/.bashrc` must not receive the key (QA B37 repro 2)."""
    configured_file_store(cli)
    home = tmp_path / "home"
    home.mkdir()
    bashrc = home / ".bashrc"
    bashrc.write_text("alias ll='ls -l'\n")
    bashrc.chmod(0o644)
    repo = tmp_path / "repo"
    repo.mkdir()
    link = repo / ".env"
    link.symlink_to("../home/.bashrc")
    for fmt in ("dotenv", "sh"):
        r = cli("export", "--format", fmt, "--output", str(link), "--include-key")
        assert r.rc == 2, r
        assert str(link) in r.stderr and str(bashrc) in r.stderr
        assert bashrc.read_text() == "alias ll='ls -l'\n"
        assert stat.S_IMODE(bashrc.stat().st_mode) == 0o644
    dangling = repo / "new.sh"
    dangling.symlink_to(home / "new.sh")
    assert cli("export", "--format", "sh", "--output", str(dangling)).rc == 2
    assert not (home / "new.sh").exists()
    for path in (*repo.iterdir(), *home.iterdir()):
        assert not path.exists() or KEY not in path.read_text()

    r = cli("export", "--format", "dotenv", "--output", str(link), "--force")
    assert r.rc == 0, r
    assert link.is_symlink() and "OPENAI_BASE_URL" in bashrc.read_text()
    assert bashrc.read_text().startswith("alias ll='ls -l'\n")  # merged, even when forced


def test_a_symlink_within_its_directory_is_followed(cli, tmp_path):
    configured_file_store(cli)
    (tmp_path / "config").mkdir()
    real = tmp_path / "config" / "app.env"
    real.write_text("A=1\n")
    link = tmp_path / ".env"
    link.symlink_to("config/app.env")
    r = cli("export", "--format", "dotenv", "--output", str(link))
    assert r.rc == 0, r
    assert "symbolic link" in r.stderr
    assert dotenv_values(real, interpolate=False)["A"] == "1"


def test_an_overlong_output_name_is_a_clean_error(cli, tmp_path):
    """QA B44: exit 2 with the reason, no traceback."""
    configured_file_store(cli)
    r = cli("export", "--format", "dotenv", "--output", str(tmp_path / ("a" * 300) / "x.env"))
    assert r.rc == 2, r
    assert "Traceback" not in r.output


# ------------------------------------------------------------------ the Anthropic model


def _us(model: str):
    return make_profile(
        "us", region="us-east-1", scope="us", model=model, workspace_id=WS, api_key=KeyRef("env")
    )[0]


def test_us_scope_exports_a_served_us_model() -> None:
    from app.core.catalog import anthropic_probe_model

    profile = _us("qwen3.5-flash-us")
    model = anthropic_model(profile)
    assert model is not None and model.endswith("-us")
    assert model == anthropic_probe_model("us-east-1", "us", "qwen3.5-flash-us")
    values = dotenv_values(stream=io.StringIO(export(profile, "dotenv")), interpolate=False)
    assert values["ANTHROPIC_MODEL"] == model
    assert _us("qwen-plus-us") and anthropic_model(_us("qwen-plus-us")) == "qwen-plus-us"


def test_no_served_model_leaves_anthropic_model_out_and_says_so(cli) -> None:
    catalog = record.replace(load_catalog(), anthropic_models=("qwen3-coder-plus",))
    profile = make_profile(
        "eu",
        region="eu-central-1",
        scope="eu",
        workspace_id="ws-abcdefghijklmnop",
        api_key=KeyRef("env"),
    )[0]
    assert anthropic_model(profile, catalog) is None
    for fmt in ("dotenv", "sh", "claude-code", "anthropic-python"):
        text = export(profile, fmt, catalog=catalog)
        assert "ANTHROPIC_MODEL=" not in text and '"ANTHROPIC_MODEL"' not in text.replace(
            'os.environ["ANTHROPIC_MODEL"]', ""
        ), fmt
        assert "ANTHROPIC_BASE_URL" in text or "base_url" in text
    assert "left out" in export(profile, "dotenv", catalog=catalog)
    assert "ANTHROPIC_SMALL_FAST_MODEL" not in export(profile, "claude-code", catalog=catalog)


def test_keyless_export_holds_no_key_anywhere(cli, tmp_path) -> None:
    """After refusals, merges and forced replaces, only --include-key files hold the key."""
    configured_file_store(cli)
    env_file = _project(tmp_path)
    for fmt in FORMATS:
        out = env_file.parent / f"x-{fmt}"
        out.write_text("user file\n")
        cli("export", "--format", fmt, "--output", str(out))
        cli("export", "--format", fmt, "--output", str(out), "--force")
    cli("export", "--format", "dotenv", "--output", str(env_file))
    for path in env_file.parent.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(errors="replace"), path
    assert ApiKey(KEY).masked() not in env_file.read_text()


def test_a_nul_byte_in_the_destination_is_a_user_error_not_a_crash(tmp_path) -> None:
    """QA B41: the wizard passes what was typed; a ValueError would end the app."""
    from app.core.errors import UserError
    from app.export.write import write_export

    p = make_profile("default", region="cn-beijing", workspace_id=WS, api_key=KeyRef("file"))[0]
    with pytest.raises(UserError):
        write_export(
            tmp_path / "a\x00b.env", "dotenv", export(p, "dotenv"), profile=p, include_key=False
        )
    assert list(tmp_path.iterdir()) == []


def test_the_cli_says_when_anthropic_model_is_left_out(cli, capsys) -> None:
    from app.cli import build_parser
    from app.commands import export as export_command

    configured_file_store(cli)
    catalog = catalog_without_anthropic_models()

    def run(*argv: str) -> tuple[int, str, str]:
        args = build_parser().parse_args(["export", *argv])
        capsys.readouterr()
        rc = export_command.run(args, catalog=catalog)
        out, err = capsys.readouterr()
        return rc, out, err

    rc, out, err = run("--format", "claude-code")
    assert rc == 0, err
    assert "ANTHROPIC_MODEL is left out" in err
    assert "ANTHROPIC_MODEL" not in out
    rc, out, err = run("--format", "openai-python")
    assert rc == 0 and "left out" not in err


def test_a_workspace_id_from_an_earlier_export_goes_when_the_profile_has_none() -> None:
    """A stale DASHSCOPE_WORKSPACE_ID would send requests to the old workspace."""
    with_ws = make_profile("default", region="cn-beijing", workspace_id=WS, api_key=KeyRef("file"))
    shared = make_profile(
        "default", region="cn-beijing", endpoint_style="shared", api_key=KeyRef("file")
    )
    first = merge_dotenv("A=1\n", export(with_ws[0], "dotenv")).text
    assert dotenv_values(stream=io.StringIO(first))["DASHSCOPE_WORKSPACE_ID"] == WS
    merged = merge_dotenv(first, export(shared[0], "dotenv"))
    values = dotenv_values(stream=io.StringIO(merged.text), interpolate=False)
    assert "DASHSCOPE_WORKSPACE_ID" not in values and "DASHSCOPE_WORKSPACE" not in values
    # Beijing's shared host is the dashscope SDK's own default: its base URL goes too.
    assert set(merged.removed) == {
        "DASHSCOPE_WORKSPACE_ID",
        "DASHSCOPE_WORKSPACE",
        "DASHSCOPE_HTTP_BASE_URL",
    }
    assert values["A"] == "1"
    # A foreign file's own DASHSCOPE_WORKSPACE_ID is not ours to remove.
    kept = merge_dotenv(f"DASHSCOPE_WORKSPACE_ID={WS}\n", export(shared[0], "dotenv"))
    assert kept.removed == () and f"DASHSCOPE_WORKSPACE_ID={WS}" in kept.text


def test_a_key_the_user_put_in_env_survives_every_later_export(cli, tmp_path):
    """QA: the second export removed the user's own key line, saying this tool wrote it."""
    configured_file_store(cli)
    user_key = "sk-" + "f" * 32
    env_file = _project(tmp_path, f"FOO=bar\nDASHSCOPE_API_KEY={user_key}\n")
    for _ in range(3):
        r = cli("export", "--format", "dotenv", "--output", str(env_file))
        assert r.rc == 0, r
        values = dotenv_values(env_file, interpolate=False)
        assert values["DASHSCOPE_API_KEY"] == user_key and values["FOO"] == "bar"
        assert "Removed the API key" not in r.stderr
        assert "still holds an API key" in r.stderr
        assert user_key not in r.output


def test_our_include_key_literal_is_still_removed_after_repeated_exports(cli, tmp_path):
    configured_file_store(cli)
    env_file = _project(tmp_path, "FOO=bar\n")
    for _ in range(2):
        assert (
            cli("export", "--format", "dotenv", "--output", str(env_file), "--include-key").rc == 0
        )
    r = cli("export", "--format", "dotenv", "--output", str(env_file))
    assert r.rc == 0, r
    assert "Removed the API key this tool had written earlier" in r.stderr
    assert KEY not in env_file.read_text() and "FOO=bar" in env_file.read_text()


def test_an_updated_line_keeps_the_users_export_prefix(cli, tmp_path):
    """QA: `export OPENAI_BASE_URL=…` became `OPENAI_BASE_URL='…'`, so `. .env` lost it."""
    import subprocess

    configured_file_store(cli)
    env_file = _project(tmp_path, "export OPENAI_BASE_URL=https://api.openai.com/v1\n")
    assert cli("export", "--format", "dotenv", "--output", str(env_file)).rc == 0
    text = env_file.read_text()
    assert f"export OPENAI_BASE_URL='{URLS['openai']}'" in text.splitlines()
    out = subprocess.run(
        ["sh", "-c", f". {env_file}; sh -c 'echo $OPENAI_BASE_URL'"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"], "DASHSCOPE_API_KEY": "x"},
    ).stdout.strip()
    assert out == URLS["openai"]
    r = cli("export", "--format", "dotenv", "--output", str(env_file))
    assert env_file.read_text() == text and "updated none" in r.stderr


# ------------------------------------------------------- the user's own settings (--force)

USER_TOKEN = "sk-" + "f" * 32


def _backups(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f"{target.name}.bak-*"))


def test_claude_code_refuses_to_drop_the_users_token_and_helper(cli, tmp_path):
    """QA: the merge dropped env.ANTHROPIC_AUTH_TOKEN, replaced apiKeyHelper, said 'kept'."""
    import json

    configured_file_store(cli)
    target = tmp_path / "s.json"
    mine = {
        "env": {
            "ANTHROPIC_AUTH_TOKEN": USER_TOKEN,
            "ANTHROPIC_BASE_URL": "https://api.anthropic.com",
        },
        "apiKeyHelper": "~/bin/get-my-key.sh",
    }
    target.write_text(json.dumps(mine))
    before = target.read_text()
    r = cli("export", "--format", "claude-code", "--output", str(target))
    assert r.rc == 2, r
    assert "env.ANTHROPIC_AUTH_TOKEN (sk-…ffff)" in r.stderr and "apiKeyHelper" in r.stderr
    assert "--force" in r.stderr and USER_TOKEN not in r.output
    assert target.read_text() == before and _backups(target) == []

    r = cli("export", "--format", "claude-code", "--output", str(target), "--force")
    assert r.rc == 0, r
    assert USER_TOKEN not in r.output
    (backup,) = _backups(target)
    assert str(backup) in r.stderr and "replaced or removed" in r.stderr
    assert backup.read_text() == before and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    new = json.loads(target.read_text())
    assert "ANTHROPIC_AUTH_TOKEN" not in new["env"]
    assert new["apiKeyHelper"].startswith("modelstudio-setup key get")


def test_claude_code_replaces_its_own_settings_without_force(cli, tmp_path):
    """The base URL and models are the export's job; our own helper is ours to replace."""
    import json

    configured_file_store(cli)
    target = tmp_path / "s.json"
    target.write_text(
        json.dumps(
            {
                "env": {"ANTHROPIC_BASE_URL": "https://api.anthropic.com", "ANTHROPIC_MODEL": "x"},
                "apiKeyHelper": "modelstudio-setup key get --profile old",
                "theme": "dark",
            }
        )
    )
    r = cli("export", "--format", "claude-code", "--output", str(target))
    assert r.rc == 0, r
    assert "other settings were kept" in r.stderr and _backups(target) == []
    new = json.loads(target.read_text())
    assert new["theme"] == "dark" and new["env"]["ANTHROPIC_BASE_URL"] == URLS["anthropic"]


def test_qwen_code_refuses_to_replace_the_users_own_provider_entry(cli, tmp_path):
    import json

    configured_file_store(cli)
    target = tmp_path / "settings.json"
    assert cli("export", "--format", "qwen-code", "--output", str(target)).rc == 0
    ours = json.loads(target.read_text())["modelProviders"]["openai"][0]
    mine = {"id": ours["id"], "name": "my own", "baseUrl": ours["baseUrl"], "envKey": "MY_KEY"}
    target.write_text(json.dumps({"modelProviders": {"openai": [mine]}}))
    before = target.read_text()
    r = cli("export", "--format", "qwen-code", "--output", str(target))
    assert r.rc == 2, r
    assert f"modelProviders.openai[id={ours['id']}]" in r.stderr
    assert target.read_text() == before
    r = cli("export", "--format", "qwen-code", "--output", str(target), "--force")
    assert r.rc == 0, r
    (backup,) = _backups(target)
    assert backup.read_text() == before and str(backup) in r.stderr
    # Our own entry is replaced without --force.
    r = cli("export", "--format", "qwen-code", "--output", str(target))
    assert r.rc == 0 and len(_backups(target)) == 1


# ------------------------------------------------------------- this tool's own files


def _tool_files(cli) -> dict[str, Path]:
    config = configured_file_store(cli)
    r = cli(
        "configure",
        "--profile",
        "b",
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=KEY,
    )
    assert r.rc == 0, r
    from app.config.key_scope import index_path

    index = index_path()
    index.parent.mkdir(parents=True, exist_ok=True)
    if not index.exists():
        index.write_text("{}")
    backup = config.with_name(config.name + ".bak-20260101T000000")
    backup.write_text(config.read_text())
    keys = sorted((config.parent / "keys").glob("*.key"))
    assert keys
    return {
        "the modelstudio-setup config file": config,
        "a backup of the modelstudio-setup config": backup,
        "keys directory": keys[0],
        "keyring index": index,
    }


@pytest.mark.parametrize("fmt", ["dotenv", "yaml", "claude-code"])
def test_an_export_never_writes_into_the_tools_own_files(fmt, cli, tmp_path, monkeypatch):
    """QA: dotenv merged into another profile's key file; yaml --force replaced the config."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    files = _tool_files(cli)
    link = tmp_path / "link.env"
    for what, path in files.items():
        before, mode = path.read_bytes(), stat.S_IMODE(path.stat().st_mode)
        for output in (path, link):
            if output is link:
                link.unlink(missing_ok=True)
                link.symlink_to(path)
            for force in ((), ("--force",)):
                r = cli(
                    "export", "--profile", "b", "--format", fmt, "--output", str(output), *force
                )
                assert r.rc == 2, (what, r)
                assert what in r.stderr and "not even with --force" in r.stderr, r.stderr
                assert "was not written by modelstudio-setup" not in r.stderr
                assert KEY not in r.output
                assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == mode
    assert "b" in cli("profiles", "list").stdout
