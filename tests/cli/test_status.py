"""`status` (issue 12 section 1): the active profile and why, where its key lives (masked),
what overrides it for which client, the last verdict and its age, the next command; no
network without --check. And MODELSTUDIO_SETUP_PROFILE, which every command now honours.

Real configs written by `configure` in a private HOME; the keyring case runs on a real
Secret Service; --check runs against the simulator over real TLS under production names.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from app.config.io import load_config, modify_config, update_verified
from app.config.schema import Config
from tests.fixtures.doctor import KEY_VAR, write_config

KEY = "sk-" + "5a7c" * 8
OTHER = "sk-" + "9e1f" * 8
WS = "ws-g3ganedl8go5vc5i"


def configure(cli, name: str, *extra: str) -> None:
    done = cli(
        "configure", "--profile", name, "--region", "ap-southeast-1", "--workspace-id", WS,
        "--store", "env", *extra,
    )  # fmt: skip
    assert done.rc == 0, done.output


@pytest.fixture
def two(cli):
    configure(cli, "work")
    configure(cli, "play", "--api-key-env", "PLAY_KEY")
    return cli


def test_says_which_profile_is_active_and_why(two) -> None:
    cli = two
    env = {"DASHSCOPE_API_KEY": KEY, "PLAY_KEY": OTHER}
    default = cli("status", env=env)
    assert default.rc == 0, default.output
    assert "Active profile: work (the config's default profile)" in default.stdout
    flag = cli("status", "--profile", "play", env=env)
    assert "Active profile: play (from --profile)" in flag.stdout
    chosen = cli("status", env={**env, "MODELSTUDIO_SETUP_PROFILE": "play"})
    assert "Active profile: play (from MODELSTUDIO_SETUP_PROFILE)" in chosen.stdout
    both = cli("status", "--profile", "work", env={**env, "MODELSTUDIO_SETUP_PROFILE": "play"})
    assert "Active profile: work (from --profile)" in both.stdout  # the flag wins
    empty = cli("status", env={**env, "MODELSTUDIO_SETUP_PROFILE": ""})
    assert "Active profile: work (the config's default profile)" in empty.stdout
    for run in (default, flag, chosen, both, empty):
        assert KEY not in run.output and OTHER not in run.output


def test_the_only_profile_of_a_config_without_a_default(cli) -> None:
    configure(cli, "solo")
    modify_config(cli.config, lambda c: Config(c.version, None, c.profiles))
    assert load_config(cli.config).default_profile is None
    run = cli("status", env={"DASHSCOPE_API_KEY": KEY})
    assert "Active profile: solo (the only profile in the config)" in run.stdout, run.output


def test_the_profile_variable_is_honoured_by_every_command(two) -> None:
    """`env` prints play's variable name; `profiles show` shows play; a profile that does
    not exist is named with the command that creates it."""
    cli = two
    chosen = {"MODELSTUDIO_SETUP_PROFILE": "play", "PLAY_KEY": OTHER}
    shown = cli("profiles", "show", env=chosen)
    assert shown.stdout.startswith("play"), shown.output
    missing = cli("env", env={"MODELSTUDIO_SETUP_PROFILE": "nope"})
    assert missing.rc == 2 and "nope" in missing.stderr
    # ...and the message says where that name came from (a stale export in a shell rc).
    assert "comes from the variable MODELSTUDIO_SETUP_PROFILE" in missing.stderr
    flagged = cli("env", "--profile", "nope")
    assert flagged.rc == 2 and "comes from the variable" not in flagged.stderr


def test_nothing_set_up_yet_says_how_to_start(cli) -> None:
    for command in (("status",), ("key", "get"), ("env",)):
        run = cli(*command)
        assert run.rc == 2 and "Nothing is set up yet" in run.stderr, run.output
        assert "configure --region REGION" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (KEY, "looks like an API key"),
        ("../x", "not a usable profile name"),
        ("a b", "not a usable profile name"),
        ("x" * 200, "not a usable profile name"),
        ("\x1b[31mred", "not a usable profile name"),
    ],
    ids=["key", "traversal", "space", "long", "escape"],
)
def test_a_bad_profile_variable_is_refused_unechoed(two, value, words) -> None:
    run = two("status", env={"MODELSTUDIO_SETUP_PROFILE": value})
    assert run.rc == 2, run.output
    assert words in run.stderr and "MODELSTUDIO_SETUP_PROFILE" in run.stderr
    assert value not in run.output and "Traceback" not in run.output


def test_variables_that_override_the_profile_are_named_with_their_clients(two) -> None:
    """A stale OPENAI_API_KEY and OPENAI_BASE_URL in the shell: status names them (the key
    masked), the clients that read them, exits 1 and says to run doctor."""
    env = {
        "DASHSCOPE_API_KEY": KEY,
        "OPENAI_API_KEY": OTHER,
        "OPENAI_BASE_URL": "https://api.openai.com/v1",
    }
    run = two("status", env=env)
    assert run.rc == 1, run.output
    assert "Key: sk-…5a7c in environment variable DASHSCOPE_API_KEY" in run.stdout
    assert "OPENAI_API_KEY = sk-…9e1f (environment) differs from the profile" in run.stdout
    assert "OPENAI_BASE_URL = https://api.openai.com/v1 (environment) differs" in run.stdout
    assert "OpenAI Python SDK" in run.stdout and "Qwen Code" in run.stdout
    assert run.stdout.rstrip().endswith("doctor"), run.stdout  # the default: no --profile
    data = json.loads(two("status", "--json", env=env).stdout)
    names = {o["name"]: o["state"] for o in data["overrides"]}
    assert names == {"OPENAI_API_KEY": "differs", "OPENAI_BASE_URL": "differs"}
    assert data["next_step"] == "doctor_overrides"
    assert KEY not in run.output + json.dumps(data) and OTHER not in run.output + json.dumps(data)


def test_a_variable_with_the_same_key_is_not_an_override_to_fix(two) -> None:
    env = {"DASHSCOPE_API_KEY": KEY, "OPENAI_API_KEY": KEY}
    run = two("status", env=env)
    assert "OPENAI_API_KEY = sk-…5a7c (environment) matches the profile" in run.stdout
    assert run.rc == 0, run.output


def test_client_files_that_exist_are_listed_without_reading_them_out(cli) -> None:
    configure(cli, "work")
    home = cli.root / "home"
    (home / ".qwen").mkdir(parents=True)
    (home / ".qwen" / "settings.json").write_text(json.dumps({"env": {"OPENAI_API_KEY": OTHER}}))
    (home / ".dashscope").mkdir()
    (home / ".dashscope" / "api_key").write_text(OTHER + "\n")
    run = cli("status", env={"DASHSCOPE_API_KEY": KEY})
    assert "~/.qwen/settings.json exists: read by Qwen Code" in run.stdout, run.output
    assert "~/.dashscope/api_key exists: read by DashScope SDK" in run.stdout
    assert OTHER not in run.output and KEY not in run.output


def test_a_missing_key_names_the_command_that_fixes_it(two) -> None:
    run = two("status")
    assert run.rc == 1
    assert "Key: none stored in environment variable DASHSCOPE_API_KEY" in run.stdout
    assert "not set in this shell" in run.stdout
    assert "configure --profile work --store keyring" in run.stdout


def test_a_key_file_is_plain_text_every_time(cli) -> None:
    done = cli(
        "configure", "--profile", "f", "--region", "ap-southeast-1", "--workspace-id", WS,
        "--store", "file", "--api-key-stdin", input=KEY,
    )  # fmt: skip
    assert done.rc == 0, done.output
    run = cli("status", "--profile", "f")
    assert "(PLAIN TEXT)" in run.stdout and "sk-…5a7c" in run.stdout, run.output
    assert json.loads(cli("status", "--profile", "f", "--json").stdout)["key"]["plain_text"]
    assert KEY not in run.output


def test_the_last_verdict_and_its_age(two) -> None:
    cli = two
    env = {"DASHSCOPE_API_KEY": KEY}
    never = cli("status", env=env)
    assert "Last check: never" in never.stdout and "has never been checked" in never.stdout
    update_verified(cli.config, "work", "ok", datetime.now(timezone.utc) - timedelta(hours=3))
    fresh = cli("status", env=env)
    assert "Last check: ok, 3 h ago" in fresh.stdout, fresh.stdout
    assert "Next" not in fresh.stdout and "doctor" not in fresh.stdout.splitlines()[-1]
    assert fresh.rc == 0
    update_verified(cli.config, "work", "ok", datetime.now(timezone.utc) - timedelta(days=9))
    stale = cli("status", env=env)
    assert "9 days ago" in stale.stdout and "more than a week old" in stale.stdout
    assert stale.rc == 0  # advice, not a failure
    update_verified(cli.config, "work", "fail", datetime.now(timezone.utc))
    failed = cli("status", env=env)
    assert "Last check: fail, just now" in failed.stdout and failed.rc == 1
    data = json.loads(cli("status", "--json", env=env).stdout)
    assert data["schema_version"] == 1 and data["verified"]["verdict"] == "fail"


def test_in_chinese(two) -> None:
    run = two("status", "--lang", "zh", env={"DASHSCOPE_API_KEY": KEY})
    assert "当前配置：work（配置文件的默认配置）" in run.stdout
    assert "新加坡" in run.stdout and "从未检查" in run.stdout


def test_the_keyring_key_on_a_real_secret_service(run_cli, secret_service) -> None:
    backend = secret_service.env["PYTHON_KEYRING_BACKEND"]
    done = run_cli(
        "configure", "--region", "ap-southeast-1", "--workspace-id", WS, "--api-key-stdin",
        input=KEY, env=secret_service.env, keyring_backend=backend,
    )  # fmt: skip
    assert done.rc == 0, done.output
    run = run_cli("status", "--json", env=secret_service.env, keyring_backend=backend)
    data = json.loads(run.stdout)
    assert data["key"]["store"] == "keyring" and data["key"]["masked"] == "sk-…5a7c"
    assert data["key"]["plain_text"] is False and data["next_step"] == "doctor_never"
    assert KEY not in run.output


@pytest.fixture
def machine(env):
    """The doctor tests' clean machine (tests/fixtures/doctor.py)."""
    return env


