"""The ownership matrix (issue 9 section 3): after a 401, with consent, the key is tried on
every region's shared host and on the four plan hosts at once, and the finding says what the
key is, with a configure command for the profile.

Against the simulator over real TLS where it can answer: today its plan account is accepted
by every plan host (it does not yet tell Coding Plan from Token Plan, nor plan regions), so
which plan and plan region a key belongs to is also tested on recorded answers, by handing
explain_refusal the checks the engine would have produced.
"""

from __future__ import annotations

import asyncio

import pytest

from app.core.endpoints import all_plan_urls
from app.core.i18n import set_language
from app.core.models import Target, TrustSource
from app.findings.codes import Finding
from app.findings.judge import judge_response
from app.findings.remedies import RemedyCommands
from app.findings.results import CheckResult, ProbeResult
from app.probe.engine import ProbeOptions, run_checks
from app.probe.ownership import explain_refusal, find_owner_of_unverified
from app.probe.targets import ownership_matrix, targets_for
from app.probe.transport import Pins
from app.secrets.key import ApiKey


def options(sim, **kw) -> ProbeOptions:
    kw.setdefault("timeout", 5.0)
    return ProbeOptions(
        pins=Pins.parse(None, [sim.connect_to]), ca_file=str(sim.ca_file), env={}, **kw
    )


def overlap(intervals: list[tuple[float, float]]) -> bool:
    return max(s for s, _ in intervals) < min(e for _, e in intervals)


def test_the_matrix_asks_every_shared_host_and_the_four_plan_hosts_with_their_paths():
    targets, unchecked = ownership_matrix("ap-southeast-1", "ws-x.ap-southeast-1.maas.aliyuncs.com")
    urls = {t.base_url for t in targets}
    assert "https://coding.dashscope.aliyuncs.com/v1" in urls
    assert "https://coding-intl.dashscope.aliyuncs.com/v1" in urls
    assert "https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1" in urls
    assert "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1" in urls
    assert "https://dashscope-intl.aliyuncs.com/compatible-mode/v1" in urls
    assert all(t.role == "ownership" and t.surface == "openai" for t in targets)
    assert "eu-central-1" in unchecked  # no shared host: said, not guessed


async def test_a_plan_key_on_a_pay_as_you_go_host_is_named_a_plan_key_with_a_command(simulator):
    acct = simulator.accounts["ap-southeast-1"]
    targets = targets_for(acct.region, "workspace", acct.workspace_id, model="qwen-plus")
    result = await run_checks(
        targets, ApiKey(simulator.key("plan")), options(simulator, consent_all_regions=True)
    )
    assert {f.code for f in result.findings} == {"key_is_plan"}
    plan_rows = [c for c in result.ownership if c.host in {p.host for p in all_plan_urls()}]
    assert len(plan_rows) == 4 and any(c.key_accepted for c in plan_rows)
    assert overlap([(c.t_start, c.t_end) for c in result.ownership])  # all at once
    (finding,) = RemedyCommands("work").apply(result.findings)
    assert "Coding Plan key" in finding.message
    assert "--profile work --plan coding --plan-region" in finding.remedy


async def test_without_consent_a_plan_key_is_only_named(simulator):
    acct = simulator.accounts["ap-southeast-1"]
    targets = targets_for(acct.region, "workspace", acct.workspace_id, model="qwen-plus")
    result = await run_checks(targets, ApiKey(simulator.key("plan")), options(simulator))
    assert {f.code for f in result.findings} == {"plan_key_mismatch"}
    assert result.ownership == []  # the key went nowhere else


def _refused(host: str, region: str) -> CheckResult:
    check = CheckResult(1, Target("openai", region, host, f"https://{host}/compatible-mode/v1"))
    check.finding = Finding("key_rejected", "openai", region, host, ("rid-1",), {})
    check.http_status, check.key_accepted = 401, False
    return check


def _answers(accepting: set[str]):
    """check_all as the engine runs it, answering with 2xx only on the `accepting` hosts."""

    async def check_all(targets: list[Target]) -> list[CheckResult]:
        out = []
        for i, target in enumerate(targets):
            check = CheckResult(100 + i, target)
            if target.host in accepting:
                check.http_status, check.key_accepted = 200, True
            else:
                check.http_status, check.key_accepted = 401, False
                check.finding = Finding("key_rejected", "openai", target.region, target.host)
            out.append(check)
        return out

    return check_all


