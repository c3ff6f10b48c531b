"""The coding-agent exports work in the REAL clients: Claude Code, Qwen Code, opencode and Codex
from npm (pinned in tests/e2e/clients/), each given nothing but the file our export writes and
the key variable the export names, complete one request against the simulator on the
production host names over real TLS (through its CONNECT proxy). The simulator's records then
say what a user's client really sent: host, path, model, key header.

Here: fresh files in each client's own places (the user file, Claude Code's project-local
file), Claude Code's onboarding skipped (run in a terminal: `claude -p` never shows it), and
Coding Plan / Token Plan profiles on their plan hosts, written by the CLI as a user runs it.
Merging into files the user already has: tests/e2e/test_real_clients_merge.py.

The key must not end up anywhere the export did not put it: every file the client wrote in
its private HOME (settings it migrated, logs, transcripts, caches) and its output are searched
for it. How the clients are installed and isolated: tests/fixtures/real_clients.py and
docs/testing.md.
"""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
import time
from pathlib import Path

import pytest
import tomlkit

from app.config.validate import make_profile
from app.export.formats import export
from app.secrets.stores import KeyRef
from app.simulator.accounts import anthropic_models
from app.simulator.models import PLAN_MODELS
from tests.fixtures.real_clients import (
    KEY_VAR,
    ClientSandbox,
    RealClients,
    assert_key_only_in,
    assert_reached,
    client_env,
    describe,
    export_ok,
    fingerprint,
    host_of,
    run_client,
    run_export,
    save_profile,
    workspace_profile,
    write_file,
)
from tests.fixtures.tmux import Tmux

ACCOUNT = "ap-southeast-1"
ANTHROPIC_MESSAGES = "/apps/anthropic/v1/messages"
# The model the codex export picks for this profile (its own, qwen-flash, is not served by
# the Responses API: CLIENTS.md "qwen3.5-plus, qwen3-max and newer").
CODEX_MODEL = "qwen3.7-plus"


@pytest.fixture
def profile(simulator):
    """A workspace-host profile whose key lives in the environment (store `env`)."""
    return workspace_profile(simulator, ACCOUNT)


@pytest.fixture
def key(simulator) -> str:
    return simulator.key(ACCOUNT)


# ---- Claude Code ------------------------------------------------------------------------------


def _claude_setup(sandbox: ClientSandbox, profile, include_key: bool = False, key=None) -> Path:
    """The claude-code export in <HOME>/.claude/settings.json, and what its apiKeyHelper
    (`modelstudio-setup key get --profile default`) needs: this tool on PATH and the
    profile in the tool's default config file of the private HOME."""
    settings = write_file(
        sandbox.home / ".claude" / "settings.json",
        export(profile, "claude-code", key, include_key),
    )
    save_profile(sandbox, profile)
    return settings


