"""Doctor concurrency benchmark: does a run over every region cost about one check?

DESIGN.md budget: a doctor run over all regions <= 1.25 x one endpoint's check, given 150 ms
of injected server latency per response. Measured side by side in one run against the local
simulator (real TLS on loopback, in its own process like a real server), printing ratios
only, so the result does not depend on the machine's speed:

- `doctor --all-regions` with a key of another region: the profile's three surfaces, a 401,
  then the ownership search on every region's shared host and the four plan hosts (the worst case);
- every region's endpoint (3 surfaces x 6 regions, each with its own key) at once;
- a naive sequential loop over the same checks, for reference;
- `doctor --stream` (issue 12): the profile's three surfaces, then one short streamed answer
  per surface, against one surface's check and stream: the streams run side by side too.

    uv run python benchmarks/doctor.py [--runs N] [--latency SECONDS]

Not part of pytest; exits 1 when the budget is exceeded.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.catalog import load_catalog
from app.core.models import Target
from app.probe.engine import ProbeOptions, run_checks
from app.probe.stream import checks_with_stream
from app.probe.targets import targets_for
from app.probe.transport import Pins
from app.secrets.key import ApiKey
from app.simulator.accounts import default_accounts

BUDGET = 1.25  # DESIGN.md "Budgets": all regions <= 1.25 x one check


def region_runs(sim: ServerProcess) -> list[tuple[list[Target], ApiKey]]:
    """Every region's three surfaces, each with the key of that region's account."""
    runs = []
    for region in load_catalog().regions.values():
        acct = sim.accounts[region.id]
        targets = targets_for(region.id, "workspace", acct.workspace_id, model=None)
        model = "qwen-flash-us" if acct.scope == "us" else "qwen-plus"
        runs.append(([Target(**{**t.__dict__, "model": model}) for t in targets], ApiKey(acct.key)))
    return runs


async def timed(coro) -> float:
    started = time.perf_counter()
    result = await coro
    if isinstance(result, tuple):  # checks_with_stream: the run and its stream samples
        result, samples = result
        if not samples or any(s.status != "ok" for s in samples):
            raise SystemExit(f"benchmark stream failed: {[s.status for s in samples or []]}")
    for item in result if isinstance(result, list) else [result]:
        if item.verdict != "ok" and not item.ownership:
            raise SystemExit(f"benchmark run failed: {[f.code for f in item.findings]}")
    return time.perf_counter() - started


class ServerProcess:
    """The simulator in its own process, as a real server would be: it must not share the
    client's interpreter lock, or the benchmark would measure Python's GIL, not the engine."""

    def __init__(self, latency: float) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="msbench-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.simulator",
                "--port",
                str(self.port),
                "--tls-dir",
                str(self.dir),
                "--latency",
                str(latency),
            ],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.05)
        self.connect_to = f"::127.0.0.1:{self.port}"
        self.ca_file = self.dir / "ca.pem"
        self.accounts = {a.name: a for a in default_accounts()}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


async def main_async(runs: int, latency: float) -> int:
    sim = ServerProcess(latency)
    try:
        opts = ProbeOptions(
            pins=Pins.parse(None, [sim.connect_to]), ca_file=str(sim.ca_file), env={}
        )
        everything = region_runs(sim)
        one_target, one_key = everything[0][0][:1], everything[0][1]
        foreign = sim.accounts["cn-beijing"].key
        home = sim.accounts["ap-southeast-1"]
        home_targets = targets_for("ap-southeast-1", "workspace", home.workspace_id, "qwen-plus")
        consent = ProbeOptions(**{**opts.__dict__, "consent_all_regions": True})

        await timed(run_checks(one_target, one_key, opts))  # warm-up (thread pool, imports)
        one, all_regions, ownership, sequential = [], [], [], []
        one_stream, doctor_stream = [], []
        home_key = ApiKey(home.key)
        for i in range(runs):
            one.append(await timed(run_checks(one_target, one_key, opts)))
            one_stream.append(
                await timed(checks_with_stream(home_targets[:1], home_key, opts, stream=True))
            )
            doctor_stream.append(
                await timed(checks_with_stream(home_targets, home_key, opts, stream=True))
            )
            ownership.append(await timed(run_checks(home_targets, ApiKey(foreign), consent)))
            all_regions.append(
                await timed(asyncio.gather(*(run_checks(t, k, opts) for t, k in everything)))
            )
            if i < max(1, runs // 2):
                started = time.perf_counter()
                for targets, key in everything:
                    for target in targets:
                        await run_checks([target], key, opts)
                sequential.append(time.perf_counter() - started)
    finally:
        sim.stop()

    med = statistics.median
    base = med(one)
    n_checks = sum(len(t) for t, _ in everything)
    rows = [
        ("one surface's check", med(one), ""),
        (
            "doctor --all-regions (foreign key)",
            med(ownership),
            f"budget <= {BUDGET}x: 3 surfaces, 401, then every shared and plan host",
        ),
        (
            f"every region's endpoints ({n_checks} checks)",
            med(all_regions),
            f"budget <= {BUDGET}x",
        ),
        ("naive sequential loop (reference)", med(sequential), f"{n_checks} checks one by one"),
        ("one surface's check + stream", med(one_stream), "the base of the row below"),
    ]
    print(f"latency injected: {latency * 1000:.0f} ms per response, median of {runs} runs")
    for name, value, note in rows:
        print(f"{name:<40} {value * 1000:8.1f} ms  {value / base:6.2f}x  {note}")
    streamed = med(doctor_stream) / med(one_stream)
    print(
        f"{'doctor --stream (3 surfaces + streams)':<40} {med(doctor_stream) * 1000:8.1f} ms  "
        f"{streamed:6.2f}x  budget <= {BUDGET}x of one surface's check + stream"
    )
    worst = max(med(ownership) / base, med(all_regions) / base, streamed)
    ok = worst <= BUDGET
    print(f"budget: {'OK' if ok else 'EXCEEDED'} (worst concurrent ratio {worst:.2f}x)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.150)
    args = parser.parse_args()
    return asyncio.run(main_async(args.runs, args.latency))


if __name__ == "__main__":
    sys.exit(main())
