"""Issue 7, doctor stream: hostile answers and proxies (C12, C13, C15) end in a finding,
never a traceback; real simulator over loopback TLS, real sockets for the proxies."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.simulator.faults import Fault
from tests.fixtures.doctor import KEY_VAR, doctor, doctor_via_proxy, write_config

HOSTILE_BODIES = [
    pytest.param(Fault("nested_json"), id="nested-200"),
    pytest.param(Fault("nested_json", status=400), id="nested-400"),
    pytest.param(Fault("nested_json", status=401), id="nested-401"),
    pytest.param(Fault("endless_brackets"), id="endless-200"),
    pytest.param(Fault("endless_brackets", status=403), id="endless-403"),
]


@pytest.mark.parametrize("fault", HOSTILE_BODIES)
def test_hostile_json_is_unexpected_response_in_json_and_report(
    capsys, env, tmp_path, simulator, fault
):
    write_config(tmp_path, simulator)
    simulator.inject(fault)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code == 1
    assert "unexpected_response" in run.codes, run.data["findings"]
    assert run.data["verdict"] == "fail"
    assert "unexpected_response" in run.report
    assert "Traceback" not in run.err


def test_nested_json_text_output_names_the_answer(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("nested_json"))
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "[unexpected_response]" in out
    assert "nested too deeply" in out
    assert "Verdict: FAIL" in out


def test_parse_json_refuses_deep_nesting_and_keeps_normal_bodies():
    from app.core.json_limits import parse_json

    assert parse_json("application/json", b"[" * 1000 + b"]" * 1000) == (False, None)
    assert parse_json("application/json", b"[" * 100000) == (False, None)
    assert parse_json("application/json", b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == (
        True,
        {"a": "[" * 34},
    )
    ok, value = parse_json("application/json", json.dumps({"x": [[[1]]]}).encode())
    assert ok and value == {"x": [[[1]]]}


class GarbageServer:
    """A loopback TCP server that answers every connection with `reply` and hangs up: an
    HTTP proxy (or anything else) behind a socks5:// URL."""

    def __init__(self, reply: bytes) -> None:
        import socket
        import threading

        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                try:
                    conn.recv(1024)
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize(
    "reply",
    [b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", b"\x04\x5a\x00\x00garbage"],
    ids=["http-reply", "socks4-bytes"],
)
def test_socks_proxy_answering_non_socks_bytes_is_a_proxy_finding(
    capsys, env, tmp_path, simulator, reply
):
    server = GarbageServer(reply)
    try:
        run = doctor_via_proxy(
            capsys,
            env,
            tmp_path,
            simulator,
            "ALL_PROXY",
            f"socks5://user:s3cret@127.0.0.1:{server.port}",
        )
    finally:
        server.close()
    assert run.code == 1
    assert run.codes == {"proxy_protocol"}, run.data["findings"]
    finding = run.data["findings"][0]
    assert f"socks5://***:***@127.0.0.1:{server.port}" in finding["message"]
    assert "not speak SOCKS" in finding["message"]
    assert "http://" in finding["remedy"]
    assert "s3cret" not in run.out + run.err + run.report
    assert server.connections >= 1 and simulator.requests == []


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "ALL_PROXY"])
def test_proxy_with_a_bracketed_host_that_is_no_ipv6_address_is_exit_2(
    capsys, env, tmp_path, simulator, variable
):
    """C15: Python 3.10's urlsplit accepts `[::zz]`, httpx refused it mid-run with an
    InvalidURL traceback; now every Python refuses it before the first packet, naming the
    variable and not its value (which may hold a password)."""
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    env.setenv(variable, "http://alice:pr0xyPw@[::zz]:3128")
    report = tmp_path / "r.md"
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--ca-file", str(simulator.ca_file), "--report", str(report)]
    capsys.readouterr()
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert f"The proxy in {variable} is not a valid URL" in err
    assert "pr0xyPw" not in out + err and "Traceback" not in err
    assert not report.exists() and simulator.requests == []


# ------------------------------------------------------------------------------ D17
def test_rate_limited_key_of_another_region_is_not_verified_not_works(
    capsys, env, tmp_path, simulator
):
    """A 429 from a rate limiter in front of the key check proves nothing about the key."""
    write_config(tmp_path, simulator, region="cn-beijing", style="shared")
    simulator.inject(Fault("rate_limit", host="dashscope.aliyuncs.com"))
    key = simulator.key("ap-southeast-1")  # a Singapore key on a Beijing profile
    run = doctor(capsys, env, tmp_path, simulator, key)
    assert run.code == 1
    assert run.data["verdict"] == "warn" and run.data["key_verified"] is False
    assert all(c["key_accepted"] is None for c in run.data["checks"])
    finding = next(f for f in run.data["findings"] if f["code"] == "rate_limited")
    assert finding["message"].startswith("Not verified: rate-limited")
    assert "Key accepted" not in run.out + run.report
    assert "not verified" in run.report
    env.setenv(KEY_VAR, key)
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    main(argv)
    out = capsys.readouterr().out
    assert "Verdict: WARN - not verified" in out and "it works" not in out
    assert "Key accepted" not in out
    # With consent, the other regions tell where the key belongs.
    run = doctor(capsys, env, tmp_path, simulator, key, "--all-regions")
    assert "key_other_region" in run.codes, run.data["findings"]
    other = next(f for f in run.data["findings"] if f["code"] == "key_other_region")
    assert "ap-southeast-1" in other["message"]