def test_claude_code_runs_with_the_exported_settings(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`claude -p` with only the exported settings.json: the key comes from apiKeyHelper
    (this tool's `key get`, reading the env store), the model from ANTHROPIC_MODEL."""
    settings = _claude_setup(sandbox, profile)
    exported = json.loads(settings.read_text(encoding="utf-8"))
    env = client_env("claude", sandbox, simulator, sim_proxy, real_clients, {KEY_VAR: key})
    run = run_client("claude", ["-p", "hi"], sandbox, env, real_clients)
    calls = assert_reached(
        simulator,
        run,
        host=host_of(profile.base_urls["anthropic"]),
        path="/apps/anthropic/v1/messages",
        model=exported["env"]["ANTHROPIC_MODEL"],
        key=key,
    )
    # apiKeyHelper's output goes out as both headers (CLIENTS.md); a stream was asked for.
    assert all(c.key_headers == ("authorization", "x-api-key") for c in calls), describe(calls)
    assert all(c.stream for c in calls), describe(calls)
    assert_key_only_in(key, run)


def test_claude_code_haiku_alias_resolves_to_a_served_model(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """The built-in Explore subagent asks for `haiku`: with the exported settings that alias
    must name a model the Anthropic surface serves, not a Claude model id (404 there)."""
    _claude_setup(sandbox, profile)
    env = client_env("claude", sandbox, simulator, sim_proxy, real_clients, {KEY_VAR: key})
    run = run_client("claude", ["-p", "--model", "haiku", "hi"], sandbox, env, real_clients)
    calls = [r for r in simulator.requests if r.path == "/apps/anthropic/v1/messages"]
    served = set(anthropic_models(simulator.accounts[ACCOUNT]))
    sent = {c.model for c in calls}
    assert calls and sent <= served, (
        f"`haiku` became {sorted(map(str, sent))}, served: {sorted(served)}\n"
        f"{describe(calls)}\n{run.output}"
    )
    assert run.returncode == 0 and "pong" in run.stdout, run.output


def test_claude_code_settings_with_the_key_keep_it_there_only(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`--include-key` puts ANTHROPIC_AUTH_TOKEN in settings.json: Claude Code sends it as a
    Bearer token and copies it into none of its own files."""
    from app.secrets.key import ApiKey  # only this test holds a key object

    settings = _claude_setup(sandbox, profile, include_key=True, key=ApiKey(key))
    env = client_env("claude", sandbox, simulator, sim_proxy, real_clients)
    run = run_client("claude", ["-p", "hi"], sandbox, env, real_clients)
    exported = json.loads(settings.read_text(encoding="utf-8"))
    calls = assert_reached(
        simulator,
        run,
        host=host_of(profile.base_urls["anthropic"]),
        path="/apps/anthropic/v1/messages",
        model=exported["env"]["ANTHROPIC_MODEL"],
        key=key,
    )
    assert all(c.auth_scheme == "bearer" for c in calls), describe(calls)
    assert_key_only_in(key, run, allowed={settings})


def test_claude_code_project_local_settings_are_read(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`export --output .claude/settings.local.json` run in a project (cwd): Claude Code,
    started in that project with no user settings file, uses it."""
    save_profile(sandbox, profile)
    project = sandbox.work
    exported = export_ok(
        sandbox, "claude-code", "--output", ".claude/settings.local.json", cwd=project
    )
    assert "This is the project-local file." in exported.stderr, exported.output
    local = project / ".claude" / "settings.local.json"
    data = json.loads(local.read_text(encoding="utf-8"))
    assert not (sandbox.home / ".claude" / "settings.json").exists()
    env = client_env("claude", sandbox, simulator, sim_proxy, real_clients, {KEY_VAR: key})
    run = run_client("claude", ["-p", "hi"], sandbox, env, real_clients)
    host = host_of(profile.base_urls["anthropic"])
    model = data["env"]["ANTHROPIC_MODEL"]
    assert_reached(simulator, run, host=host, path=ANTHROPIC_MESSAGES, model=model, key=key)
    assert_key_only_in(key, exported, run)


def _interactive_claude(sandbox: ClientSandbox, env: dict[str, str], clients: RealClients) -> Tmux:
    """Claude Code started in a terminal (tmux) in the work dir, as a user starts it."""
    tty = {**env, "TERM": "xterm-256color"}
    tty.pop("CI")  # a person's terminal
    tmux = Tmux(tty)
    command = f"cd {shlex.quote(str(sandbox.work))} && exec {shlex.join(clients.command('claude'))}"
    tmux.start(["sh", "-c", command])
    return tmux


def _quit(tmux: Tmux) -> None:
    """Ctrl-C until Claude Code has exited (it asks for a second one), then the server.
    A Ctrl-C reaches the whole foreground group, the wrapper shell too, so the session may
    end with Claude Code: a pane that is gone has nothing left to quit."""
    deadline = time.monotonic() + 10
    try:
        while not tmux.exit_status() and time.monotonic() < deadline:
            tmux.keys("C-c")
            time.sleep(0.3)
    except subprocess.CalledProcessError:
        pass  # tmux: "can't find session" - the session ended with its program
    tmux.kill()


ONBOARDING = "Choose the text style"
TRUST = "Yes, I trust this folder"


def test_claude_code_skip_onboarding_starts_without_the_onboarding_screens(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`claude -p` never shows onboarding, so this runs Claude Code in a terminal. Exported
    without --skip-onboarding it opens its onboarding (the theme screen); after `export
    --skip-onboarding` (merged into the ~/.claude.json Claude Code wrote, its other fields
    kept) it opens on the folder-trust question, and a prompt typed then is answered."""
    save_profile(sandbox, profile)
    settings = sandbox.home / ".claude" / "settings.json"
    first = export_ok(sandbox, "claude-code", "--output", str(settings))
    env = client_env("claude", sandbox, simulator, sim_proxy, real_clients, {KEY_VAR: key})
    tmux = _interactive_claude(sandbox, env, real_clients)
    try:
        screens = [tmux.wait_for(lambda s: ONBOARDING in s, "Claude Code's onboarding", 30)]
    finally:
        _quit(tmux)
    state = sandbox.home / ".claude.json"
    written = json.loads(state.read_text(encoding="utf-8"))  # Claude Code's own state file
    assert "hasCompletedOnboarding" not in written

    second = export_ok(sandbox, "claude-code", "--output", str(settings), "--skip-onboarding")
    assert "Set hasCompletedOnboarding" in second.stderr, second.output
    assert json.loads(state.read_text(encoding="utf-8")) == {
        **written,
        "hasCompletedOnboarding": True,
    }
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    tmux = _interactive_claude(sandbox, env, real_clients)
    try:
        screen = tmux.wait_for(lambda s: TRUST in s or ONBOARDING in s, "Claude Code's start", 30)
        assert ONBOARDING not in screen, screen
        for _ in range(10):  # to the answer a user gives, then Enter
            if f"❯ {TRUST}" in tmux.screen():
                break
            tmux.keys("Down")
            time.sleep(0.3)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: TRUST not in s and "\n❯" in s, "Claude Code's prompt", 30)
        time.sleep(0.5)
        tmux.keys("-l", "hi")
        time.sleep(0.3)
        tmux.keys("Enter")
        tmux.wait_for(lambda s: "pong" in s, "the simulator's answer on screen", 30)
        screens.append(tmux.screen(history=True))
    finally:
        _quit(tmux)
    assert not any(key in screen for screen in screens), "Claude Code showed the key"
    calls = [r for r in simulator.requests if r.path == ANTHROPIC_MESSAGES]
    model = json.loads(settings.read_text(encoding="utf-8"))["env"]["ANTHROPIC_MODEL"]
    context = describe(simulator.requests)
    assert calls and all(c.status == 200 and c.model == model for c in calls), context
    assert {r.host for r in simulator.requests} == {host_of(profile.base_urls["anthropic"])}
    assert all(c.key_fingerprint == fingerprint(key) for c in calls), context
    assert_key_only_in(key, first, second)


# ---- Qwen Code --------------------------------------------------------------------------------


def test_qwen_code_runs_with_the_exported_settings(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`qwen -p` with only the exported ~/.qwen/settings.json and the key in the variable its
    `envKey` names: the Model Studio provider must be the one selected."""
    settings = write_file(sandbox.home / ".qwen" / "settings.json", export(profile, "qwen-code"))
    env = client_env(
        "qwen", sandbox, simulator, sim_proxy, real_clients, {profile.api_key.env: key}
    )
    run = run_client("qwen", ["-p", "hi"], sandbox, env, real_clients)
    calls = assert_reached(
        simulator,
        run,
        host=host_of(profile.base_urls["openai"]),
        path="/compatible-mode/v1/chat/completions",
        model=profile.model,
        key=key,
    )
    assert all(c.auth_scheme == "bearer" and c.stream for c in calls), describe(calls)
    # Qwen Code rewrites the file it read (it migrates it to its settings version): the
    # provider must survive that, or the next run (and the next export's merge) loses it.
    # (Read as text: the file may hold comments, which Qwen Code keeps.)
    after = settings.read_text(encoding="utf-8")
    assert '"modelProviders"' in after and f'"{profile.base_urls["openai"]}"' in after, after
    assert_key_only_in(key, run)


# ---- opencode ---------------------------------------------------------------------------------


def test_opencode_runs_with_the_exported_config(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`opencode run` with only ~/.config/opencode/opencode.json and the key variable."""
    write_file(sandbox.xdg_config / "opencode" / "opencode.json", export(profile, "opencode"))
    env = client_env(
        "opencode", sandbox, simulator, sim_proxy, real_clients, {profile.api_key.env: key}
    )
    run = run_client("opencode", ["run", "hi"], sandbox, env, real_clients)
    calls = assert_reached(
        simulator,
        run,
        host=host_of(profile.base_urls["openai"]),
        path="/compatible-mode/v1/chat/completions",
        model=profile.model,
        key=key,
    )
    assert all(c.auth_scheme == "bearer" and c.stream for c in calls), describe(calls)
    assert_key_only_in(key, run)


# ---- Codex ------------------------------------------------------------------------------------


def _codex_config(profile, model: str | None = None) -> str:
    """The codex export; `model` replaces the model it chose (what another choice gets)."""
    text = export(profile, "codex")
    if model is None:
        return text
    doc = tomlkit.parse(text)
    doc["model"] = model
    return tomlkit.dumps(doc)


def test_codex_runs_with_the_exported_config(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """`codex exec` with only $CODEX_HOME/config.toml and the key variable: it speaks the
    Responses API, which Model Studio serves for newer models only."""
    text = _codex_config(profile)
    assert f'model = "{CODEX_MODEL}"' in text, text  # the export chose a Responses model
    write_file(sandbox.home / ".codex" / "config.toml", text)
    env = client_env(
        "codex", sandbox, simulator, sim_proxy, real_clients, {profile.api_key.env: key}
    )
    # Not a git repository: without the flag Codex refuses to start in it.
    args = ["exec", "--skip-git-repo-check", "hi"]
    run = run_client("codex", args, sandbox, env, real_clients)
    calls = assert_reached(
        simulator,
        run,
        host=host_of(profile.base_urls["openai"]),
        path="/compatible-mode/v1/responses",
        model=CODEX_MODEL,
        key=key,
    )
    assert all(c.auth_scheme == "bearer" and c.stream for c in calls), describe(calls)
    assert_key_only_in(key, run)


def test_codex_with_a_model_the_responses_api_does_not_serve_fails_visibly(
    real_clients: RealClients, simulator, sim_proxy, sandbox, profile, key
) -> None:
    """What a Codex export with an older model (qwen-flash, served on chat completions) gets:
    Model Studio's model_not_found, shown by Codex, and a failed exit, not a silent success."""
    write_file(sandbox.home / ".codex" / "config.toml", _codex_config(profile, "qwen-flash"))
    env = client_env(
        "codex", sandbox, simulator, sim_proxy, real_clients, {profile.api_key.env: key}
    )
    run = run_client("codex", ["exec", "--skip-git-repo-check", "hi"], sandbox, env, real_clients)
    calls = [r for r in simulator.requests if r.path == "/compatible-mode/v1/responses"]
    assert calls and all(c.status == 404 for c in calls), describe(calls)
    assert run.returncode != 0, run.output
    assert "does not exist or you do not have access" in run.stdout + run.stderr, run.output


# ---- Plan profiles ----------------------------------------------------------------------------

# Each plan: the simulator account holding its key, the profile's plan fields, its host, and
# the prefix of its OpenAI-compatible surface there (app/simulator/plans.py, MODEL_STUDIO.md
# section 2: Coding Plan's is /v1, Token Plan's /compatible-mode/v1; Anthropic's is
# /apps/anthropic on both). Spelt out here rather than taken from the product's URLs.
PLANS = {
    "coding": (
        "coding-cn",
        {"region": "cn-beijing", "plan": "coding"},
        "coding.dashscope.aliyuncs.com",
        "/v1",
    ),
    "token": (
        "token-sg",
        {"region": "ap-southeast-1", "plan": "token", "plan_edition": "personal"},
        "token-plan.ap-southeast-1.maas.aliyuncs.com",
        "/compatible-mode/v1",
    ),
}
# Each client: its export format, the file that format goes to (under HOME: each client's
# user file), the one request, and the endpoint it calls below its surface's prefix.
AGENTS = {
    "claude": ("claude-code", ".claude/settings.json", ["-p", "hi"], "/v1/messages"),
    "qwen": ("qwen-code", ".qwen/settings.json", ["-p", "hi"], "/chat/completions"),
    "opencode": ("opencode", ".config/opencode/opencode.json", ["run", "hi"], "/chat/completions"),
    "codex": ("codex", ".codex/config.toml", ["exec", "--skip-git-repo-check", "hi"], "/responses"),
}


def _exported_model(client: str, path: Path) -> str:
    """The model the written file makes the client ask for."""
    text = path.read_text(encoding="utf-8")
    if client == "codex":
        return str(tomlkit.parse(text)["model"])
    data = json.loads(text)
    if client == "claude":
        return str(data["env"]["ANTHROPIC_MODEL"])
    if client == "qwen":
        return str(data["model"]["name"])
    return str(data["model"]).split("/", 1)[1]  # opencode: provider/model


@pytest.mark.parametrize("client", list(AGENTS))
@pytest.mark.parametrize("plan", list(PLANS))
def test_a_plan_profile_reaches_the_plan_host_on_its_own_paths(
    plan: str, client: str, real_clients: RealClients, simulator, sim_proxy, sandbox
) -> None:
    """A Coding Plan / Token Plan profile exported by the CLI (`export --format F --output
    <the client's user file>`): the client calls the plan's host on the plan's paths with
    the plan key and a model the plan serves. Codex: the simulator serves the Responses API
    on plan hosts; the real service's answer there is unverified, which the export says."""
    account, fields, host, openai_prefix = PLANS[plan]
    key = simulator.key(account)
    made, _ = make_profile(
        "default", endpoint_style="plan", api_key=KeyRef("env", KEY_VAR), **fields
    )
    save_profile(sandbox, made)
    fmt, rel, args, endpoint = AGENTS[client]
    target = sandbox.home / rel
    exported = run_export(sandbox, fmt, "--output", str(target))
    assert exported.returncode == 0, exported.output
    assert "suspended" not in exported.stderr  # an interactive coding tool: no script warning
    if client == "codex":
        assert f"whether the plan host {host} serves it is not confirmed" in exported.stderr
    model = _exported_model(client, target)
    prefix = "/apps/anthropic" if client == "claude" else openai_prefix
    env = client_env(client, sandbox, simulator, sim_proxy, real_clients, {KEY_VAR: key})
    run = run_client(client, args, sandbox, env, real_clients)
    calls = assert_reached(simulator, run, host=host, path=prefix + endpoint, model=model, key=key)
    assert model in PLAN_MODELS[simulator.accounts[account].plan], model
    if client == "claude":  # apiKeyHelper's output goes out as both headers
        assert all(c.key_headers == ("authorization", "x-api-key") for c in calls), describe(calls)
    else:
        assert all(c.auth_scheme == "bearer" for c in calls), describe(calls)
    assert_key_only_in(key, exported, run)
