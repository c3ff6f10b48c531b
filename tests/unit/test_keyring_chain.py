"""Keyring chains (T20) and hostile backend errors (B8), through the real CLI in a subprocess.

The chain is keyring's own ChainerBackend over a read-only backend and keyrings.alt's real
PlaintextKeyring; the hostile backend puts the key into its error text (cut at 200
characters, repr, base64 at an odd offset) or raises SystemExit / KeyboardInterrupt.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.text import redact, secret_forms
from tests.fixtures.cli import CliRunner

KEY = "sk-chain0123456789abcdef012345678"
CONF = ("configure", "--region", "ap-southeast-1", "--workspace-id", "ws-chain1", "--api-key-stdin")


def _files_with_key(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]


def test_a_chain_never_falls_through_to_the_plaintext_file(run_cli: CliRunner) -> None:
    r = run_cli(
        *CONF, input=KEY, keyring_backend="tests.fixtures.keyring_backends.ReadOnlyThenPlaintext"
    )
    assert r.rc == 3, r.output  # nothing could be stored securely: fail closed
    assert "stored in" not in r.stdout
    assert "ReadOnly" in r.stderr  # the backend that was actually asked is named
    assert _files_with_key(run_cli.root) == []
    assert KEY not in r.output


def test_a_chain_with_only_plaintext_is_refused_by_name(run_cli: CliRunner) -> None:
    r = run_cli(*CONF, input=KEY, keyring_backend="tests.fixtures.keyring_backends.OnlyPlaintext")
    assert r.rc == 3, r.output
    assert "plain text" in r.stderr and "PlaintextKeyring" in r.stderr
    assert _files_with_key(run_cli.root) == []


@pytest.mark.parametrize("mode", ["long", "repr", "base64"])
def test_backend_error_text_never_shows_the_key(run_cli: CliRunner, mode: str) -> None:
    r = run_cli(
        "key", "set", "--api-key-stdin", input=KEY,
        env={"HOSTILE_MODE": mode}, keyring_backend="tests.fixtures.keyring_backends.Hostile",
    )  # fmt: skip
    assert r.rc != 0
    for form in secret_forms(KEY):
        assert form not in r.output
    assert KEY[:5] not in r.output  # not even the piece left by a cut at 200 characters
    assert "\x1b" not in r.output  # the backend's escape sequence is shown inert


@pytest.mark.parametrize("mode", ["systemexit", "keyboard"])
def test_a_backend_raising_systemexit_does_not_end_configure_with_0(
    run_cli: CliRunner, mode: str
) -> None:
    r = run_cli(
        *CONF, "--store", "keyring", input=KEY,
        env={"HOSTILE_MODE": mode}, keyring_backend="tests.fixtures.keyring_backends.Hostile",
    )  # fmt: skip
    assert r.rc == 3, r.output
    assert "SystemExit" in r.stderr or "KeyboardInterrupt" in r.stderr
    assert "Traceback" not in r.stderr
    assert not run_cli.config.exists()


def test_redact_removes_the_key_before_cutting() -> None:
    text = "y" * 195 + KEY
    shown = redact(text, KEY, limit=200)
    assert KEY[:5] not in shown[190:]
    assert "sk-" not in redact("token sk-another0123456789abcdef", None)


def test_a_chain_writes_to_its_vetted_backend_and_names_it(run_cli: CliRunner) -> None:
    r = run_cli(
        *CONF, input=KEY, keyring_backend="tests.fixtures.keyring_backends.PlaintextThenMemory"
    )
    assert r.rc == 0, r.output
    assert "PlaintextThenMemory -> tests.fixtures.keyring_backends.Memory" in r.stdout
    assert _files_with_key(run_cli.root) == []
