"""A key written twice in one YAML mapping is refused, never resolved by "the last one wins".

PyYAML keeps the last value silently, so a merge-conflict leftover (`regions:` twice in the
team policy, `region:` twice in a profile) would widen a team rule or move a profile unseen.
Both readers behind app.config.io._parse_yaml (app.core.plain_yaml for the plain subset,
PyYAML's safe loader for the rest) refuse it naming the file, the mapping, the key and both
lines; the command exits 2 without a traceback. The tool's own assets must not have one
either: there nothing would refuse it, the last value would simply be shipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config.io import _parse_yaml, load_config
from app.config.schema import Config, ConfigError
from app.config.validate import make_profile
from app.core.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
ASSETS = sorted((ROOT / "assets").rglob("*.yaml"))

POLICY = "version: 1\nregions: [ap-southeast-1]\nregions: [us-east-1]\n"
# A YAML feature outside the plain subset (a tag), so the PyYAML reader is the one used.
READERS = {"plain": "", "pyyaml": "team: !!str Payments\n"}


def _config_text() -> str:
    """A config as configure writes it, with the profile's region written a second time."""
    profile, _ = make_profile("default", region="ap-southeast-1", workspace_id="ws-abc123")
    text = Config(default_profile="default", profiles={"default": profile}).dump()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("    model:"))
    lines.insert(at + 1, "    region: cn-beijing")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_profile_field_written_twice_is_refused_naming_the_profile(tmp_path, reader):
    text = _config_text()
    if reader == "pyyaml":
        text = text.replace("verified: null", "verified: !!null null")
    first = text.splitlines().index("    region: ap-southeast-1") + 1
    second = text.splitlines().index("    region: cn-beijing") + 1
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = info.value.message
    assert str(path) in message
    assert f"profiles.default (line {second}): region appears twice" in message
    assert f"(first at line {first})" in message


def test_a_config_without_duplicates_still_loads(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(_config_text().replace("    region: cn-beijing\n", ""), encoding="utf-8")
    assert load_config(path).profile("default").region == "ap-southeast-1"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_recommend_with_a_conflicted_policy_exits_2_naming_the_rule(cli, tmp_path, reader):
    policy = tmp_path / "modelstudio-policy.yaml"
    policy.write_text(POLICY + READERS[reader], encoding="utf-8")
    r = cli("recommend", "--residency", "none", "--policy", str(policy))
    assert r.rc == 2, r
    assert r.stderr.startswith(f"modelstudio-setup: The team policy file {policy} "), r.stderr
    assert "regions appears twice in the same mapping (first at line 2)" in r.stderr
    assert "Traceback" not in r.output and r.stdout == ""


def test_the_installed_command_refuses_it_too(run_cli, tmp_path):
    """The real entry point in a subprocess: the message, exit 2, no traceback."""
    policy = tmp_path / "modelstudio-policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    r = run_cli("recommend", "--residency", "none", "--policy", str(policy))
    assert r.rc == 2, r
    assert "line 3: regions appears twice" in r.stderr and "Traceback" not in r.stderr


def test_a_profiles_command_on_a_conflicted_config_exits_2(cli):
    cli.config.parent.mkdir(parents=True)
    cli.config.write_text(_config_text(), encoding="utf-8")
    r = cli("profiles", "list")
    assert r.rc == 2, r
    assert "region appears twice" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("path", ASSETS, ids=[str(p.relative_to(ROOT)) for p in ASSETS])
def test_no_packaged_asset_has_a_key_twice(path):
    """Read by both readers' rule: a duplicate in a locale file or the catalog would
    otherwise ship with its last value silently winning."""
    try:
        _parse_yaml(path.read_text(encoding="utf-8"), path)
    except UserError as exc:
        pytest.fail(exc.message)
