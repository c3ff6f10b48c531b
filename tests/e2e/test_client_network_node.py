"""The Node-side rules of app.clients measured against real JavaScript.

- undici's EnvHttpProxyAgent, pinned from npm (8.14.1 for Node apps, 7.30.3 for the copy
  Node itself uses behind NODE_USE_ENV_PROXY=1), installed with npm into a cache directory
  together with the npm package `node` (undici 8 needs Node >= 22.19, the machine's may be
  older). Skipped only when npm is not on PATH; CI has npm.
- Qwen Code's own bundled undici (the chunk inside @qwen-code/qwen-code 0.24.4, from the
  pinned real clients of tests/fixtures/real_clients.py), built as Qwen Code builds it.
- Node's trust store on a real TLS handshake: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE,
  NODE_USE_SYSTEM_CA=1, --use-openssl-ca.

The agent's decision is read without a network: the three agents it holds (direct, http
proxy, https proxy) are swapped for recorders before one request is dispatched, so the
recorder that gets the request is the route undici chose.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

from app.clients.ca_store import ca_in_store
from app.clients.proxy_rules import decide
from app.clients.trust_stores import trust_for
from tests.fixtures.real_clients import RealClients, install_root

UNDICI = "8.14.1"
UNDICI_7 = "7.30.3"
NODE = "22.23.3"
PROXY = "http://user:secret@proxy.corp:3128"
MS = "https://dashscope.aliyuncs.com/compatible-mode/v1"
WS = "https://ws-abc123.cn-beijing.maas.aliyuncs.com/compatible-mode/v1"
CODING = "https://coding.dashscope.aliyuncs.com/v1"
LOOP6 = "https://[::1]:8443/v1"
LOOP4 = "https://127.0.0.1:8443/v1"
PLAIN = "http://dashscope.aliyuncs.com/api/v1"
NO_PROXY_FORMS = [
    ("*", MS),
    ("*,localhost", MS),
    (" *", MS),
    ("aliyuncs.com", MS),
    (".aliyuncs.com", MS),
    ("*.aliyuncs.com", WS),
    ("*.dashscope.aliyuncs.com", MS),
    ("maas.aliyuncs.com:443", WS),
    ("maas.aliyuncs.com:8443", WS),
    ("aliyuncs.com.", MS),
    ("DashScope.Aliyuncs.COM", MS),
    ("dashscope.aliyuncs.com", CODING),
    ("scope.aliyuncs.com", MS),
    ("example.com aliyuncs.com", MS),
    ("example.com,\taliyuncs.com", MS),
    ("127.0.0.1", LOOP4),
    ("127.0.0.0/8", LOOP4),
    ("::1", LOOP6),
    ("[::1]", LOOP6),
    ("[::1]:8443", LOOP6),
    ("", MS),
]
CASES = [({"HTTPS_PROXY": PROXY, "NO_PROXY": np}, url) for np, url in NO_PROXY_FORMS] + [
    ({"HTTPS_PROXY": PROXY, "no_proxy": "", "NO_PROXY": ".aliyuncs.com"}, MS),
    ({"HTTPS_PROXY": PROXY, "https_proxy": ""}, MS),
    ({"HTTPS_PROXY": PROXY, "https_proxy": "http://other.corp:8080"}, MS),
    ({"HTTP_PROXY": PROXY}, MS),
    ({"HTTP_PROXY": PROXY}, PLAIN),
    ({"ALL_PROXY": PROXY}, MS),
    ({"HTTPS_PROXY": "10.0.0.1:3128"}, MS),
    ({"HTTPS_PROXY": "proxy.corp:3128"}, MS),
    ({}, MS),
]

# Reads [{env, url}] on stdin, prints one route per case: ["direct"], ["refused"] or
# ["proxy", host, port]. argv: where undici is (an install dir, or an ESM chunk that
# exports it), the package name to require there, the agent options as JSON.
PROBE = r"""
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
const [where, name, optsJson] = process.argv.slice(2)
const undici = where.endsWith('.js')
  ? (await import(pathToFileURL(where).href)).default
  : createRequire(where + '/')(name)
