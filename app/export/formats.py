"""Profile -> text for each client a developer may use (SDKs, shells, coding agents).

Exported files end up in repositories, screenshots and chat messages, so by default they
REFERENCE the key (an environment variable, or a `key get` command substitution) and never
copy it (SECURITY.md T10). Every value is checked for control characters and quoted for its
target syntax (T13). These are pure functions so the wizard can preview them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.catalog import Catalog, anthropic_probe_model, load_catalog
from app.core.errors import UserError
from app.core.i18n import t

if TYPE_CHECKING:
    from app.config.profiles import Profile, WriteResult
    from app.secrets.key import ApiKey

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


def anthropic_model(profile: Profile, catalog: Catalog | None = None) -> str | None:
    """The model the Anthropic surface serves for this profile, or None when none fits.

    The rule is the doctor's (`anthropic_probe_model`, which app.probe.engine uses), so the check
    proves what the export writes, `-us` forms in model-suffix regions included. None means
    writing any model would fail on that surface: callers leave ANTHROPIC_MODEL out and say so.
    """
    return anthropic_probe_model(profile.region, profile.scope, profile.model, catalog)


NO_ANTHROPIC_MODEL_COMMENT = (
    "# ANTHROPIC_MODEL is left out: the Anthropic-compatible surface serves none of this "
    "scope's models."
)
# Formats that would name an Anthropic-surface model (ANTHROPIC_MODEL or a snippet's model).
ANTHROPIC_FORMATS = ("dotenv", "sh", "fish", "powershell", "anthropic-python", "claude-code")


def anthropic_model_notice(profile: Profile, fmt: str) -> str | None:
    """A message for the user when `fmt` leaves ANTHROPIC_MODEL out (None otherwise)."""
    if fmt not in ANTHROPIC_FORMATS or anthropic_model(profile) is not None:
        return None
    return t("exporters.no_anthropic_model", scope=profile.scope, region=profile.region)


def references_key_command(profile: Profile, fmt: str, include_key: bool) -> bool:
    """True when the export runs `modelstudio-setup key get` to fetch the key."""
    if include_key:
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
    ]
    model = anthropic_model(profile, catalog)
    if model is not None:
        pairs.append(("ANTHROPIC_MODEL", model))
    pairs.append(("MODELSTUDIO_MODEL", profile.model))
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
    _clean(value, name)
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
    profile: Profile, key: ApiKey | None, include_key: bool, catalog: Catalog, config: str | None
) -> str:
    from app.core import invocation

    lines = _header(profile, "#", include_key)
    own = profile.api_key.env
    if not include_key:
        # Addressed like the `key get` references: this profile of this config, spelt the way
        # it runs from the user's shell (D19, D26).
        env = invocation.command("env", *_address(profile, config))
        lines.append(f'# Set {own} in your environment, e.g. eval "$({env})".')
    if anthropic_model(profile, catalog) is None:
        lines.append(NO_ANTHROPIC_MODEL_COMMENT)
    for name, value in _env_pairs(profile, catalog):
        lines.append(f"{name}={_dotenv_quote(value, name)}")
    for name in _key_vars(profile):
        if include_key:
            lines.append(f"{name}={_dotenv_quote(key.reveal(), name)}")  # type: ignore[union-attr]
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
    include_key: bool,
    catalog: Catalog,
    config: str | None,
) -> str:
    comment = "#"
    lines = _header(profile, comment, include_key)
    own = profile.api_key.env
    cmd = _key_command(profile, config)
    if anthropic_model(profile, catalog) is None:
        lines.append(NO_ANTHROPIC_MODEL_COMMENT)

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
            # `$?` is false when the command was not found, $LASTEXITCODE non-zero when it
            # ran and failed: either way say so on stderr, as the sh and fish forms do.
            lines.append(f"$env:{own} = (& {' '.join(_ps_quote(c) for c in cmd)})")
            lines.append(
                "if (-not $? -or $LASTEXITCODE -ne 0) "
                f"{{ [Console]::Error.WriteLine({_ps_quote(warn)}) }}"
            )
    else:
        lines.append(f"{comment} {own} must already be set in your environment.")
    for name in _key_vars(profile)[1:]:
        lines.append(assign_ref(name, own))
    return "\n".join(lines) + "\n"


def _python(
    profile: Profile, sdk: str, key: ApiKey | None, include_key: bool, catalog: Catalog
) -> str:
    own = profile.api_key.env
    key_expr = (
        repr(_clean(key.reveal(), "key"))  # type: ignore[union-attr]
        if include_key
        else f"os.environ[{own!r}]"
    )
    head = "\n".join(_header(profile, "#", include_key))
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
    profile: Profile, key: ApiKey | None, include_key: bool, config: str | None, catalog: Catalog
) -> dict[str, object]:
    model = anthropic_model(profile, catalog)
    env: dict[str, str] = {"ANTHROPIC_BASE_URL": profile.base_urls["anthropic"]}
    if model is not None:
        env["ANTHROPIC_MODEL"] = model
        # Claude Code's background tasks ask for a small Claude model by name, which Model
        # Studio does not serve: point them at the same model.
        env["ANTHROPIC_SMALL_FAST_MODEL"] = model
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
        from app.config.profiles import Config

        doc = Config(default_profile=profile.name, profiles={profile.name: profile}).dump()
        return "\n".join(_header(profile, "#", False)) + "\n" + doc
    if fmt == "dotenv":
        return _dotenv(profile, key, include_key, catalog, config)
    if fmt in SHELLS:
        return _shell(profile, fmt, key, include_key, catalog, config)
    if fmt.endswith("-python"):
        return _python(profile, fmt.removesuffix("-python"), key, include_key, catalog)
    if fmt == "claude-code":
        return json.dumps(_claude_code(profile, key, include_key, config, catalog), indent=2) + "\n"
    if fmt == "qwen-code":
        return json.dumps(_qwen_code(profile), indent=2) + "\n"
    # litellm
    head = "\n".join(_header(profile, "#", include_key))
    import yaml  # here: `env` prints shell lines and must not import PyYAML

    return head + "\n" + yaml.safe_dump(_litellm(profile, key, include_key), sort_keys=False)


def _load_settings(existing: str) -> dict[str, object]:
    from app.core.json_limits import json_too_deep

    if json_too_deep(existing.encode("utf-8", "replace")):
        # A settings file nested deeper than any real one (T18): refused, left as it is.
        raise ExportError("exporters.existing_too_deep")
    try:
        current = json.loads(existing) if existing.strip() else {}
    except json.JSONDecodeError as exc:
        raise ExportError("exporters.existing_not_json", line=exc.lineno) from None
    if not isinstance(current, dict):
        raise ExportError("exporters.existing_not_json", line=1)
    return current


def _mask(value: str) -> str:
    """A token as `sk-…ffff`: recognisable, never usable (the ApiKey rule, any string)."""
    prefix = "sk-" if value.startswith("sk-") else ""
    tail = value[-4:] if len(value) >= 16 else ""
    return f"{prefix}…{tail}" if prefix or tail else "…"


def _our_helper(value: object) -> bool:
    """Whether an apiKeyHelper is this tool's own `modelstudio-setup key get …` command."""
    if not isinstance(value, str):
        return False
    try:
        argv = shlex.split(value)
    except ValueError:
        return False
    return argv[:3] == [KEY_COMMAND, "key", "get"]


