"""The environment-variable exports: a .env (for python-dotenv / shells, or for Node's
dotenv) and the sh, fish and PowerShell scripts that `env` prints and `export` writes.

Every literal is checked for control characters and quoted for its reader (T13); the key is
referenced (a variable, or a `key get` command substitution) unless the user asked for it
(T10). Loaded by `env` on its hot path: no JSON, YAML or TOML module here.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from app.clients.variables import anthropic_model, env_pairs, key_vars
from app.core import invocation
from app.export.header import (
    NO_ANTHROPIC_MODEL_COMMENT,
    address,
    header_lines,
    key_command,
    sdk_comment,
)
from app.export.rules import ExportError, clean

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.core.catalog import Catalog
    from app.secrets.key import ApiKey

SHELLS = ("sh", "fish", "powershell")


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


# The two forms of a .env (`export --for`): `python` references the key as `${VAR}`, which
# python-dotenv, docker compose and a shell's `set -a; . ./.env` expand; `node` writes no
# reference, since Node's dotenv leaves `${VAR}` as those very characters (it needs
# dotenv-expand), which a JS SDK would then send as its key (CLIENTS.md, "Files").
DOTENV_FORMS = ("python", "node")
EXPANDS_NOTE = (
    "# ${VAR} below is expanded by python-dotenv, docker compose and `set -a; . ./.env`; "
    "not by Node's dotenv (export --for node)."
)


def node_note(names: list[str]) -> str:
    """The node form's line naming the key variables it leaves to the environment."""
    return (
        "# For Node's dotenv, which expands no ${VAR}: "
        + ", ".join(names)
        + " must be set in your environment too."
    )


def dotenv(
    profile: Profile,
    key: ApiKey | None,
    catalog: Catalog,
    config: str | None,
    for_ci: bool,
    form: str = "python",
) -> str:
    """`key` None: the key is referenced, not written (so for each format helper below)."""
    lines = header_lines(profile, "#", key is not None)
    own = profile.api_key.env
    names = key_vars(profile)
    if for_ci:
        lines.append(f"# For CI: {own} comes from the job's secrets.")
    elif key is None:
        # Addressed like the `key get` references: this profile of this config, spelt the way
        # it runs from the user's shell (D19, D26).
        env = invocation.command("env", *address(profile, config))
        lines.append(f'# Set {own} in your environment, e.g. eval "$({env})".')
    if key is None and len(names) > 1:
        lines.append(EXPANDS_NOTE if form == "python" else node_note(names[1:]))
    sdk = sdk_comment(profile)
    if sdk is not None:
        lines.append(sdk)
    if anthropic_model(profile, catalog) is None:
        lines.append(NO_ANTHROPIC_MODEL_COMMENT)
    for name, value in env_pairs(profile, catalog):
        lines.append(f"{name}={_dotenv_quote(value, name)}")
    for name in names:
        if key is not None:
            lines.append(f"{name}={_dotenv_quote(key.reveal(), name)}")
        elif name != own and form == "python":
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


def shell(
    profile: Profile,
    shell: str,
    key: ApiKey | None,
    catalog: Catalog,
    config: str | None,
    for_ci: bool = False,
) -> str:
    comment = "#"
    lines = header_lines(profile, comment, key is not None)
    own = profile.api_key.env
    cmd = key_command(profile, config)
    if anthropic_model(profile, catalog) is None:
        lines.append(NO_ANTHROPIC_MODEL_COMMENT)
    sdk = sdk_comment(profile)
    if sdk is not None:
        lines.append(sdk)

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
