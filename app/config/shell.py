"""What the commands say about the config: its path for a command line, how to address a
profile again from the user's shell, what to run next, and notices on stderr (stdout stays
for eval)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from app.config.io import config_path, loose_config_notices
from app.config.schema import Profile
from app.config.validate import model_known
from app.core.catalog import Catalog
from app.core.errors import Notice
from app.core.i18n import get_language, t
from app.core.invocation import command


def cli_config_path(args: argparse.Namespace) -> Path:
    """The config path for a parsed command line (common options use SUPPRESS defaults).

    A config others can write is named on stderr every time it is used (E28).
    """
    path = config_path(getattr(args, "config", None))
    print_notices(loose_config_notices(path))
    return path


def cli_address(path: Path, profile: str | None, default_profile: str | None) -> list[str]:
    """`--profile P --config C` as words, as far as needed to address this profile again
    from the user's shell now (a command printed in a message or a remedy)."""
    words = []
    if profile and profile != default_profile:
        words += ["--profile", profile]
    # Left out only where the same shell finds this file without it (the default place, or
    # $MODELSTUDIO_SETUP_CONFIG naming it); a --config other than the variable stays.
    if Path(path).expanduser().absolute() != config_path(None):
        words += ["--config", str(path)]
    return words


def cli_suffix(path: Path, profile: str | None, default_profile: str | None) -> str:
    """` --profile P --config C` (cli_address, quoted for a POSIX shell)."""
    import shlex  # lazy: only messages quote commands; `env` / `key get` print none

    return "".join(f" {shlex.quote(word)}" for word in cli_address(path, profile, default_profile))


def print_notices(notices: Iterable[Notice], stream: TextIO | None = None) -> None:
    """Warnings go to stderr so stdout stays clean for eval / redirection."""
    stream = stream or sys.stderr
    for notice in notices:
        print(t("configure.notice", message=notice.message), file=stream)


def next_line(path: Path, name: str, default_profile: str | None) -> str:
    """The command to run next after `configure`, spelt as it runs from the user's shell
    (app.core.invocation) and addressing this profile and config file again."""
    address = cli_address(path, name, default_profile)
    return t("configure.next", doctor=command("doctor", *address), env=command("env", *address))


def model_notices(profile: Profile, path: Path, catalog: Catalog) -> list[Notice]:
    """A model the catalog does not list for the profile's scope is saved (the catalog may
    be out of date), with a notice saying so and how to check it (QA E28)."""
    if model_known(profile.model, profile.scope, catalog):
        return []
    if profile.plan is not None and profile.model in catalog.plan(profile.plan).models:
        return []
    if profile.scope == "us" and not profile.model.endswith("-us"):
        return []  # make_profile's us_model_suffix notice already says what is wrong
    suffix = cli_address(path, profile.name, None)
    return [
        Notice(
            "configure.model_not_in_catalog",
            model=profile.model,
            region=profile.region,
            scope=profile.scope,
            known=", ".join(catalog.scopes[profile.scope].ping_models),
            command=command("doctor", *suffix),
        )
    ]


def plan_label(profile: Profile, catalog: Catalog) -> str:
    """A plan profile's plan as the user knows it ("Token Plan Personal"); "" for the rest."""
    if profile.plan is None:
        return ""
    name = catalog.plan(profile.plan).name.get(get_language())
    if profile.plan_edition is None:
        return name
    return t(
        "profiles.plan_with_edition",
        plan=name,
        edition=t(f"profiles.edition_{profile.plan_edition}"),
    )
