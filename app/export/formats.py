"""Profile -> text for each client a developer may use (SDKs, shells, coding agents).

Exported files end up in repositories, screenshots and chat messages, so by default they
REFERENCE the key (an environment variable, or a `key get` command substitution) and never
copy it (SECURITY.md T10). Every value is checked for control characters and quoted for its
target syntax (T13). These are pure functions so the wizard can preview them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.config.schema import Config
from app.core.catalog import Catalog, load_catalog
from app.core.record import Record
from app.export.header import (  # re-exported (__all__): the names other modules use
    KEY_COMMAND,
    KEY_REFERENCED,
    KEY_WARNING,
    MARKER,
    NO_ANTHROPIC_MODEL_COMMENT,
    header_lines,
    written_by_us,
)
from app.export.rules import ExportError, ci_ready, clean
from app.export.text_formats import (  # re-exported, as above
    DOTENV_FORMS,
    SHELLS,
    _dotenv_quote,
    _ps_quote,
    dotenv,
    shell,
)

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.secrets.key import ApiKey

__all__ = [
    "DOTENV_FORMS",
    "FORMATS",
    "KEY_COMMAND",
    "KEY_REFERENCED",
    "KEY_WARNING",
    "MARKER",
    "NO_ANTHROPIC_MODEL_COMMENT",
    "SHELLS",
    "Format",
    "_dotenv_quote",
    "_ps_quote",
    "export",
    "references_key_command",
    "written_by_us",
]


class Format(Record):
    """An export target: its id, a suggested file name and whether it can hold a key."""

    id: str
    suggested_name: str
    can_hold_key: bool
    kind: str  # text | json | toml | yaml | python | shell


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
        Format("opencode", "opencode.json", True, "json"),
        Format("codex", "config.toml", False, "toml"),
        Format("litellm", "litellm_config.yaml", True, "yaml"),
    )
}


def references_key_command(
    profile: Profile, fmt: str, include_key: bool, for_ci: bool = False
) -> bool:
    """True when the export runs `modelstudio-setup key get` to fetch the key."""
    if include_key or for_ci:
        return False
    if fmt == "claude-code":
        return True
    return fmt in SHELLS and profile.api_key.store != "env"


def export(
    profile: Profile,
    fmt: str,
    key: ApiKey | None = None,
    include_key: bool = False,
    *,
    config: str | None = None,
    catalog: Catalog | None = None,
    for_ci: bool = False,
    form: str = "python",
    committed: bool = False,
) -> str:
    """The text of one export target. `key` is read only when `include_key` is True.

    `config` is added to the `key get` command when the profile lives in a non-default
    config file, so the reference still resolves. `for_ci`: see ci_ready. `form`: the .env's
    reader (text_formats.DOTENV_FORMS). `committed`: a Claude Code project settings file
    that goes into the repository (agents.claude_code); it never holds the key.
    """
    catalog = catalog or load_catalog()
    if for_ci:
        profile = ci_ready(profile, include_key)
    if fmt not in FORMATS:
        raise ExportError("exporters.unknown_format", fmt=fmt, known=", ".join(FORMATS))
    if form not in DOTENV_FORMS:
        raise ExportError("exporters.unknown_form", form=form, known=", ".join(DOTENV_FORMS))
    spec = FORMATS[fmt]
    if fmt == "dashscope-python" and "dashscope" not in profile.base_urls:  # a plan host
        raise ExportError("exporters.plan_no_native", fmt=fmt)
    if include_key:
        if not spec.can_hold_key:
            raise ExportError("exporters.cannot_hold_key", fmt=fmt)
        if committed:
            raise ExportError("exporters.committed_no_key", fmt=fmt)
        if key is None:
            raise ExportError("exporters.key_required")
    else:
        key = None  # never even look at it: from here on, None = the key is referenced
    for value in (*profile.base_urls.values(), profile.model, profile.name):
        clean(value, "profile")
    if fmt == "yaml":
        doc = Config(default_profile=profile.name, profiles={profile.name: profile}).dump()
        return "\n".join(header_lines(profile, "#", False)) + "\n" + doc
    if fmt == "dotenv":
        return dotenv(profile, key, catalog, config, for_ci, form)
    if fmt in SHELLS:
        return shell(profile, fmt, key, catalog, config, for_ci)
    if fmt.endswith("-python"):
        from app.export.snippets import python_snippet  # lazy: `env` needs only the shells

        return python_snippet(profile, fmt.removesuffix("-python"), key, catalog)
    return _settings(profile, fmt, key, config, catalog, for_ci=for_ci, committed=committed)


def _settings(
    profile: Profile,
    fmt: str,
    key: ApiKey | None,
    config: str | None,
    catalog: Catalog,
    *,
    for_ci: bool,
    committed: bool,
) -> str:
    """The agents' and LiteLLM's files (lazy imports: `env` must not pay for JSON/TOML/YAML)."""
    from app.export import agents  # lazy: as the docstring says

    if fmt == "codex":
        import tomlkit  # lazy: as the docstring says

        doc = tomlkit.document()
        for line in header_lines(profile, "#", False):
            doc.add(tomlkit.comment(line.removeprefix("# ")))
        for name, value in agents.codex(profile, catalog).items():
            doc[name] = value
        return tomlkit.dumps(doc)
    if fmt == "litellm":
        import yaml  # lazy: as the docstring says

        head = "\n".join(header_lines(profile, "#", key is not None))
        body: str = yaml.safe_dump(agents.litellm(profile, key), sort_keys=False)
        return head + "\n" + body
    import json  # lazy: as the docstring says

    data: dict[str, object]
    if fmt == "claude-code":
        data = agents.claude_code(profile, key, config, catalog, for_ci=for_ci, committed=committed)
    elif fmt == "qwen-code":
        data = agents.qwen_code(profile)
    else:  # opencode
        data = agents.opencode(profile, key)
    return json.dumps(data, indent=2) + "\n"
