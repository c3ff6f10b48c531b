"""Keyring entries are scoped to one config file (T21), against the REAL Secret Service.

Two config files with a profile `default` must never overwrite or delete each other's key;
moving a config or opening it through a symlink keeps its key; an entry of the earlier
version (user = profile name) moves to the scoped name on first use; a copied config that
shares an entry is detected and named.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from app.config.io import load_config, modify_config
from app.config.validate import make_profile
from app.secrets.stores import KeyRef
from tests.fixtures.cli import CliRunner, kill_at_rename
from tests.fixtures.keyring import SecretServiceSession, legacy_config

KEY_MAIN = "sk-scopemain0123456789abcdef01"
KEY_CLI = "sk-scopecli00123456789abcdef02"
CONF = ("configure", "--region", "ap-southeast-1", "--workspace-id", "ws-scope1")


def _run(run_cli: CliRunner, ss: SecretServiceSession, *args: str, **kw: object):
    env = dict(ss.env)
    return run_cli(*args, env=env, keyring_backend=env["PYTHON_KEYRING_BACKEND"], **kw)  # type: ignore[arg-type]


def _configure(run_cli, ss, config: Path, key: str):
    r = _run(run_cli, ss, *CONF, "--config", str(config), "--api-key-stdin", input=key + "\n")
    assert r.rc == 0, r.output
    return r


def _get(run_cli, ss, config: Path):
    return _run(run_cli, ss, "key", "get", "--config", str(config))


def _account(config: Path) -> str:
    return load_config(config).profiles["default"].api_key.account  # type: ignore[return-value]


def _no_key(*results, keys=(KEY_MAIN, KEY_CLI)) -> None:
    for r in results:
        for key in keys:
            assert key not in r.stderr


def test_two_configs_with_default_keep_their_own_keys(run_cli, secret_service, tmp_path) -> None:
    main = tmp_path / "home-cfg" / "config.yaml"
    cli = tmp_path / "project" / "cli.yaml"
    a = _configure(run_cli, secret_service, main, KEY_MAIN)
    b = _configure(run_cli, secret_service, cli, KEY_CLI)
    assert _account(main) != _account(cli)
    assert re.fullmatch(r"default@[0-9a-f]{12}", _account(cli))
    assert _get(run_cli, secret_service, main).stdout == KEY_MAIN + "\n"
    assert _get(run_cli, secret_service, cli).stdout == KEY_CLI + "\n"
    gone = _run(
        run_cli, secret_service, "profiles", "delete", "default", "--config", str(cli), "--yes"
    )
    assert gone.rc == 0, gone.output
    assert _get(run_cli, secret_service, main).stdout == KEY_MAIN + "\n"
    _no_key(a, b, gone)
    assert KEY_MAIN not in main.read_text()


def test_moving_or_linking_a_config_keeps_its_key(run_cli, secret_service, tmp_path) -> None:
    first = tmp_path / "a" / "config.yaml"
    _configure(run_cli, secret_service, first, KEY_MAIN)
    moved = tmp_path / "b" / "renamed.yaml"
    moved.parent.mkdir()
    shutil.move(first, moved)
    assert _get(run_cli, secret_service, moved).stdout == KEY_MAIN + "\n"
    link = moved.parent / "link.yaml"
    link.symlink_to(moved.name)
    assert _get(run_cli, secret_service, link).stdout == KEY_MAIN + "\n"
    # Configuring the moved file again replaces its own key: no "shared" warning.
    again = _configure(run_cli, secret_service, moved, KEY_CLI)
    assert "also used" not in again.stderr
    assert _get(run_cli, secret_service, moved).stdout == KEY_CLI + "\n"


def test_an_entry_of_the_earlier_version_is_migrated_on_first_use(
    run_cli, secret_service, tmp_path
) -> None:
    import keyring

    config = tmp_path / "old" / "config.yaml"
    legacy_config(config)
    keyring.set_password("modelstudio-setup", "default", KEY_MAIN)  # what 0.x wrote
    try:
        got = _get(run_cli, secret_service, config)
        assert got.rc == 0, got.output
        assert got.stdout == KEY_MAIN + "\n"
        account = _account(config)
        assert re.fullmatch(r"default@[0-9a-f]{12}", account)
        assert "Moved the key of profile 'default'" in got.stderr and account in got.stderr
        assert keyring.get_password("modelstudio-setup", account) == KEY_MAIN
        assert keyring.get_password("modelstudio-setup", "default") is None
        # Second use: nothing more to move, same key.
        again = _get(run_cli, secret_service, config)
        assert again.stdout == KEY_MAIN + "\n" and "Moved" not in again.stderr
        _no_key(got, again)
    finally:
        if keyring.get_password("modelstudio-setup", "default") is not None:
            keyring.delete_password("modelstudio-setup", "default")


def test_a_copied_config_is_detected_and_named(run_cli, secret_service, tmp_path) -> None:
    main = tmp_path / "main" / "config.yaml"
    _configure(run_cli, secret_service, main, KEY_MAIN)
    copy = tmp_path / "copy" / "config.yaml"
    copy.parent.mkdir()
    shutil.copy(main, copy)
    # Deleting the profile in the copy keeps the entry the original still uses.
    gone = _run(run_cli, secret_service, "profiles", "delete", "--config", str(copy), "--yes")
    assert gone.rc == 0, gone.output
    assert "was kept" in gone.stdout and str(main) in gone.stdout
    assert _get(run_cli, secret_service, main).stdout == KEY_MAIN + "\n"
    # `key delete` in a copy refuses, naming the other file.
    shutil.copy(main, copy)
    refused = _run(run_cli, secret_service, "key", "delete", "--config", str(copy), "--yes")
    assert refused.rc == 2 and str(main) in refused.stderr
    # Configuring the copy gives it an entry of its own, said aloud.
    split = _configure(run_cli, secret_service, copy, KEY_CLI)
    assert "also used by the config file" in split.stderr and str(main) in split.stderr
    assert _account(copy) != _account(main)
    assert _get(run_cli, secret_service, main).stdout == KEY_MAIN + "\n"
    assert _get(run_cli, secret_service, copy).stdout == KEY_CLI + "\n"
    _no_key(gone, refused, split)


@pytest.mark.parametrize(
    "account",
    ["sk-0123456789abcdef0123456789abcdef", "default", "other@zz", "default@0123456789ab\n"],
)
def test_the_loader_refuses_a_bad_account_without_echoing_it(cli, account: str) -> None:
    cli("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env")
    doc = yaml.safe_load(cli.config.read_text())
    doc["profiles"]["default"]["api_key"] = {"store": "keyring", "account": account}
    cli.config.write_text(yaml.safe_dump(doc))
    r = cli("profiles", "show")
    assert r.rc == 2
    assert "api_key.account" in r.stderr
    if account.startswith("sk-"):
        assert account not in r.output


def test_an_account_on_a_non_keyring_store_is_refused(cli) -> None:
    cli("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env")
    doc = yaml.safe_load(cli.config.read_text())
    doc["profiles"]["default"]["api_key"]["account"] = "default@0123456789ab"
    cli.config.write_text(yaml.safe_dump(doc))
    assert cli("profiles", "show").rc == 2


def test_the_wizard_uses_the_same_scoped_entry_as_the_cli(tmp_path, monkeypatch) -> None:
    """The wizard stores the key (ApiKey step) before it writes the config (Export step):
    both must name the same entry, and two config files must name different ones."""
    import argparse

    from app.flow import scoped_profile as _scoped
    from app.services import real_services

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    users = []
    for folder in ("one", "two"):
        path = tmp_path / folder / "config.yaml"
        services, _state = real_services(argparse.Namespace(config=str(path)))
        user = services.key_store_factory("keyring").user("default")
        assert re.fullmatch(r"default@[0-9a-f]{12}", user)
        profile, _ = make_profile(
            "default", region="ap-southeast-1", workspace_id="ws-scope1", api_key=KeyRef("keyring")
        )
        assert _scoped(profile, services).api_key.account == user
        users.append(user)
    assert users[0] != users[1]
    # A profile whose key is in the earlier version's entry keeps finding it there.
    legacy = tmp_path / "legacy" / "config.yaml"
    legacy_config(legacy)
    services, _ = real_services(argparse.Namespace(config=str(legacy)))
    assert services.key_store_factory("keyring").user("default") == "default"


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")
def test_a_config_that_cannot_be_written_still_gives_its_legacy_key(
    run_cli, secret_service, tmp_path
) -> None:
    """Migration needs a config write; when that fails (full disk), `key get` still works,
    from the old entry, and says why nothing moved."""
    import keyring

    config = tmp_path / "ro" / "config.yaml"
    legacy_config(config)
    keyring.set_password("modelstudio-setup", "default", KEY_MAIN)
    try:
        got = _run(
            run_cli, secret_service, "key", "get", "--config", str(config),
            prefix=("prlimit", "--fsize=64", "--"),
        )  # fmt: skip
        assert got.rc == 0, got.output
        assert got.stdout == KEY_MAIN + "\n"
        assert "stays in the keyring entry of an earlier version" in got.stderr
        assert load_config(config).profiles["default"].api_key.account is None
        assert keyring.get_password("modelstudio-setup", "default") == KEY_MAIN
    finally:
        keyring.delete_password("modelstudio-setup", "default")


def test_a_second_old_config_is_told_where_the_shared_entry_went(
    run_cli, secret_service, tmp_path
) -> None:
    import keyring

    first, second = tmp_path / "a" / "config.yaml", tmp_path / "b" / "config.yaml"
    legacy_config(first)
    legacy_config(second)
    keyring.set_password("modelstudio-setup", "default", KEY_MAIN)  # shared, as 0.x did it
    moved = _get(run_cli, secret_service, first)
    assert moved.stdout == KEY_MAIN + "\n"
    other = _get(run_cli, secret_service, second)
    assert other.rc == 1
    assert f"moved to {_account(first)} for the config file {first}" in other.stderr
    assert f"key set --profile default --config {second}" in other.stderr
    _no_key(moved, other)


def test_an_old_entry_shared_with_a_known_config_is_never_deleted(
    run_cli, secret_service, tmp_path
) -> None:
    """Both configs were made by the earlier version: one entry `default` serves both. The
    user's main config ($MODELSTUDIO_SETUP_CONFIG here) is known, so neither deleting the
    project's profile nor migrating it takes that entry from the main config."""
    import keyring

    main, cli = run_cli.config, tmp_path / "project" / "cli.yaml"
    legacy_config(main)
    legacy_config(cli)
    keyring.set_password("modelstudio-setup", "default", KEY_MAIN)
    try:
        migrated = _get(run_cli, secret_service, cli)
        assert migrated.stdout == KEY_MAIN + "\n"
        assert f"was kept: {main} still reads its key" in migrated.stderr
        assert keyring.get_password("modelstudio-setup", "default") == KEY_MAIN
        legacy_config(cli)  # another old project file with the same profile name
        gone = _run(run_cli, secret_service, "profiles", "delete", "--config", str(cli), "--yes")
        assert gone.rc == 0, gone.output
        assert "was kept" in gone.stdout and str(main) in gone.stdout
        assert _get(run_cli, secret_service, main).stdout == KEY_MAIN + "\n"
        _no_key(migrated, gone)
    finally:
        if keyring.get_password("modelstudio-setup", "default") is not None:
            keyring.delete_password("modelstudio-setup", "default")


