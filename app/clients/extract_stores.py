"""The files where a CLI or an SDK keeps its own key, base URL and workspace (the `bl`
CLI's ~/.bailian/config.json, the DashScope SDK 2.x's ~/.dashscope/config.toml), read into
Items. Apart from the coding agents' settings (app.clients.extract_settings) because these
are one client's own store, with a variable of the environment winning over each field.
"""

from __future__ import annotations

from typing import Any

from app.clients.extract_settings import Settings

# Top-level members of ~/.bailian/config.json that are fields, not named profiles
# (modelstudioai/cli packages/core/src/config/schema.ts CONFIG_FILE_KEYS, loader.ts).
_BAILIAN_FIELDS = frozenset(
    {"language", "api_key", "access_token", "access_key_id", "access_key_secret",
     "security_token", "base_url", "output", "output_dir", "timeout", "watermark",
     "workspace_id", "console_site", "console_region", "console_switch_agent", "telemetry",
     "api_key_capabilities", "active_config"}
)  # fmt: skip


def bailian(s: Settings, doc: dict[str, Any]) -> None:
    """~/.bailian/config.json of the `bl` CLI (modelstudioai/cli packages/core/src/config/
    loader.ts readConfigProfiles): the top level is the default profile, every other object
    member a named one, `active_config` the one `bl` uses; `DASHSCOPE_API_KEY` /
    `DASHSCOPE_BASE_URL` / `BAILIAN_WORKSPACE_ID` in the environment win over the file."""
    active = doc.get("active_config") if isinstance(doc.get("active_config"), str) else "default"
    blocks: list[tuple[tuple[str, ...], str, dict[str, Any]]] = [((), "default", doc)]
    blocks += [
        ((k,), k, v) for k, v in doc.items() if k not in _BAILIAN_FIELDS and isinstance(v, dict)
    ]
    for prefix, name, block in blocks:
        layers = s.cand.layers if name == active else ()
        s.add(
            (*prefix, "api_key"),
            block.get("api_key"),
            "key",
            var="DASHSCOPE_API_KEY",
            layers=layers,
        )
        s.add(
            (*prefix, "base_url"),
            block.get("base_url"),
            "base_url",
            expects="root",
            var="DASHSCOPE_BASE_URL",
            layers=layers,
        )
        s.add(
            (*prefix, "workspace_id"),
            block.get("workspace_id"),
            "workspace",
            var="BAILIAN_WORKSPACE_ID",
            layers=layers,
        )


def dashscope_config(s: Settings, doc: dict[str, Any]) -> None:
    """~/.dashscope/config.toml of the DashScope SDK 2.x (dashscope/v2/_config.py
    _FILE_KEYS): below the environment, above the 1.x key file."""
    s.add(("api_key",), doc.get("api_key"), "key", var="DASHSCOPE_API_KEY")
    s.add(("base_url",), doc.get("base_url"), "base_url", expects="root", var="DASHSCOPE_BASE_URL")
    s.add(("workspace",), doc.get("workspace"), "workspace", var="DASHSCOPE_WORKSPACE")
    s.add(("region",), doc.get("region"), "region", var="DASHSCOPE_REGION")
