"""The Export step's decisions: where each target goes, what writing it there will do, the
text it gets, and the profile saved first. Free of Textual, so each is testable alone.

Split from app.flow (the rest of the wizard's decisions), which it uses for the profile the
wizard is about to save. The export core is imported inside the functions that use it: the
Export screen imports this module before the first paint.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserError
from app.core.i18n import t
from app.core.text import looks_like_key
from app.flow import build_profile, scoped_profile
from app.secrets.key import ApiKey
from app.services import Services
from app.state import WizardState, WrittenFile

if TYPE_CHECKING:  # only the types: see the module docstring
    from app.config.schema import Profile
    from app.config.write import WriteResult

# Where each target goes by default, relative to Services.export_dir. Claude Code and Qwen
# Code read these project-level files; an existing one is merged, never clobbered.
DEFAULT_PATHS: dict[str, str] = {
    "claude-code": ".claude/settings.local.json",
    "qwen-code": ".qwen/settings.json",
    "opencode": "opencode.json",
}
# Merged into an existing file (app.export.merge_settings), never clobbered.
MERGED_SETTINGS = ("claude-code", "qwen-code", "opencode", "codex")
# POSIX NAME_MAX / PATH_MAX of the common file systems (ext4, APFS, NTFS counts UTF-16 units,
# which never exceeds the UTF-8 byte count for these limits' purpose).
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096
# Refusals of the export core that an explicit "replace it" (force) may override, and the
# message the Export step shows for each.
REFUSALS: dict[str, str] = {
    "exporters.foreign_file": "screen_export.foreign_file",
    "exporters.existing_not_text": "screen_export.existing_not_text",
    "exporters.symlink_outside": "screen_export.symlink_outside",
    "exporters.settings_conflict": "screen_export.settings_conflict",
}


def default_paths(export_dir: Path, written: Iterable[WrittenFile] = ()) -> dict[str, Path]:
    """Where each export target goes unless the user says otherwise: what was written
    before in this run, else its default under the export folder."""
    from app.export.destination import codex_home  # lazy: the exporters load with Export
    from app.export.formats import FORMATS  # lazy: the exporters load when Export opens

    paths = {
        fmt: Path(export_dir) / DEFAULT_PATHS.get(fmt, spec.suggested_name)
        for fmt, spec in FORMATS.items()
    }
    # Codex reads its providers only from its home (a project's .codex/config.toml may not
    # name one): the user's config there, merged.
    paths["codex"] = codex_home() / "config.toml"
    for item in written:
        if item.target in paths:
            paths[item.target] = item.path
    return paths


# Targets a plan host cannot have: it has no DashScope native surface (the export core
# refuses them, exporters.plan_no_native), so the Export step does not offer them.
NEEDS_NATIVE = ("dashscope-python",)


def offered_formats(state: WizardState, formats: Iterable[str]) -> tuple[str, ...]:
    """The export targets this setup can have, in their order."""
    plan = state.endpoint_style == "plan"
    return tuple(fmt for fmt in formats if not (plan and fmt in NEEDS_NATIVE))


def destination_problem(raw: str) -> str | None:
    """Why `raw` cannot be a destination at all, or None.

    Checked before the OS sees it: a NUL makes every os call raise ValueError, a component
    over NAME_MAX raises ENAMETOOLONG even from `exists()`. Both arrive by paste.
    """
    text = raw.strip()
    if not text:
        return t("screen_export.destination_empty")
    if looks_like_key(text):  # a pasted key would become a file name (T16)
        return t("profiles.field_looks_like_key", what=t("profiles.what_destination"))
    for index, char in enumerate(text, start=1):
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0:
            return t("screen_export.destination_control", code=f"U+{code:04X}", position=index)
    try:
        encoded = [os.fsencode(part) for part in Path(text).expanduser().parts]
    except (ValueError, RuntimeError):  # undecodable surrogates; no home for "~user"
        return t("screen_export.destination_unusable")
    for part in encoded:
        if len(part) > NAME_MAX_BYTES:
            return t(
                "screen_export.destination_name_too_long",
                length=len(part),
                limit=NAME_MAX_BYTES,
            )
    if sum(len(part) + 1 for part in encoded) > PATH_MAX_BYTES:
        return t("screen_export.destination_too_long", limit=PATH_MAX_BYTES)
    return None


def _ours(path: Path) -> bool:
    """Whether `path` carries this tool's header (an earlier export it may replace)."""
    from app.export.formats import written_by_us  # lazy: the exporters load with Export

    try:
        head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return False
    return written_by_us(head)