SHARED = ("configure", "--shared-host", "--api-key-stdin")


def test_a_new_config_at_a_moved_configs_old_path_gets_its_own_entry(
    run_cli, secret_service, tmp_path
) -> None:
    """QA: configure x.yaml, mv x.yaml y.yaml, configure x.yaml again: the new file must not
    land on the entry y.yaml names (its digits were derived from the path before)."""
    x, y = tmp_path / "q" / "x.yaml", tmp_path / "q" / "y.yaml"
    first = _run(
        run_cli, secret_service, *SHARED, "--region", "us-east-1", "--config", str(x),
        input=KEY_MAIN,
    )  # fmt: skip
    assert first.rc == 0, first.output
    shutil.move(x, y)
    second = _run(
        run_cli, secret_service, *SHARED, "--region", "ap-southeast-1", "--config", str(x),
        input=KEY_CLI,
    )  # fmt: skip
    assert second.rc == 0, second.output
    assert _account(x) != _account(y)
    assert _get(run_cli, secret_service, y).stdout == KEY_MAIN + "\n"
    assert _get(run_cli, secret_service, x).stdout == KEY_CLI + "\n"
    _no_key(first, second)


def test_a_new_entry_never_takes_a_name_the_keyring_already_has(
    secret_service, tmp_path, monkeypatch
) -> None:
    """Even when the digits this file would use are taken (by any other file's entry), a
    new entry gets other digits, and the entry that was there keeps its key."""
    import keyring

    from app.config import key_scope
    from app.config.schema import Config

    digits = iter(["0123456789ab", "0123456789ab", "ba9876543210"])
    monkeypatch.setattr(key_scope, "new_scope", lambda: next(digits))
    keyring.set_password("modelstudio-setup", "taken@0123456789ab", KEY_MAIN)
    try:
        account, notice = key_scope.scoped_account(tmp_path / "c.yaml", "taken", Config())
        assert account == "taken@ba9876543210" and notice is None
        assert keyring.get_password("modelstudio-setup", "taken@0123456789ab") == KEY_MAIN
    finally:
        keyring.delete_password("modelstudio-setup", "taken@0123456789ab")


