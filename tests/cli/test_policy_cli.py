"""The team policy file at every command-line entry point: configure (new and edit),
recommend, export and doctor, found upwards from the working directory or given with
--policy / MODELSTUDIO_SETUP_POLICY; hostile files end in exit 2 with a clear message,
nothing written and no traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from app.config.io import load_config
from tests.fixtures.doctor import doctor, write_config

KEY = "sk-0123456789abcdef0123456789abcdef"

EU_POLICY = """\
version: 1
team: Payments platform
residency:
  allow: eu
  reason: Customer contracts keep data in the EU.
regions: [eu-central-1]
key_store:
  allow: file
  reason: The CI image has no keyring.
models: {allow: ["qwen3.6-*", qwen-plus], reason: Approved models only.}
exports: {allow: [dotenv, claude-code], reason: Only the tools we support.}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository with the EU policy at its root; the command runs in a subfolder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "modelstudio-policy.yaml").write_text(EU_POLICY, encoding="utf-8")
    work = root / "service" / "api"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.delenv("MODELSTUDIO_SETUP_POLICY", raising=False)
    return root


def _configure_eu(cli, *extra: str, model: str | None = "qwen-plus"):
    """`configure` of a Frankfurt workspace profile (`model` None: no --model given)."""
    models = ("--model", model) if model is not None else ()
    return cli(
        "configure",
        "--region",
        "eu-central-1",
        "--workspace-id",
        "ws-abc123",
        *models,
        "--api-key-stdin",
        *extra,
        input=KEY,
    )


# ---------------------------------------------------------------------------- configure
def test_configure_refuses_a_region_the_policy_does_not_allow(cli, repo):
    r = cli("configure", "--region", "us-east-1", "--shared-host", "--api-key-stdin", input=KEY)
    assert r.rc == 2, r
    # The rule of the choice typed (the region), not what follows from it (its scope).
    assert "the rule regions allows only eu-central-1, not us-east-1" in r.stderr
    assert str(repo / "modelstudio-policy.yaml") in r.stderr
    assert "Nothing was written" in r.stderr and "Traceback" not in r.stderr
    assert not cli.config.parent.exists()
    assert KEY not in r.output


def test_configure_follows_the_policy_and_takes_its_pins_as_defaults(cli, repo):
    r = _configure_eu(cli)
    assert r.rc == 0, r
    assert "team policy in force" in r.stderr and str(repo) in r.stderr
    profile = load_config(cli.config).profile("default")
    assert (profile.region, profile.scope, profile.residency) == ("eu-central-1", "eu", "eu")
    assert profile.api_key.store == "file"  # the store the policy pins, not the keyring


def test_configure_without_a_model_takes_the_first_the_policy_allows(cli, repo):
    """The EU scope's first test model (qwen3.5-flash) is not on the allow-list: the
    profile gets the first catalog model that is (qwen-plus), not a refusal of a model the
    user never chose."""
    r = _configure_eu(cli, model=None)
    assert r.rc == 0, r
    assert load_config(cli.config).profile("default").model == "qwen-plus"


def test_configure_refuses_a_store_and_a_model_outside_the_policy(cli, repo):
    r = _configure_eu(cli, "--store", "keyring")
    assert r.rc == 2 and "the rule key_store allows only file, not keyring" in r.stderr
    assert "The CI image has no keyring." in r.stderr
    r = _configure_eu(cli, model="qwen-max")
    assert r.rc == 2 and "the rule models allows only qwen3.6-*, qwen-plus" in r.stderr
    assert not cli.config.parent.exists()


def test_an_edit_that_breaks_the_policy_is_refused_and_the_file_kept(cli, repo):
    assert _configure_eu(cli).rc == 0
    before = cli.config.read_bytes()
    r = cli("configure", "--model", "qwen-max")
    assert r.rc == 2, r
    assert "the rule models" in r.stderr and "Approved models only." in r.stderr
    assert cli.config.read_bytes() == before
    assert cli("configure", "--model", "qwen3.6-flash").rc == 0
    assert load_config(cli.config).profile("default").model == "qwen3.6-flash"


