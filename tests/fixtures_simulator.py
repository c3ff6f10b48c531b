"""Fixtures: the Model Studio simulator, its test CA, a CONNECT proxy in front of it, and
httpx clients pinned to it.

Everything network-facing is tested against a real server on loopback with real TLS, so
these fixtures start real sockets. The simulator runs in its own thread and event loop, which
lets sync tests, async tests and CLI subprocesses use the same fixture.

Helpers (import them from tests.fixtures_simulator):
    sim_ssl_context(sim)           an SSLContext trusting only the simulator's CA
    pinned_client(sim, **kw)       httpx.Client sending every host to the simulator (real TLS,
                                   SNI and hostname check on the production name)
    pinned_async_client(sim, **kw) the same for httpx.AsyncClient
    (both take lib="httpx2" for the anthropic SDK, which only accepts httpx2 clients)
    proxy_env(sim, proxy)          environment for a subprocess / SDK: HTTPS_PROXY + CA vars
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from app.simulator import Simulator
from app.simulator_proxy import ConnectProxy


def sim_ssl_context(sim: Simulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(sim.ca_file))


def _pool_kwargs(sim: Simulator) -> dict[str, Any]:
    return {"ssl_context": sim_ssl_context(sim) if sim.tls else None, "max_connections": 100}


def _libs(lib: str):
    """(httpx, httpcore) or their forks (httpx2, httpcore2): the anthropic SDK requires httpx2
    objects for `http_client=`, openai accepts either."""
    import importlib

    if lib not in ("httpx", "httpx2"):
        raise ValueError("lib must be 'httpx' or 'httpx2'")
    core = "httpcore" if lib == "httpx" else "httpcore2"
    return importlib.import_module(lib), importlib.import_module(core)


def pinned_client(sim: Simulator, lib: str = "httpx", **kwargs: Any):  # -> httpx.Client
    """An httpx.Client whose every connection goes to the simulator's socket.

    The request URL keeps the production host, so Host, SNI and certificate verification are
    those of the real service; only the TCP address is replaced (curl's --connect-to).
    `lib="httpx2"` builds an httpx2.Client instead (for the anthropic SDK).
    """
    httpx, httpcore = _libs(lib)

    class Backend(httpcore.SyncBackend):
        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            return super().connect_tcp(sim.host, sim.port, timeout, local_address, socket_options)

    transport = httpx.HTTPTransport(verify=sim_ssl_context(sim) if sim.tls else False)
    # httpx has no public hook for the network backend: swap the pool for one that has it.
    transport._pool = httpcore.ConnectionPool(network_backend=Backend(), **_pool_kwargs(sim))
    kwargs.setdefault("timeout", 10.0)
    return httpx.Client(transport=transport, follow_redirects=False, trust_env=False, **kwargs)


def pinned_async_client(sim: Simulator, lib: str = "httpx", **kwargs: Any):  # -> AsyncClient
    httpx, httpcore = _libs(lib)

    class Backend(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(
            self, host, port, timeout=None, local_address=None, socket_options=None
        ):
            return await self._inner.connect_tcp(
                sim.host, sim.port, timeout, local_address, socket_options
            )

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    transport = httpx.AsyncHTTPTransport(verify=sim_ssl_context(sim) if sim.tls else False)
    transport._pool = httpcore.AsyncConnectionPool(network_backend=Backend(), **_pool_kwargs(sim))
    kwargs.setdefault("timeout", 10.0)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False, **kwargs)


def proxy_env(sim: Simulator, proxy: ConnectProxy) -> dict[str, str]:
    """Variables that make requests / httpx clients reach the simulator through the proxy."""
    ca = str(sim.ca_file)
    return {
        "HTTPS_PROXY": proxy.url_with_auth(),
        "https_proxy": proxy.url_with_auth(),
        "SSL_CERT_FILE": ca,
        "REQUESTS_CA_BUNDLE": ca,
        "NO_PROXY": "",
        "no_proxy": "",
    }


@pytest.fixture(scope="session")
def simulator_ca():
    """One throwaway CA for the whole run (trustme.CA); each simulator issues its own leaf."""
    import trustme

    return trustme.CA()


@pytest.fixture
def simulator(simulator_ca) -> Iterator[Simulator]:
    """A running TLS simulator with the default accounts; stopped at teardown."""
    sim = Simulator(ca=simulator_ca).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop_thread()
    # A bug inside the simulator shows up here by name, not as a puzzling client error.
    assert not sim.errors, f"simulator internal errors (a bug in app/simulator*.py): {sim.errors}"


@pytest.fixture
def plain_simulator() -> Iterator[Simulator]:
    """The simulator over plain HTTP on loopback (requests are served as the default host)."""
    sim = Simulator(tls=False).start_in_thread()
    try:
        yield sim
    finally:
        sim.stop_thread()


@pytest.fixture
def sim_proxy(simulator) -> Iterator[ConnectProxy]:
    """A CONNECT proxy tunnelling every target to the `simulator` fixture."""
    proxy = ConnectProxy(upstream=(simulator.host, simulator.port)).start_in_thread()
    try:
        yield proxy
    finally:
        proxy.stop_thread()


@pytest.fixture
def sim_client(simulator):
    """A sync httpx client pinned to the `simulator` fixture."""
    with pinned_client(simulator) as client:
        yield client