def test_a_copy_that_only_read_the_entry_keeps_it_on_delete(
    run_cli, secret_service, tmp_path
) -> None:
    """QA: cp a.yaml b.yaml; b.yaml used once (`key get`): deleting the profile in a.yaml
    keeps the entry b.yaml reads and names b.yaml; `key delete` in a.yaml refuses."""
    a = tmp_path / "a" / "a.yaml"
    _configure(run_cli, secret_service, a, KEY_MAIN)
    b = tmp_path / "b" / "b.yaml"
    b.parent.mkdir()
    shutil.copy(a, b)
    assert _get(run_cli, secret_service, b).stdout == KEY_MAIN + "\n"
    refused = _run(run_cli, secret_service, "key", "delete", "--config", str(a), "--yes")
    assert refused.rc == 2 and str(b) in refused.stderr
    gone = _run(
        run_cli, secret_service, "profiles", "delete", "default", "--config", str(a), "--yes"
    )
    assert gone.rc == 0, gone.output
    assert "Deleted its key" not in gone.stdout
    assert "was kept" in gone.stdout and str(b) in gone.stdout
    assert _get(run_cli, secret_service, b).stdout == KEY_MAIN + "\n"
    _no_key(refused, gone)


def _mig_config(config: Path) -> None:
    profile, _ = make_profile(
        "mig", region="ap-southeast-1", workspace_id="ws-scope1", api_key=KeyRef("keyring")
    )
    modify_config(config, lambda c: c.with_profile(profile))


