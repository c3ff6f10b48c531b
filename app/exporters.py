"""Profile -> text for each client a developer may use (SDKs, shells, coding agents).

Exported files end up in repositories, screenshots and chat messages, so by default they
REFERENCE the key (an environment variable, or a `key get` command substitution) and never
copy it (SECURITY.md T10). Every value is checked for control characters and quoted for its
target syntax (T13). These are pure functions so the wizard can preview them.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from app.catalog import Catalog, load_catalog
from app.errors import UserError

if TYPE_CHECKING:
    from app.profiles import Profile
    from app.secrets import ApiKey

KEY_COMMAND = "modelstudio-setup"
DASHSCOPE_ENV = "DASHSCOPE_API_KEY"


@dataclass(frozen=True)
class Format:
    """An export target: its id, a suggested file name and whether it can hold a key."""

    id: str
    suggested_name: str
    can_hold_key: bool
    kind: str  # text | json | yaml | python | shell


FORMATS: dict[str, Format] = {
    f.id: f
    for f in (
        Format("yaml", "modelstudio-profile.yaml", False, "yaml"),
        Format("dotenv", ".env", True, "text"),
        Format("sh", "modelstudio.sh", True, "shell"),
        Format("fish", "modelstudio.fish", True, "shell"),
        Format("powershell", "modelstudio.ps1", True, "shell"),
        Format("openai-python", "modelstudio_openai.py", True, "python"),
        Format("anthropic-python", "modelstudio_anthropic.py", True, "python"),
        Format("dashscope-python", "modelstudio_dashscope.py", True, "python"),
        Format("claude-code", "settings.json", True, "json"),
        Format("qwen-code", "settings.json", False, "json"),
        Format("litellm", "litellm_config.yaml", True, "yaml"),
    )
}
SHELLS = ("sh", "fish", "powershell")


class ExportError(UserError):
    """The export cannot be produced as asked (unknown format, unsafe value, ...)."""


def _clean(value: str, what: str) -> str:
    """Refuse control characters: a newline in a value would inject a line (T13)."""
    for ch in value:
        if ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0:
            raise ExportError("exporters.control_char", what=what, code=f"U+{ord(ch):04X}")
    return value


def anthropic_model(profile: Profile, catalog: Catalog | None = None) -> str:
    """A model the Anthropic surface accepts, preferring the profile's and its scope's."""
    catalog = catalog or load_catalog()
    accepted = catalog.anthropic_models
    if profile.model in accepted:
        return profile.model
    for model in catalog.ping_models(profile.scope):
        if model in accepted:
            return model
    return profile.model


def references_key_command(profile: Profile, fmt: str, include_key: bool) -> bool:
    """True when the export runs `modelstudio-setup key get` to fetch the key."""
    if include_key:
        return False
    if fmt == "claude-code":
        return True
    return fmt in SHELLS and profile.api_key.store != "env"


def key_command_missing() -> bool:
    """True when `modelstudio-setup` is not on PATH (run via `uv run` or `python -m app`).

    The export keeps the bare command name on purpose: an absolute path into a project's
    .venv would break when the venv is rebuilt or the file is shared, and would put a local
    path into committed settings. The user is told instead how to make the name resolve.
    """
    import shutil

    return shutil.which(KEY_COMMAND) is None


def _key_command(profile: Profile, config: str | None) -> list[str]:
    cmd = [KEY_COMMAND, "key", "get", "--profile", profile.name]
    if config:
        cmd += ["--config", config]
    return cmd


def _env_pairs(profile: Profile, catalog: Catalog) -> list[tuple[str, str]]:
    """Every non-secret variable the clients of MODEL_STUDIO.md section 8 read."""
    urls = profile.base_urls
    pairs = [
        ("DASHSCOPE_HTTP_BASE_URL", urls["dashscope"]),
        ("DASHSCOPE_BASE_URL", urls["dashscope"]),
        ("DASHSCOPE_REGION", profile.region),
    ]
    if profile.workspace_id:
        pairs += [
            ("DASHSCOPE_WORKSPACE_ID", profile.workspace_id),
            ("DASHSCOPE_WORKSPACE", profile.workspace_id),
        ]
    pairs += [
        ("DASHSCOPE_API_BASE", urls["openai"]),
        ("OPENAI_BASE_URL", urls["openai"]),
        ("ANTHROPIC_BASE_URL", urls["anthropic"]),
        ("ANTHROPIC_MODEL", anthropic_model(profile, catalog)),
        ("MODELSTUDIO_MODEL", profile.model),
    ]
    return pairs


def _key_vars(profile: Profile) -> list[str]:
    """The variables that carry the key, the profile's own variable first."""
    names = [profile.api_key.env]
    for name in (DASHSCOPE_ENV, "OPENAI_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        if name not in names:
            names.append(name)
    return names


def _header(profile: Profile, comment: str, include_key: bool) -> list[str]:
    where = profile.workspace_id or "shared host"
    lines = [
        f"{comment} Model Studio profile '{profile.name}': {profile.region}, scope "
        f"{profile.scope}, {where}",
        f"{comment} Written by modelstudio-setup export.",
    ]
    if include_key:
        lines.append(
            f"{comment} WARNING: this file contains the API key. Do not commit or share it."
        )
    else:
        lines.append(f"{comment} The API key is not in this file; it is referenced.")
    return lines


def _dotenv_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dotenv(profile: Profile, key: ApiKey | None, include_key: bool, catalog: Catalog) -> str:
    lines = _header(profile, "#", include_key)
    own = profile.api_key.env
    if not include_key:
        lines.append(f'# Set {own} in your environment, e.g. eval "$(modelstudio-setup env)".')
    for name, value in _env_pairs(profile, catalog):
        lines.append(f"{name}={_dotenv_quote(_clean(value, name))}")
    if include_key and "${" in key.reveal():  # type: ignore[union-attr]
        # python-dotenv expands ${...} in every quoting style and has no escape for it, so
        # the file would silently yield a different key (QA B27): refuse instead.
        raise ExportError("exporters.dotenv_key_expands")
    for name in _key_vars(profile):
        if include_key:
            lines.append(f"{name}={_dotenv_quote(_clean(key.reveal(), name))}")  # type: ignore[union-attr]
        elif name != own:
            lines.append(f"{name}={_dotenv_quote('${' + own + '}')}")
    return "\n".join(lines) + "\n"


def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ps_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shell(
    profile: Profile,
    shell: str,
    key: ApiKey | None,
    include_key: bool,
    catalog: Catalog,
    config: str | None,
) -> str:
    comment = "#"
    lines = _header(profile, comment, include_key)
    own = profile.api_key.env
    cmd = _key_command(profile, config)

    def assign(name: str, value: str) -> str:
        _clean(value, name)
        if shell == "sh":
            return f"export {name}={shlex.quote(value)}"
        if shell == "fish":
            return f"set -gx {name} {_fish_quote(value)}"
        return f"$env:{name} = {_ps_quote(value)}"

    def assign_ref(name: str, source: str) -> str:
        if shell == "sh":
            return f'export {name}="${source}"'
        if shell == "fish":
            return f"set -gx {name} ${source}"
        return f"$env:{name} = $env:{source}"

    for name, value in _env_pairs(profile, catalog):
        lines.append(assign(name, value))
    if include_key:
        lines.append(assign(own, key.reveal()))  # type: ignore[union-attr]
    elif profile.api_key.store != "env":
        # A failed `key get` (not installed, locked keyring) must not pass silently as an
        # empty key: the assignment's status is the command's, so say so on stderr (QA B1).
        warn = f"modelstudio-setup key get failed: {own} is empty"
        if shell == "sh":
            lines.append(f'{own}="$({shlex.join(cmd)})" || echo {shlex.quote(warn)} >&2')
            lines.append(f"export {own}")
        elif shell == "fish":
            lines.append(
                f"set -gx {own} ({' '.join(_fish_quote(c) for c in cmd)}); "
                f"or echo {_fish_quote(warn)} >&2"
            )
        else:
            lines.append(f"$env:{own} = (& {' '.join(_ps_quote(c) for c in cmd)})")
    else:
        lines.append(f"{comment} {own} must already be set in your environment.")
    for name in _key_vars(profile)[1:]:
        lines.append(assign_ref(name, own))
    return "\n".join(lines) + "\n"


def _python(profile: Profile, sdk: str, key: ApiKey | None, include_key: bool) -> str:
    own = profile.api_key.env
    key_expr = (
        repr(_clean(key.reveal(), "key"))  # type: ignore[union-attr]
        if include_key
        else f"os.environ[{own!r}]"
    )
    head = "\n".join(_header(profile, "#", include_key))
    urls = profile.base_urls
    model = profile.model
    if sdk == "openai":
        body = f"""import os

from openai import OpenAI

client = OpenAI(
    api_key={key_expr},
    base_url={urls["openai"]!r},
)
response = client.chat.completions.create(
    model={model!r},
    messages=[{{"role": "user", "content": "Hello"}}],
)
print(response.choices[0].message.content)
"""
    elif sdk == "anthropic":
        body = f"""import os

import anthropic

client = anthropic.Anthropic(
    api_key={key_expr},
    base_url={urls["anthropic"]!r},
)
message = client.messages.create(
    model={anthropic_model(profile)!r},
    max_tokens=256,
    messages=[{{"role": "user", "content": "Hello"}}],
)
print(message.content[0].text)
"""
    else:
        body = f"""import os

import dashscope
from dashscope import Generation

dashscope.base_http_api_url = {urls["dashscope"]!r}

response = Generation.call(
    api_key={key_expr},
    model={model!r},
    messages=[{{"role": "user", "content": "Hello"}}],
    result_format="message",
)
print(response.output.choices[0].message.content)
"""
    return f"{head}\n{body}"


def _claude_code(
    profile: Profile, key: ApiKey | None, include_key: bool, config: str | None
) -> dict[str, object]:
    model = anthropic_model(profile)
    env: dict[str, str] = {
        "ANTHROPIC_BASE_URL": profile.base_urls["anthropic"],
        "ANTHROPIC_MODEL": model,
        # Claude Code's background tasks ask for a small Claude model by name, which Model
        # Studio does not serve: point them at the same model.
        "ANTHROPIC_SMALL_FAST_MODEL": model,
    }
    settings: dict[str, object] = {"env": env}
    if include_key:
        env["ANTHROPIC_AUTH_TOKEN"] = key.reveal()  # type: ignore[union-attr]
    else:
        # Claude Code runs apiKeyHelper and sends its output as the token: the key stays
        # in the store and is fetched when needed.
        settings["apiKeyHelper"] = shlex.join(_key_command(profile, config))
    return settings


def _qwen_code(profile: Profile) -> dict[str, object]:
    entry = {
        "id": profile.model,
        "name": f"Model Studio {profile.model} ({profile.name}, {profile.region})",
        "baseUrl": profile.base_urls["openai"],
        "envKey": profile.api_key.env,
    }
    return {"modelProviders": {"openai": [entry]}}


def _litellm(profile: Profile, key: ApiKey | None, include_key: bool) -> dict[str, object]:
    api_key = key.reveal() if include_key else f"os.environ/{profile.api_key.env}"  # type: ignore[union-attr]
    return {
        "model_list": [
            {
                "model_name": profile.model,
                "litellm_params": {
                    "model": f"dashscope/{profile.model}",
                    "api_base": profile.base_urls["openai"],
                    "api_key": api_key,
                },
            }
        ]
    }


def export(
    profile: Profile,
    fmt: str,
    key: ApiKey | None = None,
    include_key: bool = False,
    *,
    config: str | None = None,
    catalog: Catalog | None = None,
) -> str:
    """The text of one export target. `key` is read only when `include_key` is True.

    `config` is added to the `key get` command when the profile lives in a non-default
    config file, so the reference still resolves.
    """
    catalog = catalog or load_catalog()
    if fmt not in FORMATS:
        raise ExportError("exporters.unknown_format", fmt=fmt, known=", ".join(FORMATS))
    spec = FORMATS[fmt]
    if include_key:
        if not spec.can_hold_key:
            raise ExportError("exporters.cannot_hold_key", fmt=fmt)
        if key is None:
            raise ExportError("exporters.key_required")
    else:
        key = None  # never even look at it
    for value in (*profile.base_urls.values(), profile.model, profile.name):
        _clean(value, "profile")
    if fmt == "yaml":
        from app.profiles import Config

        doc = Config(default_profile=profile.name, profiles={profile.name: profile}).dump()
        return "\n".join(_header(profile, "#", False)) + "\n" + doc
    if fmt == "dotenv":
        return _dotenv(profile, key, include_key, catalog)
    if fmt in SHELLS:
        return _shell(profile, fmt, key, include_key, catalog, config)
    if fmt.endswith("-python"):
        return _python(profile, fmt.removesuffix("-python"), key, include_key)
    if fmt == "claude-code":
        return json.dumps(_claude_code(profile, key, include_key, config), indent=2) + "\n"
    if fmt == "qwen-code":
        return json.dumps(_qwen_code(profile), indent=2) + "\n"
    # litellm
    head = "\n".join(_header(profile, "#", include_key))
    return head + "\n" + yaml.safe_dump(_litellm(profile, key, include_key), sort_keys=False)


def merge_json_settings(existing: str, exported: str, fmt: str) -> str:
    """Merge an exported settings.json into an existing one instead of clobbering it.

    Claude Code: the `env` block is updated key by key, other settings are kept.
    Qwen Code: the provider entry with the same id is replaced, others are kept.
    """
    try:
        current = json.loads(existing) if existing.strip() else {}
    except json.JSONDecodeError as exc:
        raise ExportError("exporters.existing_not_json", line=exc.lineno) from None
    if not isinstance(current, dict):
        raise ExportError("exporters.existing_not_json", line=1)
    new = json.loads(exported)
    if fmt == "claude-code":
        env = current.get("env")
        env = dict(env) if isinstance(env, dict) else {}
        env.update(new["env"])
        if "ANTHROPIC_AUTH_TOKEN" not in new["env"]:
            env.pop("ANTHROPIC_AUTH_TOKEN", None)
        current["env"] = env
        if "apiKeyHelper" in new:
            current["apiKeyHelper"] = new["apiKeyHelper"]
        else:
            current.pop("apiKeyHelper", None)
    elif fmt == "qwen-code":
        providers = current.get("modelProviders")
        providers = dict(providers) if isinstance(providers, dict) else {}
        entries = providers.get("openai")
        entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        entry = new["modelProviders"]["openai"][0]
        entries = [e for e in entries if e.get("id") != entry["id"]] + [entry]
        providers["openai"] = entries
        current["modelProviders"] = providers
    else:
        raise ValueError(fmt)
    return json.dumps(current, indent=2) + "\n"
