"""What each real client reads: its variables, its files, and which source wins. Data only.

Doctor must see what the user's clients see (CLIENTS.md), so the facts live in one table
that the readers (app.clients.files, app.clients.extract) and the judge (app.clients.judge)
walk, instead of being spread over code paths. Every row names where the fact comes from:
a CLIENTS.md section or the client's own source file; a row we could not confirm in a
client's source says so (`verified=False`) and is still read, since a user may have set it.
"""

from __future__ import annotations

from app.core.record import Record

# The clients, with the name a message shows.
CLIENT_NAMES: dict[str, str] = {
    "openai-python": "OpenAI Python SDK",
    "anthropic-python": "Anthropic Python SDK",
    "dashscope": "DashScope SDK",
    "litellm": "LiteLLM",
    "claude-code": "Claude Code",
    "qwen-code": "Qwen Code",
    "opencode": "opencode",
    "codex": "Codex",
    "bailian-cli": "Bailian CLI (bl)",
}

# What a value is for. `expects` (base URLs) says which of the profile's URLs it must equal:
# openai / anthropic / dashscope (native) / dashscope_ws / litellm (LiteLLM derives every
# protocol from any standard base) / root (a base for every protocol: only the host is
# judged). `expects` of a model says which surface must serve it: openai / anthropic /
# responses (the Responses API, Codex).
KINDS = ("base_url", "key", "model", "region", "workspace", "proxy", "ca", "location")


class Var(Record):
    """One environment variable a client reads."""

    name: str
    kind: str
    clients: tuple[str, ...]
    source: str
    expects: str | None = None
    verified: bool = True


_PY = ("openai-python", "anthropic-python")
_NODE = ("claude-code", "qwen-code", "opencode")
_ALL = tuple(CLIENT_NAMES)