def destination_outcome(
    fmt: str, path: Path, *, written: Iterable[WrittenFile], forced: bool
) -> str:
    """What writing `fmt` to `path` will do, in the terms the export core acts on (write_export):
    JSON settings and .env are merged, a file this tool wrote (or one the user chose to
    replace) is replaced without a backup, anything else is refused. '' = nothing to say."""
    try:
        exists = path.exists()
        is_file = path.is_file()
    except (OSError, ValueError) as exc:  # e.g. a component the OS refuses (ENAMETOOLONG)
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return t("screen_export.destination_refused", reason=reason)
    if not exists or any(w.path == path for w in written):
        return ""
    if not is_file:
        return t("screen_export.destination_not_file", path=str(path))
    if fmt in MERGED_SETTINGS:
        return t("screen_export.destination_merged", path=str(path))
    if fmt == "dotenv":
        return t("screen_export.destination_merged_env", path=str(path))
    if forced or _ours(path):
        return t("screen_export.destination_exists", path=str(path))
    return t("screen_export.destination_foreign", path=str(path))


def _config_ref(services: Services) -> str | None:
    from app.config.io import is_default_location  # lazy: Export only

    config_path = Path(services.config_path)
    return None if is_default_location(config_path) else str(config_path)


def export_text(
    state: WizardState, services: Services, fmt: str, include_key: bool, path: Path | None = None
) -> tuple[str, bool]:
    """Exporter text for `fmt` written to `path` and whether it holds the literal key (only
    with the opt-in, and only in a format that can hold it there: never in a committed Claude
    Code file). The destination decides as for the CLI (app.export.destination)."""
    from app.export.destination import destination_options  # lazy: Export only
    from app.export.formats import FORMATS, export  # lazy: Export only

    profile = build_profile(state, services.clock, services.recorded_store)
    options = destination_options(fmt, path)
    holds_key = include_key and FORMATS[fmt].can_hold_key and not options.committed
    text = export(
        profile,
        fmt,
        state.api_key,
        holds_key,
        config=_config_ref(services),
        form=options.form,
        committed=options.committed,
    )
    return text, holds_key


def destination_notes(state: WizardState, services: Services, fmt: str, path: Path) -> list[str]:
    """What the CLI says beside this file (which Claude Code file, a Node .env's variables,
    Codex's model, where the key comes from), for the Export step's note."""
    from app.export.destination import destination_notices, destination_options  # lazy

    try:
        options = destination_options(fmt, path)
    except UserError as exc:  # e.g. a project's .codex/config.toml
        return [exc.message]
    return destination_notices(
        build_profile(state),
        fmt,
        options,
        output=path,
        config=_config_ref(services),
        include_key=state.include_key,
    )


def write_export_file(
    path: Path,
    fmt: str,
    text: str,
    *,
    profile: Profile,
    holds_key: bool,
    force: bool,
    config_path: Path,
) -> WriteResult:
    """One export through the export core (merge .env / settings, refuse a file this tool
    did not write unless `force`); the WriteResult."""
    from app.export.write import write_export  # lazy: Export only

    done = write_export(
        path,
        fmt,
        text,
        profile=profile,
        include_key=holds_key,
        force=force,
        config_path=config_path,
    )
    return done.result


def save_profile(state: WizardState, services: Services) -> tuple[Profile, WrittenFile]:
    """The config first (exports never reference a profile that does not exist): the
    profile with its keyring entry, written through the config API (lock, atomic)."""
    from app.config.io import modify_config  # lazy: Export only

    profile = scoped_profile(
        build_profile(state, services.clock, services.recorded_store), services
    )
    _config, result = modify_config(
        services.config_path,
        lambda config: config.with_profile(profile),
        replacing=profile.name,
    )
    return profile, WrittenFile("config", result.path, result.mode, False)


def mode_text(mode: int) -> str:
    return f"{stat.filemode(stat.S_IFREG | (mode & 0o777))} ({mode & 0o777:04o})"


def masked_preview(text: str, key: ApiKey | None) -> str:
    """Exporter output as shown on screen: a literal key (opt-in) is replaced by its mask."""
    if key is None:
        return text
    return text.replace(key.reveal(), key.masked())


def written_rows(written: Iterable[WrittenFile]) -> list[str]:
    """One line per written file: path, permissions, and whether it holds the key."""
    rows = []
    for item in written:
        holds = t("screen_export.holds_key") if item.holds_key else ""
        mode = mode_text(item.mode)
        rows.append(t("screen_export.written_row", path=str(item.path), mode=mode, key=holds))
    return rows


def usage_notice(state: WizardState, fmt: str) -> str | None:
    """The plans' usage rule where `fmt` is run from scripts (.env, shell, Python, LiteLLM):
    the same warning `export` prints (app.export.rules); None for any other setup."""
    if state.endpoint_style != "plan":
        return None
    from app.export.rules import plan_usage_notice  # lazy: the exporters load with Export

    return plan_usage_notice(build_profile(state), fmt)
