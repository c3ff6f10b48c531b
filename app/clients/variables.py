"""What the real clients read: the environment variables of each SDK and coding agent
(MODEL_STUDIO.md section 8), the variables that carry the key, and the one model the
Anthropic-compatible surface serves for a profile.

The exports write these (app.export.formats); a check of what a client will read belongs
here too, so that what is written and what is checked stay one list. Pure functions over a
profile and the catalog: `env` imports this on its hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.catalog import Catalog, anthropic_probe_model

if TYPE_CHECKING:
    from app.config.schema import Profile

DASHSCOPE_ENV = "DASHSCOPE_API_KEY"


def anthropic_model(profile: Profile, catalog: Catalog | None = None) -> str | None:
    """The model the Anthropic surface serves for this profile, or None when none fits.

    The rule is the doctor's (`anthropic_probe_model`, which app.probe.engine uses), so the check
    proves what the export writes, `-us` forms in model-suffix regions included. None means
    writing any model would fail on that surface: callers leave ANTHROPIC_MODEL out and say so.
    """
    if profile.plan is not None:
        return profile.model  # a plan host serves its plan's models on both surfaces
    return anthropic_probe_model(profile.region, profile.scope, profile.model, catalog)


def env_pairs(profile: Profile, catalog: Catalog) -> list[tuple[str, str]]:
    """Every non-secret variable the clients of MODEL_STUDIO.md section 8 read."""
    urls = profile.base_urls
    pairs = []
    if "dashscope" in urls:  # a plan host has no native surface
        pairs += [
            ("DASHSCOPE_HTTP_BASE_URL", urls["dashscope"]),
            ("DASHSCOPE_BASE_URL", urls["dashscope"]),
        ]
    pairs += [("DASHSCOPE_REGION", profile.region)]
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


def key_vars(profile: Profile) -> list[str]:
    """The variables that carry the key, the profile's own variable first."""
    names = [profile.api_key.env]
    for name in (DASHSCOPE_ENV, "OPENAI_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        if name not in names:
            names.append(name)
    return names
