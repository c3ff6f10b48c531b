"""The argument parser: help texts render, and a stray key is never echoed back."""

from __future__ import annotations

import pytest

from app.cli import main

KEY = "sk-0123456789abcdef0123456789abcdef"


def run(argv: list[str]) -> int:
    """Exit code of the CLI, whether argparse exits or a command returns."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize("command", ["configure", "key set", "doctor", "export", "env"])
def test_every_help_text_renders_with_literal_percent_signs(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command.split(), "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "option_strings" not in out  # argparse's %-formatting of the help went wrong
    if command in ("configure", "key set"):
        assert "printf '%s'" in out


@pytest.mark.parametrize(
    "argv",
    [
        [KEY],
        ["configure", "--store", KEY],
        ["recommend", "--residency", KEY],
        ["configure", "--region", "ap-southeast-1", KEY],
    ],
)
def test_a_key_pasted_as_an_argument_is_never_printed(argv, capsys):
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert KEY not in captured.out + captured.err
    assert KEY[3:12] not in captured.out + captured.err


def test_an_ordinary_bad_choice_is_still_named(capsys):
    assert run(["recommend", "--residency", "mars"]) == 2
    assert "'mars'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env"],
        ["--demo", "profiles", "list"],
        ["--demo", "doctor"],
    ],
)
def test_demo_with_a_subcommand_is_refused_before_it_touches_anything(argv, cli):
    """QA B35: `--demo configure` used to write the REAL config and key store."""
    r = cli(*argv, env={"DASHSCOPE_API_KEY": KEY})
    assert r.rc == 2
    assert "--demo only applies to the wizard" in r.stderr and argv[1] in r.stderr
    assert not cli.config.exists()


def test_output_into_a_closed_pipe_ends_quietly(run_cli):
    """QA B32: `modelstudio-setup ... | head -1` must not print a BrokenPipeError traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "recommend", "--residency", "eu", "--json"],
        env=run_cli.base_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the first byte is written
    err = proc.stderr.read().decode()
    rc = proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert rc == 141
