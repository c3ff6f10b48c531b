"""B45: text chosen by whoever answers (a request id, an API error code, a certificate's
issuer, a Location or Retry-After header) reaches the terminal, `--json` and the `--report`
Markdown inert (control characters shown as escapes) and bounded. Real simulator over
loopback TLS; doctor runs in-process as a user would."""

from __future__ import annotations

import json

import pytest
import trustme

from app.cli import main
from app.core.text import inert
from app.findings.codes import CERT_NAME_MAX, REQUEST_ID_MAX, Finding, markdown_inline
from app.findings.judge import judge_response
from app.simulator.faults import Fault
from app.simulator.server import Simulator
from tests.fixtures.doctor import doctor, write_config

CONTROLS = ("\x1b", "\x07", "\x9b", "\x00", "\u202e")
# The simulator sends ids as ASCII headers; the C1 CSI (U+009B) goes in the JSON body's code.
HOSTILE_ID = "\x1b]0;PWNED-TITLE\x07\x1b[31mRED`<b>|" + "A" * 5000
HOSTILE_CODE = "\x1b[2JAccessDenied\x1b]0;X\x07\x9b2J" + "C" * 2000


def assert_inert(*texts: str) -> None:
    for text in texts:
        for ch in CONTROLS:
            assert ch not in text, f"raw {ch!r} in output"


def text_run(capsys, sim: Simulator, tmp_path, *extra: str) -> tuple[int, str, str]:
    argv = ["doctor", "--lang", "en", "--timeout", "5", "--config", str(tmp_path / "config.yaml")]
    argv += ["--connect-to", sim.connect_to, *extra]
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def hostile_sim(simulator_ca):
    sim = Simulator(ca=simulator_ca, request_id_factory=lambda: HOSTILE_ID).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop_thread()


def test_hostile_request_id_and_error_code_are_inert_and_bounded(
    capsys, env, tmp_path, hostile_sim
):
    sim = hostile_sim
    write_config(tmp_path, sim)
    sim.inject(Fault("status", status=403, code=HOSTILE_CODE))
    key = sim.key("ap-southeast-1")

    run = doctor(capsys, env, tmp_path, sim, key)  # --json and --report
    assert run.code == 1
    assert_inert(run.out, run.err, run.report)
    data = run.data
    ids = [c["request_id"] for c in data["checks"] if c["request_id"]]
    assert ids, "the crafted request id should be recorded (escaped)"
    for rid in ids:
        assert len(rid) <= REQUEST_ID_MAX
        assert rid.startswith("\\x1b]0;PWNED-TITLE\\x07")  # visible to support, inert
    for finding in data["findings"]:
        assert all(len(i) <= REQUEST_ID_MAX for i in finding["request_ids"])
        assert "C" * 200 not in finding["message"]
        assert len(finding["message"]) < 400
    assert "\\x1b[2JAccessDenied" in json.dumps(data["findings"], ensure_ascii=False)
    # Markdown: the id is a code span its backticks cannot close; nothing opens an HTML tag.
    assert "A" * 200 not in run.report
    # (a double-backtick fence, since the id holds one backtick)
    assert "`` \\x1b]0;PWNED-TITLE" in run.report
    assert "| `\\x1b" not in run.report
    assert len(run.report) < 8000

    code, out, err = text_run(capsys, sim, tmp_path, "--ca-file", str(sim.ca_file))
    assert code == 1
    assert_inert(out, err)
    assert "request id: \\x1b]0;PWNED-TITLE\\x07" in out
    assert "A" * 200 not in out
    assert len(out) < 8000  # was ~22 KB with three 5 KB ids


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
def test_certificate_names_are_inert_and_bounded(capsys, env, tmp_path, trusted):
    """The issuer of an attacker-presented certificate (tls_untrusted) and of a verified one
    (the TLS line of every row) cannot drive the terminal."""
    ca = trustme.CA(
        organization_name="Evil\x1b]0;PWNED\x07\x1b[2J" + "O" * 400,
        organization_unit_name="x\x9b",
    )
    sim = Simulator(ca=ca).start_in_thread()
    try:
        write_config(tmp_path, sim)
        run = doctor(capsys, env, tmp_path, sim, sim.key("ap-southeast-1"), ca=trusted)
        assert_inert(run.out, run.err, run.report)
        extra = ("--ca-file", str(sim.ca_file)) if trusted else ()
        _code, out, err = text_run(capsys, sim, tmp_path, *extra)
        assert_inert(out, err)
        assert "O" * (CERT_NAME_MAX + 1) not in out + run.out + run.report
        if trusted:
            assert run.code == 0
            issuers = [c["tls"]["issuer"] for c in run.data["checks"]]
            assert all("Evil\\x1b]0;PWNED\\x07" in i for i in issuers)
            assert all(len(i) <= CERT_NAME_MAX for i in issuers)
            assert "Evil\\x1b]0;PWNED\\x07" in out
        else:
            assert run.codes == {"tls_untrusted"}
            message = run.data["findings"][0]["message"]
            assert "Evil\\x1b]0" in message
            assert len(message) < CERT_NAME_MAX + 200
            assert "Evil\\x1b]0" in out
    finally:
        sim.stop_thread()


def test_location_and_retry_after_headers_are_inert_and_bounded():
    judged = judge_response(
        302,
        "text/html",
        b"",
        oversized=False,
        inference=False,
        location="https://ev\x1bP\x07" + "h" * 300 + ".example/",
    )
    assert judged.code == "redirect_refused"
    host = judged.params["location"]
    assert host.startswith("ev\\x1bp\\x07hhh") and len(host) <= CERT_NAME_MAX
    judged = judge_response(
        429,
        "application/json",
        b'{"code": "Throttling"}',
        oversized=False,
        inference=False,
        retry_after="\x1b[2J" + "9" * 500,
    )
    assert judged.code == "rate_limited"
    retry = judged.params["retry_after"]
    assert retry.startswith("\\x1b[2J") and len(retry) <= 40


def test_inert_escapes_every_control_character_and_caps_length():
    assert inert("a\x1bb\x07c\x9bd\u202ee\x00") == "a\\x1bb\\x07c\\x9bd\\u202ee\\x00"
    assert inert("plain-id 123 ✓ 中文") == "plain-id 123 ✓ 中文"
    capped = inert("x" * 1000, 128)
    assert len(capped) == 128 and capped.endswith("…")
    assert len(inert("\x1b" * 1000, 10)) == 10


def test_markdown_report_values_cannot_open_links_tags_or_code_spans():
    finding = Finding(
        "tls_untrusted",
        "openai",
        "ap-southeast-1",
        "dashscope-intl.aliyuncs.com",
        ("abc`def",),
        {"issuer": "[click](https://evil.example) <img src=x> `code` | cell"},
    )
    md = finding.markdown_message()
    assert "\\[click\\]" in md and "\\<img" in md and "\\`code\\`" in md and "\\|" in md
    # The terminal message shows the issuer as it is (only control characters escaped).
    assert "[click](https://evil.example)" in finding.message
    assert markdown_inline("a\nb") == "a b"
