"""Start-up cost of an operator's command, as a ratio to `python -c "import sqlite3"`.

Run by hand, from a REGULAR install (an editable install's import hook slows even the
baseline, which flatters every ratio):

    python3 -m venv /tmp/pd-bench-venv && /tmp/pd-bench-venv/bin/pip install .
    /tmp/pd-bench-venv/bin/python benchmarks/bench_startup.py [--runs 30]

Each round runs the baseline, the floor and every command once, interleaved, so the
machine's noise hits all of them alike. Printed per case: the median wall time, its ratio
to the baseline, and the median CPU time (user + system of the child, from wait4), which a
loaded machine disturbs less than the wall clock. The floor is what this stack costs before
pd does anything: `import typer, peewee, sqlite3, json` with the unused database drivers
hidden from peewee, as pd.db hides them.

With --callgrind, each case also runs once under `valgrind --tool=callgrind` and the table
gains its instruction count: within a fraction of a percent the same on a busy machine as on
an idle one (time is not counted), so it is what to compare between two runs of this script.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
HIDE = "import sys\nfor n in ('psycopg2','psycopg','psycopg2cffi','pymysql','MySQLdb','mysql','mariadb'): sys.modules.setdefault(n, None)\n"


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def instructions(cmd: list[str], env: dict) -> float:
    """Millions of instructions the command executes (callgrind's 'Collected')."""
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or m is None:
        raise SystemExit(f"callgrind: {' '.join(cmd)} exited {r.returncode}")
    return int(m.group(1)) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--before", metavar="VENV", help="another regular install (e.g. the previous release) whose "
                    "pd show and pd register run in the same rounds, for a before/after in one run")
    ap.add_argument("--callgrind", action="store_true", help="also count each case's instructions (valgrind)")
    args = ap.parse_args()
    if args.callgrind and shutil.which("valgrind") is None:
        raise SystemExit("--callgrind needs valgrind (apt-get install valgrind)")
    py = sys.executable
    import pd

    where = Path(pd.__file__).resolve()
    if ROOT in where.parents:
        raise SystemExit(f"pd is imported from the checkout ({where}): measure from a regular `pip install .` venv")
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env.update(PD_DATABASE_URL=f"sqlite:///{tmp / 'ledger.sqlite3'}", PD_USER="operators1",
               PD_CATALOG=str(EXAMPLES / "catalog.yaml"), PD_CONTACTS=str(EXAMPLES / "contacts.yaml"))
    pdcmd = [str(Path(py).parent / "pd")]  # the console script an operator runs (no runpy, unlike python -m pd)
    subprocess.run(pdcmd + ["init"], env=env, check=True, stdout=subprocess.DEVNULL)
    register = pdcmd + ["register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
                        "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis@vp.gov.lv",
                        "--phone", "26123456"]
    subprocess.run(register, env=env, check=True, stdout=subprocess.DEVNULL)
    cases = {
        'python -c "import sqlite3"': [py, "-c", "import sqlite3"],
        "floor: import typer, peewee, sqlite3, json": [py, "-c", HIDE + "import typer, peewee, sqlite3, json"],
        "pd --help": pdcmd + ["--help"],
        "pd show N --json": pdcmd + ["show", "2026-000001", "--json"],
        "pd register … --json": register,
    }
    envs = {name: env for name in cases}
    if args.before:
        # The other install on a ledger of its own: an older pd cannot open a newer schema (exit 7).
        old = [str(Path(args.before) / "bin" / "pd")]
        old_env = dict(env, PD_DATABASE_URL=f"sqlite:///{tmp / 'before.sqlite3'}")
        subprocess.run(old + ["init"], env=old_env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(old + register[1:], env=old_env, check=True, stdout=subprocess.DEVNULL)
        cases["before: pd show N --json"] = old + ["show", "2026-000001", "--json"]
        cases["before: pd register … --json"] = old + register[1:]
        envs.update({name: old_env for name in cases if name.startswith("before:")})
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(3):  # warm the page cache and the bytecode
        for name, cmd in cases.items():
            timed(cmd, envs[name])
    for _ in range(args.runs):
        for name, cmd in cases.items():
            w, c = timed(cmd, envs[name])
            wall[name].append(w)
            cpu[name].append(c)
    ir = {name: instructions(cmd, envs[name]) for name, cmd in cases.items()} if args.callgrind else {}
    base_w = statistics.median(wall['python -c "import sqlite3"'])
    base_c = statistics.median(cpu['python -c "import sqlite3"'])
    targets = {"pd --help": 10, "pd show N --json": 6, "pd register … --json": 7,
               "before: pd show N --json": 6, "before: pd register … --json": 7}
    load = os.getloadavg()
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M %Z')} · {args.runs} runs each · "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    base_i = ir.get('python -c "import sqlite3"')
    print("| command | median wall ms | wall ratio | median CPU ms | CPU ratio |"
          + (" instructions (M) | instr. ratio |" if ir else "") + " target |")
    print("|---|---:|---:|---:|---:|" + ("---:|---:|" if ir else "") + "---|")
    for name in cases:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        t = targets.get(name)
        counted = f" {ir[name]:.0f} | {ir[name] / base_i:.2f}x |" if ir else ""
        print(f"| `{name}` | {w * 1000:.0f} | {w / base_w:.1f}x | {c * 1000:.0f} | {c / base_c:.1f}x |{counted} "
              f"{'≤ %dx' % t if t else ('baseline' if name.startswith('python') else 'floor')} |")


if __name__ == "__main__":
    main()
