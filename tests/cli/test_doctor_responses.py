"""`doctor --surface responses`: the Responses API (the only API Codex speaks) as a fourth
row, checked with a model that API serves, against the simulator over real TLS."""

from __future__ import annotations

import pytest

from app.simulator.responses_api import served
from tests.fixtures.doctor import doctor, write_config

RESPONSES_PATH = "/compatible-mode/v1/responses"


def test_responses_surface_is_a_fourth_row_pinged_with_a_model_it_serves(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)  # the profile's model, qwen-plus, is not served there
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--surface", "responses"
    )
    assert run.code == 0, run.out
    checks = run.data["checks"]
    assert [c["surface"] for c in checks] == ["openai", "anthropic", "dashscope", "responses"]
    row = checks[-1]
    assert row["status"] == "pass" and row["http_status"] == 200
    assert row["key_sent"] is True
    calls = [r for r in simulator.requests if r.path == RESPONSES_PATH]
    assert len(calls) == 1
    assert calls[0].auth_scheme == "bearer"
    assert calls[0].model is not None and served(calls[0].model)
    assert row["model"] == calls[0].model
    assert "| responses |" in run.report  # the row in the support report too


def test_without_the_flag_the_responses_api_is_not_asked(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code == 0, run.out
    assert [c["surface"] for c in run.data["checks"]] == ["openai", "anthropic", "dashscope"]
    assert not [r for r in simulator.requests if r.path == RESPONSES_PATH]


def test_no_inference_sends_the_responses_check_without_the_key(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(
        capsys,
        env,
        tmp_path,
        simulator,
        simulator.key("ap-southeast-1"),
        "--surface",
        "responses",
        "--no-inference",
    )
    row = run.data["checks"][-1]
    assert row["surface"] == "responses"
    assert row["key_sent"] is False
    calls = [r for r in simulator.requests if r.path == RESPONSES_PATH]
    assert len(calls) == 1 and calls[0].auth_scheme is None


def test_an_unknown_surface_is_refused_before_any_request(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    with pytest.raises(SystemExit) as exc:
        doctor(
            capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--surface", "chat"
        )
    assert exc.value.code == 2
    assert simulator.requests == []


def test_a_codex_config_of_the_profile_adds_the_responses_check(capsys, env, tmp_path, simulator):
    """Codex speaks only the Responses API: when its config uses this profile (written by
    `export --format codex`), doctor checks that surface without being asked."""
    from app.cli import main

    cfg = write_config(tmp_path, simulator)
    codex_home = tmp_path / "codex"
    env.setenv("CODEX_HOME", str(codex_home))
    code = main(
        ["export", "--config", str(cfg), "--format", "codex", "--output",
         str(codex_home / "config.toml"), "--lang", "en"]
    )  # fmt: skip
    assert code == 0
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert [c["surface"] for c in run.data["checks"]][-1] == "responses", run.data["clients"]
    assert [r for r in simulator.requests if r.path == RESPONSES_PATH]
