"""`configure --profile P --model M`: change one field of an existing profile (QA D19), and
the notice for a model the catalog does not list (QA E28).

A remedy such as `model_not_found` prints exactly this form; before, configure demanded
`--region` (argparse: required) and the key again, so the pasted remedy failed. Now the
fields given replace the profile's, everything else and the key reference are kept, the
whole profile is validated again (base URLs recomputed), and the output says what changed.
"""

from __future__ import annotations

import json

import pytest
import yaml

from app.config.io import load_config
from tests.fixtures.sweep import assert_no_leak

KEY = "sk-EDIT0123456789abcdef0123456789"
WS = "ws-g3ganedl8go5vc5i"
SG = "ap-southeast-1"


def _create(cli, *extra: str, profile: str = "work") -> None:
    r = cli(
        "configure",
        "--profile",
        profile,
        "--region",
        SG,
        "--workspace-id",
        WS,
        "--store",
        "file",
        "--api-key-stdin",
        "--model",
        "qwen-plus",
        *extra,
        input=KEY,
    )
    assert r.rc == 0, r.output


def _doc(cli) -> dict:
    return yaml.safe_load(cli.config.read_text())


def test_changing_the_model_keeps_everything_else_and_the_key(cli):
    _create(cli)
    _create(cli, profile="other")
    before = _doc(cli)
    r = cli("configure", "--profile", "work", "--model", "qwen3-max")  # no region, no key
    assert r.rc == 0, r.output
    assert "Updated profile 'work'" in r.stdout
    assert "model: qwen-plus -> qwen3-max" in r.stdout
    assert "not touched" in r.stdout and "work.key" in r.stdout
    assert_no_leak("configure edit", r.output, keys=[KEY])
    after = _doc(cli)
    expected = before["profiles"]["work"] | {"model": "qwen3-max", "verified": None}
    assert after["profiles"]["work"] == expected
    assert after["profiles"]["other"] == before["profiles"]["other"]
    assert after["default_profile"] == before["default_profile"]
    got = cli("key", "get", "--profile", "work")
    assert (got.rc, got.stdout) == (0, KEY + "\n")
    env = cli("env", "--profile", "work")
    assert env.rc == 0 and KEY in env.stdout and "qwen3-max" in env.stdout


def test_a_changed_workspace_id_recomputes_the_base_urls(cli):
    _create(cli)
    r = cli("configure", "--profile", "work", "--workspace-id", "WS-NEW12345")
    assert r.rc == 0, r.output
    assert f"workspace_id: {WS} -> ws-new12345" in r.stdout
    prof = load_config(cli.config).profile("work")
    assert prof.workspace_id == "ws-new12345"
    assert set(prof.base_urls.values()) == {
        f"https://ws-new12345.{SG}.maas.aliyuncs.com{p}"
        for p in ("/compatible-mode/v1", "/apps/anthropic", "/api/v1")
    }
    assert f"https://ws-new12345.{SG}.maas.aliyuncs.com/compatible-mode/v1" in r.stdout
    assert cli("key", "get", "--profile", "work").stdout == KEY + "\n"


def test_switching_to_the_shared_host_and_back(cli):
    _create(cli)
    r = cli("configure", "--profile", "work", "--endpoint-style", "SHARED")
    assert r.rc == 0, r.output
    prof = load_config(cli.config).profile("work")
    assert prof.endpoint_style == "shared" and prof.workspace_id is None
    assert prof.base_urls["openai"] == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    back = cli("configure", "--profile", "work", "--endpoint-style", "workspace")
    assert back.rc == 2 and "workspace ID" in back.stderr  # the old ID is gone: say so
    back = cli("configure", "--profile", "work", "--workspace-id", WS)
    assert back.rc == 0, back.output
    assert load_config(cli.config).profile("work").endpoint_style == "workspace"


def test_a_region_change_must_stay_consistent(cli):
    _create(cli)
    before = cli.config.read_bytes()
    r = cli("configure", "--profile", "work", "--region", "cn-beijing")
    assert r.rc == 2 and "--workspace-id" in r.stderr and "Nothing was written" in r.stderr
    r = cli(
        "configure", "--profile", "work", "--region", "eu-central-1", "--workspace-id", "ws-eu1"
    )
    assert r.rc == 2 and "--scope" in r.stderr  # Frankfurt: the scope is per workspace
    assert cli.config.read_bytes() == before
    r = cli(
        "configure", "--profile", "work", "--region", "EU-CENTRAL-1", "--workspace-id", "ws-e",
        "--scope", "eu",
    )  # fmt: skip
    assert r.rc == 0, r.output
    prof = load_config(cli.config).profile("work")
    assert (prof.region, prof.scope, prof.workspace_id) == ("eu-central-1", "eu", "ws-e")
    assert prof.host == "ws-e.eu-central-1.maas.aliyuncs.com"
    assert cli("key", "get", "--profile", "work").stdout == KEY + "\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--model", "qwen plus"), "model"),
        (("--scope", "us"), "does not offer"),
        (("--workspace-id", "evil.com#"), "workspace ID"),
        (("--shared-host", "--endpoint-style", "workspace"), "say different things"),
    ],
)
def test_a_bad_edit_writes_nothing(cli, args, says):
    _create(cli)
    before = cli.config.read_bytes()
    r = cli("configure", "--profile", "work", *args)
    assert r.rc == 2, r.output
    assert says in r.stderr and "Traceback" not in r.output
    assert cli.config.read_bytes() == before


def test_nothing_to_change_writes_nothing(cli):
    _create(cli)
    before = cli.config.stat().st_mtime_ns, cli.config.read_bytes()
    r = cli("configure", "--profile", "work", "--model", "qwen-plus")
    assert r.rc == 0 and "nothing was written" in r.stdout
    assert (cli.config.stat().st_mtime_ns, cli.config.read_bytes()) == before


