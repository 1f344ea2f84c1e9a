#!/usr/bin/env python3
"""How long does cron's `pd escalate-overdue` take on a big ledger when it finds nothing new?

    .venv/bin/python benchmarks/bench_escalate.py                        # SQLite (+ PostgreSQL if PD_TEST_DATABASE_URL)
    scripts/with-postgres .venv/bin/python benchmarks/bench_escalate.py  # both, PostgreSQL on a throwaway server
    .venv/bin/python benchmarks/bench_escalate.py --requests 200000 --sqlite-only

Two ledgers: 1,000,000 requests and 100,000 requests, with the same 50,000 open ones (the rest closed, with
their deadlines long past, as years of history have). Of the open requests, --overdue-share (10 %) are past a
deadline at --now; the others are due later. Filled fast with peewee `insert_many` in transactions (requests,
and the current assignment of each open request; no events: escalate-overdue does not read them) after
`pd init` made the schema and the ledger's head row.

Then `pd escalate-overdue --now NOW --no-send` runs once to escalate what is overdue, and is timed (a real
subprocess, start-up included) on later runs at the same instant, which find nothing new. Target: <= 2 s on
the 1,000,000-request ledger. Also prints the query plan of the candidate query, to show that the index on
(status, deadline) is used.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
sys.path.insert(0, str(ROOT))
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # a Friday, working time in Riga
EXPERTS = ["jberzins", "lkalnina", "aozols", "mliepa", "ezarina", "kvitols", "rkrumins"]
INSTITUTIONS = ["IEM", "VP", "VRS", "VUGD", "PMLP", "NVA", "IDB", "VSC"]
SERVICES = ["EPASTS", "VPN", "IS-IIS", "PAROLE", "EPASTS-KONTS"]


def pg_schema(base: str):
    from tests.conftest import pg_schema as fresh_schema  # the tests' own helper

    return fresh_schema(base, "bench_")


FILL = r"""
import json, random, sys, time
from datetime import datetime, timedelta, timezone
from pd.config import load_settings
from pd.ledger import Ledger
from pd.db.connection import db, is_sqlite
from pd.db.models import Assignment, NumberSequence, Request
from pd.catalog import load

total, open_count, overdue_share, now_iso = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
EXPERTS = %(experts)r
INSTITUTIONS = %(institutions)r
SERVICES = %(services)r
now = datetime.fromisoformat(now_iso)
rng = random.Random(20261127)
settings = load_settings()
led = Ledger(settings)
catalog = load("catalog", settings.catalog_path)
contacts = load("contacts", settings.contacts_path)
fields = [Request.id, Request.number, Request.status, Request.requester_name, Request.institution, Request.unit,
          Request.position, Request.phone, Request.email, Request.location, Request.room, Request.username,
          Request.service, Request.description, Request.channel, Request.urgent, Request.received_at,
          Request.registered_at, Request.registered_by, Request.catalog_version, Request.contacts_version,
          Request.expert, Request.response_due, Request.resolution_due, Request.accepted_at, Request.resolved_at,
          Request.closed_at, Request.result, Request.updated_at]
afields = [Assignment.request, Assignment.expert, Assignment.assigned_at, Assignment.assigned_by,
           Assignment.response_due, Assignment.resolution_due, Assignment.base_resolution_due, Assignment.calendar,
           Assignment.response_calendar, Assignment.catalog_version]
