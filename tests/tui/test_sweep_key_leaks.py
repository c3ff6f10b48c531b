"""Security sweep: the API key never appears where the user did not ask for it (SECURITY.md
T8, T10; the standards' "tests grep for it").

Every command runs end to end against the simulator with a distinctive key (full of `+ / = %`
so its base64 and URL forms differ from it), for every store kind; then stdout, stderr, every
file under the temporary HOME / config / export directories, the doctor report, DEBUG logs,
exception chains and the TUI's crash output are searched for the key in all its forms.
The only places the key may appear are the ones the user explicitly asked for: `key get` and
`env` on stdout, `--include-key` exports and the opt-in plain-text key file, the last two
with mode 0600.
"""

from __future__ import annotations

import json
import logging
import stat
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.export.formats import FORMATS, SHELLS
from app.simulator.accounts import fake_workspace_id
from app.simulator.faults import Fault
from app.simulator.proxy import ConnectProxy
from app.simulator.server import Simulator
from tests.fixtures.cli import CliResult
from tests.fixtures.keyring import SECRET_SERVICE_BACKEND
from tests.fixtures.sweep import (
    ARREARS_KEY,
    ENV_OTHER_KEY,
    OTHER_REGION_KEY,
    OTHER_WS_KEY,
    PLAN_KEY,
    REGION,
    SWEEP_KEY,
    SWEEP_WS,
    UNKNOWN_KEY,
    assert_no_leak,
    exception_chain,
    leaks,
    needles,
    scan_tree,
    sweep_accounts,
    sweep_simulator,
    write_config,
)

NET_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


@pytest.fixture(scope="module")
def sim(simulator_ca) -> Iterator[Simulator]:
    """The simulator with the sweep's distinctive accounts (shared by this module's tests)."""
    with sweep_simulator(simulator_ca) as s:
        yield s


@pytest.fixture
def net(sim, monkeypatch):
    """No proxy / CA variables from the machine; no leftover faults."""
    for var in NET_VARS:
        monkeypatch.delenv(var, raising=False)
    sim.clear_faults()
    yield sim
    sim.clear_faults()


def test_the_needles_catch_every_form() -> None:
    """The search itself: each encoding of the key is found inside surrounding text."""
    import base64
    from urllib.parse import quote

    assert len(set(needles(SWEEP_KEY).values())) > 20
    blobs = [
        f"Authorization: Bearer {SWEEP_KEY}",
        base64.b64encode(f"user:{SWEEP_KEY}".encode()).decode(),
        base64.b64encode(f"xy{SWEEP_KEY}zz".encode()).decode(),
        base64.urlsafe_b64encode(f"x{SWEEP_KEY}".encode()).decode(),
        f"?key={quote(SWEEP_KEY, safe='')}",
        repr(SWEEP_KEY[:20] + "..."),
        json.dumps({"k": SWEEP_KEY}),
    ]
    for blob in blobs:
        assert leaks(blob, [SWEEP_KEY]), blob
    assert not leaks("sk-…vT8pLm is stored", [SWEEP_KEY])  # the masked form is fine


# ---------------------------------------------------------------------------------------------
# Every command, every store kind, in-process (keyring: the real Secret Service in-process).
# ---------------------------------------------------------------------------------------------
Runner = Callable[..., CliResult]


def _configure(run: Runner, kind: str, profile: str, env_var: str) -> CliResult:
    args = ["configure", "--region", "ap-southeast-1", "--workspace-id", SWEEP_WS.upper()]
    args += ["--model", "qwen-plus", "--store", kind, "--profile", profile, "--default"]
    if kind == "env":
        return run(*args, "--api-key-env", env_var, env={env_var: SWEEP_KEY})
    return run(*args, "--api-key-stdin", input=f"  {SWEEP_KEY}\n")


