"""`key rotate`: what it tells a user to do next. A refused new key gets advice about THAT
key (doctor's remedies act on the stored old key: `doctor --all-regions` tests it, and
`configure --region R` "keeps the key", i.e. moves the working profile away from its old
key); the commands a refusal prints address the profile they are about and run as printed;
`--finish` and `--rollback` with nothing pending both succeed, so a script can run them
whenever. Simulator over real TLS, a REAL Secret Service (tests/cli/test_key_rotate.py)."""

from __future__ import annotations

import re
import secrets
import shlex
from pathlib import Path

import pytest

from app.config.schema import Config
from app.config.validate import make_profile
from app.config.write import atomic_write
from app.core.invocation import command
from app.secrets.key import ApiKey
from app.secrets.stores import KeyRef, KeyringStore
from tests.fixtures import rotation as base
from tests.fixtures.cli import Captured, main_captured, no_leak

SG = base.SG
BAD = "sk-" + "0" * 32  # the shape of a key, issued by no one


@pytest.fixture
def sim(rotation_simulator):
    return rotation_simulator


@pytest.fixture
def home(rotation_home):  # the same clean machine as tests/cli/test_key_rotate.py
    return rotation_home


def refused(capsys, config: Path, sim, key: str, *args: str) -> Captured:
    return base.rotate(capsys, config, sim, *args, key=key)


def commands_in(text: str, *words: str) -> list[list[str]]:
    """The `…` commands of `text` that contain `words`, as the argv after the program name
    (each printed the way the user's shell runs it: app.core.invocation)."""
    found = []
    for quoted in re.findall(r"`([^`]+)`", text):
        argv = shlex.split(quoted)
        if "modelstudio-setup" in argv and all(w in argv for w in words):
            found.append(argv[argv.index("modelstudio-setup") + 1 :])
    return found


# ------------------------------------------------------------------------ a refused new key

