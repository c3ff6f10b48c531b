"""The `recommend` command (not implemented yet)."""

from __future__ import annotations

import argparse

from app.errors import UserError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser("recommend", parents=[common], help="recommend (not implemented yet)")


def run(args: argparse.Namespace) -> int:
    raise UserError("cli.not_implemented", command="recommend")
