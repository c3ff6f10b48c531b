"""The simulator as a server: TLS modes, abuse, concurrency, shutdown, and the standalone command.

A doctor run opens ~18 connections at once, tests kill clients mid-request, and a developer
runs `python -m app.simulator` by hand: the server must stay correct and stoppable through all
of it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.simulator.faults import Fault
from app.simulator.server import Simulator
from app.simulator.tls import production_hosts
from tests.fixtures.simulator import pinned_async_client, pinned_client, sim_ssl_context

SG = "https://dashscope-intl.aliyuncs.com"
MODELS = f"{SG}/compatible-mode/v1/models"
ROOT = Path(__file__).resolve().parents[2]


def auth(sim, name: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.key(name)}"}


def tls_socket(sim: Simulator, server_name: str = "dashscope-intl.aliyuncs.com") -> ssl.SSLSocket:
    raw = socket.create_connection((sim.host, sim.port), timeout=5)
    return sim_ssl_context(sim).wrap_socket(raw, server_hostname=server_name)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except (ConnectionError, ssl.SSLError):
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


# ---- TLS --------------------------------------------------------------------------------------


def test_certificate_covers_every_production_host_of_the_catalog(simulator):
    from app.core.catalog import load_catalog

    catalog = load_catalog()
    names = ["dashscope.aliyuncs.com", "coding-intl.dashscope.aliyuncs.com"]
    for region in catalog.regions.values():
        names.append(region.hosts.workspace.replace("{ws}", "ws-abc"))
        names += [h for h in (region.hosts.shared, region.hosts.trial) if h]
    names += [
        "token-plan.cn-beijing.maas.aliyuncs.com",
        "token-plan.ap-southeast-1.maas.aliyuncs.com",
    ]
    with pinned_client(simulator) as c:
        for name in names:
            # Coding Plan hosts serve the OpenAI surface at /v1 only.
            path = "/v1/models" if name.startswith("coding") else "/compatible-mode/v1/models"
            assert c.get(f"https://{name}{path}").status_code == 401, name
    assert "*.eu-central-1.maas.aliyuncs.com" in production_hosts()


def test_client_without_the_test_ca_fails_verification(simulator):
    raw = socket.create_connection((simulator.host, simulator.port), timeout=5)
    ctx = ssl.create_default_context()  # public roots only
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx.wrap_socket(raw, server_hostname="dashscope-intl.aliyuncs.com")
    raw.close()


@pytest.mark.parametrize(("cert", "reason"), [("expired", "expired"), ("wrong_host", "match")])
def test_broken_certificates_fail_verification(simulator_ca, cert, reason):
    with Simulator(ca=simulator_ca, cert=cert) as sim:
        with pytest.raises(ssl.SSLCertVerificationError) as err:
            tls_socket(sim)
        assert reason in str(err.value).lower()


def test_tls_dir_keeps_the_same_ca_across_runs(tmp_path):
    with Simulator(tls_dir=tmp_path) as first:
        pem = first.ca_file.read_bytes()
        assert first.ca_file == tmp_path / "ca.pem"
        assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0
    with Simulator(tls_dir=tmp_path) as second, pinned_client(second) as c:
        assert second.ca_file.read_bytes() == pem
        assert c.get(MODELS, headers=auth(second)).status_code == 200


def test_own_temp_ca_dir_is_removed_at_stop():
    sim = Simulator().start_in_thread()
    ca = sim.ca_file
    assert ca.exists()
    sim.stop_thread()
    assert not ca.exists()


# ---- HTTP abuse ---------------------------------------------------------------------------


def test_body_over_1_mb_is_413_and_nothing_is_processed(simulator, sim_client):
    r = sim_client.post(
        f"{SG}/compatible-mode/v1/chat/completions",
        headers=auth(simulator),
        content=b"x" * (1024 * 1024 + 1),
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"
    assert simulator.requests[-1].status == 413


def test_chunked_body_over_the_cap_is_413(simulator):
    def body():
        for _ in range(20):
            yield b"y" * 65536

    with pinned_client(simulator) as c:
        r = c.post(f"{SG}/api/v1/services/aigc/text-generation/generation", content=body())
    assert r.status_code == 413
    assert r.json()["code"] == "RequestTooLarge"


def test_garbage_request_gets_400_and_the_server_lives_on(simulator, sim_client):
    with tls_socket(simulator) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 400")
    assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 200


def test_half_sent_request_times_out_with_408(simulator_ca):
    with Simulator(ca=simulator_ca, request_timeout=0.3) as sim, tls_socket(sim) as s:
        s.sendall(b"POST /api/v1/models HTTP/1.1\r\nHost: dashscope-intl.aliyuncs.com\r\n")
        assert read_all(s).startswith(b"HTTP/1.1 408")


def test_idle_keep_alive_connection_is_closed_quietly(simulator_ca):
    with Simulator(ca=simulator_ca, request_timeout=0.3) as sim, tls_socket(sim) as s:
        assert read_all(s) == b""


def test_keep_alive_serves_many_requests_on_one_connection(simulator, sim_client):
    for _ in range(5):
        assert sim_client.get(MODELS, headers=auth(simulator)).status_code == 200
    with tls_socket(simulator) as s:
        req = (
            b"GET /compatible-mode/v1/models HTTP/1.1\r\nHost: dashscope-intl.aliyuncs.com\r\n"
            b"Authorization: Bearer " + simulator.key("demo").encode() + b"\r\n\r\n"
        )
        s.sendall(req + req[:-2] + b"Connection: close\r\n\r\n")
        data = read_all(s)
    assert data.count(b"HTTP/1.1 200 OK") == 2


async def test_many_concurrent_connections_overlap(simulator):
    simulator.inject(Fault("latency", seconds=0.3))
    async with pinned_async_client(simulator) as client:
        hosts = [f"https://{h}" for h in ("dashscope-intl.aliyuncs.com", "dashscope.aliyuncs.com")]
        results = await asyncio.gather(
            *(client.get(f"{hosts[i % 2]}/compatible-mode/v1/models") for i in range(40))
        )
    assert [r.status_code for r in results] == [401] * 40
    records = simulator.requests
    # Structural, not timed: every request started before the first one finished.
    first_end = min(r.t_end for r in records)
    assert all(r.t_start < first_end for r in records)


def test_stop_is_clean_with_hanging_and_dripping_clients(simulator_ca):
    sim = Simulator(ca=simulator_ca).start_in_thread()
    sim.inject(Fault("hang", path_prefix="/compatible-mode"))
    sim.inject(Fault("drip", path_prefix="/api", chunk_delay=1.0))
    errors: list[BaseException] = []

    def call(url: str) -> None:
        try:
            with pinned_client(sim, timeout=30) as c:
                c.get(url)
        except httpx.HTTPError as exc:
            errors.append(exc)

    import threading

    threads = [
        threading.Thread(target=call, args=(u,)) for u in (MODELS, f"{SG}/api/v1/models") * 3
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(sim.requests) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    sim.stop_thread()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert len(errors) == 6  # every client saw its connection end, none hung
    with pytest.raises(OSError):
        socket.create_connection((sim.host, sim.port), timeout=2)


async def test_async_start_and_stop_in_the_callers_loop(simulator_ca):
    async with Simulator(ca=simulator_ca) as sim:
        async with pinned_async_client(sim) as client:
            r = await client.get(MODELS, headers=auth(sim))
        assert r.status_code == 200


# ---- curl and the standalone command --------------------------------------------------------


def test_curl_with_connect_to_and_cacert(simulator):
    out = subprocess.run(
        [
            "curl", "-sS", "--connect-to", simulator.connect_to, "--cacert", str(simulator.ca_file),
            "-H", f"Authorization: Bearer {simulator.key('demo')}",
            f"{SG}/compatible-mode/v1/models",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert '"object":"list"' in out.stdout


def test_standalone_command_prints_accounts_and_a_working_example(tmp_path):
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.simulator", "--tls-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl+C" in line:
                break
        banner = "".join(lines)
        from app.simulator.accounts import default_accounts

        for acc in default_accounts():
            assert acc.name in banner and acc.key in banner
        assert str(tmp_path / "ca.pem") in banner
        m = re.search(r"--connect-to (::127\.0\.0\.1:\d+)", banner)
        assert m
        port = int(m.group(1).rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            ctx.wrap_socket(raw, server_hostname="dashscope-intl.aliyuncs.com") as s,
        ):
            s.sendall(
                b"GET /api/v1/models HTTP/1.1\r\nHost: dashscope-intl.aliyuncs.com\r\n"
                b"Connection: close\r\n\r\n"
            )
            assert read_all(s).startswith(b"HTTP/1.1 401")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_standalone_command_refuses_plain_with_tls_dir(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "app.simulator", "--plain", "--tls-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--plain" in out.stderr
    assert not any(tmp_path.iterdir())


def test_standalone_command_in_chinese():
    from app.core.i18n import set_language
    from app.simulator.cli import banner

    with Simulator(tls=False) as sim:
        set_language("zh")
        try:
            text = banner(sim)
        finally:
            set_language("en")
    assert "账号" in text and sim.key("demo") in text


def test_malformed_chunked_body_is_400(simulator):
    with tls_socket(simulator) as s:
        s.sendall(
            b"POST /api/v1/services/aigc/text-generation/generation HTTP/1.1\r\n"
            b"Host: dashscope-intl.aliyuncs.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\nnot a chunk size\r\n"
        )
        data = read_all(s)
    assert data.startswith(b"HTTP/1.1 400")
    assert b'"code":"InvalidParameter"' in data
    assert simulator.errors == []


def test_expect_100_continue_is_honoured(simulator_ca):
    with Simulator(ca=simulator_ca, max_body=10_000) as sim, tls_socket(sim) as s:
        body = b'{"model": "qwen-plus", "input": {"prompt": "hi"}}'
        s.sendall(
            b"POST /api/v1/services/aigc/text-generation/generation HTTP/1.1\r\n"
            b"Host: dashscope-intl.aliyuncs.com\r\nExpect: 100-continue\r\nConnection: close\r\n"
            b"Authorization: Bearer " + sim.key("demo").encode() + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        assert s.recv(65536).startswith(b"HTTP/1.1 100")
        s.sendall(body)
        assert b"HTTP/1.1 200 OK" in read_all(s)


def test_curl_upload_over_the_cap_gets_413(simulator, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    out = subprocess.run(
        [
            "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
            "--connect-to", simulator.connect_to, "--cacert", str(simulator.ca_file),
            "--data-binary", f"@{big}", f"{SG}/compatible-mode/v1/chat/completions",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert out.stdout == "413", out.stderr


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 in this Python build")
def test_listening_on_ipv6_loopback_gives_bracketed_addresses(simulator_ca):
    sim = Simulator(ca=simulator_ca).start_in_thread(host="::1")
    try:
        assert sim.connect_to == f"::[::1]:{sim.port}"
        assert sim.url == f"https://[::1]:{sim.port}"
        out = subprocess.run(
            [
                "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "--connect-to", sim.connect_to, "--cacert", str(sim.ca_file), MODELS,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )  # fmt: skip
        assert out.stdout == "401", out.stderr
    finally:
        sim.stop_thread()


def test_standalone_command_on_a_busy_port_exits_2_with_a_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "app.simulator", "--plain", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": ""},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in out.stdout + out.stderr


def test_banner_for_a_region_without_a_shared_host(simulator_ca):
    from app.simulator.accounts import Account
    from app.simulator.cli import banner

    acc = Account(name="tokyo", key="sk-" + "2" * 32, region="ap-northeast-1", workspace_id="ws-t")
    with Simulator([acc], ca=simulator_ca) as sim:
        text = banner(sim)
    assert "https://ws-t.ap-northeast-1.maas.aliyuncs.com/compatible-mode/v1/models" in text


def test_standalone_command_with_proxy_prints_working_exports(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.simulator", "--proxy"],
        cwd=ROOT,
        env={**os.environ, "LANG": "C.UTF-8", "LC_ALL": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl+C" in line:
                break
        exports = next(line for line in lines if line.strip().startswith("export HTTPS_PROXY="))
        env = dict(item.split("=", 1) for item in exports.split()[1:])
        assert env["NO_PROXY"] == "" and env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"]
        key = next(line.split()[3] for line in lines if line.strip().startswith("demo "))
        verify = ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
        with httpx.Client(proxy=env["HTTPS_PROXY"], verify=verify, trust_env=False) as c:
            r = c.get(MODELS, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_standalone_command_refuses_plain_with_proxy():
    out = subprocess.run(
        [sys.executable, "-m", "app.simulator", "--plain", "--proxy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--proxy" in out.stderr