def _sweep_commands(
    run: Runner, kind: str, profile: str, root: Path, sim: Simulator, env: dict[str, str]
) -> tuple[list[Path], list[tuple[str, CliResult]]]:
    """Run every command once; return (files allowed to hold the key, results to grep)."""
    out_dir = root / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    p = ["--profile", profile]
    results: list[tuple[str, CliResult]] = []
    allowed: list[Path] = []

    def go(
        label: str, *args: str, rc: int | tuple[int, ...] = 0, input: str | None = None
    ) -> CliResult:
        r = run(*args, env=env, input=input)
        assert r.rc in ((rc,) if isinstance(rc, int) else rc), (label, r.output)
        results.append((label, r))
        return r

    go("profiles list", "profiles", "list")
    go("profiles list --json", "profiles", "list", "--json")
    show = go("profiles show", "profiles", "show", profile)
    assert "…" in show.stdout  # the masked key: proves the key was found and shown masked
    data = json.loads(go("profiles show --json", "profiles", "show", *p, "--json").stdout)
    assert data["api_key"]["present"] is True
    for fmt, spec in FORMATS.items():
        go(f"export {fmt}", "export", "--format", fmt, *p)
        go(f"export {fmt} -o", "export", "--format", fmt, *p, "-o", str(out_dir / fmt))
        if spec.can_hold_key:
            target = out_dir / f"{fmt}.with-key"
            r = go(
                f"export {fmt} --include-key -o",
                "export",
                "--format",
                fmt,
                *p,
                "--include-key",
                "-o",
                str(target),
            )
            allowed.append(target)
            assert SWEEP_KEY in target.read_text(), fmt  # the opt-in really holds it
            assert stat.S_IMODE(target.stat().st_mode) == 0o600, fmt
            r = run("export", "--format", fmt, *p, "--include-key", env=env)
            assert r.rc == 0 and SWEEP_KEY in r.stdout, (fmt, r.output)
            assert_no_leak(f"stderr of export {fmt} --include-key", r.stderr)
        else:
            r = go(
                f"export {fmt} --include-key", "export", "--format", fmt, *p, "--include-key", rc=2
            )
            assert r.stdout == ""
    for shell in SHELLS:
        r = run("env", "--shell", shell, *p, env=env)  # the explicit request for the key
        assert r.rc == 0 and SWEEP_KEY in r.stdout, (shell, r.output)
        assert_no_leak(f"stderr of env --shell {shell}", r.stderr)
    got = run("key", "get", *p, env=env)
    assert (got.rc, got.stdout, got.stderr) == (0, SWEEP_KEY + "\n", ""), got.output
    report = root / "reports" / "doctor.md"
    report.parent.mkdir(exist_ok=True)  # doctor --report refuses a missing directory (B18)
    pins = ["--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file), "--timeout", "5"]
    go("doctor --json --report", "doctor", *p, *pins, "--json", "--report", str(report))
    assert "…" in report.read_text()  # the masked key is in the environment section
    go("doctor text", "doctor", *p, *pins)
    go("doctor --all-regions", "doctor", *p, *pins, "--all-regions", "--json")
    rotated = go("key set", "key", "set", *p, "--api-key-stdin", input=SWEEP_KEY + "\n")
    assert "…" in rotated.stdout or kind == "env"
    go("recommend", "recommend", "--residency", "none", "--near", "asia")
    go("recommend --json", "recommend", "--residency", "eu", "--need", "batch", "--json")
    return allowed, results


def _check_sweep(root: Path, allowed: list[Path], results: list[tuple[str, CliResult]]) -> None:
    for label, r in results:
        assert_no_leak(f"stdout of {label}", r.stdout)
        assert_no_leak(f"stderr of {label}", r.stderr)
    problems = scan_tree(root, allowed)
    assert not problems, problems


@pytest.mark.parametrize("kind", ["file", "env", "keyring"])
def test_every_command_in_process_never_leaks_the_key(kind, request, cli, net, tmp_path):
    if kind == "keyring":
        request.getfixturevalue("secret_service")
    profile = f"sweep-{uuid.uuid4().hex[:8]}"
    env_var = "SWEEP_VAR_KEY"
    # The key also sits in DASHSCOPE_API_KEY (where SDK users keep it): nothing may echo it.
    env = {"DASHSCOPE_API_KEY": SWEEP_KEY}
    if kind == "env":
        env[env_var] = SWEEP_KEY
    try:
        conf = _configure(cli, kind, profile, env_var)
        assert conf.rc == 0, conf.output
        assert SWEEP_WS in conf.stdout  # the normalised ID is shown back
        results = [("configure", conf)]
        allowed, more = _sweep_commands(cli, kind, profile, cli.root, net, env)
        results += more
        if kind == "file":
            key_file = cli.config.parent / "keys" / f"{profile}.key"
            assert SWEEP_KEY in key_file.read_text()
            allowed.append(key_file)
        _check_sweep(tmp_path, allowed, results)
        # The doctor reached the simulator with the key (so the grep above was meaningful).
        assert any(r.account == "sweep" for r in net.requests)
    finally:
        if kind == "keyring":
            cli("key", "delete", "--profile", profile, "--yes")


# ---------------------------------------------------------------------------------------------
# The same, as real subprocesses (the real entry point, a real keyring over D-Bus).
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["keyring", "file", "env"])
def test_every_store_kind_end_to_end_in_subprocesses(kind, request, run_cli, net, tmp_path):
    extra: dict[str, str] = {"DASHSCOPE_API_KEY": SWEEP_KEY}
    backend = "keyring.backends.fail.Keyring"
    if kind == "keyring":
        session = request.getfixturevalue("secret_service")
        extra.update(session.env)
        extra["HOME"] = str(run_cli.home)  # the keyring is reached over D-Bus, not HOME
        backend = SECRET_SERVICE_BACKEND
    profile = f"sub-{uuid.uuid4().hex[:8]}"

    def run(*args: str, **kw: object) -> CliResult:
        env = {**extra, **(kw.pop("env", None) or {})}  # type: ignore[arg-type]
        return run_cli(*args, env=env, keyring_backend=backend, **kw)  # type: ignore[arg-type]

    results: list[tuple[str, CliResult]] = []
    conf = _configure(run, kind, profile, "DASHSCOPE_API_KEY")
    assert conf.rc == 0, conf.output
    results.append(("configure", conf))
    p = ["--profile", profile]
    show = run("profiles", "show", *p, "--json")
    assert show.rc == 0 and json.loads(show.stdout)["api_key"]["present"], show.output
    results.append(("profiles show --json", show))
    target = run_cli.root / "out" / ".env"
    exp = run("export", "--format", "dotenv", *p, "--include-key", "-o", str(target))
    assert exp.rc == 0, exp.output
    assert SWEEP_KEY in target.read_text() and stat.S_IMODE(target.stat().st_mode) == 0o600
    results.append(("export --include-key", exp))
    got = run("key", "get", *p)
    assert (got.rc, got.stdout, got.stderr) == (0, SWEEP_KEY + "\n", ""), got.output
    report = run_cli.root / "doctor.md"
    doc = run(
        "doctor",
        *p,
        "--connect-to",
        net.connect_to,
        "--ca-file",
        str(net.ca_file),
        "--json",
        "--report",
        str(report),
    )
    assert doc.rc == 0, doc.output
    assert json.loads(doc.stdout)["verdict"] == "ok"
    results.append(("doctor", doc))
    allowed = [target]
    if kind == "file":
        allowed.append(run_cli.config.parent / "keys" / f"{profile}.key")
    if kind == "keyring":
        assert "store: keyring" in run_cli.config.read_text()
        assert run("key", "delete", *p, "--yes").rc == 0
    _check_sweep(tmp_path, allowed, results)


