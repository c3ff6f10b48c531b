"""From what was found to findings: which value each client really uses (precedence), and
one finding per thing a user would notice, with one remedy each.

A wrong value in a file a client reads FIRST (a project `.env` Qwen Code picks, a Claude
Code settings `env` block, which wins over the shell) is one `file_shadows_profile`, saying
which clients take it from there; a wrong value anywhere else is the finding of its kind
(base_url_elsewhere, base_url_bad_path, client_key_differs, client_model_unserved), so a
stale line in ~/.bashrc is reported before the next shell picks it up. DASHSCOPE_API_KEY in
the environment keeps its own code, `env_key_differs`, which scripts already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.clients.extract import Extracted, KeyHit
from app.clients.extract_settings import is_model_studio_url
from app.clients.found import ENVIRONMENT, Entry, Item, Problem, StrayKey
from app.clients.judge_values import ValueJudge, Verdict
from app.clients.paths import where
from app.clients.table import (
    CLAUDE_AUTH_VARS,
    CLAUDE_SMALL_VARS,
    CLIENT_NAMES,
    PRECEDENCE,
    QWEN_AUTODETECT_VARS,
    VARIABLES,
)
from app.clients.variables import DASHSCOPE_ENV
from app.config.schema import Profile
from app.core.catalog import Catalog
from app.core.text import inert
from app.findings.codes import Finding
from app.secrets.key import ApiKey, InvalidApiKey, mask

BAD = frozenset({"elsewhere", "bad_path", "differs", "unserved"})
_NAME_MAX = 200


def _names(clients: Sequence[str]) -> tuple[str, ...]:
    return tuple(CLIENT_NAMES.get(c, c) for c in dict.fromkeys(clients))


def _detail(item: Item) -> str:
    """Where a value is: the tag `environment` (shown as words of the UI language) or
    `path:line`."""
    return "environment" if not item.in_file else where(item.source, item.line)


class Judgement:
    """The verdicts of one run and the findings drawn from them."""

    def __init__(
        self,
        extracted: Extracted,
        env_items: list[Item],
        profile: Profile,
        key: ApiKey | None,
        catalog: Catalog,
    ) -> None:
        self.ex = extracted
        self.profile = profile
        self.key = key
        self.catalog = catalog
        self.items = [*env_items, *extracted.items]
        values = ValueJudge(profile, key, catalog)
        self.verdicts = [values.verdict(i) for i in self.items]
        self.effective = self._effective()
        self.used_by = self._used_by()
        self.findings: list[Finding] = []

    def finding(self, code: str, surface: str | None = None, **params: Any) -> None:
        self.findings.append(Finding(code, surface, self.profile.region, None, (), params))

    # precedence ----------------------------------------------------------------------
    def _effective(self) -> dict[str, dict[str, int]]:
        """client -> variable -> index of the Item that client uses (first layer wins; an
        empty value counts as set: Qwen Code's no-override test is `hasOwn`)."""
        out: dict[str, dict[str, int]] = {}
        for client, layers in PRECEDENCE.items():
            chosen: dict[str, int] = {}
            for layer in layers:
                for index, item in enumerate(self.items):
                    if item.var is not None and layer in item.layers:
                        chosen.setdefault(item.var, index)
            out[client] = chosen
        return out

    def reads(self, client: str, var: str) -> bool:
        """Whether `client` uses variable `var`: the table says so, or its own settings name
        it for the key (Qwen Code `envKey`, Codex `env_key`, opencode `{env:VAR}`)."""
        spec = VARIABLES.get(var)
        return (spec is not None and client in spec.clients) or var in self.ex.references.get(
            client, set()
        )

    def _used_by(self) -> dict[int, tuple[str, ...]]:
        used: dict[int, list[str]] = {}
        for client, chosen in self.effective.items():
            for var, index in chosen.items():
                if self.reads(client, var):
                    used.setdefault(index, []).append(client)
        for index, item in enumerate(self.items):
            if item.var is None and item.layers:
                used[index] = list(item.clients)
        return {i: tuple(c) for i, c in used.items()}

    def readers(self, item: Item) -> tuple[str, ...]:
        """Who would use a value that no client uses now: the clients reading that source
        that read this variable, else every client of the variable (a script that loads the
        file), else the source's clients."""
        if item.var is None:
            return item.clients
        both = tuple(c for c in item.clients if self.reads(c, item.var))
        spec = VARIABLES.get(item.var)
        return both or (spec.clients if spec is not None else ()) or item.clients

    def chosen(self, client: str, var: str) -> Item | None:
        index = self.effective.get(client, {}).get(var)
        return None if index is None else self.items[index]

    # findings ------------------------------------------------------------------------
    def value_findings(self) -> None:
        for index, (item, verdict) in enumerate(zip(self.items, self.verdicts, strict=True)):
            if verdict.status in BAD:
                self._value_finding(item, verdict, self.used_by.get(index, ()))

    def _value_finding(self, item: Item, v: Verdict, used_by: tuple[str, ...]) -> None:
        clients = _names(used_by or self.readers(item))
        name = inert(item.name, _NAME_MAX)
        if item.in_file and used_by and item.var is not None and item.layers:
            self.finding(
                "file_shadows_profile",
                variable=name,
                path=where(item.source, item.line),
                clients=clients,
                expected=v.expected or "-",
                value=v.shown,
                reason=v.status,
            )
        elif v.status == "differs":
            if item.source == ENVIRONMENT and item.var == DASHSCOPE_ENV:
                self.finding("env_key_differs", env_key=v.shown, stored_key=v.expected)
            elif item.spec != "rc":  # a start-up file's key: plaintext_key_found says it
                self.finding(
                    "client_key_differs",
                    variable=name,
                    detail=_detail(item),
                    found_key=v.shown,
                    stored_key=v.expected,
                    clients=clients,
                )
        elif v.status in ("elsewhere", "bad_path"):
            code = "base_url_elsewhere" if v.status == "elsewhere" else "base_url_bad_path"
            self.finding(
                code, variable=name, detail=_detail(item), url=v.shown,
                expected=v.expected or "-", clients=clients,
            )  # fmt: skip
        else:
            self.finding(
                "client_model_unserved", item.expects, variable=name, detail=_detail(item),
                model=v.shown, models=v.models, clients=clients,
            )  # fmt: skip

    def conflicts(self) -> None:
        """ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN both used by a client, or both in one
        Claude Code settings `env` block (CLIENTS.md Claude Code, claude-code#67861)."""
        pairs: dict[tuple[int, int], list[str]] = {}
        for client in ("claude-code", "anthropic-python"):
            api, token = (self.effective[client].get(v) for v in CLAUDE_AUTH_VARS)
            if api is None or token is None:
                continue
            if self.items[api].value.strip() and self.items[token].value.strip():
                pairs.setdefault((api, token), []).append(client)
        by_file: dict[str, dict[str, int]] = {}
        for index, item in enumerate(self.items):
            var = item.var
            claude = "claude-code" in item.clients and var in CLAUDE_AUTH_VARS
            if var is not None and item.in_file and claude and item.value.strip():
                by_file.setdefault(item.source, {})[var] = index
        for found in by_file.values():
            if len(found) == 2:
                pairs.setdefault((found[CLAUDE_AUTH_VARS[0]], found[CLAUDE_AUTH_VARS[1]]), [])
        for (a, b), clients in pairs.items():
            first, second = self.items[a], self.items[b]
            if not first.in_file and not second.in_file:
                detail = "environment"
            else:
                detail = ", ".join(
                    dict.fromkeys(_detail(i) if i.in_file else f"${i.var}" for i in (first, second))
                )
            self.finding(
                "auth_vars_conflict", detail=detail, clients=_names(clients or ["claude-code"])
            )

    def partials(self) -> None:
        """Values that work for some clients only (INFO): a set one client needs whole."""
        base, key, model = (self.chosen("qwen-code", v) for v in QWEN_AUTODETECT_VARS)
        if (
            not self.ex.qwen_selects_provider
            and base is not None
            and key is not None
            and model is None
            and is_model_studio_url(base.value, self.catalog)
        ):
            self._partial((base, key), "qwen_autodetect", "qwen-code")
        claude = self.chosen("claude-code", "ANTHROPIC_BASE_URL")
        if (
            claude is not None
            and is_model_studio_url(claude.value, self.catalog)
            and all(self.chosen("claude-code", v) is None for v in CLAUDE_SMALL_VARS)
        ):
            self._partial((claude,), "claude_small", "claude-code")
        http = self.chosen("dashscope", "DASHSCOPE_HTTP_BASE_URL")
        if (
            http is not None
            and is_model_studio_url(http.value, self.catalog)
            and "//dashscope.aliyuncs.com" not in http.value
            and self.chosen("dashscope", "DASHSCOPE_WEBSOCKET_BASE_URL") is None
        ):
            self._partial((http,), "dashscope_ws", "dashscope")
        for item in self.items:  # CLIENTS.md Files in a project: Node's dotenv expands nothing
            if "qwen-dotenv" in item.layers and "${" in item.value:
                self._partial((item,), "node_no_expand", "qwen-code")

    def _partial(self, items: Sequence[Item], reason: str, client: str) -> None:
        variables = tuple(dict.fromkeys(i.var or i.name for i in items))
        detail = ", ".join(dict.fromkeys(_detail(i) for i in items))
        self.finding(
            "client_config_partial", variables=variables, detail=detail, reason=reason,
            clients=_names([client]),
        )  # fmt: skip

    def plaintext(self) -> list[StrayKey]:
        """Every key-shaped value stored in plain text, masked, and whether it is ours."""
        strays: list[StrayKey] = []
        seen: set[tuple[str, int | None, str]] = set()
        for hit in self.ex.hits:
            if (hit.source, hit.line, hit.name) in seen:
                continue
            seen.add((hit.source, hit.line, hit.name))
            stray = _stray(hit, self.key)
            strays.append(stray)
            ours = {True: "ours", False: "other", None: "unknown"}[stray.ours]
            self.finding(
                "plaintext_key_found", path=hit.source, line=hit.line or "-",
                variable=stray.variable, found_key=stray.masked, reason=ours,
            )  # fmt: skip
        return strays

    def unreadable(self, problems: Sequence[Problem]) -> None:
        for problem in problems:
            shown = where(problem.source, problem.line)  # `~/.bashrc:12`, as editors print it
            self.finding("client_file_unreadable", path=shown, reason=problem.reason)

    def entries(self) -> list[Entry]:
        return [
            Entry(item.clients, item.source, item.line, inert(item.name, _NAME_MAX), v.shown,
                  v.status, self.used_by.get(index, ()), item.note)
            for index, (item, v) in enumerate(zip(self.items, self.verdicts, strict=True))
        ]  # fmt: skip


def _stray(hit: KeyHit, key: ApiKey | None) -> StrayKey:
    try:
        found: ApiKey | None = ApiKey(hit.raw)
    except InvalidApiKey:
        found = None
    masked = found.masked() if found is not None else mask(hit.raw)
    ours = None if key is None else (found is not None and found == key)
    name = inert(hit.name, _NAME_MAX)
    return StrayKey(hit.source, hit.line, name, masked, ours, hit.path, found)
