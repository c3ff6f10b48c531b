"""Which certificates each client trusts: `trust_for(stack, env, platform) -> StoreChoice`.

"Works in the browser, fails in the SDK" is a trust-store question, and the clients answer
it differently on one machine: httpx2 (openai, anthropic) takes the OS store, httpx 0.28
and requests take certifi, litellm takes certifi unless SSL_CERT_FILE, Node and Bun take
their bundled Mozilla roots plus NODE_EXTRA_CA_CERTS, Claude Code adds the OS store. A
corporate CA that IT installed in the OS store is therefore trusted by some clients and
not by others; app.clients.ca_store answers "is this chain's CA in that store?".

Sources (dev venv versions; the Node/Bun/Rust ones as named):
- httpx2: httpcore2 2.16 `_ssl.default_ssl_context` (SSL_CERT_FILE, SSL_CERT_DIR, else
  truststore on Windows/macOS, else OpenSSL's compiled-in paths on Linux; not certifi).
- httpx 0.28: httpx/_config.py `create_ssl_context` (SSL_CERT_FILE, SSL_CERT_DIR, certifi).
- litellm 1.110: llms/custom_httpx/http_handler.py `get_ssl_verify`, `get_ssl_configuration`
  (SSL_VERIFY as a path or a boolean, then SSL_CERT_FILE if it exists, else certifi).
- requests 2.34: sessions.py `merge_environment_settings` (REQUESTS_CA_BUNDLE or
  CURL_CA_BUNDLE, else certifi via requests.certs).
- dashscope 2.0.2: api_entities/aio_session.py (async HTTP: certifi only); websocket
  tasks through aiohttp's default context and realtime through websocket-client's
  (WEBSOCKET_CLIENT_CA_BUNDLE, else `load_default_certs`): OpenSSL's store, which honours
  SSL_CERT_FILE / SSL_CERT_DIR.
- Node: docs api/cli (NODE_EXTRA_CA_CERTS; --use-system-ca since 22.15 / 23.8;
  NODE_USE_SYSTEM_CA=1 since 22.19 / 24.6; --use-openssl-ca; NODE_TLS_REJECT_UNAUTHORIZED).
- Bun 1.3.14 (opencode), measured in tests/e2e/test_client_network_node.py: bundled roots,
  SSL_CERT_FILE, SSL_CERT_DIR, NODE_EXTRA_CA_CERTS, the OS store with NODE_USE_SYSTEM_CA=1.
- Claude Code 2.1.332 bundle: CLAUDE_CODE_CERT_STORE (`bundled`, `system`; default both),
  --use-system-ca / --use-openssl-ca in NODE_OPTIONS -> system; NODE_EXTRA_CA_CERTS
  (measured: the default, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, CLAUDE_CODE_CERT_STORE=bundled).
- Codex: codex-rs/codex-client/src/custom_ca.rs (CODEX_CA_CERTIFICATE, else SSL_CERT_FILE,
  added to the system roots).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StoreSource:
    """One part of a client's trust store. kind: `file` / `dir` (a path the user named),
    `certifi`, `mozilla` (the roots built into Node / Bun), `os` (the platform store),
    `os_file` / `os_dir` (only OpenSSL's compiled-in file or directory). For the `os`
    kinds, `path` is the sys.platform value of the machine whose store it is."""

    kind: str
    path: str | None = None
    variable: str | None = None


@dataclass(frozen=True)
class StoreChoice:
    """The store one stack trusts: the union of `sources`. `verify` False: verification is
    off (litellm SSL_VERIFY=false, NODE_TLS_REJECT_UNAUTHORIZED=0). `missing` names the
    variables whose file or directory does not exist; `fails` is True when the client then
    fails to start instead of ignoring it. `note` is a caveat (a Node version needed)."""

    stack: str
    sources: tuple[StoreSource, ...]
    verify: bool = True
    missing: tuple[str, ...] = ()
    fails: bool = False
    note: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(s.kind for s in self.sources)


_FALSE = ("false", "0", "no", "off")


def _exists(path: str) -> bool:
    try:
        return len(path) < 4096 and os.path.exists(path)
    except (OSError, ValueError):
        return False


def _path_source(path: str, variable: str) -> StoreSource:
    kind = "dir" if os.path.isdir(path) else "file"
    return StoreSource(kind, path, variable)


def _os(platform: str) -> tuple[StoreSource, ...]:
    return (StoreSource("os", platform),)


def _system(env: Mapping[str, str], platform: str) -> tuple[StoreSource, ...]:
    """Node's `--use-system-ca` (and the runtimes that follow it): the platform store on
    Windows and macOS, elsewhere "the directory and file trusted by OpenSSL" (Node docs),
    which SSL_CERT_FILE / SSL_CERT_DIR redirect."""
    if platform in ("win32", "darwin"):
        return _os(platform)
    return _openssl_default(env, platform, "").sources


def _httpx2(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    for variable, kind in (("SSL_CERT_FILE", "file"), ("SSL_CERT_DIR", "dir")):
        path = env.get(variable)
        if path:  # ssl.create_default_context(cafile=/capath=): a missing one raises
            missing = () if _exists(path) else (variable,)
            source = StoreSource(kind, path, variable)
            return StoreChoice(stack, (source,), missing=missing, fails=bool(missing))
    return StoreChoice(stack, _os(platform))


def _httpx(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    for variable, kind in (("SSL_CERT_FILE", "file"), ("SSL_CERT_DIR", "dir")):
        path = env.get(variable)
        if path:
            missing = () if _exists(path) else (variable,)
            source = StoreSource(kind, path, variable)
            return StoreChoice(stack, (source,), missing=missing, fails=bool(missing))
    return StoreChoice(stack, (StoreSource("certifi"),))


def _litellm(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    verify = env.get("SSL_VERIFY")
    if verify is not None:
        if _exists(verify):
            return StoreChoice(stack, (StoreSource("file", verify, "SSL_VERIFY"),))
        if verify.strip().lower() in _FALSE:
            return StoreChoice(stack, (), verify=False)
    cert_file = env.get("SSL_CERT_FILE")
    if cert_file and _exists(cert_file):
        return StoreChoice(stack, (StoreSource("file", cert_file, "SSL_CERT_FILE"),))
    missing = ("SSL_CERT_FILE",) if cert_file else ()  # checked with exists(): ignored
    return StoreChoice(stack, (StoreSource("certifi"),), missing=missing)


def _requests(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        path = env.get(variable)
        if path:  # `or`: the first non-empty one; a missing path fails every request
            missing = () if _exists(path) else (variable,)
            return StoreChoice(
                stack, (_path_source(path, variable),), missing=missing, fails=bool(missing)
            )
    return StoreChoice(stack, (StoreSource("certifi"),))


def _certifi_only(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    return StoreChoice(stack, (StoreSource("certifi"),))


def _openssl_default(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    """`ssl.create_default_context()` / `load_default_certs()`: OpenSSL reads SSL_CERT_FILE
    instead of its compiled-in file and SSL_CERT_DIR instead of its directory, each on its
    own; on Windows the system store is loaded as well."""
    sources = []
    missing = []
    for variable, kind, default in (
        ("SSL_CERT_FILE", "file", "os_file"),
        ("SSL_CERT_DIR", "dir", "os_dir"),
    ):
        path = env.get(variable)
        if path:
            sources.append(StoreSource(kind, path, variable))
            if not _exists(path):
                missing.append(variable)
        else:
            sources.append(StoreSource(default, platform))
    if platform == "win32":
        sources.append(StoreSource("os", platform))
    return StoreChoice(stack, tuple(sources), missing=tuple(missing))


def _websocket_client(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    path = env.get("WEBSOCKET_CLIENT_CA_BUNDLE")
    if path and (os.path.isfile(path) or os.path.isdir(path)):
        return StoreChoice(stack, (_path_source(path, "WEBSOCKET_CLIENT_CA_BUNDLE"),))
    return _openssl_default(env, platform, stack)


def _node_options(env: Mapping[str, str]) -> list[str]:
    return (env.get("NODE_OPTIONS") or "").split()


def _extra(env: Mapping[str, str]) -> tuple[tuple[StoreSource, ...], tuple[str, ...]]:
    path = env.get("NODE_EXTRA_CA_CERTS")
    if not path:
        return (), ()
    # A missing file is a warning at startup; the other roots stay.
    return (StoreSource("file", path, "NODE_EXTRA_CA_CERTS"),), (
        () if _exists(path) else ("NODE_EXTRA_CA_CERTS",)
    )


def _node(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    verify = env.get("NODE_TLS_REJECT_UNAUTHORIZED") != "0"
    options = _node_options(env)
    note = None
    if "--use-openssl-ca" in options:
        base = list(_openssl_default(env, platform, stack).sources)
    else:
        base = [StoreSource("mozilla")]
        if "--use-system-ca" in options:
            base.extend(_system(env, platform))
            note = "node_22_15"
        elif env.get("NODE_USE_SYSTEM_CA") == "1":
            base.extend(_system(env, platform))
            note = "node_22_19"
    extra, missing = _extra(env)
    return StoreChoice(stack, (*base, *extra), verify=verify, missing=missing, note=note)


def _bun(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    """Bun 1.3.14 (opencode), measured: its bundled roots, plus SSL_CERT_FILE and
    SSL_CERT_DIR, plus NODE_EXTRA_CA_CERTS, plus the OS store only with
    NODE_USE_SYSTEM_CA=1; the NODE_OPTIONS switches of Node are not read."""
    verify = env.get("NODE_TLS_REJECT_UNAUTHORIZED") not in ("0", "false")
    sources = [StoreSource("mozilla")]
    missing = []
    for variable, kind in (("SSL_CERT_FILE", "file"), ("SSL_CERT_DIR", "dir")):
        path = env.get(variable)
        if path:
            sources.append(StoreSource(kind, path, variable))
            if not _exists(path):
                missing.append(variable)
    if env.get("NODE_USE_SYSTEM_CA") == "1":
        sources.extend(_os(platform))
    extra, extra_missing = _extra(env)
    return StoreChoice(stack, (*sources, *extra), verify=verify, missing=(*missing, *extra_missing))


def _claude_code(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    wanted: list[str] = []
    for item in (env.get("CLAUDE_CODE_CERT_STORE") or "").split(","):
        name = item.strip().lower()
        if name in ("bundled", "system") and name not in wanted:
            wanted.append(name)
    if not wanted:
        options = _node_options(env)
        system_only = "--use-system-ca" in options or "--use-openssl-ca" in options
        wanted = ["system"] if system_only else ["bundled", "system"]
    base: list[StoreSource] = []
    for name in wanted:
        base.extend([StoreSource("mozilla")] if name == "bundled" else _system(env, platform))
    extra, missing = _extra(env)
    verify = env.get("NODE_TLS_REJECT_UNAUTHORIZED") != "0"
    return StoreChoice(stack, (*base, *extra), verify=verify, missing=missing)


def _codex(env: Mapping[str, str], platform: str, stack: str) -> StoreChoice:
    for variable in ("CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"):
        path = env.get(variable)
        if path:  # empty counts as unset; an unreadable file stops Codex with a hint
            missing = () if _exists(path) else (variable,)
            source = StoreSource("file", path, variable)
            sources = (*_system(env, platform), source)
            return StoreChoice(stack, sources, missing=missing, fails=bool(missing))
    return StoreChoice(stack, _system(env, platform))


_RULES = {
    "httpx2": _httpx2,  # openai >= 3
    "anthropic": _httpx2,  # anthropic >= 2 builds its context through httpx2 too
    "httpx": _httpx,
    "litellm": _litellm,  # its sync (httpx) and async (aiohttp) clients alike
    "litellm-aiohttp": _litellm,
    "requests": _requests,
    "aiohttp": _openssl_default,  # dashscope's task websockets (default connector)
    "dashscope-aio": _certifi_only,  # dashscope's async HTTP session
    "websocket-client": _websocket_client,
    "undici": _node,
    "node": _node,
    "qwen-code": _node,
    "bun": _bun,
    "claude-code": _claude_code,
    "reqwest": _codex,
    "codex": _codex,
}
TRUST_STACKS = tuple(_RULES)


def trust_for(stack: str, env: Mapping[str, str], platform: str = sys.platform) -> StoreChoice:
    """The store `stack` would verify servers against under `env` on `platform` (a
    sys.platform value). KeyError for an unknown stack. Only the named paths are looked at
    (exists / is a directory), as the clients themselves look; nothing is read."""
    return _RULES[stack](env, platform, stack)