# ---------------------------------------------------------------------------------------------
# doctor: every class of failure, text + JSON + report, each with its own distinctive key.
# ---------------------------------------------------------------------------------------------
def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# (id, key, faults, extra args, proxy kind, expected finding code)
DOCTOR_CASES = [
    ("healthy", SWEEP_KEY, [], [], None, None),
    ("key_rejected", UNKNOWN_KEY, [], [], None, "key_rejected"),
    ("key_other_region", OTHER_REGION_KEY, [], ["--all-regions"], None, "key_other_region"),
    ("key_other_workspace", OTHER_WS_KEY, [], ["--all-regions"], None, "key_other_workspace"),
    ("plan_key_mismatch", PLAN_KEY, [], [], None, "plan_key_mismatch"),
    ("arrears", ARREARS_KEY, [], ["ws-of-key"], None, "arrears"),
    ("rate_limited", SWEEP_KEY, [Fault("rate_limit", retry_after=3)], [], None, "rate_limited"),
    ("quota", SWEEP_KEY, [Fault("quota")], [], None, "quota_exceeded"),
    ("server_error", SWEEP_KEY, [Fault("server_error")], [], None, "server_error"),
    ("unavailable", SWEEP_KEY, [Fault("unavailable")], [], None, "server_error"),
    (
        "access_denied",
        SWEEP_KEY,
        [Fault("status", status=403, code="AccessDenied")],
        [],
        None,
        "access_denied",
    ),
    (
        "workspace_not_found",
        SWEEP_KEY,
        [Fault("status", status=404, code="WorkSpaceNotFound")],
        [],
        None,
        "workspace_not_found",
    ),
    ("html", SWEEP_KEY, [Fault("html")], [], None, "unexpected_response"),
    ("huge", SWEEP_KEY, [Fault("huge")], [], None, "unexpected_response"),
    (
        "redirect",
        SWEEP_KEY,
        [Fault("redirect", location=f"https://evil.example.net/?k={SWEEP_KEY}")],
        [],
        None,
        "redirect_refused",
    ),
    ("hang", SWEEP_KEY, [Fault("hang")], ["--timeout", "1"], None, "timeout"),
    (
        "drip",
        SWEEP_KEY,
        [Fault("drip", chunk_size=1, chunk_delay=0.3)],
        ["--timeout", "1"],
        None,
        "timeout",
    ),
    ("reset", SWEEP_KEY, [Fault("reset")], [], None, "connection_reset"),  # B6: its own code
    ("tls_untrusted", SWEEP_KEY, [], ["no-ca"], None, "tls_untrusted"),
    ("connect_refused", SWEEP_KEY, [], ["closed-port"], None, "connect_refused"),
    ("dns_failed", SWEEP_KEY, [], ["nxdomain"], None, "dns_failed"),
    ("proxy_auth", SWEEP_KEY, [], [], "auth", "proxy_auth_required"),
    ("proxy_refused", SWEEP_KEY, [], [], "refuse", "proxy_failed"),
    ("env_key_differs", SWEEP_KEY, [], ["env-other"], None, "env_key_differs"),
    ("model_not_found", SWEEP_KEY, [], ["model-unknown"], None, "model_not_found"),
    # Servers and proxies that quote the key back in their error message (OpenAI-style
    # "Incorrect API key provided: sk-...") must not get it printed by the doctor.
    (
        "echo-401",
        SWEEP_KEY,
        [Fault("status", status=401, code="InvalidApiKey", message=f"Invalid key: {SWEEP_KEY}")],
        [],
        None,
        "key_rejected",
    ),
    (
        "echo-400",
        SWEEP_KEY,
        [Fault("status", status=400, code="InvalidParameter", message=f"Bearer {SWEEP_KEY}")],
        [],
        None,
        "*",
    ),
    (
        "echo-500",
        SWEEP_KEY,
        [Fault("status", status=500, code="InternalError", message=f"echo {SWEEP_KEY}")],
        [],
        None,
        "server_error",
    ),
]


