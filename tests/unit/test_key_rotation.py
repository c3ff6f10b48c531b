"""The steps of `key rotate` (app.secrets.rotation) against stores whose writes fail between
the steps: whichever write fails, a working key stays reachable (the old one in use, the new
one in use, or the old one in the backup for `--rollback`), and the message says which."""

from __future__ import annotations

import pytest

from app.secrets.key import ApiKey, KeyStoreError
from app.secrets.rotation import RotationError, finish, rollback, rotate, slots
from app.secrets.stores import FileStore, MemoryStore

OLD = ApiKey("sk-" + "1" * 32)
NEW = ApiKey("sk-" + "2" * 32)


class FailingStore(MemoryStore):
    """A MemoryStore whose set calls number `fail` (1-based) fail: raising before writing,
    or (`silent`) accepting and keeping nothing, as a null keyring backend does."""

    def __init__(self, fail: set[int], *, silent: bool = False) -> None:
        super().__init__({"p": OLD})
        self.fail = fail
        self.silent = silent
        self.sets = 0

    def set(self, profile: str, key: ApiKey) -> None:
        self.sets += 1
        if self.sets in self.fail:
            if self.silent:
                return
            raise KeyStoreError("secrets.keyring_refused", None, backend="test", detail="x")
        super().set(profile, key)


def reachable(store: MemoryStore) -> set[str]:
    current, backup = slots(store, "p")
    return {k.fingerprint() for k in (current.get(), backup.get()) if k is not None}


CASES = {
    # failing set calls: (expected outcome, key in use afterwards, backup afterwards)
    "none": (set(), None, NEW, OLD),
    "backup write": ({1}, "key_rotate.backup_failed", OLD, None),
    "new key write, put back": ({2}, "key_rotate.store_failed_restored", OLD, None),
    "new key write and the put-back": ({2, 3}, "key_rotate.store_failed_backup_kept", OLD, OLD),
    "everything": ({1, 2, 3, 4}, "key_rotate.backup_failed", OLD, None),
}


@pytest.mark.parametrize("silent", [False, True], ids=["raises", "swallows"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_any_failing_write_leaves_a_working_key_reachable(case, silent):
    fail, error, in_use, kept = CASES[case]
    if silent and error == "key_rotate.store_failed_backup_kept":
        # A put-back that "succeeds" silently: the read-back proves the slot still holds the
        # old key (the new one never landed), so the profile is as it was.
        error, kept = "key_rotate.store_failed_restored", None
    store = FailingStore(fail, silent=silent)
    current, backup = slots(store, "p")
    if error is None:
        done = rotate(current, backup, OLD, NEW)
        assert done.key == NEW.masked() and done.backup == OLD.masked()
    else:
        with pytest.raises(RotationError) as caught:
            rotate(current, backup, OLD, NEW)
        assert caught.value.reason == error
        assert caught.value.exit_code == 3
        assert OLD.masked() in caught.value.message
        assert OLD.reveal() not in caught.value.message + repr(caught.value)
    assert current.get() == in_use
    assert backup.get() == kept
    assert OLD.fingerprint() in reachable(store) or current.get() == NEW


def test_the_message_after_a_lost_put_back_names_the_backup_and_the_rollback():
    store = FailingStore({2, 3})
    current, backup = slots(store, "p")
    with pytest.raises(RotationError) as caught:
        rotate(current, backup, OLD, NEW)
    assert "key rotate --rollback" in caught.value.message
    # ...and the rollback works once the store does.
    store.fail = set()
    done = rollback(current, backup)
    assert current.get() == OLD and backup.get() is None and done.key == OLD.masked()


def test_a_rollback_whose_write_fails_keeps_the_backup():
    store = FailingStore(set())
    current, backup = slots(store, "p")
    rotate(current, backup, OLD, NEW)
    store.fail = {store.sets + 1}
    with pytest.raises(RotationError) as caught:
        rollback(current, backup)
    assert caught.value.reason == "key_rotate.rollback_failed"
    assert backup.get() == OLD and current.get() == NEW


def test_finish_drops_only_the_backup():
    store = FailingStore(set())
    current, backup = slots(store, "p")
    rotate(current, backup, OLD, NEW)
    assert finish(backup) == OLD
    assert current.get() == NEW and backup.get() is None
    assert finish(backup) is None  # nothing pending: nothing to do


def test_file_backups_sit_beside_the_key_under_a_name_no_profile_has(tmp_path):
    store = FileStore(tmp_path)
    store.set("p.previous", ApiKey("sk-" + "9" * 32))  # a real profile of that name
    store.set("p", OLD)
    current, backup = slots(store, "p")
    rotate(current, backup, OLD, NEW)
    keys = tmp_path / "keys"
    assert (keys / "p.key").read_text() == NEW.reveal() + "\n"
    assert (keys / "p.key.previous").read_text() == OLD.reveal() + "\n"
    assert (keys / "p.key.previous").stat().st_mode & 0o777 == 0o600
    assert store.get("p.previous") == ApiKey("sk-" + "9" * 32)  # untouched
    rollback(current, backup)
    assert store.get("p") == OLD and not (keys / "p.key.previous").exists()
