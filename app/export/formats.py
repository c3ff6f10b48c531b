"""Profile -> text for each client a developer may use (SDKs, shells, coding agents).

Exported files end up in repositories, screenshots and chat messages, so by default they
REFERENCE the key (an environment variable, or a `key get` command substitution) and never
copy it (SECURITY.md T10). Every value is checked for control characters and quoted for its
target syntax (T13). These are pure functions so the wizard can preview them.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from app.clients.variables import anthropic_model, env_pairs, key_vars
from app.config.schema import Config
from app.core import invocation
from app.core.catalog import Catalog, load_catalog
from app.core.record import Record
from app.export.rules import ExportError, ci_ready, clean

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.secrets.key import ApiKey

KEY_COMMAND = "modelstudio-setup"
# The header every export starts with (_header): app.export.merge recognises it.
MARKER = "Written by modelstudio-setup"
KEY_WARNING = "# WARNING: this file contains the API key. Do not commit or share it."
KEY_REFERENCED = "# The API key is not in this file; it is referenced."


class Format(Record):
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


NO_ANTHROPIC_MODEL_COMMENT = (
    "# ANTHROPIC_MODEL is left out: the Anthropic-compatible surface serves none of this "
    "scope's models."
)


def references_key_command(
    profile: Profile, fmt: str, include_key: bool, for_ci: bool = False
) -> bool:
    """True when the export runs `modelstudio-setup key get` to fetch the key."""
    if include_key or for_ci:
        return False
    if fmt == "claude-code":
        return True
    return fmt in SHELLS and profile.api_key.store != "env"


def _address(profile: Profile, config: str | None) -> list[str]:
    """`--profile P [--config C]`: what a file used later needs to reach this very profile
    (the default profile may change meanwhile, the file may be used from another shell)."""
    return ["--profile", profile.name, *(["--config", config] if config else [])]


def _key_command(profile: Profile, config: str | None) -> list[str]:
    return [KEY_COMMAND, "key", "get", *_address(profile, config)]


def _header(profile: Profile, comment: str, include_key: bool) -> list[str]:
    where = profile.workspace_id or (f"{profile.plan} plan host" if profile.plan else "shared host")
    lines = [
        f"{comment} Model Studio profile '{profile.name}': {profile.region}, scope "
        f"{profile.scope}, {where}",
        f"{comment} {MARKER} export.",
        comment + (KEY_WARNING if include_key else KEY_REFERENCED).removeprefix("#"),
    ]
    return lines


def written_by_us(text: str) -> bool:
    """True when the file starts with this tool's header (its first few comment lines)."""
    head = text.lstrip("\ufeff").splitlines()[:5]
    return any(line.startswith("#") and MARKER in line for line in head)


# What bash gives a meaning inside double quotes, and python-dotenv's escape character.
_DOUBLE_QUOTE_SPECIAL = frozenset('$`"\\')


def _dotenv_quote(value: str, name: str) -> str:
    """The one quoting of every literal .env value, read back the same by both kinds of
    reader: `set -a; . ./.env` in bash or sh, and python-dotenv (QA B9).

    Single quotes, inside which a shell expands nothing (no `$VAR`, no backtick command).
    python-dotenv reads a backslash before `\\` or `'` (or before the closing quote) as an
    escape there, so a value holding `'`, `\\\\` or a final backslash is double-quoted
    instead, when that is exact for both (no `$`, backtick, `"` or backslash in it).
    python-dotenv expands `${...}` in every quoting style. A value that no form holds
    exactly is refused: a .env that reads back differently, or runs a command when
    sourced, is worse than none.
    """
    clean(value, name)
    if "${" in value:
        raise ExportError("exporters.dotenv_key_expands", name=name)
    if "'" not in value and "\\\\" not in value and not value.endswith("\\"):
        return f"'{value}'"
    if not _DOUBLE_QUOTE_SPECIAL.intersection(value):
        return f'"{value}"'
    raise ExportError("exporters.dotenv_unquotable", name=name)


def _dotenv_reference(source: str) -> str:
    """`"${SOURCE}"`: expanded by a shell and by python-dotenv alike (a checked name)."""
    return '"${' + source + '}"'


def _dotenv(
    profile: Profile, key: ApiKey | None, catalog: Catalog, config: str | None, for_ci: bool
) -> str:
    """`key` None: the key is referenced, not written (so for each format helper below)."""
    lines = _header(profile, "#", key is not None)
    own = profile.api_key.env
    if for_ci:
        lines.append(f"# For CI: {own} comes from the job's secrets.")
    elif key is None:
        # Addressed like the `key get` references: this profile of this config, spelt the way
        # it runs from the user's shell (D19, D26).
        env = invocation.command("env", *_address(profile, config))
        lines.append(f'# Set {own} in your environment, e.g. eval "$({env})".')
    if anthropic_model(profile, catalog) is None:
        lines.append(NO_ANTHROPIC_MODEL_COMMENT)
    for name, value in env_pairs(profile, catalog):
        lines.append(f"{name}={_dotenv_quote(value, name)}")
    for name in key_vars(profile):
        if key is not None:
            lines.append(f"{name}={_dotenv_quote(key.reveal(), name)}")
        elif name != own:
            lines.append(f"{name}={_dotenv_reference(own)}")
    return "\n".join(lines) + "\n"


def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# PowerShell ends a single-quoted string at any of these, not only at ASCII ' (about_Quoting_
# Rules: U+2018 to U+201B are single quotes too); doubling one keeps it as a literal character.
PS_SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


def _ps_quote(value: str) -> str:
    for quote in PS_SINGLE_QUOTES:
        value = value.replace(quote, quote * 2)
    return "'" + value + "'"


