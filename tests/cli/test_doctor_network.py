"""`doctor` decides per client (issue 11 section 1): which proxy each client's own rules
pick for the profile's URLs, the routes the probe did not take tested once each, and
which clients trust the certificate chain the profile's host presented. Against the
simulator over real TLS and a real CONNECT proxy on loopback."""

from __future__ import annotations

from app.simulator.proxy import ConnectProxy
from tests.fixtures.doctor import doctor, write_config


def test_a_wildcard_no_proxy_splits_the_clients_and_both_routes_are_tested(
    capsys, env, tmp_path, simulator, current_httpx2
):
    """NO_PROXY=*.aliyuncs.com: httpx2 >= 2.15 (the openai SDK on Python >= 3.11) goes
    direct, the anthropic SDK, litellm and dashscope go through the proxy (CLIENTS.md,
    measured)."""
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port))
    proxy.start_in_thread()
    try:
        write_config(tmp_path, simulator)
        env.setenv("HTTPS_PROXY", proxy.url)
        env.setenv("NO_PROXY", "*.aliyuncs.com")
        run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
        split = [f for f in run.data["findings"] if f["code"] == "proxy_clients_disagree"]
        assert split, run.data["findings"]
        text = split[0]["message"]
        assert "go direct" in text and "go through" in text
        assert "openai" in text and "anthropic" in text
        routes = {
            (r["client"], r["outcome"])
            for r in run.data["clients"]["routes"]
            if r["url"].startswith("https://") and "/compatible-mode/" in r["url"]
        }
        assert ("openai", "direct") in routes and ("anthropic", "proxy") in routes
        assert ("dashscope", "proxy") in routes
        # The probe took one route; the other was tested once, and works.
        paths = run.data["clients"]["paths"]
        assert len(paths) == 1 and paths[0]["status"] == "pass", paths
        assert "client_path_fails" not in run.codes
        assert run.data["verdict"] == "warn"
    finally:
        proxy.stop_thread()


def test_a_scheme_less_proxy_with_a_password_fails_some_clients_and_is_never_shown(
    capsys, env, tmp_path, simulator
):
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port), auth=("alice", "s3cr3t"))
    proxy.start_in_thread()
    try:
        write_config(tmp_path, simulator)
        env.setenv("HTTPS_PROXY", proxy.url_with_auth().removeprefix("http://"))
        run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), pin=False)
        refused = [f for f in run.data["findings"] if f["code"] == "client_proxy_refused"]
        assert refused and "dashscope" in " ".join(f["remedy"] for f in refused)
        assert all(c["status"] == "pass" for c in run.data["checks"])
        assert "s3cr3t" not in run.out + run.err + run.report
    finally:
        proxy.stop_thread()


def test_a_ca_only_some_clients_trust_names_the_variable_the_others_need(
    capsys, env, tmp_path, simulator
):
    """SSL_CERT_FILE holds the CA: the openai SDK (httpx2) trusts it; dashscope (requests,
    certifi) and the Node agents (built-in roots) do not, and doctor says which variable
    each of them needs."""
    write_config(tmp_path, simulator)
    env.setenv("SSL_CERT_FILE", str(simulator.ca_file))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    differs = [f for f in run.data["findings"] if f["code"] == "client_trust_differs"]
    assert differs, run.data["findings"]
    message = differs[0]["message"]
    assert "REQUESTS_CA_BUNDLE" in message and "NODE_EXTRA_CA_CERTS" in message
    trust = {t["client"]: t["accepts_presented_chain"] for t in run.data["clients"]["trust"]}
    assert trust["openai"] is True and trust["dashscope"] is False
    assert trust["qwen-code"] is False


def test_without_proxy_or_ca_variables_nothing_is_said(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code == 0 and run.data["findings"] == []
    assert run.data["clients"]["paths"] == []
    assert {r["outcome"] for r in run.data["clients"]["routes"]} == {"direct"}
