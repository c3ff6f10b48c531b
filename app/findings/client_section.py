"""The doctor report's "What your clients read" section, as text and as Markdown.

It is built from the JSON form of app.clients.environment.ClientEnvironment (the same
dict `doctor --json` prints under `clients`), because findings sit below the clients layer:
this module only lays out values that were masked and made inert where they were read.
Each line says the value, where it comes from (the environment, or a file and line) and
which clients use it now, so "Qwen Code takes OPENAI_BASE_URL from ./.env" is visible
without reading the finding list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.core.i18n import t
from app.core.text import inert

# A symbol per entry status (colour is never the only signal): fine, wrong, or not judged.
STATUS_SYMBOLS = {
    "ok": "✓",
    "elsewhere": "!",
    "bad_path": "!",
    "differs": "!",
    "unserved": "!",
    "reference": "·",
    "set": "·",
    "empty": "·",
    "other": "·",
}
MAX_ENTRIES = 60  # a home full of settings stays readable; JSON keeps every entry


def _source(entry: Mapping[str, Any]) -> str:
    source = str(entry.get("source") or "-")
    if source == "environment":
        return t("doctor.clients_from_environment")
    line = entry.get("line")
    return f"{source}:{line}" if line else source


def _clients(ids: object, names: Mapping[str, Any]) -> str:
    """Client ids as product names (`names`: app.clients.table.CLIENT_NAMES, carried in
    the dict), or words saying no client uses the value now."""
    if not isinstance(ids, list) or not ids:
        return t("doctor.clients_used_by_none")
    return ", ".join(str(names.get(i, i)) for i in ids)


def entry_lines(
    clients: Mapping[str, Any] | None, escape: Callable[[str], str] = inert
) -> list[str]:
    """One line per value found (then one per file that could not be read); `escape`
    makes each shown value safe for the output (inert text, or Markdown-inline)."""
    if not clients:
        return []
    entries = [e for e in clients.get("entries", []) if isinstance(e, Mapping)]
    names = clients.get("client_names")
    names = names if isinstance(names, Mapping) else {}
    out: list[str] = []
    for entry in entries[:MAX_ENTRIES]:
        status = str(entry.get("status") or "set")
        out.append(
            t(
                "doctor.clients_entry",
                symbol=STATUS_SYMBOLS.get(status, "·"),
                name=escape(str(entry.get("name") or "-")),
                value=escape(str(entry.get("value") or "-")),
                source=escape(_source(entry)),
                status=t(f"doctor.clients_status_{status}")
                if status in STATUS_SYMBOLS
                else escape(status),
                used_by=escape(_clients(entry.get("used_by"), names)),
            )
        )
    if len(entries) > MAX_ENTRIES:
        out.append(t("doctor.clients_more", count=len(entries) - MAX_ENTRIES))
    if not entries:
        out.append(t("doctor.clients_none"))
    for problem in clients.get("problems", []):
        if isinstance(problem, Mapping):
            out.append(
                t(
                    "doctor.clients_unreadable",
                    source=escape(_source({"source": problem.get("path"), **problem})),
                    reason=escape(str(problem.get("reason") or "-")),
                )
            )
    return out


def network_lines(
    clients: Mapping[str, Any] | None, escape: Callable[[str], str] = inert
) -> list[str]:
    """The clients' routes (one line per URL when they all agree, else one per client),
    the extra routes tested, and the trust stores grouped by store."""
    if not clients:
        return []
    out: list[str] = []
    by_url: dict[str, list[Mapping[str, Any]]] = {}
    for route in clients.get("routes", []):
        if isinstance(route, Mapping):
            by_url.setdefault(str(route.get("url")), []).append(route)
    for url, routes in by_url.items():
        ways = {(r.get("outcome"), r.get("proxy")) for r in routes}
        if len(ways) == 1:
            outcome, proxy = next(iter(ways))
            key = "doctor.routes_all_proxy" if outcome == "proxy" else "doctor.routes_all_direct"
            if outcome == "refused":
                key = "doctor.routes_all_refused"
            out.append(t(key, url=escape(url), proxy=escape(str(proxy or "-"))))
        else:
            out.append(t("doctor.routes_split", url=escape(url)))
            out += ["  " + escape(str(r.get("text") or "-")) for r in routes]
    for path in clients.get("paths", []):
        if isinstance(path, Mapping):
            out.append(
                t(
                    "doctor.path_tested",
                    url=escape(str(path.get("url"))),
                    proxy=escape(str(path.get("proxy") or "-")),
                    clients=escape(", ".join(str(c) for c in path.get("clients") or ())),
                    status=escape(str(path.get("status"))),
                )
            )
    stores: dict[tuple[str, object], list[str]] = {}
    for trust in clients.get("trust", []):
        if isinstance(trust, Mapping):
            mark = (str(trust.get("store")), trust.get("accepts_presented_chain"))
            stores.setdefault(mark, []).append(str(trust.get("client")))
    for (store, accepts), names in stores.items():
        word = (
            "doctor.trust_accepts"
            if accepts is True
            else "doctor.trust_refuses"
            if accepts is False
            else "doctor.trust_unknown"
        )
        out.append(t(word, clients=escape(", ".join(names)), store=escape(store)))
    return out


def text_lines(clients: Mapping[str, Any] | None) -> list[str]:
    """The section for the terminal: a title, then indented entry lines."""
    if clients is None:
        return []
    lines = [*entry_lines(clients), *network_lines(clients)]
    return ["", t("doctor.clients_title"), *("  " + line for line in lines)]


def markdown_lines(clients: Mapping[str, Any] | None, escape: Callable[[str], str]) -> list[str]:
    """The section for the support report: a heading and a list."""
    if clients is None:
        return []
    lines = [*entry_lines(clients, escape), *network_lines(clients, escape)]
    return ["", f"## {t('doctor.clients_title')}", ""] + [f"- {line}" for line in lines]
