"""Hot-path benchmark: the commands shells and tools run all the time vs `python -c pass`.

`eval "$(modelstudio-setup env)"` lives in shell rc files and `key get` is what Claude Code's
apiKeyHelper and the exported variables call, so they start often. Budgets (shared/DESIGN.md,
issue 8): `--version` <= 2 x `python -c pass`; `env` and `key get` with an env or a file key
store <= 5 x, and `status` (issue 12: the first thing typed when calls stop working) the
same. Every command is run as users run it, through the console script of this
interpreter's environment (`bin/modelstudio-setup`), and `python -c pass` with the same
interpreter; all of them alternate in one run, each a fresh process, and only the ratios of
the medians are results (the machine's speed and load hit every command alike).

The configs are real: written by `configure` into a temporary HOME before timing starts
(one with `--store env`, one with `--store file`), and each timed run's output is checked
once, so an error path is never what gets measured.

    uv run python benchmarks/hotpaths.py [--runs 15] [--report-only]

With `--keyring` (needs dbus-daemon and gnome-keyring-daemon, as the real-keyring tests do)
it also runs both commands against a keyring profile, on a private D-Bus session with a real
Secret Service, next to the bare round trip (`python -c` importing keyring and reading one
entry); their budget is 5 x `python -c pass` plus that round trip's own cost.

Like benchmarks/startup.py and benchmarks/doctor.py it exits 1 when a budget is exceeded;
`--report-only` prints the same and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-0123456789abcdef0123456789abcdef"
WORKSPACE = "ws-g3ganedl8go5vc5i"
VERSION_BUDGET = 2.0
HOT_BUDGET = 5.0
ROUND_TRIP = "keyring round trip"
ROUND_TRIP_CODE = "import keyring; keyring.get_password('modelstudio-setup-bench', 'absent')"


def secret_service(root: Path) -> tuple[dict[str, str], int]:
    """A private D-Bus session with an unlocked gnome-keyring (like tests/fixtures_keyring):
    the variables its clients need, and the dbus-daemon's pid (the keyring ends with it)."""
    home, runtime = root / "home", root / "run"
    (home / ".local" / "share" / "keyrings").mkdir(parents=True)
    runtime.mkdir(mode=0o700)
    env = {"XDG_RUNTIME_DIR": str(runtime), "XDG_DATA_HOME": str(home / ".local" / "share")}
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    env["DBUS_SESSION_BUS_ADDRESS"] = out[0]
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
        input="bench-keyring-password",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return env, int(out[1])


def console_script() -> Path:
    """The `modelstudio-setup` script installed next to this interpreter (what users run)."""
    folder = Path(sys.executable).parent
    for name in ("modelstudio-setup", "modelstudio-setup.exe"):
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"no modelstudio-setup console script in {folder}: run `uv sync` first")


def configure(script: Path, env: dict[str, str], config: Path, store: str) -> None:
    args = [str(script), "configure", "--config", str(config), "--region", "ap-southeast-1"]
    args += ["--workspace-id", WORKSPACE, "--store", store]
    stdin = None
    if store in ("file", "keyring"):
        args.append("--api-key-stdin")
        stdin = KEY
    proc = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"configure --store {store} failed:\n{proc.stderr}")


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawn to exit of one fresh process, and what it printed."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when over a budget")
    parser.add_argument(
        "--keyring", action="store_true", help="also a keyring profile (real Secret Service)"
    )
    opts = parser.parse_args(argv)
    script = console_script()
    if opts.keyring and not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        raise SystemExit("--keyring needs dbus-daemon and gnome-keyring-daemon")

    state: dict[str, int] = {}
    try:
        cases, times = measure_all(opts.runs, script, opts.keyring, state)
    finally:
        if "dbus_pid" in state:  # the dbus-daemon we started; its gnome-keyring goes with it
            os.kill(state["dbus_pid"], signal.SIGTERM)
    return report(cases, times, opts.report_only)


Case = tuple[list[str], dict[str, str], "float | None", str]


