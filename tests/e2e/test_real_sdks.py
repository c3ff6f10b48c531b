"""The SDK-side exports work in the REAL SDKs, run as a user runs them: the `.env` for Node
(npm `dotenv` + the `openai` JS SDK, pinned in tests/e2e/clients/), the `.env` for Python
(python-dotenv + the DashScope SDK, its 1.x-style API and its 2.x `dashscope.Client`), and
the LiteLLM config (litellm's Router, the config loaded as its proxy loads it). Each run gets
nothing but the exported file and the environment the export says to set, reaches the
simulator on the production host names over real TLS through its CONNECT proxy, and the
simulator's records say what the SDK sent: host, path, model, key.

The key is never in an exported file here (every export is keyless), so after each run the
SDK's output and every file of its private directories are searched for it: it must be
nowhere. The openai-python and anthropic-python snippets are proven in test_export_sdks.py.

What the runs showed about these SDKs (checked here, see each test):
- The openai JS SDK uses Node's fetch, which ignores HTTPS_PROXY unless NODE_USE_ENV_PROXY=1
  (checked on Node 22.23.3); without it the call goes direct ("Connection error.").
- Node's dotenv (18.x) leaves `${DASHSCOPE_API_KEY}` as those very characters.
- dashscope's websocket APIs (aiohttp, trust_env) take a wss:// URL's proxy from WSS_PROXY,
  not HTTPS_PROXY.
- dashscope 2.x reads DASHSCOPE_HTTP_BASE_URL (the 1.x name) as the base of EVERY protocol,
  and uses a base URL as given (a host root gets no protocol path appended).
- litellm's HTTP client trusts SSL_CERT_FILE (not REQUESTS_CA_BUNDLE); without
  LITELLM_LOCAL_MODEL_COST_MAP=True its import fetches a price map from GitHub.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from app.config.schema import Profile
from app.config.validate import make_profile
from app.export.formats import export
from app.secrets.stores import KeyRef
from app.simulator.proxy import ConnectProxy
from app.simulator.server import RequestRecord, Simulator
from tests.fixtures.real_clients import RealClients
from tests.fixtures.simulator import proxy_env

KEY_VAR = "DASHSCOPE_API_KEY"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
RUN_TIMEOUT = 120
# The three kinds of host a DashScope profile can have, each with the simulator account
# whose key it uses: a workspace host, a region's shared host, a trial host.
PROFILES = {
    "ap-southeast-1-workspace": ("ap-southeast-1", "workspace", "ap-southeast-1"),
    "cn-beijing-shared": ("cn-beijing", "shared", "cn-beijing"),
    "ap-southeast-1-trial": ("ap-southeast-1", "trial", "ap-southeast-1"),
}
# The path each SDK call appends to the profile's base URL of that surface.
CHAT_PATHS = {
    "dashscope": "/services/aigc/text-generation/generation",
    "openai": "/chat/completions",
    "anthropic": "/v1/messages",
}
WEBSOCKET_PATH = "/api-ws/v1/inference"


@dataclass
class Case:
    """One profile, the key of its account, and the directories of one SDK run."""

    profile: Profile
    key: str
    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def home(self) -> Path:
        return self.root / "home"


def _case(sim: Simulator, kind: str, tmp_path: Path) -> Case:
    region, style, account = PROFILES[kind]
    workspace = sim.accounts[account].workspace_id if style == "workspace" else None
    profile, _ = make_profile(
        "default",
        region=region,
        endpoint_style=style,
        workspace_id=workspace,
        api_key=KeyRef("env", KEY_VAR),
    )
    case = Case(profile, sim.key(account), tmp_path / "sdk")
    for path in (case.work, case.home, case.root / "tmp"):
        path.mkdir(parents=True, exist_ok=True)
    return case


def _split(url: str) -> tuple[str, str]:
    """(host, path) of a base URL."""
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host, "/" + path


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def _describe(sim: Simulator) -> str:
    return "\n".join(
        f"  {r.method} {r.host}{r.path} -> {r.status} model={r.model} keys={r.key_headers}"
        for r in sim.requests
    )


def _base_env(case: Case) -> dict[str, str]:
    """A run's environment from nothing: a private HOME (no ~/.dashscope/config.toml, no
    saved key file, no ~/.env), nothing of the developer's shell."""
    return {
        "PATH": SYSTEM_PATH,
        "HOME": str(case.home),
        "XDG_CONFIG_HOME": str(case.home / ".config"),
        "XDG_CACHE_HOME": str(case.home / ".cache"),
        "TMPDIR": str(case.root / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


@dataclass
class Run:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\n--- stdout\n{self.stdout[-3000:]}\n"
            f"--- stderr\n{self.stderr[-3000:]}"
        )

    def results(self) -> list[dict]:
        """The JSON lines the script printed (its findings; never a key)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def _run(argv: list[str], case: Case, env: dict[str, str]) -> Run:
    try:
        proc = subprocess.run(
            argv,
            cwd=case.work,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{argv[0]} did not finish in {RUN_TIMEOUT} s: {exc.stdout!r} {exc.stderr!r}")
    return Run(argv, proc.returncode, proc.stdout, proc.stderr)


def assert_key_nowhere(run: Run, case: Case, key: str) -> None:
    """Every export here is keyless: the key is in no output and in no file of the run."""
    assert key not in run.stdout and key not in run.stderr, "the run printed the key"
    needle = key.encode()
    leaked = [
        str(p)
        for p in sorted(case.root.rglob("*"))
        if p.is_file() and not p.is_symlink() and needle in p.read_bytes()
    ]
    assert not leaked, f"the key was written to {leaked}"


def assert_calls(
    sim: Simulator, run: Run, *, host: str, path: str, model: str, key: str, count: int = 1
) -> list[RequestRecord]:
    """`count` successful calls of `path` on `host` with `model` and this key (Bearer)."""
    context = f"simulator saw:\n{_describe(sim)}\n{run.output}"
    calls = [r for r in sim.requests if r.host == host and r.path == path]
    assert len(calls) == count, f"expected {count} call(s) of {host}{path}\n{context}"
    for call in calls:
        assert call.method == "POST" and call.status == 200, context
        assert call.model == model, context
        assert call.key_fingerprint == _fingerprint(key), f"not this key\n{context}"
        assert call.key_headers == ("authorization",) and call.auth_scheme == "bearer", context
    return calls


# ---- .env for Node: npm dotenv + the openai JS SDK -----------------------------------------

NODE_SCRIPT = """\
const fs = require('fs');
const dotenv = require('dotenv');
dotenv.config({ quiet: true });
const OpenAI = require('openai');
const parsed = dotenv.parse(fs.readFileSync('.env'));
const literal = '${' + 'DASHSCOPE_API_KEY}';
console.log(JSON.stringify({
  parsed_is_literal: parsed.OPENAI_API_KEY === literal,
  env_is_literal: process.env.OPENAI_API_KEY === literal,
}));
(async () => {
  try {
    const client = new OpenAI();  // OPENAI_BASE_URL and OPENAI_API_KEY from process.env
    const r = await client.chat.completions.create({
      model: process.env.MODELSTUDIO_MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
    });
    console.log(JSON.stringify({ ok: true, reply: r.choices[0].message.content }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, status: e.status ?? null, error: String(e.message) }));
    process.exitCode = 3;
  }
})();
"""


def _node_project(case: Case, form: str) -> str:
    """The export as `.env` beside a package.json and the user's script; returns the .env."""
    text = export(case.profile, "dotenv", form=form)
    (case.work / ".env").write_text(text, encoding="utf-8")
    (case.work / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    (case.work / "index.js").write_text(NODE_SCRIPT, encoding="utf-8")
    return text


def _node_env(
    case: Case, sim: Simulator, proxy: ConnectProxy, clients: RealClients, keys: dict[str, str]
) -> dict[str, str]:
    return {
        **_base_env(case),
        "PATH": f"{clients.node.parent}:{SYSTEM_PATH}",  # Node 22: the openai SDK needs >= 22
        "NODE_PATH": str(clients.modules),  # dotenv and openai, as `npm install` gives them
        "HTTPS_PROXY": proxy.url,
        "NO_PROXY": "",
        "NODE_USE_ENV_PROXY": "1",  # Node's fetch ignores HTTPS_PROXY without it
        "NODE_EXTRA_CA_CERTS": str(sim.ca_file),
        **keys,
    }


def test_node_dotenv_export_configures_the_openai_js_sdk(
    real_clients: RealClients, simulator, sim_proxy, tmp_path: Path
) -> None:
    """`--for node`: no `${}` reference in the file; the key variables its notice names come
    from the environment, the rest from the .env, and one chat completion goes through."""
    case = _case(simulator, "ap-southeast-1-workspace", tmp_path)
    text = _node_project(case, "node")
    assigned = [line for line in text.splitlines() if not line.startswith("#")]
    assert not [line for line in assigned if "${" in line], text
    notice = next(line for line in text.splitlines() if "must be set in your environment" in line)
    assert "OPENAI_API_KEY" in notice, notice  # what the export says to set, beside its own
    keys = {KEY_VAR: case.key, "OPENAI_API_KEY": case.key}
    env = _node_env(case, simulator, sim_proxy, real_clients, keys)
    run = _run([str(real_clients.node), "index.js"], case, env)
    assert run.returncode == 0, f"{run.output}\n{_describe(simulator)}"
    assert run.results()[-1] == {"ok": True, "reply": "pong"}, run.output
    host, base = _split(case.profile.base_urls["openai"])
    assert_calls(
        simulator,
        run,
        host=host,
        path=base + CHAT_PATHS["openai"],
        model=case.profile.model,
        key=case.key,
    )
    assert {r.host for r in simulator.requests} == {host}, _describe(simulator)
    assert_key_nowhere(run, case, case.key)


def test_node_dotenv_leaves_the_python_forms_reference_unexpanded(
    real_clients: RealClients, simulator, sim_proxy, tmp_path: Path
) -> None:
    """Why the node form exists: Node's dotenv reads the python form's
    `OPENAI_API_KEY="${DASHSCOPE_API_KEY}"` as those very characters, and the JS SDK sends
    them as its key. Proven both ways: dotenv's parsed value is the literal, and the
    simulator saw that literal's fingerprint and answered 401."""
    case = _case(simulator, "ap-southeast-1-workspace", tmp_path)
    text = _node_project(case, "python")
    assert 'OPENAI_API_KEY="${DASHSCOPE_API_KEY}"' in text, text
    # Only what the python form says to set: DASHSCOPE_API_KEY.
    env = _node_env(case, simulator, sim_proxy, real_clients, {KEY_VAR: case.key})
    run = _run([str(real_clients.node), "index.js"], case, env)
    results = run.results()
    assert results[0] == {"parsed_is_literal": True, "env_is_literal": True}, run.output
    assert results[-1]["ok"] is False and results[-1]["status"] == 401, run.output
    calls = [r for r in simulator.requests if r.path.endswith(CHAT_PATHS["openai"])]
    assert len(calls) == 1 and calls[0].status == 401, _describe(simulator)
    assert calls[0].key_fingerprint == _fingerprint("${DASHSCOPE_API_KEY}"), _describe(simulator)
    assert_key_nowhere(run, case, case.key)


# ---- .env for Python: python-dotenv + the DashScope SDK ------------------------------------

# The user's script: the .env first (the 1.x API reads its variables at import), then the SDK.
DASHSCOPE_PRELUDE = """\
import json, os, warnings
from dotenv import load_dotenv

warnings.simplefilter("ignore")  # 2.x warns when no workspace is configured (shared host)
load_dotenv(".env", interpolate=True)
import dashscope

MODEL = os.environ["MODELSTUDIO_MODEL"]
MESSAGES = [{"role": "user", "content": "hi"}]


def report(**fields):
    print(json.dumps(fields), flush=True)


def generation_1x():
    r = dashscope.Generation.call(model=MODEL, messages=MESSAGES, result_format="message")
    report(api="1.x", status=r.status_code, code=r.code)


def client_2x(protocol, **options):
    try:
        with dashscope.Client(protocol=protocol, **options) as client:
            client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=5)
        report(api="2.x", protocol=protocol, ok=True)
    except Exception as exc:  # the test reports what the SDK raised
        report(api="2.x", protocol=protocol, ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
"""

WEBSOCKET_SCRIPT = """\
from dashscope.audio.tts import SpeechSynthesizer

generation_1x()
report(websocket=dashscope.base_websocket_api_url)
# A TTS call opens the websocket: its handshake shows where realtime/TTS/ASR traffic goes
# (the simulator speaks no websocket, so it answers the handshake 404).
SpeechSynthesizer.call(model="sambert-zhichu-v1", text="hi", sample_rate=48000)
"""

CLIENT_2X_SCRIPT = """\
generation_1x()
for protocol in ("native", "openai", "anthropic"):
    client_2x(protocol)
"""

# 2.x given each protocol's base explicitly, from the export's variables.
CLIENT_2X_EXPLICIT_SCRIPT = """\
generation_1x()
client_2x("native")
client_2x("openai", base_url=os.environ["DASHSCOPE_COMPATIBLE_BASE_URL"])
client_2x("anthropic", base_url=os.environ["ANTHROPIC_BASE_URL"])
"""


def _dashscope_run(
    case: Case, sim: Simulator, proxy: ConnectProxy, body: str
) -> tuple[Run, dict[str, str | None]]:
    """The python-form .env in the work dir, DASHSCOPE_API_KEY in the environment (as the
    export says), the user's script run; returns the run and the .env's own values."""
    text = export(case.profile, "dotenv")
    (case.work / ".env").write_text(text, encoding="utf-8")
    (case.work / "app.py").write_text(DASHSCOPE_PRELUDE + "\n" + body, encoding="utf-8")
    env = {
        **_base_env(case),
        # requests (HTTP) and httpx (2.x) through the proxy, trusting the test CA.
        **proxy_env(sim, proxy),
        # aiohttp (the websocket APIs) takes a wss:// URL's proxy from WSS_PROXY only.
        "WSS_PROXY": proxy.url_with_auth(),
        KEY_VAR: case.key,
    }
    run = _run([sys.executable, "app.py"], case, env)
    return run, dotenv_values(case.work / ".env", interpolate=False)


def _assert_native_calls(sim: Simulator, run: Run, case: Case, count: int) -> None:
    """The 1.x `Generation.call` answered 200, and `count` calls (1.x, and 2.x's native
    protocol) went to the profile's native host and path."""
    assert {"api": "1.x", "status": 200, "code": ""} in run.results(), run.output
    host, base = _split(case.profile.base_urls["dashscope"])
    assert_calls(
        sim,
        run,
        host=host,
        path=base + CHAT_PATHS["dashscope"],
        model=case.profile.model,
        key=case.key,
        count=count,
    )


@pytest.mark.parametrize("kind", list(PROFILES))
def test_dashscope_1x_api_and_websocket_url_from_the_python_dotenv(
    kind: str, simulator, sim_proxy, tmp_path: Path
) -> None:
    """The 1.x-style API: `Generation.call` reaches the profile's native host, and
    `dashscope.base_websocket_api_url` is the export's DASHSCOPE_WEBSOCKET_BASE_URL; a TTS
    call's websocket handshake really goes there, with the key (realtime, TTS and ASR use
    it; without the variable they would go to the Beijing default host)."""
    case = _case(simulator, kind, tmp_path)
    run, values = _dashscope_run(case, simulator, sim_proxy, WEBSOCKET_SCRIPT)
    assert run.returncode == 0, f"{run.output}\n{_describe(simulator)}"
    ws_url = values["DASHSCOPE_WEBSOCKET_BASE_URL"]
    assert ws_url, "the export sets no DASHSCOPE_WEBSOCKET_BASE_URL"
    assert {"websocket": ws_url} in run.results(), run.output
    _assert_native_calls(simulator, run, case, count=1)
    ws_host, ws_path = _split(ws_url)
    handshakes = [r for r in simulator.requests if r.method == "GET"]
    assert [(r.host, r.path) for r in handshakes] == [(ws_host, ws_path)], _describe(simulator)
    assert handshakes[0].key_fingerprint == _fingerprint(case.key), _describe(simulator)
    assert_key_nowhere(run, case, case.key)


@pytest.mark.parametrize("kind", ["ap-southeast-1-workspace", "cn-beijing-shared"])
def test_dashscope_1x_and_2x_apis_both_work_from_the_python_dotenv(
    kind: str, simulator, sim_proxy, tmp_path: Path
) -> None:
    """One .env serves both APIs of the DashScope SDK: the 1.x `Generation.call` and the 2.x
    `dashscope.Client(protocol=...)` for its native, openai and anthropic protocols, each on
    the profile's host at that protocol's path.

    2.x takes DASHSCOPE_BASE_URL, else DASHSCOPE_HTTP_BASE_URL (the 1.x name), as the base
    of every protocol (dashscope/v2/_config.py resolve_config), so a .env that sets
    DASHSCOPE_HTTP_BASE_URL sends `protocol="openai"` to `/api/v1/chat/completions` and
    `"anthropic"` to `/api/v1/v1/messages` (404). For these profiles the 1.x defaults
    (DASHSCOPE_API_REGION + DASHSCOPE_WORKSPACE_ID, dashscope/common/env.py) and the 2.x
    defaults (DASHSCOPE_REGION + DASHSCOPE_WORKSPACE) already name the profile's host, so
    the .env needs no base URL for either."""
    case = _case(simulator, kind, tmp_path)
    run, _ = _dashscope_run(case, simulator, sim_proxy, CLIENT_2X_SCRIPT)
    assert run.returncode == 0, f"{run.output}\n{_describe(simulator)}"
    failed = [r for r in run.results() if r.get("ok") is False]
    assert not failed, f"2.x calls failed: {failed}\nsimulator saw:\n{_describe(simulator)}"
    _assert_native_calls(simulator, run, case, count=2)  # 1.x and 2.x native
    for surface in ("openai", "anthropic"):
        host, base = _split(case.profile.base_urls[surface])
        assert_calls(
            simulator,
            run,
            host=host,
            path=base + CHAT_PATHS[surface],
            model=case.profile.model,
            key=case.key,
        )
    assert_key_nowhere(run, case, case.key)


def test_dashscope_2x_on_a_trial_host_takes_each_protocols_base_from_the_dotenv(
    simulator, sim_proxy, tmp_path: Path
) -> None:
    """A host that neither API builds from region and workspace (a trial host; the same
    holds for a Beijing workspace host and the non-Beijing shared hosts): 1.x needs
    DASHSCOPE_HTTP_BASE_URL, which 2.x then takes for every protocol. With the .env's
    other variables as each protocol's `base_url=`, 2.x reaches the profile's host on all
    three, and 1.x keeps working from the same .env."""
    case = _case(simulator, "ap-southeast-1-trial", tmp_path)
    run, _ = _dashscope_run(case, simulator, sim_proxy, CLIENT_2X_EXPLICIT_SCRIPT)
    assert run.returncode == 0, f"{run.output}\n{_describe(simulator)}"
    failed = [r for r in run.results() if r.get("ok") is False]
    assert not failed, f"2.x calls failed: {failed}\nsimulator saw:\n{_describe(simulator)}"
    _assert_native_calls(simulator, run, case, count=2)  # 1.x and 2.x native
    for surface in ("openai", "anthropic"):
        host, base = _split(case.profile.base_urls[surface])
        assert_calls(
            simulator,
            run,
            host=host,
            path=base + CHAT_PATHS[surface],
            model=case.profile.model,
            key=case.key,
        )
    assert_key_nowhere(run, case, case.key)


# ---- LiteLLM ---------------------------------------------------------------------------------

# The config loaded as the LiteLLM proxy loads it (litellm/proxy/proxy_server.py
# ProxyConfig.get_config: yaml.safe_load, then _check_for_os_environ_vars, which replaces
# every `os.environ/` string with litellm's `get_secret` of it), then litellm's Router and one
# completion per model_name of the file. ProxyConfig itself needs the `litellm[proxy]` extras
# (websockets, ...), so its walk is repeated here around litellm's own `get_secret`.
LITELLM_SCRIPT = """\
import json, sys
import yaml
import litellm
from litellm import get_secret


def resolve(value):
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, str) and value.startswith("os.environ/"):
        return get_secret(value)
    return value


with open(sys.argv[1], encoding="utf-8") as f:
    config = resolve(yaml.safe_load(f))
router = litellm.Router(model_list=config["model_list"])
for entry in config["model_list"]:
    name = entry["model_name"]
    try:
        r = router.completion(
            model=name, messages=[{"role": "user", "content": "hi"}], max_tokens=5
        )
        print(json.dumps({"model_name": name, "reply": r.choices[0].message.content}))
    except Exception as exc:
        print(json.dumps({"model_name": name, "error": f"{type(exc).__name__}: {exc}"[:300]}))
"""


@pytest.mark.parametrize("kind", ["ap-southeast-1-workspace", "cn-beijing-shared"])
def test_litellm_config_routes_each_reach_the_profiles_host(
    kind: str, simulator, sim_proxy, tmp_path: Path
) -> None:
    """Every route of the litellm export (`dashscope/<model>`, and `qwencloud/<model>`
    outside the Chinese mainland) completes through litellm's Router on the profile's
    OpenAI-compatible host, with the key from DASHSCOPE_API_KEY (`os.environ/`)."""
    case = _case(simulator, kind, tmp_path)
    text = export(case.profile, "litellm")
    config = case.work / "litellm_config.yaml"
    config.write_text(text, encoding="utf-8")
    model = case.profile.model
    routes = [e["litellm_params"]["model"] for e in yaml.safe_load(text)["model_list"]]
    expected = [f"dashscope/{model}"]
    if case.profile.region != "cn-beijing":
        expected.append(f"qwencloud/{model}")
    assert routes == expected, text
    (case.work / "run_router.py").write_text(LITELLM_SCRIPT, encoding="utf-8")
    env = {
        **_base_env(case),
        "HTTPS_PROXY": sim_proxy.url_with_auth(),
        "NO_PROXY": "",
        "SSL_CERT_FILE": str(simulator.ca_file),  # what litellm's httpx client trusts
        # Without it, importing litellm fetches its model price map from GitHub.
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        KEY_VAR: case.key,
    }
    run = _run([sys.executable, "run_router.py", str(config)], case, env)
    assert run.returncode == 0, f"{run.output}\n{_describe(simulator)}"
    replies = {r["model_name"]: r.get("reply", r.get("error")) for r in run.results()}
    names = [e["model_name"] for e in yaml.safe_load(text)["model_list"]]
    assert replies == dict.fromkeys(names, "pong"), f"{replies}\n{_describe(simulator)}"
    host, base = _split(case.profile.base_urls["openai"])
    assert_calls(
        simulator,
        run,
        host=host,
        path=base + CHAT_PATHS["openai"],
        model=model,
        key=case.key,
        count=len(routes),
    )
    assert {t.target for t in sim_proxy.tunnels} == {f"{host}:443"}, sim_proxy.tunnels
    assert_key_nowhere(run, case, case.key)