def test_a_new_profile_still_needs_a_region(cli):
    _create(cli)
    r = cli("configure", "--profile", "fresh", "--model", "qwen3-max")
    assert r.rc == 2 and "--region is needed" in r.stderr and "'fresh'" in r.stderr
    assert "fresh" not in load_config(cli.config).profiles


def test_the_edit_works_with_the_config_flag_and_the_real_keyring(run_cli, secret_service):
    """The remedy's exact form, `configure --profile P --model M --config C`, with the key
    in the real Secret Service: the key is still found afterwards."""
    env = dict(secret_service.env)
    backend = env["PYTHON_KEYRING_BACKEND"]
    cfg = run_cli.root / "team" / "team.yaml"
    base = ("--config", str(cfg))
    r = run_cli(
        "configure", "--profile", "edit-real", "--region", SG, "--workspace-id", WS,
        "--api-key-stdin", *base, input=KEY, env=env, keyring_backend=backend,
    )  # fmt: skip
    assert r.rc == 0, r.output
    r = run_cli(
        "configure", "--profile", "edit-real", "--model", "qwen3-max", *base,
        env=env, keyring_backend=backend,
    )  # fmt: skip
    assert r.rc == 0, r.output
    assert "model: qwen-flash -> qwen3-max" in r.stdout
    assert_no_leak("configure edit", r.output, keys=[KEY])
    got = run_cli("key", "get", "--profile", "edit-real", *base, env=env, keyring_backend=backend)
    assert (got.rc, got.stdout) == (0, KEY + "\n"), got.output
    shown = run_cli(
        "profiles", "show", "edit-real", "--json", *base, env=env, keyring_backend=backend
    )
    doc = json.loads(shown.stdout)
    assert doc["model"] == "qwen3-max" and doc["api_key"]["present"] is True


# ---------------------------------------------------------------------------------------------
# E28: a model the catalog does not know is saved, with a notice and how to check it
# ---------------------------------------------------------------------------------------------
def test_an_unknown_model_is_saved_with_a_notice(cli):
    r = cli(
        "configure", "--region", SG, "--shared-host", "--store", "env",
        "--model", "qwen-nonexistent",
    )  # fmt: skip
    assert r.rc == 0, r.output
    assert "qwen-nonexistent is not a model this tool's catalog lists for ap-southeast-1" in (
        r.stderr
    )
    assert "doctor" in r.stderr and "saved anyway" in r.stderr
    assert load_config(cli.config).profile().model == "qwen-nonexistent"
    edit = cli("configure", "--profile", "default", "--model", "qwen-other-unknown")
    assert edit.rc == 0 and "qwen-other-unknown is not a model" in edit.stderr
    assert "doctor --profile default" in edit.stderr


@pytest.mark.parametrize(
    ("region", "scope", "model"),
    [(SG, None, "qwen-plus"), (SG, None, "qwen3-coder-plus"), ("us-east-1", "us", "qwen-plus-us")],
)
def test_a_catalog_model_gets_no_notice(cli, region, scope, model):
    extra = ("--scope", scope) if scope else ()
    r = cli(
        "configure", "--region", region, "--shared-host", "--store", "env", "--model", model,
        *extra,
    )  # fmt: skip
    assert r.rc == 0, r.output
    assert "catalog" not in r.stderr


def test_enumerated_choices_accept_any_case(cli):
    r = cli(
        "configure", "--region", "AP-SOUTHEAST-1", "--shared-host", "--store", "ENV",
        "--scope", "International", "--residency", "Outside-Mainland",
    )  # fmt: skip
    assert r.rc == 0, r.output
    prof = load_config(cli.config).profile()
    assert (prof.region, prof.scope, prof.residency, prof.api_key.store) == (
        SG,
        "international",
        "outside-mainland",
        "env",
    )


def test_a_key_for_an_existing_profile_without_region_points_to_key_set(cli):
    _create(cli)
    before = cli.config.read_bytes()
    r = cli("configure", "--profile", "work", "--api-key-stdin", input="sk-other0123456789")
    assert r.rc == 2 and "Profile 'work' exists" in r.stderr
    assert "key set --profile work" in r.stderr and "Nothing was written" in r.stderr
    assert cli.config.read_bytes() == before
    assert cli("key", "get", "--profile", "work").stdout == KEY + "\n"


def test_the_next_line_is_spelt_as_it_runs_from_the_users_shell(run_cli, tmp_path) -> None:
    """Under `uv run` the bare name is not on the user's PATH (D26): the Next line of
    configure says `uv run modelstudio-setup doctor ...` and addresses the same config."""
    other = tmp_path / "team.yaml"
    env = {
        "UV_RUN_RECURSION_DEPTH": "1",
        "VIRTUAL_ENV": str(tmp_path / "venv"),
        "PATH": f"{tmp_path / 'venv' / 'bin'}:/usr/bin:/bin",
    }
    r = run_cli(
        "configure",
        "--config",
        str(other),
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--api-key-env",
        "DASHSCOPE_API_KEY",
        "--store",
        "env",
        env=env,
    )
    assert r.rc == 0, r
    next_line = next(line for line in r.stdout.splitlines() if line.startswith("Next:"))
    assert f"uv run modelstudio-setup doctor --config {other}" in next_line
    assert f'eval "$(uv run modelstudio-setup env --config {other})"' in next_line
    r = run_cli("configure", "--config", str(other), "--model", "qwen-plus", env=env)
    assert r.rc == 0, r
    assert f"Next: uv run modelstudio-setup doctor --config {other}" in r.stdout
