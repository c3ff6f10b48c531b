"""The simulator survives arbitrary input: random bytes on the socket and random JSON bodies.

A crash inside the simulator would show up in other tests as a confusing client error; here
it shows up as what it is. Plain HTTP keeps the many short connections cheap.
"""

from __future__ import annotations

import socket
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.simulator.server import Simulator

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


@pytest.fixture(scope="module")
def plain_http():
    """One client for all examples: building a client per example costs more than the request."""
    with httpx.Client(trust_env=False, timeout=5) as client:
        yield client


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), body=bodies)
def test_random_json_bodies_get_an_answer_not_a_crash(plain_sim, plain_http, path, body):
    r = plain_http.post(
        f"{plain_sim.url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {plain_sim.key('demo')}"},
    )
    assert r.status_code in (200, 400, 403, 404)
    assert "x-request-id" in r.headers
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


header_text = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"]),
    path=st.sampled_from([*PATHS, "/compatible-mode/v1/models", "/api/v1/models", "/"])
    | st.text(max_size=30).map(lambda p: "/" + quote(p, safe="/?&=")),
    host=st.sampled_from(
        [
            "dashscope-intl.aliyuncs.com",
            "x.cn-beijing.maas.aliyuncs.com",
            "coding.dashscope.aliyuncs.com",
        ]
    )
    | header_text,
    auth=st.none() | header_text,
    api_key=st.none() | header_text,
    body=st.binary(max_size=200),
)
def test_random_requests_get_a_well_formed_answer(
    plain_sim, plain_http, method, path, host, auth, api_key, body
):
    headers = {"Host": host}
    if auth is not None:
        headers["Authorization"] = auth
    if api_key is not None:
        headers["x-api-key"] = api_key
    r = plain_http.request(method, plain_sim.url + path, headers=headers, content=body or None)
    assert 200 <= r.status_code < 600
    assert "x-request-id" in r.headers
    assert plain_sim.errors == []