@pytest.mark.parametrize(
    ("key", "faults", "extra", "proxy_kind", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in DOCTOR_CASES],
)
def test_doctor_findings_never_carry_the_key(
    key, faults, extra, proxy_kind, code, cli, net, tmp_path, monkeypatch
):
    sim = net
    model = "qwen-nonexistent-9" if "model-unknown" in extra else "qwen-plus"
    ws = fake_workspace_id("sw-arr") if "ws-of-key" in extra else SWEEP_WS
    write_config(cli.config, store="file", model=model, workspace_id=ws)
    stored = cli("key", "set", "--api-key-stdin", input=key)
    assert stored.rc == 0, stored.output
    for fault in faults:
        sim.inject(fault)
    args = ["--timeout", "5"]
    if "nxdomain" in extra:
        args += ["--connect-to", "::no-such-host.invalid:443", "--ca-file", str(sim.ca_file)]
    elif "closed-port" in extra:
        args += ["--connect-to", f"::127.0.0.1:{_closed_port()}", "--ca-file", str(sim.ca_file)]
    elif proxy_kind is None:
        args += ["--connect-to", sim.connect_to]
        if "no-ca" not in extra:
            args += ["--ca-file", str(sim.ca_file)]
    args += [a for a in extra if a.startswith("--") or a.isdigit()]
    env: dict[str, str] = {}
    if "env-other" in extra:
        env["DASHSCOPE_API_KEY"] = ENV_OTHER_KEY
    proxy = None
    if proxy_kind is not None:
        proxy = ConnectProxy(
            upstream=(sim.host, sim.port),
            auth=("alice", "pw") if proxy_kind == "auth" else None,
            refuse=proxy_kind == "refuse",
        ).start_in_thread()
        env.update({"HTTPS_PROXY": proxy.url, "NO_PROXY": "", "SSL_CERT_FILE": str(sim.ca_file)})
    first_request = len(sim.requests)
    try:
        report = tmp_path / "report.md"
        as_json = cli("doctor", *args, "--json", "--report", str(report), env=env)
        # Text in Chinese, on a "terminal" stderr: the live progress lines are swept too.
        with monkeypatch.context() as m:
            m.setattr(sys.stderr, "isatty", lambda: True)
            text = cli("doctor", *args, "--lang", "zh", env=env)
    finally:
        if proxy is not None:
            proxy.stop_thread()
    data = json.loads(as_json.stdout)
    codes = {f["code"] for f in data["findings"]}
    if code is None:
        assert as_json.rc == 0 and not codes, as_json.output
    else:
        assert code in codes or (code == "*" and codes), (codes, as_json.stderr)
        assert as_json.rc == 1 and text.rc == 1
    for label, blob in (
        ("doctor --json stdout", as_json.stdout),
        ("doctor --json stderr", as_json.stderr),
        ("doctor text stdout", text.stdout),
        ("doctor text stderr", text.stderr),
        ("doctor report", report.read_text()),
    ):
        assert_no_leak(label, blob)
    assert "✓" in text.stderr or "✗" in text.stderr or "!" in text.stderr  # progress shown
    key_file = cli.config.parent / "keys" / "default.key"
    problems = scan_tree(cli.root, [key_file])
    assert not problems, problems
    # T5: the key went only to the profile's own host (other regions only with consent).
    from app.secrets.key import ApiKey

    fingerprint = ApiKey(key).fingerprint()
    hosts = {r.host for r in sim.requests[first_request:] if r.key_fingerprint == fingerprint}
    if "--all-regions" not in extra:
        assert hosts <= {f"{ws}.{REGION}.maas.aliyuncs.com"}, hosts
    assert not any("evil" in h for h in hosts)


