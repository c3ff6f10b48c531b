"""`doctor --repeat N` / `--watch`: repeated runs against the simulator over real TLS, their
summary (p50 / p95 / max per surface and phase, findings counted by code, a sparkline),
every sample in the JSON, the bounds on the flags (exit 2 before any packet), and an
intermittent failure that one run would have missed. Ctrl+C in a real terminal is
tests/e2e/test_doctor_watch_tmux.py.
"""

from __future__ import annotations

import pytest

from app.simulator.faults import Fault
from tests.fixtures.doctor import doctor, write_config

REGION = "ap-southeast-1"
SURFACES = {"openai", "anthropic", "dashscope"}


def test_three_runs_give_every_sample_and_their_percentiles(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key(REGION), "--repeat", "3", "--interval", "0"
    )
    assert run.code == 0, run.err
    data = run.data
    assert data["schema_version"] == 1 and data["interrupted"] is False
    samples = data["samples"]
    assert [s["run"] for s in samples] == [1, 2, 3]
    assert all(s["verdict"] == "ok" and set(s["surfaces"]) == SURFACES for s in samples)
    elapsed = [s["elapsed_s"] for s in samples]
    assert elapsed == sorted(elapsed)
    summary = data["summary"]
    assert summary["runs"] == 3 and summary["verdicts"] == {"ok": 3} and summary["findings"] == {}
    for surface in SURFACES:
        totals = [s["surfaces"][surface]["total_ms"] for s in samples]
        stat = summary["surfaces"][surface]["metrics"]["total_ms"]
        # Nearest rank over the three observed values: p50 the middle one, p95 and max the
        # largest; each is a value that was really measured.
        assert stat == {"n": 3, "p50": sorted(totals)[1], "p95": max(totals), "max": max(totals)}
        assert summary["surfaces"][surface]["failed"] == 0
    # The last run's full report is there too, as one doctor run gives it.
    assert data["last_run"]["verdict"] == "ok" and len(data["last_run"]["checks"]) == 3
    # Three runs: three times the requests of one.
    inference = [r for r in simulator.requests if r.path.endswith("/chat/completions")]
    assert len(inference) == 3


def test_the_text_summary_has_a_sparkline_and_a_table_per_surface(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    key = simulator.key(REGION)
    env.setenv("MSS_TEST_KEY", key)
    from app.cli import main

    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file)]
    argv += ["--repeat", "4", "--interval", "0", "--no-environment"]
    capsys.readouterr()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert key not in out + err
    # Like ping: a line per run as it finishes, then the summary, all on stdout.
    assert "Running the checks 4 times, 0 s apart" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("#")] == [
        "#1",
        "#2",
        "#3",
        "#4",
    ]
    assert "Summary of 4 runs" in out and "Verdicts: ok 4" in out
    spark = [line for line in out.splitlines() if "total over time:" in line]
    assert len(spark) == 3
    assert all(len(line.split("total over time: ")[1]) == 4 for line in spark)
    assert "p50" in out and "p95" in out and "No findings in any run." in out
    assert "Last run:" in out and "Verdict: OK" in out


def test_an_intermittent_failure_is_counted_and_decides_the_exit(capsys, env, tmp_path, simulator):
    """One 500 in five runs: the summary says in how many runs, the sparkline marks that
    run, and the exit code is the worst run's although the last run passed."""
    write_config(tmp_path, simulator)
    simulator.inject(Fault("server_error", path_prefix="/compatible-mode/v1/chat", times=1))
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key(REGION), "--repeat", "5", "--interval", "0"
    )
    data = run.data
    assert run.code == 1
    assert data["summary"]["findings"] == {"server_error": 1}
    assert data["summary"]["verdicts"] == {"fail": 1, "ok": 4}
    assert data["summary"]["surfaces"]["openai"]["failed"] == 1
    assert data["samples"][0]["surfaces"]["openai"]["finding"] == "server_error"
    assert data["last_run"]["verdict"] == "ok"
    assert "server_error" in run.report and "Doctor over time" in run.report