def _shell(
    profile: Profile,
    shell: str,
    key: ApiKey | None,
    catalog: Catalog,
    config: str | None,
    for_ci: bool = False,
) -> str:
    comment = "#"
    lines = _header(profile, comment, key is not None)
    own = profile.api_key.env
    cmd = _key_command(profile, config)
    if anthropic_model(profile, catalog) is None:
        lines.append(NO_ANTHROPIC_MODEL_COMMENT)

    def assign(name: str, value: str) -> str:
        clean(value, name)
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

    for name, value in env_pairs(profile, catalog):
        lines.append(assign(name, value))
    if key is not None:
        lines.append(assign(own, key.reveal()))
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
            # `$?` is false when the command was not found, $LASTEXITCODE non-zero when it
            # ran and failed: either way say so on stderr, as the sh and fish forms do.
            lines.append(f"$env:{own} = (& {' '.join(_ps_quote(c) for c in cmd)})")
            lines.append(
                "if (-not $? -or $LASTEXITCODE -ne 0) "
                f"{{ [Console]::Error.WriteLine({_ps_quote(warn)}) }}"
            )
    elif for_ci:
        # A job whose secret is missing fails here, by name, not at the first call as a 401.
        missing = f"{own} is not set: add it to the CI job's secrets"
        if shell == "sh":
            lines.append(f': "${{{own}:?{missing}}}"')
        elif shell == "fish":
            lines.append(f"set -q {own}; or begin; echo {_fish_quote(missing)} >&2; exit 1; end")
        else:
            error = f"[Console]::Error.WriteLine({_ps_quote(missing)})"
            lines.append(f"if (-not $env:{own}) {{ {error}; exit 1 }}")
    else:
        lines.append(f"{comment} {own} must already be set in your environment.")
    for name in key_vars(profile)[1:]:
        lines.append(assign_ref(name, own))
    return "\n".join(lines) + "\n"


def _python(profile: Profile, sdk: str, key: ApiKey | None, catalog: Catalog) -> str:
    own = profile.api_key.env
    key_expr = repr(clean(key.reveal(), "key")) if key is not None else f"os.environ[{own!r}]"
    head = "\n".join(_header(profile, "#", key is not None))
    urls = profile.base_urls
    model = profile.model
    served = anthropic_model(profile, catalog)
    anthropic_expr = repr(served) if served else 'os.environ["ANTHROPIC_MODEL"]'
    if sdk == "anthropic" and served is None:
        head += "\n" + NO_ANTHROPIC_MODEL_COMMENT
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
    model={anthropic_expr},
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
    profile: Profile, key: ApiKey | None, config: str | None, catalog: Catalog, for_ci: bool
) -> dict[str, object]:
    model = anthropic_model(profile, catalog)
    env: dict[str, str] = {"ANTHROPIC_BASE_URL": profile.base_urls["anthropic"]}
    if model is not None:
        env["ANTHROPIC_MODEL"] = model
        # Claude Code's background tasks ask for a small Claude model by name, which Model
        # Studio does not serve: point them at the same model.
        env["ANTHROPIC_SMALL_FAST_MODEL"] = model
    settings: dict[str, object] = {"env": env}
    if key is not None:
        env["ANTHROPIC_AUTH_TOKEN"] = key.reveal()
    elif not for_ci:  # in CI, Claude Code reads ANTHROPIC_AUTH_TOKEN from the job's secrets
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


def _litellm(profile: Profile, key: ApiKey | None) -> dict[str, object]:
    api_key = key.reveal() if key is not None else f"os.environ/{profile.api_key.env}"
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
    for_ci: bool = False,
) -> str:
    """The text of one export target. `key` is read only when `include_key` is True.

    `config` is added to the `key get` command when the profile lives in a non-default
    config file, so the reference still resolves. `for_ci`: see ci_ready.
    """
    catalog = catalog or load_catalog()
    if for_ci:
        profile = ci_ready(profile, include_key)
    if fmt not in FORMATS:
        raise ExportError("exporters.unknown_format", fmt=fmt, known=", ".join(FORMATS))
    spec = FORMATS[fmt]
    if fmt == "dashscope-python" and "dashscope" not in profile.base_urls:  # a plan host
        raise ExportError("exporters.plan_no_native", fmt=fmt)
    if include_key:
        if not spec.can_hold_key:
            raise ExportError("exporters.cannot_hold_key", fmt=fmt)
        if key is None:
            raise ExportError("exporters.key_required")
    else:
        key = None  # never even look at it: from here on, None = the key is referenced
    for value in (*profile.base_urls.values(), profile.model, profile.name):
        clean(value, "profile")
    if fmt == "yaml":
        doc = Config(default_profile=profile.name, profiles={profile.name: profile}).dump()
        return "\n".join(_header(profile, "#", False)) + "\n" + doc
    if fmt == "dotenv":
        return _dotenv(profile, key, catalog, config, for_ci)
    if fmt in SHELLS:
        return _shell(profile, fmt, key, catalog, config, for_ci)
    if fmt.endswith("-python"):
        return _python(profile, fmt.removesuffix("-python"), key, catalog)
    if fmt == "claude-code":
        import json  # lazy: `env` prints shell lines and must not pay for the JSON module

        return json.dumps(_claude_code(profile, key, config, catalog, for_ci), indent=2) + "\n"
    if fmt == "qwen-code":
        import json  # lazy: as above

        return json.dumps(_qwen_code(profile), indent=2) + "\n"
    # litellm
    head = "\n".join(_header(profile, "#", include_key))
    import yaml  # here: `env` prints shell lines and must not import PyYAML

    body: str = yaml.safe_dump(_litellm(profile, key), sort_keys=False)  # PyYAML: no types
    return head + "\n" + body