def measure_all(
    runs: int, script: Path, keyring: bool, state: dict[str, int]
) -> tuple[dict[str, Case], dict[str, list[float]]]:
    """Set up the configs, check each command once, then time them all, alternating."""
    with tempfile.TemporaryDirectory(prefix="mss-hot-") as home:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MODELSTUDIO_SETUP")}
        base.pop("PYTHONPATH", None)  # the console script finds the package like a user's does
        # An installed tool runs from bytecode (the installer compiles it); a machine that sets
        # PYTHONDONTWRITEBYTECODE would time the compiler instead, so the warm-up may write it.
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        base.update(HOME=home, XDG_CONFIG_HOME=str(Path(home) / "config"))
        base["DASHSCOPE_API_KEY"] = KEY
        env_config = Path(home) / "env-store" / "config.yaml"
        file_config = Path(home) / "file-store" / "config.yaml"
        configure(script, base, env_config, "env")
        configure(script, base, file_config, "file")
        keyring_env: dict[str, str] = {}
        keyring_config = Path(home) / "keyring-store" / "config.yaml"
        if keyring:
            keyring_env, state["dbus_pid"] = secret_service(Path(home) / "secret-service")
            keyring_env = {**base, **keyring_env}
            configure(script, keyring_env, keyring_config, "keyring")

        def with_config(config: Path) -> dict[str, str]:
            return {**base, "MODELSTUDIO_SETUP_CONFIG": str(config)}

        # name -> (argv, environment, budget in x `python -c pass`, expected output)
        cases: dict[str, Case] = {
            "python -c pass": ([sys.executable, "-c", "pass"], base, None, ""),
            "--version": ([str(script), "--version"], base, VERSION_BUDGET, "modelstudio-setup"),
            "env (env store)": ([str(script), "env"], with_config(env_config), HOT_BUDGET, KEY),
            "key get (env store)": (
                [str(script), "key", "get"],
                with_config(env_config),
                HOT_BUDGET,
                KEY,
            ),
            "env (file store)": ([str(script), "env"], with_config(file_config), HOT_BUDGET, KEY),
            "key get (file store)": (
                [str(script), "key", "get"],
                with_config(file_config),
                HOT_BUDGET,
                KEY,
            ),
            "status (env store)": (
                [str(script), "status"],
                with_config(env_config),
                HOT_BUDGET,
                "Active profile",
            ),
            "status (file store)": (
                [str(script), "status"],
                with_config(file_config),
                HOT_BUDGET,
                "Active profile",
            ),
            "--help": ([str(script), "--help"], base, None, "modelstudio-setup"),
        }
        if keyring:
            with_keyring = {**keyring_env, "MODELSTUDIO_SETUP_CONFIG": str(keyring_config)}
            cases[ROUND_TRIP] = ([sys.executable, "-c", ROUND_TRIP_CODE], keyring_env, None, "")
            # Budget filled in below: 5 x pass + the round trip's own cost.
            cases["env (keyring)"] = ([str(script), "env"], with_keyring, -1.0, KEY)
            cases["key get (keyring)"] = ([str(script), "key", "get"], with_keyring, -1.0, KEY)
            cases["status (keyring)"] = ([str(script), "status"], with_keyring, -1.0, "Active")
        # One warm-up of each (bytecode caches, page cache), checked, not counted.
        for name, (args, env, _budget, expected) in cases.items():
            _seconds, out = run_once(args, env)
            if expected not in out:
                raise SystemExit(f"{name}: unexpected output {out[:200]!r}")
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (args, env, _budget, _expected) in cases.items():
                times[name].append(run_once(args, env)[0])
    return cases, times


def report(cases: dict[str, Case], times: dict[str, list[float]], report_only: bool) -> int:
    runs = len(times["python -c pass"])
    medians = {name: statistics.median(values) for name, values in times.items()}
    unit = medians["python -c pass"]
    if ROUND_TRIP in medians:
        keyring_budget = HOT_BUDGET + (medians[ROUND_TRIP] - unit) / unit
        for name, (args, env, budget, expected) in list(cases.items()):
            if budget == -1.0:
                cases[name] = (args, env, keyring_budget, expected)
    print(f"runs per command: {runs} (alternating, fresh process each)")
    print(f"{'command':26}{'median':>10}{'ratio':>8}{'budget':>8}")
    over = []
    for name, (_args, _env, budget, _expected) in cases.items():
        ratio = medians[name] / unit
        shown = f"{budget:.2f}" if budget is not None else "-"
        flag = "  OVER" if budget is not None and ratio > budget else ""
        print(f"{name:26}{medians[name] * 1000:>7.0f} ms{ratio:>8.2f}{shown:>8}{flag}")
        if budget is not None and ratio > budget:
            over.append(name)
    print("within budget" if not over else f"OVER BUDGET: {', '.join(over)}")
    return 0 if (not over or report_only) else 1


if __name__ == "__main__":
    sys.exit(main())
