#!/usr/bin/env python3
"""`pd audit verify` on a big ledger against the bare chain check, and register with
synchronous=NORMAL against FULL, in the same run (SQLite).

    python benchmarks/bench_audit.py                 # 1,000,000 events (200,000 closed requests)
    python benchmarks/bench_audit.py --events 100000 --registers 200

The ledger is built with bulk inserts (executemany): each request registered, assigned,
accepted, resolved and closed (5 events, one assignment, four outbox rows), every event
hashed exactly as pd hashes it, and every change's rows sealed as pd seals them (row_seal), so the
audit finds nothing. Timed in-process: verify_chain() (the chain only) and audit.verify() (integrity
check + chain + replay of every request + every sealed row against its seal; from 200,000 events in
worker processes, one per core) and --since the last 10,000 events, each best of --repeat, wall and CPU time
(CPU: this process and the workers it waited for, together; the machine is shared: CPU time is what the
audit itself costs). Register: Desk.register in one process, blocks of --registers commits,
FULL and NORMAL alternating on the same file, median per-commit time of each.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml


def env_for(db: Path, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_")}
    env.update(PD_DATABASE_URL=f"sqlite:///{db}", PD_USER="operators1", PD_CATALOG=str(EXAMPLES / "catalog.yaml"),
               PD_CONTACTS=str(EXAMPLES / "contacts.yaml"))
    return env


def build(db: Path, events: int) -> None:
    from pd.latvian import iso
    from pd.ledger import canonical, event_hash, row_digest, seal_hash, sealed_select, text_sha256, utc_text

    con = sqlite3.connect(db)
    versions = dict(con.execute("SELECT kind, version FROM config_snapshot"))
    cat, cont = versions["catalog"], versions["contacts"]
    t0 = datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)
    eid, prev = con.execute("SELECT last_event_id, last_hash FROM ledger_head").fetchone()  # after pd init's
    reqs, evs, asg, out = [], [], [], []
    pending = []  # events before hashing: their rows' seals are known once the rows are written

    def s(dt):
        return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")

    def ev(rid, number, at, actor, kind, frm, to, data, rows=()):
        nonlocal eid
        eid += 1
        pending.append((eid, rid, number, at, actor, kind, frm, to, canonical(data), rows))

    n = events // 5
    mid = 0
    for i in range(1, n + 1):
        number = f"2026-{i:06d}"
        base = t0 + timedelta(seconds=90 * i, microseconds=i % 997)
        at = [base + timedelta(minutes=k) for k in range(5)]
        desc = f"Neienāk e-pasts {i}"
        rd, sd = (at[1] + timedelta(hours=1)).replace(microsecond=0), (at[1] + timedelta(days=1)).replace(microsecond=0)
        reqs.append((i, number, "closed", "Jānis Bērziņš", "VP", "", "", "", "", "", "", "", "EPASTS", desc, "phone", 0,
                     s(at[0]), s(at[0]), "operators1", cat, cont, None, "jberzins", s(rd), s(sd), None, None, None,
                     s(at[2]), s(at[3]), s(at[4]), "Atrisināts", None, None, None, s(at[4])))
        ev(i, number, at[0], "operators1", "registered", None, "registered", rows=[("request", i)], data=
           {"service": "EPASTS", "channel": "phone", "urgent": False, "institution": "VP", "catalog_version": cat,
            "contacts_version": cont, "received_at": utc_text(at[0]), "description_sha256": text_sha256(desc)})
        ev(i, number, at[1], "operators1", "assigned", "registered", "assigned",
           rows=[("request", i), ("assignment", i), ("outbox_message", mid + 1), ("outbox_message", mid + 2)], data=
           {"expert": "jberzins", "assignment": i, "response_due": iso(rd), "resolution_due": iso(sd),
            "calendar": "darba_laiks", "catalog_version": cat, "reason": None})
        asg.append((i, i, "jberzins", s(at[1]), "operators1", s(rd), s(sd), s(sd), "darba_laiks", "darba_laiks", cat,
                    0, None, s(at[3]), "resolved"))
        ev(i, number, at[2], "jberzins", "accepted", "assigned", "in_progress", {}, [("request", i)])
        ev(i, number, at[3], "jberzins", "resolved", "in_progress", "resolved", {"result": "Atrisināts"},
           [("request", i), ("assignment", i), ("outbox_message", mid + 3)])
        ev(i, number, at[4], "operators1", "closed", "resolved", "closed", {"auto": False},
           [("request", i), ("outbox_message", mid + 4)])
        for kind, when in (("assigned_expert", at[1]), ("forwarded_user", at[1]), ("resolved_user", at[3]),
                           ("closed_user", at[4])):
            mid += 1
            out.append((mid, i, kind, '["x@vp.gov.lv"]', "Temats", "Teksts", f"<{mid}@ic>", s(when), "sent", 1,
                        s(when)))
    con.executemany("INSERT INTO request (id, number, status, requester_name, institution, unit, position, phone, "
                    "email, location, room, username, service, description, channel, urgent, received_at, "
                    "registered_at, registered_by, catalog_version, contacts_version, idempotency_key, expert, "
                    "response_due, resolution_due, planned_date, delay_reason, delay_reported_at, accepted_at, "
                    "resolved_at, closed_at, result, refusal_reason, ict_contact, paused_since, updated_at) "
                    "VALUES (" + ",".join("?" * 36) + ")", reqs)
    con.executemany("INSERT INTO assignment (id, request_id, expert, assigned_at, assigned_by, response_due, "
                    "resolution_due, base_resolution_due, calendar, response_calendar, catalog_version, explicit, "
                    "reason, ended_at, ended_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", asg)
    con.executemany("INSERT INTO outbox_message (id, request_id, kind, recipients, subject, body, message_id, "
                    "created_at, status, attempts, next_attempt_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", out)
    # each change's seal: the digests of the rows it wrote, as pd reads them back (the final rows: only a
    # row's last seal is compared), chained after its event as pd chains it
    digests = {t: {r[0]: row_digest(r) for r in con.execute(sealed_select(t))}
               for t in ("request", "assignment", "outbox_message")}
    seals = []
    for eid_, rid, number, at, actor, kind, frm, to, data, rows in pending:
        fields = {"id": eid_, "request": number, "at": utc_text(at), "actor": actor, "on_behalf_of": None,
                  "via": "cli", "kind": kind, "from": frm, "to": to, "data": data}
        h = event_hash(prev, fields)
        evs.append((eid_, rid, s(at), actor, None, "cli", kind, frm, to, data, prev, h))
        seal: dict = {}
        for t, i in rows:
            seal.setdefault(t, {})[str(i)] = digests[t][i]
        text = canonical(seal)
        seals.append((eid_, text))
        prev = seal_hash(h, text)
    con.executemany("INSERT INTO event (id, request_id, at, actor, on_behalf_of, via, kind, from_status, to_status, "
                    "data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", evs)
    con.executemany("INSERT INTO row_seal (event_id, rows) VALUES (?, ?)", seals)
    con.execute("INSERT OR REPLACE INTO number_sequence (year, last) VALUES (2026, ?)", (n,))
    con.execute("UPDATE ledger_head SET last_event_id = ?, last_hash = ?", (eid, prev))
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


CPU: dict[str, float] = {}


def children_cpu() -> float:
    """CPU time of the worker processes the audit ran and waited for (pd audit verify on a big ledger)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def best(fn, repeat: int) -> tuple[float, object]:
    """The best wall time of `repeat` runs (and, in CPU[fn's name], the best CPU time of this process and
    the workers it waited for: on a shared machine the wall time counts the other users' work too)."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time() + children_cpu()
        result = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() + children_cpu() - c)
    CPU[getattr(fn, "__name__", "fn")] = min(cpu)
    return min(times), result


def bench_audit(tmp: Path, events: int, repeat: int, ledger: Path | None = None, workers: str = "auto") -> None:
    db = ledger or tmp / "audit.sqlite3"
    env = env_for(db, tmp)
    if not db.exists():  # (a --ledger not built yet: built there and kept for the next runs)
        subprocess.run([sys.executable, "-m", "pd", "init"], env=env, check=True, capture_output=True)
        t = time.perf_counter()
        build(db, events)
        print(f"built {events:,} events in {time.perf_counter() - t:.1f} s ({db.stat().st_size / 1e6:.0f} MB)",
              flush=True)
    os.environ.update(env)
    from pd import audit
    from pd.config import load_settings

    if workers != "auto":  # one process whatever the size, or worker processes from any size
        audit._PARALLEL_FROM = 10**12 if workers == "none" else 0
    from pd.ledger import Ledger, verify_chain

    ledger = Ledger(load_settings())
    chain_s, chain = best(verify_chain, repeat)
    assert chain["ok"] and chain["events"] >= events - 4, chain
    print(f"verify_chain: {chain_s:.2f} s", flush=True)
    full_s, full = best(audit.verify, repeat)
    assert full["ok"], full["problems"][:5]
    from pd.db.connection import db as conn
    from pd.ledger import chain_value

    eid, digest = conn.execute_sql("SELECT id, hash FROM event ORDER BY id DESC LIMIT 1 OFFSET 10000").fetchone()
    count = conn.execute_sql("SELECT COUNT(*) FROM event WHERE id <= ?", (eid,)).fetchone()[0]
    anchor_text = f"{count}:{chain_value(eid, digest)}"

    def since():
        return audit.verify(since_text=anchor_text)

    since_s, part = best(since, repeat)
    assert part["ok"], part["problems"][:5]
    ledger.close()
    chain_c, full_c = CPU["verify_chain"], CPU["verify"]
    print(f"verify_chain (the chain only):         {chain_s:6.2f} s wall {chain_c:6.2f} s CPU   "
          f"{chain['events'] / chain_c:,.0f} events/s (CPU)")
    print(f"audit verify (everything):             {full_s:6.2f} s wall {full_c:6.2f} s CPU   "
          f"{full_c / chain_c:.2f}x the chain (CPU); {full['rows']:,} sealed rows compared")
    print(f"audit verify --since (the last 10,000 events):{since_s:6.2f} s wall {CPU['since']:6.2f} s CPU")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 cores)")


def bench_register(tmp: Path, n: int, blocks: int) -> None:
    db = tmp / "reg.sqlite3"
    env = env_for(db, tmp)
    code = f"""
