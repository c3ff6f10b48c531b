"""The coding agents' and LiteLLM's settings, as the data their files hold (the caller
serialises them: JSON for Claude Code, Qwen Code and opencode, TOML for Codex, YAML for
LiteLLM). What each client reads is CLIENTS.md's, checked by running the client itself
(tests/e2e/test_real_clients.py).

The key is referenced: Claude Code runs `apiKeyHelper` (the `key get` command), the others
name the variable that holds it (Qwen Code's `envKey`, opencode's `{env:VAR}`, Codex's
`env_key`, LiteLLM's `os.environ/VAR`). Only on request is it written in (`key` not None).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.clients.variables import anthropic_model, responses_model, small_model
from app.export.header import key_command_line

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.core.catalog import Catalog
    from app.secrets.key import ApiKey

# Claude Code's model variables (docs "Environment variables", 2.1.x): the main model, the
# three aliases' targets (`opus`, `sonnet`, `haiku`: unset, they name Claude models that
# Model Studio does not serve, and the built-in Explore subagent asks for `haiku`), the
# subagents' model and the deprecated small/fast one (still read). An export sets them all
# or, when the surface serves nothing for the profile, none.
CLAUDE_MODEL_VARS = (
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "CLAUDE_CODE_SUBAGENT_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
)


def provider_id(profile: Profile) -> str:
    """The id of this profile's provider entry in opencode / Codex / Qwen Code: one per
    profile, so a re-export replaces its own entry and two profiles live side by side."""
    return "modelstudio" if profile.name == "default" else f"modelstudio-{profile.name}"


# The name an export gives its provider entries (provider_name, qwen_code_entry).
_OUR_NAME = re.compile(r"Model Studio (?:\S+ )?\(.+, .+\)")


def ours(name: object) -> bool:
    """Whether a provider entry's name is one this tool gives its entries (a merge replaces
    those without asking; another entry of the same id is the user's)."""
    return isinstance(name, str) and _OUR_NAME.fullmatch(name) is not None


def provider_name(profile: Profile) -> str:
    """The entry's display name: which account and region it talks to."""
    return f"Model Studio ({profile.name}, {profile.region})"


def claude_code(
    profile: Profile,
    key: ApiKey | None,
    config: str | None,
    catalog: Catalog,
    *,
    for_ci: bool = False,
    committed: bool = False,
) -> dict[str, object]:
    """Claude Code's settings.json: the `env` block and, when the key stays in its store,
    `apiKeyHelper` (Claude Code runs it and sends its output as the token).

    `committed`: the project's `.claude/settings.json`, which goes into the repository: no
    key (refused before this), and a helper without `--config` (an absolute path of this
    machine): each teammate's own default config answers it.
    """
    env: dict[str, str] = {"ANTHROPIC_BASE_URL": profile.base_urls["anthropic"]}
    main = anthropic_model(profile, catalog)
    small = small_model(profile, catalog)
    if main is not None and small is not None:
        env["ANTHROPIC_MODEL"] = main
        env["ANTHROPIC_DEFAULT_OPUS_MODEL"] = main
        env["ANTHROPIC_DEFAULT_SONNET_MODEL"] = main
        env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = small
        env["CLAUDE_CODE_SUBAGENT_MODEL"] = main
        env["ANTHROPIC_SMALL_FAST_MODEL"] = small
    settings: dict[str, object] = {"env": env}
    if key is not None:
        env["ANTHROPIC_AUTH_TOKEN"] = key.reveal()
    elif not for_ci:  # in CI, Claude Code reads ANTHROPIC_AUTH_TOKEN from the job's secrets
        settings["apiKeyHelper"] = key_command_line(profile, None if committed else config)
    return settings


def qwen_code_entry(profile: Profile) -> dict[str, str]:
    """One model entry of `modelProviders.openai` (app.export.qwen_settings places it in
    the layout the user's file has). `id` is the model Qwen Code sends, `envKey` the name of
    the variable holding the key (Qwen Code reads the shell, then its .env files)."""
    return {
        "id": profile.model,
        "name": f"Model Studio {profile.model} ({profile.name}, {profile.region})",
        "baseUrl": profile.base_urls["openai"],
        "envKey": profile.api_key.env,
    }


# The settings version Qwen Code 0.24 writes (SETTINGS_VERSION in packages/cli/src/config/
# settings.ts): a file without it, or older, is migrated and rewritten on start.
QWEN_SETTINGS_VERSION = 4


def qwen_code(profile: Profile) -> dict[str, object]:
    """Qwen Code's settings.json: the entry, and the settings that select it. Without
    `security.auth.selectedType` and `model.name` Qwen Code never uses the entry (its own
    Model Studio installer writes both); `model.baseUrl` picks this entry when another one
    has the same model id (its registry key is id + baseUrl)."""
    entry = qwen_code_entry(profile)
    return {
        "$version": QWEN_SETTINGS_VERSION,
        "modelProviders": {"openai": [entry]},
        "security": {"auth": {"selectedType": "openai"}},
        "model": {"name": entry["id"], "baseUrl": entry["baseUrl"]},
    }


def opencode(profile: Profile, key: ApiKey | None) -> dict[str, object]:
    """opencode.json: an `@ai-sdk/openai-compatible` provider for this profile, its model,
    and that model as the default (`provider/model`)."""
    pid = provider_id(profile)
    api_key = key.reveal() if key is not None else "{env:" + profile.api_key.env + "}"
    return {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            pid: {
                "npm": "@ai-sdk/openai-compatible",
                "name": provider_name(profile),
                "options": {"baseURL": profile.base_urls["openai"], "apiKey": api_key},
                "models": {profile.model: {"name": profile.model}},
            }
        },
        "model": f"{pid}/{profile.model}",
    }


def codex(profile: Profile, catalog: Catalog) -> dict[str, object]:
    """Codex's config.toml: the provider table and the two top-level keys that select it.

    Codex speaks only the Responses API (`wire_api = "responses"`; recent releases refuse
    "chat"), which Model Studio serves for a few models: the model is one of those.
    """
    pid = provider_id(profile)
    return {
        "model": responses_model(profile, catalog),
        "model_provider": pid,
        "model_providers": {
            pid: {
                "name": provider_name(profile),
                "base_url": profile.base_urls["openai"],
                "env_key": profile.api_key.env,
                "wire_api": "responses",
            }
        },
    }


def litellm(profile: Profile, key: ApiKey | None) -> dict[str, object]:
    """LiteLLM's proxy config: the `dashscope/` route with an explicit `api_base` (its
    default host changed between versions, CLIENTS.md), and outside the Chinese mainland
    also the newer `qwencloud/` route (LiteLLM >= 1.101.0; its default host is the
    international one, so it too gets the profile's base). A plan host is not mapped by
    LiteLLM: only the explicit base makes it work."""
    api_key = key.reveal() if key is not None else f"os.environ/{profile.api_key.env}"
    routes = ["dashscope"]
    if profile.region != "cn-beijing" and profile.plan is None:
        routes.append("qwencloud")
    return {
        "model_list": [
            {
                "model_name": profile.model if route == "dashscope" else f"{route}/{profile.model}",
                "litellm_params": {
                    "model": f"{route}/{profile.model}",
                    "api_base": profile.base_urls["openai"],
                    "api_key": api_key,
                },
            }
            for route in routes
        ]
    }