_VARS = (
    # DashScope SDK 1.x: dashscope/common/env.py and common/constants.py (2.0.2, uv.lock).
    Var("DASHSCOPE_API_KEY", "key", ("dashscope", "litellm", "bailian-cli"), "CLIENTS.md "
        "Python SDKs; dashscope/common/env.py; litellm/llms/dashscope/common_utils.py; "
        "modelstudioai/cli packages/core/src/config/loader.ts"),
    Var("DASHSCOPE_API_KEY_FILE_PATH", "location", ("dashscope",),
        "dashscope/common/api_key.py get_default_api_key (default ~/.dashscope/api_key)"),
    Var("DASHSCOPE_HTTP_BASE_URL", "base_url", ("dashscope",),
        "dashscope/common/env.py; v2/_config.py reads it as the legacy base", "dashscope"),
    Var("DASHSCOPE_WEBSOCKET_BASE_URL", "base_url", ("dashscope",),
        "dashscope/common/env.py; v2/_config.py _WS_BASE_URL_ENV", "dashscope_ws"),
    Var("DASHSCOPE_COMPATIBLE_BASE_URL", "base_url", ("dashscope",),
        "dashscope/common/env.py", "openai"),
    Var("DASHSCOPE_API_REGION", "region", ("dashscope",), "dashscope/common/env.py"),
    Var("DASHSCOPE_WORKSPACE_ID", "workspace", ("dashscope",), "dashscope/common/env.py"),
    # DashScope SDK 2.x (`dashscope.Client`): dashscope/v2/_config.py (2.0.2). CLIENTS.md
    # marks these unverified; the installed source confirms them.
    Var("DASHSCOPE_BASE_URL", "base_url", ("dashscope", "bailian-cli"),
        "dashscope/v2/_config.py _BASE_URL_ENV (the base of every protocol); "
        "modelstudioai/cli loader.ts selectApiKeyResolutionSources", "root"),
    Var("DASHSCOPE_REGION", "region", ("dashscope",), "dashscope/v2/_config.py _REGION_ENV"),
    Var("DASHSCOPE_WORKSPACE", "workspace", ("dashscope",),
        "dashscope/v2/_config.py _WORKSPACE_ENV"),
    Var("DASHSCOPE_CONFIG", "location", ("dashscope",),
        "dashscope/v2/_config.py _CONFIG_PATH_ENV (default ~/.dashscope/config.toml)"),
    # LiteLLM 1.110.2 (uv.lock): litellm/llms/dashscope/.
    Var("DASHSCOPE_API_BASE", "base_url", ("litellm",),
        "litellm/llms/dashscope/common_utils.py resolve_dashscope_*_api_base", "litellm"),
    Var("DASHSCOPE_ANTHROPIC_API_BASE", "base_url", ("litellm",),
        "CLIENTS.md LiteLLM; not in litellm 1.110.2's source", "anthropic", verified=False),
    Var("BAILIAN_API_KEY", "key", ("litellm",),
        "CLIENTS.md LiteLLM; not in litellm 1.110.2's source", verified=False),
    Var("QWENCLOUD_API_KEY", "key", ("litellm",), "litellm/llms/dashscope/qwencloud.py"),
    Var("QWENCLOUD_API_BASE", "base_url", ("litellm",),
        "litellm/llms/dashscope/qwencloud.py (default dashscope-intl)", "litellm"),
    Var("QWEN_AI_PLATFORM_API_KEY", "key", ("litellm",),
        "litellm/llms/dashscope/qwen_ai_platform.py"),
    Var("QWEN_AI_PLATFORM_API_BASE", "base_url", ("litellm",),
        "litellm/llms/dashscope/qwen_ai_platform.py", "openai"),
    # Bailian CLI `bl`: modelstudioai/cli packages/core/src/config/loader.ts, paths.ts.
    Var("BAILIAN_WORKSPACE_ID", "workspace", ("bailian-cli",), "modelstudioai/cli loader.ts"),
    Var("BAILIAN_CONFIG_DIR", "location", ("bailian-cli",), "modelstudioai/cli paths.ts"),
    # Qwen Code plan keys: CLIENTS.md Coding agents (docs users/configuration/auth.md).
    Var("BAILIAN_CODING_PLAN_API_KEY", "key", ("qwen-code",), "CLIENTS.md Qwen Code"),
    Var("BAILIAN_TOKEN_PLAN_API_KEY", "key", ("qwen-code",), "CLIENTS.md Qwen Code"),
    Var("QWEN_HOME", "location", ("qwen-code",),
        "QwenLM/qwen-code packages/cli/src/config/settings.ts getUserLevelEnvPaths"),
    # OpenAI: CLIENTS.md Python SDKs; Qwen Code env auto-detection; Codex's built-in
    # provider (openai/codex docs/config.md `model_provider`).
    Var("OPENAI_BASE_URL", "base_url", ("openai-python", "qwen-code", "codex"),
        "CLIENTS.md Python SDKs, Qwen Code; openai/codex docs/config.md", "openai"),
    Var("OPENAI_API_KEY", "key", ("openai-python", "qwen-code", "codex"),
        "CLIENTS.md Python SDKs, Qwen Code; openai/codex docs/config.md env_key"),
    Var("OPENAI_MODEL", "model", ("qwen-code",), "CLIENTS.md Qwen Code", "openai"),
    # Anthropic: CLIENTS.md Python SDKs and Claude Code (docs "Environment variables").
    Var("ANTHROPIC_BASE_URL", "base_url", ("anthropic-python", "claude-code"),
        "CLIENTS.md Python SDKs, Claude Code", "anthropic"),
    Var("ANTHROPIC_AUTH_TOKEN", "key", ("anthropic-python", "claude-code"),
        "CLIENTS.md Python SDKs, Claude Code"),
    Var("ANTHROPIC_API_KEY", "key", ("anthropic-python", "claude-code"),
        "CLIENTS.md Python SDKs, Claude Code"),
    *(
        Var(name, "model", ("claude-code",), "CLIENTS.md Claude Code", "anthropic")
        for name in (
            "ANTHROPIC_MODEL",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL",
            "ANTHROPIC_DEFAULT_SONNET_MODEL",
            "ANTHROPIC_DEFAULT_OPUS_MODEL",
            "CLAUDE_CODE_SUBAGENT_MODEL",
            "ANTHROPIC_SMALL_FAST_MODEL",
        )
    ),
    Var("CODEX_HOME", "location", ("codex",), "openai/codex docs/config.md"),
    Var("OPENCODE_CONFIG", "location", ("opencode",), "opencode docs (config: custom path)",
        verified=False),
    # Proxies and trust: CLIENTS.md "HTTP stacks".
    *(
        Var(name, "proxy", _ALL, "CLIENTS.md HTTP stacks")
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                     "all_proxy", "NO_PROXY", "no_proxy")
    ),
    Var("SSL_CERT_FILE", "ca", (*_PY, "litellm"), "CLIENTS.md HTTP stacks (httpx2 / httpx)"),
    Var("SSL_CERT_DIR", "ca", (*_PY, "litellm"), "CLIENTS.md HTTP stacks (httpx2 / httpx)"),
    Var("REQUESTS_CA_BUNDLE", "ca", ("dashscope",), "CLIENTS.md HTTP stacks (requests)"),
    Var("NODE_EXTRA_CA_CERTS", "ca", _NODE, "CLIENTS.md HTTP stacks (Node)"),
)  # fmt: skip
VARIABLES: dict[str, Var] = {v.name: v for v in _VARS}

