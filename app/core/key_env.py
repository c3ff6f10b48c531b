"""The one rule for the name of the environment variable that carries the API key (T17).

The name is written into `env` output that users `eval`, into `.env` files and exports, and
is read back by every client. A name other software interprets turns the key into
something else: `HTTPS_PROXY` makes every client look the key up in DNS and send requests
to it, `SSL_CERT_FILE` prints it as a broken CA path, `PS0` prints it before every bash
command, `GIT_SSH_COMMAND` / `NODE_OPTIONS` / `PROMPT_COMMAND` run it, `GITHUB_TOKEN`
sends it to another service. So the rule ALLOWS instead of refusing a list: a name that only
credentials use, i.e.

- upper-case letters, digits and `_`, starting with a letter, at most 64 characters;
- ending in `_API_KEY`, `_KEY`, `_TOKEN` (`_AUTH_TOKEN`) or `_SECRET`;
- not starting with a prefix whose variables other software reads (`LD_`, `DYLD_`,
  `PYTHON`, `GIT_`, `GITHUB_`, `GH_`, `GITLAB_`, `SSH_`, `SSL_`, `NODE_`, `NPM_`, `BASH_`,
  `AWS_`, `HF_`, `DOCKER_`, `KEYRING`, `DBUS_`, `XDG_`, `LC_`, `MODELSTUDIO_SETUP_`).

`DASHSCOPE_API_KEY`, `OPENAI_API_KEY`, `ANTHROPIC_AUTH_TOKEN`, `TEAM_KEY`, `BAILIAN_API_KEY`
pass; `HTTPS_PROXY`, `PATH`, `PS0`, `NODE_OPTIONS`, `GITHUB_TOKEN`, `dashscope_api_key` do
not. configure, key set, the wizard and the config loader all use `check_key_env_name`.
"""

from __future__ import annotations

import re

from app.core.errors import UserError

KEY_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,62}(?:_API_KEY|_KEY|_AUTH_TOKEN|_TOKEN|_SECRET)")
KEY_ENV_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN", "_AUTH_TOKEN", "_SECRET")
FOREIGN_PREFIXES = (
    "LD_",
    "DYLD_",
    "PYTHON",
    "GIT_",
    "GITHUB_",
    "GH_",
    "GITLAB_",
    "SSH_",
    "SSL_",
    "NODE_",
    "NPM_",
    "BASH_",
    "AWS_",
    "HF_",
    "DOCKER_",
    "KEYRING",
    "DBUS_",
    "XDG_",
    "LC_",
    "MODELSTUDIO_SETUP_",
)


def key_env_name_ok(name: object) -> bool:
    """True when `name` may carry the API key (see the module docstring for the rule)."""
    return (
        isinstance(name, str)
        and len(name) <= 64
        and KEY_ENV_NAME.fullmatch(name) is not None
        and not name.startswith(FOREIGN_PREFIXES)
    )


def check_key_env_name(name: object) -> str:
    """`name`, or UserError (exit 2) stating the rule; the refused name is never echoed
    (it may be a pasted key)."""
    if not key_env_name_ok(name):
        raise UserError("profiles.bad_env_name")
    return name  # type: ignore[return-value]
