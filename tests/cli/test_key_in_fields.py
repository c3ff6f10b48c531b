"""A real-shaped API key in a field that is not secret (SECURITY.md T16) and a key variable
named like one other software reads (T17), through every entry point.

The sweep's own keys (tests/fixtures/sweep.py) are full of `+ / = %` and so are never a valid
DNS label: they missed QA B5, where `sk-` + 32 hex passed as a workspace ID and was shown,
written and looked up in DNS. These keys have the shapes Model Studio really issues. Every
case must end with exit 2, the key in no form in stdout/stderr, nothing written under the
test's HOME / config / export dirs, and no request seen by the simulator or by the CONNECT
proxy that every HTTPS request of the run goes through (tests/fixtures/sweep.Guard).
"""

from __future__ import annotations

import json

import pytest
import yaml

from app.simulator.proxy import ConnectProxy
from tests.fixtures.sweep import (
    REAL_SHAPED_IDS,
    REAL_SHAPED_KEYS,
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
def sim(simulator_ca):
    with sweep_simulator(simulator_ca) as s:
        yield s


@pytest.fixture(scope="module")
def proxy(sim):
    p = ConnectProxy(upstream=(sim.host, sim.port)).start_in_thread()
    try:
        yield p
    finally:
        p.stop_thread()


@pytest.fixture
def guard(cli, sim, proxy, tmp_path, monkeypatch) -> Guard:
    """The sweep's guard: every HTTPS request of a run goes through `proxy` (counted)."""
    return guard_for(cli, sim, proxy, tmp_path, monkeypatch)


def refused_quietly(
    guard: Guard, key: str, *args: str, env: dict[str, str] | None = None, input: str = ""
) -> str:
    """Run one command; assert exit 2, a message, no key, nothing written, no traffic."""
    before, traffic = tree_state(*guard.roots), guard.traffic()
    r = guard.cli(*args, input=input, env=env)
    label = " ".join(a[:30] for a in args) + f" env={sorted(env or {})}"
    assert r.rc == 2, (label, r.rc, r.output[:1500])
    assert r.stderr.strip() and "Traceback" not in r.output, (label, r.output[:1500])
    assert_no_leak(label, r.output, keys=[key])
    assert key.lower() not in r.output.lower(), label
    assert guard.traffic() == traffic, (label, "network call made")
    assert tree_state(*guard.roots) == before, (label, "something was written")
    return r.stderr


def _cli_cases(key: str, out: str) -> dict[str, tuple[str, ...]]:
    base = ("configure", "--region", REGION)
    shared = (*base, "--shared-host", "--store", "env")
    return {
        "workspace-id": (*base, "--workspace-id", key, "--store", "env"),
        "workspace-id=": (*base, f"--workspace-id={key}", "--store", "env"),
        "model": (*shared, "--model", key),
        "profile": (*shared, "--profile", key),
        "region": ("configure", "--region", key, "--shared-host", "--store", "env"),
        "scope": (*shared, "--scope", key),
        "residency": (*shared, "--residency", key),
        "api-key-env": (*shared, "--api-key-env", key),
        "config-path": ("profiles", "list", "--config", f"{out}/{key}.yaml"),
        "connect-to": ("doctor", "--connect-to", f"::{key}:443"),
        "resolve": ("doctor", "--resolve", f"{key}:443:127.0.0.1"),
        "ca-file": ("doctor", "--ca-file", f"{out}/{key}.pem"),
        "report": ("doctor", "--report", f"{out}/{key}.md"),
        "export-output": ("export", "--format", "dotenv", "--output", f"{out}/{key}.env"),
        "key-set-api-key-env": ("key", "set", "--api-key-env", key),
        "profiles-show": ("profiles", "show", key),
        "profiles-delete": ("profiles", "delete", key, "--yes"),
        "env-profile": ("env", "--profile", key),
        "recommend-residency": ("recommend", "--residency", key),
    }


CLI_CASE_IDS = list(_cli_cases("K", "/o"))


@pytest.mark.parametrize("case", CLI_CASE_IDS)
@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
def test_a_real_shaped_key_in_any_argument_is_refused_unseen(key, case, guard):
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    args = _cli_cases(key, str(guard.roots[1]))[case]
    said = refused_quietly(guard, key, *args, env={"SWEEP_VAR_KEY": SWEEP_KEY})
    assert "looks like an API key" in said


@pytest.mark.parametrize(
    ("variable", "template"),
    [
        ("HTTPS_PROXY", "{k}"),
        ("https_proxy", "http://{k}:3128"),
        ("ALL_PROXY", "socks5://{k}:1080"),
        ("NO_PROXY", "localhost,{k}"),
        ("SSL_CERT_FILE", "{k}"),
        ("SSL_CERT_DIR", "/etc/{k}"),
    ],
)
@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
def test_doctor_refuses_a_network_setting_that_holds_a_key(key, variable, template, guard):
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    env = {variable: template.format(k=key), "SWEEP_VAR_KEY": SWEEP_KEY}
    for args in (("doctor",), ("doctor", "--json")):
        said = refused_quietly(guard, key, *args, env=env)
        assert variable in said


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_doctor_never_prints_a_setting_equal_to_the_profiles_own_key(variable, guard):
    """SWEEP_KEY is not key-shaped (`+ / =`), so only the comparison with the profile's
    key catches `export HTTPS_PROXY="$DASHSCOPE_API_KEY"`-style mistakes (QA B6)."""
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    env = {variable: SWEEP_KEY, "SWEEP_VAR_KEY": SWEEP_KEY}
    report = guard.roots[1] / "report.md"
    for args in (("doctor",), ("doctor", "--json", "--report", str(report))):
        said = refused_quietly(guard, SWEEP_KEY, *args, env=env)
        assert variable in said and "this profile's key" in said
    assert not report.exists()


def test_the_variable_guard_lets_a_normal_proxy_through(guard):
    """Control: the check above refuses keys, not proxies."""
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    # --no-environment: the probe's own route is under test (the clients' view is in
    # tests/cli/test_doctor_network.py)
    r = guard.cli("doctor", "--json", "--no-environment", env={"SWEEP_VAR_KEY": SWEEP_KEY})
    assert r.rc == 0, r.output
    assert guard.proxy.url.split("//")[1] in json.dumps(json.loads(r.stdout))


@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
def test_config_path_variable_holding_a_key_is_refused(key, guard, monkeypatch):
    monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", key)
    said = refused_quietly(guard, key, "profiles", "list")
    assert "MODELSTUDIO_SETUP_CONFIG" in said


def _plant(doc: dict, field: str, key: str) -> None:
    prof = doc["profiles"]["default"]
    if field == "profile-name":
        doc["profiles"] = {key: prof}
        doc["default_profile"] = key
    elif field == "default_profile":
        doc["default_profile"] = key
    elif field == "unknown-field-name":
        prof[key] = "x"
    elif field in ("workspace_id", "model", "region", "scope", "residency"):
        prof[field] = key
    elif field == "base_urls.openai":
        prof["base_urls"]["openai"] = f"https://{key}.{REGION}.maas.aliyuncs.com/compatible-mode/v1"
    elif field == "verified.at":
        prof["verified"] = {"at": key, "verdict": "ok"}
    elif field == "api_key.env":
        prof["api_key"] = {"store": "env", "env": key}
    else:  # pragma: no cover
        raise AssertionError(field)


CONFIG_FIELDS = [
    "workspace_id",
    "model",
    "region",
    "scope",
    "residency",
    "base_urls.openai",
    "verified.at",
    "api_key.env",
    "profile-name",
    "default_profile",
    "unknown-field-name",
]


@pytest.mark.parametrize("field", CONFIG_FIELDS)
@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
def test_a_key_planted_in_any_config_field_is_refused_unseen(key, field, guard):
    """What a poisoned or carelessly edited file does: no command uses it or shows it."""
    cfg = write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    doc = yaml.safe_load(cfg.read_text())
    if field == "workspace_id":  # the base URLs agree with it, as a crafted file would
        for surface, url in doc["profiles"]["default"]["base_urls"].items():
            doc["profiles"]["default"]["base_urls"][surface] = url.replace(SWEEP_WS, key)
    _plant(doc, field, key)
    cfg.write_text(yaml.safe_dump(doc, sort_keys=False))
    cfg.chmod(0o600)
    env = {"SWEEP_VAR_KEY": SWEEP_KEY}
    for args in (
        ("profiles", "list"),
        ("profiles", "show", "--json"),
        ("doctor",),
        ("env",),
        ("export", "--format", "dotenv", "--output", str(guard.roots[1] / ".env")),
        ("configure", "--profile", "second", "--region", REGION, "--shared-host", "--store", "env"),
    ):
        said = refused_quietly(guard, key, *args, env=env)
        assert str(cfg) in said and "API key" in said


# ---------------------------------------------------------------------------------------------
# The key's variable name (T17): one allow rule on every entry point
# ---------------------------------------------------------------------------------------------
FOREIGN_NAMES = [
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PS0",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PROMPT_COMMAND",
    "HISTFILE",
    "GIT_SSH_COMMAND",
    "GIT_ASKPASS",
    "NODE_OPTIONS",
    "EDITOR",
    "PAGER",
    "TZ",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "NODE_AUTH_TOKEN",
    "SSH_KEY",
    "dashscope_api_key",
]


@pytest.mark.parametrize("name", FOREIGN_NAMES)
def test_a_variable_other_software_reads_never_carries_the_key(name, guard):
    shared = ("configure", "--region", REGION, "--shared-host")
    env = {name: SWEEP_KEY}
    for store in ("env", "file"):
        said = refused_quietly(
            guard, SWEEP_KEY, *shared, "--store", store, "--api-key-env", name, env=env
        )
        assert "_API_KEY, _KEY, _TOKEN or _SECRET" in said
    assert not guard.cli.config.exists()
    write_config(guard.cli.config, store="file")
    said = refused_quietly(guard, SWEEP_KEY, "key", "set", "--api-key-env", name, env=env)
    assert "_API_KEY, _KEY, _TOKEN or _SECRET" in said
    # On load: a config naming it is not used by any command.
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    cfg = guard.cli.config
    cfg.write_text(cfg.read_text().replace("SWEEP_VAR_KEY", name))
    for args in (("profiles", "show"), ("env",), ("doctor",)):
        said = refused_quietly(guard, SWEEP_KEY, *args, env=env)
        assert "api_key.env" in said and "_API_KEY, _KEY, _TOKEN or _SECRET" in said


@pytest.mark.parametrize(
    "name", ["DASHSCOPE_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_AUTH_TOKEN", "TEAM_KEY", "MY_SECRET"]
)
def test_credential_names_are_accepted_and_exported(name, guard):
    r = guard.cli(
        "configure",
        "--region",
        REGION,
        "--shared-host",
        "--store",
        "env",
        "--api-key-env",
        name,
        env={name: SWEEP_KEY},
    )
    assert r.rc == 0, r.output
    r = guard.cli("env", env={name: SWEEP_KEY})
    assert r.rc == 0, r.output
    assert name in r.stdout


# ---------------------------------------------------------------------------------------------
# Escape sequences in a config file (QA B7): every rendered part of an error is inert
# ---------------------------------------------------------------------------------------------
OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # a clipboard write
CSI_CLEAR = "\x1b[2J\x1b[H"
C1_CSI = "\x9b31m"
BIDI = "\u202egnp.exe"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def _hostile(doc: dict, where: str, payload: str) -> None:
    prof = doc["profiles"]["default"]
    if where == "field-name":
        prof[f"x{payload}"] = 1
    elif where == "profile-name":
        doc["profiles"] = {f"p{payload}": prof}
        doc["default_profile"] = None
    elif where == "top-level-key":
        doc[f"k{payload}"] = 1
    elif where == "base-url-surface":
        prof["base_urls"][f"s{payload}"] = "https://example.com/"
    elif where == "region-value":
        prof["region"] = f"r{payload}"


@pytest.mark.parametrize(
    "payload", [OSC52, CSI_CLEAR, C1_CSI, BIDI], ids=["osc52", "csi", "c1", "bidi"]
)
@pytest.mark.parametrize(
    "where", ["field-name", "profile-name", "top-level-key", "base-url-surface", "region-value"]
)
def test_escape_sequences_in_a_config_never_reach_the_terminal(payload, where, guard):
    cfg = write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    doc = yaml.safe_load(cfg.read_text())
    _hostile(doc, where, payload)
    cfg.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cfg.chmod(0o600)
    env = {"SWEEP_VAR_KEY": SWEEP_KEY}
    for args in (
        ("profiles", "list"),
        ("profiles", "show"),
        ("doctor",),
        ("env",),
        ("configure", "--profile", "second", "--region", REGION, "--shared-host", "--store", "env"),
    ):
        said = refused_quietly(guard, SWEEP_KEY, *args, env=env)
        assert not any(c in said for c in RAW_CONTROLS), (args, ascii(said))
        assert str(cfg) in said
        assert "\\x1b" in said or "\\x9b" in said or "\\u202e" in said, (args, said)


@pytest.mark.parametrize("key", REAL_SHAPED_KEYS, ids=REAL_SHAPED_IDS)
def test_pins_refuse_a_key_for_every_caller_not_only_the_cli(key):
    """The wizard hands its --resolve / --connect-to values to the same parser."""
    from app.core.errors import KeyInField
    from app.probe.transport import Pins

    for resolve, connect_to in (([f"{key}:443:127.0.0.1"], None), (None, [f"::{key}:443"])):
        with pytest.raises(KeyInField) as info:
            Pins.parse(resolve, connect_to)
        assert info.value.exit_code == 2 and key not in info.value.message


def test_an_existing_file_with_a_hash_in_its_path_is_not_a_key(guard, tmp_path):
    """Content-addressed paths (`/nix/store/<32 chars>-nss-cacert/...`) have a long token
    in them: as an existing CA file they are used, on the command line and in the
    environment (a false positive here would break doctor in every `nix develop` shell)."""
    import shutil

    folder = tmp_path / "nix" / "store" / "0c8fmwsa3dz5hhpj9d2yw0wg1l4q6r7k-nss-cacert-3.101"
    folder.mkdir(parents=True)
    ca = folder / "ca-bundle.crt"
    shutil.copy(guard.sim.ca_file, ca)
    write_config(guard.cli.config, store="env", env="SWEEP_VAR_KEY")
    env = {"SWEEP_VAR_KEY": SWEEP_KEY}
    r = guard.cli("doctor", "--json", "--no-environment", "--ca-file", str(ca), env=env)
    assert r.rc == 0, r.output
    r = guard.cli("doctor", "--json", "--no-environment", env={**env, "SSL_CERT_FILE": str(ca)})
    assert r.rc == 0, r.output
    # The same shape that does not exist is still refused (it cannot be a CA file).
    missing = str(folder / "0c8fmwsa3dz5hhpj9d2yw0wg1l4q6r7k")
    refused_quietly(guard, "0c8fmwsa3dz5hhpj9d2yw0wg1l4q6r7k", "doctor", "--ca-file", missing)