@pytest.mark.parametrize(
    ("cert", "code"), [("wrong_host", "tls_hostname_mismatch"), ("expired", "tls_expired")]
)
def test_doctor_certificate_findings_never_carry_the_key(
    cert, code, simulator_ca, cli, net, tmp_path
):
    bad = Simulator(sweep_accounts(), ca=simulator_ca, cert=cert).start_in_thread()
    try:
        write_config(cli.config, store="env", env="SWEEP_TLS_KEY")
        report = tmp_path / "tls.md"
        pins = ["--connect-to", bad.connect_to, "--ca-file", str(bad.ca_file)]
        env = {"SWEEP_TLS_KEY": SWEEP_KEY}
        r = cli("doctor", *pins, "--json", "--report", str(report), env=env)
        text = cli("doctor", *pins, "--lang", "zh", env=env)
        assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {code}
        for blob in (r.output, text.output, report.read_text()):
            assert_no_leak(f"doctor with a {cert} certificate", blob)
        assert bad.requests == []  # the key never left: TLS failed first
    finally:
        bad.stop_thread()


def test_doctor_with_an_unreadable_stored_key_never_prints_it(cli, net, tmp_path):
    """A key file holding the key plus junk: doctor says why it cannot use it, masked."""
    write_config(cli.config, store="file")
    assert cli("key", "set", "--api-key-stdin", input=SWEEP_KEY).rc == 0
    key_file = cli.config.parent / "keys" / "default.key"
    key_file.write_text(f"{SWEEP_KEY} {SWEEP_KEY}\n")
    report = tmp_path / "r.md"
    pins = ["--connect-to", net.connect_to, "--ca-file", str(net.ca_file)]
    r = cli("doctor", *pins, "--json", "--report", str(report))
    assert r.rc == 1
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {"no_key"}
    for blob in (r.stdout, r.stderr, report.read_text()):
        assert_no_leak("doctor with an invalid stored key", blob)


