"""The model list's answer, parsed leniently, and the ping model chosen from it.

Pure data (no httpx2): the probe's auth step already GETs the model list, so the ping model
is chosen from that answer without a second request (app.probe.surfaces), and `models`
(app.probe.models) reads the same shapes. Which parts of the shape are official and which
assumed: see app.probe.models.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.catalog import Catalog, load_catalog
from app.core.json_limits import parse_json
from app.core.text import inert

MAX_LIST_BYTES = 2_000_000  # one page's body
MAX_ENTRIES = 2_000  # models kept over all pages
MAX_ID_CHARS = 128


@dataclass(frozen=True)
class ListedModel:
    id: str
    scope: str | None  # the deployment scope, only when the service says it
    source: str  # native | compatible


@dataclass
class Page:
    models: list[ListedModel]
    problem: str | None = None
    total: int | None = None

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.models]

    @property
    def complete(self) -> bool:
        """Whether this one page is the whole list (a compatible list has no pages)."""
        return self.total is None or self.total <= len(self.models)


def _entry(raw: object, source: str) -> ListedModel | None:
    if not isinstance(raw, dict):
        return None
    ident = raw.get("model", raw.get("id"))
    if not isinstance(ident, str) or not ident.strip() or len(ident) > MAX_ID_CHARS:
        return None
    scope = raw.get("deployment_scope")
    scope = inert(scope)[:MAX_ID_CHARS] if isinstance(scope, str) and scope else None
    return ListedModel(inert(ident.strip()), scope, source)


def parse_page(content_type: str, body: bytes, source: str, oversized: bool = False) -> Page:
    """One answer's models (`source` native or compatible); a problem key for a bad answer."""
    if oversized:
        return Page([], "problem_too_big")
    ok, value = parse_json(content_type, body)
    if not ok or not isinstance(value, dict):
        return Page([], "problem_not_json")
    total: int | None = None
    if source == "native":
        output = value.get("output")
        items = output.get("models") if isinstance(output, dict) else value.get("models")
        if isinstance(output, dict):
            raw_total = output.get("total")
            total = raw_total if isinstance(raw_total, int) and raw_total >= 0 else None
    else:
        items = value.get("data")
    if not isinstance(items, list):
        return Page([], "problem_shape")
    models = [m for m in (_entry(i, source) for i in items[:MAX_ENTRIES]) if m is not None]
    if items and not models:
        return Page([], "problem_shape")
    return Page(models, None, total)


def choose_ping_model(
    page: Page | None,
    model: str | None,
    scope: str | None,
    catalog: Catalog | None = None,
) -> tuple[str | None, str | None]:
    """(model to ping, reason): the profile's model when it is listed (or the list cannot
    tell); else a small model from the list that fits the scope (`no_model` / `not_listed`);
    the catalog's ping list when the list cannot be read and there is no model
    (`catalog_fallback`). (None, None) when nothing fits."""
    listed = None
    if page is not None and page.problem is None:
        listed = [m for m in page.models if m.scope is None or scope is None or m.scope == scope]
    if model and (listed is None or not page or not page.complete or model in page.ids):
        return model, None
    reason = "not_listed" if model else "no_model"
    catalog = catalog or load_catalog()
    preferred: tuple[str, ...] = ()
    if scope is not None and scope in catalog.scopes:
        preferred = catalog.ping_models(scope)
    if listed is None:
        return (preferred[0], "catalog_fallback") if preferred and not model else (model, None)
    ids = [m.id for m in listed]
    for name in preferred:
        if name in ids and "flash" in name:
            return name, reason
    flash = sorted(i for i in ids if "flash" in i)
    if flash:
        return flash[0], reason
    for name in preferred:
        if name in ids:
            return name, reason
    return (model, None) if model else (None, None)
