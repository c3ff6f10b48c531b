"""`key temp`: a short-lived `st-` key for a CI job, issued by the service with the profile's
key (`POST {base}/api/v1/tokens?expire_in_seconds=N`, MODEL_STUDIO.md section 3) and printed
in the form the job needs. It is never stored: the point is that the long-lived key stays
out of the CI system, and the temporary one dies by itself.

Order (bad input costs nothing): the TTL (1-1800 s, the service's range) and the network
options first, then the profile (a plan profile is refused: plan keys are for interactive
coding tools only, and using one in CI can get the account suspended), then the key, then
the one request. The temporary key is the output the user asked for, so it goes to stdout
and nowhere else: every message (its masked form at most) goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.commands.network_options import add_keyring_timeout, add_network_options, probe_options
from app.core.errors import EXIT_OK, EXIT_USAGE, UserError, render
from app.core.i18n import later, t

if TYPE_CHECKING:  # only the types: --help imports every command, these wait until one runs
    from app.clients.temp_key import TempKey, TempKeyError
    from app.config.schema import Config, Profile
    from app.secrets.stores import KeyStore

    OpenStore = Callable[[], tuple[Config, Profile, KeyStore]]

FORMATS = ("env", "github", "gitlab")


def register(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = actions.add_parser(
        "temp",
        parents=[common],
        help=later("key_temp.help"),
        description=later("key_temp.description"),
    )
    p.add_argument("--ttl", default="600", metavar="SECONDS", help=later("key_temp.opt_ttl"))
    p.add_argument("--format", choices=FORMATS, default="env", help=later("key_temp.opt_format"))
    p.add_argument("--json", action="store_true", help=later("key_temp.opt_json"))
    add_keyring_timeout(p)
    add_network_options(p)


def lines_for(form: str, variable: str, token: str) -> list[str]:
    """What a CI job reads, per --format (the token is shell- and env-file-safe: checked by
    app.clients.temp_key before it gets here).

    env: one `VAR=st-…` line (a .env file, `export $(…)`, a `docker --env-file`).
    github: the `::add-mask::` workflow command FIRST, so the runner masks the key in every
    later log line, then the line for $GITHUB_ENV. Printed as they are, the runner masks
    the key even if the second line is not redirected.
    gitlab: GitLab cannot mask a value made during a job, so a comment says how to keep it
    out of the log, then an `export` line for `eval`."""
    if form == "github":
        return [f"::add-mask::{token}", f"{variable}={token}"]
    if form == "gitlab":
        return [f"# {t('key_temp.gitlab_hint')}", f"export {variable}='{token}'"]
    return [f"{variable}={token}"]


def run_temp(args: argparse.Namespace, path: Path, open_store: OpenStore) -> int:
    # lazy: --help imports every command; the probe stack (httpx2) loads when this runs
    import asyncio

    # lazy: as above (the client of the tokens endpoint brings the probe's transport)
    from app.clients.key_move import key_targets
    from app.clients.temp_key import TempKeyError, issue_temp_key, native_target, parse_ttl

    # 1. What was typed: nothing is read or sent before it is all valid.
    ttl = parse_ttl(args.ttl)
    options = probe_options(args, inference=False)

    # 2. The profile and its key.
    config, profile, store = open_store()
    if profile.plan is not None or profile.endpoint_style == "plan":
        raise UserError("key_temp.plan_profile", profile=profile.name)
    key = store.get(profile.name)
    if key is None:
        # lazy: the one wording of "this profile has no key" (`key get` uses it too)
        from app.commands.export import key_missing_message

        text = key_missing_message(profile, path, config.default_profile)
        print(f"modelstudio-setup: {text}", file=sys.stderr)
        return EXIT_USAGE
    if key.is_plan_key:
        raise UserError("key_temp.plan_key", profile=profile.name, masked=key.masked())
    if key.is_temporary:
        raise UserError("key_temp.temporary_parent", profile=profile.name, masked=key.masked())
    target = native_target(key_targets(profile))
    if target is None:
        raise UserError("key_temp.no_native_surface", profile=profile.name)

    # 3. The one request; the key printed for the job, the messages on stderr.
    variable = profile.api_key.env
    hints = _Hints(
        path, profile.name, config.default_profile, getattr(args, "profile_source", None) == "flag"
    )
    try:
        issued = asyncio.run(issue_temp_key(target, key, ttl, options))
    except TempKeyError as exc:
        if not args.json:
            raise  # the CLI prints the message and exits 1
        # A request was made, so this is no refusal of bad input: a script reading stdout
        # gets the one document it always gets, saying why there is no key (docs/json.md).
        print(f"modelstudio-setup: {exc.message}", file=sys.stderr)
        print(_failed_json(profile.name, ttl, args.format, variable, target.host, exc))
        return exc.exit_code
    lines = lines_for(args.format, variable, issued.token.reveal())
    if args.json:
        print(_json(profile.name, ttl, args.format, variable, lines, issued))
    else:
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()
    _say_issued(profile.name, ttl, args.format, issued, hints)
    return EXIT_OK


class _Hints:
    """The `key temp` a "how to use it" line shows, spelt as the user's shell runs it
    (app.core.invocation: `uv run modelstudio-setup …` inside a clone) and addressing this
    profile and config again: pasted as it is, the hint must issue a key of the same profile,
    so a --profile the user typed stays even when it names the default profile."""

    def __init__(self, path: Path, name: str, default: str | None, typed: bool) -> None:
        from app.config.shell import cli_address  # lazy: only for the hint

        words = cli_address(path, name, default)
        if typed and "--profile" not in words:
            words = ["--profile", name, *words]
        self.words = words

    def command(self, form: str) -> str:
        from app.core import invocation  # lazy: the PATH lookup, only for the hint

        extra = ["--format", form] if form != "env" else []
        return invocation.command("key", "temp", *self.words, *extra)


def _say_issued(name: str, ttl: int, form: str, issued: TempKey, hints: _Hints) -> None:
    """What was issued, on stderr: masked key, lifetime, "not stored", how to use it."""
    from app.secrets.key import temporary_expiry  # lazy: only after a key was issued

    err = sys.stderr
    masked = issued.token.masked()
    print(
        render("key_temp.issued", masked=masked, profile=name, ttl=ttl, host=issued.host), file=err
    )
    expiry = temporary_expiry(issued.expires_at)
    if expiry is not None:
        print(expiry.message, file=err)
    print(render(f"key_temp.use_{form}", command=hints.command(form)), file=err)


def _json(name: str, ttl: int, form: str, variable: str, lines: list[str], issued: TempKey) -> str:
    from app.core.json_out import dumps  # lazy: only --json prints JSON

    expires = issued.expires_at if isinstance(issued.expires_at, int | str) else None
    doc: dict[str, Any] = {
        "action": "temp",
        "profile": name,
        "host": issued.host,
        "ttl_seconds": ttl,
        "expires_at": expires if not isinstance(expires, bool) else None,
        "format": form,
        "variable": variable,
        "token": issued.token.reveal(),  # the output the user asked for (stdout only)
        "masked": issued.token.masked(),
        "lines": lines,
        "request_id": issued.request_id,
        "stored": False,
        "exit_code": EXIT_OK,
    }
    return dumps(doc)


def _failed_json(
    name: str, ttl: int, form: str, variable: str, host: str, exc: TempKeyError
) -> str:
    """The document of a request that gave no key: the same fields, `token` null and no
    lines, plus why (the message as on stderr, which never holds a key: app.clients.temp_key
    redacts the parent key from everything the server sent)."""
    from app.core.json_out import dumps  # lazy: only --json prints JSON

    def given(field: str) -> Any:  # "-" in a message is "the service sent none"
        value = exc.params.get(field)
        return None if value in (None, "-") else value

    doc: dict[str, Any] = {
        "action": "temp",
        "profile": name,
        "host": host,
        "ttl_seconds": ttl,
        "expires_at": None,
        "format": form,
        "variable": variable,
        "token": None,
        "masked": None,
        "lines": [],
        "request_id": given("request_id"),
        "stored": False,
        "error": exc.key.partition(".")[2],  # refused | service_error | network_failed | ...
        "http_status": given("status"),
        "service_code": given("code"),
        "message": exc.message,
        "exit_code": exc.exit_code,
    }
    return dumps(doc)