def _entries(prefix: str) -> list[str]:
    import secretstorage

    with secretstorage.dbus_init() as bus:
        collection = secretstorage.get_default_collection(bus)
        items = collection.search_items({"service": "modelstudio-setup"})
        names = [item.get_attributes().get("username", "") for item in items]
    return sorted(n for n in names if n.startswith(prefix))


def test_a_migration_killed_midway_is_finished_on_the_next_use(
    run_cli, secret_service, tmp_path
) -> None:
    """QA: a migration killed after the new entry was written, before the config named it:
    the next command finishes that move (same key) instead of a note on every command, and
    no second copy of the key is left in the keyring."""
    import keyring

    config = tmp_path / "mig" / "config.yaml"
    _mig_config(config)
    keyring.set_password("modelstudio-setup", "mig", KEY_MAIN)
    env = dict(secret_service.env)
    try:
        args = ("key", "get", "--profile", "mig", "--config", str(config))
        proc = kill_at_rename(run_cli, "config.yaml", *args, env=env)
        assert proc.returncode == -9, proc.stderr
        assert load_config(config).profiles["mig"].api_key.account is None
        half = _entries("mig@")
        assert len(half) == 1
        done = _run(run_cli, secret_service, *args)
        assert done.rc == 0, done.output
        assert done.stdout == KEY_MAIN + "\n"
        assert "already holds a key" not in done.stderr
        assert load_config(config).profiles["mig"].api_key.account == half[0]
        assert keyring.get_password("modelstudio-setup", "mig") is None
        assert _entries("mig@") == half
        again = _run(run_cli, secret_service, *args)
        assert again.stdout == KEY_MAIN + "\n" and again.stderr == ""
    finally:
        for user in ["mig", *_entries("mig@")]:
            if keyring.get_password("modelstudio-setup", user) is not None:
                keyring.delete_password("modelstudio-setup", user)