# The name an export gives its Qwen Code provider entry (see _qwen_code).
_OUR_QWEN_NAME = re.compile(r"Model Studio \S+ \(.+, .+\)")


def settings_conflicts(existing: str, exported: str, fmt: str) -> tuple[str, ...]:
    """What merging `exported` would replace or remove that the USER set; named for a
    message (a token masked, values of other settings never shown).

    Per setting (docs/configure.md, export): Claude Code's ANTHROPIC_BASE_URL,
    ANTHROPIC_MODEL and ANTHROPIC_SMALL_FAST_MODEL are what the export is for and are
    replaced; an env ANTHROPIC_AUTH_TOKEN that would be removed or changed, and an
    apiKeyHelper that is not this tool's own `key get` command, are the user's. Qwen Code:
    a provider entry the merge would replace that this tool did not name is the user's.
    Raises ExportError when `existing` is not a settings object.
    """
    current = _load_settings(existing)
    new = json.loads(exported)
    found: list[str] = []
    if fmt == "claude-code":
        env = current.get("env")
        token = env.get("ANTHROPIC_AUTH_TOKEN") if isinstance(env, dict) else None
        if isinstance(token, str) and token and new["env"].get("ANTHROPIC_AUTH_TOKEN") != token:
            found.append(f"env.ANTHROPIC_AUTH_TOKEN ({_mask(token)})")
        helper = current.get("apiKeyHelper")
        if (
            helper not in (None, "")
            and not _our_helper(helper)
            and new.get("apiKeyHelper") != helper
        ):
            found.append("apiKeyHelper")
    elif fmt == "qwen-code":
        from app.core.text import inert

        providers = current.get("modelProviders")
        entries = providers.get("openai") if isinstance(providers, dict) else None
        entry = new["modelProviders"]["openai"][0]
        for e in entries if isinstance(entries, list) else []:
            if not isinstance(e, dict) or e == entry:
                continue
            replaced = (e.get("id") == entry["id"] and e.get("baseUrl") == entry["baseUrl"]) or (
                e.get("name") == entry["name"]
            )
            name = e.get("name")
            ours = isinstance(name, str) and _OUR_QWEN_NAME.fullmatch(name) is not None
            if replaced and not ours:
                found.append(f"modelProviders.openai[id={inert(e.get('id'), 80)}]")
    return tuple(found)


