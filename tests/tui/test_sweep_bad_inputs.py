"""Security sweep: every bad input of SECURITY.md through every entry point that accepts it.

Each bad workspace ID, API key, config file and doctor flag must end with exit code 2 (or
the documented code), a specific message, nothing written (every file and directory under
the temporary HOME / config / export dirs keeps its mtime, size and mode), the key not
printed, and NO network call: the simulator and a CONNECT proxy that every HTTPS request of
the run would go through both see nothing. A control test proves the same setup does see
the traffic of a good run.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from app.core.catalog import load_catalog
from app.simulator.proxy import ConnectProxy
from app.simulator.server import Simulator
from tests.fixtures.sweep import (
    PLAN_KEY,
    REGION,
    SWEEP_KEY,
    SWEEP_WS,
    Guard,
    assert_no_leak,
    guard_for,
    sweep_simulator,
    tree_state,
    write_config,
)


@pytest.fixture(scope="module")
def sim(simulator_ca) -> Iterator[Simulator]:
    with sweep_simulator(simulator_ca) as s:
        yield s


@pytest.fixture(scope="module")
def proxy(sim) -> Iterator[ConnectProxy]:
    p = ConnectProxy(upstream=(sim.host, sim.port)).start_in_thread()
    try:
        yield p
    finally:
        p.stop_thread()


@pytest.fixture
def guard(cli, sim, proxy, tmp_path, monkeypatch) -> Guard:
    return guard_for(cli, sim, proxy, tmp_path, monkeypatch)


def test_control_a_good_run_is_seen_by_the_network_guard(guard):
    """Without this, "no network call" could pass because the guard sees nothing."""
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    before = guard.traffic()
    # --no-environment: the probe's own route is under test (the clients' routes and
    # trust are tests/cli/test_doctor_network.py's)
    r = guard.cli("doctor", "--json", "--no-environment", env={"SWEEP_VAR_KEY": SWEEP_KEY})
    assert r.rc == 0, r.output
    sim_seen, proxy_seen = guard.traffic()
    assert sim_seen > before[0] and proxy_seen > before[1]
    assert {t.target.split(":")[0] for t in guard.proxy.tunnels[before[1] :]} == {
        f"{SWEEP_WS}.{REGION}.maas.aliyuncs.com"
    }


# ---------------------------------------------------------------------------------------------
# Workspace IDs (SECURITY.md T1/T2 and the bad-input list)
# ---------------------------------------------------------------------------------------------
BAD_WORKSPACE_IDS = {
    "host#": "evil.com#",
    "host/": "x.evil.com/",
    "userinfo": "u@evil.com#",
    "port-userinfo": "a:1@x",
    "ideographic-dot": "ws\u3002evil",
    "fullwidth": "\uff57\uff53-abc",
    "kelvin": "ws-\u212aey",
    "cyrillic": "ws-\u0430bc",
    "zero-width": "ws-a\u200bbc",
    "punycode": "xn--ws-abc",
    "dot": "a.b",
    "double-dot": "ws..x",
    "empty": "",
    "spaces": "   ",
    "leading-hyphen": "-ws",
    "trailing-hyphen": "ws-",
    "underscore": "ws_abc",
    "64-chars": "w" * 64,
    "trial": "trial",
    "token-plan": "token-plan",
    "ipv4#": "127.0.0.1#",
    "ipv6#": "[::1]#",
    "percent": "evil.com%23",
    "nul": "ws\x00",
    "crlf-header": "ws\r\nHost: evil",
    "one-megabyte": "w" * 1_000_000,
    "the-key-pasted-here": SWEEP_KEY,
}


@pytest.mark.parametrize("ws", list(BAD_WORKSPACE_IDS.values()), ids=list(BAD_WORKSPACE_IDS))
def test_bad_workspace_id_flag_is_refused_before_anything(ws, guard):
    guard.refused(
        "configure",
        "--region",
        REGION,
        "--workspace-id",
        ws,
        "--store",
        "file",
        "--api-key-stdin",
        input=SWEEP_KEY,
        says=("workspace",),
    )
    assert not guard.cli.config.exists()


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("WS-ABC123", "ws-abc123"), ("  ws-abc \n", "ws-abc"), ("w" * 63, "w" * 63)],
)
def test_pasted_workspace_id_is_normalised_and_shown(typed, shown, guard):
    r = guard.cli(
        "configure",
        "--region",
        REGION,
        "--workspace-id",
        typed,
        "--store",
        "file",
        "--api-key-stdin",
        input=SWEEP_KEY,
    )
    assert r.rc == 0, r.output
    assert f"{shown}.{REGION}.maas.aliyuncs.com" in r.stdout
    assert_no_leak("configure", r.output)


BAD_CONFIGURE_FLAGS = {
    "unknown-region": (("--region", "mars-1", "--shared-host"), "mars-1"),
    "region-injection": (("--region", "ap-southeast-1.evil.com", "--shared-host"), "region"),
    "unknown-scope": (("--region", REGION, "--shared-host", "--scope", "galactic"), "scope"),
    "scope-not-offered": (("--region", REGION, "--shared-host", "--scope", "us"), "scope"),
    "unknown-residency": (("--region", REGION, "--shared-host", "--residency", "moon"), "moon"),
    "model-newline": (("--region", REGION, "--shared-host", "--model", "qwen\nplus"), "model"),
    "profile-traversal": (("--region", REGION, "--shared-host", "--profile", "../x"), "profile"),
    "profile-empty": pytest.param(
        ("--region", REGION, "--shared-host", "--profile", ""),
        "profile",
    ),
    "unknown-store": (("--region", REGION, "--shared-host", "--store", "cloud"), "--store"),
    "no-ws-no-shared": (
        (
            "--region",
            "eu-central-1",
        ),
        "workspace",
    ),
}
BAD_ENV_NAMES = ["LD_PRELOAD", "PATH", "1ABC", "A B", "A;rm -rf ~", "PYTHONPATH", ""]


@pytest.mark.parametrize(
    ("flags", "says"),
    list(BAD_CONFIGURE_FLAGS.values()),
    ids=list(BAD_CONFIGURE_FLAGS),
)
def test_bad_configure_flag_is_refused_before_anything(flags, says, guard):
    store = () if "--store" in flags else ("--store", "file")
    guard.refused("configure", *flags, *store, "--api-key-stdin", input=K, says=(says,))
    assert not guard.cli.config.exists()


@pytest.mark.parametrize("name", BAD_ENV_NAMES, ids=repr)
def test_bad_key_variable_name_is_refused_everywhere(name, guard):
    shared = ("configure", "--region", REGION, "--shared-host")
    guard.refused(*shared, "--store", "env", "--api-key-env", name, says=("variable",))
    guard.refused(*shared, "--store", "file", "--api-key-env", name, says=("variable",))
    write_config(guard.cli.config, store="file")
    if name in ("LD_PRELOAD", "PATH", "PYTHONPATH"):
        return  # `key set` only reads the variable (no export names it): see sweep_bugs S6
    says = ("variable",) if name else ("--api-key-env",)  # "" is "no key given"
    guard.refused("key", "set", "--api-key-env", name, says=says)


def _poisoned_config(path: Path, ws: str, *, store: str = "file") -> None:
    """What an attacker would commit: a workspace_id and base URLs that agree with it."""
    write_config(path, store=store)
    doc = yaml.safe_load(path.read_text())
    prof = doc["profiles"]["default"]
    prof["workspace_id"] = ws
    for surface, suffix in (
        ("openai", "/compatible-mode/v1"),
        ("anthropic", "/apps/anthropic"),
        ("dashscope", "/api/v1"),
    ):
        prof["base_urls"][surface] = f"https://{ws}.{REGION}.maas.aliyuncs.com{suffix}"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, width=10**9), encoding="utf-8")
    path.chmod(0o600)


def _consumers(guard: Guard) -> list[tuple[tuple[str, ...], str | None]]:
    """Every command that loads the config: (argv, stdin)."""
    out = str(guard.roots[1] / "out.env")
    return [
        (("profiles", "list"), None),
        (("profiles", "list", "--json"), None),
        (("profiles", "show"), None),
        (("profiles", "show", "--json"), None),
        (("profiles", "delete", "default", "--yes"), None),
        (("export", "--format", "dotenv", "-o", out), None),
        (("export", "--format", "sh", "--include-key"), None),
        (("export", "--format", "claude-code"), None),
        (("env",), None),
        (("key", "get"), None),
        (("key", "set", "--api-key-stdin"), SWEEP_KEY),
        (("key", "delete", "--yes"), None),
        (("doctor", *guard.pins), None),
        (("doctor", "--json", "--all-regions", *guard.pins), None),
        (("doctor", "--no-inference"), None),
        (
            (
                "configure",
                "--profile",
                "other",
                "--region",
                REGION,
                "--shared-host",
                "--store",
                "file",
                "--api-key-stdin",
            ),
            SWEEP_KEY,
        ),
    ]


POISON_WS = {k: v for k, v in BAD_WORKSPACE_IDS.items() if k not in ("empty", "one-megabyte")}


@pytest.mark.parametrize("ws", list(POISON_WS.values()), ids=list(POISON_WS))
def test_poisoned_workspace_id_in_config_is_refused_by_every_command(ws, guard, monkeypatch):
    cfg = guard.cli.root / "shared" / "team.yaml"
    _poisoned_config(cfg, ws)
    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", str(cfg))
    for args, stdin in _consumers(guard):
        r = guard.refused(*args, input=stdin, says=("workspace_id", str(cfg)))
        assert r.stdout == "", (args, r.stdout[:500])
    assert not (cfg.parent / "keys").exists()


# ---------------------------------------------------------------------------------------------
# Config files
# ---------------------------------------------------------------------------------------------
def _edit(path: Path, change) -> None:
    write_config(path)
    doc = yaml.safe_load(path.read_text())
    change(doc["profiles"]["default"])
    path.write_text(yaml.safe_dump(doc, width=10**9))
    path.chmod(0o600)


def _url(prof, surface, value):
    prof["base_urls"][surface] = value


ws_host = f"{SWEEP_WS}.{REGION}.maas.aliyuncs.com"
BAD_CONFIGS = {
    "malformed-yaml": (lambda p: p.write_text("version: 1\nprofiles: [\n  default: {\n"), "yaml"),
    "tab-yaml": (lambda p: p.write_text("version: 1\nprofiles:\n\tdefault: {}\n"), "yaml"),
    "python-tag": (
        lambda p: p.write_text("!!python/object/apply:os.system ['echo pwned']\n"),
        "yaml",
    ),
    "lookalike-host": (
        lambda p: _edit(
            p,
            lambda d: _url(d, "openai", f"https://{ws_host}.evil.com/compatible-mode/v1"),
        ),
        "base_urls.openai",
    ),
    "http-downgrade": (
        lambda p: _edit(p, lambda d: _url(d, "dashscope", f"http://{ws_host}/api/v1")),
        "base_urls.dashscope",
    ),
    "userinfo-url": (
        lambda p: _edit(
            p, lambda d: _url(d, "anthropic", f"https://{ws_host}@evil.com/apps/anthropic")
        ),
        "base_urls.anthropic",
    ),
    "other-host-url": (
        lambda p: _edit(p, lambda d: _url(d, "openai", "https://evil.example.net/v1")),
        "base_urls.openai",
    ),
    "extra-url": (
        lambda p: _edit(p, lambda d: _url(d, "proxy", "https://evil.example.net/")),
        "base_urls.proxy",
    ),
    "unknown-region": (lambda p: _edit(p, lambda d: d.update(region="mars-1")), "region"),
    "unknown-scope": (lambda p: _edit(p, lambda d: d.update(scope="galactic")), "scope"),
    "scope-not-offered": (lambda p: _edit(p, lambda d: d.update(scope="us")), "scope"),
    "region-list": (lambda p: _edit(p, lambda d: d.update(region=["x"])), "region"),
    "style-mapping": (lambda p: _edit(p, lambda d: d.update(endpoint_style={"a": 1})), "style"),
    "unknown-store": (
        lambda p: _edit(p, lambda d: d.update(api_key={"store": "cloud"})),
        "api_key.store",
    ),
    "ld-preload-env": (
        lambda p: _edit(p, lambda d: d.update(api_key={"store": "env", "env": "LD_PRELOAD"})),
        "api_key.env",
    ),
    "key-pasted-as-env": (
        lambda p: _edit(p, lambda d: d.update(api_key={"store": "env", "env": SWEEP_KEY})),
        "api_key.env",
    ),
    "key-pasted-as-field": (
        lambda p: _edit(p, lambda d: d.update(api_key={"store": "env", "key": SWEEP_KEY})),
        "api_key.key",
    ),
    "key-pasted-as-api_key": (lambda p: _edit(p, lambda d: d.update(api_key=SWEEP_KEY)), "api_key"),
    "bad-model": (lambda p: _edit(p, lambda d: d.update(model="qwen\nplus")), "model"),
    "not-normalised-ws": (
        lambda p: _edit(p, lambda d: d.update(workspace_id=SWEEP_WS.upper())),
        "workspace_id",
    ),
    "not-utf8": (lambda p: p.write_bytes(b"version: 1\nprofiles: {\xff\xfe}\n"), "utf-8"),
    "too-big": (lambda p: p.write_text("# " + "x" * 2_000_000 + "\n"), "larger"),
    "a-directory": (lambda p: p.mkdir(), "not a regular file"),
    "dangling-symlink": (lambda p: p.symlink_to(p.parent / "gone.yaml"), "does not exist"),
    "fifo": (lambda p: os.mkfifo(p), "not a regular file"),
    "symlink-to-dev-zero": (lambda p: p.symlink_to("/dev/zero"), "config"),
    "symlink-loop": (lambda p: p.symlink_to(p), "config"),
}


# Files that are not YAML at all (or a dangling symlink) are what `configure` repairs: it
# keeps a backup of the old bytes (T12) or writes the symlink's target with a notice.
REPAIRABLE = {"malformed-yaml", "tab-yaml", "python-tag", "dangling-symlink"}


@pytest.mark.parametrize(
    ("name", "make", "says"), [(k, *v) for k, v in BAD_CONFIGS.items()], ids=list(BAD_CONFIGS)
)
def test_bad_config_file_is_refused_by_every_command(name, make, says, guard, monkeypatch):
    cfg = guard.cli.root / "shared" / "config.yaml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    make(cfg)
    old = cfg.read_bytes() if cfg.is_file() else None
    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", str(cfg))
    for args, stdin in _consumers(guard):
        if args[0] == "configure" and name in REPAIRABLE:
            r = guard.cli(*args, input=stdin)
            assert r.rc == 0, r.output
            assert_no_leak("configure repairing a config", r.output)
            if old is not None:
                backups = [p for p in cfg.parent.iterdir() if p.name.startswith("config.yaml.")]
                assert any(p.read_bytes() == old for p in backups), "old bytes not kept"
            continue
        r = guard.refused(*args, input=stdin, says=(says,))
        assert r.stdout == "", (args, r.stdout[:500])


def test_config_given_by_flag_is_validated_like_the_env_one(guard):
    """--config is the other way a poisoned file arrives."""
    cfg = guard.cli.root / "elsewhere.yaml"
    _poisoned_config(cfg, "evil.com#")
    for args in (("profiles", "show"), ("key", "get"), ("env",), ("doctor", *guard.pins)):
        guard.refused(*args, "--config", str(cfg), says=("workspace_id",))


# ---------------------------------------------------------------------------------------------
# API keys (stdin, --api-key-env, DASHSCOPE_API_KEY for an env-store profile, stored files)
# ---------------------------------------------------------------------------------------------
K = SWEEP_KEY
BAD_KEYS = {
    "empty": "",
    "only-newline": "\n",
    "only-spaces": "   ",
    "inner-space": f"{K} {K}",
    "inner-newline": f"{K}\n{K}",
    "smart-quote-inside": f"{K[:12]}\u2019{K[12:]}",
    "non-ascii": f"{K}\u00e9",
    "cyrillic-lookalike": f"sk-\u0430{K[4:]}",
    "control-char": f"{K}\x1b[2J",
    "too-short": "sk-ab",
    "over-1000": K * 40,
    "one-megabyte": K * 30_000,
}


@pytest.mark.parametrize("raw", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
def test_bad_key_is_refused_by_every_key_input(raw, guard):
    shared = ("--region", REGION, "--shared-host")
    cases: list[tuple[tuple[str, ...], dict]] = [
        (("configure", *shared, "--store", "file", "--api-key-stdin"), {"input": raw}),
        (("configure", *shared, "--store", "file", "--api-key-env", "SWEEP_IN_KEY"), {}),
        (("configure", *shared, "--store", "env"), {}),
    ]
    if not raw.strip():
        # A blank variable counts as "not set": --api-key-env says so; --store env accepts it
        # (the key is exported later, a documented notice), so it is not a refusal case.
        cases = [cases[0]]
        guard.refused(*cases.pop()[0], input=raw, says=("API key",))
        guard.refused(
            "configure",
            *shared,
            "--api-key-env",
            "SWEEP_IN_KEY",
            "--store",
            "file",
            env={"SWEEP_IN_KEY": raw},
            says=("SWEEP_IN_KEY",),
        )
    for args, kw in cases:
        env = {"SWEEP_IN_KEY": raw, "DASHSCOPE_API_KEY": raw}
        guard.refused(*args, env=env, says=("API key",), **kw)
    assert not guard.cli.config.exists()
    write_config(guard.cli.config, store="file")
    for args, kw in (
        (("key", "set", "--api-key-stdin"), {"input": raw}),
        (("key", "set", "--api-key-env", "SWEEP_IN_KEY"), {"env": {"SWEEP_IN_KEY": raw}}),
    ):
        guard.refused(*args, **kw)
    assert not (guard.cli.config.parent / "keys").exists()


@pytest.mark.parametrize(
    "raw",
    [v for k, v in BAD_KEYS.items() if v.strip()],
    ids=[k for k, v in BAD_KEYS.items() if v.strip()],
)
def test_bad_dashscope_api_key_variable_is_never_sent(raw, guard):
    """An env-store profile whose DASHSCOPE_API_KEY holds junk: the commands that need the
    key refuse (2); doctor still checks connectivity but sends no key (1, `no_key`)."""
    write_config(guard.cli.config, store="env")
    env = {"DASHSCOPE_API_KEY": raw}
    for args in (("key", "get"), ("env",), ("export", "--format", "dotenv", "--include-key")):
        guard.refused(*args, env=env, says=("DASHSCOPE_API_KEY",))
    before = len(guard.sim.requests)
    r = guard.cli("doctor", "--json", "--no-environment", *guard.pins, env=env)
    assert r.rc == 1, r.output
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {"no_key"}
    assert_no_leak("doctor with a bad DASHSCOPE_API_KEY", r.output)
    sent = guard.sim.requests[before:]
    assert sent and all(req.key_fingerprint is None for req in sent)
    show = guard.cli("profiles", "show", env=env)
    assert show.rc == 0 and "DASHSCOPE_API_KEY" in show.stdout
    assert_no_leak("profiles show", show.output)


@pytest.mark.parametrize(
    "raw",
    [f"{K}\n", f"  {K}  ", f"\u201c{K}\u201d", f"'{K}'", f"\t{K}\r\n"],
    ids=["newline", "spaces", "smart-quotes", "single-quotes", "tab-crlf"],
)
def test_paste_artefacts_are_stripped_and_the_key_shown_masked(raw, guard):
    r = guard.cli(
        "configure",
        "--region",
        REGION,
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=raw,
    )
    assert r.rc == 0, r.output
    assert "sk-…" in r.stdout
    assert_no_leak("configure", r.output)
    got = guard.cli("key", "get")
    assert got.stdout == K + "\n"


def test_plan_key_on_a_pay_as_you_go_endpoint_is_warned_about(guard):
    r = guard.cli(
        "configure",
        "--region",
        REGION,
        "--shared-host",
        "--store",
        "file",
        "--api-key-stdin",
        input=PLAN_KEY,
    )
    assert r.rc == 0, r.output
    assert "sk-sp-" in r.output and "plan" in r.output.lower()
    assert_no_leak("configure with a plan key", r.output)


# ---------------------------------------------------------------------------------------------
# doctor flags and proxy variables
# ---------------------------------------------------------------------------------------------
BAD_DOCTOR_FLAGS = {
    "resolve-no-fields": (("--resolve", "evil"), "--resolve"),
    "resolve-bad-port": (("--resolve", f"{ws_host}:http:127.0.0.1"), "port"),
    "resolve-port-0": (("--resolve", f"{ws_host}:0:127.0.0.1"), "port"),
    "resolve-name-as-addr": (("--resolve", f"{ws_host}:443:evil.com"), "numeric"),
    "resolve-space": (("--resolve", f"{ws_host}:443:127.0.0.1 x"), "--resolve"),
    "resolve-unicode-host": (("--resolve", "ws\u3002evil:443:127.0.0.1"), "host"),
    "connect-to-3-fields": (("--connect-to", "a:1:b"), "--connect-to"),
    "connect-to-star-target": (("--connect-to", "::*:443"), "host"),
    "connect-to-bad-port": (("--connect-to", "::127.0.0.1:99999"), "port"),
    "connect-to-crlf": (("--connect-to", "::127.0.0.1\r\nHost: evil:1"), "--connect-to"),
    "connect-to-bad-ipv6": (("--connect-to", "::[::zz]:443"), "host"),
    "ca-file-missing": (("--ca-file", "/nonexistent/ca.pem"), "ca-file"),
    "ca-file-directory": (("--ca-file", "/"), "ca-file"),
    "ca-file-not-pem": (("--ca-file", "/etc/hostname"), "ca-file"),
    "timeout-zero": (("--timeout", "0"), "timeout"),
    "timeout-nan": (("--timeout", "nan"), "timeout"),
    "timeout-words": (("--timeout", "ten"), "timeout"),
    "timeout-huge": (("--timeout", "1e9"), "timeout"),
}


DOCTOR_FLAG_CASES = [
    *(pytest.param(*v, id=k) for k, v in BAD_DOCTOR_FLAGS.items()),
    pytest.param(("--resolve", "a]:443:1.2.3.4"), "--resolve", id="resolve-stray-]"),
    pytest.param(("--resolve", "[::1:443:1.2.3.4"), "--resolve", id="resolve-open-["),
]


@pytest.mark.parametrize(("flags", "says"), DOCTOR_FLAG_CASES)
def test_malformed_doctor_flag_is_refused_before_any_packet(flags, says, guard):
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    report = guard.roots[1] / "report.md"
    guard.refused("doctor", *flags, "--report", str(report), env={"SWEEP_VAR_KEY": K}, says=(says,))
    assert not report.exists()


@pytest.mark.parametrize(
    "value", ["ftp://proxy.example:21", "http://[::zz]:3128", "http://proxy:notaport"], ids=repr
)
def test_unusable_proxy_variable_is_refused_before_any_packet(value, guard):
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    guard.refused("doctor", env={"SWEEP_VAR_KEY": K, "HTTPS_PROXY": value}, says=("HTTPS_PROXY",))


def test_unwritable_report_target_is_refused_before_any_packet(guard):
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    target = guard.roots[1]  # a directory, not a file
    guard.refused("doctor", *guard.pins, "--report", str(target), env={"SWEEP_VAR_KEY": K})


# ---------------------------------------------------------------------------------------------
# A read-only config directory (root would bypass permissions: drop that for the child).
# ---------------------------------------------------------------------------------------------
def test_read_only_config_dir_refuses_with_nothing_written_and_no_key_stored(run_cli, tmp_path):
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.fail("running as root needs setpriv (util-linux) to drop the dac bypass")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    folder = run_cli.config.parent
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    try:
        before = tree_state(run_cli.root)
        r = run_cli(
            "configure",
            "--region",
            REGION,
            "--workspace-id",
            SWEEP_WS,
            "--store",
            "file",
            "--api-key-stdin",
            input=K,
            prefix=prefix,
        )
        assert r.rc == 2, r.output
        assert str(folder) in r.stderr
        assert_no_leak("configure into a read-only dir", r.output)
        assert tree_state(run_cli.root) == before
    finally:
        folder.chmod(0o755)


def test_catalog_regions_all_refuse_a_host_like_workspace_id(guard):
    """T1 in every region, not only the default one."""
    for region in load_catalog().regions:
        guard.refused(
            "configure",
            "--region",
            region,
            "--workspace-id",
            "evil.com#",
            "--store",
            "file",
            "--api-key-stdin",
            input=K,
            says=("workspace",),
        )


# ---------------------------------------------------------------------------------------------
# Keyrings that cannot be trusted: fail closed (exit 3), nothing written, key nowhere.
# ---------------------------------------------------------------------------------------------
def _backends():
    import keyring.backend
    from keyring.backends import fail, null

    class Broken(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service, username):
            raise OSError(f"dbus exploded holding {username}")

        def set_password(self, service, username, password):
            raise OSError(f"cannot store {password}")  # a backend that quotes its input

        def delete_password(self, service, username):
            raise OSError("no")

    class Forgetful(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self):
            self.items = {}

        def get_password(self, service, username):
            value = self.items.get((service, username))
            return None if value is None else value[::-1]  # reads back something else

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            self.items.pop((service, username), None)

    return {
        "fail": fail.Keyring,
        "null": null.Keyring,
        "oserror-quoting-the-key": Broken,
        "read-back-differs": Forgetful,
    }


@pytest.mark.parametrize("backend", list(_backends()), ids=list(_backends()))
@pytest.mark.parametrize("store", [(), ("--store", "keyring")], ids=["default", "explicit"])
def test_untrustworthy_keyring_fails_closed(backend, store, guard, use_backend):
    use_backend(_backends()[backend]())
    r = guard.refused(
        "configure",
        "--region",
        REGION,
        "--workspace-id",
        SWEEP_WS,
        *store,
        "--api-key-stdin",
        input=K,
        rc=3,
        says=("--store file",),
    )
    assert "keyring" in r.stderr.lower()
    assert not guard.cli.config.exists()


# ---------------------------------------------------------------------------------------------
# The TUI's doctor loads the same config: a poisoned one is refused there too (T3).
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ws", ["evil.com#", "ws-\u212aey", "u@evil.com#"], ids=repr)
async def test_tui_doctor_refuses_a_poisoned_config_without_a_packet(ws, sim, proxy, tmp_path):
    from app.secrets.key import ApiKey
    from app.secrets.stores import MemoryStore
    from app.state import WizardState
    from app.tui import make_app
    from tests.fixtures.tui_connect import screen_text, services_for, settle

    store = MemoryStore({"default": ApiKey(K)})
    services = services_for(tmp_path, sim, store)
    _poisoned_config(services.config_path, ws)
    before = (len(sim.requests), len(proxy.tunnels))
    app = make_app(services, WizardState(lang="en"), doctor_profile="default")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot, "doctor")
        shown = screen_text(app)
    assert "workspace_id" in shown, shown
    assert_no_leak("TUI doctor with a poisoned config", shown)
    assert (len(sim.requests), len(proxy.tunnels)) == before


# ---------------------------------------------------------------------------------------------
# A YAML alias bomb: 1 KB on disk, 9**9 leaves once expanded.
# ---------------------------------------------------------------------------------------------
def _alias_bomb(field: str) -> str:
    levels = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"&a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    host = f"{SWEEP_WS}.{REGION}.maas.aliyuncs.com"
    return (
        "version: 1\nprofiles:\n  default:\n"
        f"    region: {REGION}\n    scope: international\n    endpoint_style: workspace\n"
        f"    workspace_id: {SWEEP_WS}\n"
        f"    base_urls: {{openai: 'https://{host}/compatible-mode/v1', "
        f"anthropic: 'https://{host}/apps/anthropic', dashscope: 'https://{host}/api/v1'}}\n"
        f"    api_key: {{store: env}}\n    model: qwen-plus\n"
        f"    {field}: [{', '.join(levels)}]\n"
    )


@pytest.mark.parametrize("field", ["model", "endpoint_style"])
def test_yaml_alias_bomb_in_a_config_is_refused_cheaply(field, run_cli):
    """Run with a 100 MB address-space limit: refusing the file must not need more."""
    import resource
    import subprocess
    import sys

    run_cli.config.parent.mkdir(parents=True, exist_ok=True)
    cfg = run_cli.config.with_name("bomb.yaml")
    text = _alias_bomb(field)
    text = text.replace(f"    {field}: qwen-plus\n", "").replace(f"    {field}: workspace\n", "")
    cfg.write_text(text)
    assert len(text) < 2000

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (100_000_000, 100_000_000))

    proc = subprocess.run(
        [sys.executable, "-m", "app", "profiles", "list", "--config", str(cfg)],
        env=run_cli.base_env(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr[-500:]
    assert field in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("value", [["eu"], {"eu": 1}], ids=["list", "mapping"])
def test_residency_of_the_wrong_type_is_refused(value, guard, monkeypatch):
    cfg = guard.cli.root / "shared" / "config.yaml"
    _edit(cfg, lambda d: d.update(residency=value))
    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", str(cfg))
    guard.refused("profiles", "show", says=("residency",))


BAD_OTHER_FLAGS = {
    "recommend-residency": (("recommend", "--residency", "mars"), "mars"),
    "recommend-need": (("recommend", "--residency", "eu", "--need", "teleport"), "teleport"),
    "recommend-near": (("recommend", "--residency", "eu", "--near", "moon"), "moon"),
    "doctor-profile-traversal": (("doctor", "--profile", "../x"), "../x"),
    "show-profile-traversal": (("profiles", "show", "../../etc"), "profile"),
    "export-profile-slash": (("export", "--format", "yaml", "--profile", "a/b"), "a/b"),
    "export-unknown-format": (("export", "--format", "toml"), "--format"),
    "keyring-timeout-nan": (("key", "get", "--keyring-timeout", "nan"), "--keyring-timeout"),
    "keyring-timeout-inf": (("key", "get", "--keyring-timeout", "inf"), "--keyring-timeout"),
    "keyring-timeout-neg": (("key", "get", "--keyring-timeout", "-1"), "--keyring-timeout"),
    "key-as-stray-argument": (("key", "set", K), "not shown"),
    "unknown-lang": (("profiles", "list", "--lang", "xx"), "--lang"),
}


@pytest.mark.parametrize(
    ("args", "says"), list(BAD_OTHER_FLAGS.values()), ids=list(BAD_OTHER_FLAGS)
)
def test_other_bad_flags_are_refused(args, says, guard):
    write_config(guard.cli.config, store="file")
    guard.refused(*args, says=(says,))
