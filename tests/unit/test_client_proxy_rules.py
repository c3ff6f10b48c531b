"""Which proxy each Python client would take, measured against the real libraries.

app.clients reimplements the rules (it must not import the user's libraries); these tests
set each case in the process environment, build the real client the way the SDK does
(openai.OpenAI -> httpx2, anthropic.Anthropic -> its own NO_PROXY parser on httpx2,
httpx.Client 0.28 as litellm's sync path builds it, a requests Session + HTTPAdapter as
dashscope uses them, aiohttp's and websocket-client's environment readers, urllib's
getproxies/proxy_bypass that litellm's async transport calls) and compare the route with
`decide(stack, url, env)`: direct, refused (the client raises), or the proxy host:port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.clients.network import (
    client_routes,
    disagreements,
    distinct_paths,
    note_text,
    route_text,
)
from app.clients.proxy_decision import ProxySettingRefused, urllib_bypass, urllib_proxies
from app.clients.proxy_rules import decide, proxy_for
from app.core.i18n import domain_messages

ROOT = Path(__file__).resolve().parents[2]


def _codes(field: str) -> set[str]:
    """Every code the rules assign to `field` (`refused=` / `note=`), read from app/clients."""
    found: set[str] = set()
    for path in (ROOT / "app" / "clients").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(rf"\b{field}\s*=", line):
                tail = line.split(field, 1)[1]
                found |= set(re.findall(r'"([a-z][a-z0-9]*_[a-z0-9_]+)"', tail))
    return found


PROXY = "http://user:secret@proxy.corp:3128"
OTHER = "http://other.corp:8080"
MS = "https://dashscope.aliyuncs.com/compatible-mode/v1"
INTL = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
WS = "https://ws-abc123.cn-beijing.maas.aliyuncs.com/compatible-mode/v1"
CODING = "https://coding.dashscope.aliyuncs.com/v1"
PORTED = "https://ws-abc123.cn-beijing.maas.aliyuncs.com:443/compatible-mode/v1"
LOOP4 = "https://127.0.0.1:8443/v1"
LOOP6 = "https://[::1]:8443/v1"
PRIVATE = "https://10.1.2.3/v1"
LOCAL = "https://localhost:8443/v1"
PLAIN = "http://dashscope.aliyuncs.com/api/v1"
WSS = "wss://dashscope.aliyuncs.com/api-ws/v1/inference"


@dataclass(frozen=True)
class Case:
    id: str
    env: dict[str, str]
    url: str


def _np(value: str, url: str = MS, **extra: str) -> Case:
    return Case(
        f"NO_PROXY={value!r}->{urlsplit(url).hostname}",
        {"HTTPS_PROXY": PROXY, "NO_PROXY": value, **extra},
        url,
    )


CASES = [
    Case("no-NO_PROXY", {"HTTPS_PROXY": PROXY}, MS),
    Case("no-proxy-at-all", {}, MS),
    _np("*"),
    _np("*,localhost"),
    _np(" * "),
    _np("aliyuncs.com"),
    _np(".aliyuncs.com"),
    _np("*.aliyuncs.com", WS),  # measured: httpx2 direct, httpx 0.28 and requests proxy
    _np("*.dashscope.aliyuncs.com", MS),  # the apex of a *. entry
    _np("*.dashscope.aliyuncs.com", CODING),
    _np("maas.aliyuncs.com:443", WS),  # measured: curl direct, Python clients proxy
    _np("maas.aliyuncs.com:443", PORTED),
    _np("dashscope.aliyuncs.com:443", MS),
    _np("aliyuncs.com.", MS),  # measured: curl direct, Python clients proxy
    _np("DashScope.Aliyuncs.COM", MS),
    _np("dashscope.aliyuncs.com", CODING),
    _np("dashscope.aliyuncs.com", INTL),
    _np("scope.aliyuncs.com", MS),
    _np(".dashscope-intl.aliyuncs.com", INTL),
    _np(".maas.aliyuncs.com", WS),
    _np("127.0.0.1", LOOP4),
    _np("127.0.0.0/8", LOOP4),
    _np("10.0.0.0/8", PRIVATE),
    _np("::1", LOOP6),
    _np("[::1]", LOOP6),
    _np("::1/128", LOOP6),
    _np("fd00::/8", MS),
    _np("localhost", LOCAL),
    _np("localhost:8443", LOCAL),
    _np("example.com, aliyuncs.com"),
    _np("example.com aliyuncs.com"),
    _np("aliyuncs.com,,aliyuncs.com"),
    _np(""),
    _np("a:b:c"),
    _np("https://dashscope.aliyuncs.com"),
    _np("http://dashscope.aliyuncs.com"),
    Case(
        "empty-no_proxy-hides-NO_PROXY",
        {"HTTPS_PROXY": PROXY, "no_proxy": "", "NO_PROXY": ".aliyuncs.com"},
        MS,
    ),
    Case(
        "both-no_proxy-spellings",
        {"HTTPS_PROXY": PROXY, "no_proxy": "example.com", "NO_PROXY": ".aliyuncs.com"},
        MS,
    ),
    Case("empty-https_proxy-hides-HTTPS_PROXY", {"HTTPS_PROXY": PROXY, "https_proxy": ""}, MS),
    Case("lower-case-wins", {"HTTPS_PROXY": PROXY, "https_proxy": OTHER}, MS),
    Case("mixed-case-variable", {"Https_Proxy": PROXY}, MS),
    Case("only-HTTP_PROXY", {"HTTP_PROXY": PROXY}, MS),
    Case("only-HTTP_PROXY-http-url", {"HTTP_PROXY": PROXY}, PLAIN),
    Case("ALL_PROXY", {"ALL_PROXY": PROXY}, MS),
    Case("ALL_PROXY-socks5", {"ALL_PROXY": "socks5://proxy.corp:1080"}, MS),
    Case("HTTPS_PROXY-socks5h", {"HTTPS_PROXY": "socks5h://proxy.corp:1080"}, MS),
    Case("scheme-less-dotted", {"HTTPS_PROXY": "proxy.corp:3128"}, MS),
    Case("scheme-less-single-label", {"HTTPS_PROXY": "proxy:3128"}, MS),
    Case("scheme-less-with-credentials", {"HTTPS_PROXY": "user:pw@proxy.corp:3128"}, MS),
    Case("scheme-less-ip", {"HTTPS_PROXY": "10.0.0.1:3128"}, MS),
    Case("ftp-proxy", {"HTTPS_PROXY": "ftp://proxy.corp:21"}, MS),
    Case("https-proxy", {"HTTPS_PROXY": "https://proxy.corp:3129"}, MS),
    Case(
        "bad-http-proxy-next-to-good-https", {"HTTPS_PROXY": PROXY, "HTTP_PROXY": "ftp://x:1"}, MS
    ),
    Case("cgi-drops-HTTP_PROXY", {"HTTP_PROXY": PROXY, "REQUEST_METHOD": "GET"}, PLAIN),
    Case("wss-with-HTTPS_PROXY", {"HTTPS_PROXY": PROXY}, WSS),
    Case("wss-with-WSS_PROXY", {"WSS_PROXY": PROXY}, WSS),
    Case(
        "wss-NO_PROXY", {"HTTPS_PROXY": PROXY, "WSS_PROXY": PROXY, "NO_PROXY": ".aliyuncs.com"}, WSS
    ),
    Case("wss-scheme-less", {"HTTPS_PROXY": "proxy.corp:3128"}, WSS),
    Case("wss-socks", {"HTTPS_PROXY": "socks5://proxy.corp:1080", "NO_PROXY": "example.com"}, WSS),
]
HTTP_CASES = [c for c in CASES if c.url.startswith("http")]
WSS_CASES = [c for c in CASES if c.url.startswith("wss")]


@pytest.fixture
def environ(monkeypatch):
    """Put a case into os.environ alone (no proxy variable of this machine stays) and return
    the environment as the libraries will iterate it."""

    def apply(env: dict[str, str]) -> dict[str, str]:
        for name in list(os.environ):
            if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return dict(os.environ)

    return apply


def _mine(stack: str, url: str, env: dict[str, str]) -> tuple[object, ...]:
    decision = decide(stack, url, env)
    if decision.refused:
        return ("refused",)
    if decision.proxy is None:
        return ("direct",)
    return _endpoint(decision.proxy)


def _endpoint(proxy: str) -> tuple[object, ...]:
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    default = {"http": 80, "https": 443}.get(parts.scheme, 1080)
    return ("proxy", parts.hostname, parts.port or default)


def _httpx_route(client: object, url: object) -> tuple[object, ...]:
    transport = client._transport_for_url(url)  # type: ignore[attr-defined]
    if transport is client._transport:  # type: ignore[attr-defined]
        return ("direct",)
    proxy_url = transport._pool._proxy_url
    return ("proxy", proxy_url.host.decode(), proxy_url.port)


def real_httpx2(url: str) -> tuple[object, ...]:
    import httpx2
    import openai

    try:
        client = openai.OpenAI(api_key="sk-test", base_url=url)._client
    except Exception:
        return ("refused",)
    return _httpx_route(client, httpx2.URL(url))


def real_anthropic(url: str) -> tuple[object, ...]:
    import anthropic
    import httpx2

    try:
        client = anthropic.Anthropic(api_key="sk-test", base_url=url)._client
    except Exception:
        return ("refused",)
    return _httpx_route(client, httpx2.URL(url))


def real_httpx(url: str) -> tuple[object, ...]:
    import httpx

    try:
        client = httpx.Client()
    except Exception:
        return ("refused",)
    return _httpx_route(client, httpx.URL(url))


def real_requests(url: str) -> tuple[object, ...]:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import select_proxy

    settings = requests.Session().merge_environment_settings(url, {}, None, None, None)
    chosen = select_proxy(url, settings["proxies"])
    prepared = requests.Request("GET", url).prepare()
    try:
        pool = HTTPAdapter().get_connection_with_tls_context(prepared, True, settings["proxies"])
    except requests.exceptions.InvalidSchema as exc:
        if "SOCKS" in str(exc) and chosen:  # PySocks is not in the dev venv: the route stands
            return _endpoint(chosen)
        return ("refused",)
    except Exception:
        return ("refused",)
    if pool.proxy is None:
        return ("direct",)
    return ("proxy", pool.proxy.host, pool.proxy.port or 80)


def real_aiohttp(url: str) -> tuple[object, ...]:
    import yarl
    from aiohttp.helpers import get_env_proxy_for_url

    try:
        proxy, _ = get_env_proxy_for_url(yarl.URL(url))
    except LookupError:
        return ("direct",)
    if not proxy.host:  # `proxy.corp:3128` parses as scheme + path: the request raises InvalidURL
        return ("refused",)
    return ("proxy", proxy.host, proxy.port)


def real_websocket_client(url: str) -> tuple[object, ...]:
    from websocket._url import get_proxy_info, parse_url

    host, _, _, secure = parse_url(url)
    proxy_host, proxy_port, _ = get_proxy_info(host, secure)
    if not proxy_host:
        return ("direct",)
    return ("proxy", proxy_host, proxy_port or 80)


REAL = {
    "httpx2": real_httpx2,
    "anthropic": real_anthropic,
    "httpx": real_httpx,
    "requests": real_requests,
    "aiohttp": real_aiohttp,
}


@pytest.mark.parametrize("stack", sorted(REAL))
@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda c: c.id)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # see below
def test_http_route_matches_the_real_library(stack, case, environ):
    # (anthropic's client wrapper runs __del__ on the half-built client when its __init__
    # raises, which is the refusal being measured; the warning is about that __del__.)
    env = environ(case.env)
    assert _mine(stack, case.url, env) == REAL[stack](case.url)


@pytest.mark.parametrize("stack", ["aiohttp", "websocket-client"])
@pytest.mark.parametrize("case", WSS_CASES, ids=lambda c: c.id)
def test_websocket_route_matches_the_real_library(stack, case, environ):
    env = environ(case.env)
    real = real_aiohttp if stack == "aiohttp" else real_websocket_client
    assert _mine(stack, case.url, env) == real(case.url)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_urllib_readers_match_the_stdlib(case, environ):
    """litellm's async transport is urllib's getproxies() + proxy_bypass(host) plus three
    lines of glue (read from litellm/llms/custom_httpx/aiohttp_transport.py): the urllib
    part is measured here for every case."""
    env = environ(case.env)
    real = urllib.request.getproxies_environment()
    assert {k: v for k, (v, _) in urllib_proxies(env).items()} == real
    host = urlsplit(case.url).hostname or ""
    no = real.get("no")
    assert (urllib_bypass(host, no) is not None) == bool(
        urllib.request.proxy_bypass_environment(host, real)
    )


def test_the_three_measured_cases_of_clients_md(environ, current_httpx2):
    """shared/CLIENTS.md: `maas.aliyuncs.com:443` and `aliyuncs.com.` keep every Python client
    on the proxy; `*.aliyuncs.com` sends httpx2 (openai) direct but not httpx 0.28 or
    requests. Node's undici 8.14, unlike Python, honours the port and trailing-dot forms.
    (undici itself is measured in tests/e2e/test_client_network_node.py.)"""
    for value, direct in [
        ("maas.aliyuncs.com:443", {"undici"}),
        ("aliyuncs.com.", {"undici"}),
        ("*.aliyuncs.com", {"httpx2", "undici"}),
    ]:
        env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": value})
        routes = {
            s: proxy_for(s, WS, env) for s in ("httpx2", "anthropic", "httpx", "requests", "undici")
        }
        assert {s for s, p in routes.items() if p is None} == direct, value


def test_anthropic_is_not_httpx2_for_a_star_dot_entry(environ, current_httpx2):
    """The anthropic SDK parses NO_PROXY itself (httpx 0.28's rules): the two official SDKs
    of one machine disagree on `*.aliyuncs.com`."""
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.aliyuncs.com"})
    assert proxy_for("httpx2", WS, env) is None
    assert proxy_for("anthropic", WS, env) == PROXY


def test_httpx2_for_python_310_keeps_a_star_dot_entry_on_the_proxy(environ, httpx2_214):
    """httpx2 2.14 (the last for Python 3.10, httpx2/_utils.py without 2.15's `*.` branch):
    `*.aliyuncs.com` matches nothing, so the openai SDK on Python 3.10 uses the proxy, as
    the anthropic SDK and litellm do; Node's undici still goes direct."""
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.aliyuncs.com"})
    assert proxy_for("httpx2", WS, env) == PROXY
    routes = client_routes([WS], env, ["openai", "anthropic", "litellm", "qwen-code"])
    [found] = disagreements(routes)
    groups = {g.outcome: set(g.clients) for g in found.groups}
    assert groups == {"direct": {"qwen-code"}, "proxy": {"openai", "anthropic", "litellm"}}


def test_a_refused_setting_raises_with_the_reason(environ):
    env = environ({"HTTPS_PROXY": "ftp://proxy.corp:21"})
    with pytest.raises(ProxySettingRefused) as info:
        proxy_for("httpx2", MS, env)
    assert info.value.decision.refused == "proxy_scheme_unsupported"
    assert real_httpx2(MS) == ("refused",)


def test_requests_refuses_a_single_label_scheme_less_proxy(environ):
    """urllib3 reads `proxy:` as a scheme: dashscope fails where openai works."""
    env = environ({"HTTPS_PROXY": "proxy:3128"})
    assert decide("requests", MS, env).refused == "proxy_unparsable"
    assert proxy_for("httpx2", MS, env) == "http://proxy:3128"


def test_dashscope_websockets_disagree_on_which_variable_they_read(environ):
    """aiohttp (task websockets) reads WSS_PROXY for wss://, websocket-client (realtime)
    reads HTTPS_PROXY: with only HTTPS_PROXY set, one goes direct."""
    env = environ({"HTTPS_PROXY": PROXY})
    assert proxy_for("aiohttp", WSS, env) is None
    assert proxy_for("websocket-client", WSS, env) == PROXY


def test_native_rules_on_the_forms_curl_and_python_disagree_on(environ):
    """The agents' rules (measured in tests/e2e/test_client_network_node.py, Codex from
    source): Claude Code matches curl-like, Bun only plain names, Qwen Code and undici
    send https through HTTP_PROXY, Bun and Codex do not."""
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.dashscope.aliyuncs.com"})
    assert proxy_for("claude-code", MS, env) is None  # `*.domain` covers the apex
    assert proxy_for("bun", MS, env) == PROXY
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": "scope.aliyuncs.com"})
    for stack in ("bun", "claude-code", "reqwest", "undici"):
        assert proxy_for(stack, MS, env) == PROXY, stack  # a suffix counts at a dot only
    env = environ({"HTTP_PROXY": PROXY})
    assert {s: proxy_for(s, MS, env) for s in ("qwen-code", "undici", "bun", "reqwest")} == {
        "qwen-code": PROXY,
        "undici": PROXY,
        "bun": None,
        "reqwest": None,
    }
    env = environ({"HTTPS_PROXY": "proxy.corp:3128"})
    for stack in ("claude-code", "bun", "qwen-code", "reqwest"):
        assert proxy_for(stack, MS, env) == "http://proxy.corp:3128", stack
    env = environ({"HTTPS_PROXY": "user:pw@proxy.corp:3128"})
    assert decide("claude-code", MS, env).refused == "proxy_unparsable"
    env = environ({"ALL_PROXY": PROXY})
    assert proxy_for("claude-code", MS, env) == PROXY
    assert proxy_for("bun", MS, env) is None


# --- per client: routes, disagreements, distinct paths (app.clients.network) -------------


def test_disagreement_names_who_goes_through_the_proxy_and_who_goes_direct(environ, current_httpx2):
    """`*.aliyuncs.com`: the openai SDK goes direct, litellm and dashscope use the proxy;
    the finding says so in both languages and never shows the proxy password."""
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.aliyuncs.com"})
    routes = client_routes([WS], env, ["openai", "anthropic", "litellm", "dashscope"])
    [found] = disagreements(routes)
    groups = {g.outcome: set(g.clients) for g in found.groups}
    assert groups == {"direct": {"openai"}, "proxy": {"anthropic", "litellm", "dashscope"}}
    for lang in ("en", "zh"):
        text = found.text(lang)
        assert "http://***:***@proxy.corp:3128" in text and "openai" in text
        assert "secret" not in text
    assert "go direct" in found.text("en") and "直连" in found.text("zh")


def test_no_disagreement_when_every_client_takes_one_route(environ):
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": ".aliyuncs.com"})
    assert disagreements(client_routes([MS, WS], env)) == []


def test_a_client_that_fails_on_the_setting_is_its_own_group(environ):
    env = environ({"HTTPS_PROXY": "proxy:3128"})
    routes = client_routes([MS], env, ["openai", "dashscope", "claude-code"])
    [found] = disagreements(routes)
    assert {g.outcome: g.clients for g in found.groups} == {
        "proxy": ("openai", "claude-code"),  # both read `proxy:3128` as http://proxy:3128
        "refused": ("dashscope",),  # urllib3 reads `proxy:` as a scheme
    }
    assert "write it as http://host:port" in found.text("en")


def test_distinct_paths_are_probed_once(environ, current_httpx2):
    """Twelve clients, two URLs, but only the distinct (url, proxy) pairs go to the probe:
    the real proxy URL (the probe must authenticate), never a refused route."""
    env = environ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.aliyuncs.com"})
    routes = client_routes([MS, WS, WSS], env)
    paths = distinct_paths(routes)
    assert len(paths) == len(set(paths)) < len(routes)
    assert (WS, None) in paths and (WS, PROXY) in paths and (MS, PROXY) in paths
    assert (WSS, None) in paths  # dashscope's aiohttp websockets read WSS_PROXY only


def test_shown_routes_never_carry_credentials_or_the_key(environ):
    key = "sk-" + "0123456789abcdef" * 2
    env = environ({"HTTPS_PROXY": f"http://{key}@proxy.corp:3128", "NO_PROXY": key})
    for route in client_routes([MS], env, key=key):
        shown = repr(route) + route_text(route, "en") + route_text(route, "zh")
        assert key not in shown
        assert route.proxy_url is None or key in route.proxy_url  # kept for the probe only
    env = environ({"HTTPS_PROXY": "user:pw@proxy.corp:3128"})  # scheme-less credentials
    for route in client_routes([MS], env):
        assert "pw@" not in route_text(route, "en") and "pw@" not in repr(route)


def test_every_reason_and_note_has_words_in_both_languages(environ):
    """Each refusal and caveat a rule can produce is a message of client_network.yaml."""
    assert {"proxy_unparsable", "no_proxy_unparsable"} <= _codes("refused")
    assert {"socks_needs_extra", "node_22_19", "proxy_spoken_as_http"} <= _codes("note")
    for lang in ("en", "zh"):
        messages = domain_messages(lang, "client_network")
        for field in ("refused", "note"):
            for code in _codes(field):
                assert f"client_network.{field}.{code}" in messages, code
    env = environ({"HTTPS_PROXY": "socks5h://proxy.corp:1080"})
    route = client_routes([MS], env, ["openai"])[0]
    assert note_text(route.note or "", "en").startswith("a SOCKS proxy needs")


def test_reading_the_rules_imports_no_http_library():
    """Cheap and independent of our own venv: importing the rules (and answering) loads
    none of httpx, httpx2, httpcore, requests, aiohttp, websocket."""
    code = (
        "import sys; from app.clients.network import client_routes, client_trust;"
        "client_routes(['https://dashscope.aliyuncs.com/v1'], {'HTTPS_PROXY': 'http://p:1'});"
        "client_trust({});"
        "print([m for m in ('httpx','httpx2','httpcore','httpcore2','requests','urllib3',"
        "'aiohttp','websocket','certifi','cryptography') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_network_findings_follow_a_language_switch(environ, current_httpx2):
    """The disagreement and a refused setting are worded when shown: a finding made while
    the UI spoke English reads in Chinese after the switch (the TUI's language key)."""
    from app.clients.network_findings import network_view
    from app.core.i18n import get_language, set_language

    env = environ({"HTTPS_PROXY": "proxy:3128", "NO_PROXY": "*.aliyuncs.com"})
    before = get_language()
    try:
        set_language("en")
        found = {f.code: f for f in network_view([WS], env).findings}
        split, refused = found["proxy_clients_disagree"], found["client_proxy_refused"]
        english = (split.message, refused.message)
        assert "go direct" in english[0]
        set_language("zh")
        assert "直连" in split.message and "go direct" not in split.message
        reason = "client_network.refused.proxy_unparsable"  # dashscope reads `proxy:` as a scheme
        assert domain_messages("zh", "client_network")[reason] in refused.message
        assert domain_messages("en", "client_network")[reason] in english[1]
    finally:
        set_language(before)
