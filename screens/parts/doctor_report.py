"""The doctor screen's saved report: the same redacted Markdown `doctor --report` writes
(app.findings.report), with what the clients read, 0600 next to the exports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config.write import atomic_write
from app.services import Services

if TYPE_CHECKING:  # only the types
    from app.config.schema import Profile
    from app.config.write import WriteResult
    from app.findings.results import ProbeResult
    from app.secrets.key import ApiKey


def write_report(
    services: Services,
    profile: Profile,
    result: ProbeResult,
    *,
    key: ApiKey | None,
    key_source: str | None,
    clients: dict[str, Any] | None,
) -> WriteResult:
    """Write the report (atomic, 0600); UserError / OSError when it cannot be. The key is
    in it masked at most."""
    # lazy: the report module (importlib.metadata, platform: ~40 ms) loads when a report is
    # written, not when the doctor screen opens
    from app.findings.report import DoctorReport, environment, render_markdown

    stamp = services.clock().strftime("%Y%m%d-%H%M%S")
    path = Path(services.export_dir) / f"modelstudio-doctor-{profile.name}-{stamp}.md"
    env = environment(
        proxy=result.proxy,
        no_proxy=False,
        trust=result.trust.describe(),
        keyring_backend=None,
        key_source=key_source,
        key_masked=key.masked() if key is not None else None,
    )
    p = profile
    report = DoctorReport(p.name, p.region, p.scope, p.model, result, env, clients)
    return atomic_write(path, render_markdown(report), secret=True, backup=False)
