"""`key rotate`: the new key tried live on the simulator (real TLS, production host names),
then stored in a REAL Secret Service with the old one kept under a backup name until
`--finish`, `--rollback` or a passing doctor run; a keyring backend whose writes fail
between the steps never loses both keys. Every output is searched for both keys."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError

from app.cli import main
from app.config.validate import make_profile
from app.secrets.key import ApiKey
from app.secrets.keyring import KEYRING_SERVICE, PROBE_USER_PREFIX
from app.secrets.stores import KeyRef
from tests.fixtures.cli import no_leak
from tests.fixtures.rotation import (
    SG,
    entry,
    in_keyring,
    keyring_config,
    put,
    rotate,
)


@pytest.fixture
def sim(rotation_simulator):
    return rotation_simulator


@pytest.fixture
def home(rotation_home):
    return rotation_home


# ------------------------------------------------------------------------------ real keyring


def test_rotation_checks_live_then_keeps_the_old_key_until_doctor_passes(
    capsys, secret_service, home, tmp_path, sim
):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    put(account, old)
    before = config.read_bytes()
    run = rotate(capsys, config, sim, key=new + "\n")
    assert run.code == 0, run.text
    assert in_keyring(account) == new
    assert in_keyring(account + ".previous") == old
    assert config.read_bytes() == before  # the same entry: the config is not rewritten
    assert f"sk-…{new[-4:]}" in run.out and f"sk-…{old[-4:]}" in run.out
    assert "accepted by" in run.out and "1-token call answered" in run.out
    assert "key rotate --finish" in run.out and "key rotate --rollback" in run.out
    paths = {(r.method, r.path) for r in sim.requests if r.account == "sg-new"}
    assert ("POST", "/compatible-mode/v1/chat/completions") in paths  # the 1-token call
    assert {r.account for r in sim.requests if r.key_fingerprint} == {"sg-new"}
    no_leak((old, new), run.out, run.err)

    # `key get` now answers the new key.
    capsys.readouterr()
    assert main(["key", "get", "--config", str(config)]) == 0
    assert capsys.readouterr().out == new + "\n"

    # A doctor run that passes with the new key finishes the rotation.
    argv = ["doctor", "--json", "--no-environment", "--config", str(config)]
    argv += ["--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file), "--timeout", "5"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert json.loads(out)["verdict"] == "ok"
    assert "passed doctor, so its previous key" in err and f"sk-…{old[-4:]}" in err
    assert in_keyring(account + ".previous") is None and in_keyring(account) == new
    no_leak((old, new), out, err)


def test_rollback_restores_the_old_key_and_finish_drops_it(
    capsys, secret_service, home, tmp_path, sim
):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    put(account, old)
    assert rotate(capsys, config, sim, key=new).code == 0
    run = rotate(capsys, config, None, "--rollback", "--json")
    assert run.code == 0, run.text
    assert in_keyring(account) == old and in_keyring(account + ".previous") is None
    data = run.data
    assert data["schema_version"] == 1 and data["action"] == "rollback"
    assert data["key"] == f"sk-…{old[-4:]}" and data["backup"] is None
    assert "uses its previous key" in run.err
    # Rotate again, then finish by hand.
    assert rotate(capsys, config, sim, key=new).code == 0
    run = rotate(capsys, config, None, "--finish")
    assert run.code == 0 and "the rotation is finished" in run.out
    assert in_keyring(account) == new and in_keyring(account + ".previous") is None
    again = rotate(capsys, config, None, "--finish")
    assert again.code == 0 and "no rotation to finish" in again.out
    nothing = rotate(capsys, config, None, "--rollback")  # like --finish: nothing to undo
    assert nothing.code == 0 and "no rotation is pending" in nothing.out
    no_leak((old, new), run.out, run.err, again.text, nothing.text)


def test_json_says_what_was_done(capsys, secret_service, home, tmp_path, sim):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim)
    put(entry(config), old)
    run = rotate(capsys, config, sim, "--json", key=new)
    assert run.code == 0, run.text
    data = run.data
    assert data["schema_version"] == 1 and data["action"] == "rotate"
    assert data["check"] == "accepted" and data["stored"] is True and data["exit_code"] == 0
    assert data["key"] == f"sk-…{new[-4:]}" and data["previous"] == f"sk-…{old[-4:]}"
    assert data["backup"] == f"sk-…{old[-4:]}" and data["store"] == "keyring"
    assert ".previous" in data["backup_where"]
    no_leak((old, new), run.out, run.err)


def test_an_unfinished_rotation_is_not_overwritten(capsys, secret_service, home, tmp_path, sim):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    put(account, old)
    assert rotate(capsys, config, sim, key=new).code == 0
    sim.requests.clear()
    run = rotate(capsys, config, sim, key=sim.key("demo"))
    assert run.code == 2, run.text
    assert "is not finished" in run.err and f"sk-…{old[-4:]}" in run.err
    assert sim.requests == []
    assert in_keyring(account) == new and in_keyring(account + ".previous") == old
    no_leak((old, new, sim.key("demo")), run.out, run.err)


# ------------------------------------------------------------------------------ refused keys


def test_a_key_of_another_region_changes_nothing_and_is_named_with_consent(
    capsys, secret_service, home, tmp_path, sim
):
    old, other = sim.key(SG), sim.key("cn-beijing")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    put(account, old)
    run = rotate(capsys, config, sim, key=other)
    assert run.code == 1, run.text
    assert "was not accepted" in run.out and "run the rotation again with --yes" in run.out
    assert in_keyring(account) == old and in_keyring(account + ".previous") is None
    run = rotate(capsys, config, sim, "--yes", key=other)
    assert run.code == 1 and "It is a key of China (Beijing) (cn-beijing)" in run.out
    assert in_keyring(account) == old and in_keyring(account + ".previous") is None
    no_leak((old, other), run.out, run.err)


def test_a_key_whose_1_token_call_fails_is_not_stored(capsys, secret_service, home, tmp_path, sim):
    old, broke = sim.key(SG), sim.key("sg-broke")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    put(account, old)
    run = rotate(capsys, config, sim, "--json", key=broke)
    assert run.code == 1, run.text
    assert run.data["check"] == "ping_failed" and run.data["stored"] is False
    assert "1-token call failed" in run.err
    assert any(f["code"] for f in run.data["findings"])
    assert in_keyring(account) == old and in_keyring(account + ".previous") is None
    no_leak((old, broke), run.out, run.err)


# ------------------------------------------------------------------------------ failing writes


class FlakyKeyring(KeyringBackend):
    """An in-memory keyring backend (trusted: priority 5) whose Nth key write fails, the
    way a keyring that fills up or loses its session mid-rotation does."""

    priority = 5  # type: ignore[assignment]

    def __init__(self, fail_on: set[int]) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.fail_on = fail_on
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if not username.startswith(PROBE_USER_PREFIX):  # the keyring probe's entry
            self.writes += 1
            if self.writes in self.fail_on:
                raise PasswordSetError("the keyring refused the write")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry")


FAILURES = {
    # writes that fail -> (exit, words, key in use, key in the backup entry)
    "the backup": ({1}, 3, "could not be kept in", "old", None),
    "the new key": ({2}, 3, "was put back: nothing was changed", "old", None),
    "the new key and the put-back": ({2, 3}, 3, "key rotate --rollback", "old", "old"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_write_failing_between_the_steps_never_loses_both_keys(
    capsys, home, tmp_path, sim, use_backend, monkeypatch, case
):
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    fail_on, code, words, in_use, kept = FAILURES[case]
    backend = use_backend(FlakyKeyring(set()))
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    backend.entries[(KEYRING_SERVICE, account)] = old
    backend.fail_on = fail_on
    run = rotate(capsys, config, sim, key=new)
    assert run.code == code, run.text
    assert words in run.err and "Traceback" not in run.err
    keys = {"old": old, None: None}
    assert backend.entries.get((KEYRING_SERVICE, account)) == keys[in_use]
    assert backend.entries.get((KEYRING_SERVICE, account + ".previous")) == keys[kept]
    no_leak((old, new), run.out, run.err)
    if kept:  # the rollback the message names works once the keyring does
        backend.fail_on = set()
        assert rotate(capsys, config, None, "--rollback").code == 0
        assert backend.entries.get((KEYRING_SERVICE, account)) == old


def test_the_fail_keyring_is_exit_3_before_anything_is_sent(run_cli, sim):
    old, new = sim.key(SG), sim.key("sg-new")
    keyring_config(run_cli.root, sim)
    run_cli.config.parent.mkdir(parents=True, exist_ok=True)
    (run_cli.root / "cfg" / "config.yaml").replace(run_cli.config)
    pins = ["--connect-to", sim.connect_to, "--ca-file", str(sim.ca_file)]
    r = run_cli("key", "rotate", "--api-key-stdin", *pins, input=new)
    assert r.rc == 3, r.output
    assert "cannot be trusted with the keys" in r.stderr
    assert sim.requests == []
    no_leak((old, new), r.stdout, r.stderr)


# ------------------------------------------------------------------------------ bad input


BAD = {
    "empty": (["--api-key-stdin"], "", "empty"),
    "two lines": (["--api-key-stdin"], "sk-" + "a" * 32 + "\nsk-" + "b" * 32, "lines"),
    "inner space": (["--api-key-stdin"], "sk-abc def0123456789", "space"),
    "non-ascii": (["--api-key-stdin"], "sk-abcdé0123456789abc", "U+00E9"),
    "too long": (["--api-key-stdin"], "sk-" + "a" * 2000, "longer than"),
    "unset variable": (["--api-key-env", "MSS_UNSET_KEY"], None, "MSS_UNSET_KEY"),
    "proxy variable": (["--api-key-env", "HTTPS_PROXY"], None, "HTTPS_PROXY"),
    "bad timeout": (["--api-key-stdin", "--timeout", "0"], "NEW", "timeout"),
    "bad pin": (["--api-key-stdin", "--connect-to", "nonsense"], "NEW", "--connect-to"),
    "finish and a key": (["--finish", "--api-key-env", "X"], None, "not allowed with"),
    "no source, no terminal": ([], None, "--api-key-stdin"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_exit_2_nothing_stored_nothing_sent(
    capsys, secret_service, home, tmp_path, sim, case
):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim)
    account = entry(config)
    put(account, old)
    args, stdin, words = BAD[case]
    argv = ["key", "rotate", "--config", str(config), *args]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sys, "stdin", io.StringIO((stdin or "").replace("NEW", new)))
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert words in err, err
    assert sim.requests == []
    assert in_keyring(account) == old and in_keyring(account + ".previous") is None
    no_leak((old, new), out, err)


def test_the_same_key_or_no_old_key_is_refused(capsys, secret_service, home, tmp_path, sim):
    old = sim.key(SG)
    config = keyring_config(tmp_path, sim)
    run = rotate(capsys, config, sim, key=old)
    assert run.code == 2 and "no stored key to rotate" in run.err and "key set" in run.err
    put(entry(config), old)
    run = rotate(capsys, config, sim, key=old)
    assert run.code == 2 and "is already the key of profile" in run.err
    assert sim.requests == []
    no_leak((old,), run.out, run.err)


def test_an_env_variable_profile_has_nothing_to_rotate(capsys, home, tmp_path, sim):
    new = sim.key("sg-new")
    config = keyring_config(tmp_path, sim, store="env")
    run = rotate(capsys, config, sim, key=new)
    assert run.code == 2 and "MSS_ROTATE_KEY" in run.err and "nothing to rotate" in run.err
    assert sim.requests == []
    no_leak((new,), run.out, run.err)


def test_a_key_file_profile_rotates_beside_its_file(capsys, home, tmp_path, sim):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim, store="file")
    keys = config.parent / "keys"
    from app.secrets.stores import FileStore

    FileStore(config.parent).set("default", ApiKey(old))
    run = rotate(capsys, config, sim, key=new)
    assert run.code == 0, run.text
    assert (keys / "default.key").read_text() == new + "\n"
    assert (keys / "default.key.previous").read_text() == old + "\n"
    assert (keys / "default.key.previous").stat().st_mode & 0o777 == 0o600
    no_leak((old, new), run.out, run.err)


def test_messages_in_chinese(capsys, home, tmp_path, sim):
    config = keyring_config(tmp_path, sim, store="env")
    run = rotate(capsys, config, sim, key=sim.key("sg-new"), lang="zh")
    assert run.code == 2 and "没有可轮换的密钥" in run.err and "未做任何更改" in run.err


def _doctor(capsys, config: Path, connect_to: str, sim) -> tuple[int, str, str]:
    argv = ["doctor", "--json", "--no-environment", "--config", str(config)]
    argv += ["--connect-to", connect_to, "--ca-file", str(sim.ca_file), "--timeout", "3"]
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_no_check_sends_nothing_and_only_a_passing_doctor_drops_the_backup(
    capsys, home, tmp_path, sim
):
    old, new = sim.key(SG), sim.key("sg-new")
    config = keyring_config(tmp_path, sim, store="file")
    from app.secrets.stores import FileStore

    FileStore(config.parent).set("default", ApiKey(old))
    backup = config.parent / "keys" / "default.key.previous"
    run = rotate(capsys, config, sim, "--no-check", key=new)
    assert run.code == 0 and "--no-check: the new key was not tried" in run.out, run.text
    assert sim.requests == [] and backup.read_text() == old + "\n"
    # A failing doctor run proves nothing: the backup stays.
    code, out, err = _doctor(capsys, config, "::127.0.0.1:1", sim)
    assert code == 1 and json.loads(out)["verdict"] != "ok"
    assert backup.exists() and "previous key" not in err
    # A passing one finishes the rotation.
    code, out, err = _doctor(capsys, config, sim.connect_to, sim)
    assert code == 0, out + err
    assert not backup.exists() and "the rotation is finished" in err
    assert (config.parent / "keys" / "default.key").read_text() == new + "\n"
    no_leak((old, new), run.out, run.err, out, err)


def test_a_backup_doctor_cannot_delete_is_a_note_not_a_failure(tmp_path, capsys):
    """finish_after_doctor never raises: a keys folder that became a symlink is said."""
    from app.commands.key_rotate import finish_after_doctor

    profile, _ = make_profile(
        "default", region=SG, workspace_id="ws-abc", api_key=KeyRef(store="file")
    )
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "keys").symlink_to(tmp_path / "elsewhere")
    notice = finish_after_doctor(profile, tmp_path / "config.yaml", "ok")
    assert notice is not None and notice.key == "key_rotate.doctor_finish_failed"
    assert "key rotate --finish" in capsys.readouterr().err
    assert finish_after_doctor(profile, tmp_path / "config.yaml", "warn") is None