def _pasted(line: str) -> list[str]:
    """The arguments after the program name of a command printed in a message."""
    import shlex

    words = shlex.split(line)
    return words[words.index("key") :]


def test_a_wizard_left_before_export_prints_a_delete_that_works(
    run_cli, secret_service, tmp_path, monkeypatch
) -> None:
    """QA: quit after the ApiKey step stored the key, before Export: no profile names the
    entry, so `key delete --profile default` failed. The final line names the entry the
    wizard's store really used, and its command deletes it."""
    import argparse

    import keyring

    from app.config.next_steps import final_lines
    from app.core.i18n import set_language
    from app.secrets.key import ApiKey
    from app.services import real_services, stored_account
    from app.state import WizardState

    config = tmp_path / "wiz" / "config.yaml"
    services, _ = real_services(argparse.Namespace(config=str(config)))
    store = services.key_store_factory("keyring")
    store.set("default", ApiKey(KEY_MAIN))  # what the ApiKey step does
    account = store.user("default")
    assert keyring.get_password("modelstudio-setup", account) == KEY_MAIN
    state = WizardState(profile_name="default", key_store="keyring", key_saved=True)
    assert stored_account(services, state) == account
    lines = final_lines(state, config, key_account=stored_account(services, state))
    line = next(x for x in lines if "key delete" in x)
    assert account in line and "--profile" not in line
    try:
        set_language("zh")
        zh = "\n".join(final_lines(state, config, key_account=account))
        assert "(keyring)" not in zh and "（keyring）" not in zh and "系统密钥环" in zh
    finally:
        set_language("en")
    done = _run(run_cli, secret_service, *_pasted(line.split(": ", 1)[1]))
    assert done.rc == 0, done.output
    assert keyring.get_password("modelstudio-setup", account) is None


def test_key_delete_by_account_refuses_an_entry_a_config_still_names(
    run_cli, secret_service, tmp_path
) -> None:
    config = tmp_path / "named" / "config.yaml"
    _configure(run_cli, secret_service, config, KEY_MAIN)
    account = _account(config)
    r = _run(run_cli, secret_service, "key", "delete", "--account", account, "--yes")
    assert r.rc == 2 and str(config) in r.stderr
    assert _get(run_cli, secret_service, config).stdout == KEY_MAIN + "\n"


def test_a_refused_delete_in_a_store_move_prints_a_command_that_works(
    cli, run_cli, secret_service, monkeypatch
) -> None:
    """QA: the remedy was `python -m keyring del …`, which fails when pasted (`python` is
    not the venv's). It is now this tool's own `key delete --account`, and it works."""
    import keyring

    from app.secrets.key import KeyStoreError
    from app.secrets.stores import KeyringStore

    _configure(run_cli, secret_service, cli.config, KEY_MAIN)
    account = load_config(cli.config).profiles["default"].api_key.account

    def refuse(self: object, profile: str) -> bool:
        raise KeyStoreError("secrets.keyring_error", None, kind="X", detail="refused")

    with monkeypatch.context() as m:
        m.setattr(KeyringStore, "delete", refuse)
        moved = cli(
            *CONF, "--config", str(cli.config), "--store", "file", "--api-key-stdin",
            input=KEY_CLI,
        )  # fmt: skip
    assert moved.rc == 0, moved.output
    assert "python -m keyring" not in moved.output
    line = next(x for x in moved.stderr.splitlines() if "key delete" in x)
    assert keyring.get_password("modelstudio-setup", account) == KEY_MAIN
    done = _run(run_cli, secret_service, *_pasted(line[line.index(": ") + 2 :]))
    assert done.rc == 0, done.output
    assert keyring.get_password("modelstudio-setup", account) is None