def test_the_policy_flag_and_variable_choose_the_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    strict = tmp_path / "strict.yaml"
    strict.write_text("version: 1\nregions: [cn-beijing]\n", encoding="utf-8")
    args = ("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "file")
    r = cli(*args, "--policy", str(strict), "--api-key-stdin", input=KEY)
    assert r.rc == 2 and "the rule regions allows only cn-beijing" in r.stderr
    r = cli(*args, "--api-key-stdin", input=KEY, env={"MODELSTUDIO_SETUP_POLICY": str(strict)})
    assert r.rc == 2 and "from MODELSTUDIO_SETUP_POLICY" in r.stderr
    r = cli(*args, "--policy", str(tmp_path / "typo.yaml"), "--api-key-stdin", input=KEY)
    assert r.rc == 2 and "does not exist" in r.stderr
    assert not cli.config.parent.exists()


# ---------------------------------------------------------------------------- hostile files
HOSTILE = {
    "key": f"version: 1\nteam: {KEY}\n",
    "base_url": "version: 1\nbase_url: https://evil.example/compatible-mode/v1\n",
    "proxy": "version: 1\nregions: {allow: [eu-central-1], proxy: http://evil.example}\n",
    "alias_bomb": "version: 1\na: &a [x, x, x, x]\nb: [*a, *a, *a, *a]\n",
    "nesting": "[" * 800 + "]" * 800,
    "huge": "version: 1\n" + "# padding\n" * 20_000,
    "binary": "\x00\x01\x02version: 1\n",
    "wrong_type": "version: 1\nregions: {allow: 42}\n",
    "not_yaml": "version: 1\nregions: [eu-central-1\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_policy_stops_every_command_with_a_clear_message(cli, repo, name):
    (repo / "modelstudio-policy.yaml").write_text(HOSTILE[name], encoding="utf-8")
    for args in (
        ("configure", "--region", "eu-central-1", "--workspace-id", "ws-abc123"),
        ("recommend", "--residency", "eu"),
        ("export", "--format", "dotenv"),
    ):
        extra = ("--store", "file", "--api-key-stdin") if args[0] == "configure" else ()
        r = cli(*args, *extra, input=KEY)
        assert r.rc == 2, (args, r)
        assert r.stderr.startswith("modelstudio-setup: The team policy file "), r.stderr
        assert "Traceback" not in r.output and KEY not in r.output and "evil" not in r.output
        assert r.stdout == "" and len(r.stderr) < 1500
    assert not cli.config.parent.exists()


def test_an_unreadable_policy_is_named_with_the_reason(run_cli, tmp_path):
    work = run_cli.root / "repo"
    (work / ".git").mkdir(parents=True)
    policy = work / "modelstudio-policy.yaml"
    policy.write_text(EU_POLICY, encoding="utf-8")
    policy.chmod(0)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    r = run_cli("recommend", "--residency", "eu", cwd=work, prefix=prefix)
    assert r.rc == 2, r
    assert "cannot be read (Permission denied)" in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------------------- recommend
def test_recommend_offers_only_what_the_policy_allows_and_says_so(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\nregions: {allow: [eu-central-1, ap-southeast-1], reason: x y z}\n"
        "access_domains: [workspace]\n",
        encoding="utf-8",
    )
    plain = json.loads(
        cli("recommend", "--residency", "none", "--near", "americas", "--json").stdout
    )
    assert plain["region"] == "us-east-1" and "policy_notes" not in plain
    r = cli(
        "recommend", "--residency", "none", "--near", "americas", "--json", "--policy", str(policy)
    )
    assert r.rc == 0, r
    data = json.loads(r.stdout)
    assert data["region"] in ("eu-central-1", "ap-southeast-1")
    assert {a["region"] for a in data["alternatives"]} <= {"eu-central-1", "ap-southeast-1"}
    assert [d["id"] for d in data["access_domains"]] == ["workspace"]
    notes = " ".join(data["policy_notes"])
    assert str(policy) in notes and "us-east-1" in notes  # what it changed, and what it left out
    card = cli("recommend", "--residency", "none", "--near", "americas", "--policy", str(policy))
    assert "Team policy:" in card.stdout and "us-east-1 / global" in card.stdout


def test_recommend_refuses_a_residency_the_policy_rules_out(cli, repo):
    r = cli("recommend", "--residency", "mainland")
    assert r.rc == 2, r
    assert "the rule residency allows only eu, not mainland" in r.stderr
    assert "Customer contracts keep data in the EU." in r.stderr
    assert r.stdout == ""


def _names_the_policy(stderr: str, repo: Path) -> bool:
    path = repo / "modelstudio-policy.yaml"
    return f"note: team policy in force: {path} (found in this repository" in stderr


def test_recommend_names_the_policy_it_follows_on_stderr(cli, repo):
    r = cli("recommend", "--residency", "eu", "--json")
    assert r.rc == 0, r
    assert _names_the_policy(r.stderr, repo) and json.loads(r.stdout)["region"] == "eu-central-1"
    refused = cli("recommend", "--residency", "outside-mainland")
    assert refused.rc == 2 and refused.stdout == "", refused
    assert _names_the_policy(refused.stderr, repo)


# ---------------------------------------------------------------------------- export
def test_export_refuses_a_target_the_policy_does_not_allow(cli, repo, tmp_path):
    assert _configure_eu(cli).rc == 0
    out = tmp_path / "snippet.py"
    r = cli("export", "--format", "openai-python", "--output", str(out))
    assert r.rc == 2, r
    assert "the rule exports allows only dotenv, claude-code, not openai-python" in r.stderr
    assert "Only the tools we support." in r.stderr
    assert not out.exists() and r.stdout == ""
    r = cli("export", "--format", "dotenv")
    assert r.rc == 0 and "eu-central-1" in r.stdout and KEY not in r.output


def test_export_names_the_policy_it_follows_on_stderr(cli, repo):
    assert _configure_eu(cli).rc == 0
    r = cli("export", "--format", "dotenv")
    assert r.rc == 0 and "eu-central-1" in r.stdout, r
    assert _names_the_policy(r.stderr, repo) and "team policy" not in r.stdout
    doc = cli("export", "--format", "dotenv", "--json")
    assert doc.rc == 0 and json.loads(doc.stdout)["action"] == "export", doc
    assert _names_the_policy(doc.stderr, repo)
    refused = cli("export", "--format", "litellm", "--json")
    assert refused.rc == 2 and refused.stdout == "", refused
    assert _names_the_policy(refused.stderr, repo)


# ---------------------------------------------------------------------------- doctor
@pytest.fixture
def env(env):
    """The doctor tests' clean machine, with no policy named by the environment."""
    env.delenv("MODELSTUDIO_SETUP_POLICY", raising=False)
    return env


def test_doctor_reports_each_rule_a_profile_breaks(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)  # a Singapore workspace profile, key in a variable
    (tmp_path / "modelstudio-policy.yaml").write_text(EU_POLICY, encoding="utf-8")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    found = [f for f in run.data["findings"] if f["code"] == "policy_violation"]
    rules = {f["message"].split("the rule ")[1].split(" ")[0] for f in found}
    assert {"residency", "regions", "key_store"} <= rules
    assert all(f["severity"] == "warning" for f in found)
    assert "The CI image has no keyring." in " ".join(f["message"] for f in found)
    assert run.code == 1  # connectivity is fine, compliance is not: not "ok"
    assert "policy_violation" in run.report


def test_doctor_without_a_policy_or_with_a_compliant_one_adds_nothing(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    (tmp_path / "modelstudio-policy.yaml").write_text(
        "version: 1\nregions: [ap-southeast-1]\n", encoding="utf-8"
    )
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    assert run.code == 0 and run.data["findings"] == []


def test_doctor_names_an_unusable_policy_file_without_showing_its_key(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    (tmp_path / "modelstudio-policy.yaml").write_text(HOSTILE["key"], encoding="utf-8")
    run = doctor(capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"))
    invalid = [f for f in run.data["findings"] if f["code"] == "policy_invalid"]
    assert len(invalid) == 1 and "looks like an API key" in invalid[0]["message"]
    assert KEY not in run.out + run.err + run.report


def test_the_saved_config_is_untouched_by_a_policy_rename(cli, repo):
    """The policy never rewrites a profile: only configure, asked to, does."""
    assert _configure_eu(cli).rc == 0
    before = yaml.safe_load(cli.config.read_text())
    (repo / "modelstudio-policy.yaml").write_text(
        "version: 1\nregions: [cn-beijing]\n", encoding="utf-8"
    )
    r = cli("export", "--format", "dotenv")
    assert r.rc == 0  # no exports rule any more: the profile is exported as it is
    assert yaml.safe_load(cli.config.read_text()) == before
    assert Path(cli.config).exists()


def test_the_wizard_refuses_to_start_with_an_unusable_policy(cli, repo):
    (repo / "modelstudio-policy.yaml").write_text(HOSTILE["base_url"], encoding="utf-8")
    r = cli()  # no command: the wizard
    assert r.rc == 2, r
    assert "can only restrict" in r.stderr and "evil" not in r.output
    assert "Traceback" not in r.output
