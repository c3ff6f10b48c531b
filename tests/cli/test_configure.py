"""`configure`: bad input -> exit 2 with nothing written; fail closed -> exit 3; echo back."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
import yaml

from app.config.io import load_config

KEY = "sk-0123456789abcdef0123456789abcdef"
KEY2 = "sk-fedcba9876543210fedcba9876543210"

# SECURITY.md "Bad inputs": every workspace ID must be refused.
BAD_WORKSPACE_IDS = [
    "evil.com#",
    "x.evil.com/",
    "u@evil.com#",
    "a:1@x",
    "ws。evil",
    "ｗｓ-abc",
    "ws-\u212aey",
    "w\u0455-abc",  # Cyrillic dze looks like s
    "ws\u200b-abc",
    "xn--abc",
    "a.b",
    "ws..x",
    "",
    "   ",
    "-ws",
    "ws-",
    "ws_abc",
    "a" * 64,
    "trial",
    "token-plan",
    "127.0.0.1#",
    "[::1]#",
    "evil.com%23",
    "ws\x00",
    "ws\r\nHost: evil",
    "w" * 1_000_000,
]


def _nothing_written(root: Path, config: Path) -> None:
    """Not even the config directory (or a lock file) was created."""
    assert not config.parent.exists(), sorted(config.parent.rglob("*"))


@pytest.mark.parametrize("ws", BAD_WORKSPACE_IDS, ids=lambda s: ascii(s)[:24])
def test_bad_workspace_id_exit_2_nothing_written(cli, ws: str) -> None:
    r = cli(
        "configure",
        "--region",
        "ap-southeast-1",
        f"--workspace-id={ws}",  # the = form: "-ws" must reach our validation, not argparse
        "--store",
        "file",
        "--api-key-stdin",
        input=KEY,
    )
    assert r.rc == 2, r
    assert r.stderr.startswith("modelstudio-setup: ")
    assert "Traceback" not in r.stderr
    assert len(r.stderr) < 2000  # the 1 MB input is not echoed back
    assert KEY not in r.output
    _nothing_written(cli.root, cli.config)


def test_bad_workspace_id_leaves_the_real_keyring_empty(run_cli, secret_service) -> None:
    import keyring

    r = run_cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--workspace-id",
        "evil.com#",
        "--api-key-stdin",
        "--profile",
        "badws",
        input=KEY,
        env=secret_service.env,
        keyring_backend=secret_service.env["PYTHON_KEYRING_BACKEND"],
    )
    assert r.rc == 2, r
    assert not run_cli.config.exists()
    assert keyring.get_password("modelstudio-setup", "badws") is None


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("WS-ABC123", "ws-abc123"), ("  ws-abc \n", "ws-abc")],
)
def test_workspace_id_is_normalised_and_shown_back(cli, raw: str, shown: str) -> None:
    r = cli(
        "configure",
        "--region",
        "cn-beijing",
        "--workspace-id",
        raw,
        "--store",
        "file",
        "--api-key-stdin",
        input=KEY,
    )
    assert r.rc == 0, r
    assert f"normalised to {shown}" in r.stderr
    assert f"workspace {shown}" in r.stdout
    assert f"https://{shown}.cn-beijing.maas.aliyuncs.com/compatible-mode/v1" in r.stdout
    assert load_config(cli.config).profile().workspace_id == shown


BAD_KEYS = [
    ("", "empty"),
    ("   \n", "empty"),
    ("sk-0123 456789abcdef", "space"),
    ("sk-0123456789abcdéf", "non-ASCII"),
    ("sk-\u201c0123456789abcdef", "non-ASCII"),
    ("sk-0123456789\x07abcdef", "control"),
    ("sk-" + "a" * 1200, "longer"),
    ("sk-abc", "too short"),
]


@pytest.mark.parametrize(("raw", "why"), BAD_KEYS, ids=[w for _, w in BAD_KEYS])
def test_bad_key_exit_2_not_echoed_nothing_written(cli, raw: str, why: str) -> None:
    r = cli(
        "configure",
        "--region",
        "cn-beijing",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=raw,
    )
    assert r.rc == 2, r
    assert why in r.stderr
    if raw.strip():
        assert raw.strip()[3:12] not in r.output
    _nothing_written(cli.root, cli.config)


def test_key_from_env_var_with_trailing_newline_is_stripped(cli) -> None:
    r = cli(
        "configure",
        "--region",
        "cn-beijing",
        "--shared-host",
        "--store",
        "file",
        "--api-key-env",
        "MY_KEY",
        env={"MY_KEY": KEY + "\n"},
    )
    assert r.rc == 0, r
    key_file = cli.config.parent / "keys" / "default.key"
    assert key_file.read_text().strip() == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert KEY not in r.output
    assert "sk-…cdef" in r.stdout and "PLAIN TEXT" in r.stdout
    # --api-key-env names the variable exports reference
    assert load_config(cli.config).profile().api_key.env == "MY_KEY"


def test_plan_key_is_accepted_with_a_warning(cli) -> None:
    r = cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input="sk-sp-0123456789abcdef0123",
    )
    assert r.rc == 0, r
    assert "Plan key" in r.stderr
    assert "sk-sp-…0123" in r.stdout


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (("--store", "file"), {}, "No API key given"),
        (("--store", "keyring"), {}, "No API key given"),
        (("--store", "env", "--api-key-stdin"), {}, "thrown away"),
        (("--store", "file", "--api-key-env", "NOPE_UNSET_KEY"), {}, "NOPE_UNSET_KEY is not set"),
        (("--store", "file", "--api-key-env", "lower-case"), {}, "not a usable environment"),
        (("--store", "env", "--api-key-env", "LD_PRELOAD"), {"LD_PRELOAD": KEY}, "LD_*"),
        (("--store", "env", "--api-key-env", "PATH"), {}, "PATH"),
        (("--store", "env", "--model", "qwen plus"), {"DASHSCOPE_API_KEY": KEY}, "model"),
        (("--store", "env", "--scope", "eu"), {"DASHSCOPE_API_KEY": KEY}, "does not offer"),
        (("--store", "env", "--scope", "moon"), {"DASHSCOPE_API_KEY": KEY}, "Unknown scope"),
        (("--store", "env", "--residency", "moon"), {"DASHSCOPE_API_KEY": KEY}, "Unknown resid"),
        (("--store", "env", "--profile", "../x"), {"DASHSCOPE_API_KEY": KEY}, "profile name"),
        (("--store", "env", "--profile", ""), {"DASHSCOPE_API_KEY": KEY}, "profile name"),
        (("--store", "env"), {"DASHSCOPE_API_KEY": "bad key"}, "space"),
    ],
)
def test_invalid_usage_exit_2_nothing_written(cli, args, env, words) -> None:
    r = cli("configure", "--region", "ap-southeast-1", "--shared-host", *args, env=env)
    assert r.rc == 2, r
    assert words in r.stderr
    _nothing_written(cli.root, cli.config)


def test_region_needing_a_workspace_says_where_to_find_it(cli) -> None:
    r = cli("configure", "--region", "eu-central-1", "--store", "env")
    assert r.rc == 2
    assert "workspace ID" in r.stderr and "console.alibabacloud.com" in r.stderr
    r = cli("configure", "--region", "eu-central-1", "--shared-host", "--store", "env")
    assert r.rc == 2 and "no shared host" in r.stderr
    r = cli("configure", "--region", "narnia", "--shared-host", "--store", "env")
    assert r.rc == 2 and "Unknown region" in r.stderr
    _nothing_written(cli.root, cli.config)


def test_key_is_never_an_argument(cli) -> None:
    r = cli("configure", "--region", "cn-beijing", "--api-key", KEY)
    assert r.rc == 2
    assert KEY not in r.output
    r = cli("configure", "--region", "cn-beijing", "--shared-host", KEY)
    assert r.rc == 2
    assert KEY not in r.output


@pytest.mark.parametrize(
    ("region", "residency", "scope", "model"),
    [
        ("us-east-1", "us", "us", "qwen-flash-us"),
        ("us-east-1", None, "global", "qwen-flash"),
        ("us-east-1", "none", "global", "qwen-flash"),
        ("eu-central-1", "eu", "eu", "qwen3.5-flash"),
        ("eu-central-1", "none", "global", "qwen-flash"),
        ("cn-beijing", None, "mainland", "qwen-flash"),
        ("cn-hongkong", "hongkong", "hongkong", "qwen3.5-flash"),
        ("ap-northeast-1", "japan", "japan", "qwen3.5-flash"),
    ],
)
def test_scope_and_model_defaults(cli, region, residency, scope, model) -> None:
    args = ["configure", "--region", region, "--workspace-id", "ws-abc", "--store", "env"]
    if residency:
        args += ["--residency", residency]
    r = cli(*args, env={"DASHSCOPE_API_KEY": KEY})
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert (p.scope, p.model, p.residency) == (scope, model, residency)


def test_residency_mismatch_is_a_warning(cli) -> None:
    r = cli(
        "configure",
        "--region",
        "us-east-1",
        "--shared-host",
        "--store",
        "env",
        "--residency",
        "eu",
        env={"DASHSCOPE_API_KEY": KEY},
    )
    assert r.rc == 0
    assert "does not meet that requirement" in r.stderr


def test_store_env_records_the_variable_and_stores_nothing(cli) -> None:
    r = cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "env",
        "--api-key-env",
        "TEAM_DASHSCOPE_KEY",
        env={"TEAM_DASHSCOPE_KEY": KEY},
    )
    assert r.rc == 0, r
    p = load_config(cli.config).profile()
    assert (p.api_key.store, p.api_key.env) == ("env", "TEAM_DASHSCOPE_KEY")
    assert "from $TEAM_DASHSCOPE_KEY (set now: sk-…cdef)" in r.stdout
    assert not (cli.config.parent / "keys").exists()
    assert KEY not in cli.config.read_text()
    # allowed without the variable being set now, with a reminder
    r = cli("configure", "--region", "cn-beijing", "--shared-host", "--store", "env")
    assert r.rc == 0 and "DASHSCOPE_API_KEY is not set now" in r.stderr


def test_malformed_existing_config_is_backed_up_then_written(cli) -> None:
    cli.config.parent.mkdir(parents=True)
    cli.config.write_text("version: 1\nprofiles: [unclosed\n")
    r = cli("configure", "--region", "cn-beijing", "--shared-host", "--store", "env")
    assert r.rc == 0, r
    assert "was not valid YAML" in r.stderr and "backup" in r.stderr
    backups = list(cli.config.parent.glob("config.yaml.bak-*"))
    assert len(backups) == 1 and "unclosed" in backups[0].read_text()
    assert load_config(cli.config).profile().region == "cn-beijing"


def test_second_profile_and_default_flag(cli) -> None:
    base = ("configure", "--region", "cn-beijing", "--shared-host", "--store", "env")
    assert cli(*base).rc == 0
    r = cli(*base, "--profile", "two")
    assert r.rc == 0 and "doctor --profile two" in r.stdout
    assert load_config(cli.config).default_profile == "default"
    cli(*base, "--profile", "two", "--default")
    assert load_config(cli.config).default_profile == "two"


# --------------------------------------------------------------- key stores (subprocess)


def test_fail_closed_without_keyring_exit_3_nothing_written(run_cli) -> None:
    for extra in ((), ("--store", "keyring")):
        r = run_cli(
            "configure",
            "--region",
            "ap-southeast-1",
            "--workspace-id",
            "ws-abc",
            "--api-key-stdin",
            *extra,
            input=KEY,
        )
        assert r.rc == 3, r
        assert "--store env" in r.stderr and "--store file" in r.stderr
        assert KEY not in r.output
        assert not run_cli.config.exists()
        assert not (run_cli.config.parent / "keys").exists()


def test_null_keyring_backend_is_not_trusted(run_cli) -> None:
    r = run_cli(
        "configure",
        "--region",
        "cn-beijing",
        "--shared-host",
        "--api-key-stdin",
        input=KEY,
        keyring_backend="keyring.backends.null.Keyring",
    )
    assert r.rc == 3, r
    assert not run_cli.config.exists()


def test_real_keyring_round_trip(run_cli, secret_service) -> None:
    import keyring

    env = dict(secret_service.env)
    backend = env["PYTHON_KEYRING_BACKEND"]
    r = run_cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--workspace-id",
        "ws-abc",
        "--api-key-stdin",
        "--profile",
        "cfg-real",
        input=KEY + "\n",
        env=env,
        keyring_backend=backend,
    )
    assert r.rc == 0, r
    # The keyring user is scoped to this config file, which records it (T21).
    account = load_config(run_cli.config).profiles["cfg-real"].api_key.account
    assert re.fullmatch(r"cfg-real@[0-9a-f]{12}", account)
    where = f"OS keyring (SecretService.Keyring), service modelstudio-setup, user {account}"
    assert where in r.stdout
    assert "sk-…cdef" in r.stdout
    assert KEY not in r.output
    assert KEY not in run_cli.config.read_text()
    assert keyring.get_password("modelstudio-setup", account) == KEY

    show = run_cli("profiles", "show", "cfg-real", "--json", env=env, keyring_backend=backend)
    doc = json.loads(show.stdout)
    assert doc["api_key"]["present"] is True and doc["api_key"]["masked"] == "sk-…cdef"
    assert KEY not in show.output

    # Reconfiguring replaces the stored key.
    r = run_cli(
        "configure",
        "--region",
        "ap-southeast-1",
        "--workspace-id",
        "ws-abc",
        "--api-key-stdin",
        "--profile",
        "cfg-real",
        input=KEY2,
        env=env,
        keyring_backend=backend,
    )
    assert r.rc == 0, r
    assert keyring.get_password("modelstudio-setup", account) == KEY2

    gone = run_cli("profiles", "delete", "cfg-real", "--yes", env=env, keyring_backend=backend)
    assert gone.rc == 0, gone
    assert keyring.get_password("modelstudio-setup", account) is None
    assert "cfg-real" not in yaml.safe_load(run_cli.config.read_text())["profiles"]


def test_empty_profile_name_never_overwrites_the_default_profile(cli) -> None:
    """Sweep S5: `--profile "$UNSET"` in a script must not replace the default profile."""
    base = ("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env")
    assert cli(*base, env={"DASHSCOPE_API_KEY": KEY}).rc == 0
    before = cli.config.read_bytes()
    r = cli(*base, "--model", "qwen-max", "--profile", "", env={"DASHSCOPE_API_KEY": KEY})
    assert r.rc == 2 and "'' is not a valid profile name" in r.stderr
    assert cli.config.read_bytes() == before
    for command in (("export", "--format", "dotenv"), ("env",), ("profiles", "show")):
        r = cli(*command, "--profile", "", env={"DASHSCOPE_API_KEY": KEY})
        assert r.rc == 2 and "not a valid profile name" in r.stderr, (command, r)


def test_an_invalid_profile_name_is_not_suggested_for_creation(cli) -> None:
    """QA B12: `--profile ../x` is an invalid name, not a profile configure could create."""
    base = ("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env")
    assert cli(*base, env={"DASHSCOPE_API_KEY": KEY}).rc == 0
    for command in (("export", "--format", "dotenv"), ("env",), ("key", "get")):
        r = cli(*command, "--profile", "../x")
        assert r.rc == 2 and "not a valid profile name" in r.stderr, (command, r)
        assert "to create it" not in r.stderr


def test_typed_control_characters_are_shown_escaped(cli) -> None:
    """Sweep S4: an escape sequence in a typed value must not reach the terminal."""
    r = cli("configure", "--region", "x\x1b[2J\x07", "--shared-host", "--store", "env")
    assert r.rc == 2
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert "x\\x1b[2J\\x07" in r.stderr
    _nothing_written(cli.root, cli.config)


@pytest.mark.parametrize("region", ["eu-central-1", "ap-northeast-1", "cn-hongkong"])
def test_per_workspace_scope_regions_need_scope_or_residency(cli, region: str) -> None:
    """QA B11: guessing Global for an EU/Japan/HK-scope workspace breaks every model name."""
    base = ("configure", "--region", region, "--workspace-id", "ws-abc", "--store", "env")
    env = {"DASHSCOPE_API_KEY": KEY}
    r = cli(*base, env=env)
    assert r.rc == 2
    assert "chosen per workspace" in r.stderr and "--scope" in r.stderr
    _nothing_written(cli.root, cli.config)
    assert cli(*base, "--scope", "global", env=env).rc == 0
    assert load_config(cli.config).profile().scope == "global"
    local = {"eu-central-1": "eu", "ap-northeast-1": "japan", "cn-hongkong": "hongkong"}[region]
    assert cli(*base, "--residency", local, env=env).rc == 0
    assert load_config(cli.config).profile().scope == local


def test_switching_store_removes_the_old_plain_text_key(cli) -> None:
    """QA B33: a key file left behind by an earlier `--store file` was never mentioned again."""
    base = ("configure", "--region", "ap-southeast-1", "--shared-host")
    assert cli(*base, "--store", "file", "--api-key-stdin", input=KEY).rc == 0
    key_file = cli.config.parent / "keys" / "default.key"
    assert key_file.exists()
    r = cli(*base, "--store", "env", "--api-key-env", "MY_KEY", env={"MY_KEY": KEY})
    assert r.rc == 0, r
    assert not key_file.exists()
    assert "was removed from plain text file" in r.stderr and str(key_file) in r.stderr
    assert KEY not in r.output


def test_switching_to_an_unset_variable_keeps_the_old_key_and_says_where(cli) -> None:
    base = ("configure", "--region", "ap-southeast-1", "--shared-host")
    assert cli(*base, "--store", "file", "--api-key-stdin", input=KEY).rc == 0
    key_file = cli.config.parent / "keys" / "default.key"
    r = cli(*base, "--store", "env", "--api-key-env", "UNSET_VAR_KEY")
    assert r.rc == 0, r
    assert key_file.read_text().strip() == KEY  # the only copy of the key is not destroyed
    assert "previous key is still in" in r.stderr and f"rm {key_file}" in r.stderr


def test_profiles_delete_also_removes_a_leftover_key_file(cli) -> None:
    base = ("configure", "--region", "ap-southeast-1", "--shared-host", "--profile", "w")
    assert cli(*base, "--store", "file", "--api-key-stdin", input=KEY).rc == 0
    key_file = cli.config.parent / "keys" / "w.key"
    # A leftover from an older version of the tool (or a failed clean-up).
    assert cli(*base, "--store", "env", "--api-key-env", "UNSET_VAR_KEY").rc == 0
    assert key_file.exists()
    r = cli("profiles", "delete", "w", "--yes")
    assert r.rc == 0, r
    assert not key_file.exists()
    assert "Also removed a key" in r.stdout


@pytest.mark.parametrize("flag", ["--profile", "--model"])
def test_a_key_pasted_into_another_flag_is_not_echoed(cli, flag: str) -> None:
    """Sweep S4: the bad value is quoted in the message ('sk-…'), and was shown in full."""
    r = cli("configure", "--region", "ap-southeast-1", "--shared-host", flag, KEY, "--store", "env")
    assert r.rc == 2
    assert KEY not in r.output and KEY[3:15] not in r.output
    assert f"The value given for {flag} looks like an API key" in r.stderr
    _nothing_written(cli.root, cli.config)
