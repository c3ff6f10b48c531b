"""Fixtures: cli.

`run_cli` runs the real entry point (`python -m app`) in a subprocess with a private HOME,
XDG_CONFIG_HOME and config path, so a test can never read or write the developer's real
config or keyring; the keyring backend is chosen per call (the fail backend by default, so
an accidental keyring write fails closed instead of reaching a desktop keyring).
`prefix` runs the command under a wrapper (e.g. setpriv, to drop root's permission bypass).
`cli` is the in-process variant (`app.cli.main` with captured output) for the many tests
that involve no keyring, where a subprocess per case would be slow.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FAIL_BACKEND = "keyring.backends.fail.Keyring"
# Variables that would let a test see the developer's machine (or leak a real key in).
_SCRUBBED = (
    "DBUS_SESSION_BUS_ADDRESS",
    "DASHSCOPE_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "MODELSTUDIO_SETUP_CONFIG",
    "LANGUAGE",
    "LC_MESSAGES",
)


class CliResult(NamedTuple):
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CliRunner:
    """Callable: `run_cli("configure", "--region", ..., input="sk-...", env={...})`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.xdg = root / "xdg"
        self.config = root / "cfg" / "config.yaml"
        self.home.mkdir(parents=True, exist_ok=True)
        self.xdg.mkdir(parents=True, exist_ok=True)

    def base_env(self, keyring_backend: str | None = FAIL_BACKEND) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(
            {
                "HOME": str(self.home),
                "XDG_CONFIG_HOME": str(self.xdg),
                "MODELSTUDIO_SETUP_CONFIG": str(self.config),
                "LC_ALL": "C.UTF-8",
                "LANG": "C.UTF-8",
                "PYTHONPATH": str(REPO_ROOT),
                "PYTHONIOENCODING": "utf-8",
            }
        )
        if keyring_backend is not None:
            env["PYTHON_KEYRING_BACKEND"] = keyring_backend
        else:
            env.pop("PYTHON_KEYRING_BACKEND", None)
        return env

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        keyring_backend: str | None = FAIL_BACKEND,
        cwd: Path | None = None,
        timeout: float = 120,
        prefix: tuple[str, ...] = (),
    ) -> CliResult:
        full_env = self.base_env(keyring_backend)
        if env:
            full_env.update(env)
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "app", *args],
            input=input.encode() if isinstance(input, str) else (input or b""),
            env=full_env,
            cwd=cwd or self.root,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return CliResult(
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )


@pytest.fixture
def run_cli(tmp_path: Path) -> CliRunner:
    return CliRunner(tmp_path / "cli")


class _FakeStdin(io.StringIO):
    """A pipe-like stdin: not a terminal."""

    def isatty(self) -> bool:
        return False


class InProcessCli:
    """`cli("profiles", "list")` through app.cli.main in this process, output captured."""

    def __init__(
        self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.root = root
        self.config = root / "cfg" / "config.yaml"
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        for name in _SCRUBBED:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HOME", str(root / "home"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "xdg"))
        monkeypatch.setenv("MODELSTUDIO_SETUP_CONFIG", str(self.config))
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FAIL_BACKEND)
        monkeypatch.setenv("LC_ALL", "C.UTF-8")

    def __call__(
        self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> CliResult:
        from app.cli import main
        from app.i18n import set_language

        with self._monkeypatch.context() as m:
            for k, v in (env or {}).items():
                m.setenv(k, v)
            m.setattr(sys, "stdin", _FakeStdin(input or ""))
            self._capsys.readouterr()
            try:
                rc = main(list(args))
            except SystemExit as exc:  # argparse errors and --help
                rc = exc.code if isinstance(exc.code, int) else 2
            finally:
                set_language("en")
            out, err = self._capsys.readouterr()
        return CliResult(rc, out, err)


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> InProcessCli:
    return InProcessCli(tmp_path / "inproc", monkeypatch, capsys)
