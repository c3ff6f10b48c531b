"""What every export shares: the header naming the profile and this tool (app.export.merge
recognises it, so a re-export replaces its own lines), and the `key get` command a file runs
to fetch the key from its store.

Its own module so the text formats (app.export.text_formats), the snippets and the agents'
settings use one copy without importing each other (the `env` hot path loads only the
shell formats).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config.schema import Profile

KEY_COMMAND = "modelstudio-setup"
# The header every export starts with (header_lines): app.export.merge recognises it.
MARKER = "Written by modelstudio-setup"
KEY_WARNING = "# WARNING: this file contains the API key. Do not commit or share it."
KEY_REFERENCED = "# The API key is not in this file; it is referenced."
NO_ANTHROPIC_MODEL_COMMENT = (
    "# ANTHROPIC_MODEL is left out: the Anthropic-compatible surface serves none of this "
    "scope's models."
)

# The dashscope SDK's two APIs read the native URL differently (clients.variables.
# sdk_builds_native_url): one of these says which way this file went.
SDK_BUILDS_URL_COMMENT = (
    "# DASHSCOPE_HTTP_BASE_URL is left out: dashscope >= 1.27.8 builds this host from "
    "DASHSCOPE_API_REGION and DASHSCOPE_WORKSPACE_ID, and its 2.x Client would send every "
    "protocol to it."
)
SDK_2X_BASE_COMMENT = (
    "# dashscope 2.x Client: DASHSCOPE_HTTP_BASE_URL is its base for every protocol; pass "
    'base_url=DASHSCOPE_COMPATIBLE_BASE_URL for protocol="openai", ANTHROPIC_BASE_URL for '
    '"anthropic".'
)


def sdk_comment(profile: Profile) -> str | None:
    """The line that says how the dashscope SDK reaches this profile (None: a plan host)."""
    from app.clients.variables import sdk_builds_native_url  # lazy: header stays light

    if "dashscope" not in profile.base_urls:
        return None
    return SDK_BUILDS_URL_COMMENT if sdk_builds_native_url(profile) else SDK_2X_BASE_COMMENT


def address(profile: Profile, config: str | None) -> list[str]:
    """`--profile P [--config C]`: what a file used later needs to reach this very profile
    (the default profile may change meanwhile, the file may be used from another shell)."""
    return ["--profile", profile.name, *(["--config", config] if config else [])]


def key_command(profile: Profile, config: str | None) -> list[str]:
    """`modelstudio-setup key get --profile P [--config C]`, as an argument list."""
    return [KEY_COMMAND, "key", "get", *address(profile, config)]


def key_command_line(profile: Profile, config: str | None) -> str:
    """The same, as one shell-quoted line (Claude Code's apiKeyHelper runs it in a shell)."""
    return shlex.join(key_command(profile, config))


def describe(profile: Profile) -> str:
    """`Model Studio profile 'P': region, scope S, <workspace or host kind>` (no comment)."""
    where = profile.workspace_id or (f"{profile.plan} plan host" if profile.plan else "shared host")
    return (
        f"Model Studio profile '{profile.name}': {profile.region}, scope {profile.scope}, {where}"
    )


def header_lines(profile: Profile, comment: str, include_key: bool) -> list[str]:
    """The three header lines, each starting with `comment` (`#`, `//`, ...)."""
    return [
        f"{comment} {describe(profile)}",
        f"{comment} {MARKER} export.",
        comment + (KEY_WARNING if include_key else KEY_REFERENCED).removeprefix("#"),
    ]


def written_by_us(text: str) -> bool:
    """True when the file starts with this tool's header (its first few comment lines)."""
    head = text.lstrip("\ufeff").splitlines()[:5]
    return any(line.startswith("#") and MARKER in line for line in head)