# ---------------------------------------------------------------------------------------------
# Python logging at DEBUG on the probe and keyring paths.
# ---------------------------------------------------------------------------------------------
def _all_log_text(caplog) -> str:
    parts = [caplog.text]
    for rec in caplog.records:
        parts += [rec.getMessage(), repr(rec.args), str(rec.exc_text or "")]
        if rec.exc_info and rec.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(rec.exc_info[1])))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "key", [SWEEP_KEY, UNKNOWN_KEY, OTHER_REGION_KEY], ids=["ok", "rejected", "other-region"]
)
def test_debug_logs_of_the_probe_never_hold_the_key(key, cli, net, caplog):
    write_config(cli.config, store="env", env="SWEEP_LOG_KEY")
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore, asyncio, ours
    net.inject(Fault("redirect", location="https://evil.example.net/", times=1))
    pins = ["--connect-to", net.connect_to, "--ca-file", str(net.ca_file), "--all-regions"]
    r = cli("doctor", *pins, "--json", env={"SWEEP_LOG_KEY": key})
    assert r.rc in (0, 1), r.output
    text = _all_log_text(caplog)
    assert "HTTP Request" in text or "send_request" in text  # DEBUG logging really was on
    assert_no_leak("DEBUG log of doctor", text)


def test_debug_logs_of_the_keyring_path_never_hold_the_key(secret_service, caplog):
    from app.secrets.key import ApiKey
    from app.secrets.keyring import probe_keyring
    from app.secrets.stores import KeyringStore

    caplog.set_level(logging.DEBUG)
    profile = f"log-{uuid.uuid4().hex[:8]}"
    store = KeyringStore(timeout=15)
    assert probe_keyring(15).available
    store.set(profile, ApiKey(SWEEP_KEY))
    assert store.get(profile) == ApiKey(SWEEP_KEY)
    assert store.delete(profile)
    assert_no_leak("DEBUG log of the keyring path", _all_log_text(caplog))


# ---------------------------------------------------------------------------------------------
# Exceptions raised over a bad key: message, repr, args and the whole cause/context chain.
# ---------------------------------------------------------------------------------------------
SECRET = "sk-SWEEP+leak/7e3Q=x%41~Z9kR2vT8pLm"
BAD_KEYS = {
    "inner space": f"{SECRET} {SECRET}",
    "inner newline": f"{SECRET}\n{SECRET}",
    "non-ascii": f"{SECRET}\u00e9",
    "smart quote inside": f"{SECRET}\u201d",
    "control char": f"{SECRET}\x07",
    "nul": f"{SECRET}\x00",
    "too long": SECRET * 40,
    "far too long": SECRET * 200,
    "tab inside": f"{SECRET}\t{SECRET}",
}


def _assert_exception_clean(exc: BaseException, where: str) -> None:
    shown = "".join(traceback.format_exception(exc))  # what a crash would print
    assert_no_leak(f"{where}: formatted traceback", shown, [SECRET])
    for e in exception_chain(exc):
        if e is exc or e is exc.__cause__ or not exc.__suppress_context__:
            for blob in (str(e), repr(e), repr(e.args)):
                assert_no_leak(f"{where}: {type(e).__name__}", blob, [SECRET])
    params = getattr(exc, "params", {}) or {}
    assert_no_leak(f"{where}: params", repr(params), [SECRET])


