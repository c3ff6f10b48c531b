"""What the destination of an export decides, and what the user is told beside the file.

The same target written to different places must differ: Claude Code's project
`.claude/settings.json` is committed (no key, no path of this machine), a `.env` beside a
`package.json` is read by Node's dotenv (no `${VAR}` references). The CLI and the wizard
both ask here (one copy), so a preview and a written file never disagree.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.clients.variables import key_vars, responses_model
from app.core.i18n import t
from app.core.record import Record

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.core.catalog import Catalog

# The agents that read the key from a variable named in their file (not a helper command).
KEY_FROM_ENV = {"qwen-code": "Qwen Code", "opencode": "opencode", "codex": "Codex"}


class ExportOptions(Record):
    """The export's choices that follow from where it goes (see the module docstring)."""

    form: str = "python"  # the .env's reader (text_formats.DOTENV_FORMS)
    form_auto: bool = False  # `form` chosen because a package.json is beside the file
    committed: bool = False  # Claude Code's project settings.json
    claude_file: str | None = None  # user | project | local, for Claude Code's files


def claude_config_dir() -> Path:
    """Where Claude Code keeps its user settings: $CLAUDE_CONFIG_DIR, else ~/.claude."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def claude_state_file() -> Path:
    """Claude Code's state file (`hasCompletedOnboarding` and more): $CLAUDE_CONFIG_DIR/
    .claude.json when that is set, else ~/.claude.json (beside ~/.claude, not in it)."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser() / ".claude.json"
    return Path.home() / ".claude.json"


def codex_home() -> Path:
    """Codex's home: $CODEX_HOME, else ~/.codex (config.toml and <name>.config.toml)."""
    configured = os.environ.get("CODEX_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".codex"


def _codex_project_file(path: Path) -> bool:
    """A project's `.codex/config.toml`: Codex ignores `model_provider` and
    `model_providers` there (PROJECT_LOCAL_CONFIG_DENYLIST, codex-rs/config/src/loader)."""
    path = Path(os.path.abspath(path.expanduser()))
    home = Path(os.path.abspath(codex_home().expanduser()))
    return path.parent.name == ".codex" and path.parent != home


def claude_file_kind(path: Path) -> str | None:
    """user / project / local for a Claude Code settings file, None for any other path."""
    path = Path(os.path.abspath(path.expanduser()))
    if path.parent == Path(os.path.abspath(claude_config_dir())):
        return "user" if path.name == "settings.json" else None
    if path.parent.name != ".claude":
        return None
    return {"settings.json": "project", "settings.local.json": "local"}.get(path.name)


def destination_options(fmt: str, output: Path | None, form: str | None = None) -> ExportOptions:
    """The options of `fmt` written to `output` (None: printed); `form` as the user asked."""
    if fmt == "dotenv":
        if form is not None:
            return ExportOptions(form=form)
        beside_package = (
            output is not None and (output.expanduser().parent / "package.json").is_file()
        )
        return ExportOptions(form="node" if beside_package else "python", form_auto=beside_package)
    if fmt == "codex" and output is not None and _codex_project_file(output):
        from app.export.rules import ExportError  # lazy: only on this refusal

        raise ExportError("exporters.codex_project_file", path=str(output), home=str(codex_home()))
    if fmt == "claude-code" and output is not None:
        kind = claude_file_kind(output)
        return ExportOptions(committed=kind == "project", claude_file=kind)
    return ExportOptions()


def destination_notices(
    profile: Profile,
    fmt: str,
    options: ExportOptions,
    *,
    output: Path | None,
    config: str | None,
    include_key: bool,
    for_ci: bool = False,
    catalog: Catalog | None = None,
) -> list[str]:
    """What the user needs to know to use this file: which Claude Code file it is, the
    variables a Node .env leaves to the environment, Codex's model, where a key comes from."""
    from app.core import invocation  # lazy: only when an export is made
    from app.export.header import address

    env_command = invocation.command("env", *address(profile, config))
    notices: list[str] = []
    if options.claude_file is not None:
        which = t(f"exporters.claude_which_{options.claude_file}")
        notices.append(t("exporters.claude_files", which=which))
    if options.committed and config is not None:
        notices.append(t("exporters.committed_no_config", profile=profile.name))
    if fmt == "dotenv" and options.form == "node" and not include_key and not for_ci:
        names = ", ".join(key_vars(profile))
        if options.form_auto:
            path = str(output)
            notices.append(
                t("exporters.node_form_auto", path=path, names=names, command=env_command)
            )
        else:
            notices.append(t("exporters.node_form_names", names=names, command=env_command))
    if fmt == "codex" and profile.plan is not None:
        # MODEL_STUDIO.md and CLIENTS.md name the Responses API on the pay-as-you-go hosts
        # only: on a plan host it is not confirmed, so the user is told before relying on it.
        notices.append(t("exporters.codex_plan_unverified", host=profile.host))
    if fmt == "codex":
        model = responses_model(profile, catalog)
        if model != profile.model:
            notices.append(t("exporters.codex_model", model=model, profile_model=profile.model))
    client = KEY_FROM_ENV.get(fmt)
    if client is not None and not include_key and not for_ci:
        var = profile.api_key.env
        notices.append(t("exporters.key_from_env", client=client, var=var, command=env_command))
    return notices