def merge_json_settings(existing: str, exported: str, fmt: str) -> str:
    """Merge an exported settings.json into an existing one instead of clobbering it.

    Claude Code: the `env` block is updated key by key, other settings are kept.
    Qwen Code: the provider entry with the same id is replaced, others are kept.
    """
    current = _load_settings(existing)
    new = json.loads(exported)
    if fmt == "claude-code":
        env = current.get("env")
        env = dict(env) if isinstance(env, dict) else {}
        env.update(new["env"])
        # Tool-written values the new export leaves out must not linger: an old token, or a
        # model the surface does not serve for this profile.
        for name in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL"):
            if name not in new["env"]:
                env.pop(name, None)
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
        # Replace only this profile's own entry (same model at the same endpoint, or the same
        # name): a CN and an international account may both offer qwen-flash (QA B46).
        entries = [
            e
            for e in entries
            if not (
                (e.get("id") == entry["id"] and e.get("baseUrl") == entry["baseUrl"])
                or e.get("name") == entry["name"]
            )
        ] + [entry]
        providers["openai"] = entries
        current["modelProviders"] = providers
    else:
        raise ValueError(fmt)
    return json.dumps(current, indent=2) + "\n"


# ------------------------------------------------------------------ writing an export to disk

MARKER = "Written by modelstudio-setup"
_KEY_WARNING = "# WARNING: this file contains the API key. Do not commit or share it."
_KEY_REFERENCED = "# The API key is not in this file; it is referenced."
# The header lines `_header` / `_dotenv` write: recognised so a re-export replaces them.
_OWN_COMMENT = re.compile(
    r"#\s*(?:Model Studio profile '.*|Written by modelstudio-setup export\.|"
    r"WARNING: this file contains the API key\..*|The API key is not in this file; .*|"
    r'Set [A-Za-z_][A-Za-z0-9_]* in your environment, e\.g\. eval "\$\(.*\benv\b.*\)"\.|'
    r"ANTHROPIC_MODEL is left out: .*)\s*$"
)
# Variables an export writes only for some profiles.
_OPTIONAL_VARS = ("DASHSCOPE_WORKSPACE_ID", "DASHSCOPE_WORKSPACE", "ANTHROPIC_MODEL")
_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def written_by_us(text: str) -> bool:
    """True when the file starts with this tool's header (its first few comment lines)."""
    head = text.lstrip("\ufeff").splitlines()[:5]
    return any(line.startswith("#") and MARKER in line for line in head)