closed = total - open_count
# history spread over the years before now; per-year sequences stay below 999999
years = max(1, -(-total // 900000))
first_year = now.year - years + 1
span = (now - datetime(first_year, 1, 1, tzinfo=timezone.utc)).total_seconds()
seq = {}
batch = 1000 if not is_sqlite() else 800   # SQLite: 29 columns x 800 rows < 32766 variables
t0 = time.perf_counter()
rows, arows = [], []
overdue = 0

def flush():
    global rows, arows
    with db.atomic():
        for i in range(0, len(rows), batch):
            Request.insert_many(rows[i:i + batch], fields=fields).execute()
        for i in range(0, len(arows), batch):
            Assignment.insert_many(arows[i:i + batch], fields=afields).execute()
    rows, arows = [], []

for i in range(1, total + 1):
    is_open = i > closed
    if is_open:
        received = now - timedelta(days=rng.uniform(0, 20))
    else:
        received = datetime(first_year, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=span * (i - 1) / total)
        received = min(received, now - timedelta(days=21))
    year = received.year
    seq[year] = seq.get(year, 0) + 1
    expert = rng.choice(EXPERTS)
    inst = rng.choice(INSTITUTIONS)
    if is_open:
        status = rng.choices(["assigned", "in_progress", "waiting_user", "registered", "returned"],
                             [40, 40, 10, 5, 5])[0]
        late = rng.random() < overdue_share
        if late:  # past both deadlines at --now
            response_due = now - timedelta(hours=rng.uniform(17, 200))
            resolution_due = response_due + timedelta(hours=rng.uniform(0, 16))
        else:
            response_due = now + timedelta(hours=rng.uniform(1, 300))
            resolution_due = response_due + timedelta(hours=rng.uniform(1, 48))
        has_expert = status in ("assigned", "in_progress", "waiting_user", "returned")
        if status in ("assigned", "in_progress") and late:
            overdue += 1
        accepted = received + timedelta(hours=1) if status in ("in_progress", "waiting_user") else None
        rows.append((i, "%%d-%%06d" %% (year, seq[year]), status, "Pieteicējs %%d" %% i, inst, "", "", "+37126000000",
                     "p%%d@example.lv" %% i, "", "", "", rng.choice(SERVICES), "Pieteikums %%d" %% i, "phone", False,
                     received, received, "operators1", catalog.version, contacts.version,
                     expert if has_expert else None, response_due if has_expert else None,
                     resolution_due if has_expert else None, accepted, None, None, None, received))
        if status in ("assigned", "in_progress", "waiting_user"):
            arows.append((i, expert, received, "operators1", response_due, resolution_due, resolution_due,
                          "darba-laiks", "darba-laiks", catalog.version))
    else:
        due = received + timedelta(hours=16)
        rows.append((i, "%%d-%%06d" %% (year, seq[year]), "closed", "Pieteicējs %%d" %% i, inst, "", "", "+37126000000",
                     "p%%d@example.lv" %% i, "", "", "", rng.choice(SERVICES), "Pieteikums %%d" %% i, "phone", False,
                     received, received, "operators1", catalog.version, contacts.version, expert,
                     received + timedelta(hours=2), due, received + timedelta(hours=1), due, due + timedelta(days=5),
                     "Izdarīts", due + timedelta(days=5)))
    if len(rows) >= 50000:
        flush()
flush()
with db.atomic():
    for year, last in seq.items():
        NumberSequence.insert(year=year, last=last).on_conflict_replace().execute() if is_sqlite() else \
            NumberSequence.insert(year=year, last=last).on_conflict(conflict_target=[NumberSequence.year],
                                                                    update={NumberSequence.last: last}).execute()
if not is_sqlite():
    db.execute_sql("SELECT setval(pg_get_serial_sequence('request', 'id'), (SELECT MAX(id) FROM request))")
    db.execute_sql("ANALYZE")
else:
    db.execute_sql("ANALYZE")
print(json.dumps({"requests": total, "open": open_count, "overdue": overdue, "fill_s": time.perf_counter() - t0}))
"""

PLAN = r"""
import json, sys
from datetime import datetime
from pd.config import load_settings
from pd.ledger import Ledger
from pd.db.connection import db, is_sqlite
from pd.db.models import Request
now = datetime.fromisoformat(sys.argv[1])
Ledger(load_settings())
# the candidate query of pd.escalation.find()
q = Request.select().where(
    ((Request.status == "assigned") & (Request.response_due < now))
    | (Request.status.in_(("assigned", "in_progress")) & (Request.resolution_due < now))
).order_by(Request.id)
import time
for label, query in (("with ORDER BY id (as find() ran it before: a table scan)", q),
                     ("without ORDER BY, sorted in Python (as find() runs it)", q.order_by())):
    sql, params = query.sql()
    if is_sqlite():
        rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        plan = "\n".join("    " + " | ".join(str(c) for c in r[1:]) for r in rows)
    else:
        rows = db.execute_sql("EXPLAIN " + sql, params).fetchall()
        plan = "\n".join("    " + r[0] for r in rows)
    best = float("inf")
    for _ in range(3):  # warm: the best of three
        t0 = time.perf_counter()
        n = len(db.execute_sql(sql, params).fetchall())
        best = min(best, time.perf_counter() - t0)
    print(f"  {label}: {n} rows in {best * 1000:.0f} ms (best of 3)\n{plan}")
"""


def prepare(backend: str, url: str, work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_") or k == "PD_TEST_DATABASE_URL"}
    conf = work / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "catalog.yaml", conf / "catalog.yaml")
    shutil.copy(EXAMPLES / "contacts.yaml", conf / "contacts.yaml")
    env.update({"PD_DATABASE_URL": url, "PD_CATALOG": str(conf / "catalog.yaml"),
                "PD_CONTACTS": str(conf / "contacts.yaml"), "PD_USER": "system",
                "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")})
    subprocess.run([sys.executable, "-m", "pd", "init"], env={**env, "PD_USER": "admins"}, check=True,
                   capture_output=True, timeout=120)
    return env


def fill(env: dict, total: int, open_count: int, share: float) -> dict:
    script = FILL % {"experts": EXPERTS, "institutions": INSTITUTIONS, "services": SERVICES}
    r = subprocess.run([sys.executable, "-c", script, str(total), str(open_count), str(share), NOW.isoformat()],
                       env=env, capture_output=True, text=True, timeout=7200)
    if r.returncode != 0:
        raise SystemExit(f"filling the ledger failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout)


def escalate(env: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pd", "escalate-overdue", "--now", NOW.isoformat(), "--no-send",
                        "--json"], env=env, capture_output=True, text=True, timeout=3600)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"pd escalate-overdue failed ({r.returncode}): {r.stderr[-2000:]}")
    return dt, json.loads(r.stdout)


def measure(backend: str, url: str, work: Path, total: int, open_count: int, share: float, repeat: int) -> dict:
    env = prepare(backend, url, work)
    filled = fill(env, total, open_count, share)
    first_s, first = escalate(env)
    times = []
    for _ in range(repeat):
        dt, again = escalate(env)
        if again["escalations"]:
            raise SystemExit(f"the repeated run escalated {len(again['escalations'])} again: not idempotent")
        times.append(dt)
    plan = subprocess.run([sys.executable, "-c", PLAN, NOW.isoformat()], env=env, capture_output=True, text=True,
                          timeout=600)
    startup = []
    for _ in range(3):  # the same process doing nothing: pd --version
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pd", "--version"], env=env, capture_output=True, timeout=60)
        startup.append(time.perf_counter() - t0)
    return {"backend": backend, **filled, "first_run_s": first_s, "escalated": len(first["escalations"]),
            "again_s": times, "plan": plan.stdout or plan.stderr, "startup_s": min(startup)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--open", type=int, default=50_000)
    ap.add_argument("--overdue-share", type=float, default=0.10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pg", default=os.environ.get("PD_TEST_DATABASE_URL"))
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--pg-only", action="store_true")
    ap.add_argument("--target", type=float, default=2.0)
    a = ap.parse_args()
    print(f"bench_escalate: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}; --now {NOW.isoformat()}")
    backends = ([] if a.pg_only else ["sqlite"]) + (["postgresql"] if a.pg and not a.sqlite_only else [])
    good = True
    for backend in backends:
        for total in (a.requests, a.small):
            work = Path(tempfile.mkdtemp(prefix=f"pd-bench-esc-{backend}-"))
            drop = None
            try:
                url = f"sqlite:///{work / 'ledger.sqlite3'}" if backend == "sqlite" else None
                if backend == "postgresql":
                    url, drop = pg_schema(a.pg)
                t0 = time.perf_counter()
                res = measure(backend, url, work, total, a.open, a.overdue_share, a.repeat)
                size = ""
                if backend == "sqlite":
                    size = f", file {sum(p.stat().st_size for p in work.glob('ledger.sqlite3*')) / 1e6:.0f} MB"
                med = statistics.median(res["again_s"])
                print(f"\n=== {backend}: {res['requests']:,} requests, {res['open']:,} open, {res['overdue']:,} of them "
                      f"overdue at --now{size} ===")
                print(f"fill {res['fill_s']:.0f} s; first run (escalates {res['escalated']:,}) {res['first_run_s']:.1f} s")
                print(f"run that finds nothing new (subprocess, start-up included), {len(res['again_s'])} runs: "
                      f"median {med:.2f} s, min {min(res['again_s']):.2f} s, max {max(res['again_s']):.2f} s "
                      f"(pd --version alone: {res['startup_s']:.2f} s)")
                if total == a.requests:
                    verdict = "ok" if med <= a.target else "OVER TARGET"
                    print(f"target <= {a.target:.1f} s on {total:,} requests: {verdict}")
                    good = good and med <= a.target
                print("candidate query plan:\n" + res["plan"].rstrip())
                print(f"(this size took {time.perf_counter() - t0:.0f} s in all)")
            finally:
                if drop:
                    drop()
                shutil.rmtree(work, ignore_errors=True)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