def test_watch_ends_after_its_duration_and_streams_by_default(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(
        capsys,
        env,
        tmp_path,
        simulator,
        simulator.key(REGION),
        "--watch",
        "--duration",
        "2",
        "--interval",
        "0.5",
    )
    assert run.code == 0, run.err
    samples = run.data["samples"]
    # Runs start 0.5 s apart (at once after a slower run) and none at or after 2 s: two to
    # four runs (a run of the three surfaces takes well under a second, even on a busy CI).
    assert 2 <= len(samples) <= 4, [s["elapsed_s"] for s in samples]
    assert all(s["elapsed_s"] < 2 for s in samples)
    assert all(s["stream"] and {r["status"] for r in s["stream"]} == {"ok"} for s in samples)
    first_token = run.data["summary"]["surfaces"]["openai"]["metrics"]["stream_first_token_ms"]
    assert first_token["n"] == len(samples)


BAD = {
    "zero runs": (["--repeat", "0"], "--repeat must be a whole number from 1 to 1000"),
    "too many": (["--repeat", "1001"], "from 1 to 1000"),
    "not a number": (["--repeat", "3x"], "got '3x'"),
    "negative interval": (["--repeat", "2", "--interval", "-1"], "--interval must be"),
    "nan interval": (["--repeat", "2", "--interval", "nan"], "--interval must be"),
    "huge interval": (["--repeat", "2", "--interval", "1e9"], "from 0 to 3600"),
    "watch too long": (["--watch", "--duration", "86400"], "--duration must be"),
    "both": (["--repeat", "2", "--watch"], "cannot be combined"),
    "interval alone": (["--interval", "1"], "only apply with --repeat"),
    "duration no watch": (["--repeat", "2", "--duration", "5"], "only applies with --watch"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_series_flags_are_exit_2_before_any_packet(capsys, env, tmp_path, simulator, case):
    write_config(tmp_path, simulator)
    args, words = BAD[case]
    env.setenv("MSS_TEST_KEY", simulator.key(REGION))
    from app.cli import main

    argv = ["doctor", "--lang", "en", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", simulator.connect_to, "--ca-file", str(simulator.ca_file), *args]
    capsys.readouterr()
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert words in err, err
    assert "Traceback" not in err and simulator.key(REGION) not in out + err
    assert simulator.requests == []


def test_json_keeps_stdout_one_document_and_shows_each_run_on_stderr(
    capsys, env, tmp_path, simulator
):
    """A script reads the document from stdout; a person watching sees the runs on stderr."""
    write_config(tmp_path, simulator)
    run = doctor(
        capsys, env, tmp_path, simulator, simulator.key(REGION), "--repeat", "2", "--interval", "0"
    )
    assert run.code == 0, run.err
    assert [s["run"] for s in run.data["samples"]] == [1, 2]  # stdout: the JSON alone
    assert "Running the checks 2 times, 0 s apart" in run.err
    lines = [line for line in run.err.splitlines() if line.startswith("#")]
    assert [line.split()[0] for line in lines] == ["#1", "#2"]
    assert all("openai" in line and "ms" in line for line in lines)


def test_json_interrupted_before_the_first_run_is_a_document_without_runs(
    capsys, env, tmp_path, simulator
):
    """Ctrl+C (a real SIGINT) while the first run waits on a hung server: exit 130 and a
    document that says so, not the text summary in the middle of JSON output."""
    import json
    import os
    import signal
    import threading

    # A SIGINT left ignored by an earlier test would hang this one: fail fast instead.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    simulator.inject(Fault("hang"))
    write_config(tmp_path, simulator)

    def interrupt_once_asked() -> None:
        for _ in range(600):
            if simulator.requests:
                break
            threading.Event().wait(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_asked, daemon=True).start()
    run = doctor(capsys, env, tmp_path, simulator, simulator.key(REGION), "--watch", timeout="30")
    assert run.code == 130
    data = json.loads(run.out)
    assert data["schema_version"] == 1 and data["interrupted"] is True
    assert data["samples"] == [] and data["last_run"] is None
    assert "Watching:" in run.err and "Traceback" not in run.err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