def _quote_closed(value: str) -> bool:
    """Whether a value opening with a quote closes it (backslash escapes, as python-dotenv)."""
    quote, i = value[0], 1
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == quote:
            return True
        i += 1
    return False


def _dotenv_entries(text: str) -> list[tuple[str | None, list[str]]]:
    """The file as entries: (name, lines) per assignment, a quoted value may span lines;
    (None, [line]) for comments, blank and unparsable lines (kept verbatim)."""
    lines = text.splitlines()
    entries: list[tuple[str | None, list[str]]] = []
    i = 0
    while i < len(lines):
        match = _ASSIGN.match(lines[i])
        if not match:
            entries.append((None, [lines[i]]))
            i += 1
            continue
        chunk, value = [lines[i]], match.group(2)
        i += 1
        if value[:1] in ("'", '"'):
            while not _quote_closed(value) and i < len(lines):
                chunk.append(lines[i])
                value += "\n" + lines[i]
                i += 1
        entries.append((match.group(1), chunk))
    return entries


def _value(lines: list[str]) -> str:
    """An assignment's value, its quotes taken off (enough to compare two values)."""
    match = _ASSIGN.match(lines[0])
    value = "\n".join([match.group(2) if match else "", *lines[1:]]).strip()
    if value[:1] in ("'", '"') and value.endswith(value[0]) and len(value) > 1:
        value = value[1:-1]
    return value


def _holds_literal(lines: list[str]) -> bool:
    """True when an assignment's value is a literal (not empty, not a ${VAR} reference)."""
    value = _value(lines)
    return bool(value) and not _REFERENCE.match(value)


def _key_written_by_us(
    entries: list[tuple[str | None, list[str]]], key_vars: tuple[str, ...]
) -> bool:
    """Whether the literal key in this .env is one an `--include-key` export wrote.

    The WARNING header alone does not tell: a keyless merge into a file where the USER put
    the key writes it too (the file does hold a key). An `--include-key` export writes the
    same literal into EVERY key variable, while a keyless one writes references into all
    but the profile's own: so the key is ours only under our header and when every key
    variable holds one and the same literal (QA: a user's key line was removed on the
    second export).
    """
    values = {n: _value(ls) for n, ls in entries if n in key_vars}
    if set(values) != set(key_vars):
        return False
    literals = {v for n, v in values.items() if _holds_literal([f"{n}={v}"])}
    return len(literals) == 1 and all(_holds_literal([f"{n}={v}"]) for n, v in values.items())


def _with_prefix(old: list[str], new: list[str]) -> list[str]:
    """The new assignment, keeping the user's `export ` in front of it (`. .env` exports)."""
    match = re.match(r"^(\s*export\s+)", old[0])
    if not match or new[0].startswith(match.group(1)):
        return new
    return [match.group(1) + new[0].lstrip(), *new[1:]]


@dataclass(frozen=True)
class DotenvMerge:
    """The merged text and what changed in it, so the user can be told."""

    text: str
    updated: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]  # written earlier, no longer set by the profile
    key_removed: tuple[str, ...]  # a literal key written earlier, now referenced
    holds_key: bool