@pytest.mark.parametrize("raw", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
def test_invalid_key_errors_never_contain_the_key(raw, tmp_path, monkeypatch):
    from app.core.errors import UserError
    from app.secrets.key import ApiKey
    from app.secrets.stores import EnvStore, FileStore

    with pytest.raises(UserError) as parsed:
        ApiKey(raw)
    _assert_exception_clean(parsed.value, "ApiKey()")
    with pytest.raises(UserError) as from_env:
        EnvStore("SWEEP_BAD_KEY", environ={"SWEEP_BAD_KEY": raw}).get("p")
    _assert_exception_clean(from_env.value, "EnvStore.get")
    store = FileStore(tmp_path / "cfg")
    store.set("p", ApiKey(SECRET))
    store.path_for("p").write_bytes(raw.encode("utf-8", "surrogatepass")[: 16 * 1024])
    with pytest.raises(UserError) as from_file:
        store.get("p")
    _assert_exception_clean(from_file.value, "FileStore.get")


def test_key_file_that_is_not_utf8_gives_a_clean_error(tmp_path):
    from app.core.errors import UserError
    from app.secrets.key import ApiKey
    from app.secrets.stores import FileStore

    store = FileStore(tmp_path / "cfg")
    store.set("p", ApiKey(SECRET))
    store.path_for("p").write_bytes(SECRET.encode() + b"\xff\xfe" + SECRET.encode())
    with pytest.raises(UserError) as err:
        store.get("p")
    _assert_exception_clean(err.value, "FileStore.get (not UTF-8)")


def test_invalid_value_in_the_real_keyring_gives_a_clean_error(secret_service):
    import keyring

    from app.core.errors import UserError
    from app.secrets.keyring import KEYRING_SERVICE
    from app.secrets.stores import KeyringStore

    profile = f"bad-{uuid.uuid4().hex[:8]}"
    keyring.set_password(KEYRING_SERVICE, profile, f"{SECRET} {SECRET}")
    try:
        with pytest.raises(UserError) as err:
            KeyringStore(timeout=15).get(profile)
        _assert_exception_clean(err.value, "KeyringStore.get")
    finally:
        keyring.delete_password(KEYRING_SERVICE, profile)


@pytest.mark.parametrize("raw", list(BAD_KEYS.values())[:6], ids=list(BAD_KEYS)[:6])
def test_cli_refusing_a_bad_key_prints_only_a_masked_reason(raw, cli):
    for args, kw in (
        (
            (
                "configure",
                "--region",
                "ap-southeast-1",
                "--shared-host",
                "--store",
                "file",
                "--api-key-stdin",
            ),
            {"input": raw},
        ),
        (
            ("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env"),
            {"env": {"DASHSCOPE_API_KEY": raw}},
        ),
    ):
        if "\x00" in raw and "env" in kw:
            continue  # an environment variable cannot hold NUL

        r = cli(*args, **kw)
        assert r.rc == 2, r.output
        assert "API key" in r.stderr
        assert_no_leak(f"{args}", r.output, [SECRET])
    assert not cli.config.exists()


# ---------------------------------------------------------------------------------------------
# The TUI: a crash prints a traceback WITHOUT local variables (a local may hold the key).
# ---------------------------------------------------------------------------------------------
def _render(renderables: list[object]) -> str:
    import io

    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=200, color_system=None)
    for r in renderables:
        console.print(r)
    return buf.getvalue()


def _crashing_app(tmp_path: Path, where: str, textual_default: bool = False):
    from textual import work

    from app.secrets.key import ApiKey
    from app.secrets.stores import MemoryStore
    from app.services import Services
    from app.state import WizardState
    from app.tui import WizardApp

    store = MemoryStore()
    services = Services(
        config_path=tmp_path / "cfg.yaml",
        key_store_factory=lambda kind: store,
        keyring_probe=lambda: None,
        probe_options=None,
        keyring_timeout=5.0,
    )

    class Crashing(WizardApp):
        async def run_flow(self) -> None:
            if where == "flow":
                the_key_header = f"Bearer {ApiKey(SECRET).reveal()}"  # noqa: F841
                raise RuntimeError("crash-marker-flow")
            self.crash_in_worker()

        @work(exit_on_error=True)
        async def crash_in_worker(self) -> None:
            the_key_header = f"Bearer {ApiKey(SECRET).reveal()}"  # noqa: F841
            raise RuntimeError("crash-marker-worker")

    if textual_default:  # the control: Textual's own crash handler
        from textual.app import App

        Crashing._fatal_error = App._fatal_error  # type: ignore[method-assign]
    return Crashing(services, WizardState(lang="en"))


