"""What the wizard tells the user to run next: the Done screen's commands and the last lines
printed when it ends. Free of Textual; screens only show what this returns.

Every line must be true where the user reads it (QA D18, D26):
- a command of this tool is spelt with app.core.invocation (`uv run modelstudio-setup …` under
  `uv run`), names the config file when it is not the default one, and carries the network
  options the wizard ran with (`--connect-to`, `--ca-file`, …): in the demo those are the
  simulator's pins, so the commands work against it while the demo runs;
- curl gets the same pins in curl's own spelling; the Python one-liner cannot be pinned, so
  it is only offered when there is nothing to pin;
- the final line is derived from what was written (the state), not from how the wizard
  ended: Ctrl+Q after Export still wrote the config, and a key confirmed into a store stays
  there when nothing else was written.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.config.io import config_path as default_config
from app.config.io import is_default_location
from app.core.endpoints import base_urls
from app.core.i18n import t
from app.core.invocation import command, install_hint
from app.secrets.stores import FileStore


def config_args(config_path: Any) -> list[str]:
    """`--config PATH` when the file is not where the tool looks by default."""
    if config_path is None or is_default_location(Path(config_path)):
        return []
    return ["--config", str(config_path)]


def delete_entry_command(account: str, path: object = None) -> str:
    """`… key delete --account ENTRY --yes [--config C]`, spelled the way it runs here.

    Here, below the commands, because app.config.key_scope names it too (a kept old entry)."""
    return command("key", "delete", "--account", account, "--yes", *config_args(path))


def network_args_from(options: dict[str, Any]) -> tuple[str, ...]:
    """doctor's network options as typed (`--connect-to X --ca-file Y`), from the values the
    parser gave (absent = None); the order is the parser's."""
    args: list[str] = []
    for value in options.get("resolve") or ():
        args += ["--resolve", str(value)]
    for value in options.get("connect_to") or ():
        args += ["--connect-to", str(value)]
    if options.get("ca_file"):
        args += ["--ca-file", str(options["ca_file"])]
    if options.get("no_proxy"):
        args.append("--no-proxy")
    if options.get("timeout"):
        args += ["--timeout", str(options["timeout"])]
    return tuple(args)


# Our network options that curl spells the same (curl's --resolve / --connect-to semantics
# are the ones doctor implements) or differently.
_CURL_FLAGS = {"--resolve": "--resolve", "--connect-to": "--connect-to", "--ca-file": "--cacert"}


def _curl_args(network_args: Sequence[str]) -> list[str]:
    out: list[str] = []
    items = list(network_args)
    i = 0
    while i < len(items):
        flag = items[i]
        if flag == "--no-proxy":
            out += ["--noproxy", "*"]
        elif flag == "--timeout" and i + 1 < len(items):
            out += ["--max-time", items[i + 1]]
            i += 1
        elif flag in _CURL_FLAGS and i + 1 < len(items):
            out += [_CURL_FLAGS[flag], items[i + 1]]
            i += 1
        i += 1
    return out


def _pinned(network_args: Sequence[str]) -> bool:
    return any(a in ("--resolve", "--connect-to", "--ca-file") for a in network_args)


def next_commands(
    state: Any, config_path: Any = None, network_args: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """(caption, command) pairs for the profile just written; the key stays in its variable."""
    profile = ["--profile", state.profile_name, *config_args(config_path)]
    env_var = state.key_env
    if getattr(state, "endpoint_style", None) == "plan":
        # Plan keys are for interactive coding tools only (official): no curl or Python
        # one-liner is offered, the coding tools' export is.
        return [
            (t("screen_done.next_env"), f'eval "$({command("env", *profile)})"'),
            (t("screen_done.next_doctor"), command("doctor", *profile, *network_args)),
            (
                t("screen_done.next_plan_tools"),
                command("export", *profile, "--format", "claude-code"),
            ),
        ]
    urls = base_urls(state.region, state.endpoint_style, state.workspace_id)
    model = state.model or "qwen-plus"
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": "Hello"}],
            "max_completion_tokens": 16,
        }
    )
    curl = shlex.join(["curl", "-sS", *_curl_args(network_args), f"{urls.openai}/chat/completions"])
    curl += (
        f' -H "Authorization: Bearer ${env_var}" -H "Content-Type: application/json"'
        f" -d {shlex.quote(body)}"
    )
    commands = [
        (t("screen_done.next_env"), f'eval "$({command("env", *profile)})"'),
        (t("screen_done.next_doctor"), command("doctor", *profile, *network_args)),
        (t("screen_done.next_curl"), curl),
    ]
    if not _pinned(network_args):
        python = (
            "python -c 'import os; from openai import OpenAI; "
            f'c = OpenAI(base_url="{urls.openai}", api_key=os.environ["{env_var}"]); '
            f'print(c.chat.completions.create(model="{model}", '
            'messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content)\''
        )
        commands.append((t("screen_done.next_python"), python))
    return commands


def _wrote_config(state: Any) -> Path | None:
    for item in getattr(state, "written", ()) or ():
        if item.target == "config":
            return Path(item.path)
    return None


def final_lines(
    state: Any,
    config_path: Any = None,
    network_args: Sequence[str] = (),
    *,
    demo_root: Any = None,
    key_account: str | None = None,
) -> list[str]:
    """The lines printed after the wizard ends, from what was actually written.

    `key_account`: the keyring entry the wizard stored the key under (None: an earlier
    version's entry, the profile name). Left before Export, no profile names that entry,
    so the line offers a command that deletes it by its name (`key delete --account`)."""
    if state is None:
        return [t("wizard.quit_summary")]
    if demo_root is not None:
        return [
            t("wizard.demo_summary", root=str(demo_root)),
            t("wizard.demo_real", command=command()),
        ]
    profile = ["--profile", state.profile_name, *config_args(config_path)]
    written = _wrote_config(state)
    lines: list[str] = []
    if written is not None:
        lines.append(t("wizard.saved_summary", profile=state.profile_name, path=str(written)))
        others = [str(w.path) for w in state.written if w.target != "config"]
        if others:
            lines.append(t("wizard.also_written", paths=", ".join(others)))
        doctor = command("doctor", *profile, *network_args)
        lines.append(t("wizard.check_later", command=doctor))
    else:
        lines.append(t("wizard.quit_summary"))
        if state.key_saved and state.key_store in ("keyring", "file"):
            if state.key_store == "keyring":
                account = key_account or state.profile_name
                remove = command(
                    "key", "delete", "--account", account, "--yes", *config_args(config_path)
                )
            else:
                folder = Path(config_path or default_config(None)).parent
                remove = f"rm {shlex.quote(str(FileStore(folder).path_for(state.profile_name)))}"
            lines.append(
                t(
                    "wizard.key_kept",
                    profile=state.profile_name,
                    store=t(f"wizard.store_name_{state.key_store}"),
                    command=remove,
                )
            )
    hint = install_hint()
    if hint:
        lines.append(hint)
    return lines