def merge_dotenv(existing: str, exported: str, key_vars: tuple[str, ...] = ()) -> DotenvMerge:
    """Merge an exported .env into an existing one: a project's .env holds other settings
    (DATABASE_URL, ...) that a wholesale replace would destroy (QA B37).

    Only the variables of `exported` are replaced (in place; later duplicates dropped, since
    dotenv readers let the last one win) or appended; this tool's header comments move with
    them; every other line stays, in order, and a user's `export ` prefix stays on a line
    that is updated. Re-running gives the same file. A literal key in `key_vars` that this
    tool wrote earlier (see _key_written_by_us) is removed when the new export only
    references the key; a key the user put there is kept, on every later export too. Variables an
    earlier export wrote that this profile no longer sets are removed too.
    """
    new_entries = _dotenv_entries(exported)
    header = [ls[0] for name, ls in new_entries if name is None and ls[0].strip()]
    new_vars = {name: ls for name, ls in new_entries if name is not None}
    old_lines = [line.strip() for line in existing.splitlines()]
    old_entries = _dotenv_entries(existing)
    ours_held_key = _KEY_WARNING in old_lines and _key_written_by_us(old_entries, key_vars)
    drop = {n for n in key_vars if n not in new_vars} if ours_held_key else set()
    # What an earlier export of this tool wrote and this profile no longer sets (a workspace
    # ID after a move to the shared host, an unserved ANTHROPIC_MODEL) must not linger.
    stale = set(_OPTIONAL_VARS) - set(new_vars) if f"# {MARKER} export." in old_lines else set()
    out: list[str] = []
    header_at: int | None = None
    first_var_at: int | None = None
    seen: set[str] = set()
    updated: list[str] = []
    removed: list[str] = []
    key_removed: list[str] = []
    for name, lines in old_entries:
        if name is None and _OWN_COMMENT.match(lines[0]):
            if header_at is None:
                header_at = len(out)
            continue
        if name in new_vars:
            if name not in seen:
                seen.add(name)
                replacement = _with_prefix(lines, new_vars[name])
                if lines != replacement:
                    updated.append(name)
                if first_var_at is None:
                    first_var_at = len(out)
                out.extend(replacement)
            continue
        if name in stale:
            removed.append(name)
            continue
        if name in drop and _holds_literal(lines):
            key_removed.append(name)
            continue
        out.extend(lines)
    added = [n for n in new_vars if n not in seen]
    if header_at is None:
        if added or first_var_at is None:
            if out and out[-1].strip():
                out.append("")
            header_at = len(out)
        else:
            header_at = first_var_at
    for name in added:
        out.extend(new_vars[name])
    entries = _dotenv_entries("\n".join(out))
    holds_key = any(n in key_vars and _holds_literal(ls) for n, ls in entries)
    if holds_key:
        header = [_KEY_WARNING if line == _KEY_REFERENCED else line for line in header]
    out[header_at:header_at] = header
    return DotenvMerge(
        text="\n".join(out) + "\n",
        updated=tuple(updated),
        added=tuple(added),
        removed=tuple(removed),
        key_removed=tuple(key_removed),
        holds_key=holds_key,
    )


@dataclass(frozen=True)
class ExportWritten:
    """What writing an export did: the file write, and whether it merged or forced."""

    result: WriteResult
    merged: bool = False
    dotenv: DotenvMerge | None = None
    forced: bool = False  # a file this tool did not write was replaced (--force)
    overridden: tuple[str, ...] = ()  # user settings replaced or removed (--force)


def _check_symlink(requested: Path, force: bool) -> None:
    """Refuse a link leading out of its own directory: a cloned repo's `.env -> ~/.bashrc`
    must not make an export overwrite the user's shell startup file (QA B37)."""
    from app.fs import link_out_of_folder

    target = None if force else link_out_of_folder(requested)
    if target is not None:
        raise ExportError("exporters.symlink_outside", path=str(requested), target=str(target))


def _check_tool_file(requested: Path, config_path: Path | None) -> None:
    """Refuse, even with --force, an output that is one of this tool's own files, resolved
    through symlinks: the config (other profiles would be lost), its backups, the keys
    directory (another profile's key file) or the keyring index."""
    from app.config.key_scope import index_path
    from app.config.profiles import config_path as default_config_path

    real = Path(os.path.realpath(requested))
    config = Path(os.path.realpath(config_path or default_config_path()))
    keys = Path(os.path.realpath(config.parent / "keys"))
    which = None
    if real == config:
        which = "exporters.own_config"
    elif real.parent == config.parent and real.name.startswith(f"{config.name}.bak-"):
        which = "exporters.own_config_backup"
    elif real == keys or real.is_relative_to(keys):
        which = "exporters.own_keys"
    elif real == Path(os.path.realpath(index_path())):
        which = "exporters.own_index"
    if which is not None:
        raise ExportError(which, path=str(requested), target=str(real))


