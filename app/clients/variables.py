"""What the real clients read: the environment variables of each SDK and coding agent
(MODEL_STUDIO.md section 8), the variables that carry the key, and the one model the
Anthropic-compatible surface serves for a profile.

The exports write these (app.export.formats); a check of what a client will read belongs
here too, so that what is written and what is checked stay one list. Pure functions over a
profile and the catalog: `env` imports this on its hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.catalog import Catalog, anthropic_probe_model, load_catalog

if TYPE_CHECKING:
    from app.config.schema import Profile

DASHSCOPE_ENV = "DASHSCOPE_API_KEY"
# The DashScope SDK's default WebSocket path (dashscope/common/env.py and v2/_config.py
# WS_INFERENCE_PATH, SDK 2.0.2): realtime, TTS and ASR connect there, on the HTTP host.
WEBSOCKET_PATH = "/api-ws/v1/inference"


def anthropic_model(profile: Profile, catalog: Catalog | None = None) -> str | None:
    """The model the Anthropic surface serves for this profile, or None when none fits.

    The rule is the doctor's (`anthropic_probe_model`, which app.probe.engine uses), so the check
    proves what the export writes, `-us` forms in model-suffix regions included. None means
    writing any model would fail on that surface: callers leave ANTHROPIC_MODEL out and say so.
    """
    if profile.plan is not None:
        return profile.model  # a plan host serves its plan's models on both surfaces
    return anthropic_probe_model(profile.region, profile.scope, profile.model, catalog)


def small_model(profile: Profile, catalog: Catalog | None = None) -> str | None:
    """The "small / fast" tier on the Anthropic surface (Claude Code's `haiku` alias, which
    its built-in Explore subagent asks for): the smallest flash-class model that surface
    serves for this profile, else the profile's own served model; None when none is served.

    A plan host serves its plan's models on both surfaces; elsewhere the doctor's rule
    (anthropic_probe_model) decides what is served in the profile's scope.
    """
    catalog = catalog or load_catalog()
    main = anthropic_model(profile, catalog)
    if main is None:
        return None
    if profile.plan is not None:
        offered = catalog.plan(profile.plan).models
        return next((m for m in catalog.small_models if m in offered), main)
    # Only a model of the profile's scope (the catalog's list of it) that the surface serves:
    # another scope's flash model would run outside the data boundary, or answer 404.
    in_scope = catalog.ping_models(profile.scope) if profile.scope in catalog.scopes else ()
    for candidate in catalog.small_models:
        served = anthropic_probe_model(profile.region, profile.scope, candidate, catalog)
        if candidate in in_scope and served == candidate:
            return candidate
    return main


def responses_model(profile: Profile, catalog: Catalog | None = None) -> str:
    """A model Model Studio's Responses API serves (Codex speaks only that API): the
    profile's own when listed, else the newest listed one its plan or scope offers, else
    the newest listed (the export says so; `codex -m` overrides it)."""
    catalog = catalog or load_catalog()
    listed = catalog.responses_models
    if profile.model in listed or not listed:
        return profile.model
    if profile.plan is not None:
        offered: tuple[str, ...] = catalog.plan(profile.plan).models
    else:
        offered = (*catalog.ping_models(profile.scope), *catalog.anthropic_models)
    return next((m for m in listed if m in offered), listed[0])


def websocket_url(profile: Profile, catalog: Catalog | None = None) -> str | None:
    """The DashScope WebSocket base of this profile (realtime, TTS, ASR); None on a plan host.

    The trial domain speaks only HTTP and SSE (MODEL_STUDIO.md section 2): its profiles get
    the region's DashScope shared host, which accepts every workspace's key, or none.
    """
    if "dashscope" not in profile.base_urls:
        return None
    host = profile.host
    if profile.endpoint_style == "trial":
        catalog = catalog or load_catalog()
        shared = catalog.region(profile.region).hosts.shared
        if shared is None:
            return None
        host = shared
    return f"wss://{host}{WEBSOCKET_PATH}"


def sdk_builds_native_url(profile: Profile) -> bool:
    """Whether the dashscope SDK's 1.x-style API builds this profile's native URL itself
    (dashscope/common/env.py, >= 1.27.8): `{DASHSCOPE_WORKSPACE_ID}.{region}.maas...` in every
    region but Beijing, `dashscope.aliyuncs.com` in Beijing. Then DASHSCOPE_HTTP_BASE_URL is
    left out, since the 2.x `Client` takes it as the base of EVERY protocol (its OpenAI and
    Anthropic calls would go to `/api/v1/...`: proven in tests/e2e/test_real_sdks.py)."""
    if profile.endpoint_style == "workspace":
        return profile.region != "cn-beijing"
    return profile.endpoint_style == "shared" and profile.region == "cn-beijing"


def env_pairs(profile: Profile, catalog: Catalog) -> list[tuple[str, str]]:
    """Every non-secret variable the clients of CLIENTS.md read.

    DashScope SDK names from its source (2.0.2, pinned in uv.lock): the 1.x-style API
    (`dashscope/common/env.py`) reads DASHSCOPE_HTTP_BASE_URL (only where it cannot build
    the URL itself: sdk_builds_native_url), DASHSCOPE_WEBSOCKET_BASE_URL,
    DASHSCOPE_COMPATIBLE_BASE_URL, DASHSCOPE_API_REGION and DASHSCOPE_WORKSPACE_ID; the 2.x
    `dashscope.Client` (`v2/_config.py`) reads DASHSCOPE_REGION and DASHSCOPE_WORKSPACE
    (DASHSCOPE_BASE_URL is never written: like DASHSCOPE_HTTP_BASE_URL, it would be its base
    for every protocol).
    """
    urls = profile.base_urls
    pairs = []
    if "dashscope" in urls:  # a plan host has no native surface
        if not sdk_builds_native_url(profile):
            pairs += [("DASHSCOPE_HTTP_BASE_URL", urls["dashscope"])]
        ws = websocket_url(profile, catalog)
        if ws is not None:
            pairs += [("DASHSCOPE_WEBSOCKET_BASE_URL", ws)]
        pairs += [("DASHSCOPE_COMPATIBLE_BASE_URL", urls["openai"])]
    pairs += [("DASHSCOPE_API_REGION", profile.region), ("DASHSCOPE_REGION", profile.region)]
    if profile.workspace_id:
        pairs += [
            ("DASHSCOPE_WORKSPACE_ID", profile.workspace_id),
            ("DASHSCOPE_WORKSPACE", profile.workspace_id),
        ]
    pairs += [
        ("DASHSCOPE_API_BASE", urls["openai"]),
        ("OPENAI_BASE_URL", urls["openai"]),
        # Qwen Code takes an OpenAI-compatible setup from the environment only when all of
        # OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL are set (CLIENTS.md): the whole set.
        ("OPENAI_MODEL", profile.model),
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
