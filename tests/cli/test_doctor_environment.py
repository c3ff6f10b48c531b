"""`doctor` sees what the clients see: the variables and files they read, judged against
the profile, in text, JSON and the support report (issue 11 section 2), with the
connectivity test over real TLS against the simulator. Real files in a private HOME."""

from __future__ import annotations

import json

from app.cli import main
from tests.fixtures.doctor import doctor, write_config

OLD_KEY = "sk-0123456789abcdef0123456789abcdef"  # shaped like a key, accepted by no account


def test_a_stale_openai_base_url_is_no_longer_verdict_ok(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert all(c["status"] == "pass" for c in run.data["checks"])  # the profile works...
    assert "base_url_elsewhere" in run.codes  # ...but the OpenAI SDK goes elsewhere
    assert run.data["verdict"] == "warn" and run.code == 1
    entries = run.data["clients"]["entries"]
    stale = [e for e in entries if e["name"] == "OPENAI_BASE_URL"]
    assert stale and stale[0]["status"] == "elsewhere"
    assert stale[0]["source"] == "environment"
    assert "api.openai.com" in run.report  # the support report has the section too


def test_an_old_key_in_bashrc_is_found_masked_with_its_line(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text(f"alias ll='ls -l'\nexport DASHSCOPE_API_KEY={OLD_KEY}\n")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    found = [f for f in run.data["findings"] if f["code"] == "plaintext_key_found"]
    assert found, run.data["findings"]
    assert "~/.bashrc" in found[0]["message"] and "2" in found[0]["message"]
    strays = run.data["clients"]["stray_keys"]
    assert strays == [
        {"source": "~/.bashrc", "line": 2, "variable": "DASHSCOPE_API_KEY",
         "key": f"sk-…{OLD_KEY[-4:]}", "ours": False}
    ]  # fmt: skip
    for text in (run.out, run.err, run.report):
        assert OLD_KEY not in text and OLD_KEY[3:15] not in text


def test_a_project_env_that_shadows_the_profile_is_named(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    (tmp_path / ".env").write_text(
        "OPENAI_BASE_URL=https://dashscope.aliyuncs.com/compatible-mode/v1\n"
    )
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    codes = run.codes
    assert codes & {"file_shadows_profile", "base_url_elsewhere"}, run.data["findings"]
    texts = " ".join(f["message"] for f in run.data["findings"])
    assert ".env" in texts


def test_both_anthropic_auth_variables_conflict(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    env.setenv("ANTHROPIC_AUTH_TOKEN", key)
    env.setenv("ANTHROPIC_API_KEY", key)
    run = doctor(capsys, env, tmp_path, simulator, key)
    assert "auth_vars_conflict" in run.codes


def test_text_output_lists_what_the_clients_read(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    env.chdir(tmp_path)
    env.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    env.setenv("MSS_TEST_KEY", simulator.key("ap-southeast-1"))
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 1
    assert "What your clients read" in out
    line = next(x for x in out.splitlines() if "OPENAI_BASE_URL = " in x)
    assert "! " in line and "points elsewhere" in line and "OpenAI Python SDK" in line


def test_no_environment_reads_nothing_and_says_nothing(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-environment"
    )
    assert run.code == 0 and run.data["verdict"] == "ok"
    assert run.data["clients"] is None
    assert "base_url_elsewhere" not in run.codes


def test_a_hostile_settings_file_is_a_line_not_a_crash(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    home = tmp_path / "home"
    (home / ".qwen").mkdir(parents=True)
    (home / ".qwen" / "settings.json").write_text("[" * 1000 + "]" * 1000)
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text('{"env": {"A": "\x1b]52;c;aGk=\x07"}')
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code in (0, 1)
    problems = run.data["clients"]["problems"]
    assert {p["path"] for p in problems} >= {"~/.qwen/settings.json"}
    assert "\x1b" not in run.out and "\x1b" not in json.dumps(run.data)
