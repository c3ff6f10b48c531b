"""`doctor` end to end against the simulator: real loopback sockets, real TLS, real proxy.

Each finding code is produced by the fault that causes it and read back from `doctor --json`,
as a script would. Every run also greps stdout, stderr and the report for the raw key.
"""

from __future__ import annotations

import socket

import pytest

from app.cli import main
from app.simulator.faults import Fault
from app.simulator.proxy import ConnectProxy
from app.simulator.server import Simulator
from tests.fixtures.doctor import KEY_VAR, doctor, doctor_via_proxy, write_config


# ----------------------------------------------------------------------------- happy path
def test_healthy_profile_passes_every_surface_and_records_verified(
    capsys, env, tmp_path, simulator
):
    cfg = write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code == 0, run.out
    data = run.data
    assert data["verdict"] == "ok"
    assert data["profile"] == "default" and data["region"] == "ap-southeast-1"
    assert data["scope"] == "international"
    assert [c["surface"] for c in data["checks"]] == ["openai", "anthropic", "dashscope"]
    for check in data["checks"]:
        assert check["status"] == "pass"
        assert check["http_status"] == 200
        assert check["request_id"]
        assert set(check["phases"]) == {"dns_ms", "tcp_ms", "tls_ms", "ttfb_ms", "total_ms"}
        assert all(check["phases"][k] is not None for k in check["phases"])
        assert check["finding"] is None
        assert check["tls"]["version"].startswith("TLS")
        assert check["host"].endswith(".ap-southeast-1.maas.aliyuncs.com")
    assert data["findings"] == []
    environment = data["environment"]
    assert environment["trust_source"].startswith("ca-file")
    assert environment["key"].startswith("sk-…")
    assert KEY_VAR in environment["key_source"]
    assert "verdict: ok" in cfg.read_text()
    # inference went to the profile's model on each surface
    paths = {r.path for r in simulator.requests}
    assert "/compatible-mode/v1/chat/completions" in paths
    assert "/apps/anthropic/v1/messages" in paths
    assert "/api/v1/services/aigc/text-generation/generation" in paths


def test_text_output_has_rows_waterfall_and_environment(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    env.setenv(KEY_VAR, key)
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert key not in out
    assert "✓ OpenAI-compatible" in out and "✓ DashScope native" in out
    assert "Verdict: OK" in out
    assert "tls " in out and "request " in out and "Waterfall (one time axis" in out
    assert "Trust source: ca-file" in out


def test_chinese_output(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, "sk-" + "0" * 32)
    argv = ["doctor", "--lang", "zh", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "结论：失败" in out
    assert "不接受该 API 密钥" in out


def test_no_inference_sends_nothing_billable(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-inference"
    )
    assert run.code == 0
    posts = [r for r in simulator.requests if r.method == "POST"]
    # the only POST is the keyless Anthropic reachability request
    assert all(r.key_fingerprint is None for r in posts)
    assert [r.path for r in posts] == ["/apps/anthropic/v1/messages"]


# ---------------------------------------------------------------------------- key findings
def test_unknown_key_is_key_rejected_and_stays_on_profile_hosts(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, "sk-" + "a" * 32)
    assert run.code == 1
    assert run.codes == {"key_rejected"}
    finding = run.data["findings"][0]
    assert finding["severity"] == "error"
    assert "--all-regions" in finding["remedy"]
    assert len(finding["request_ids"]) == 3
    hosts = {r.host for r in simulator.requests}
    assert hosts == {run.data["checks"][0]["host"]}, "without consent the key stays home"
    assert "verdict: fail" in (tmp_path / "config.yaml").read_text()


def test_key_of_another_region_is_named_with_consent(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("cn-beijing"), "--all-regions")
    assert run.code == 1
    assert run.codes == {"key_other_region"}
    finding = run.data["findings"][0]
    assert "cn-beijing" in finding["message"]
    assert "Frankfurt" in finding["remedy"] and "Tokyo" in finding["remedy"]
    accepted = [c["region"] for c in run.data["ownership"] if c["status"] == "pass"]
    assert accepted == ["cn-beijing"]
    assert sorted(run.data["unchecked_regions"]) == ["ap-northeast-1", "eu-central-1"]


def test_key_of_another_workspace_in_same_region(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator, "ap-southeast-1")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("demo"), "--all-regions")
    assert run.codes == {"key_other_workspace"}
    assert "dashscope-intl.aliyuncs.com" in run.data["findings"][0]["message"]


def test_workspace_refusal_as_403_is_also_explained(capsys, env, tmp_path, simulator_ca):
    sim = Simulator(ca=simulator_ca, wrong_workspace_status=403).start_in_thread()
    try:
        write_config(tmp_path, sim, "ap-southeast-1")
        run = doctor(capsys, env, tmp_path, sim, sim.key("demo"), "--all-regions")
        assert run.codes == {"key_other_workspace"}
    finally:
        sim.stop_thread()


def test_plan_key_gets_plan_key_mismatch(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator, "plan")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("plan"))
    assert run.codes == {"plan_key_mismatch"}


