"""What a command that changes something did, for `--json` (issue 12 §6).

`configure`, `key set / delete / import / rotate`, `profiles delete` and `export` accept
`--json`: stdout then carries exactly one JSON document (app.core.json_out: schema_version
first, shapes in docs/json.md) that says what was done and the exit code, printed once at
the end; every line meant for people goes to stderr instead, so a script can read stdout
whole and a person running it still sees the messages. A command refused before it did
anything (bad input: exit 2) prints its message on stderr and no document.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from app.core.errors import render


class Outcome:
    """Lines for the user (stdout, or stderr under --json) and the JSON document."""

    def __init__(self, as_json: bool, **fields: Any) -> None:
        self.as_json = as_json
        self.summary: dict[str, Any] = dict(fields)

    def record(self, **fields: Any) -> None:
        self.summary.update(fields)

    def say(self, key: str, **params: Any) -> None:
        # render: parameters made inert, key-shaped ones hidden (the one renderer)
        print(render(key, **params), file=sys.stderr if self.as_json else sys.stdout)

    def warn(self, text: str) -> None:
        print(f"modelstudio-setup: {text}", file=sys.stderr)

    def done(self, code: int) -> int:
        if self.as_json:
            from app.core.json_out import dumps  # lazy: only --json prints JSON

            self.summary["exit_code"] = code
            print(dumps(self.summary))
        return code

    def run(self, work: Callable[[], int]) -> int:
        """Run a command whose code prints its lines itself: under --json they are sent to
        stderr while it runs, and the document follows on stdout."""
        if not self.as_json:
            return work()
        with contextlib.redirect_stdout(sys.stderr):
            code = work()
        return self.done(code)
