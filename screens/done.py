"""Step 7, Done: what was written where, and the next commands to run.

The next commands are the point of this screen: a user who closes the wizard should be able
to paste one line and see their code talk to Model Studio. They reference the key through
its environment variable, never show it.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from app.i18n import t
from screens.base import StepScreen


def next_commands(state: Any, config_path: Any = None) -> list[tuple[str, str]]:
    """(caption, command) pairs for the profile just written; the key stays in the env var.

    A config outside the default location is named with `--config`: without it the
    commands would read the default config and not find the profile (QA B34).
    """
    from pathlib import Path

    from app.endpoints import base_urls
    from app.profiles import is_default_location

    profile = shlex.quote(state.profile_name)
    if config_path is not None and not is_default_location(Path(config_path)):
        profile += f" --config {shlex.quote(str(config_path))}"
    env_var = state.key_env
    urls = base_urls(state.region, state.endpoint_style, state.workspace_id)
    model = state.model or "qwen-plus"
    body = json.dumps(
        {"model": model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16}
    )
    curl = (
        f"curl -sS {urls.openai}/chat/completions "
        f'-H "Authorization: Bearer ${env_var}" -H "Content-Type: application/json" '
        f"-d {shlex.quote(body)}"
    )
    python = (
        "python -c 'import os; from openai import OpenAI; "
        f'c = OpenAI(base_url="{urls.openai}", api_key=os.environ["{env_var}"]); '
        f'print(c.chat.completions.create(model="{model}", '
        'messages=[{"role": "user", "content": "Hello"}]).choices[0].message.content)\''
    )
    return [
        (t("screen_done.next_env"), f'eval "$(modelstudio-setup env --profile {profile})"'),
        (t("screen_done.next_doctor"), f"modelstudio-setup doctor --profile {profile}"),
        (t("screen_done.next_curl"), curl),
        (t("screen_done.next_python"), python),
    ]


def written_lines(state: Any) -> list[str]:
    if not state.written:
        return [t("screen_done.nothing_written")]
    lines = []
    for item in state.written:
        holds = t("screen_export.holds_key") if item.holds_key else ""
        lines.append(
            t("screen_export.written_row", path=str(item.path), mode=_mode(item.mode), key=holds)
        )
    return lines


def _mode(mode: int) -> str:
    from screens.export import mode_text

    return mode_text(mode)


def _verdict(state: Any) -> str:
    result = state.probe_result
    if result is None:
        return t("screen_done.verdict.none")
    if isinstance(result, dict):
        verdict = result.get("verdict")
    else:
        verdict = getattr(result, "verdict", None)
    return t(f"screen_done.verdict.{verdict if verdict in ('ok', 'warn', 'fail') else 'none'}")


class DoneScreen(StepScreen):
    """Step 7: the summary; Next (Finish) ends the wizard with the final state."""

    STEP = "done"

    def next_label(self) -> str:
        return t("screen_done.finish")

    def compose_step(self) -> ComposeResult:
        s = self.state
        yield Static(
            t(
                "screen_done.summary",
                profile=s.profile_name,
                region=s.region or "-",
                scope=s.scope or "-",
                model=s.model or "-",
            ),
            id="done-summary",
            markup=False,
        )
        yield Static(_verdict(s), id="done-verdict", markup=False)
        yield Static(t("screen_done.written_title"), classes="section-title")
        yield Static("\n".join(written_lines(s)), id="done-written", markup=False)
        if s.demo:
            yield Static(t("screen_done.demo_note"), id="done-demo-note")
        yield Static(t("screen_done.next_title"), classes="section-title")
        commands = []
        if s.region:
            for caption, command in next_commands(s, self.services.config_path):
                commands.append(f"{caption}\n  {command}")
        yield Static("\n".join(commands), id="done-next", markup=False)
