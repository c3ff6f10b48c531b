"""Regression tests for the QA / sweep findings on doctor (B3-B36, S1-S3): each one fails on
the code before its fix. Real simulator over loopback TLS, doctor run in-process as a user
would, outputs read back from `--json` / the text / the report file."""

from __future__ import annotations

import os
import stat

import pytest

from app.cli import main
from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.core import record
from app.core.catalog import load_catalog
from app.secrets.key import ApiKey
from app.secrets.stores import KeyRef, store_for
from app.simulator.accounts import Account, fake_key, fake_workspace_id
from app.simulator.faults import Fault
from app.simulator.proxy import ConnectProxy
from app.simulator.server import Simulator
from tests.fixtures.doctor import KEY_VAR, doctor, doctor_via_proxy, write_config


def write_scoped_config(tmp_path, account: Account, scope: str, model: str | None = None):
    """A profile as configure writes it for a scope: the scope's default model unless given."""
    profile, _ = make_profile(
        "default",
        region=account.region,
        scope=scope,
        endpoint_style="workspace",
        workspace_id=account.workspace_id,
        model=model or load_catalog().default_model(scope),
        api_key=KeyRef(store="env", env=KEY_VAR),
    )
    path = tmp_path / "config.yaml"
    atomic_write(path, Config().with_profile(profile, make_default=True).dump())
    return path


SCOPED = [("eu-central-1", "eu"), ("cn-hongkong", "hongkong"), ("ap-northeast-1", "japan")]


# ---------------------------------------------------------------------------------- B26
@pytest.mark.parametrize(("region", "scope"), SCOPED, ids=[s for _, s in SCOPED])
def test_scope_profile_with_its_default_model_passes_its_own_check(
    capsys, env, tmp_path, simulator_ca, region, scope
):
    """The default model of the EU / HK / Japan scope (qwen3.5-flash) is not served by the
    Anthropic surface: that surface is checked with a model it serves, the one exported."""
    from app.clients.variables import anthropic_model
    from app.config.io import load_config

    account = Account(
        name=scope,
        key=fake_key(f"fix-{scope}"),
        region=region,
        workspace_id=fake_workspace_id(f"fix-{scope}"),
        scope=scope,
    )
    sim = Simulator([account], ca=simulator_ca).start_in_thread()
    try:
        cfg = write_scoped_config(tmp_path, account, scope)
        run = doctor(capsys, env, tmp_path, sim, account.key)
        assert run.code == 0, run.data["findings"]
        checks = {c["surface"]: c for c in run.data["checks"]}
        assert all(c["status"] == "pass" for c in checks.values())
        profile = load_config(cfg).profile(None)
        assert checks["openai"]["model"] == profile.model == "qwen3.5-flash"
        assert checks["anthropic"]["model"] == anthropic_model(profile) == "qwen-plus"
    finally:
        sim.stop_thread()


def test_anthropic_check_model_agrees_with_the_exported_model():
    """For every region, scope and model of the scope, the probe asks the Anthropic surface
    for the model the claude-code / anthropic exports write."""
    from app.clients.variables import anthropic_model
    from app.core.catalog import anthropic_probe_model
    from app.export.formats import export

    catalog = load_catalog()
    compared = 0
    for region in catalog.regions.values():
        for scope in region.scopes:
            models = list(catalog.ping_models(scope))
            if region.legacy_suffix:
                # US Virginia: `-us` models, served on the Anthropic surface or not.
                models += [f"{m}-us" for m in catalog.anthropic_models] + ["qwen3.5-flash-us"]
            for model in models:
                profile, _ = make_profile(
                    "p",
                    region=region.id,
                    scope=scope,
                    endpoint_style="workspace",
                    workspace_id="ws-abcdefghijklmnop",
                    model=model,
                    api_key=KeyRef(store="env", env=KEY_VAR),
                )
                probed = anthropic_probe_model(region.id, scope, model, catalog)
                assert probed == anthropic_model(profile, catalog), (region.id, scope, model)
                written = [
                    line
                    for line in export(profile, "dotenv", catalog=catalog).splitlines()
                    if line.startswith("ANTHROPIC_MODEL=")
                ]
                expected = [f"ANTHROPIC_MODEL='{probed}'"] if probed else []
                assert written == expected, (region.id, scope, model)
                compared += 1
    assert compared > 20


