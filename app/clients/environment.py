"""What the user's clients see, in one call: `read_environment` reads the environment and
every file the clients of CLIENTS.md read (app.clients.table), and says what is wrong.

Doctor tests the profile; the user's clients run with whatever their shell and their files
say, and the most common "it just broke" is there, not in the profile: a stale
OPENAI_BASE_URL, an old key in ~/.bashrc, a project `.env` that shadows the profile (see
CLIENTS.md "Files in a project"). This is pure reading: nothing is changed, nothing is sent,
no command (an `apiKeyHelper`, a `$(…)`) is run. Every shown value went through the
masking and escaping of app.clients.judge_values; raw values stay inside this package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.clients.extract import Extracted, FileRead, environment_items, read_candidate
from app.clients.found import Entry, Problem, StrayKey
from app.clients.judge import Judgement
from app.clients.locate import candidates
from app.clients.table import CLIENT_NAMES
from app.config.schema import Profile
from app.core.catalog import Catalog, load_catalog
from app.core.text import inert
from app.findings.codes import Finding, Worded
from app.secrets.key import ApiKey

__all__ = ["ClientEnvironment", "read_environment", "section_json", "stray_keys"]


@dataclass(frozen=True)
class ClientEnvironment:
    """The result: what was found (`entries`), the files read (`files`), the files that
    could not be (`problems`), the findings, and the plain-text keys (`stray_keys`)."""

    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    findings: tuple[Finding, ...]
    stray_keys: tuple[StrayKey, ...]
    files: tuple[FileRead, ...] = ()

    def problem_lines(self) -> tuple[str, ...]:
        """One line per file that could not be read, in the UI language."""
        return tuple(f.message for f in self.findings if f.code == "client_file_unreadable")

    def to_json(self) -> dict[str, Any]:
        """For `doctor --json`: shown values only (secrets masked), stable field names."""
        return {
            "entries": [e.to_json() for e in self.entries],
            "files": [
                {"path": f.source, "kind": f.spec, "clients": list(f.clients), "used": f.used,
                 "note": f.note}
                for f in self.files
            ],
            "problems": [
                {"path": p.source, "reason": p.reason, "detail": p.detail, "line": p.line}
                for p in self.problems
            ],
            "findings": [{**f.to_json(), "details": _details(f)} for f in self.findings],
            "stray_keys": [s.to_json() for s in self.stray_keys],
        }  # fmt: skip


def section_json(
    environment: ClientEnvironment,
    network: Mapping[str, Any] | None = None,
    paths: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The "What your clients read" section as `doctor --json` and the reports carry it
    (CLI and TUI): the reader's JSON, the clients' routes and trust when decided
    (`network`: NetworkView.to_json()), the extra routes tested, and the product names
    of the client ids (the report layer sits below app.clients and cannot look them up)."""
    out = {**environment.to_json(), **(network or {}), "client_names": dict(CLIENT_NAMES)}
    if network is not None:
        out["paths"] = [dict(p) for p in paths]
    return out


def _details(finding: Finding) -> dict[str, Any]:
    """A finding's parameters for scripts: every one already a shown value (masked key,
    URL without credentials); tuples become lists, text stays inert."""
    out: dict[str, Any] = {}
    for name, value in finding.params.items():
        if isinstance(value, tuple | list):
            out[name] = [inert(v) for v in value]
        elif isinstance(value, str | Worded):
            out[name] = inert(str(value))
        else:
            out[name] = value
    return out


def read_environment(
    profile: Profile,
    key: ApiKey | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    home: Path,
    catalog: Catalog | None = None,
) -> ClientEnvironment:
    """Read what each client reads (the environment `env`, the files under `cwd` and
    `home`) and judge it against `profile` (and its key, when known: without it keys are
    listed, not compared). Never raises for what a file holds; never changes a file."""
    catalog = catalog or load_catalog()
    key_var = profile.api_key.env
    extracted = Extracted()
    for cand in candidates(env, cwd, home):
        read_candidate(cand, home, key_var, catalog, extracted)
    judgement = Judgement(extracted, environment_items(env, key_var), profile, key, catalog)
    judgement.value_findings()
    judgement.conflicts()
    judgement.partials()
    strays = judgement.plaintext()
    judgement.unreadable(extracted.problems)
    return ClientEnvironment(
        entries=tuple(judgement.entries()),
        problems=tuple(extracted.problems),
        findings=tuple(_unique(judgement.findings)),
        stray_keys=tuple(strays),
        files=tuple(extracted.files),
    )


def stray_keys(
    profile: Profile,
    key: ApiKey | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    home: Path,
) -> tuple[StrayKey, ...]:
    """The keys stored in plain text in the files the clients read (and the shell start-up
    files): what `key import` and the wizard's Welcome offer to move into the keyring."""
    return read_environment(profile, key, env=env, cwd=cwd, home=home).stray_keys


def _unique(findings: list[Finding]) -> list[Finding]:
    """The same finding twice (one value reached by two paths) is said once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for finding in findings:
        mark = (finding.code, repr(sorted(finding.params.items(), key=lambda kv: kv[0])))
        if mark not in seen:
            seen.add(mark)
            out.append(finding)
    return out