# Variables whose value is a secret: shown masked only, never as is.
SECRET_KINDS = frozenset({"key"})


class FileSpec(Record):
    """One file a client reads. `layer` is its place in that client's precedence
    (PRECEDENCE); `format`: dotenv / jsonc / json / toml / keyfile / rc."""

    id: str
    shown: str
    format: str
    clients: tuple[str, ...]
    layer: str
    source: str


FILES: dict[str, FileSpec] = {
    f.id: f
    for f in (
        # Qwen Code (packages/cli/src/config/settings.ts findEnvFile): from the working
        # directory up to /, in each directory `.qwen/.env` then `.env`; in HOME
        # `$QWEN_HOME/.env` (default ~/.qwen/.env) then `~/.env`. The first one found is
        # loaded without overriding the shell environment.
        FileSpec("dotenv", ".qwen/.env, .env (cwd and its parents)", "dotenv",
                 ("qwen-code",), "qwen-dotenv", "qwen-code settings.ts findEnvFile"),
        FileSpec("dotenv-home", "~/.qwen/.env, ~/.env", "dotenv", ("qwen-code",),
                 "qwen-dotenv", "qwen-code settings.ts findEnvFile / getUserLevelEnvPaths"),
        # Qwen Code settings: user `~/.qwen/settings.json`, workspace `<cwd>/.qwen/
        # settings.json` (wins when the folder is trusted); `env` is the lowest layer.
        FileSpec("qwen-settings", "~/.qwen/settings.json", "jsonc", ("qwen-code",),
                 "qwen-settings", "CLIENTS.md Qwen Code; settings.ts loadEnvironment"),
        FileSpec("qwen-settings-project", ".qwen/settings.json", "jsonc", ("qwen-code",),
                 "qwen-settings-project", "qwen-code settings.ts loadSettings"),
        # Claude Code (CLIENTS.md; settings precedence local > project > user, and the
        # `env` block wins over the shell: anthropics/claude-code#8500).
        FileSpec("claude-local", ".claude/settings.local.json", "json", ("claude-code",),
                 "claude-local", "CLIENTS.md Claude Code"),
        FileSpec("claude-project", ".claude/settings.json", "json", ("claude-code",),
                 "claude-project", "CLIENTS.md Claude Code"),
        FileSpec("claude-user", "~/.claude/settings.json", "json", ("claude-code",),
                 "claude-user", "CLIENTS.md Claude Code"),
        # opencode (CLIENTS.md): project `opencode.json(c)` over the global one.
        FileSpec("opencode-project", "opencode.json (project)", "jsonc", ("opencode",),
                 "opencode-project", "CLIENTS.md opencode"),
        FileSpec("opencode-global", "~/.config/opencode/opencode.json", "jsonc", ("opencode",),
                 "opencode-global", "CLIENTS.md opencode"),
        # Codex (openai/codex docs/config.md): `$CODEX_HOME/config.toml`.
        FileSpec("codex", "~/.codex/config.toml", "toml", ("codex",), "codex",
                 "CLIENTS.md Codex; openai/codex docs/config.md"),
        # The official `bl` CLI keeps its key in plain text here (modelstudioai/cli
        # packages/core/src/config/paths.ts, loader.ts, schema.ts): top level = the default
        # profile, every other object member a named profile, `active_config` the one used.
        FileSpec("bailian", "~/.bailian/config.json", "json", ("bailian-cli",), "bailian",
                 "modelstudioai/cli packages/core/src/config/{paths,loader,schema}.ts"),
        # DashScope SDK: the 1.x key file (dashscope/common/api_key.py) and the 2.x config
        # file (dashscope/v2/_config.py: env > config.toml > key file).
        FileSpec("dashscope-key", "~/.dashscope/api_key", "keyfile", ("dashscope",),
                 "dashscope-key", "dashscope/common/api_key.py; v2/_config.py"),
        FileSpec("dashscope-config", "~/.dashscope/config.toml", "toml", ("dashscope",),
                 "dashscope-config", "dashscope/v2/_config.py _load_config_file"),
        # Shell start-up files: not read by any client, but they fill the environment of
        # every new shell; only `export VAR=...` (fish: `set -x` / `set -gx`) lines count.
        FileSpec("rc", "~/.bashrc, ~/.zshrc, ~/.profile, fish config", "rc", (), "rc",
                 "CLIENTS.md Files in a project (an old key in ~/.bashrc)"),
    )
}  # fmt: skip