const opts = JSON.parse(optsJson)
const cases = JSON.parse(readFileSync(0, 'utf8'))
const noop = () => {}
const handler = new Proxy({}, { get: () => noop })
const out = []
for (const c of cases) {
  for (const k of Object.keys(process.env)) if (/_proxy$/i.test(k)) delete process.env[k]
  Object.assign(process.env, c.env)
  let route
  try {
    const agent = new undici.EnvHttpProxyAgent(opts)
    const names = ['no proxy agent', 'http proxy agent', 'https proxy agent']
    const own = Object.getOwnPropertySymbols(agent)
    const direct = agent[own.find(s => s.description === 'no proxy agent')]
    let chosen
    for (const s of Object.getOwnPropertySymbols(agent)) {
      if (!names.includes(s.description)) continue
      const held = agent[s]
      agent[s] = { dispatch: () => { chosen = held; return true }, close: noop, destroy: noop }
    }
    agent.dispatch({ origin: new URL(c.url).origin, path: '/', method: 'GET' }, handler)
    if (chosen === direct) route = ['direct']
    else {
      const conf = Object.getOwnPropertySymbols(chosen).map(s => chosen[s]).find(v => v && v.uri)
      const u = new URL(conf.uri)
      route = u.hostname ? ['proxy', u.hostname, Number(u.port) || 80] : ['refused']
    }
  } catch (e) {
    route = ['refused']
  }
  out.push(route)
}
console.log(JSON.stringify(out))
"""


@pytest.fixture(scope="module")
def npm_undici() -> Path:
    """undici (two versions) and Node from npm, installed once into a cache directory."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not on PATH: the undici comparison installs undici from npm")
    root = install_root().parent / f"undici-{UNDICI}-{UNDICI_7}-node-{NODE}"
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".installed").is_file():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            manifest = {
                "name": "undici-probe",
                "private": True,
                "dependencies": {
                    "undici": UNDICI,
                    "undici7": f"npm:undici@{UNDICI_7}",
                    "node": NODE,
                },
                "allowScripts": {"node": True},
            }
            (root / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
            cmd = [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--no-update-notifier",
                "--loglevel=error",
            ]
            proc = subprocess.run(
                cmd, cwd=root, capture_output=True, text=True, timeout=900, check=False
            )
            if proc.returncode != 0:
                pytest.fail(f"npm install of undici failed:\n{proc.stderr[-3000:]}", pytrace=False)
            (root / ".installed").write_text("ok\n", encoding="utf-8")
    return root


def _run_probe(node: Path, where: Path, name: str, opts: dict[str, str], cases: list) -> list:
    script = where.parent / "probe-routes.mjs"
    script.write_text(PROBE, encoding="utf-8")
    payload = json.dumps([{"env": env, "url": url} for env, url in cases])
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.run(
        [str(node), str(script), str(where), name, json.dumps(opts)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [tuple(r) for r in json.loads(proc.stdout)]


def _mine(stack: str, env: dict[str, str], url: str) -> tuple:
    d = decide(stack, url, env)
    if d.refused:
        return ("refused",)
    if d.proxy is None:
        return ("direct",)
    parts = urlsplit(d.proxy)
    return ("proxy", parts.hostname, parts.port or 80)


@pytest.mark.parametrize("package, stack", [("undici", "undici"), ("undici7", "undici-7")])
def test_undici_env_proxy_agent_routes(npm_undici, package, stack):
    """`new EnvHttpProxyAgent()` of a Node app (undici 8) and of Node's own copy (undici 7)
    route every case as `decide(stack, ...)` says."""
    node = npm_undici / "node_modules" / "node" / "bin" / "node"
    real = _run_probe(node, npm_undici / "node_modules", package, {}, CASES)
    mine = [_mine(stack, env, url) for env, url in CASES]
    assert [(c, r, m) for c, r, m in zip(CASES, real, mine, strict=True) if r != m] == []
    assert {r[0] for r in real} == {"direct", "proxy", "refused"}  # the cases reach every route


def test_qwen_code_s_bundled_undici_routes(real_clients: RealClients, tmp_path):
    """Qwen Code builds `new EnvHttpProxyAgent({httpProxy: p, httpsProxy: p})` from its
    proxy setting and leaves NO_PROXY to the agent: the bundled (pre-8.10) matcher."""
    chunks = real_clients.modules / "@qwen-code" / "qwen-code" / "chunks"
    bundled = sorted(chunks.glob("undici-*.js"))
    assert bundled, f"no bundled undici chunk in {chunks}: re-read Qwen Code's bundle"
    cases = [(env, url) for env, url in CASES if env.get("HTTPS_PROXY") == PROXY and len(env) == 2]
    opts = {"httpProxy": PROXY, "httpsProxy": PROXY}
    real = _run_probe(real_clients.node, bundled[0], "undici", opts, cases)
    mine = [_mine("qwen-code", env, url) for env, url in cases]
    assert [(c, r) for c, r, m in zip(cases, real, mine, strict=True) if r != m] == []


# --- Node's trust store, on a real TLS handshake -----------------------------------------

CONNECT = r"""
const https = require('node:https')
const port = Number(process.argv[2])
const options = { host: '127.0.0.1', port, servername: 'dashscope.aliyuncs.com' }
const req = https.get(options, res => { console.log('accepted'); res.resume(); process.exit(0) })
req.on('error', e => { console.log('rejected ' + (e.code || e.message)); process.exit(0) })
"""


@contextlib.contextmanager
def tls_server(cert: trustme.LeafCert) -> Iterator[tuple[int, list[str]]]:
    """A TLS server on loopback; yields its port and the request lines it received (a
    request line arrives only after the client accepted the certificate)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    requests: list[str] = []
    cert.configure_cert(ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with (
                contextlib.suppress(OSError, ssl.SSLError),
                ctx.wrap_socket(conn, server_side=True) as tls,
            ):
                requests.append(tls.recv(4096).split(b"\r\n", 1)[0].decode("latin1"))
                tls.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], requests
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.fixture(scope="module")
def corp():
    ca = trustme.CA(organization_name="Example Corp Inspection")
    return ca, ca.issue_cert("dashscope.aliyuncs.com", "127.0.0.1")


def test_node_trusts_what_trust_for_says(npm_undici, corp, tmp_path):
    node = npm_undici / "node_modules" / "node" / "bin" / "node"
    ca_file = tmp_path / "corp.pem"
    corp[0].cert_pem.write_to_path(str(ca_file))
    chain = [ssl.PEM_cert_to_DER_cert(b.bytes().decode()) for b in corp[1].cert_chain_pems]
    script = tmp_path / "connect.js"
    script.write_text(CONNECT, encoding="utf-8")
    cases = [
        {},
        {"NODE_EXTRA_CA_CERTS": str(ca_file)},
        {"SSL_CERT_FILE": str(ca_file)},
        {"NODE_USE_SYSTEM_CA": "1", "SSL_CERT_FILE": str(ca_file)},
        {"NODE_OPTIONS": "--use-openssl-ca", "SSL_CERT_FILE": str(ca_file)},
    ]
    with tls_server(corp[1]) as (port, _):
        for env in cases:
            run_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
            proc = subprocess.run(
                [str(node), str(script), str(port)],
                capture_output=True,
                text=True,
                timeout=60,
                env=run_env,
                check=False,
            )
            accepted = proc.stdout.startswith("accepted")
            assert ca_in_store(trust_for("node", env, "linux"), chain) is accepted, (
                env,
                proc.stdout,
            )


# --- Bun (opencode) and Claude Code, run for real in a private network namespace ---------

# Runs inside `unshare --user --map-root-user --net --mount`: brings loopback up, points the
# case hosts at 127.0.0.1 in a private /etc/hosts, listens as the proxy (a free port) and as
# the hosts themselves (443, 8443), runs the client once per case and reports which
# listener the request reached first: "proxy", "direct", or "refused" (the client gave up
# or exited without reaching either). Nothing can leave the namespace.
DRIVER = r"""
import fcntl, json, os, socket, struct, subprocess, sys, threading, time
spec = json.load(sys.stdin)
s = socket.socket()
flags = struct.unpack("16sH14s", fcntl.ioctl(s, 0x8913, struct.pack("16sH14s", b"lo", 0, b"")))[1]
fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))
hosts = os.path.join(spec["tmp"], "hosts")
with open(hosts, "w") as f:
    f.write("127.0.0.1 localhost\n::1 localhost\n")
    f.writelines(f"127.0.0.1 {h}\n" for h in spec["hosts"])
subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
events = []
def listen(host, port, tag):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.create_server((host, port), family=family)
    def loop():
        while True:
            c, _ = srv.accept(); c.settimeout(2)
            try: line = c.recv(4096).split(b"\r\n", 1)[0].decode("latin1")
            except OSError: line = ""
            events.append((tag, line)); c.close()
    threading.Thread(target=loop, daemon=True).start()
    return srv.getsockname()[1]
port = listen("127.0.0.1", 0, "proxy")
for h in ("127.0.0.1", "::1"):
    for p in (443, 8443):
        listen(h, p, "direct")
out = []
for case in spec["cases"]:
    env = dict(spec["base"], **{k: v.replace("{port}", str(port)) for k, v in case["env"].items()})
    before = len(events)
    argv = [a.replace("{url}", case["url"]) for a in spec["argv"]]
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(argv, env=env, stdin=quiet, stdout=quiet, stderr=quiet)
    start, route = time.monotonic(), None
    while route is None and time.monotonic() - start < spec["wait"]:
        for tag, line in events[before:]:
            if tag == "direct" or case["host"] in line:
                route = tag
                break
        else:
            if proc.poll() is not None and time.monotonic() - start > 0.3:
                time.sleep(0.2)
                route = "refused" if len(events) == before else None
            time.sleep(0.05)
    proc.kill(); proc.wait()
    out.append(route or "refused")
print(json.dumps(out))
"""
BUN_FETCH = """
try { await fetch(process.argv.at(-1), { signal: AbortSignal.timeout(5000) }) } catch {}
"""
RUN_PROXY = "http://user:secret@127.0.0.1:{port}"  # the driver's listener
INTL = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
PORTED = "https://ws-abc123.cn-beijing.maas.aliyuncs.com:443/compatible-mode/v1"
LOOP6_ = "https://[::1]:8443/v1"
RUN_FORMS = [
    ("*,localhost", MS),
    (" * ", MS),
    ("aliyuncs.com", MS),
    ("*.aliyuncs.com", WS),
    ("*.dashscope.aliyuncs.com", MS),
    ("maas.aliyuncs.com:443", WS),
    ("maas.aliyuncs.com:443", PORTED),
    ("aliyuncs.com.", MS),
    ("DashScope.Aliyuncs.COM", MS),
    ("dashscope.aliyuncs.com", CODING),
    ("dashscope.aliyuncs.com", INTL),
    ("scope.aliyuncs.com", MS),
    ("example.com aliyuncs.com", MS),
    ("example.com, aliyuncs.com", MS),
    (",", MS),
    ("127.0.0.0/8", LOOP4),
    ("127.0.0.1:8443", LOOP4),
    ("::1", LOOP6_),
    ("[::1]", LOOP6_),
]
RUN_CASES = [({"HTTPS_PROXY": RUN_PROXY, "NO_PROXY": n}, u) for n, u in RUN_FORMS] + [
    ({"HTTPS_PROXY": RUN_PROXY, "no_proxy": "", "NO_PROXY": ".aliyuncs.com"}, MS),
    ({"HTTPS_PROXY": RUN_PROXY, "no_proxy": "example.com", "NO_PROXY": ".aliyuncs.com"}, MS),
    ({"HTTPS_PROXY": RUN_PROXY, "https_proxy": ""}, MS),
    ({"https_proxy": RUN_PROXY, "HTTPS_PROXY": "http://127.0.0.1:1"}, MS),
    ({"HTTP_PROXY": RUN_PROXY}, MS),
    ({"ALL_PROXY": RUN_PROXY}, MS),
    ({"HTTPS_PROXY": "127.0.0.1:{port}"}, MS),
    ({"HTTPS_PROXY": "user:pw@127.0.0.1:{port}"}, MS),
    ({}, MS),
]


@pytest.fixture(scope="module")
def netns() -> list[str]:
    """The command prefix that runs a client with no way out of this machine."""
    unshare = shutil.which("unshare")
    prefix = [unshare or "unshare", "--user", "--map-root-user", "--net", "--mount"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip(
            "running the clients needs unprivileged user namespaces (unshare), so "
            "that a direct request cannot leave the machine"
        )
    return prefix


def _run_clients(netns, tmp_path, argv, base, cases, wait) -> list[str]:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    hosts = sorted({urlsplit(u).hostname or "" for _, u in cases} - {"127.0.0.1", "::1"})
    spec = {
        "tmp": str(tmp_path),
        "hosts": hosts,
        "base": base,
        "argv": argv,
        "wait": wait,
        "cases": [{"env": e, "url": u, "host": urlsplit(u).hostname} for e, u in cases],
    }
    proc = subprocess.run(
        [*netns, sys.executable, str(driver)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60 + wait * len(cases),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _route(stack: str, env: dict[str, str], url: str) -> str:
    d = decide(stack, url, {k: v.replace("{port}", "3128") for k, v in env.items()})
    return "refused" if d.refused else "direct" if d.proxy is None else "proxy"


def test_bun_routes_as_opencode_runs_it(real_clients: RealClients, netns, tmp_path):
    """opencode's own Bun (BUN_BE_BUN=1 makes the opencode binary the bun CLI) fetches
    each URL: the listener it reaches is the route `decide("bun", ...)` predicts."""
    binary = real_clients.modules / "opencode-linux-x64" / "bin" / "opencode"
    script = tmp_path / "fetch.mjs"
    script.write_text(BUN_FETCH, encoding="utf-8")
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BUN_BE_BUN": "1"}
    cases = [*RUN_CASES, ({"HTTPS_PROXY": "socks5://127.0.0.1:{port}"}, MS)]
    real = _run_clients(netns, tmp_path, [str(binary), str(script), "{url}"], base, cases, 8)
    mine = [_route("bun", e, u) for e, u in cases]
    assert [(c, r, m) for c, r, m in zip(cases, real, mine, strict=True) if r != m] == []


def test_claude_code_routes_as_it_runs(real_clients: RealClients, netns, tmp_path):
    """`claude -p` against a Model Studio base URL: the listener its first API request
    reaches is the route `decide("claude-code", ...)` predicts."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".claude.json").write_text('{"hasCompletedOnboarding": true}', encoding="utf-8")
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "ANTHROPIC_AUTH_TOKEN": "placeholder-token",
        "CI": "true",
        "TERM": "dumb",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }
    cases = [(dict(e, ANTHROPIC_BASE_URL=u), u) for e, u in RUN_CASES]
    real = _run_clients(
        netns, tmp_path, [*real_clients.command("claude"), "-p", "hi"], base, cases, 15
    )
    mine = [_route("claude-code", e, u) for e, u in cases]
    assert [(c, r, m) for c, r, m in zip(cases, real, mine, strict=True) if r != m] == []


