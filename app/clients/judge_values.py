"""One value against the profile: is this base URL, key, model, region or workspace what the
profile's exports would set, and how may it be shown?

The rules are the clients' (each named): a base URL must be the profile's URL for that
surface, since every SDK appends its own endpoint path to it (`/chat/completions`,
`/v1/messages`), so `/api/v1` given to an OpenAI client or `/apps/anthropic/v1` to an
Anthropic one answers 404; LiteLLM alone derives every protocol from any standard base.
Models are judged with the catalog the exports use (app.clients.variables, app.core.catalog);
for the OpenAI surface the catalog lists examples, not every model, so only names that
cannot be served there (another vendor's, a `-us` name outside Virginia, a plan's
non-member) are called unserved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.clients.extract import key_token
from app.clients.extract_settings import is_model_studio_url
from app.clients.found import Item
from app.clients.variables import anthropic_model, responses_model, small_model, websocket_url
from app.config.schema import Profile
from app.core.catalog import Catalog, anthropic_probe_model
from app.core.text import inert, looks_like_key
from app.probe.proxy import redact_proxy_url  # string rules, no httpx2 import
from app.secrets.key import ApiKey, InvalidApiKey, mask

_SHOWN_MAX = 300
# Another vendor's model names: never served by Model Studio's OpenAI-compatible surface.
_FOREIGN_MODEL = re.compile(
    r"(?:gpt-|chatgpt-|o[1-9](?:-|$)|claude-|gemini-|text-davinci|davinci|babbage)", re.I
)
# LiteLLM derives every protocol's base from these hosts' bases (litellm/llms/dashscope/
# common_utils.py _is_dashscope_host, 1.110.2); any other host's base is used as given.
_LITELLM_HOSTS = frozenset(
    {"dashscope.aliyuncs.com", "dashscope-intl.aliyuncs.com", "dashscope-us.aliyuncs.com"}
)


@dataclass(frozen=True)
class Verdict:
    status: str
    shown: str
    expected: str | None = None  # the profile's value, as it may be shown
    models: tuple[str, ...] = ()  # models that are served (for unserved)


def is_reference(value: str) -> bool:
    """`${VAR}`, `$VAR`, `$(command)`, a backtick command, fish's `(command)`, opencode's
    `{env:VAR}` / `{file:…}`: the value names another source, it is not itself a URL or a
    key."""
    text = value.strip()
    starts = ("$", "`", "(", "{env:", "{file:")
    return text.startswith(starts) or "${" in text or "$(" in text


def shown_value(item: Item) -> str:
    """What a message may show: a secret only masked, a URL with its credentials removed,
    anything key-shaped (a key pasted where a URL belongs) masked too (T16, T17)."""
    text = item.value.strip()
    if item.kind == "key" and not is_reference(text):
        try:
            return ApiKey(text).masked()
        except InvalidApiKey:
            return mask(text)
    if item.kind in ("proxy", "base_url"):
        # The shared redactor; the clients section shows any userinfo as one `***`.
        text = redact_proxy_url(text).replace("***:***@", "***@", 1)
    token = key_token(text)
    if token is not None or looks_like_key(text):
        return mask(token or text)
    return inert(text, _SHOWN_MAX)


class ValueJudge:
    """The profile's expected values, computed once, and the verdict on each Item."""

    def __init__(self, profile: Profile, key: ApiKey | None, catalog: Catalog) -> None:
        self.profile = profile
        self.key = key
        self.catalog = catalog
        urls = dict(profile.base_urls)
        ws = websocket_url(profile, catalog)
        if ws is not None:
            urls["dashscope_ws"] = ws
        urls["root"] = f"https://{profile.host}"
        urls["litellm"] = profile.base_urls["openai"]
        self.urls = urls

    def verdict(self, item: Item) -> Verdict:
        shown = shown_value(item)
        text = item.value.strip()
        if not text:
            return Verdict("empty", shown)
        if is_reference(text) and item.kind in ("base_url", "key", "model", "region"):
            return Verdict("reference", shown)
        if item.kind == "base_url":
            return self._url(item, text, shown)
        if item.kind == "key":
            return self._key(item, text, shown)
        if item.kind == "model" and item.expects is not None:
            return self._model(item.expects, text, shown)
        if item.kind == "region":
            ok = text == self.profile.region
            return Verdict("ok" if ok else "elsewhere", shown, self.profile.region)
        if item.kind == "workspace":
            ok = text == (self.profile.workspace_id or "")
            return Verdict("ok" if ok else "elsewhere", shown, self.profile.workspace_id or "-")
        return Verdict("set", shown)

    def _url(self, item: Item, text: str, shown: str) -> Verdict:
        expected = self.urls.get(item.expects or "")
        if expected is None:
            return Verdict("set", shown)
        if item.var is None and not is_model_studio_url(text, self.catalog):
            return Verdict("other", shown)  # another provider's entry in a multi-provider file
        got, want = urlsplit(text), urlsplit(expected)
        try:
            port = got.port
        except ValueError:
            port = -1
        host = (got.hostname or "").lower().rstrip(".")
        same_origin = (
            got.scheme.lower() == want.scheme
            and host == want.hostname
            and port in (None, 443)
            and got.username is None
            and got.password is None
            and not got.query
            and not got.fragment
        )
        if not same_origin:
            return Verdict("elsewhere", shown, expected)
        path = got.path.rstrip("/")
        if item.expects == "root":
            return Verdict("ok", shown, expected)
        allowed = {want.path.rstrip("/")}
        if item.expects == "litellm" and (host in _LITELLM_HOSTS or _litellm_workspace(host)):
            paths = self.catalog.paths
            allowed |= {"", paths["openai"], paths["anthropic"], paths["dashscope"]}
        if path not in allowed:
            return Verdict("bad_path", shown, expected)
        return Verdict("ok", shown, expected)

    def _key(self, item: Item, text: str, shown: str) -> Verdict:
        if self.key is None:
            return Verdict("set", shown)
        if item.var is None and item.expects != "studio":
            return Verdict("set", shown)  # a key of another provider's entry
        try:
            same = ApiKey(text) == self.key
        except InvalidApiKey:
            same = False
        return Verdict("ok" if same else "differs", shown, self.key.masked())

    def served(self, expects: str) -> tuple[str, ...]:
        """Models to suggest: what the exports write for that surface."""
        profile, catalog = self.profile, self.catalog
        if profile.plan is not None:
            return catalog.plan(profile.plan).models[:3]
        if expects == "anthropic":
            found = (anthropic_model(profile, catalog), small_model(profile, catalog))
            return tuple(dict.fromkeys(m for m in found if m is not None))
        if expects == "responses":
            return (responses_model(profile, catalog),)
        return (profile.model,)

    def _model(self, expects: str, model: str, shown: str) -> Verdict:
        profile, catalog = self.profile, self.catalog
        if profile.plan is not None:
            offered = catalog.plan(profile.plan).models
            ok = not offered or model in offered
        elif expects == "anthropic":
            served = anthropic_probe_model(profile.region, profile.scope, model, catalog)
            ok = served == model
        elif expects == "responses":
            ok = not catalog.responses_models or model in catalog.responses_models
        else:
            legacy = catalog.region(profile.region).legacy_suffix
            foreign = _FOREIGN_MODEL.match(model) is not None
            ok = not foreign and (legacy or not model.endswith("-us"))
        models = () if ok else self.served(expects)
        return Verdict("ok" if ok else "unserved", shown, models[0] if models else None, models)


def _litellm_workspace(host: str) -> bool:
    return host.endswith(".maas.aliyuncs.com") and not host.startswith(("trial.", "token-plan."))
