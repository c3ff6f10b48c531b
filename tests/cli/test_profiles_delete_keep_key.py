"""`profiles delete` when the keyring cannot be reached: keep the profile, or --keep-key."""

from __future__ import annotations

from app.config.io import load_config, modify_config
from app.config.validate import make_profile
from app.secrets.stores import KeyRef


def _keyring_profile(config) -> None:
    profile = make_profile(
        "work", region="ap-southeast-1", workspace_id="ws-abc123", api_key=KeyRef("keyring")
    )[0]
    modify_config(config, lambda c: c.with_profile(profile))


def test_unreachable_keyring_keeps_the_profile_and_names_keep_key(run_cli) -> None:
    _keyring_profile(run_cli.config)
    r = run_cli("profiles", "delete", "work", "--yes")  # the fail backend: no keyring at all
    assert r.rc == 2, r
    assert "--keep-key" in r.stderr
    assert "work" in load_config(run_cli.config).profiles


def test_keep_key_deletes_the_profile_without_touching_the_keyring(run_cli) -> None:
    _keyring_profile(run_cli.config)
    r = run_cli("profiles", "delete", "work", "--yes", "--keep-key")
    assert r.rc == 0, r
    assert "work" not in load_config(run_cli.config).profiles
    assert "--keep-key" in r.stdout and "key delete --account work" in r.stdout
