"""Start-up cost of an operator's command, as a ratio to `python -c "import sqlite3"`.

Run by hand:  .venv/bin/python benchmarks/bench_startup.py [--runs 30]

Each round runs the baseline and every command once, interleaved, so the
machine's noise hits all of them alike; the medians and their ratios are
printed as a markdown table. Bytecode caching is on (as in an installed pd).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PD = [sys.executable, "-m", "pd"]


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PD_DATABASE_URL=f"sqlite:///{tmp / 'ledger.sqlite3'}", PD_USER="operators1")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pd")], check=True, env=env)
    subprocess.run(PD + ["init"], env=env, check=True, stdout=subprocess.DEVNULL)
    register = PD + ["register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
                     "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis@vp.gov.lv"]
    subprocess.run(register, env=env, check=True, stdout=subprocess.DEVNULL)
    cases = {
        'python -c "import sqlite3"': [sys.executable, "-c", "import sqlite3"],
        "pd --help": PD + ["--help"],
        "pd show N --json": PD + ["show", "2026-000001", "--json"],
        "pd register … --json": register,
    }
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(3):  # warm the page cache
        for cmd in cases.values():
            timed(cmd, env)
    for _ in range(args.runs):
        for name, cmd in cases.items():
            samples[name].append(timed(cmd, env))
    base = statistics.median(samples['python -c "import sqlite3"'])
    targets = {"pd --help": 10, "pd show N --json": 6, "pd register … --json": 7}
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d')} · {args.runs} runs each\n")
    print("| command | median ms | ratio to baseline | target |")
    print("|---|---|---|---|")
    for name, xs in samples.items():
        m = statistics.median(xs)
        t = targets.get(name)
        print(f"| `{name}` | {m * 1000:.0f} | {m / base:.1f}x | {'≤ %dx' % t if t else 'baseline'} |")


if __name__ == "__main__":
    main()
