"""FileStore, EnvStore, MemoryStore and store_for: where a key may live outside the keyring,
and the guarantees each gives (SECURITY.md T6, T10-T13)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import UserError
from app.core.i18n import get_language, set_language, t
from app.secrets.key import ApiKey, KeyStoreError
from app.secrets.stores import (
    DEFAULT_ENV_VAR,
    EnvStore,
    FileStore,
    KeyRef,
    MemoryStore,
    choose_store,
    store_for,
)

KEY = ApiKey("sk-filestore0123456789abcdef")
OTHER = ApiKey("sk-otherkey0123456789abcdef")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_file_store_writes_0600_in_0700_dir_despite_umask(tmp_path: Path, umask_022: None) -> None:
    store = FileStore(tmp_path / "cfg")
    store.set("default", KEY)
    path = tmp_path / "cfg" / "keys" / "default.key"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert path.read_text() == KEY.reveal() + "\n"
    assert store.get("default") == KEY
    # No temporary file is left behind: it went through os.replace.
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", "default.key"]


def test_file_store_keys_are_ignored_by_git(tmp_path: Path) -> None:
    """A config kept inside a project must not get its key committed by `git add .`."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    FileStore(tmp_path / "cfg").set("default", KEY)
    out = subprocess.run(
        ["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "default.key" not in out


def test_file_store_tightens_an_existing_loose_keys_dir(tmp_path: Path, umask_022: None) -> None:
    (tmp_path / "keys").mkdir(mode=0o755)
    os.chmod(tmp_path / "keys", 0o755)
    FileStore(tmp_path).set("default", KEY)
    assert _mode(tmp_path / "keys") == 0o700


def test_file_store_overwrites_and_deletes(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.set("a", KEY)
    store.set("a", OTHER)
    assert store.get("a") == OTHER
    assert store.get("b") is None
    assert store.delete("a") is True
    assert store.delete("a") is False
    assert store.get("a") is None


def test_file_store_get_without_keys_dir_is_none_and_creates_nothing(tmp_path: Path) -> None:
    assert FileStore(tmp_path / "cfg").get("default") is None
    assert not (tmp_path / "cfg").exists()


def test_file_store_says_plain_text_and_the_path(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    for lang in ("en", "zh"):
        before = get_language()
        set_language(lang)
        try:
            describe = store.describe()
            location = store.location("work")
        finally:
            set_language(before)
        assert str(tmp_path / "keys") in describe
        assert str(tmp_path / "keys" / "work.key") in location
        assert "0600" in describe
        assert ("plain text" if lang == "en" else "明文") in describe
        assert ("plain text" if lang == "en" else "明文") in location


def test_file_store_refuses_a_symlinked_key_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cfg")
    store.set("default", KEY)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not a key\n")
    link = tmp_path / "cfg" / "keys" / "default.key"
    link.unlink()
    link.symlink_to(elsewhere)
    with pytest.raises(KeyStoreError) as info:
        store.set("default", OTHER)
    assert info.value.reason == "secrets.symlink_refused"
    assert str(link) in info.value.message
    assert elsewhere.read_text() == "not a key\n", "the link target must stay untouched"
    with pytest.raises(KeyStoreError):
        store.get("default")
    with pytest.raises(KeyStoreError):
        store.delete("default")
    assert link.is_symlink()


def test_file_store_refuses_a_symlinked_keys_dir(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "keys").symlink_to(tmp_path / "shared")
    with pytest.raises(KeyStoreError) as info:
        FileStore(tmp_path / "cfg").set("default", KEY)
    assert info.value.reason == "secrets.symlink_refused"
    assert list((tmp_path / "shared").iterdir()) == []


def test_file_store_refuses_a_key_file_others_can_read(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.set("default", KEY)
    path = tmp_path / "keys" / "default.key"
    os.chmod(path, 0o644)
    with pytest.raises(KeyStoreError) as info:
        store.get("default")
    assert info.value.reason == "secrets.file_too_open"
    assert f"chmod 600 {path}" in info.value.message
    assert "0644" in info.value.message
    assert KEY.reveal() not in info.value.message


def test_file_store_reports_a_corrupt_key_file_without_showing_it(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.set("default", KEY)
    path = tmp_path / "keys" / "default.key"
    path.write_text("sk-abc def0123456789\n")
    with pytest.raises(KeyStoreError) as info:
        store.get("default")
    assert info.value.reason == "secrets.stored_key_invalid"
    assert "sk-abc def" not in info.value.message
    assert str(path) in info.value.message


@pytest.mark.parametrize("bad", ["", "..", "../evil", "a/b", "a\\b", ".hidden", "x" * 65, "a\x00"])
def test_file_store_refuses_profile_names_that_escape_the_dir(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UserError) as info:
        FileStore(tmp_path / "cfg").set(bad, KEY)
    assert info.value.key == "secrets.bad_profile_name"
    assert not (tmp_path / "cfg").exists()


def test_env_store_reads_the_named_variable_and_stores_nothing() -> None:
    environ = {"MY_KEY": KEY.reveal() + "\n"}
    store = EnvStore("MY_KEY", environ=environ)
    assert store.get("anything") == KEY
    store.set("anything", OTHER)
    assert environ == {"MY_KEY": KEY.reveal() + "\n"}
    assert store.delete("anything") is False
    assert "MY_KEY" in store.describe()
    assert EnvStore("UNSET_VAR_KEY", environ=environ).get("p") is None
    assert EnvStore("EMPTY_KEY", environ={"EMPTY_KEY": "  "}).get("p") is None


def test_env_store_defaults_to_dashscope_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEFAULT_ENV_VAR, KEY.reveal())
    assert EnvStore().get("p") == KEY
    assert DEFAULT_ENV_VAR in EnvStore().describe()


def test_env_store_bad_value_names_the_variable_not_the_key() -> None:
    store = EnvStore("MY_KEY", environ={"MY_KEY": "sk-abc\u201d0123456789"})
    with pytest.raises(KeyStoreError) as info:
        store.get("p")
    assert "MY_KEY" in info.value.message
    assert "U+201D" in info.value.message
    assert "sk-abc" not in info.value.message


@pytest.mark.parametrize("bad", ["", "1ABC", "A-B", "A B", "A;rm -rf", "A\nB", "$X"])
def test_env_store_refuses_variable_names_unsafe_for_exports(bad: str) -> None:
    with pytest.raises(UserError) as info:
        EnvStore(bad)
    assert info.value.key == "profiles.bad_env_name"


def test_memory_store_round_trip(memory_store: MemoryStore) -> None:
    store = memory_store
    assert store.kind == "memory"
    assert store.get("p") is None
    store.set("p", KEY)
    assert store.get("p") == KEY
    assert store.delete("p") is True and store.delete("p") is False
    with pytest.raises(TypeError):
        store.set("p", KEY.reveal())  # type: ignore[arg-type]


def test_store_for_maps_each_kind(tmp_path: Path) -> None:
    assert store_for(KeyRef("keyring"), tmp_path).kind == "keyring"
    env_store = store_for(KeyRef("env", "OTHER_KEY"), tmp_path)
    assert env_store.kind == "env" and "OTHER_KEY" in env_store.describe()
    file_store = store_for(KeyRef("file"), tmp_path)
    assert file_store.kind == "file" and str(tmp_path) in file_store.describe()
    with pytest.raises(UserError) as info:
        store_for(KeyRef("vault"), tmp_path)
    assert "vault" in info.value.message and "keyring, env, file" in info.value.message


def _no_probe(timeout: float) -> object:
    raise AssertionError("an explicit env/file choice must not touch the keyring")


def test_choose_store_env_and_file_are_explicit_and_never_probe(tmp_path: Path) -> None:
    env = choose_store("env", config_dir=tmp_path, env_var="MY_KEY", probe=_no_probe)  # type: ignore[arg-type]
    assert env.ref == KeyRef("env", "MY_KEY") and env.store.kind == "env"
    file = choose_store("file", config_dir=tmp_path, probe=_no_probe)  # type: ignore[arg-type]
    assert file.ref == KeyRef("file", DEFAULT_ENV_VAR) and file.store.kind == "file"
    assert list(tmp_path.iterdir()) == [], "choosing writes nothing"


def test_choose_store_refuses_unknown_store_and_bad_var(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        choose_store("plaintext", config_dir=tmp_path, probe=_no_probe)  # type: ignore[arg-type]
    assert info.value.exit_code == 2
    with pytest.raises(UserError) as info:
        choose_store("env", config_dir=tmp_path, env_var="BAD VAR", probe=_no_probe)  # type: ignore[arg-type]
    assert info.value.key == "profiles.bad_env_name"


def test_messages_have_both_languages() -> None:
    """Every secrets.* message exists in en and zh with the same placeholders."""
    from app.core.i18n import messages, placeholders

    en = {k: v for k, v in messages("en").items() if k.startswith("secrets.")}
    zh = {k: v for k, v in messages("zh").items() if k.startswith("secrets.")}
    assert set(en) == set(zh)
    for key in en:
        assert placeholders(en[key]) == placeholders(zh[key]), key
    assert t("secrets.describe_file", "zh", path="/x") != t(
        "secrets.describe_file", "en", path="/x"
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=5, max_size=200
    )
)
def test_file_store_round_trips_any_valid_key(tmp_path: Path, body: str) -> None:
    key = ApiKey("sk-" + body)  # every printable ASCII character may be part of a key
    store = FileStore(tmp_path / "rt")
    store.set("p", key)
    assert store.get("p") == key
    assert (tmp_path / "rt" / "keys" / "p.key").read_text() == key.reveal() + "\n"
