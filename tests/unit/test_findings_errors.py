"""The error answers of MODEL_STUDIO.md section 4 (issue 9 section 3), judged from recorded
bodies: each becomes one finding with its own remedy, and no answer that does not prove the
key is ever reported as "key accepted".

Bodies are shaped as the service sends them (OpenAI-compatible envelope, native flat body);
the simulator does not answer every one of these yet (IllegalEndpoint, Coding Plan's 401
text, the 403 arrears, the burst 429, Endpoint/App.AccessDenied), so they are judged here.
"""

from __future__ import annotations

import json

import pytest

from app.core.i18n import set_language
from app.findings.codes import Finding
from app.findings.judge import judge_response


def openai_body(code: str, message: str) -> bytes:
    error = {"message": message, "type": code, "param": None, "code": code}
    return json.dumps({"error": error, "request_id": "0f1e2d3c"}).encode()


def native_body(code: str, message: str) -> bytes:
    return json.dumps({"code": code, "message": message, "request_id": "0f1e2d3c"}).encode()


ARREARS_TEXT = "Access denied, please make sure your account is in good standing."
BURST_TEXT = "Request rate increased too quickly. To ensure system stability, please adjust"
CASES = [
    # (status, body, inference, finding, key_accepted)
    (404, native_body("ModelNotFound", "Model not found: qwen-x"), True, "model_not_found", True),
    (400, native_body("InvalidParameter", "Model not exist."), False, "model_not_found", True),
    (400, native_body("Arrearage", ARREARS_TEXT), True, "arrears", True),
    (403, native_body("AccessDenied", ARREARS_TEXT), True, "arrears", True),
    (403, openai_body("access_denied", ARREARS_TEXT), True, "arrears", True),
    (403, native_body("Endpoint.AccessDenied", "Access denied."), False, "endpoint_access_denied",
     None),
    (403, native_body("App.AccessDenied", "Access denied."), True, "app_access_denied", None),
    (401, native_body("IllegalEndpoint", "Illegal endpoint."), False, "illegal_endpoint", False),
    (401, openai_body("invalid_api_key", "invalid access token or token expired"), False,
     "plan_token_invalid", False),
    (429, native_body("Throttling.RateQuota", BURST_TEXT), True, "rate_burst", None),
    (429, openai_body("limit_requests", BURST_TEXT), True, "rate_burst", None),
    (429, native_body("Throttling.RateQuota", "Requests rate limit exceeded."), True,
     "rate_limited", None),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "inference", "expected", "accepted"), CASES)
def test_each_documented_error_is_its_own_finding(status, body, inference, expected, accepted):
    judged = judge_response(status, "application/json", body, oversized=False, inference=inference)
    assert (judged.code, judged.key_accepted) == (expected, accepted)


def test_a_generic_403_without_an_arrears_message_proves_nothing():
    """The arrears message is a tie-breaker on the generic code only: a plain 403 (a plan key
    on a pay-as-you-go host answers so) stays access_denied and never says "key accepted"."""
    judged = judge_response(
        403, "application/json", native_body("AccessDenied", "Access denied."),
        oversized=False, inference=True,
    )  # fmt: skip
    assert (judged.code, judged.key_accepted) == ("access_denied", None)
    # A specific denial code is never turned into arrears by words in its message.
    judged = judge_response(
        403, "application/json", native_body("Model.AccessDenied", ARREARS_TEXT),
        oversized=False, inference=True,
    )  # fmt: skip
    assert judged.code == "access_denied" and judged.key_accepted is None


@pytest.mark.parametrize("code", ["rate_burst", "rate_limited", "access_denied",
                                  "endpoint_access_denied", "app_access_denied",
                                  "illegal_endpoint", "plan_token_invalid"])  # fmt: skip
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_findings_that_prove_nothing_never_say_key_accepted(code, lang):
    set_language(lang)
    try:
        finding = Finding(code, "openai", "ap-southeast-1", "h.example", params={"status": 403})
        text = finding.message
    finally:
        set_language("en")
    assert "Key accepted" not in text and "密钥已通过验证" not in text


def test_arrears_names_the_code_the_service_sent():
    """The 403 arrears carries AccessDenied: the message names that, not a code never sent."""
    judged = judge_response(
        403, "application/json", native_body("AccessDenied", ARREARS_TEXT),
        oversized=False, inference=True,
    )  # fmt: skip
    finding = Finding(judged.code or "-", "dashscope", "cn-beijing", "h", params=judged.params)
    assert "HTTP 403, AccessDenied" in finding.message


def test_each_new_finding_has_one_remedy_of_its_own():
    codes = ["rate_burst", "endpoint_access_denied", "app_access_denied", "illegal_endpoint",
             "plan_token_invalid", "key_is_plan"]  # fmt: skip
    remedies = [Finding(c, "openai", "cn-beijing", "h").remedy for c in codes]
    assert len(set(remedies)) == len(codes)
