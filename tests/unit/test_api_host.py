"""The console's "API Host" as a workspace answer (issue 9 part 1, MODEL_STUDIO.md section 2):
`llm-xxx.cn-beijing.maas.aliyuncs.com`, with or without https:// and a path, gives its ID
and region after the WHOLE host is validated (SECURITY.md T1-T4); every trick is refused
with its own reason, and the DashScope, trial and plan hosts are named as what they are."""

from __future__ import annotations

import pytest

from app.core.api_host import read_workspace_input
from app.core.catalog import load_catalog
from app.core.endpoints import InvalidWorkspaceId, base_urls
from tests.fixtures.bad_inputs import BAD_IDS

CATALOG = load_catalog()
WS = "llm-4pk8z3x2m9q7r1t5"


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        (f"{WS}.cn-beijing.maas.aliyuncs.com", "cn-beijing"),
        (f"  {WS}.ap-southeast-1.maas.aliyuncs.com\n", "ap-southeast-1"),  # pasted
        (f"https://{WS}.eu-central-1.maas.aliyuncs.com", "eu-central-1"),
        (f"HTTPS://{WS.upper()}.US-EAST-1.maas.aliyuncs.com/", "us-east-1"),
        (f"https://{WS}.cn-hongkong.maas.aliyuncs.com/compatible-mode/v1", "cn-hongkong"),
        (f"{WS}.ap-northeast-1.maas.aliyuncs.com/api/v1/services", "ap-northeast-1"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com.", "cn-beijing"),  # a fully qualified name
    ],
)
def test_an_api_host_gives_its_workspace_id_and_region(raw: str, region: str) -> None:
    got = read_workspace_input(raw)
    assert (got.workspace.value, got.region) == (WS, region)
    assert got.workspace.changed  # shown back as what will be used
    assert any(n.key == "endpoints.ws_from_host" for n in got.workspace.notices)
    # The same answer with the region already chosen; the URLs are the tool's own.
    assert read_workspace_input(raw, region).workspace.value == WS
    urls = base_urls(region, "workspace", got.workspace.value)
    assert urls.host == f"{WS}.{region}.maas.aliyuncs.com"


def test_a_bare_id_stays_an_id_without_a_region() -> None:
    got = read_workspace_input("  WS-ABC123 \n", "cn-beijing")
    assert (got.workspace.value, got.region) == ("ws-abc123", None)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        # T1: userinfo, port, query, fragment, escapes, another host after ours
        (f"https://user@{WS}.cn-beijing.maas.aliyuncs.com", "endpoints.host_trick"),
        (f"https://{WS}.cn-beijing.maas.aliyuncs.com@evil.com", "endpoints.host_trick"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com:8443", "endpoints.host_port"),
        (f"https://{WS}.cn-beijing.maas.aliyuncs.com:443/v1", "endpoints.host_port"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com/v1?api_key=x", "endpoints.host_trick"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com#", "endpoints.host_trick"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com%2f.evil.com", "endpoints.host_trick"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com\\evil.com", "endpoints.host_trick"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com/v1/<script>", "endpoints.host_path"),
        ("//evil.com/", "endpoints.host_unknown"),
        ("https://", "endpoints.host_unknown"),
        # T4: downgrade and look-alikes at a label boundary
        (f"http://{WS}.cn-beijing.maas.aliyuncs.com", "endpoints.host_scheme"),
        (f"ftp://{WS}.cn-beijing.maas.aliyuncs.com", "endpoints.host_scheme"),
        (f"https://{WS}.cn-beijing.maas.aliyuncs.com.evil.com/", "endpoints.host_unknown"),
        (f"https://{WS}.cn-beijing.maas.aliyuncs.com.evil.com", "endpoints.host_unknown"),
        (f"{WS}.cn-beijing-maas.aliyuncs.com", "endpoints.host_unknown"),
        (f"{WS}.evilcn-beijing.maas.aliyuncs.com", "endpoints.host_unknown"),
        (f"a.{WS}.cn-beijing.maas.aliyuncs.com", "endpoints.host_unknown"),  # two labels
        (f"{WS}.us-west-9.maas.aliyuncs.com", "endpoints.host_unknown"),  # no such region
        ("xn--ws-abc.cn-beijing.maas.aliyuncs.com", "endpoints.host_unknown"),
        (".cn-beijing.maas.aliyuncs.com", "endpoints.host_unknown"),
        # T2: non-ASCII anywhere, before any lowercasing
        (f"{WS}.cn-beijing.maas.aliyuncs.com\u3002evil", "endpoints.ws_non_ascii"),
        (f"{WS[:-1]}\u212a.cn-beijing.maas.aliyuncs.com", "endpoints.ws_non_ascii"),
        (f"{WS}.cn-beijing.maas.aliyuncs.com\r\nHost: evil", "endpoints.ws_control_char"),
        # the other hosts of Model Studio, named as what they are
        ("dashscope.aliyuncs.com", "endpoints.host_is_shared"),
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "endpoints.host_is_shared"),
        ("trial.ap-southeast-1.maas.aliyuncs.com", "endpoints.host_is_trial"),
        ("token-plan.ap-southeast-1.maas.aliyuncs.com", "endpoints.host_is_plan"),
        ("https://coding-intl.dashscope.aliyuncs.com/v1", "endpoints.host_is_plan"),
    ],
)
def test_every_host_trick_is_refused_with_its_reason(raw: str, key: str) -> None:
    with pytest.raises(InvalidWorkspaceId) as info:
        read_workspace_input(raw)
    assert info.value.key == key
    assert info.value.exit_code == 2
    message = info.value.message
    assert "{" not in message and "\n" not in message and "\r" not in message
    assert len(message) < 500


def test_a_host_of_another_region_names_both() -> None:
    with pytest.raises(InvalidWorkspaceId) as info:
        read_workspace_input(f"{WS}.cn-beijing.maas.aliyuncs.com", "ap-southeast-1")
    assert info.value.key == "endpoints.host_other_region"
    assert "cn-beijing" in info.value.message and "ap-southeast-1" in info.value.message


def test_a_plan_host_says_the_plan_flags() -> None:
    with pytest.raises(InvalidWorkspaceId) as info:
        read_workspace_input("token-plan.cn-beijing.maas.aliyuncs.com")
    assert "Token Plan host of cn-beijing" in info.value.message
    assert "--plan token --plan-region cn-beijing" in info.value.message


# Not an ID, but exactly the paste this reader is for: the one entry of BAD_IDS it accepts.
AN_API_HOST = "https://ws-abc.cn-beijing.maas.aliyuncs.com"


@pytest.mark.parametrize(
    "raw", [r for r in BAD_IDS if r != AN_API_HOST], ids=lambda r: ascii(r)[:24]
)
def test_every_bad_workspace_id_is_still_refused(raw: str) -> None:
    """SECURITY.md's bad workspace IDs, read as IDs or as hosts: none gives an ID."""
    with pytest.raises(InvalidWorkspaceId):
        read_workspace_input(raw)


def test_a_key_pasted_as_a_host_is_refused_without_echoing_it() -> None:
    key = "sk-" + "0123456789abcdef" * 2
    with pytest.raises(InvalidWorkspaceId) as info:
        read_workspace_input(f"{key}.cn-beijing.maas.aliyuncs.com")
    assert key not in info.value.message
