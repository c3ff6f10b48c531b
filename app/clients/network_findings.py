"""Doctor's view of the clients' network paths: which proxy and which trust store each
client would use for the profile's URLs, as findings and as a section of the report.

The probe takes one path; the user's clients may take others (CLIENTS.md "HTTP stacks":
for `NO_PROXY=*.aliyuncs.com` the openai SDK goes direct while anthropic and dashscope use
the proxy). app.clients.network decides per client; this module turns its answers into
stable findings (proxy_clients_disagree, client_proxy_refused, client_trust_differs,
client_trust_missing, clients_trust_none) and a JSON-shaped section, and names the distinct
paths the probe has not taken, so doctor can test each of them once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.clients.network import (
    ClientRoute,
    ClientTrust,
    client_routes,
    client_trust,
    disagreements,
    distinct_paths,
    missing_text,
    route_text,
    store_text,
    trust_disagreement,
)
from app.findings.codes import Finding, Worded


@dataclass(frozen=True)
class NetworkView:
    """Routes and trust of every client for one profile's URLs, and what is wrong."""

    routes: tuple[ClientRoute, ...]
    trust: tuple[ClientTrust, ...]
    findings: tuple[Finding, ...]

    def untested_paths(self, probed: Mapping[str, str | None]) -> list[tuple[str, str | None]]:
        """(url, real proxy or None) paths of some client that differ from the one the
        probe took for that URL (`probed`: url -> the probe's proxy, None = direct)."""
        return [
            (url, proxy)
            for url, proxy in distinct_paths(self.routes)
            if url in probed and probed[url] != proxy
        ]

    def to_json(self, key: str | None = None) -> dict[str, Any]:
        """Shown values only: proxies with credentials redacted, stores in words."""
        return {
            "routes": [
                {"client": r.client, "url": r.url, "outcome": r.outcome, "proxy": r.proxy,
                 "variable": r.variable, "no_proxy_entry": r.bypass, "refused": r.refused,
                 "text": route_text(r)}
                for r in self.routes
            ],
            "trust": [
                {"client": c.client, "store": store_text(c.choice, key=key),
                 "accepts_presented_chain": c.accepts}
                for c in self.trust
            ],
        }  # fmt: skip


def network_view(
    urls: Sequence[str],
    env: Mapping[str, str],
    *,
    chain: Sequence[bytes] = (),
    verified_with_ca_file: bool = False,
    key: str | None = None,
    host: str | None = None,
) -> NetworkView:
    """Decide for every client, judge, and say it. `chain`: the certificates the profile's
    host presented (app.probe.trust.presented_chain), () when none was seen; `key` only
    hides a shown value that contains it (T17)."""
    routes = tuple(client_routes(urls, env, key=key))
    trust = tuple(client_trust(env, list(chain) if chain else None))
    found: list[Finding] = []
    # Sentences are worded when shown (Worded), so a language switch rewords them.
    for d in disagreements(routes):
        found.append(
            Finding("proxy_clients_disagree", host=host, params={"routes": Worded(d.text)})
        )
    refused: dict[str, list[ClientRoute]] = {}
    for r in routes:
        if r.refused:
            refused.setdefault(route_text(r), []).append(r)
    for same in refused.values():
        first = same[0]
        params = {
            "clients": tuple(dict.fromkeys(r.client for r in same)),
            "detail": Worded(functools.partial(route_text, first)),
        }
        found.append(Finding("client_proxy_refused", host=host, params=params))
    if any(missing_text(c) for c in trust):
        words = Worded(lambda lang: " ".join(x for c in trust for x in missing_text(c, lang)))
        found.append(Finding("client_trust_missing", params={"detail": words}))
    if trust_disagreement(trust, key=key):
        words = Worded(lambda lang: " ".join(trust_disagreement(trust, lang, key=key)))
        found.append(Finding("client_trust_differs", host=host, params={"detail": words}))
    elif chain and verified_with_ca_file and all(c.accepts is False for c in trust):
        found.append(Finding("clients_trust_none", host=host))
    return NetworkView(routes, trust, tuple(found))
