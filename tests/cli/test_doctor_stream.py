"""`doctor --stream` end to end: one short streamed answer per surface from the simulator over
real TLS, timed event by event, and the two middlebox faults it exists to catch (a proxy
that buffers server-sent events until the answer is complete, one that cuts the stream).

The simulator produces stream events at a model's pace (`stream_interval`) and can buffer
or cut an SSE answer on demand (app/simulator/faults.py `stream_buffer` / `stream_cut`), as
a proxy on the path would; every run also checks that the key is in no output.
"""

from __future__ import annotations

from app.simulator.faults import Fault
from tests.fixtures.doctor import doctor, write_config

REGION = "ap-southeast-1"
STREAM_PATHS = {
    "openai": "/compatible-mode/v1/chat/completions",
    "anthropic": "/apps/anthropic/v1/messages",
    "dashscope": "/api/v1/services/aigc/text-generation/generation",
}


def _streamed(sim) -> dict[str, int]:
    """How many streamed inference requests the simulator received, per surface."""
    out: dict[str, int] = {}
    for r in sim.requests:
        if r.stream:
            out[r.surface or "?"] = out.get(r.surface or "?", 0) + 1
    return out


def test_a_healthy_path_streams_on_every_surface_and_times_the_first_token(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    simulator.stream_interval = 0.03
    run = doctor(capsys, env, tmp_path, simulator, simulator.key(REGION), "--stream")
    assert run.code == 0, run.out + run.err
    data = run.data
    assert data["verdict"] == "ok" and data["findings"] == []
    rows = {s["surface"]: s for s in data["stream"]}
    assert set(rows) == {"openai", "anthropic", "dashscope"}
    for row in rows.values():
        assert row["status"] == "ok", row
        assert row["final_event"] is True and row["finding"] is None
        assert row["events"] >= 3 and row["reads"] >= 3  # tokens came one after another
        # The events were 30 ms apart: the spread from first to last shows it, and the
        # first token came before the end.
        assert row["spread_ms"] >= 30, row
        assert row["first_token_ms"] < row["total_ms"], row
        assert row["host"].endswith(f".{REGION}.maas.aliyuncs.com")
        assert row["request_id"]
    # One streamed request per surface, to the surface's own inference path.
    assert _streamed(simulator) == {"openai": 1, "anthropic": 1, "dashscope": 1}
    paths = {r.path for r in simulator.requests if r.stream}
    assert paths == set(STREAM_PATHS.values())


def test_the_text_report_has_a_streaming_section(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key(REGION), "--stream")
    assert run.code == 0
    assert "Streaming check" in run.report
    assert "| openai | ok |" in run.report


def test_without_stream_no_streamed_request_is_made(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, simulator.key(REGION))
    assert run.code == 0
    assert run.data.get("stream") is None
    assert _streamed(simulator) == {}


def test_a_buffering_proxy_is_a_stream_buffered_warning_with_its_remedy(
    capsys, env, tmp_path, simulator
):
    write_config(tmp_path, simulator)
    simulator.stream_interval = 0.03
    simulator.inject(Fault("stream_buffer", path_prefix="/compatible-mode/"))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key(REGION), "--stream")
    data = run.data
    rows = {s["surface"]: s for s in data["stream"]}
    assert rows["openai"]["status"] == "buffered", rows["openai"]
    assert rows["openai"]["finding"] == "stream_buffered"
    # Every event arrived in one read, after the whole answer had been produced.
    assert rows["openai"]["reads"] == 1 and rows["openai"]["spread_ms"] < 10
    assert rows["anthropic"]["status"] == rows["dashscope"]["status"] == "ok"
    finding = next(f for f in data["findings"] if f["code"] == "stream_buffered")
    assert finding["severity"] == "warning"
    assert "arrived all at once" in finding["message"]
    assert "proxy_buffering off" in finding["remedy"]
    assert data["verdict"] == "warn" and run.code == 1
    # A 1-token call is not streamed: the normal checks still passed.
    assert all(c["status"] == "pass" for c in data["checks"])


def test_a_cut_stream_is_a_stream_cut_error(capsys, env, tmp_path, simulator):
    write_config(tmp_path, simulator)
    simulator.inject(Fault("stream_cut", path_prefix="/apps/anthropic/", events=2))
    run = doctor(capsys, env, tmp_path, simulator, simulator.key(REGION), "--stream")
    data = run.data
    rows = {s["surface"]: s for s in data["stream"]}
    assert rows["anthropic"]["status"] == "cut", rows["anthropic"]
    assert rows["anthropic"]["final_event"] is False
    assert rows["anthropic"]["events"] <= 2
    finding = next(f for f in data["findings"] if f["code"] == "stream_cut")
    assert finding["severity"] == "error"
    assert "the connection was closed" in finding["message"]
    assert data["verdict"] == "fail" and run.code == 1
    assert rows["openai"]["status"] == "ok"


def test_a_rejected_key_streams_nothing(capsys, env, tmp_path, simulator):
    """The stream check only follows a check that passed with the key: a bad key is told
    once, by the auth step, and is not sent again for a stream."""
    write_config(tmp_path, simulator)
    run = doctor(capsys, env, tmp_path, simulator, "sk-" + "0" * 32, "--stream")
    assert run.code == 1
    assert "key_rejected" in run.codes
    assert run.data["stream"] == []
    assert "stream_buffered" not in run.codes and "stream_cut" not in run.codes
    assert _streamed(simulator) == {}