def _explain(accepting: set[str], key: str, host: str, region: str) -> Finding:
    refused = [_refused(host, region)]
    result = ProbeResult(refused, [], [], TrustSource("os", "-"), None, "-")
    asyncio.run(explain_refusal(_answers(accepting), True, result, refused, ApiKey(key)))
    assert refused[0].finding is not None
    (finding,) = RemedyCommands("P").apply([refused[0].finding])
    return finding


WS_HOST = "ws-a1b2c3d4e5f6a7b8.cn-beijing.maas.aliyuncs.com"
PLAN_KEY = "sk-sp-" + "a" * 106


@pytest.mark.parametrize(
    ("accepting", "words", "words_zh", "command"),
    [
        ("token-plan.ap-southeast-1.maas.aliyuncs.com", "a Singapore Token Plan key",
         "新加坡 Token Plan 密钥", "--plan token --plan-region ap-southeast-1"),
        ("token-plan.cn-beijing.maas.aliyuncs.com", "a Beijing Token Plan key",
         "北京 Token Plan 密钥", "--plan token --plan-region cn-beijing"),
        ("coding-intl.dashscope.aliyuncs.com", "a Coding Plan key (international)",
         "Coding Plan 密钥（国际）", "--plan coding --plan-region ap-southeast-1"),
        ("coding.dashscope.aliyuncs.com", "a Coding Plan key (mainland)",
         "Coding Plan 密钥（中国内地）", "--plan coding --plan-region cn-beijing"),
    ],
)  # fmt: skip
def test_the_plan_host_that_accepts_the_key_names_its_plan_and_region(
    accepting, words, words_zh, command
):
    finding = _explain({accepting}, PLAN_KEY, WS_HOST, "cn-beijing")
    assert finding.code == "key_is_plan"
    assert words in finding.message
    assert f"configure --profile P {command}" in finding.remedy
    set_language("zh")
    try:
        assert words_zh in finding.message and command in finding.remedy
    finally:
        set_language("en")


def test_a_pay_as_you_go_key_of_another_region_keeps_the_region_switch_command():
    finding = _explain({"dashscope-intl.aliyuncs.com"}, "sk-" + "b" * 32, WS_HOST, "cn-beijing")
    assert finding.code == "key_other_region"
    assert "pay-as-you-go key" in finding.message
    assert "--region ap-southeast-1 --shared-host" in finding.remedy


def test_a_pay_as_you_go_key_on_a_plan_profile_is_sent_to_its_region():
    """The reverse mismatch: the profile points at a Token Plan host, the key is Beijing's."""
    host = "token-plan.ap-southeast-1.maas.aliyuncs.com"
    finding = _explain({"dashscope.aliyuncs.com"}, "sk-" + "c" * 32, host, "ap-southeast-1")
    assert finding.code == "key_other_region"
    assert "--region cn-beijing --shared-host" in finding.remedy


def test_a_key_refused_everywhere_stays_refused_and_says_it_was_checked():
    finding = _explain(set(), PLAN_KEY, WS_HOST, "cn-beijing")
    assert finding.code == "key_rejected" and finding.params.get("consent") == "yes"


def test_a_403_plan_mismatch_is_never_key_accepted_and_the_matrix_names_the_plan():
    """A plan key on a pay-as-you-go host may answer 403 (official): that proves nothing, and
    with consent the matrix says which plan the key is (find_owner_of_unverified)."""
    body = b'{"code": "AccessDenied", "message": "Access denied.", "request_id": "r"}'
    judged = judge_response(403, "application/json", body, oversized=False, inference=False)
    assert (judged.code, judged.key_accepted) == ("access_denied", None)
    check = _refused(WS_HOST, "cn-beijing")
    check.finding = Finding("access_denied", "openai", "cn-beijing", WS_HOST, ("rid-1",), {})
    check.http_status, check.key_accepted = 403, None
    result = ProbeResult([check], [], [], TrustSource("os", "-"), None, "-")
    accepting = {"token-plan.ap-southeast-1.maas.aliyuncs.com"}
    asyncio.run(find_owner_of_unverified(_answers(accepting), result, [check]))
    assert check.finding is not None and check.finding.code == "key_is_plan"
    assert "a Singapore Token Plan key" in check.finding.message
