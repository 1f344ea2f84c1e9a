"""The whole `pd report monthly` on a ledger with a month of 100,000 requests, against
openpyxl write-only alone writing the same cells (run by hand, from a regular install).

    python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    cd /tmp && /tmp/bench-venv/bin/python /path/to/benchmarks/bench_report_ledger.py \
        [--requests 100000] [--repeat 2] [--ledger PATH]

1. Fills an SQLite ledger (bulk inserts, in a child process) with N requests received in
   October 2026 across the institutions of contacts.yaml, closed, resolved or open, ~8%
   escalated (levels 1 and 2), ~10% urgent (round-the-clock calendar), and N/10 more spread
   over the 11 months before, for the trend sheet.
2. baseline: a subprocess reads the same rows and escalations through pd.report.ledger
   (untimed), formats the cells as pd does (untimed), then times openpyxl write-only writing
   the cells pd writes, unstyled: per institution the three request sheets (11 + 12 + 8 columns)
   and the escalations sheet, and the overview's escalations and refused sheets. Only pd's
   small tables of totals (~6,000 cells) are not in it. The earlier baseline (each
   request's values once (21 columns before issue 20, 29 now), one sheet) is timed too, for comparison with older figures.
3. pd: times the command `pd report monthly --month 2026-10` as a subprocess (start-up,
   queries, summaries, charts, the overview — everything), and its peak RSS.

Wall time and CPU time (user + sys: of the child from os.wait4 for pd, of the timed part for
the baselines) are printed with the load average: the CPU ratio is the one to trust on a
shared machine.
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
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml

BASELINE = r'''
import sys, time
from pathlib import Path
from openpyxl import Workbook
from pd.config import load_settings
from pd.desk import Desk
from pd.report.ledger import escalations_for, rows_for, select_month
from pd.report.rows import formatter, headers
from pd.report.xlsx import DETAIL_SHEETS, _REFUSED_COLUMNS, level_label
desk = Desk(load_settings())
sel = select_month("2026-10", "Europe/Riga")
from datetime import datetime
from zoneinfo import ZoneInfo
RIGA = ZoneInfo("Europe/Riga")
fmt = formatter("lv")
values = fmt.values
mode = sys.argv[2]
def cell(v):  # what pd writes: Riga wall-clock datetimes (Excel has no time zones), no cell for a blank
    if isinstance(v, datetime) and v.tzinfo:
        return v.astimezone(RIGA).replace(tzinfo=None)
    return None if v == "" else v
def esc(e, inst):
    v = [e.at, e.number] + ([e.institution] if inst else []) + [
        e.service_name, level_label(e.level, "lv"), fmt.escalation.get(e.reason, e.reason), e.expert, e.manager]
    return [cell(x) for x in v]
codes = list(desk.contacts.institutions)
rows = {code: [[cell(x) for x in values(r)] for r in rows_for(desk, sel, code)] for code in codes}
refused = [[cell(x) for x in values(r)] + [r.institution] for code in codes
           for r in rows_for(desk, sel, code) if r.status == "refused"]
refused.sort(key=lambda v: v[0])
escalations = {code: [esc(e, False) for e in escalations_for(desk, sel, code)] for code in codes}
all_escalations = [esc(e, True) for e in escalations_for(desk, sel, None)]
head = headers("lv")
def pick(cols, rows):
    return [[v[i] for i in cols] for v in rows]
if mode == "once":  # the earlier baseline: every value of a request once, one sheet
    books = {f"once-{code}.xlsx": [("Pieteikumi", head, rows[code])] for code in codes}
else:  # the cells pd writes: the request rows in its three sheets, the escalations, the refused
    books = {f"base-{code}.xlsx": [("Eskalācijas", head[:7], escalations[code])]
             + [(title, pick(cols, [head])[0], pick(cols, rows[code])) for title, cols in DETAIL_SHEETS]
             for code in codes}
    ref = [0, len(head), *_REFUSED_COLUMNS[1:]]  # the institution second
    books["base-overview.xlsx"] = [("Eskalācijas", head[:8], all_escalations),
                                   ("Noraidītie", head[:11], pick(ref, refused))]
del rows, refused, escalations, all_escalations
n = sum(sum(x is not None for v in sheet_rows for x in v) for sheets in books.values() for _n, _t, sheet_rows in sheets)
out = Path(sys.argv[1])
t0 = time.perf_counter()
c0 = time.process_time()
for name, sheets in books.items():
    wb = Workbook(write_only=True)
    for title, titles, sheet_rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(titles)
        for v in sheet_rows:
            ws.append(v)
    wb.save(out / name)
print(time.perf_counter() - t0, time.process_time() - c0, n)
'''


# The checkout's catalog and contacts (a regular install does not ship them).
CONFIG = {"PD_CATALOG": str(EXAMPLES / "catalog.yaml"), "PD_CONTACTS": str(EXAMPLES / "contacts.yaml")}


def fill(url: str, n: int) -> None:
    env = dict(os.environ, PD_DATABASE_URL=url, PD_USER="operators1", **CONFIG)
    subprocess.run([sys.executable, "-m", "pd", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update(PD_DATABASE_URL=url, PD_USER="operators1", **CONFIG)
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


def timed_child(cmd: list[str], env: dict) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds user+sys, peak RSS MB, stdout) of one child process (os.wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _pid, status, ru = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise SystemExit(f"{cmd}: {p.returncode}\n{err.read()}")
        return elapsed, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out.read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ledger", type=Path, help="reuse (or keep) the filled ledger at this path")
    ap.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fill_only:
        fill(f"sqlite:///{args.ledger}", args.requests)
        return
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-report-"))
    ledger = args.ledger or tmp / "ledger.sqlite3"
    url = f"sqlite:///{ledger}"
    if not ledger.exists():
        # In a child: a forked child's ru_maxrss counts the parent's pages it started with.
        subprocess.run([sys.executable, __file__, "--fill-only", "--ledger", str(ledger),
                        "--requests", str(args.requests)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PD_DATABASE_URL=url, PD_USER="supervizors", **CONFIG)
    where = subprocess.run([sys.executable, "-c", "import pd; print(pd.__file__)"], env=env,
                           capture_output=True, text=True).stdout.strip()
    if where.startswith(str(ROOT)):
        print(f"warning: pd is imported from the checkout ({where}), not a regular install", file=sys.stderr)
    base, once, pdr = [], [], []  # (wall, cpu) per round
    pd_rss = 0.0
    cells = {}
    loads = [_loadavg()]
    for k in range(args.repeat):
        out = tmp / f"out{k}"
        out.mkdir()
        t, cpu, rss, _ = timed_child([sys.executable, "-m", "pd", "report", "monthly", "--month", "2026-10",
                                      "--out", str(out)], env)
        pdr.append((t, cpu))
        pd_rss = max(pd_rss, rss)
        for mode, runs in (("same", base), ("once", once)):
            _, _, _, stdout = timed_child([sys.executable, "-c", BASELINE, str(out), mode], env)
            wall, cpu, n = stdout.split()
            runs.append((float(wall), float(cpu)))
            cells[mode] = int(n)
        loads.append(_loadavg())
        print(f"round {k + 1}: pd {t:.1f} s ({pdr[-1][1]:.1f} s CPU), openpyxl the same cells {base[-1][0]:.1f} s "
              f"({base[-1][1]:.1f} s CPU), all values once {once[-1][0]:.1f} s ({once[-1][1]:.1f} s CPU), "
              f"load {loads[-1]}", file=sys.stderr)
    bw, bc = min(w for w, _ in base), min(c for _, c in base)
    ow, oc = min(w for w, _ in once), min(c for _, c in once)
    pw, pc = min(w for w, _ in pdr), min(c for _, c in pdr)
    print(f"{args.requests} requests, {len(os.sched_getaffinity(0))} cores, {time.strftime('%Y-%m-%d')}, "
          f"load average {' / '.join(loads)} (before and after each round)\n")
    print(f"| run (best of {args.repeat}) | wall s | CPU s | ratio (wall) | ratio (CPU) | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    print(f"| openpyxl write-only, the cells pd writes ({cells['same']:,} non-blank: the three request sheets, "
          f"escalations, refused) | {bw:.1f} | {bc:.1f} | 1.00 | 1.00 | – |")
    print(f"| `pd report monthly` (whole command: start-up, queries, all sheets, charts, overview) | {pw:.1f} "
          f"| {pc:.1f} | {pw / bw:.2f} | {pc / bc:.2f} | {pd_rss:.0f} |")
    print(f"| (earlier baseline: openpyxl write-only, each request's values once, {cells['once']:,} cells) "
          f"| {ow:.1f} | {oc:.1f} | pd {pw / ow:.2f} | pd {pc / oc:.2f} | – |")

def _loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])

if __name__ == "__main__":
    main()
