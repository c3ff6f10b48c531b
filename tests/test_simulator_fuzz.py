"""The simulator survives arbitrary input: random bytes on the socket and random JSON bodies.

A crash inside the simulator would show up in other tests as a confusing client error; here
it shows up as what it is. Plain HTTP keeps the many short connections cheap.
"""

from __future__ import annotations

import socket

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.simulator import Simulator

PATHS = (
    "/compatible-mode/v1/chat/completions",
    "/apps/anthropic/v1/messages",
    "/api/v1/services/aigc/text-generation/generation",
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["qwen-plus", "qwen3-max", "nope", ""]) | json_values,
        "messages": json_values,
        "input": json_values,
        "parameters": json_values,
        "max_tokens": json_values,
        "stream": json_values,
        "stream_options": json_values,
        "system": json_values,
    },
)


@pytest.fixture(scope="module")
def plain_sim():
    sim = Simulator(tls=False, request_timeout=2.0).start_in_thread()
    yield sim
    sim.stop_thread()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), body=bodies)
def test_random_json_bodies_get_an_answer_not_a_crash(plain_sim, path, body):
    with httpx.Client(trust_env=False, timeout=5) as c:
        r = c.post(
            f"{plain_sim.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {plain_sim.key('demo')}"},
        )
    assert r.status_code in (200, 400, 403, 404)
    assert "x-request-id" in r.headers
    if r.status_code == 200:
        r.read()
    assert plain_sim.errors == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "replace"))
)
def test_random_bytes_on_the_socket_never_break_the_server(plain_sim, data):
    with socket.create_connection((plain_sim.host, plain_sim.port), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
        except (ConnectionError, TimeoutError):
            pass
    assert plain_sim.errors == []


def test_server_answers_after_the_fuzzing(plain_sim):
    with httpx.Client(trust_env=False) as c:
        r = c.get(
            f"{plain_sim.url}/api/v1/models",
            headers={"Authorization": f"Bearer {plain_sim.key('demo')}"},
        )
    assert r.status_code == 200