BUN_CONNECT = """
try { await fetch(`https://127.0.0.1:${process.argv.at(-1)}/`); console.log('accepted') }
catch (e) { console.log('rejected ' + (e.code || e.name)) }
"""


def _trust_cases(ca_file: Path) -> list[dict[str, str]]:
    path = str(ca_file)
    return [
        {},
        {"NODE_EXTRA_CA_CERTS": path},
        {"SSL_CERT_FILE": path},
        {"NODE_USE_SYSTEM_CA": "1", "SSL_CERT_FILE": path},
        {"NODE_OPTIONS": "--use-system-ca", "SSL_CERT_FILE": path},
    ]


def test_bun_trusts_what_trust_for_says(real_clients: RealClients, netns, corp, tmp_path):
    """opencode's Bun: bundled roots, SSL_CERT_FILE / SSL_CERT_DIR, NODE_EXTRA_CA_CERTS, and
    the OS store only with NODE_USE_SYSTEM_CA=1. The OS store case runs in a private mount
    namespace whose OS CA bundle is the corporate CA alone (IT installed it; nothing else)."""
    binary = real_clients.modules / "opencode-linux-x64" / "bin" / "opencode"
    ca_file = tmp_path / "corp.pem"
    corp[0].cert_pem.write_to_path(str(ca_file))
    chain = [ssl.PEM_cert_to_DER_cert(b.bytes().decode()) for b in corp[1].cert_chain_pems]
    script = tmp_path / "connect.mjs"
    script.write_text(BUN_CONNECT, encoding="utf-8")
    folder = tmp_path / "certs"
    folder.mkdir()
    hashed = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(ca_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (folder / f"{hashed}.0").write_bytes(ca_file.read_bytes())
    os_bundle = "/etc/ssl/certs/ca-certificates.crt"
    cases = [*_trust_cases(ca_file), {"SSL_CERT_DIR": str(folder)}]
    with tls_server(corp[1]) as (port, _):
        for env in cases:
            run_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BUN_BE_BUN": "1", **env}
            accepted = _bun_connects([str(binary), str(script), str(port)], run_env)
            assert ca_in_store(trust_for("bun", env, "linux"), chain) is accepted, env
        if os.path.isfile(os_bundle):
            mounted = [
                *netns[:3],
                "--mount",
                "sh",
                "-c",
                f'mount --bind "$0" {os_bundle} && exec "$@"',
            ]
            for env, in_os in (({}, False), ({"NODE_USE_SYSTEM_CA": "1"}, True)):
                run_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BUN_BE_BUN": "1", **env}
                argv = [*mounted, str(ca_file), str(binary), str(script), str(port)]
                assert _bun_connects(argv, run_env) is in_os, env
                assert ("os" in trust_for("bun", env, "linux").kinds) is in_os


def _bun_connects(argv: list[str], env: dict[str, str]) -> bool:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert proc.stdout.startswith(("accepted", "rejected")), proc.stdout + proc.stderr
    return proc.stdout.startswith("accepted")


def test_claude_code_trusts_what_trust_for_says(real_clients: RealClients, corp, tmp_path):
    """Claude Code's default store is bundled + system (on Linux OpenSSL's file, which
    SSL_CERT_FILE replaces); CLAUDE_CODE_CERT_STORE=bundled drops the system part."""
    ca_file = tmp_path / "corp.pem"
    corp[0].cert_pem.write_to_path(str(ca_file))
    chain = [ssl.PEM_cert_to_DER_cert(b.bytes().decode()) for b in corp[1].cert_chain_pems]
    home = tmp_path / "home"
    home.mkdir()
    (home / ".claude.json").write_text('{"hasCompletedOnboarding": true}', encoding="utf-8")
    cases = [
        {},
        {"NODE_EXTRA_CA_CERTS": str(ca_file)},
        {"SSL_CERT_FILE": str(ca_file)},
        {"CLAUDE_CODE_CERT_STORE": "bundled", "SSL_CERT_FILE": str(ca_file)},
    ]
    with tls_server(corp[1]) as (port, requests):
        for env in cases:
            run_env = {
                "PATH": "/usr/bin:/bin",
                "HOME": str(home),
                "CI": "true",
                "TERM": "dumb",
                "ANTHROPIC_BASE_URL": f"https://127.0.0.1:{port}/apps/anthropic",
                "ANTHROPIC_AUTH_TOKEN": "placeholder-token",
                "DISABLE_AUTOUPDATER": "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "DISABLE_TELEMETRY": "1",
                "DISABLE_ERROR_REPORTING": "1",
                **env,
            }
            before = len(requests)
            quiet = subprocess.DEVNULL
            argv = [*real_clients.command("claude"), "-p", "hi"]
            proc = subprocess.Popen(argv, env=run_env, stdin=quiet, stdout=quiet, stderr=quiet)
            deadline = time.monotonic() + 12
            while len(requests) == before and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            proc.kill()
            proc.wait()
            accepted = len(requests) > before
            assert ca_in_store(trust_for("claude-code", env, "linux"), chain) is accepted, env
