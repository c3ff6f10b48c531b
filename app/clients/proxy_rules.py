"""`proxy_for(stack, url, env)`: which proxy one HTTP stack would use for one URL.

One entry point over the per-stack rules (app.clients.httpx_patterns,
app.clients.python_proxy_rules, app.clients.native_proxy_rules,
app.clients.bun_proxy_rules), so doctor can ask every client's stack the same question and
compare the answers. Pure functions over a mapping:
no network, no environment of our own process unless the caller passes it, and none of
httpx / httpx2 / requests imported (the user's clients run in their own environments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.clients.bun_proxy_rules import decide_bun, decide_claude_code
from app.clients.httpx_patterns import decide_httpx
from app.clients.native_proxy_rules import (
    decide_qwen_code,
    decide_reqwest,
    decide_undici,
    decide_undici_7,
)
from app.clients.proxy_decision import (
    ProxyDecision,
    ProxySettingRefused,
    Target,
    parse_target,
)
from app.clients.python_proxy_rules import (
    decide_aiohttp,
    decide_litellm_aiohttp,
    decide_requests,
    decide_websocket_client,
)

Decider = Callable[[Target, Mapping[str, str]], ProxyDecision]


def _httpx_family(stack: str) -> Decider:
    return lambda target, env: decide_httpx(stack, target, env)


# Stack name -> rules. The names are what ClientRoute.stack and the findings show.
STACKS: dict[str, Decider] = {
    "httpx2": _httpx_family("httpx2"),  # openai >= 3
    "anthropic": _httpx_family("anthropic"),  # anthropic >= 2: own parser, httpx2 patterns
    "httpx": _httpx_family("httpx"),  # httpx 0.28: litellm (sync), older SDKs
    "requests": decide_requests,  # dashscope HTTP
    "aiohttp": decide_aiohttp,  # dashscope async HTTP and task websockets
    "litellm-aiohttp": decide_litellm_aiohttp,  # litellm async (its default transport)
    "websocket-client": decide_websocket_client,  # dashscope realtime / TTS websockets
    "undici": decide_undici,  # Node apps on undici >= 8.10's EnvHttpProxyAgent
    "undici-7": decide_undici_7,  # Node's own (NODE_USE_ENV_PROXY=1), undici 7
    "qwen-code": decide_qwen_code,
    "bun": decide_bun,  # opencode
    "claude-code": decide_claude_code,
    "reqwest": decide_reqwest,  # Codex
}
# Which URL schemes each stack speaks (a websocket library is never asked about https).
SCHEMES: dict[str, tuple[str, ...]] = {
    "aiohttp": ("http", "https", "ws", "wss"),
    "websocket-client": ("ws", "wss"),
}
HTTP_SCHEMES = ("http", "https")


def speaks(stack: str, url: str) -> bool:
    """True when `stack` can be asked about `url` (its scheme is one the stack uses)."""
    scheme = url.partition("://")[0].lower()
    return scheme in SCHEMES.get(stack, HTTP_SCHEMES)


def decide(stack: str, url: str, env: Mapping[str, str]) -> ProxyDecision:
    """The full decision (proxy, the variable it came from, the NO_PROXY entry that sent
    the URL direct, or why the client would fail). KeyError for an unknown stack,
    ValueError for a URL without a host."""
    rules = STACKS[stack]
    return rules(parse_target(url), env)


def proxy_for(stack: str, url: str, env: Mapping[str, str]) -> str | None:
    """The proxy URL `stack` would use for `url` under `env` (as the stack spells it, scheme
    added where the stack adds one; credentials included: redact before showing), or None
    for a direct connection. Raises ProxySettingRefused when the client itself would fail
    on the setting (httpx and requests raise on an unknown proxy scheme, Qwen Code stops on
    a SOCKS proxy, httpx 0.28 on a NO_PROXY entry it cannot parse)."""
    decision = decide(stack, url, env)
    if decision.refused:
        raise ProxySettingRefused(decision)
    return decision.proxy