async def test_scope_without_any_anthropic_model_skips_that_inference_with_info(simulator_ca):
    """If the Anthropic surface served none of the scope's models, its check is a keyless
    reachability check with an info finding; the verdict stays ok."""
    from app.probe.engine import ProbeOptions, run_checks
    from app.probe.targets import targets_for
    from app.probe.transport import Pins

    catalog = record.replace(load_catalog(), anthropic_models=("qwen3-coder-plus",))
    account = Account(
        name="eu",
        key=fake_key("fix-eu-none"),
        region="eu-central-1",
        workspace_id=fake_workspace_id("fix-eu-none"),
        scope="eu",
    )
    sim = Simulator([account], ca=simulator_ca, catalog=catalog).start_in_thread()
    try:
        targets = targets_for(
            "eu-central-1", "workspace", account.workspace_id, "qwen3.5-flash", None, catalog, "eu"
        )
        options = ProbeOptions(
            timeout=5, pins=Pins.parse([], [sim.connect_to]), ca_file=str(sim.ca_file), env={}
        )
        result = await run_checks(targets, ApiKey(account.key), options)
    finally:
        sim.stop_thread()
    assert result.verdict == "ok"
    checks = {c.surface: c for c in result.checks}
    assert checks["anthropic"].status == "skip"
    assert checks["openai"].status == checks["dashscope"].status == "pass"
    (finding,) = result.findings
    assert finding.code == "anthropic_model_unserved" and finding.severity == "info"
    assert "qwen3.5-flash" in finding.message
    anthropic = [r for r in sim.requests if r.surface == "anthropic"]
    assert anthropic and all(r.key_fingerprint is None for r in anthropic)


# ---------------------------------------------------------------------------------- B24/B25
def test_without_a_usable_key_no_row_says_ok(capsys, env, tmp_path, simulator):
    """A 401 to a request sent without the key proves reachability, not the key."""
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, None)
    assert run.codes == {"no_key"}
    assert [c["status"] for c in run.data["checks"]] == ["skip", "skip", "skip"]
    assert all(c["http_status"] == 401 and c["key_sent"] is False for c in run.data["checks"])
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "✓" not in out and " ok " not in out
    assert out.count("reachable; the key was not sent") == 3
    assert "Where: -" not in out


def test_key_file_readable_by_others_is_described_with_its_real_mode(
    capsys, env, tmp_path, simulator
):
    cfg = write_config(tmp_path, simulator, store="file")
    key = simulator.key("ap-southeast-1")
    store = store_for(KeyRef("file"), cfg.parent)
    store.set("default", ApiKey(key))
    key_file = store.path_for("default")
    key_file.chmod(0o644)
    run = doctor(capsys, env, tmp_path, simulator, None)
    assert run.codes == {"no_key"}
    source = run.data["environment"]["key_source"]
    assert "0644" in source and "0600" not in source
    finding = run.data["findings"][0]
    assert "key set --profile default" in finding["remedy"]
    assert "No API key was found" not in finding["message"]


# ---------------------------------------------------------------------------------- report
def test_report_into_a_missing_directory_is_refused_before_any_packet(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    target = tmp_path / "typo" / "dir" / "r.md"
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main([*argv, "--report", str(target)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and str(target.parent) in err
    assert not (tmp_path / "typo").exists()
    assert simulator.requests == []
    assert main([*argv, "--report", str(tmp_path)]) == 2  # a directory (S1)
    assert simulator.requests == []


def test_report_is_private_whatever_the_umask_and_leaves_nothing_else(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    folder = tmp_path / "out"
    folder.mkdir()
    old = os.umask(0)
    try:
        env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
        argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
        argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
        assert main([*argv, "--report", str(folder / "r.md")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((folder / "r.md").stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["r.md"]
    assert "doctor report" in (folder / "r.md").read_text()


# ---------------------------------------------------------------------------------- S3
def test_connect_to_pin_does_not_redirect_the_proxy_connection(capsys, env, tmp_path, simulator):
    """Behind a proxy, a pin must not send the CONNECT to the pinned address (the simulator,
    which is no proxy): the checks go through the proxy and doctor says the pin was unused."""
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port)).start_in_thread()
    try:
        write_config(tmp_path, simulator)
        env.setenv("HTTPS_PROXY", proxy.url)
        run = doctor(
            capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-environment"
        )
        assert proxy.tunnels, "the requests went through the proxy"
        assert run.code == 0, run.data["findings"]
        assert run.codes == {"pins_not_applied"}
        assert "--no-proxy" in run.data["findings"][0]["remedy"]
    finally:
        proxy.stop_thread()


# ---------------------------------------------------------------------------------- B4
def test_proxy_asking_for_credentials_names_the_proxy(capsys, env, tmp_path, simulator):
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port), auth=("alice", "pw"))
    proxy.start_in_thread()
    try:
        run = doctor_via_proxy(capsys, env, tmp_path, simulator, "HTTPS_PROXY", proxy.url)
        (finding,) = run.data["findings"]
        assert finding["code"] == "proxy_auth_required"
        assert f"The proxy {proxy.url} asks for credentials" in finding["message"]
    finally:
        proxy.stop_thread()


# ---------------------------------------------------------------------------------- B3/B29
def test_error_envelope_with_an_unknown_code_is_a_refusal_not_a_captive_portal(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("status", status=400, code="data_inspection_failed"))
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-environment"
    )
    assert run.code == 1
    assert "unexpected_response" not in run.codes
    finding = next(f for f in run.data["findings"] if f["code"] == "request_refused")
    assert finding["message"].startswith("Key accepted")
    assert "HTTP 400, data_inspection_failed" in finding["message"]
    assert "captive portal" not in finding["remedy"]
    assert finding["request_ids"]


def test_workspace_access_denied_points_to_the_workspace_and_the_full_command(
    capsys, env, tmp_path, simulator_ca
):
    sim = Simulator(ca=simulator_ca, wrong_workspace_status=403).start_in_thread()
    try:
        write_config(tmp_path, sim, "ap-southeast-1")
        run = doctor(capsys, env, tmp_path, sim, sim.key("demo"))
        assert run.codes == {"workspace_access_denied"}
        remedy = run.data["findings"][0]["remedy"]
        assert "workspace ID" in remedy and "granted" not in remedy
        assert "doctor --profile default --config" in remedy and "--all-regions" in remedy
        assert f"--connect-to {sim.connect_to}" in remedy
    finally:
        sim.stop_thread()


# ---------------------------------------------------------------------------------- B7
def test_key_rejected_remedy_names_the_profile_config_and_pins(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, "sk-" + "a" * 32)
    remedy = run.data["findings"][0]["remedy"]
    cfg = tmp_path / "config.yaml"
    from app.core.invocation import command

    rerun = command("doctor", "--profile", "default", "--config", str(cfg))
    assert (
        f"`{rerun} --connect-to {simulator.connect_to} --ca-file {simulator.ca_file} --all-regions`"
    ) in remedy


# ---------------------------------------------------------------------------------- B36
@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_broken_ssl_cert_variable_is_named(capsys, env, tmp_path, simulator, variable):
    write_config(tmp_path, simulator)
    env.setenv(variable, str(tmp_path / "nonexistent.pem"))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), ca=False)
    finding = next(f for f in run.data["findings"] if f["code"] == "ssl_cert_env_broken")
    assert variable in finding["message"] and "nonexistent.pem" in finding["message"]
    assert f"unset {variable}" in finding["remedy"]


