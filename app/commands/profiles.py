"""The `profiles` command (not implemented yet)."""

from __future__ import annotations

import argparse

from app.errors import UserError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("profiles", parents=[common], help="profiles (not implemented yet)")


def run(args: argparse.Namespace) -> int:
    raise UserError("cli.not_implemented", command="profiles")