def test_arrears_says_key_accepted(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator, "arrears")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("arrears"))
    assert "arrears" in run.codes
    message = next(f["message"] for f in run.data["findings"] if f["code"] == "arrears")
    assert message.startswith("Key accepted")


def test_unknown_model_is_model_not_found(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator, model="qwen-does-not-exist")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert "model_not_found" in run.codes
    assert "key_rejected" not in run.codes


def test_model_not_granted_is_access_denied(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator, "limited", model="qwen-flash")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("limited"))
    assert "access_denied" in run.codes


def test_workspace_not_found(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("status", status=404, code="WorkSpaceNotFound"))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert "workspace_not_found" in run.codes


def test_env_key_differing_from_stored_key_is_reported(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    other = simulator.key("demo")
    env.setenv("DASHSCOPE_API_KEY", other)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.codes == {"env_key_differs"}
    assert run.code == 1
    assert other not in run.out + run.err + run.report


def test_missing_key_is_no_key_and_connectivity_still_checked(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, None)
    assert run.codes == {"no_key"}
    assert all(c["phases"]["tls_ms"] is not None for c in run.data["checks"])
    assert all(r.key_fingerprint is None for r in simulator.requests)


# ------------------------------------------------------------------------ service answers
@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault("rate_limit", retry_after=7), "rate_limited"),
        (Fault("quota"), "quota_exceeded"),
        (Fault("server_error"), "server_error"),
        (Fault("unavailable"), "server_error"),
        (Fault("status", status=403, code="AccessDenied"), "access_denied"),
        (Fault("html"), "unexpected_response"),
        (Fault("redirect", location="https://evil.example.net/steal"), "redirect_refused"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.kind,
)
def test_service_answer_becomes_finding(capsys, env, tmp_path, simulator, fault, code):
    write_config(tmp_path, simulator)
    simulator.inject(fault)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert code in run.codes, run.data["findings"]
    assert run.code == 1
    finding = next(f for f in run.data["findings"] if f["code"] == code)
    assert finding["request_ids"] or code in ("redirect_refused", "unexpected_response")
    if code == "rate_limited":
        assert finding["severity"] == "warning"
        assert run.data["verdict"] == "warn"
        assert "7" in finding["message"]
    if code == "redirect_refused":
        assert "evil.example.net" in finding["message"]
        assert all(r.host != "evil.example.net" for r in simulator.requests)


def test_fifty_megabyte_body_is_capped(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("huge"))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert "unexpected_response" in run.codes
    finding = next(f for f in run.data["findings"] if f["code"] == "unexpected_response")
    assert "oversized" in finding["message"]


def test_server_that_never_answers_is_timeout(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("hang"))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), timeout="1")
    assert run.codes == {"timeout"}
    for check in run.data["checks"]:
        assert check["phases"]["tls_ms"] is not None  # it got that far
        assert check["phases"]["total_ms"] < 3000  # bounded by the deadline, not by the server


def test_slow_drip_past_the_deadline_is_timeout(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("drip", chunk_size=1, chunk_delay=0.2))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), timeout="1")
    assert "timeout" in run.codes


def test_reset_mid_body_is_connection_reset_a_documented_code(capsys, env, tmp_path, simulator):
    """B6: a reset after the answer started is its own stable code, not connect_failed."""
    write_config(tmp_path, simulator)
    simulator.inject(Fault("reset"))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.codes == {"connection_reset"}
    message = run.data["findings"][0]["message"]
    assert "ECONNRESET" in message and "after the request was sent" in message
    assert run.code == 1


