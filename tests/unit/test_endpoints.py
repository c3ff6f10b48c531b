"""Workspace IDs and base URLs: a crafted ID must never turn our host into another one.

Every bad input of SECURITY.md's list is tried by name, and hypothesis throws arbitrary text
at the validator: whatever it accepts must build exactly the intended https host and nothing
else (no userinfo, port, query or fragment), and normalising twice changes nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core.catalog import load_catalog
from app.core.endpoints import (
    STYLES,
    EndpointError,
    InvalidWorkspaceId,
    base_urls,
    classify_host,
    host_for,
    normalize_workspace_id,
)
from app.core.errors import UserError
from app.core.i18n import t
from app.core.text import looks_like_key
from tests.fixtures.bad_inputs import BAD_IDS

CATALOG = load_catalog()
REGIONS = tuple(CATALOG.regions)
ONE_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _id(value: str) -> str:
    return repr(value[:24]) + (f"+{len(value)}" if len(value) > 24 else "")


@pytest.mark.parametrize(("raw", "key"), BAD_IDS.items(), ids=[_id(k) for k in BAD_IDS])
def test_every_bad_workspace_id_is_refused_with_its_reason(raw, key):
    with pytest.raises(InvalidWorkspaceId) as info:
        normalize_workspace_id(raw)
    assert info.value.key == key
    assert info.value.exit_code == 2
    message = info.value.message
    assert message and "{" not in message
    assert len(message) < 400, "a 1 MB paste is never echoed back"
    assert "\r" not in message and "\n" not in message and "\x00" not in message


@pytest.mark.parametrize(("raw", "key"), BAD_IDS.items(), ids=[_id(k) for k in BAD_IDS])
def test_no_url_is_built_from_a_bad_workspace_id(raw, key):
    for region in REGIONS:
        with pytest.raises(UserError):
            base_urls(region, "workspace", raw)


def test_63_characters_fit_in_a_host_name_64_do_not():
    label = "ws-" + "a" * 60
    assert len(label) == 63
    assert (
        base_urls("cn-beijing", "workspace", label).host == f"{label}.cn-beijing.maas.aliyuncs.com"
    )
    with pytest.raises(InvalidWorkspaceId):
        normalize_workspace_id(label + "b")


@pytest.mark.parametrize(
    ("raw", "value"),
    [("WS-ABC123", "ws-abc123"), ("  ws-abc \n", "ws-abc"), ("\tLLM-G3GANEDL8GO5VC5I\r\n", None)],
)
def test_pasted_ids_are_normalised_and_flagged_changed(raw, value):
    ws = normalize_workspace_id(raw)
    assert ws.value == (value or raw.strip().lower())
    assert ws.changed is True  # the UI shows the normalised form back


def test_a_clean_id_is_unchanged_and_an_unusual_prefix_is_only_a_warning():
    ws = normalize_workspace_id("ws-g3ganedl8go5vc5i")
    assert (ws.value, ws.changed, ws.notices) == ("ws-g3ganedl8go5vc5i", False, ())
    odd = normalize_workspace_id("team42")
    assert odd.value == "team42"
    assert [n.key for n in odd.notices] == ["endpoints.ws_unusual_prefix"]
    assert "ws-" in odd.notices[0].message


def test_the_position_of_a_bad_character_is_named():
    with pytest.raises(InvalidWorkspaceId) as info:
        normalize_workspace_id("ws-ab_c")
    assert "position 6" in info.value.message
    assert "U+005F" in info.value.message


# --- hypothesis ---------------------------------------------------------------------------

TRICKY = st.sampled_from(
    [*"-._@:#/?%[]\\ \t\r\n\x00", "\u212a", "\u0430", "\u200b", "。", "ｗ", "ß", "İ"]
)
NEAR_MISSES = st.lists(
    st.one_of(st.sampled_from(list("abcxyzWS019-")), TRICKY), min_size=0, max_size=70
).map("".join)


def _assert_exact(url: str, host: str, path: str) -> None:
    parsed = httpx2.URL(url)
    split = urlsplit(url)
    assert parsed.scheme == split.scheme == "https"
    assert parsed.host == split.hostname == split.netloc == host
    assert parsed.port is None and split.port is None
    assert not parsed.userinfo and split.username is None and split.password is None
    assert not parsed.query and not split.query
    assert not parsed.fragment and not split.fragment
    assert parsed.path == split.path == path


def _check_accepted(raw: str) -> None:
    try:
        ws = normalize_workspace_id(raw)
    except InvalidWorkspaceId as exc:
        assert exc.message  # rendered, never a crash
        return
    assert ONE_LABEL.fullmatch(ws.value)
    assert ws.value == raw.strip(" \t\r\n\f\v").lower()  # nothing invented, nothing mapped
    assert ws.value not in CATALOG.reserved_workspace_labels
    again = normalize_workspace_id(ws.value)
    assert (again.value, again.changed) == (ws.value, False)  # idempotent
    for region in REGIONS:
        urls = base_urls(region, "workspace", raw)
        host = f"{ws.value}.{region}.maas.aliyuncs.com"
        assert urls.host == host
        for surface, url in urls.as_dict().items():
            _assert_exact(url, host, CATALOG.paths[surface])
        info = classify_host(host)
        assert info is not None
        assert (info.region, info.style, info.workspace_id) == (region, "workspace", ws.value)


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("ws-abc")
@example("WS-ABC\n")
@example("a")
@example("0")
def test_arbitrary_text_never_builds_another_host(raw):
    _check_accepted(raw)


@settings(max_examples=300, deadline=None)
@given(NEAR_MISSES)
def test_near_miss_ids_never_build_another_host(raw):
    _check_accepted(raw)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(ONE_LABEL, fullmatch=True))
@example("b00000000000000000000123456789a0")  # a long token: refused as key-shaped
@example("ws-abc123def4567890")
def test_every_valid_label_is_accepted_unless_reserved_or_idna(label):
    # A key-shaped label (sk-…, or a long unstructured token: T16) is refused on purpose.
    if label in CATALOG.reserved_workspace_labels or label[2:4] == "--" or looks_like_key(label):
        with pytest.raises(UserError):
            normalize_workspace_id(label)
    else:
        assert normalize_workspace_id(label).value == label


# --- base URLs ----------------------------------------------------------------------------

EXPECTED_SHARED = {
    "cn-beijing": "dashscope.aliyuncs.com",
    "ap-southeast-1": "dashscope-intl.aliyuncs.com",
    "us-east-1": "dashscope-us.aliyuncs.com",
    "cn-hongkong": "cn-hongkong.dashscope.aliyuncs.com",
}


@pytest.mark.parametrize("region", REGIONS)
def test_workspace_base_urls_for_every_region(region):
    urls = base_urls(region, "workspace", "ws-g3ganedl8go5vc5i")
    host = f"ws-g3ganedl8go5vc5i.{region}.maas.aliyuncs.com"
    assert urls.as_dict() == {
        "openai": f"https://{host}/compatible-mode/v1",
        "anthropic": f"https://{host}/apps/anthropic",
        "dashscope": f"https://{host}/api/v1",
    }
    assert urls.host == host


@pytest.mark.parametrize("region", REGIONS)
def test_shared_base_urls_where_a_shared_host_exists(region):
    if region in EXPECTED_SHARED:
        urls = base_urls(region, "shared")
        host = EXPECTED_SHARED[region]
        assert urls.openai == f"https://{host}/compatible-mode/v1"
        assert urls.anthropic == f"https://{host}/apps/anthropic"
        assert urls.dashscope == f"https://{host}/api/v1"
    else:
        with pytest.raises(EndpointError) as info:
            base_urls(region, "shared")
        assert info.value.key == "endpoints.no_shared_host"
        assert CATALOG.region(region).console_workspaces in info.value.message


def test_the_shared_host_ignores_a_workspace_id():
    assert base_urls("ap-southeast-1", "shared", "ws-abc").host == "dashscope-intl.aliyuncs.com"


@pytest.mark.parametrize("region", ["eu-central-1", "ap-northeast-1"])
@pytest.mark.parametrize("missing", [None, ""])
def test_frankfurt_and_tokyo_without_a_workspace_say_where_to_find_it(region, missing):
    with pytest.raises(EndpointError) as info:
        base_urls(region, "workspace", missing)
    assert info.value.key == "endpoints.workspace_required"
    console = CATALOG.region(region).console_workspaces
    assert console in info.value.message
    assert f"/{region}?" in console  # the console page of that region, not another one
    assert console in t(info.value.key, "zh", **info.value.params)


def test_a_region_with_a_shared_host_still_needs_an_id_for_the_workspace_style():
    with pytest.raises(EndpointError) as info:
        base_urls("cn-beijing", "workspace", None)
    assert info.value.key == "endpoints.workspace_missing"
    assert CATALOG.region("cn-beijing").console_workspaces in info.value.message


@pytest.mark.parametrize(
    ("region", "style", "key"),
    [
        ("eu-west-9", "workspace", "endpoints.unknown_region"),
        ("CN-BEIJING", "shared", "endpoints.unknown_region"),
        ("cn-beijing", "plan", "endpoints.unknown_style"),
        ("cn-beijing", "", "endpoints.unknown_style"),
    ],
)
def test_unknown_region_or_style(region, style, key):
    with pytest.raises(EndpointError) as info:
        host_for(region, style, "ws-abc")
    assert info.value.key == key
    if key == "endpoints.unknown_region":
        assert "cn-beijing" in info.value.message  # lists the known ones


def test_styles_are_the_three_pay_as_you_go_access_domains():
    assert STYLES == ("workspace", "shared", "trial")


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("cn-beijing", "trial.cn-beijing.maas.aliyuncs.com"),
        ("ap-southeast-1", "trial.ap-southeast-1.maas.aliyuncs.com"),
        ("cn-hongkong", "trial.cn-hongkong.maas.aliyuncs.com"),
    ],
)
def test_trial_host_of_a_region_with_one(region, host):
    assert host_for(region, "trial", None) == host
    assert base_urls(region, "trial").openai == f"https://{host}/compatible-mode/v1"


@pytest.mark.parametrize("region", ["eu-central-1", "us-east-1", "ap-northeast-1"])
def test_no_trial_host_is_a_clear_error(region):
    with pytest.raises(EndpointError) as info:
        host_for(region, "trial", None)
    assert info.value.key == "endpoints.no_trial_host"
    assert region in info.value.message and "workspace" in info.value.message


# --- classify_host ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("dashscope.aliyuncs.com", ("cn-beijing", "shared", None)),
        ("dashscope-intl.aliyuncs.com", ("ap-southeast-1", "shared", None)),
        ("dashscope-us.aliyuncs.com", ("us-east-1", "shared", None)),
        ("cn-hongkong.dashscope.aliyuncs.com", ("cn-hongkong", "shared", None)),
        ("trial.cn-beijing.maas.aliyuncs.com", ("cn-beijing", "trial", None)),
        ("trial.ap-southeast-1.maas.aliyuncs.com", ("ap-southeast-1", "trial", None)),
        ("ws-abc.eu-central-1.maas.aliyuncs.com", ("eu-central-1", "workspace", "ws-abc")),
        ("WS-ABC.AP-NORTHEAST-1.MAAS.ALIYUNCS.COM.", ("ap-northeast-1", "workspace", "ws-abc")),
    ],
)
def test_classify_our_hosts(host, expected):
    info = classify_host(host)
    assert info is not None
    assert (info.region, info.style, info.workspace_id) == expected


@pytest.mark.parametrize(
    "host",
    [
        "ws-abc.cn-beijing.maas.aliyuncs.com.evil.com",
        "dashscope.aliyuncs.com.evil.com",
        "evil-dashscope.aliyuncs.com",
        "evildashscope.aliyuncs.com",
        "dashscope.aliyuncs.co",
        "dashscope.aliyuncs.com.",  # trailing dot is the same host: ours (checked below)
        "a.b.cn-beijing.maas.aliyuncs.com",
        "cn-beijing.maas.aliyuncs.com",
        ".cn-beijing.maas.aliyuncs.com",
        "-ws.cn-beijing.maas.aliyuncs.com",
        "xn--ws-abc.cn-beijing.maas.aliyuncs.com",
        "token-plan.cn-beijing.maas.aliyuncs.com",
        "trial.us-east-1.maas.aliyuncs.com",  # Virginia has no trial host
        "ws-abc.eu-west-9.maas.aliyuncs.com",
        "ws-abc.cn-beijing.maas.aliyuncs.com:443",
        "ws-\u212aey.cn-beijing.maas.aliyuncs.com",
        "ws-abc.cn-beijing.maas.aliyuncs.com\u3002evil.com",
        "coding.dashscope.aliyuncs.com",
        "coding-intl.dashscope.aliyuncs.com",
        "ws-abc.cn-beijing.maas-aliyuncs.com",
        "",
    ],
)
def test_look_alike_hosts_are_not_ours(host):
    info = classify_host(host)
    if host == "dashscope.aliyuncs.com.":
        assert info is not None and info.region == "cn-beijing"
    else:
        assert info is None


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(REGIONS))
def test_a_host_classified_as_ours_is_one_we_would_build(prefix, region):
    host = prefix + f".{region}.maas.aliyuncs.com"
    info = classify_host(host)
    if info is not None and info.style == "workspace":
        assert host_for(region, "workspace", info.workspace_id) == host.lower().rstrip(".")
