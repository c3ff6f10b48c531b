"""Ask the service which models a key can see: fetch and parse the model list, leniently.

Sources of the shapes (MODEL_STUDIO.md sections 4, 5 and 7):
- official: the native `GET {host}/api/v1/models` exists ("List models", 2026-09) with the
  query parameters `page_no` / `page_size` and a filter by deployment mode.
- assumed (the simulator's form, not confirmed against the live service): the native answer
  is `{"request_id", "output": {"page_no", "page_size", "total", "models": [{"model", ...}]}}`
  with the scope in `deployment_scope`. So the id is read from `model` or `id`, the scope
  from `deployment_scope` when present, and every other field is ignored.
- observed: `GET {host}/compatible-mode/v1/models` answers the OpenAI list shape
  `{"object": "list", "data": [{"id": ...}]}`.
A hostile answer (huge, deeply nested, wrong types) becomes a `problem`, never an exception:
bodies are capped as they are read, JSON nesting is limited (app.core.json_limits), entries
and pages are capped. The same transport as doctor (pins, proxy, CA, timeout) is used.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx2

from app.core.models import Target
from app.probe.engine import ProbeOptions
from app.probe.model_list import (
    MAX_ENTRIES,
    MAX_LIST_BYTES,
    ListedModel,
    parse_page,
)
from app.probe.proxy import choose_proxy, refuse_key_in_settings, settings_from_env
from app.probe.surfaces import USER_AGENT, send
from app.probe.transport import PinnedBackend, PinnedTransport, Pins
from app.probe.trust import build_ssl_context
from app.secrets.key import ApiKey

PAGE_SIZE = 100
MAX_PAGES = 10


@dataclass
class ModelList:
    """What listing found: the models, where from, and why it stopped short (a locale key)."""

    models: list[ListedModel] = field(default_factory=list)
    source: str | None = None  # native | compatible | None (nothing could be read)
    problem: str | None = None  # locale key under models.problem_*
    http_status: int | None = None
    truncated: bool = False
    complete: bool = False  # every page read: "not listed" then means "not visible"

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.models]


async def list_models(
    targets: list[Target],
    key: ApiKey,
    *,
    timeout: float = 10.0,
    pins: Pins | None = None,
    ca_file: str | None = None,
    no_proxy: bool = False,
    env: Mapping[str, str] | None = None,
) -> ModelList:
    """The models `key` can see on the profile's hosts: the native list first (paged, up to
    MAX_PAGES), the compatible one when there is no native surface (plans) or it fails.
    Raises UserError only for unusable settings (CA file, proxy variables)."""
    env = os.environ if env is None else env
    refuse_key_in_settings(env, ca_file, key.reveal())
    context, _ = build_ssl_context(ca_file, env)
    settings = None if no_proxy else settings_from_env(env)
    by_surface = {t.surface: t for t in targets if t.role == "profile"}
    result = ModelList()
    for surface, source in (("dashscope", "native"), ("openai", "compatible")):
        target = by_surface.get(surface)
        if target is None:
            continue
        url = httpx2.URL(target.base_url)
        port = url.port or 443
        proxy = choose_proxy(url.scheme, url.host, port, settings, disabled=no_proxy)
        backend = PinnedBackend(pins=pins or Pins())
        transport = PinnedTransport(context, backend, proxy.url)
        async with httpx2.AsyncClient(
            transport=transport, follow_redirects=False, trust_env=False
        ) as client:
            try:
                # One deadline for the whole listing of a surface, DNS included (httpx2's
                # timeouts cover neither the lookup nor the sum of the pages).
                result = await asyncio.wait_for(
                    _read(client, target.base_url, key, source, timeout), timeout * 2
                )
            except asyncio.TimeoutError:
                result = ModelList(source=source, problem="problem_network")
        if result.source is not None and result.problem is None:
            return result
        if result.http_status in (401,):
            return result  # the key: the other surface would say the same
    return result


async def _read(
    client: httpx2.AsyncClient, base: str, key: ApiKey, source: str, timeout: float
) -> ModelList:
    out = ModelList(source=source)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    headers["Authorization"] = f"Bearer {key.reveal()}"
    for page_no in range(1, MAX_PAGES + 1):
        params = {"page_no": page_no, "page_size": PAGE_SIZE} if source == "native" else None
        request = client.build_request(
            "GET", base + "/models", headers=headers, params=params, timeout=timeout
        )
        try:
            answer = await send(client, request, MAX_LIST_BYTES)
        except httpx2.HTTPError:
            out.problem = "problem_network"
            return out
        out.http_status = answer.status
        if answer.status != 200:
            out.problem = {401: "problem_401", 403: "problem_403", 404: "problem_404"}.get(
                answer.status, "problem_status"
            )
            return out
        page = parse_page(answer.content_type, answer.body, source, answer.oversized)
        if page.problem is not None:
            out.problem = page.problem
            return out
        seen = set(out.ids)
        out.models += [m for m in page.models if m.id not in seen]
        if len(out.models) >= MAX_ENTRIES:
            out.models = out.models[:MAX_ENTRIES]
            out.truncated = True
            return out
        more = (
            source == "native"
            and page.total is not None
            and len(page.models) > 0
            and len(out.models) < page.total
        )
        if not more:
            out.complete = True
            return out
    out.truncated = True
    return out


async def list_models_for(targets: list[Target], key: ApiKey, options: ProbeOptions) -> ModelList:
    """list_models with a run's ProbeOptions (the wizard's: pins, CA file, proxy, timeout),
    so a screen offering the listed models asks the service the way its test does."""
    return await list_models(
        targets,
        key,
        timeout=options.timeout,
        pins=options.pins,
        ca_file=options.ca_file,
        no_proxy=options.no_proxy,
        env=options.env,
    )