async def _crash_output(app) -> str:
    import io

    from rich.console import Console

    printed = io.StringIO()  # what the user's terminal would get after the crash
    app.error_console = Console(file=printed, width=200, color_system=None, markup=False)
    with pytest.raises(Exception):  # noqa: B017 - run_test re-raises the app's crash
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
    return printed.getvalue() + _render(app._exit_renderables)


@pytest.mark.parametrize("where", ["flow", "worker"])
async def test_tui_crash_traceback_has_no_locals(where, tmp_path):
    shown = await _crash_output(_crashing_app(tmp_path, where))
    assert f"crash-marker-{where}" in shown  # the traceback really was rendered
    assert "Bearer sk-" not in shown  # no locals panel (it would show the header's value)
    assert_no_leak("TUI crash traceback", shown, [SECRET])


async def test_textual_default_crash_handler_would_show_the_key(tmp_path):
    """Control for the test above: with Textual's own `_fatal_error` (locals on) the same
    crash prints the key, so the override in app/tui.py is what keeps it off the terminal."""
    shown = await _crash_output(_crashing_app(tmp_path, "flow", textual_default=True))
    assert "crash-marker-flow" in shown
    assert leaks(shown, [SECRET])


def test_no_environment_dump_reaches_outputs(cli, net):
    """`os.environ` holding the key (DASHSCOPE_API_KEY) is never dumped by any --help."""
    from app.cli import COMMANDS

    for command in COMMANDS:
        r = cli(command, "--help", env={"DASHSCOPE_API_KEY": SWEEP_KEY})
        assert r.rc == 0, (command, r.output)
        assert_no_leak(f"{command} --help", r.output)


# ---------------------------------------------------------------------------------------------
# Screenshots and snapshots: no simulator key (not even the demo's) in any committed image.
# ---------------------------------------------------------------------------------------------
def test_screenshots_and_snapshots_hold_no_key() -> None:
    from app.simulator.accounts import default_accounts

    root = Path(__file__).resolve().parents[2]
    images = [
        *sorted((root / "docs" / "screenshots").glob("*.svg")),
        *sorted((root / "tests" / "__snapshots__").rglob("*.svg")),
    ]
    assert images, "the README screenshots are expected under docs/screenshots"
    keys = [a.key for a in default_accounts()] + [SWEEP_KEY]
    problems = {str(p.relative_to(root)): leaks(p.read_bytes(), keys) for p in images}
    assert not {k: v for k, v in problems.items() if v}, problems


@pytest.mark.parametrize("fmt", [f for f, spec in FORMATS.items() if spec.can_hold_key])
def test_include_key_over_an_existing_readable_file_ends_0600(fmt, cli, net, tmp_path):
    """T10/T11: a key written into a file that was 0644 (or merged into settings.json) must
    not stay readable by others."""
    write_config(cli.config, store="file")
    assert cli("key", "set", "--api-key-stdin", input=SWEEP_KEY).rc == 0
    target = tmp_path / "out" / f"{fmt}.out"
    target.parent.mkdir()
    # An earlier keyless export of this tool (a file it did not write is refused, B37).
    old = "# Written by modelstudio-setup export.\n# old\n"
    target.write_text("{}\n" if FORMATS[fmt].kind == "json" else old)
    target.chmod(0o644)
    r = cli("export", "--format", fmt, "--include-key", "-o", str(target))
    assert r.rc == 0, r.output
    assert SWEEP_KEY in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert_no_leak(f"export {fmt} messages", r.output)
    for other in target.parent.iterdir():  # backups of the old file hold no key
        if other != target:
            assert_no_leak(str(other), other.read_bytes())


def test_export_into_a_project_leaves_only_the_exported_files(cli, tmp_path):
    write_config(cli.config, store="file")
    assert cli("key", "set", "--api-key-stdin", input=SWEEP_KEY).rc == 0
    project = tmp_path / "project"
    project.mkdir()
    for fmt, name in (("dotenv", ".env"), ("claude-code", ".claude/settings.json")):
        assert cli("export", "--format", fmt, "-o", str(project / name)).rc == 0
    made = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert made == [".claude/settings.json", ".env"]