RC_FILES = (
    ".bashrc",
    ".bash_profile",
    ".zshrc",
    ".zshenv",
    ".profile",
    ".config/fish/config.fish",
)

# Which source wins, per client: the first layer holding a variable is what the client
# uses. "environment" is the shell environment doctor runs in.
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "openai-python": ("environment",),
    "anthropic-python": ("environment",),
    "dashscope": ("environment", "dashscope-config", "dashscope-key"),
    # litellm/_process_defaults.py: `dotenv.load_dotenv()` at import (LITELLM_MODE=DEV, the
    # default), without override; it starts from litellm's own folder, which is the
    # project's for a project virtualenv: the project `.env` is counted.
    "litellm": ("environment", "litellm-dotenv"),
    "claude-code": ("claude-local", "claude-project", "claude-user", "environment"),
    "qwen-code": ("environment", "qwen-dotenv", "qwen-settings-project", "qwen-settings"),
    "opencode": ("opencode-project", "opencode-global", "environment"),
    "codex": ("environment", "codex"),
    "bailian-cli": ("environment", "bailian"),
}

# Claude Code's aliases resolve to Claude model ids that Model Studio does not serve unless
# these are set (CLIENTS.md Claude Code; the Explore subagent asks for `haiku`).
CLAUDE_SMALL_VARS = ("ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_SMALL_FAST_MODEL")
# Qwen Code's env auto-detection needs all three (CLIENTS.md Qwen Code).
QWEN_AUTODETECT_VARS = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL")
# Both set: Claude Code warns of an auth conflict (CLIENTS.md, claude-code#67861).
CLAUDE_AUTH_VARS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")


def clients_of(name: str) -> tuple[str, ...]:
    """The clients that read variable `name` (none for a variable not in the table)."""
    var = VARIABLES.get(name)
    return var.clients if var is not None else ()