# ------------------------------------------------------------------------------- network
def test_nxdomain_is_dns_failed(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(
        capsys,
        env,
        tmp_path,
        simulator,
        simulator.key("ap-southeast-1"),
        "--connect-to",
        "::no-such-host.invalid:443",
        pin=False,
    )
    assert run.codes == {"dns_failed"}
    assert "no-such-host.invalid" in run.data["findings"][0]["message"]
    assert simulator.requests == []


def test_closed_port_is_connect_refused(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = doctor(
        capsys,
        env,
        tmp_path,
        simulator,
        simulator.key("ap-southeast-1"),
        "--connect-to",
        f"::127.0.0.1:{port}",
        pin=False,
    )
    assert run.codes == {"connect_refused"}
    for check in run.data["checks"]:
        assert check["phases"]["dns_ms"] is not None
        assert check["phases"]["tls_ms"] is None


def test_listener_that_never_completes_the_handshake_is_connect_timeout(
    capsys, env, tmp_path, simulator
):
    """A listening socket that never accepts, with its backlog filled: SYNs go unanswered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        write_config(tmp_path, simulator)
        run = doctor(
            capsys,
            env,
            tmp_path,
            simulator,
            simulator.key("ap-southeast-1"),
            "--connect-to",
            f"::127.0.0.1:{port}",
            pin=False,
            timeout="1",
        )
        assert run.codes == {"connect_timeout"}
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_unknown_ca_is_tls_untrusted_and_names_the_issuer(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), ca=False)
    assert run.codes == {"tls_untrusted"}
    finding = run.data["findings"][0]
    assert "trustme" in finding["message"]  # the issuer of the presented certificate
    assert "--ca-file" in finding["remedy"]
    assert all(r.key_fingerprint is None for r in simulator.requests)
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("cert", "code"), [("wrong_host", "tls_hostname_mismatch"), ("expired", "tls_expired")]
)
def test_bad_certificates(capsys, env, tmp_path, simulator_ca, cert, code):
    sim = Simulator(ca=simulator_ca, cert=cert).start_in_thread()
    try:
        write_config(tmp_path, sim)
        run = doctor(capsys, env, tmp_path, sim, sim.key("ap-southeast-1"))
        assert run.codes == {code}
        if code == "tls_hostname_mismatch":
            assert "wrong-host.example.test" in run.data["findings"][0]["message"]
        assert sim.requests == []
    finally:
        sim.stop_thread()


# --------------------------------------------------------------------------------- proxies
def test_through_a_proxy_with_credentials_redacted(capsys, env, tmp_path, simulator):
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port), auth=("alice", "s3cr3t"))
    proxy.start_in_thread()
    try:
        no_scheme = proxy.url_with_auth().removeprefix("http://")
        run = doctor_via_proxy(capsys, env, tmp_path, simulator, "HTTPS_PROXY", no_scheme)
        assert run.code == 0, run.data["findings"]
        assert proxy.tunnels, "the requests went through the proxy"
        assert "s3cr3t" not in run.out + run.report
        assert "***" in run.data["environment"]["proxy"]
        assert all(c["phases"]["dns_ms"] is None for c in run.data["checks"])  # proxy resolves
    finally:
        proxy.stop_thread()


def test_proxy_asking_for_credentials_is_proxy_auth_required(capsys, env, tmp_path, simulator):
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port), auth=("alice", "pw"))
    proxy.start_in_thread()
    try:
        run = doctor_via_proxy(capsys, env, tmp_path, simulator, "HTTPS_PROXY", proxy.url)
        assert run.codes == {"proxy_auth_required"}
    finally:
        proxy.stop_thread()


def test_refusing_proxy_is_proxy_failed(capsys, env, tmp_path, simulator):
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port), refuse=True)
    proxy.start_in_thread()
    try:
        run = doctor_via_proxy(capsys, env, tmp_path, simulator, "HTTPS_PROXY", proxy.url)
        assert run.codes == {"proxy_failed"}
    finally:
        proxy.stop_thread()


def test_proxy_port_closed_is_proxy_unreachable_and_no_proxy_bypasses_it(
    capsys, env, tmp_path, simulator
):
    """B5: the connection TO the proxy failed, and it says so; S3: the --connect-to pin
    does not redirect the connection to the proxy (it used to reach the simulator)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(tmp_path, simulator)
    env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-environment"
    )
    assert run.codes == {"proxy_unreachable", "pins_not_applied"}
    finding = next(f for f in run.data["findings"] if f["code"] == "proxy_unreachable")
    assert finding["message"] == (
        f"Could not connect to the proxy http://127.0.0.1:{port} (connection refused)."
    )
    assert simulator.requests == []
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-proxy")
    assert all(c["status"] == "pass" for c in run.data["checks"])  # the direct test passes
    # ...but the clients still read HTTPS_PROXY: their route was tested too, and it fails.
    failing = [f for f in run.data["findings"] if f["code"] == "client_path_fails"]
    assert len(failing) == 1 and "openai" in failing[0]["message"], run.data["findings"]
    assert f"127.0.0.1:{port}" in failing[0]["message"]
    paths = run.data["clients"]["paths"]
    assert [(p["proxy"], p["status"]) for p in paths] == [(f"http://127.0.0.1:{port}", "fail")]
    assert run.code == 1
    env.setenv("NO_PROXY", ".aliyuncs.com")
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-environment"
    )
    assert run.code == 0


