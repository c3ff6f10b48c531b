"""The team policy file: finding it, reading it safely, its rules and what they allow.

Every hostile file must end in a PolicyError whose message names the file (and the field),
never a traceback and never a key-shaped value it contained.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.config.policy import (
    MAX_POLICY_BYTES,
    POLICY_ENV,
    POLICY_FILE,
    PolicyError,
    find_policy,
    load_policy,
    read_policy,
)
from app.config.policy_parse import EXPORT_TARGETS, allowed_placements
from app.config.policy_rules import profile_violations, summary
from app.config.validate import make_profile
from app.core.catalog import load_catalog
from app.secrets.stores import KeyRef

KEY = "sk-0123456789abcdef0123456789abcdef"

FULL = """\
version: 1
team: Payments platform
residency:
  allow: eu
  reason: Customer contracts keep data in the EU.
regions: [eu-central-1]
scopes: {allow: [eu]}
access_domains:
  allow: [workspace]
  reason: Production needs the workspace domain's SLA.
plans: [pay-as-you-go]
workspace_id: {allow: WS-ABC123, reason: The team's workspace.}
models: ["qwen3.6-*", qwen-plus]
key_store: {allow: keyring, reason: No plain-text keys on laptops.}
exports: {allow: [dotenv, claude-code], reason: Only the tools we support.}
"""


def write(folder: Path, text: str | bytes, name: str = POLICY_FILE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(PolicyError) as info:
        read_policy(path)
    message = info.value.message
    assert str(path) in message
    assert "Traceback" not in message
    return message


@pytest.fixture(autouse=True)
def _no_policy_variable(monkeypatch):
    monkeypatch.delenv(POLICY_ENV, raising=False)


# ------------------------------------------------------------------------------ reading
def test_a_full_policy_reads_with_values_normalised(tmp_path):
    policy = read_policy(write(tmp_path, FULL))
    assert policy.team == "Payments platform"
    assert policy.pinned("residency") == "eu"
    assert policy.pinned("workspace_id") == "ws-abc123"  # normalised like a typed ID
    assert policy.pinned("models") is None  # a pattern is not a pin
    assert policy.allows("models", "qwen3.6-flash") and not policy.allows("models", "qwen-max")
    assert policy.rule("key_store").reason == "No plain-text keys on laptops."
    assert allowed_placements(policy, load_catalog()) == [("eu-central-1", "eu")]
    lines = summary(policy)
    assert lines[0] == "residency: eu Reason: Customer contracts keep data in the EU."
    assert any(line.startswith("exports: dotenv, claude-code") for line in lines)


def test_export_targets_are_the_exporters_formats():
    from app.export.formats import FORMATS

    assert set(EXPORT_TARGETS) == set(FORMATS)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("version: 2\nregions: [eu-central-1]\n", "version", "unsupported policy version"),
        ("regions: [eu-central-1]\n", "version", "unsupported policy version"),
        ('version: "1"\nregions: [eu-central-1]\n', "version", "write the number: version: 1"),
        ("version: 1\nregion: [eu-central-1]\n", "region", "unknown field"),
        ("version: 1\nregions: [mars-1]\n", "regions[0]", "'mars-1' is not one of"),
        ("version: 1\nregions: 7\n", "regions", "a value or a non-empty list"),
        ("version: 1\nregions: []\n", "regions", "a value or a non-empty list"),
        ("version: 1\nregions: [[eu-central-1]]\n", "regions[0]", "is not a text value"),
        ("version: 1\nscopes: {allow: [eu], why: x}\n", "scopes.why", "unknown field"),
        ("version: 1\nscopes: {reason: x}\n", "scopes", "needs allow:"),
        ("version: 1\nkey_store: {allow: vault}\n", "key_store", "'vault' is not one of"),
        ("version: 1\nmodels: ['qwen plus']\n", "models[0]", "not a model name"),
        ("version: 1\nworkspace_id: evil.com#\n", "workspace_id", "workspace"),
        ("version: 1\nteam: [a]\n", "team", "short text"),
        ("- a\n- b\n", "<root>", "expected a mapping"),
        ("version: 1\nregions: [cn-beijing]\nscopes: [eu]\n", "<rules>", "leave no region"),
        (
            "version: 1\nworkspace_id: ws-abc\naccess_domains: [dashscope]\n",
            "workspace_id",
            "workspace domain",
        ),
    ],
)
def test_wrong_shapes_and_values_are_refused_naming_the_field(tmp_path, text, where, words):
    message = refused(write(tmp_path, text))
    assert f": {where}: " in message, message
    assert words in message, message


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nbase_url: https://evil.example/v1\n",
        "version: 1\nbase_urls: {openai: https://evil.example}\n",
        "version: 1\nproxy: http://evil.example:8080\n",
        "version: 1\nhost: evil.example\n",
        "version: 1\nregions: {allow: [eu-central-1], host: evil.example}\n",
        "version: 1\nca_file: /tmp/evil.pem\n",
        "version: 1\napi_key_env: HTTPS_PROXY\n",
    ],
)
def test_a_policy_can_never_set_where_the_key_goes(tmp_path, text):
    message = refused(write(tmp_path, text))
    assert "can only restrict" in message
    assert "evil" not in message  # the value is never shown


@pytest.mark.parametrize(
    "text",
    [
        f"version: 1\nteam: {KEY}\n",
        f"version: 1\nmodels: [{KEY}]\n",
        f"version: 1\nregions: {{allow: [eu-central-1], reason: 'use {KEY}'}}\n",
        f"version: 1\n{KEY}: [x]\n",
        f"version: 1\nworkspace_id: {KEY}\n",
    ],
)
def test_a_key_anywhere_is_refused_and_never_echoed(tmp_path, text):
    message = refused(write(tmp_path, text))
    assert KEY not in message
    assert "looks like an API key" in message


def test_hostile_files_are_refused_with_a_reason(tmp_path):
    bomb = "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a]\n"
    assert "aliases" in refused(write(tmp_path / "bomb", bomb))
    assert "nested too deeply" in refused(write(tmp_path / "deep", "[" * 400 + "]" * 400))
    big = "version: 1\n" + "#" * (MAX_POLICY_BYTES + 10) + "\n"
    assert f"larger than {MAX_POLICY_BYTES}" in refused(write(tmp_path / "big", big))
    assert "not UTF-8" in refused(write(tmp_path / "bin", b"version: 1\n\x00\xff\xfe"))
    assert "not valid YAML" in refused(write(tmp_path / "bad", "version: 1\nregions: [a\n"))
    folder = tmp_path / "dir" / POLICY_FILE
    folder.mkdir(parents=True)
    assert "not a regular file" in refused(folder)


# A merge-conflict leftover: the second rule would silently replace the first.
CONFLICT = "version: 1\nregions: [ap-southeast-1]\nregions: [us-east-1]\n"


@pytest.mark.parametrize(
    "extra",
    ["", "team: !!str Payments\n"],  # plain subset; a tag sends it to the PyYAML reader
    ids=["plain", "pyyaml"],
)
def test_a_rule_written_twice_is_refused_naming_it_not_silently_replaced(tmp_path, extra):
    path = write(tmp_path, CONFLICT + extra)
    message = refused(path)
    assert "line 3: regions appears twice in the same mapping (first at line 2)" in message
    with pytest.raises(PolicyError, match="regions appears twice"):
        load_policy(path)


@pytest.mark.parametrize("extra", ["", "team: !!str Payments\n"], ids=["plain", "pyyaml"])
def test_a_key_twice_inside_a_rule_is_refused_naming_the_rule(tmp_path, extra):
    text = "version: 1\nscopes:\n  allow: [eu]\n  reason: EU only.\n  allow: [eu, cn]\n"
    message = refused(write(tmp_path, text + extra))
    assert "scopes (line 5): allow appears twice in the same mapping (first at line 3)" in message


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / POLICY_FILE
    os.mkfifo(fifo)
    assert "not a regular file" in refused(fifo)


def test_symlinks_are_followed_to_a_regular_file_and_a_dangling_one_is_named(tmp_path):
    real = write(tmp_path / "infra", "version: 1\nregions: [eu-central-1]\n", "policy.yaml")
    link = tmp_path / "repo" / POLICY_FILE
    link.parent.mkdir()
    link.symlink_to(real)
    assert read_policy(link).pinned("regions") == "eu-central-1"
    dangling = tmp_path / "other" / POLICY_FILE
    dangling.parent.mkdir()
    dangling.symlink_to(tmp_path / "nowhere.yaml")
    assert "symbolic link to a file that does not exist" in refused(dangling)
    to_device = tmp_path / "dev" / POLICY_FILE
    to_device.parent.mkdir()
    to_device.symlink_to("/dev/zero")
    assert "not a regular file" in refused(to_device)


# ------------------------------------------------------------------------------ finding
def test_the_search_stops_at_the_repository_root(tmp_path):
    write(tmp_path, "version: 1\nregions: [cn-beijing]\n")  # above the repository: ignored
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    deep = repo / "a" / "b"
    deep.mkdir(parents=True)
    search = find_policy(deep)
    assert search.found is None and search.stopped_at == repo and search.stop == "repository"
    assert load_policy(cwd=deep) is None
    write(repo, "version: 1\nregions: [eu-central-1]\n")
    policy = load_policy(cwd=deep)
    assert policy is not None and policy.path == repo / POLICY_FILE
    assert policy.found_by == "repository" and policy.searched_to == repo


def test_outside_a_repository_the_search_goes_up_to_the_filesystem_root(tmp_path):
    write(tmp_path, "version: 1\nregions: [eu-central-1]\n")
    deep = tmp_path / "x" / "y"
    deep.mkdir(parents=True)
    policy = load_policy(cwd=deep)
    assert policy is not None and policy.found_by == "filesystem"


def test_flag_beats_variable_beats_search_and_a_missing_given_file_is_an_error(
    tmp_path, monkeypatch
):
    (tmp_path / ".git").mkdir()
    write(tmp_path, "version: 1\nregions: [cn-beijing]\n")
    from_env = write(tmp_path / "env", "version: 1\nregions: [us-east-1]\n", "p.yaml")
    flag = write(tmp_path / "flag", "version: 1\nregions: [eu-central-1]\n", "p.yaml")
    assert load_policy(cwd=tmp_path).pinned("regions") == "cn-beijing"
    monkeypatch.setenv(POLICY_ENV, str(from_env))
    policy = load_policy(cwd=tmp_path)
    assert policy.pinned("regions") == "us-east-1" and policy.found_by == "environment"
    assert load_policy(str(flag), cwd=tmp_path).pinned("regions") == "eu-central-1"
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(str(tmp_path / "typo.yaml"), cwd=tmp_path)
    monkeypatch.setenv(POLICY_ENV, KEY)
    with pytest.raises(Exception) as info:
        load_policy(cwd=tmp_path)
    assert KEY not in str(info.value)


# ------------------------------------------------------------------------------ checking
def _profile(**changes):
    fields = {
        "region": "eu-central-1",
        "scope": "eu",
        "workspace_id": "ws-abc123",
        "model": "qwen3.6-plus",
        "api_key": KeyRef(store="keyring"),
        **changes,
    }
    profile, _ = make_profile("default", **fields)
    return profile


def test_a_compliant_profile_has_no_violations_and_each_break_names_its_rule(tmp_path):
    policy = read_policy(write(tmp_path, FULL))
    assert profile_violations(policy, _profile()) == []
    assert [v.rule for v in profile_violations(policy, _profile(model="qwen-max"))] == ["models"]
    store = profile_violations(policy, _profile(api_key=KeyRef(store="file")))
    assert [v.rule for v in store] == ["key_store"]
    assert "No plain-text keys on laptops." in store[0].message
    us = profile_violations(
        policy, _profile(region="us-east-1", scope="global", workspace_id="ws-abc123")
    )
    assert {"residency", "regions", "scopes"} <= {v.rule for v in us}
    shared = profile_violations(
        policy,
        _profile(endpoint_style="shared", workspace_id=None, region="us-east-1", scope="global"),
    )
    assert {"access_domains", "workspace_id"} <= {v.rule for v in shared}


def test_the_example_in_the_docs_is_a_valid_policy(tmp_path):
    """docs/policy.md's complete example is what a team lead copies: it must stay valid."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
    example = docs.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = read_policy(write(tmp_path, example))
    assert policy.team == "Payments platform"
    assert set(policy.rules) == {
        "residency",
        "regions",
        "scopes",
        "access_domains",
        "plans",
        "workspace_id",
        "models",
        "key_store",
        "exports",
    }
    assert all(rule.reason for name, rule in policy.rules.items() if name != "scopes")


def test_a_stricter_residency_answer_keeps_to_a_wider_rule(tmp_path) -> None:
    """`eu` keeps the data in the EU, so it keeps `outside-mainland`; `mainland` and `none`
    do not, and a rule allowing `none` allows every answer."""
    path = tmp_path / "modelstudio-policy.yaml"
    path.write_text("version: 1\nresidency: [outside-mainland]\n", encoding="utf-8")
    policy = read_policy(path)
    assert policy.allows("residency", "eu") and policy.allows("residency", "japan")
    assert not policy.allows("residency", "mainland")
    assert not policy.allows("residency", "none")
    path.write_text("version: 1\nresidency: [eu]\n", encoding="utf-8")
    assert not read_policy(path).allows("residency", "outside-mainland")  # wider: refused
    path.write_text("version: 1\nresidency: [none]\n", encoding="utf-8")
    assert read_policy(path).allows("residency", "mainland")