def _status(capsys, machine, tmp_path, sim, key, *args):
    from app.cli import main

    machine.setenv(KEY_VAR, key)
    machine.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    machine.chdir(tmp_path)
    argv = ["status", "--lang", "en", "--config", str(tmp_path / "config.yaml"), *args]
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert key not in out + err
    return code, out, err


def test_no_network_without_check_and_auth_only_with_it(capsys, machine, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    pins = ("--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file))
    code, out, _ = _status(capsys, machine, tmp_path, simulator, key, *pins)
    assert code == 0 and simulator.requests == [], out
    code, out, _ = _status(capsys, machine, tmp_path, simulator, key, "--check", *pins)
    assert code == 0 and "Live check (auth only): ok" in out, out
    # Auth only: GETs of the model lists; the Anthropic surface, which has no such GET, is
    # only asked whether it answers, without the key (nothing billed, app.probe.surfaces).
    calls = [(r.method, r.path, r.key_fingerprint is not None) for r in simulator.requests]
    assert calls and all(m == "GET" or not keyed for m, _, keyed in calls), calls
    assert not any(p.endswith("/chat/completions") for _, p, _ in calls), calls
    # That keyless row says why it is a skip and what checks its key, not only "skip".
    (anthropic,) = [line for line in out.splitlines() if line.strip().startswith("anthropic")]
    assert "skip" in anthropic and "checked here only with a model call" in anthropic
    assert "doctor" in anthropic, anthropic
    code, out, _ = _status(capsys, machine, tmp_path, simulator, key, "--check", "--json", *pins)
    rows = {c["surface"]: c for c in json.loads(out)["check"]["checks"]}
    assert rows["anthropic"]["key_checked"] is False and rows["openai"]["key_checked"] is True
    code, out, _ = _status(capsys, machine, tmp_path, simulator, OTHER, "--check", *pins)
    assert code == 1 and "Live check (auth only): fail" in out, out


def test_check_options_are_validated_before_anything_is_read(capsys, machine, tmp_path):
    from app.cli import main

    code = main(["status", "--check", "--timeout", "0", "--config", str(tmp_path / "none.yaml")])
    assert code == 2 and "timeout" in capsys.readouterr().err.lower()
