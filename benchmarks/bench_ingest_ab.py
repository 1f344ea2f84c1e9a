"""`pd mail ingest` from two installs, A/B: what a change to the intake costs, as `bench_ingest.py`
measures it, with the machine's noise shared by both sides.

Run by hand:
    git archive OLD_COMMIT | tar -x -C /tmp/old && python3 -m venv /tmp/before && /tmp/before/bin/pip install /tmp/old
    python3 -m venv /tmp/after && /tmp/after/bin/pip install .
    .venv/bin/python benchmarks/bench_ingest_ab.py --before /tmp/before --after /tmp/after [--runs 30]

Each side has its own SQLite ledger with one request; each round runs `pd show N --json`, an
Outlook reply (a follow-up) and a new mail (an intake item) on both sides, in a shuffled order.
Printed, for wall time and for the child's CPU time (user + system, steadier on a loaded machine):
medians, the ratio to each side's own `pd show`, and the median per round of ingest minus show
(paired, which cancels most of a loaded machine's drift).
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import intake_mail as M  # noqa: E402


def timed(cmd: list[str], env: dict, stdin: bytes | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def side(venv: Path, tmp: str) -> dict:
    pd = str(venv / "bin" / "pd")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PD_DATABASE_URL=f"sqlite:///{tmp}/ledger.sqlite3", PD_USER="operators1", PYTHONPATH="",
               PD_CATALOG=str(ROOT / "catalog.yaml"), PD_CONTACTS=str(ROOT / "contacts.yaml"))
    subprocess.run([pd, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([pd, "register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
                    "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis.berzins@vp.gov.lv"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    ienv = dict(env, PD_USER="system")

    def reply() -> bytes:
        return M.outlook_reply_lv(subject="Atb.: [PD 2026-000001] Neienāk e-pasts").replace(
            b"Message-ID: <", f"Message-ID: <{uuid.uuid4().hex}.".encode(), 1)

    def new() -> bytes:
        return M.plain(subject="Nestrādā VPN", body="Labdien!\n\nNo rīta nevaru pieslēgties VPN.\n")

    return {"show": lambda: timed([pd, "show", "2026-000001", "--json"], env),
            "reply": lambda: timed([pd, "mail", "ingest"], ienv, reply()),
            "new": lambda: timed([pd, "mail", "ingest"], ienv, new())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path, required=True, help="a venv with the old pd installed")
    ap.add_argument("--after", type=Path, required=True, help="a venv with the new pd installed")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    cases = {}
    for tag, venv in (("before", args.before), ("after", args.after)):
        for kind, fn in side(venv, tempfile.mkdtemp(prefix=f"pd-ab-{tag}-")).items():
            cases[(tag, kind)] = fn
    samples: dict = {k: [] for k in cases}
    for _ in range(2):
        for fn in cases.values():
            fn()
    for _ in range(args.runs):
        order = list(cases.items())
        random.shuffle(order)
        for key, fn in order:
            samples[key].append(fn())
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores, {args.runs} rounds; medians")
    for what, i in (("wall", 0), ("CPU", 1)):
        for tag in ("before", "after"):
            shows = [x[i] for x in samples[(tag, "show")]]
            show = statistics.median(shows)
            cells = [f"show {show * 1000:.0f} ms"]
            for kind in ("reply", "new"):
                xs = [x[i] for x in samples[(tag, kind)]]
                m = statistics.median(xs)
                paired = statistics.median(x - y for x, y in zip(xs, shows))
                cells.append(f"{kind} {m * 1000:.0f} ms = {m / show:.2f}x (minus show, paired: {paired * 1000:.0f} ms)")
            print(f"{what:4} {tag:6}: " + "; ".join(cells))

if __name__ == "__main__":
    main()
