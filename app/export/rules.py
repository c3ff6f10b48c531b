"""What an export may be, before any text is made: the refusals (ExportError, with their
message ids), the control-character rule every written value passes (T13), and the notices
the `export` command prints next to a file: the Anthropic model left out, the plans' usage
rule, and `--for-ci`'s rules (no plan key, no literal key, the secret's variable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.clients.variables import anthropic_model
from app.core.errors import UserError
from app.core.i18n import t
from app.core.record import replace

if TYPE_CHECKING:
    from app.config.schema import Profile
    from app.core.catalog import Catalog


class ExportError(UserError):
    """The export cannot be produced as asked (unknown format, unsafe value, ...)."""


def clean(value: str, what: str) -> str:
    """Refuse control characters: a newline in a value would inject a line (T13)."""
    for ch in value:
        if ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0:
            raise ExportError("exporters.control_char", what=what, code=f"U+{ord(ch):04X}")
    return value


# Formats that would name an Anthropic-surface model (ANTHROPIC_MODEL or a snippet's model).
ANTHROPIC_FORMATS = ("dotenv", "sh", "fish", "powershell", "anthropic-python", "claude-code")


def anthropic_model_notice(
    profile: Profile, fmt: str, catalog: Catalog | None = None
) -> str | None:
    """A message for the user when `fmt` leaves ANTHROPIC_MODEL out (None otherwise)."""
    if fmt not in ANTHROPIC_FORMATS or anthropic_model(profile, catalog) is not None:
        return None
    return t("exporters.no_anthropic_model", scope=profile.scope, region=profile.region)


# Formats people run from scripts, backends and CI: a plan key there can get the account
# suspended (official usage rule of both plans), so exporting a plan profile to them warns.
SCRIPT_FORMATS = (
    "dotenv",
    "sh",
    "fish",
    "powershell",
    "openai-python",
    "anthropic-python",
    "litellm",
)


def plan_usage_notice(profile: Profile, fmt: str) -> str | None:
    """The plans' usage rule, for a plan profile exported where scripts would use it."""
    if profile.plan is None or fmt not in SCRIPT_FORMATS:
        return None
    return t("exporters.plan_script_warning", fmt=fmt)


def ci_ready(profile: Profile, include_key: bool) -> Profile:
    """`export --for-ci`: the profile as a CI job uses it, or an ExportError saying why not.

    A CI runner has no keyring and no modelstudio-setup: the key comes from the job's
    secrets as the profile's variable (the store is read as `env`, so nothing runs `key get`).
    A plan key there breaks the plans' usage rule (official: the account can be suspended),
    and a literal key in a file a CI job reads belongs in the CI's secret store instead.
    """
    if profile.plan is not None:
        raise ExportError("exporters.ci_plan", profile=profile.name)
    if include_key:
        raise ExportError("exporters.ci_include_key", var=profile.api_key.env)
    return replace(profile, api_key=replace(profile.api_key, store="env"))


def ci_notices(profile: Profile, fmt: str) -> list[str]:
    """What `export --for-ci` says on stderr: where the job's secret goes, and the trial
    domain's limits (no SLA, one RPM budget for every workspace) when the profile uses it."""
    var = "ANTHROPIC_AUTH_TOKEN" if fmt == "claude-code" else profile.api_key.env
    notices = [t("exporters.ci_secret", var=var)]
    if profile.endpoint_style == "trial":
        notices.append(t("exporters.ci_trial", profile=profile.name))
    return notices
