"""`--debug` (issue 12 section 6): the trace of what was sent and received, on every
command, to stderr or a private --debug-file; never a body, never the key. Against the
simulator over real TLS (its request ids and headers are real answers)."""

from __future__ import annotations

import stat

import pytest

from app.core import debug
from tests.fixtures.doctor import doctor, write_config


@pytest.fixture
def env(env):
    """The doctor tests' clean machine, without a debug switch of its own."""
    env.delenv("MODELSTUDIO_SETUP_DEBUG", raising=False)
    return env


def test_doctor_debug_traces_each_request_without_the_key(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    run = doctor(capsys, env, tmp_path, simulator, key, "--debug", "--no-environment")
    trace = [line for line in run.err.splitlines() if line.startswith("[debug")]
    text = "\n".join(trace)
    assert "doctor" in trace[0]
    assert "http GET https://" in text and "/compatible-mode/v1/models" in text, text
    assert "-> 200 in" in text and "tcp " in text
    assert "authorization=<redacted>" in text
    assert "x-request-id=" in text and "content-type=application/json" in text
    assert "bytes (not shown)" in text  # the inference POST: its size only
    assert key not in run.err and key[3:15] not in run.err
    assert not any(s in text for s in ('"messages"', '"model"'))  # no body


def test_without_debug_there_is_no_trace(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key("ap-southeast-1"), "--no-environment"
    )
    assert "[debug" not in run.err


def test_the_variable_turns_it_on_and_the_file_is_private(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key("ap-southeast-1")
    log = tmp_path / "trace.log"
    log.write_text("old\n")
    log.chmod(0o644)
    env.setenv("MODELSTUDIO_SETUP_DEBUG", "1")
    run = doctor(
        capsys, env, tmp_path, simulator, key, "--debug-file", str(log), "--no-environment"
    )
    assert "[debug" not in run.err  # all of it in the file
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    written = log.read_text()
    assert written.startswith("[debug") and "old" not in written
    assert "http GET" in written and key not in written


def test_a_symlinked_debug_file_is_refused_and_its_target_untouched(capsys, env, tmp_path):
    from app.cli import main

    target = tmp_path / "target"
    target.write_text("keep\n")
    link = tmp_path / "link.log"
    link.symlink_to(target)
    code = main(["status", "--debug-file", str(link), "--config", str(tmp_path / "c.yaml")])
    assert code == 2
    err = capsys.readouterr().err
    assert "Cannot write the debug trace" in err and "it is a symbolic link" in err, err
    assert "Too many levels" not in err  # the reason in words, not the errno's
    assert target.read_text() == "keep\n"


@pytest.mark.parametrize(
    ("where", "words"),
    [("", "--debug-file needs a file name"), ("folder", "Is a directory")],
)
def test_a_debug_file_that_cannot_be_written_is_said_plainly(capsys, env, tmp_path, where, words):
    from app.cli import main

    (tmp_path / "folder").mkdir()
    path = str(tmp_path / where) if where else ""
    code = main(["status", "--debug-file", path, "--config", str(tmp_path / "c.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and words in err, err
    assert "symbolic link" not in err and "Traceback" not in err


def test_the_wizard_needs_a_file_for_the_trace(capsys, env, tmp_path):
    from app.cli import main

    assert main(["--debug", "--config", str(tmp_path / "c.yaml")]) == 2
    assert "--debug-file" in capsys.readouterr().err


def test_query_values_and_echoed_secrets_are_redacted():
    assert debug.shown_url("https://u:p@h.example/api/v1/tokens?expire_in_seconds=60") == (
        "https://h.example/api/v1/tokens?expire_in_seconds=<redacted>"
    )
    secret = "st-" + "ab12" * 8
    debug.add_secret(secret)
    try:
        shown = debug.shown_headers([(b"x-request-id", secret.encode()), (b"set-cookie", b"a=b")])
    finally:
        debug.disable()
    assert shown == "x-request-id=<redacted>, set-cookie=<redacted>"
    assert "\x1b" not in debug.shown_headers([(b"server", b"evil\x1b[2J")])
    assert not debug.enabled()
