"""The real SDKs (openai, anthropic, dashscope) complete calls against the simulator.

Two ways in, both with real TLS verification of the production host name:
- pinned: an httpx client whose connections go to the simulator (openai / anthropic accept
  `http_client=`);
- proxied: only environment variables (HTTPS_PROXY + SSL_CERT_FILE / REQUESTS_CA_BUNDLE), the
  way a user's unchanged program would run; this is the recipe the export-proof tests use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from app.simulator.proxy import ConnectProxy
from tests.fixtures.simulator import pinned_client, proxy_env, sim_ssl_context

SG = "https://dashscope-intl.aliyuncs.com"


def test_openai_sdk_pinned(simulator):
    import openai

    with pinned_client(simulator) as http:
        client = openai.OpenAI(
            api_key=simulator.key("demo"),
            base_url=f"{SG}/compatible-mode/v1",
            http_client=http,
            max_retries=0,
        )
        reply = client.chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "ping"}], max_tokens=1
        )
        assert reply.choices[0].message.content == "pong"
        assert reply.usage.completion_tokens == 1
        assert "qwen-plus" in [m.id for m in client.models.list()]
        stream = client.chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "ping"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "pong"


def test_openai_sdk_sees_the_error_codes(simulator):
    import openai

    with pinned_client(simulator) as http:
        bad = openai.OpenAI(
            api_key=simulator.key("cn-beijing"),
            base_url=f"{SG}/compatible-mode/v1",
            http_client=http,
            max_retries=0,
        )
        with pytest.raises(openai.AuthenticationError) as err:
            bad.models.list()
        assert err.value.code == "invalid_api_key"
        assert err.value.request_id is not None or err.value.response.headers["x-request-id"]
        good = openai.OpenAI(
            api_key=simulator.key("demo"),
            base_url=f"{SG}/compatible-mode/v1",
            http_client=http,
            max_retries=0,
        )
        with pytest.raises(openai.NotFoundError) as err:
            good.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
        assert err.value.code == "model_not_found"


def test_anthropic_sdk_pinned(simulator):
    import anthropic

    with pinned_client(simulator, lib="httpx2") as http:
        client = anthropic.Anthropic(
            api_key=simulator.key("demo"),
            base_url=f"{SG}/apps/anthropic",
            http_client=http,
            max_retries=0,
        )
        msg = client.messages.create(
            model="qwen-plus", max_tokens=1, messages=[{"role": "user", "content": "ping"}]
        )
        assert msg.content[0].text == "pong"
        assert msg.usage.output_tokens == 1
        with client.messages.stream(
            model="qwen-plus", max_tokens=16, messages=[{"role": "user", "content": "ping"}]
        ) as stream:
            assert "".join(stream.text_stream) == "pong"
        # This SDK version sends api_key as a Bearer token; both forms are accepted.
        assert simulator.requests[-1].auth_scheme in ("x-api-key", "bearer")


def test_anthropic_sdk_with_auth_token_and_its_error_classes(simulator):
    import anthropic

    with pinned_client(simulator, lib="httpx2") as http:
        client = anthropic.Anthropic(
            auth_token=simulator.key("demo"),
            base_url=f"{SG}/apps/anthropic",
            http_client=http,
            max_retries=0,
        )
        assert (
            client.messages.create(
                model="qwen3-max", max_tokens=1, messages=[{"role": "user", "content": "ping"}]
            )
            .content[0]
            .text
            == "pong"
        )
        assert simulator.requests[-1].auth_scheme == "bearer"
        bad = anthropic.Anthropic(
            api_key="sk-" + "0" * 32,
            base_url=f"{SG}/apps/anthropic",
            http_client=http,
            max_retries=0,
        )
        with pytest.raises(anthropic.AuthenticationError) as err:
            bad.messages.create(
                model="qwen-plus", max_tokens=1, messages=[{"role": "user", "content": "x"}]
            )
        assert err.value.body["error"]["type"] == "authentication_error"
        assert err.value.request_id == simulator.requests[-1].request_id


def _run_isolated(code: str, env: dict[str, str]) -> dict:
    """Run `code` in a fresh interpreter with only `env` added: SDKs read env at import."""
    full = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    full.update(env)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_dashscope_sdk_through_the_proxy_with_env_only(simulator, sim_proxy):
    env = proxy_env(simulator, sim_proxy) | {
        "DASHSCOPE_API_KEY": simulator.key("demo"),
        "DASHSCOPE_HTTP_BASE_URL": f"{SG}/api/v1",
    }
    result = _run_isolated(
        """
        import json
        from dashscope import Generation
        r = Generation.call(model="qwen-plus", messages=[{"role": "user", "content": "ping"}],
                            result_format="message", max_tokens=1)
        bad = Generation.call(model="qwen-nope", messages=[{"role": "user", "content": "ping"}],
                              result_format="message")
        streamed = [c.output.choices[0].message.content for c in Generation.call(
            model="qwen-plus", messages=[{"role": "user", "content": "ping"}],
            result_format="message", stream=True, incremental_output=True)]
        import dashscope
        models = dashscope.Models.list()
        print(json.dumps({"status": r.status_code, "text": r.output.choices[0].message.content,
                          "request_id": r.request_id, "bad": [bad.status_code, bad.code],
                          "streamed": streamed, "models": models.status_code}))
        """,
        env,
    )
    assert result["status"] == 200 and result["text"] == "pong"
    assert result["bad"] == [400, "InvalidParameter"]
    # The simulator streams in pieces, as the service does (the streaming check needs it):
    # incremental_output gives each piece once; together they are the answer.
    assert "".join(result["streamed"]) == "pong" and len(result["streamed"]) > 1
    assert result["models"] == 200
    assert result["request_id"] in [r.request_id for r in simulator.requests]
    assert [t.target for t in sim_proxy.tunnels] == ["dashscope-intl.aliyuncs.com:443"] * len(
        sim_proxy.tunnels
    )


def test_dashscope_2x_client_all_protocols_from_env(simulator, sim_proxy):
    """dashscope 2.x `Client` reads DASHSCOPE_REGION + DASHSCOPE_WORKSPACE (not ..._ID); the
    1.x-style API reaches the same workspace host through `dashscope.set_region`."""
    acc = simulator.accounts["ap-southeast-1"]
    env = proxy_env(simulator, sim_proxy) | {
        "DASHSCOPE_API_KEY": acc.key,
        "DASHSCOPE_REGION": "ap-southeast-1",
        "DASHSCOPE_WORKSPACE": acc.workspace_id,
    }
    result = _run_isolated(
        """
        import json, os, dashscope
        out = {}
        for protocol in ("native", "openai", "anthropic"):
            r = dashscope.Client(protocol=protocol).chat.completions.create(
                model="qwen-plus", messages=[{"role": "user", "content": "hi"}], max_tokens=1)
            out[protocol] = r.is_error
        # The 1.x-style API pointed at the workspace host in code.
        dashscope.set_region("ap-southeast-1", os.environ["DASHSCOPE_WORKSPACE"])
        r = dashscope.Generation.call(
            model="qwen-plus", messages=[{"role": "user", "content": "hi"}],
            result_format="message")
        out["set_region"] = r.output.choices[0].message.content
        print(json.dumps(out))
        """,
        env,
    )
    assert result == {"native": False, "openai": False, "anthropic": False, "set_region": "pong"}
    host = f"{acc.workspace_id}.ap-southeast-1.maas.aliyuncs.com"
    assert [(r.host, r.surface, r.status) for r in simulator.requests] == [
        (host, "dashscope", 200),
        (host, "openai", 200),
        (host, "anthropic", 200),
        (host, "dashscope", 200),
    ]


def test_openai_and_anthropic_sdks_through_the_proxy_with_env_only(simulator, sim_proxy):
    env = proxy_env(simulator, sim_proxy) | {
        "OPENAI_API_KEY": simulator.key("demo"),
        "OPENAI_BASE_URL": f"{SG}/compatible-mode/v1",
        "ANTHROPIC_AUTH_TOKEN": simulator.key("demo"),
        "ANTHROPIC_BASE_URL": f"{SG}/apps/anthropic",
    }
    result = _run_isolated(
        """
        import json, openai, anthropic
        o = openai.OpenAI(max_retries=0).chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "ping"}], max_tokens=1)
        a = anthropic.Anthropic(max_retries=0).messages.create(
            model="qwen-plus", max_tokens=1, messages=[{"role": "user", "content": "ping"}])
        print(json.dumps([o.choices[0].message.content, a.content[0].text]))
        """,
        env,
    )
    assert result == ["pong", "pong"]
    assert len(sim_proxy.tunnels) >= 2


# ---- the proxy itself -----------------------------------------------------------------------


def test_proxy_tunnels_any_host_name_with_real_tls(simulator, sim_proxy):
    with httpx.Client(proxy=sim_proxy.url, verify=sim_ssl_context(simulator), trust_env=False) as c:
        r = c.get(
            "https://dashscope-us.aliyuncs.com/compatible-mode/v1/models",
            headers={"Authorization": f"Bearer {simulator.key('us-east-1')}"},
        )
    assert r.status_code == 200
    assert sim_proxy.tunnels[-1].target == "dashscope-us.aliyuncs.com:443"
    assert sim_proxy.tunnels[-1].status == 200


def test_proxy_that_needs_auth_answers_407_and_accepts_credentials(simulator):
    with ConnectProxy(upstream=(simulator.host, simulator.port), auth=("alice", "s3cret")) as proxy:
        verify = sim_ssl_context(simulator)
        with (
            httpx.Client(proxy=proxy.url, verify=verify, trust_env=False) as c,
            pytest.raises(httpx.ProxyError) as err,
        ):
            c.get(f"{SG}/compatible-mode/v1/models")
        assert "407" in str(err.value)
        with (
            httpx.Client(
                proxy="http://alice:wrong@" + proxy.url[7:], verify=verify, trust_env=False
            ) as c,
            pytest.raises(httpx.ProxyError),
        ):
            c.get(f"{SG}/compatible-mode/v1/models")
        with httpx.Client(proxy=proxy.url_with_auth(), verify=verify, trust_env=False) as c:
            r = c.get(
                f"{SG}/compatible-mode/v1/models",
                headers={"Authorization": f"Bearer {simulator.key('demo')}"},
            )
        assert r.status_code == 200
        assert [t.status for t in proxy.tunnels] == [407, 407, 200]
        assert proxy.tunnels[-1].user == "alice"


def test_refusing_proxy_answers_403(simulator):
    with ConnectProxy(upstream=(simulator.host, simulator.port), refuse=True) as proxy:
        verify = sim_ssl_context(simulator)
        with (
            httpx.Client(proxy=proxy.url, verify=verify, trust_env=False) as c,
            pytest.raises(httpx.ProxyError) as err,
        ):
            c.get(f"{SG}/compatible-mode/v1/models")
        assert "403" in str(err.value)
    assert simulator.requests == []


def test_proxy_refuses_plain_forwarding(sim_proxy):
    with httpx.Client(proxy=sim_proxy.url, trust_env=False) as c:
        r = c.get("http://dashscope-intl.aliyuncs.com/")
    assert r.status_code == 405


def test_proxy_without_upstream_reports_unreachable_targets_as_502():
    with ConnectProxy() as proxy:
        with (
            httpx.Client(proxy=proxy.url, trust_env=False) as c,
            pytest.raises(httpx.ProxyError) as err,
        ):
            c.get("https://127.0.0.1:1/")
        assert "502" in str(err.value)