# ------------------------------------------------------------------------------ bad usage
@pytest.mark.parametrize(
    "args",
    [
        ["--resolve", "dashscope.aliyuncs.com:443"],
        ["--resolve", "dashscope.aliyuncs.com:443:not-an-ip"],
        ["--resolve", "dashscope.aliyuncs.com:99999:127.0.0.1"],
        ["--connect-to", "a:b:c"],
        ["--connect-to", "::127.0.0.1:http"],
        ["--connect-to", "ev il::127.0.0.1:1"],
        ["--timeout", "soon"],
        ["--timeout", "0"],
        ["--timeout", "nan"],
        ["--ca-file", "/nonexistent/ca.pem"],
    ],
)
def test_bad_usage_exits_2_without_network_or_writes(capsys, env, tmp_path, simulator, args):
    cfg = write_config(tmp_path, simulator)
    before = cfg.read_text()
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    code = main(["doctor", "--lang", "en", "--config", str(cfg), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert "modelstudio-setup:" in err
    assert simulator.requests == []
    assert cfg.read_text() == before


def test_ca_file_that_is_not_pem_is_usage_error(capsys, env, tmp_path, simulator):
    cfg = write_config(tmp_path, simulator)
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    assert main(["doctor", "--config", str(cfg), "--ca-file", str(bogus)]) == 2
    assert "ca.pem" in capsys.readouterr().err
    assert simulator.requests == []


def test_proxy_with_unsupported_scheme_is_usage_error(capsys, env, tmp_path, simulator):
    cfg = write_config(tmp_path, simulator)
    env.setenv("HTTPS_PROXY", "ftp://user:hunter2@proxy:21")
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    assert main(["doctor", "--lang", "en", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "HTTPS_PROXY" in err and "hunter2" not in err
    assert simulator.requests == []


def test_terminal_sees_live_progress_on_stderr_and_stdout_stays_clean(
    capsys, env, tmp_path, simulator
):
    import sys

    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    env.setattr(sys.stderr, "isatty", lambda: True)
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "checking openai at" in captured.err
    assert "✓ dashscope" in captured.err
    assert "checking" not in captured.out


def test_key_from_the_real_secret_service(capsys, env, tmp_path, simulator, secret_service):
    """The stored key comes from the OS keyring; the environment names the backend, and a
    stale DASHSCOPE_API_KEY next to it is reported."""
    from app.secrets.key import ApiKey
    from app.secrets.stores import KeyringStore

    write_config(tmp_path, simulator, store="keyring")
    key = simulator.key("ap-southeast-1")
    KeyringStore().set("default", ApiKey(key))
    try:
        env.setenv("DASHSCOPE_API_KEY", simulator.key("demo"))
        run = doctor(capsys, env, tmp_path, simulator, None)
        assert key not in run.out + run.err + run.report
        assert run.codes == {"env_key_differs"}
        environment = run.data["environment"]
        assert "SecretService" in (environment["keyring_backend"] or "")
        assert all(c["status"] == "pass" for c in run.data["checks"])
    finally:
        KeyringStore().delete("default")


def test_consent_alone_sends_the_key_nowhere_else_when_it_works(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--all-regions")
    assert run.code == 0
    assert run.data["ownership"] == []
    assert {r.host for r in simulator.requests} == {run.data["checks"][0]["host"]}
