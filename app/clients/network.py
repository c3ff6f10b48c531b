"""Per client, not per curl: the proxy and the trust store each real client would use, and
where the clients of one machine disagree (DESIGN.md "Connectivity engine").

Doctor probes once per distinct network path (`distinct_paths`), but reports per client:
"the openai SDK goes through proxy X; dashscope goes direct" (`disagreements`), "litellm
trusts certifi, the openai SDK the OS store: only one of them accepts this chain"
(`trust_disagreement`). The rules live in app.clients.proxy_rules and
app.clients.trust_stores; this module maps clients to stacks and says it in words
(messages `client_network.*`). Proxy URLs may hold credentials: every text here shows them
redacted, made inert, and never a value that holds the API key (SECURITY.md T15, T17).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.clients.ca_store import Chain, ca_in_store
from app.clients.proxy_rules import decide, speaks
from app.clients.trust_stores import StoreChoice, trust_for
from app.core.i18n import t
from app.core.text import hide_if_key, inert

# app.probe.proxy's helpers import httpx only inside the URL check, never at import time.
from app.probe.proxy import redact_proxy_url, shown_proxy


@dataclass(frozen=True)
class Client:
    """A real client as doctor names it, and the stacks that decide for it."""

    name: str
    proxy_stack: str
    trust_stack: str
    fix_variable: str | None  # the variable that adds a CA for it (None: none exists)
    schemes: tuple[str, ...] = ("http", "https")  # the URLs it is asked about


WS = ("ws", "wss")
WS_CA = "WEBSOCKET_CLIENT_CA_BUNDLE"
# The product name is what the user knows; the stack is what decides (shared/CLIENTS.md).
# dashscope's HTTP calls (requests), async calls (aiohttp, certifi hard-coded), task
# websockets (aiohttp: ASR Recognition, TranslationRecognizer, TTS v1) and realtime / TTS v2
# / omni / v2-transport websockets (websocket-client) each decide for themselves.
CLIENTS: tuple[Client, ...] = (
    Client("openai", "httpx2", "httpx2", "SSL_CERT_FILE"),
    Client("anthropic", "anthropic", "anthropic", "SSL_CERT_FILE"),
    Client("litellm", "httpx", "litellm", "SSL_CERT_FILE"),  # completion()
    Client("litellm-async", "litellm-aiohttp", "litellm", "SSL_CERT_FILE"),  # acompletion()
    Client("dashscope", "requests", "requests", "REQUESTS_CA_BUNDLE"),
    Client("dashscope-async", "aiohttp", "dashscope-aio", None),  # certifi, hard-coded
    Client("dashscope-asr-tts", "aiohttp", "aiohttp", "SSL_CERT_FILE", WS),  # ASR, TTS v1
    Client("dashscope-realtime", "websocket-client", "websocket-client", WS_CA, WS),
    Client("claude-code", "claude-code", "claude-code", "NODE_EXTRA_CA_CERTS"),
    Client("qwen-code", "qwen-code", "qwen-code", "NODE_EXTRA_CA_CERTS"),
    Client("opencode", "bun", "bun", "NODE_EXTRA_CA_CERTS"),
    Client("codex", "reqwest", "codex", "CODEX_CA_CERTIFICATE"),
)
_BY_NAME = {c.name: c for c in CLIENTS}


@dataclass(frozen=True)
class ClientRoute:
    """How one client reaches one URL. `proxy`, `bypass` are for showing (credentials
    redacted, inert); `proxy_url` is the real proxy for the probe and is never shown."""

    client: str
    stack: str
    url: str
    proxy: str | None
    variable: str | None = None
    bypass: str | None = None
    refused: str | None = None
    note: str | None = None
    proxy_url: str | None = field(default=None, repr=False)

    @property
    def outcome(self) -> str:
        return "refused" if self.refused else "proxy" if self.proxy_url else "direct"


def _shown(value: str | None, key: str | None) -> str | None:
    if value is None:
        return None
    if key and key in value:
        return "<hidden>"
    return shown_proxy(redact_proxy_url(value))


def _clients(names: Iterable[str] | None) -> list[Client]:
    return list(CLIENTS) if names is None else [_BY_NAME[n] for n in names]


def client_routes(
    urls: Iterable[str],
    env: Mapping[str, str],
    clients: Iterable[str] | None = None,
    *,
    key: str | None = None,
) -> list[ClientRoute]:
    """One route per (client, URL) the client can be asked about (websocket clients only
    for ws:// and wss:// URLs, HTTP clients only for http(s)://; `clients` names a subset
    of CLIENTS). `key` is the profile's
    API key: a shown value that contains it is hidden (T17)."""
    routes = []
    url_list = list(urls)
    for client in _clients(clients):
        for url in url_list:
            scheme = url.partition("://")[0].lower()
            if scheme not in client.schemes or not speaks(client.proxy_stack, url):
                continue
            d = decide(client.proxy_stack, url, env)
            routes.append(
                ClientRoute(
                    client=client.name,
                    stack=client.proxy_stack,
                    url=url,
                    proxy=_shown(d.proxy, key),
                    variable=d.variable,
                    bypass=_shown(d.bypass, key),
                    refused=d.refused,
                    note=d.note,
                    proxy_url=d.proxy,
                )
            )
    return routes


def distinct_paths(routes: Iterable[ClientRoute]) -> list[tuple[str, str | None]]:
    """The distinct (url, real proxy URL or None) pairs, first-seen order: the probe tests
    each network path once, not once per client. Refused routes have no path."""
    seen: dict[tuple[str, str | None], None] = {}
    for route in routes:
        if route.refused is None:
            seen.setdefault((route.url, route.proxy_url), None)
    return list(seen)


@dataclass(frozen=True)
class RouteGroup:
    """Clients that take the same route to one URL."""

    outcome: str  # proxy / direct / refused
    proxy: str | None  # shown form
    clients: tuple[str, ...]
    refused: str | None = None


@dataclass(frozen=True)
class Disagreement:
    """One URL that the clients reach in more than one way."""

    url: str
    groups: tuple[RouteGroup, ...]

    def text(self, lang: str | None = None) -> str:
        parts = [_group_text(g, lang) for g in self.groups]
        return t("client_network.disagree", lang, url=inert(self.url, 200), routes="; ".join(parts))


def _group_text(group: RouteGroup, lang: str | None) -> str:
    names = ", ".join(group.clients)
    if group.outcome == "proxy":
        return t("client_network.group_proxy", lang, clients=names, proxy=group.proxy or "-")
    if group.outcome == "direct":
        return t("client_network.group_direct", lang, clients=names)
    reason = t(f"client_network.refused.{group.refused}", lang)
    return t("client_network.group_refused", lang, clients=names, reason=reason)


def disagreements(routes: Iterable[ClientRoute]) -> list[Disagreement]:
    """For each URL whose clients do not all take one route (some through a proxy, some
    direct, some through another proxy, some failing on the setting): the groups."""
    by_url: dict[str, dict[tuple[str, str | None, str | None], list[ClientRoute]]] = {}
    for route in routes:
        group_key = (route.outcome, route.proxy_url, route.refused)
        by_url.setdefault(route.url, {}).setdefault(group_key, []).append(route)
    found = []
    for url, groups in by_url.items():
        if len(groups) < 2:
            continue
        made = tuple(
            RouteGroup(outcome, members[0].proxy, tuple(r.client for r in members), refused)
            for (outcome, _, refused), members in groups.items()
        )
        found.append(Disagreement(url, made))
    return found


def route_text(route: ClientRoute, lang: str | None = None) -> str:
    """One line per route: "openai: via http://***:***@proxy:3128 (HTTPS_PROXY)"."""
    if route.refused:
        reason = t(f"client_network.refused.{route.refused}", lang)
        return t("client_network.route_refused", lang, client=route.client, reason=reason)
    if route.proxy_url:
        variable = route.variable or "-"
        return t(
            "client_network.route_proxy",
            lang,
            client=route.client,
            proxy=route.proxy,
            variable=variable,
        )
    if route.bypass:
        return t("client_network.route_bypassed", lang, client=route.client, entry=route.bypass)
    return t("client_network.route_direct", lang, client=route.client)


def note_text(note: str, lang: str | None = None) -> str:
    """A route's or a store's caveat in words (ProxyDecision.note, StoreChoice.note)."""
    return t(f"client_network.note.{note}", lang)


@dataclass(frozen=True)
class ClientTrust:
    """The store one client trusts and, when a chain was given, whether it accepts it."""

    client: str
    choice: StoreChoice
    accepts: bool | None = None


def client_trust(
    env: Mapping[str, str],
    chain: Chain | None = None,
    clients: Iterable[str] | None = None,
    platform: str = sys.platform,
) -> list[ClientTrust]:
    """The trust store of each client; with a presented `chain`, whether its CA is in it."""
    found = []
    for client in _clients(clients):
        choice = trust_for(client.trust_stack, env, platform)
        accepts = ca_in_store(choice, chain) if chain is not None else None
        found.append(ClientTrust(client.name, choice, accepts))
    return found


def store_text(choice: StoreChoice, lang: str | None = None, *, key: str | None = None) -> str:
    """The store in words: "certifi", "the OS store + NODE_EXTRA_CA_CERTS (/etc/corp.pem)"."""
    if not choice.verify:
        return t("client_network.store.unverified", lang)
    parts = []
    for source in choice.sources:
        text = t(f"client_network.store.{source.kind}", lang)
        if source.variable and source.path:
            path = "<hidden>" if key and key in source.path else hide_if_key(source.path)
            text = t(
                "client_network.store.named", lang, variable=source.variable, path=inert(path, 200)
            )
        if text not in parts:
            parts.append(text)
    return " + ".join(parts) or t("client_network.store.none", lang)


def missing_text(trust: ClientTrust, lang: str | None = None) -> list[str]:
    """One line per trust variable that names nothing: fatal for some clients, ignored by
    others ("openai: SSL_CERT_FILE names a file that does not exist, and ...")."""
    message = (
        "client_network.store_missing_fails"
        if trust.choice.fails
        else "client_network.store_missing_ignored"
    )
    return [t(message, lang, client=trust.client, variable=v) for v in trust.choice.missing]


def trust_disagreement(
    trusts: Sequence[ClientTrust], lang: str | None = None, *, key: str | None = None
) -> list[str]:
    """When a chain is accepted by some clients and refused by others: one line saying so,
    then one fix per store that refuses it ("Node clients need NODE_EXTRA_CA_CERTS=...")."""
    accepting = [c.client for c in trusts if c.accepts is True]
    refusing = [c for c in trusts if c.accepts is False]
    if not accepting or not refusing:
        return []
    lines = [
        t(
            "client_network.trust_split",
            lang,
            accepting=", ".join(accepting),
            refusing=", ".join(c.client for c in refusing),
        )
    ]
    by_fix: dict[tuple[str | None, str], list[str]] = {}
    for trust in refusing:
        fix = _BY_NAME[trust.client].fix_variable
        by_fix.setdefault((fix, store_text(trust.choice, lang, key=key)), []).append(trust.client)
    for (variable, store), names in by_fix.items():
        message = "client_network.trust_fix" if variable else "client_network.trust_no_fix"
        lines.append(
            t(message, lang, clients=", ".join(names), variable=variable or "-", store=store)
        )
    return lines
