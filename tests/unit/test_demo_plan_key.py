"""The demo offers a plan key path: a second key, a Singapore Token Plan key, that answers on
the Token Plan host and not on the pay-as-you-go hosts; the default demo is unchanged."""

from __future__ import annotations

from app.demo import DEMO_ACCOUNT, DEMO_PLAN_REGION, start_demo
from tests.fixtures.simulator import pinned_client

CHAT = {"model": "qwen-plus", "messages": [{"role": "user", "content": "ping"}]}


def test_demo_plan_key_is_a_singapore_token_plan_key(tmp_path):
    env = start_demo(tmp_path)
    try:
        services, sim = env.services, env.simulator
        assert services.demo_key is not None and services.demo_plan_key is not None
        assert services.demo_key.reveal() == sim.key(DEMO_ACCOUNT)  # default path unchanged
        assert env.state.workspace_region == "ap-southeast-1"
        plan_key = services.demo_plan_key.reveal()
        assert plan_key.startswith("sk-sp-") and services.demo_plan_key.is_plan_key
        assert plan_key not in repr(services)
        headers = {"Authorization": f"Bearer {plan_key}"}
        host = f"token-plan.{DEMO_PLAN_REGION}.maas.aliyuncs.com"
        with pinned_client(sim) as c:
            url = f"https://{host}/compatible-mode/v1/chat/completions"
            assert c.post(url, headers=headers, json=CHAT).status_code == 200
            url = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions"
            assert c.post(url, headers=headers, json=CHAT).status_code == 401
            url = "https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1/models"
            r = c.get(url, headers=headers)
            assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_api_key")
    finally:
        env.simulator.stop_thread()
