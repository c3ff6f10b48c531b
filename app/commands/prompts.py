"""Questions asked on the terminal: a confirmation, or a hidden answer (a key).

One place for both, so that every prompt ends the same way when the user walks away from it:
Ctrl-D (end of input) or Ctrl-C is "cancelled, nothing changed", never an EOFError or
KeyboardInterrupt traceback (QA C14). Callers ask before they change anything, so the
message is true. Exit codes (README "Exit codes"): 2 for Ctrl-D, as for a prompt that cannot
be asked at all (no terminal, `--yes` needed); 130 for Ctrl-C, as everywhere in the tool.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from app.core.errors import EXIT_USAGE, UserError

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell shows for Ctrl-C
YES = ("y", "yes", "是")


class Cancelled(UserError):
    """The user ended a prompt without answering; nothing was changed."""

    def __init__(self, interrupted: bool) -> None:
        super().__init__("cli.prompt_interrupted" if interrupted else "cli.prompt_eof")
        self.exit_code = EXIT_INTERRUPTED if interrupted else EXIT_USAGE


def _ask(read: Callable[[str], str], question: str) -> str:
    try:
        return read(question)
    except EOFError:
        print(file=sys.stderr)  # the prompt line was left open
        raise Cancelled(interrupted=False) from None
    except KeyboardInterrupt:
        print(file=sys.stderr)
        raise Cancelled(interrupted=True) from None


def confirm(question: str) -> bool:
    """True only for an explicit yes; the question should end with `[y/N] `."""
    return _ask(input, question).strip().lower() in YES


def hidden(question: str) -> str:
    """An answer typed without echo (the API key)."""
    import getpass  # lazy: only `key set` without a pipe asks for a hidden answer

    return _ask(getpass.getpass, question)