def _existing(target: Path) -> tuple[bytes | None, int | None]:
    """The bytes and mode of the file a write would replace; (None, None) when there is none
    (what is not a regular file is left for atomic_write to refuse)."""
    try:
        st = target.stat()
    except OSError:
        return None, None
    if not stat.S_ISREG(st.st_mode):
        return None, None
    try:
        return target.read_bytes(), stat.S_IMODE(st.st_mode)
    except OSError:
        return None, None


def write_export(
    path: Path | str,
    fmt: str,
    text: str,
    *,
    profile: Profile,
    include_key: bool,
    force: bool = False,
    config_path: Path | None = None,
) -> ExportWritten:
    """Write an export where the user asked, never destroying what this tool did not write.

    .env and settings.json are merged into an existing file; the other formats replace only
    a file carrying this tool's header, or any file with `force`. No backup is kept of
    those (an old version may hold the key); a settings.json whose user settings --force
    replaces (or which is replaced whole) is backed up first, 0600 (settings_conflicts).
    Never into the config at `config_path` (default: the usual one), its backups, the
    keys directory or the keyring index (_check_tool_file). The CLI and the wizard both
    write through here.
    """
    from app.config.profiles import atomic_write

    requested = Path(path).expanduser().absolute()
    try:
        if "\x00" in str(requested):
            raise ValueError("embedded null byte")
        _check_tool_file(requested, config_path)
        _check_symlink(requested, force)
        target = Path(os.path.realpath(requested)) if requested.is_symlink() else requested
    except (OSError, ValueError) as exc:
        # ENAMETOOLONG, a NUL byte (QA B41 / B44): bad input, not a traceback.
        error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ExportError("exporters.bad_output", path=str(requested), error=error) from None
    data, old_mode = _existing(target)
    existing: str | None = None
    if data is not None:
        try:
            existing = data.decode("utf-8")
        except UnicodeDecodeError:
            if not force:
                raise ExportError("exporters.existing_not_text", path=str(requested)) from None
    secret = include_key
    merged, forced, dotenv_merge = False, False, None
    overridden: tuple[str, ...] = ()
    backup = False
    blank = existing is not None and not existing.strip()
    if data is not None and existing is None:
        forced = True
    elif existing is not None and not blank:
        private = old_mode is not None and not old_mode & 0o077
        if FORMATS[fmt].kind == "json":
            # Settings files hold the user's own token and helper: what a merge would change
            # of theirs is refused, or with --force changed after a 0600 backup (never
            # silently, never without a copy).
            try:
                overridden = settings_conflicts(existing, text, fmt)
                if overridden and not force:
                    raise ExportError(
                        "exporters.settings_conflict",
                        path=str(requested),
                        items=", ".join(overridden),
                    )
                text = merge_json_settings(existing, text, fmt)
                merged = True
                # Settings we merge into may hold other secrets: keep a private file private.
                secret = secret or private
            except ExportError as exc:
                if not force or exc.key == "exporters.settings_conflict":
                    raise
                forced = True
            backup = forced or bool(overridden)
        elif fmt == "dotenv":
            dotenv_merge = merge_dotenv(existing, text, tuple(_key_vars(profile)))
            text = dotenv_merge.text
            merged = True
            secret = secret or dotenv_merge.holds_key or private
        elif not written_by_us(existing):
            if not force:
                raise ExportError("exporters.foreign_file", path=str(requested))
            forced = True
    if backup:
        # The backup holds what the old file held (maybe the user's token): 0600, and the
        # new file is private too.
        secret = True
    result = atomic_write(requested, text, secret=secret, backup=backup)
    return ExportWritten(
        result=result, merged=merged, dotenv=dotenv_merge, forced=forced, overridden=overridden
    )
