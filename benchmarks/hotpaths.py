"""Hot-path benchmark: the commands shells and tools run all the time vs `python -c pass`.

`eval "$(modelstudio-setup env)"` lives in shell rc files and `key get` is what Claude Code's
apiKeyHelper and the exported variables call, so they start often. Budgets (shared/DESIGN.md,
issue 8): `--version` <= 2 x `python -c pass`; `env` and `key get` with an env or a file key
store <= 5 x. Every command is run as users run it, through the console script of this
interpreter's environment (`bin/modelstudio-setup`), and `python -c pass` with the same
interpreter; all of them alternate in one run, each a fresh process, and only the ratios of
the medians are results (the machine's speed and load hit every command alike).

The configs are real: written by `configure` into a temporary HOME before timing starts
(one with `--store env`, one with `--store file`), and each timed run's output is checked
once, so an error path is never what gets measured.

    uv run python benchmarks/hotpaths.py [--runs 15] [--report-only]

Like benchmarks/startup.py and benchmarks/doctor.py it exits 1 when a budget is exceeded;
`--report-only` prints the same and exits 0.
"""

from __future__ import annotations

import argparse
import os
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
    if store == "file":
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
    opts = parser.parse_args(argv)
    script = console_script()

    with tempfile.TemporaryDirectory(prefix="mss-hot-") as home:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MODELSTUDIO_SETUP")}
        base.pop("PYTHONPATH", None)  # the console script finds the package like a user's does
        base.update(HOME=home, XDG_CONFIG_HOME=str(Path(home) / "config"))
        base["DASHSCOPE_API_KEY"] = KEY
        env_config = Path(home) / "env-store" / "config.yaml"
        file_config = Path(home) / "file-store" / "config.yaml"
        configure(script, base, env_config, "env")
        configure(script, base, file_config, "file")

        def with_config(config: Path) -> dict[str, str]:
            return {**base, "MODELSTUDIO_SETUP_CONFIG": str(config)}

        # name -> (argv, environment, budget in x `python -c pass`, expected output)
        cases: dict[str, tuple[list[str], dict[str, str], float | None, str]] = {
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
            "--help": ([str(script), "--help"], base, None, "modelstudio-setup"),
        }
        # One warm-up of each (bytecode caches, page cache), checked, not counted.
        for name, (args, env, _budget, expected) in cases.items():
            _seconds, out = run_once(args, env)
            if expected not in out:
                raise SystemExit(f"{name}: unexpected output {out[:200]!r}")
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(opts.runs):
            for name, (args, env, _budget, _expected) in cases.items():
                times[name].append(run_once(args, env)[0])

    medians = {name: statistics.median(values) for name, values in times.items()}
    unit = medians["python -c pass"]
    print(f"runs per command: {opts.runs} (alternating, fresh process each)")
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
    return 0 if (not over or opts.report_only) else 1


if __name__ == "__main__":
    sys.exit(main())