@pytest.mark.parametrize(
    ("status", "code", "proven"),
    [
        (200, None, True),
        (401, "invalid_api_key", False),
        (429, "limit_requests", None),
        (429, "insufficient_quota", None),
        (429, None, None),
        (403, "AccessDenied", None),
        (403, "Workspace.AccessDenied", None),
        (403, "Arrearage", True),
        (400, "Arrearage", True),
        (404, "model_not_found", True),
        (400, "data_inspection_failed", True),
        (404, "WorkSpaceNotFound", None),
        (500, "InternalError", None),
    ],
)
def test_which_answers_prove_the_key(status, code, proven):
    """MODEL_STUDIO.md section 4, encoded once (findings.key_proven) and used by the judge."""
    from app.findings.judge import judge_response, key_proven

    assert key_proven(status, code) is proven
    body = json.dumps({"error": {"code": code, "message": "m"}} if code else {"ok": 1})
    judged = judge_response(
        status, "application/json", body.encode(), oversized=False, inference=True
    )
    assert judged.key_accepted is proven


# ------------------------------------------------------------------------------ D22
def test_no_proxy_match_names_the_bypassed_proxy_redacted(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv("HTTPS_PROXY", "http://alice:s3cr3t@127.0.0.1:9")
    env.setenv("NO_PROXY", "localhost,.aliyuncs.com")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code == 0, run.data["findings"]
    expected = (
        "direct (NO_PROXY=.aliyuncs.com matches; HTTPS_PROXY=http://***:***@127.0.0.1:9 bypassed)"
    )
    assert run.data["environment"]["proxy"] == expected
    assert f"Proxy: {expected}" in run.report.replace("\\", "")
    assert "s3cr3t" not in run.out + run.report


def test_proxy_refusing_the_credentials_sent_says_so(capsys, env, tmp_path, simulator):
    from app.simulator.proxy import ConnectProxy

    proxy = ConnectProxy(upstream=(simulator.host, simulator.port), auth=("alice", "right"))
    proxy.start_in_thread()
    try:
        run = doctor_via_proxy(
            capsys,
            env,
            tmp_path,
            simulator,
            "HTTPS_PROXY",
            f"http://alice:wrong@127.0.0.1:{proxy.port}",
        )
        assert run.codes == {"proxy_auth_refused"}
        finding = run.data["findings"][0]
        assert "refused the user and password" in finding["message"]
        assert "put the proxy user" not in finding["remedy"].lower()
        assert "Check the proxy user and password" in finding["remedy"]
        assert "wrong" not in run.out + run.report
        assert proxy.tunnels and proxy.tunnels[0].status == 407
    finally:
        proxy.stop_thread()


# ------------------------------------------------------------------------------ E27
def test_chinese_doctor_output_has_no_english_region_scope_or_verdict_words(
    capsys, env, tmp_path, simulator
):
    """A Beijing profile with a Singapore key, regions searched, text and report in zh."""
    write_config(tmp_path, simulator, region="cn-beijing", style="shared")
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    report = tmp_path / "r.md"
    argv = ["doctor", "--lang", "zh", "--all-regions", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    argv += ["--report", str(report)]
    capsys.readouterr()
    try:
        assert main(argv) == 1
    finally:
        from app.core.i18n import set_language

        set_language("en")
    out = capsys.readouterr().out
    md = report.read_text(encoding="utf-8")
    for text in (out, md):
        assert "以下地域接受它：新加坡（ap-southeast-1）" in text
        assert "德国（法兰克福）、日本（东京）" in text  # zh names, zh list separator
        for english in ("Singapore", "Germany", "Frankfurt", "Tokyo", "China (Beijing)"):
            assert english not in text, english
        assert "部署范围 中国内地（mainland）" in text and "部署范围 mainland" not in text
        assert "地域 中国（北京）（cn-beijing）" in text
        for line in text.splitlines():
            assert not line.lstrip(" -").startswith(("）", "，", "。", "：")), line
    assert "位置：OpenAI 兼容、Anthropic 兼容、DashScope 原生" in out
    assert "  操作系统：" in out and "操作系统: " not in out
    assert "结论：**失败**" in md and "**fail**" not in md and "fail，" not in md


def test_key_verified_is_false_without_a_key_or_with_a_refused_one(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    assert doctor(capsys, env, tmp_path, simulator, None).data["key_verified"] is False
    refused = doctor(capsys, env, tmp_path, simulator, "sk-" + "a" * 32)
    assert refused.data["key_verified"] is False
    good = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert good.data["key_verified"] is True
