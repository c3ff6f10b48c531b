"""`models` end to end against the simulator over real TLS (the same pins and CA as doctor)."""

from __future__ import annotations

import json

from app.cli import main
from tests.fixtures.doctor import KEY_VAR, write_config


def _run(capsys, tmp_path, sim, *extra):
    argv = ["models", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file), *extra]
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_lists_the_keys_models_from_the_native_list(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    env.setenv(KEY_VAR, key)
    code, out, err = _run(capsys, tmp_path, simulator, "--json")
    assert code == 0, err
    assert key not in out + err
    data = json.loads(out)
    assert data["source"] == "native" and data["complete"] is True
    ids = [m["id"] for m in data["models"]]
    assert "qwen-plus" in ids
    assert all(m["source"] == "native" for m in data["models"])
    assert any(r.path.startswith("/api/v1/models") for r in simulator.requests)


def test_text_output_and_chinese(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    code, out, _ = _run(capsys, tmp_path, simulator)
    assert code == 0 and "Source: the DashScope native model list" in out
    assert "  qwen-plus" in out
    code, out, _ = _run(capsys, tmp_path, simulator, "--lang", "zh")
    assert code == 0 and "来源" in out


def test_wrong_key_is_exit_1_with_the_key_message(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, "sk-" + "0" * 32)
    code, out, err = _run(capsys, tmp_path, simulator)
    assert code == 1
    assert "HTTP 401" in err and "--all-regions" in err and "sk-" + "0" * 32 not in out + err


def test_unknown_profile_is_exit_2(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    code, _, err = _run(capsys, tmp_path, simulator, "--profile", "nope")
    assert code == 2 and "Traceback" not in err


def test_doctor_pings_a_listed_small_model_when_the_profiles_is_not_listed(
    capsys, env, tmp_path, simulator
):
    from tests.fixtures.doctor import doctor

    write_config(tmp_path, simulator, model="qwen-does-not-exist")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    checks = {c["surface"]: c for c in run.data["checks"]}
    for surface in ("openai", "dashscope"):
        assert checks[surface]["ping_model_reason"] == "not_listed"
        assert "flash" in checks[surface]["ping_model"]
    assert "model_not_found" in run.codes  # the profile's own model still would not work
    # the listed model was pinged, and answered (the unknown one would be a 404)
    ends = ("/chat/completions", "/generation")
    sent = [r for r in simulator.requests if r.path.endswith(ends)]
    assert sent and all(r.status == 200 for r in sent)


def test_a_key_without_list_permission_gets_the_403_explained(capsys, env, tmp_path, simulator):
    from app.simulator.faults import Fault

    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    for prefix in ("/api/v1/models", "/compatible-mode/v1/models"):
        simulator.inject(Fault("status", path_prefix=prefix, status=403, code="AccessDenied"))
    code, out, _ = _run(capsys, tmp_path, simulator, "--json")
    assert code == 1
    data = json.loads(out)
    assert data["problem"] == "problem_403" and data["models"] == []
    assert "permission" in data["message"]


def test_a_hostile_native_answer_falls_back_to_the_compatible_list(
    capsys, env, tmp_path, simulator
):
    from app.simulator.faults import Fault

    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    simulator.inject(Fault("nested_json", path_prefix="/api/v1/models"))
    code, out, err = _run(capsys, tmp_path, simulator, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "compatible" and "qwen-plus" in [m["id"] for m in data["models"]]
    simulator.inject(Fault("huge", path_prefix="/compatible-mode/v1/models", size=3_000_000))
    simulator.inject(Fault("nested_json", path_prefix="/api/v1/models"))
    code, out, err = _run(capsys, tmp_path, simulator)
    assert code == 1 and "Traceback" not in err and "larger than the cap" in err


def test_bad_network_flags_are_exit_2_before_any_request(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    before = len(simulator.requests)
    assert _run(capsys, tmp_path, simulator, "--timeout", "nan")[0] == 2
    assert _run(capsys, tmp_path, simulator, "--ca-file", str(tmp_path / "missing.pem"))[0] == 2
    assert len(simulator.requests) == before


def test_doctor_on_a_key_without_the_profiles_model_says_denied_not_missing(
    capsys, env, tmp_path, simulator
):
    from tests.fixtures.doctor import doctor

    write_config(tmp_path, simulator, "limited", model="qwen-flash")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("limited"))
    openai = next(c for c in run.data["checks"] if c["surface"] == "openai")
    assert openai["ping_model"] == "qwen-plus" and openai["ping_model_reason"] == "not_listed"
    assert openai["finding"] == "access_denied"
    assert "model_not_found" not in run.codes


def test_doctor_text_names_the_ping_model_and_why(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator, "limited", model="qwen-flash")
    env.setenv(KEY_VAR, simulator.key("limited"))
    argv = ["doctor", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    for lang, words in (
        ("en", "ping model: qwen-plus (the profile's model is not"),
        ("zh", "测试模型：qwen-plus"),
    ):
        capsys.readouterr()
        main([*argv, "--lang", lang])
        assert words in capsys.readouterr().out