# (new key's account, --yes) -> words its remedy names
REFUSALS = {
    "bad key": (None, False, "copy it again"),
    "bad key, asked": (None, True, "copy it again"),
    "other region": ("cn-beijing", True, "--region cn-beijing --shared-host --api-key-stdin"),
    "plan key": ("plan", False, "pay-as-you-go key"),
    "plan key, asked": ("plan", True, "--plan coding --plan-region ap-southeast-1"),
    "other workspace": ("demo", True, "workspace of profile 'default'"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_new_key_gets_advice_about_the_new_key_not_the_stored_one(
    capsys, secret_service, home, tmp_path, sim, case
):
    owner, asked, words = REFUSALS[case]
    old, new = sim.key(SG), sim.key(owner) if owner else BAD
    config = base.keyring_config(tmp_path, sim)
    account = base.entry(config)
    base.put(account, old)
    yes = ("--yes",) if asked else ()
    run = refused(capsys, config, sim, new, *yes)
    data = refused(capsys, config, sim, new, "--json", *yes).data
    assert run.code == 1 and data["exit_code"] == 1, run.text
    remedies = [f["remedy"] for f in data["findings"]]
    assert remedies and all(r in run.out for r in remedies)
    assert words in run.out, run.out
    # Nothing that acts on the stored key as if it were the new one.
    for text in (run.out, *remedies):
        assert "doctor" not in text and "--all-regions" not in text
        assert "keeps the key" not in text
        assert not commands_in(text, "configure", "default")
    assert base.in_keyring(account) == old and base.in_keyring(account + ".previous") is None
    if not asked:  # the one way to learn whose key it is: this rotation, with consent
        assert "run the rotation again with --yes" in run.out
    no_leak((old, new), run.out, run.err, *remedies)


def test_a_key_of_another_region_fits_the_new_profile_the_remedy_names(
    capsys, secret_service, home, tmp_path, sim
):
    """Followed as printed, the advice gives the Beijing key a profile that passes doctor,
    and the profile that was being rotated still works with its old key."""
    old, other = sim.key(SG), sim.key("cn-beijing")
    config = base.keyring_config(tmp_path, sim)
    account = base.entry(config)
    base.put(account, old)
    run = refused(capsys, config, sim, other, "--yes")
    assert run.code == 1, run.text
    (argv,) = commands_in(run.out, "configure", "NAME")
    argv[argv.index("NAME")] = "beijing"
    made = main_captured(capsys, argv, stdin=other)
    assert made.code == 0, made.text
    for name in ("beijing", "default"):
        doctor = ["doctor", "--json", "--no-environment", "--profile", name]
        checked = main_captured(capsys, [*doctor, "--config", str(config)], sim)
        assert checked.data["verdict"] == "ok", checked.text
    assert base.in_keyring(account) == old
    no_leak((old, other), run.out, run.err, made.text)


def test_a_plan_key_notice_is_said_once(capsys, secret_service, home, tmp_path, sim):
    config = base.keyring_config(tmp_path, sim)
    base.put(base.entry(config), sim.key(SG))
    run = refused(capsys, config, sim, sim.key("plan"))
    assert run.code == 1 and run.err.count("This is a plan key") == 1, run.err


# ------------------------------------------------------------------------ a pending rotation


def two_profiles(tmp_path: Path, sim) -> tuple[Path, dict[str, str]]:
    """`default` (the default) and `shared`, each with its own keyring entry and key."""
    acct = sim.accounts[SG]
    config, entries = Config(), {}
    for name in ("default", "shared"):
        entries[name] = f"{name}@{secrets.token_hex(6)}"
        profile, _ = make_profile(
            name,
            region=acct.region,
            endpoint_style="workspace",
            workspace_id=acct.workspace_id,
            model="qwen-plus",
            api_key=KeyRef(store="keyring", account=entries[name]),
        )
        config = config.with_profile(profile, make_default=name == "default")
        KeyringStore(account=entries[name]).set(name, ApiKey(sim.key(SG)))
    path = tmp_path / "cfg" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, config.dump())
    return path, entries


def test_a_pending_rotation_names_its_profile_in_the_commands_it_prints(
    capsys, secret_service, home, tmp_path, sim
):
    old, new = sim.key(SG), sim.key("sg-new")
    config, entries = two_profiles(tmp_path, sim)
    shared = ("--profile", "shared")
    assert base.rotate(capsys, config, sim, *shared, key=new).code == 0
    run = base.rotate(capsys, config, sim, *shared, key=sim.key("demo"))
    assert run.code == 2 and "is not finished" in run.err, run.text
    for flag in ("--finish", "--rollback"):  # spelt as the other hints (the shell's prefix)
        assert command("key", "rotate", flag, *shared, "--config", str(config)) in run.err
    # Run as printed, --rollback acts on `shared`, not on the default profile.
    (argv,) = commands_in(run.err, "--rollback")
    undone = main_captured(capsys, argv)
    assert undone.code == 0, undone.text
    assert base.in_keyring(entries["shared"]) == old
    assert base.in_keyring(entries["shared"] + ".previous") is None
    assert base.in_keyring(entries["default"]) == old  # never touched
    no_leak((old, new), run.out, run.err, undone.text)


@pytest.mark.parametrize("flag", ["--finish", "--rollback"])
def test_finish_and_rollback_with_nothing_pending_succeed_for_a_script(
    capsys, secret_service, home, tmp_path, sim, flag
):
    """Nothing pending is the state both ask for: exit 0, the line on stdout, and under
    --json a document that says there was no previous key (a script can run them always)."""
    config = base.keyring_config(tmp_path, sim)
    account = base.entry(config)
    base.put(account, sim.key(SG))
    run = base.rotate(capsys, config, None, flag)
    assert run.code == 0 and "no rotation" in run.out and run.err == "", run.text
    data = base.rotate(capsys, config, None, flag, "--json").data
    assert data["exit_code"] == 0 and data["previous"] is None and data["action"] == flag[2:]
    assert base.in_keyring(account) == sim.key(SG)
