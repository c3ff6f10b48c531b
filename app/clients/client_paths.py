"""Test each network path a client would take that the probe did not: once per path, not
once per client (issue 11: "the openai SDK will use the proxy, dashscope will go direct").

The probe decides its own route with curl's rules (app.probe.proxy); a client may go
another way (app.clients.network). For every such path the profile's OpenAI-compatible
check runs again through exactly that route: the same engine, the proxy given as the only
proxy variable, or no proxy at all, without inference (the auth GET proves the path and
the key). A path that fails becomes `client_path_fails`, naming the clients on it.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.clients.network_findings import NetworkView, network_view
from app.clients.variables import websocket_url
from app.core.models import Target
from app.findings.codes import Finding, Worded
from app.findings.results import ProbeResult
from app.probe.engine import ProbeOptions, run_checks
from app.probe.proxy import choose_proxy, redact_proxy_url, settings_from_env
from app.secrets.key import ApiKey

if TYPE_CHECKING:
    from app.config.schema import Profile

# The trust variables a path keeps: a client's route changes, the certificates do not.
_KEPT = ("SSL_CERT_FILE", "SSL_CERT_DIR")
MAX_PATHS = 6  # 3 URLs x (proxy, direct) covers every disagreement of one profile


@dataclass(frozen=True)
class PathResult:
    """One extra path: where it went, which clients take it, and what the check said."""

    url: str
    proxy: str | None  # shown form (credentials redacted); None = direct
    clients: tuple[str, ...]
    status: str
    finding: str | None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"clients": list(self.clients)}


def probed_routes(
    urls: Sequence[str], env: Mapping[str, str], disabled: bool
) -> dict[str, str | None]:
    """The probe's own route for each URL (url -> proxy URL or None), by its rules."""
    settings = settings_from_env(env)
    out: dict[str, str | None] = {}
    for url in urls:
        split = urlsplit(url)
        port = split.port or (443 if split.scheme == "https" else 80)
        choice = choose_proxy(split.scheme, split.hostname or "", port, settings, disabled=disabled)
        out[url] = choice.url
    return out


def _message_of(finding: Finding, _lang: str | None) -> str:
    """A finding's message in the current language (Finding.message knows no other)."""
    return finding.message


async def check_paths(
    view: NetworkView,
    targets: Sequence[Target],
    key: ApiKey | None,
    options: ProbeOptions,
    env: Mapping[str, str] | None = None,
) -> tuple[list[PathResult], list[Finding]]:
    """Run the profile's OpenAI-compatible check over every client path the probe did not
    take; the results and a finding per failing path."""
    env = os.environ if env is None else env
    openai = next((t for t in targets if t.surface == "openai" and t.role == "profile"), None)
    if openai is None:
        return [], []
    urls = [t.base_url for t in targets if t.surface != "responses"]
    probed = probed_routes(urls, env, options.no_proxy)
    paths = [(u, p) for u, p in view.untested_paths(probed) if u == openai.base_url]
    results: list[PathResult] = []
    findings: list[Finding] = []
    for url, proxy in paths[:MAX_PATHS]:
        path_env = {k: env[k] for k in _KEPT if k in env}
        if proxy is not None:
            path_env["HTTPS_PROXY"] = proxy
        path_options = dataclasses.replace(
            options, env=path_env, no_proxy=proxy is None, inference=False, on_result=None,
            consent_all_regions=False,
        )  # fmt: skip
        result = await run_checks([openai], key, path_options)
        check = result.checks[0]
        clients = tuple(
            dict.fromkeys(r.client for r in view.routes if r.url == url and r.proxy_url == proxy)
        )
        shown = redact_proxy_url(proxy) if proxy else None
        code = check.finding.code if check.finding is not None else None
        results.append(PathResult(url, shown, clients, check.status, code))
        if check.status == "fail" and check.finding is not None:
            params = {
                "clients": clients,
                "proxy": shown or "-",
                "reason": check.finding.code,
                "detail": Worded(functools.partial(_message_of, check.finding)),  # when shown
            }
            findings.append(
                Finding("client_path_fails", openai.surface, openai.region, openai.host, (), params)
            )
    return results, findings


@dataclass(frozen=True)
class ClientNetwork:
    """What doctor adds about the clients' network: each client's route and store, the
    extra paths tested, and every finding of both."""

    view: NetworkView
    paths: tuple[PathResult, ...]
    path_findings: tuple[Finding, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return (*self.view.findings, *self.path_findings)

    def to_json(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(routes and trust, paths) as app.clients.environment.section_json takes them."""
        return self.view.to_json(), [p.to_json() for p in self.paths]


async def client_network(
    profile: Profile,
    result: ProbeResult,
    targets: Sequence[Target],
    key: ApiKey | None,
    options: ProbeOptions,
    env: Mapping[str, str],
) -> ClientNetwork:
    """Each client's proxy and trust store for the profile's URLs (its WebSocket URL too),
    judged with the chain the profile's host presented in `result`, and the paths some
    client takes that the probe did not, each tested once. The CLI and the TUI doctor."""
    urls = [*dict.fromkeys(t.base_url for t in targets)]
    ws = websocket_url(profile)
    chain = next((c.tls.chain for c in result.checks if c.tls is not None and c.tls.chain), ())
    view = network_view(
        [*urls, *([ws] if ws else [])],
        env,
        chain=chain,
        key=key.reveal() if key is not None else None,
        host=profile.host,
    )
    paths, findings = await check_paths(view, targets, key, options, env)
    return ClientNetwork(view, tuple(paths), tuple(findings))