# ---------------------------------------------------------------------------------- B14
def test_doctor_tui_without_a_terminal_is_refused_with_exit_2(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    code = main(["doctor", "--tui", "--lang", "en", "--config", str(tmp_path / "config.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--tui needs a terminal" in err
    assert simulator.requests == []


@pytest.mark.parametrize(("verdict", "code"), [("ok", 0), ("fail", 1), ("warn", 1), (None, 1)])
def test_doctor_tui_opens_the_doctor_screen_of_the_profile(
    env, tmp_path, simulator, monkeypatch, verdict, code
):
    """With a terminal, `doctor --tui` builds the TUI's doctor app for the profile, with the
    validated network options; App.run is replaced so no real terminal is needed. It exits
    like `doctor`: 0 only for an ok verdict of the screen's run, 1 for any other verdict
    and when no run finished (QA: it exited 0 on a failing verdict)."""
    import types

    import app.services as wizard_cmd

    write_config(tmp_path, simulator)
    monkeypatch.setattr(wizard_cmd, "is_interactive", lambda: True)
    seen = {}

    def fake_run(self):
        seen["profile"] = self.doctor_profile
        seen["options"] = self.services.probe_options
        if verdict is not None:  # what run_checks reports when the screen's run ends
            self.services.probe_options.on_result(types.SimpleNamespace(verdict=verdict))
        return None

    from app.tui import WizardApp

    monkeypatch.setattr(WizardApp, "run", fake_run)
    argv = ["doctor", "--tui", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == code
    assert seen["profile"] == "default"
    assert seen["options"].ca_file == str(simulator.ca_file)
    assert seen["options"].pins
    assert seen["options"].timeout == 10.0


# ---------------------------------------------------------------------------------- B11
def test_model_not_found_names_the_models_of_the_profile_scope(capsys, env, tmp_path, simulator):
    """An EU profile is not told about `-us` names: the remedy lists the EU scope's models."""
    account = simulator.accounts["eu-central-1"]
    write_scoped_config(tmp_path, account, "eu", model="qwen-flash")  # a Global-scope model
    run = doctor(capsys, env, tmp_path, simulator, account.key)
    finding = next(f for f in run.data["findings"] if f["code"] == "model_not_found")
    assert "qwen3.5-flash, qwen-plus, qwen3-max" in finding["remedy"]
    assert "-us" not in finding["remedy"]


def test_environment_flags_read_as_words_not_python_booleans(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    env.setenv(KEY_VAR, simulator.key("ap-southeast-1"))
    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml"), "--no-proxy"]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "--no-proxy: yes" in out and "True" not in out
