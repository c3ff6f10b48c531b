"""The settings files of each client, read into Items: which member of which layout holds a
base URL, a key, a model, or the name of the variable that holds the key.

Each function knows one client's file shape (the source named on it) and nothing else; the
judging is app.clients.judge's. Values that are not strings are skipped: no client uses a
number as a URL or a key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.clients.found import Item
from app.clients.locate import Candidate
from app.clients.parsers import Leaf
from app.clients.table import FILES, VARIABLES
from app.core.catalog import Catalog
from app.core.endpoints import classify_host


def is_model_studio_url(url: object, catalog: Catalog) -> bool:
    """Whether `url` is on a Model Studio host (a region's, a workspace's or a plan's)."""
    if not isinstance(url, str):
        return False
    host = (urlsplit(url.strip()).hostname or "").lower()
    return bool(host) and (classify_host(host, catalog) is not None or host in catalog.plan_hosts)


@dataclass
class Settings:
    """The Items of one settings file, and the variables its entries name for the key."""

    cand: Candidate
    shown: str
    note: str | None
    leaves: list[Leaf]
    key_var: str
    catalog: Catalog
    items: list[Item] = field(default_factory=list)
    references: set[str] = field(default_factory=set)  # envKey / env_key / {env:VAR}
    selects_provider: bool = False  # Qwen Code: security.auth.selectedType is set

    def __post_init__(self) -> None:
        self.lines = {leaf.keys: leaf.line for leaf in self.leaves}

    def add(
        self,
        keys: tuple[str | int, ...],
        value: object,
        kind: str,
        *,
        expects: str | None = None,
        var: str | None = None,
        layers: tuple[str, ...] | None = None,
    ) -> None:
        if not isinstance(value, str):
            return
        self.items.append(
            Item(
                source=self.shown,
                name=Leaf(keys, None, None).name,
                kind=kind,
                clients=FILES[self.cand.spec].clients,
                layers=self.cand.layers if layers is None else layers,
                value=value,
                line=self.lines.get(keys) or self._first_line_under(keys),
                expects=expects,
                var=var,
                path=self.cand.path,
                note=self.note,
                spec=self.cand.spec,
            )
        )

    def _first_line_under(self, keys: tuple[str | int, ...]) -> int | None:
        """The line of an object member that is itself an object (an opencode model id):
        the first scalar inside it."""
        size = len(keys)
        return next((leaf.line for leaf in self.leaves if leaf.keys[:size] == keys), None)

    def env_block(self, doc: dict[str, Any]) -> None:
        """An `env` string map (Claude Code, Qwen Code): each known variable, and the
        profile's own key variable."""
        env = doc.get("env")
        if not isinstance(env, dict):
            return
        for name, value in env.items():
            var = VARIABLES.get(name)
            if var is not None:
                self.add(("env", name), value, var.kind, expects=var.expects, var=name)
            elif name == self.key_var:
                self.add(("env", name), value, "key", var=name)


def qwen_code(s: Settings, doc: dict[str, Any]) -> None:
    """~/.qwen/settings.json (CLIENTS.md Qwen Code; qwen-code packages/cli/src/config/
    settings.ts): `env`, `model.name`, `security.auth.selectedType`, and the model entries
    of `modelProviders.<protocol>` in every layout ($version 3/4: an array of entries; v5:
    `{protocol, models: [...]}`; a providerId-keyed map of such groups)."""
    s.env_block(doc)
    auth = _obj(_obj(doc.get("security")).get("auth"))
    if isinstance(auth.get("selectedType"), str):
        s.selects_provider = True
        s.add(("security", "auth", "selectedType"), auth["selectedType"], "other")
    studio_ids: set[str] = set()
    providers = doc.get("modelProviders")
    for keys, protocol, entry in _qwen_entries(providers):
        expects = protocol if protocol in ("openai", "anthropic") else None
        url = entry.get("baseUrl")
        s.add((*keys, "baseUrl"), url, "base_url", expects=expects)
        if isinstance(entry.get("envKey"), str):
            s.references.add(entry["envKey"])
            s.add((*keys, "envKey"), entry["envKey"], "envkey")
        on_studio = is_model_studio_url(url, s.catalog)
        s.add((*keys, "apiKey"), entry.get("apiKey"), "key", expects=_studio(on_studio))
        s.add((*keys, "id"), entry.get("id"), "model", expects=expects if on_studio else None)
        if on_studio and isinstance(entry.get("id"), str):
            studio_ids.add(entry["id"])
    model = doc.get("model")
    if isinstance(model, dict):
        name = model.get("name")
        expects = "openai" if name in studio_ids else None
        s.add(("model", "name"), name, "model", expects=expects)


def _qwen_entries(providers: Any) -> list[tuple[tuple[str | int, ...], str, dict[str, Any]]]:
    out: list[tuple[tuple[str | int, ...], str, dict[str, Any]]] = []
    if not isinstance(providers, dict):
        return out
    for group_id, group in providers.items():
        base: tuple[str | int, ...] = ("modelProviders", group_id)
        groups = [(base, group_id, group)]
        if isinstance(group, dict) and not isinstance(group.get("models"), list):
            groups = [((*base, k), k, v) for k, v in group.items()]  # providerId-keyed
        for keys, protocol, value in groups:
            if isinstance(value, dict) and isinstance(value.get("models"), list):
                protocol = (
                    value.get("protocol") if isinstance(value.get("protocol"), str) else protocol
                )
                keys, value = (*keys, "models"), value["models"]
            if isinstance(value, list):
                out += [
                    ((*keys, i), str(protocol), e)
                    for i, e in enumerate(value)
                    if isinstance(e, dict)
                ]
    return out


def _obj(value: object) -> dict[str, Any]:
    """`value` when it is an object (a JSON object, a TOML table), else an empty one."""
    return value if isinstance(value, dict) else {}


def _studio(on_studio: bool) -> str | None:
    """`expects` of a key in a provider entry: "studio" when the entry is Model Studio's
    (then the key must be the profile's), None for another provider's key."""
    return "studio" if on_studio else None


def claude_code(s: Settings, doc: dict[str, Any]) -> None:
    """Claude Code's settings (CLIENTS.md Claude Code): the `env` map and `apiKeyHelper`
    (a shell command it runs for the key: shown, never run)."""
    s.env_block(doc)
    s.add(("apiKeyHelper",), doc.get("apiKeyHelper"), "helper")


def opencode(s: Settings, doc: dict[str, Any]) -> None:
    """opencode.json (CLIENTS.md opencode): `provider.<id>` with `npm`, `options.baseURL`,
    `options.apiKey` (`{env:VAR}` names a variable), `models.<id>`."""
    providers = doc.get("provider")
    if not isinstance(providers, dict):
        return
    for pid, provider in providers.items():
        if not isinstance(provider, dict):
            continue
        npm = provider.get("npm")
        expects = "anthropic" if isinstance(npm, str) and "anthropic" in npm else "openai"
        options = _obj(provider.get("options"))
        url = options.get("baseURL")
        s.add(("provider", pid, "options", "baseURL"), url, "base_url", expects=expects)
        key = options.get("apiKey")
        if isinstance(key, str) and key.startswith("{env:") and key.endswith("}"):
            s.references.add(key[5:-1])
            s.add(("provider", pid, "options", "apiKey"), key, "envkey")
        else:
            on_studio = is_model_studio_url(url, s.catalog)
            s.add(("provider", pid, "options", "apiKey"), key, "key", expects=_studio(on_studio))
        models = provider.get("models")
        if isinstance(models, dict) and is_model_studio_url(url, s.catalog):
            for mid in models:
                s.add(("provider", pid, "models", mid), mid, "model", expects=expects)


def codex(s: Settings, doc: dict[str, Any]) -> None:
    """$CODEX_HOME/config.toml (openai/codex docs/config.md): `model_provider` and `model`
    (a `[profiles.<name>]` selected by `profile` overrides them), and
    `[model_providers.<id>]` with `base_url`, `env_key`, `experimental_bearer_token`.
    Only the selected provider is used; the others are read for stale values and keys."""
    profile = doc.get("profile")
    chosen = _obj(_obj(doc.get("profiles")).get(profile)) if isinstance(profile, str) else {}
    provider_id = chosen.get("model_provider") or doc.get("model_provider") or "openai"
    providers = _obj(doc.get("model_providers"))
    selected_url = None
    for pid, provider in providers.items():
        if not isinstance(provider, dict):
            continue
        layers = s.cand.layers if pid == provider_id else ()
        base = ("model_providers", pid)
        s.add(
            (*base, "base_url"),
            provider.get("base_url"),
            "base_url",
            expects="openai",
            layers=layers,
        )
        if isinstance(provider.get("env_key"), str):
            if pid == provider_id:
                s.references.add(provider["env_key"])
            s.add((*base, "env_key"), provider["env_key"], "envkey", layers=layers)
        token = provider.get("experimental_bearer_token")
        on_studio = is_model_studio_url(provider.get("base_url"), s.catalog)
        s.add(
            (*base, "experimental_bearer_token"),
            token,
            "key",
            expects=_studio(on_studio),
            layers=layers,
        )
        if pid == provider_id:
            selected_url = provider.get("base_url")
    expects = "responses" if is_model_studio_url(selected_url, s.catalog) else None
    if "model" in chosen:
        s.add(
            ("profiles", str(doc.get("profile")), "model"),
            chosen.get("model"),
            "model",
            expects=expects,
        )
    else:
        s.add(("model",), doc.get("model"), "model", expects=expects)
    s.add(("model_provider",), doc.get("model_provider"), "other")
