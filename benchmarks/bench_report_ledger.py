"""The whole `pd report monthly` on a ledger with a month of 100,000 requests, against
openpyxl write-only alone writing the same cells (run by hand).

    .venv/bin/python benchmarks/bench_report_ledger.py [--requests 100000] [--ledger PATH]

1. Fills an SQLite ledger (bulk inserts) with N requests received in October 2026
   across the institutions of contacts.yaml, closed, resolved or open, ~8% escalated
   (levels 1 and 2), ~10% urgent (round-the-clock calendar), and N/10 more spread over
   the 11 months before, for the trend sheet.
2. baseline: a subprocess reads the same rows through pd.report.ledger (untimed), formats
   the cells (untimed), then times openpyxl write-only writing them, one workbook per
   institution.
3. pd: times the command `pd report monthly --month 2026-10` as a subprocess (start-up,
   queries, summaries, charts, the overview — everything), and its peak RSS.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASELINE = r'''
import sys, time
from pathlib import Path
from openpyxl import Workbook
from pd.config import load_settings
from pd.desk import Desk
from pd.report.ledger import rows_for, select_month
from pd.report.rows import formatter, headers
desk = Desk(load_settings())
sel = select_month("2026-10", "Europe/Riga")
from datetime import datetime
from zoneinfo import ZoneInfo
RIGA = ZoneInfo("Europe/Riga")
values = formatter("lv").values
def cells(r):  # what pd writes: Riga wall-clock datetimes (Excel has no time zones)
    return [v.astimezone(RIGA).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v for v in values(r)]
prepared = {code: [cells(r) for r in rows_for(desk, sel, code)] for code in desk.contacts.institutions}
out = Path(sys.argv[1])
t0 = time.perf_counter()
for code, rows in prepared.items():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Pieteikumi")
    ws.append(headers("lv"))
    for v in rows:
        ws.append(v)
    wb.save(out / f"base-{code}.xlsx")
print(time.perf_counter() - t0, sum(len(r) for r in prepared.values()))
'''


def fill(url: str, n: int) -> None:
    env = dict(os.environ, PD_DATABASE_URL=url, PD_USER="operators1")
    subprocess.run([sys.executable, "-m", "pd", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(PD_DATABASE_URL=url, PD_USER="operators1")
    from pd.config import load_settings
    from pd.db.models import Escalation, Request
    from pd.desk import Desk

    desk = Desk(load_settings())
    catalog, contacts = desk.catalog, desk.contacts
    insts = list(contacts.institutions)
    services = list(catalog.services.values())
    experts = [s.login for s in contacts.staff.values() if "expert" in s.roles]
    rnd = random.Random(7)
    start = datetime(2026, 9, 30, 21, 0, tzinfo=timezone.utc)  # 1 Oct 00:00 Riga
    span = 31 * 86400 - 3600
    year_before = start - timedelta(days=334)  # about 1 November 2025
    db = desk.ledger.database
    rows, escal = [], []
    t0 = time.perf_counter()
    earlier = n // 10
    for i in range(1, n + earlier + 1):
        if i <= earlier:  # the 11 months before October, for the trend
            received = year_before + timedelta(seconds=rnd.randrange(int((start - year_before).total_seconds()) - 7 * 86400))
        else:
            received = start + timedelta(seconds=rnd.randrange(span))
        svc = rnd.choice(services)
        urgent = "urgent" in svc.times and rnd.random() < 0.1
        status = rnd.choices(("closed", "resolved", "in_progress", "assigned", "registered", "refused"),
                             (70, 10, 8, 5, 4, 3) if i > earlier else (95, 0, 1, 1, 0, 3))[0]
        assigned = status not in ("registered", "refused")
        accepted = received + timedelta(minutes=rnd.randrange(5, 300)) if status in ("closed", "resolved", "in_progress") else None
        resolved = accepted + timedelta(hours=rnd.randrange(1, 60)) if status in ("closed", "resolved") else None
        closed = resolved + timedelta(hours=5) if status == "closed" else (received if status == "refused" else None)
        last = max(x for x in (received, accepted, resolved, closed) if x is not None)
        last = min(last, start + timedelta(seconds=span))
        rows.append(dict(
            number=f"2026-{i:06d}", status=status, requester_name=f"Lietotājs Nr. {i} Ķēniņš",
            institution=insts[i % len(insts)], unit="Rīgas reģiona pārvalde", position="vecākais inspektors",
            phone="+37167000000", email=f"u{i}@iem.gov.lv", location="", room="", username="",
            service=svc.code, description="Nedarbojas e-pasts; lūdzu pārbaudīt pastkastes kvotu un sinhronizāciju.",
            channel=rnd.choice(("phone", "email", "fax", "other")), urgent=urgent, received_at=received,
            registered_at=received, registered_by="operators1", catalog_version=catalog.version,
            contacts_version=contacts.version,
            expert=rnd.choice(svc.experts or experts) if assigned else None,
            response_due=received + timedelta(hours=4) if assigned else None,
            resolution_due=received + timedelta(hours=40) if assigned else None,
            accepted_at=accepted, resolved_at=resolved, closed_at=closed,
            result="Atrisināts, lietotājs informēts." if resolved else None,
            refusal_reason="Nav Centra kompetencē" if status == "refused" else None, updated_at=last))
        if len(rows) == 5000:
            with db.atomic():
                Request.insert_many(rows).execute()
            rows = []
    if rows:
        with db.atomic():
            Request.insert_many(rows).execute()
    ids = [(r.id, r.expert, r.received_at) for r in Request.select(Request.id, Request.expert, Request.received_at)
           .where(Request.status.in_(("closed", "resolved", "in_progress")))]
    staff = contacts.staff
    for rid, expert, received in rnd.sample(ids, len(ids) * 8 // 100):
        manager = staff[expert].manager if expert in staff else "vkalejs"
        at = received + timedelta(hours=rnd.randrange(2, 48))
        reason = rnd.choice(("not_accepted", "overdue", "unjustified_rejection"))
        escal.append(dict(request=rid, assignment=None, assignment_key=0, reason=reason,
                          level=1, at=at, actor="system", manager=manager))
        if rnd.random() < 0.2 and manager in staff and staff[manager].manager:
            escal.append(dict(request=rid, assignment=None, assignment_key=0, reason=reason, level=2,
                              at=at + timedelta(hours=8), actor="system", manager=staff[manager].manager))
    with db.atomic():
        for k in range(0, len(escal), 5000):
            Escalation.insert_many(escal[k:k + 5000]).execute()
    desk.ledger.close()
    print(f"filled {n} requests in the month and {earlier} before it, {len(escal)} escalations "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def timed_child(cmd: list[str], env: dict) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{cmd}: {r.returncode}\n{r.stderr}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(rss, before) / 1024, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ledger", type=Path, help="reuse (or keep) the filled ledger at this path")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-report-"))
    ledger = args.ledger or tmp / "ledger.sqlite3"
    url = f"sqlite:///{ledger}"
    if not ledger.exists():
        fill(url, args.requests)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PD_DATABASE_URL=url, PD_USER="supervizors")
    base_times, pd_times, pd_rss = [], [], []
    for k in range(args.repeat):
        out = tmp / f"out{k}"
        out.mkdir()
        # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run pd first each round
        t, rss, _ = timed_child([sys.executable, "-m", "pd", "report", "monthly", "--month", "2026-10",
                                 "--out", str(out)], env)
        pd_times.append(t)
        pd_rss.append(rss)
        _, _, stdout = timed_child([sys.executable, "-c", BASELINE, str(out)], env)
        base_times.append(float(stdout.split()[0]))
    b, p = min(base_times), min(pd_times)
    print(f"{args.requests} requests, {len(os.sched_getaffinity(0))} cores, {time.strftime('%Y-%m-%d')}\n")
    print("| run | seconds (best of %d) | ratio | peak RSS MB |" % args.repeat)
    print("|---|---|---|---|")
    print(f"| openpyxl write-only alone, the same cells | {b:.1f} | 1.00 | – |")
    print(f"| `pd report monthly` (whole command: queries, workbooks, charts, overview) | {p:.1f} | {p / b:.2f} | {pd_rss[0]:.0f} |")


if __name__ == "__main__":
    main()