import json, statistics, time
from pd.config import load_settings
from pd.db.connection import db
from pd.desk import Desk, RegisterInput
d = Desk(load_settings()); d.ledger
res = {{"full": [], "normal": []}}
for b in range({blocks} * 2):
    mode = "full" if b % 2 == 0 else "normal"
    db.execute_sql(f"PRAGMA synchronous={{mode}}")
    t = time.perf_counter()
    for i in range({n}):
        d.register(RegisterInput(name="Līga", institution="VP", service="EPASTS", description="Printeris", channel="phone"))
    res[mode].append((time.perf_counter() - t) / {n})
print(json.dumps(res))
"""
    r = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    res = json.loads(r.stdout)
    full, normal = statistics.median(res["full"]), statistics.median(res["normal"])
    print(f"register, synchronous=NORMAL: {normal * 1000:6.2f} ms/commit  {1 / normal:6.0f}/s")
    print(f"register, synchronous=FULL:   {full * 1000:6.2f} ms/commit  {1 / full:6.0f}/s  ({full / normal:.2f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--registers", type=int, default=300, help="commits per block")
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--workers", choices=("auto", "none", "always"), default="auto",
                    help="the audit in worker processes: from 200,000 events (auto), never, or at any size")
    ap.add_argument("--ledger", type=Path, help="audit this ledger, built there and kept by the first run that "
                                                "names it (no register part)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pd-bench-audit-") as d:
        tmp = Path(d)
        if args.ledger is None:
            bench_register(tmp, args.registers, args.blocks)
        bench_audit(tmp, args.events, args.repeat, args.ledger, args.workers)


if __name__ == "__main__":
    main()
