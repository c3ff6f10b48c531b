"""Findings: every code documented and translated; answers judged by status and code only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.core.i18n import messages, placeholders
from app.findings.codes import CODES, Finding
from app.findings.judge import judge_response

ISSUE_CODES = [
    "dns_failed",
    "connect_refused",
    "connect_timeout",
    "tls_untrusted",
    "tls_hostname_mismatch",
    "tls_expired",
    "proxy_failed",
    "proxy_auth_required",
    "timeout",
    "redirect_refused",
    "unexpected_response",
    "key_rejected",
    "key_other_region",
    "key_other_workspace",
    "plan_key_mismatch",
    "model_not_found",
    "access_denied",
    "workspace_not_found",
    "arrears",
    "rate_limited",
    "quota_exceeded",
    "server_error",
]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"


def test_every_code_of_the_issue_exists():
    assert set(ISSUE_CODES) <= set(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_message_and_remedy_in_both_languages(code):
    for part in ("message", "remedy"):
        en = messages("en").get(f"findings.{code}.{part}")
        zh = messages("zh").get(f"findings.{code}.{part}")
        assert en and zh, f"{code}.{part} missing"
        assert placeholders(en) == placeholders(zh)
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{code}.{part} is not translated"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_explained_in_the_troubleshooting_docs(code):
    assert f"| `{code}` |" in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("domain", ["probe", "doctor"])
def test_probe_and_doctor_messages_match_across_languages(domain):
    en = {k: v for k, v in messages("en").items() if k.startswith(domain + ".")}
    zh = {k: v for k, v in messages("zh").items() if k.startswith(domain + ".")}
    assert en and set(en) == set(zh)
    for key in en:
        assert placeholders(en[key]) == placeholders(zh[key]), key


def test_a_finding_renders_without_its_details():
    """A message never shows a raw {placeholder}, whatever details a finding carries."""
    for code in CODES:
        finding = Finding(code, "openai", "ap-southeast-1", "h.example")
        assert "{" not in finding.message and "{" not in finding.remedy


def _json(payload: object) -> bytes:
    return json.dumps(payload).encode()


def err(code: str) -> bytes:
    return _json({"error": {"message": "whatever text", "type": "x", "code": code}})


def native(code: str) -> bytes:
    return _json({"code": code, "message": "ignored", "request_id": "r"})


@pytest.mark.parametrize(
    ("status", "body", "inference", "expected", "accepted"),
    [
        (200, _json({"object": "list", "data": []}), False, None, True),
        (401, err("invalid_api_key"), False, "key_rejected", False),
        (401, native("InvalidApiKey"), False, "key_rejected", False),
        (400, err("Arrearage"), True, "arrears", True),
        (403, err("access_denied"), True, "access_denied", None),
        (403, native("Model.AccessDenied"), True, "access_denied", None),
        (404, native("WorkSpaceNotFound"), False, "workspace_not_found", None),
        (404, err("model_not_found"), True, "model_not_found", True),
        (400, native("InvalidParameter"), True, "model_not_found", True),
        (429, err("limit_requests"), True, "rate_limited", None),
        (429, native("Throttling.RateQuota"), True, "rate_limited", None),
        (429, err("insufficient_quota"), True, "quota_exceeded", None),
        (429, native("Throttling.AllocationQuota"), True, "quota_exceeded", None),
        (500, err("internal_error"), True, "server_error", None),
        (503, native("ModelUnavailable"), True, "server_error", None),
        (200, native("Arrearage"), True, "arrears", True),  # native 200 with a code fails
    ],
)
def test_judged_by_status_and_code(status, body, inference, expected, accepted):
    judged = judge_response(status, "application/json", body, oversized=False, inference=inference)
    assert judged.code == expected
    assert judged.key_accepted is accepted


def test_message_text_never_decides():
    """A 401 whose text talks about quota is still a rejected key, and vice versa."""
    body = _json({"error": {"message": "quota exceeded, arrears", "code": "invalid_api_key"}})
    assert judge_response(401, "application/json", body, oversized=False, inference=True).code == (
        "key_rejected"
    )
    body = _json({"error": {"message": "Invalid API-key provided.", "code": "limit_requests"}})
    assert judge_response(429, "application/json", body, oversized=False, inference=True).code == (
        "rate_limited"
    )


@pytest.mark.parametrize(
    ("status", "ctype", "body", "reason"),
    [
        (200, "text/html", b"<html>Please log in</html>", "html"),
        (200, "application/json", b"not json", "not_json"),
        (200, "text/plain", b"ok", "not_json"),
        (403, "text/html", b"<html>blocked by policy</html>", "html"),
    ],
)
def test_non_json_answers_are_unexpected(status, ctype, body, reason):
    judged = judge_response(status, ctype, body, oversized=False, inference=False)
    assert judged.code == "unexpected_response"
    assert judged.params["reason"] == reason


def test_redirect_names_the_target_host_and_oversized_wins_over_parsing():
    judged = judge_response(
        302, "text/html", b"", oversized=False, inference=False, location="https://a.example/x"
    )
    assert judged.code == "redirect_refused" and judged.params["location"] == "a.example"
    judged = judge_response(200, "application/json", b"{", oversized=True, inference=False)
    assert judged.code == "unexpected_response" and judged.params["reason"] == "oversized"


def test_server_chosen_codes_and_ids_in_bodies_are_inert_and_bounded():
    """B45: an error code or request id in a JSON body is shown escaped and cut; a real code
    is unchanged, so judgement by code still works."""
    from app.findings.codes import API_CODE_MAX, REQUEST_ID_MAX
    from app.findings.judge import api_error_code, body_request_id

    hostile = {"code": "\x1b]52;c;cHduZWQ=\x07" + "X" * 500, "request_id": "\x9b" + "r" * 500}
    code = api_error_code(hostile)
    assert code.startswith("\\x1b]52;c;cHduZWQ=\\x07") and len(code) <= API_CODE_MAX
    rid = body_request_id(hostile)
    assert rid.startswith("\\x9b") and len(rid) <= REQUEST_ID_MAX
    assert api_error_code({"error": {"code": "Arrearage"}}) == "Arrearage"
    body = _json({"code": "Arrearage", "request_id": "7d0f"})
    judged = judge_response(400, "application/json", body, oversized=False, inference=False)
    assert judged.code == "arrears"


def test_finding_text_never_carries_a_control_character():
    """Whatever a caller stored in a finding's params, message and JSON are inert."""
    f = Finding(
        "request_refused",
        "openai",
        "ap-southeast-1",
        "h",
        ("id\x1b[2J",),
        {
            "status": 400,
            "api_code": "x\x1b]0;t\x07\x9b",
        },
    )
    for text in (f.message, f.remedy, json.dumps(f.to_json(), ensure_ascii=False)):
        assert not any(ch in text for ch in "\x1b\x07\x9b")
    assert "x\\x1b]0;t\\x07\\x9b" in f.message
