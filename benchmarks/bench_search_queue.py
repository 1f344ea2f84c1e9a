#!/usr/bin/env python3
"""pd search and pd queue on big ledgers (SQLite).

    python3 -m venv /tmp/pd-bench && /tmp/pd-bench/bin/pip install .     # a regular, non-editable install
    /tmp/pd-bench/bin/python benchmarks/bench_search_queue.py              # 1,000,000 and 100,000 requests
    /tmp/pd-bench/bin/python benchmarks/bench_search_queue.py --requests 200000 --small 20000

Run it with the interpreter of a regular install: it imports pd from there (not from this checkout) and
runs `python -m pd` from a temporary directory.

Two ledgers, --requests and --small, with the same --open requests (the same statuses, deadlines and
people, drawn from one seed; the rest closed years ago), filled fast with the stdlib driver's executemany
after `pd init`, each request's search document built by pd.search.document() (what the ledger writes)
and inserted beside it.

search: each query is timed in-process (the best of 5, warm), pd.search.search() (FTS5 MATCH with bm25)
against a `LIKE '%…%'` scan over the same request columns in the same run; target: >= 20x faster on the
big ledger. Also `pd search … --json` as a subprocess (start-up included).

queue: `pd queue --json` as a subprocess (median of 5, start-up included) and pd.queue.entries()
in-process (best of 5) on both ledgers; target: the big one within 1.2x of the small one. The query plan
of each of the queue's queries is printed (every one must SEARCH an index, none SCAN request).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Jānis", "Anna", "Pēteris", "Ilze", "Kārlis", "Līga", "Andris", "Inese", "Māris", "Dace", "Edgars",
         "Ieva", "Guntis", "Zane", "Raivis", "Elīna", "Aigars", "Sandra", "Ēriks", "Ināra"]
LAST = ["Bērziņš", "Kalniņš", "Ozols", "Jansons", "Liepiņš", "Krūmiņš", "Balodis", "Zariņš", "Pētersons",
        "Vītols", "Kļaviņš", "Lācis", "Eglītis", "Grīnbergs", "Siliņš", "Dūmiņš", "Ločmelis", "Ūdris", "Ģērmanis"]
RARE = "Ķēniņš"  # one in RARE_EVERY requesters: what an operator looks for when a caller gives the name
RARE_EVERY = 20000
WORDS = ["neienāk e-pasts", "printeris nedrukā", "VPN nesavienojas", "aizmirsta parole", "dators neieslēdzas",
         "nav interneta", "Outlook kļūda", "lietotāja konts bloķēts", "monitors mirgo", "tālrunis nedarbojas",
         "sistēmas piekļuve", "Wi-Fi pazūd", "skeneris", "programmatūras instalēšana", "IIS lēni"]
PLACES = ["Rīgā", "Ķekavā", "Jelgavā", "Daugavpilī", "Liepājā", "Cēsīs", "Valmierā", "Kuldīgā", "Ogrē", "Tukumā"]
INSTITUTIONS = ["IEM", "VP", "VRS", "VUGD", "PMLP", "NVA", "IDB", "VSC"]
EXPERTS = ["jberzins", "lkalnina"]
SERVICE = "EPASTS"


def person(rng: random.Random, i: int) -> tuple[str, str, str]:
    from pd.search import fold

    first, last = rng.choice(FIRST), (RARE if i % RARE_EVERY == 7 else rng.choice(LAST))
    email = f"{fold(first)}.{fold(last)}{i % 97}@{rng.choice(INSTITUTIONS).lower()}.gov.lv"
    phone = f"+371{rng.choice('26')}{rng.randrange(10**7):07d}"
    return f"{first} {last}", email, phone


REQUEST_COLUMNS = ("id", "number", "status", "requester_name", "institution", "unit", "position", "phone", "email",
                   "location", "room", "username", "service", "description", "channel", "urgent", "received_at",
                   "registered_at", "registered_by", "catalog_version", "contacts_version", "expert", "response_due",
                   "resolution_due", "accepted_at", "resolved_at", "closed_at", "result", "paused_since", "updated_at")
ASSIGNMENT_COLUMNS = ("request_id", "expert", "assigned_at", "assigned_by", "response_due", "resolution_due",
                      "base_resolution_due", "calendar", "response_calendar", "catalog_version", "explicit",
                      "ended_at", "ended_reason")


def fill(db_path: Path, total: int, open_count: int, now: datetime) -> dict:
    """Requests straight into the tables with the stdlib driver (no events: neither search nor queue needs
    them here), each request's search document built by pd.search.document itself and written beside it.
    Instants are stored as peewee stores them on SQLite: naive UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]'."""
    import sqlite3
    from types import SimpleNamespace

    from pd.catalog import load
    from pd.config import load_settings
    from pd.search import document

    from pd.ledger import Ledger

    settings = load_settings()
    ledger = Ledger(settings)
    catalog = load("catalog", settings.catalog_path)
    contacts = load("contacts", settings.contacts_path)
    ledger.close()
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=off")  # a benchmark's fill, not the ledger's own writes
    ins_r = (f"INSERT INTO request ({', '.join(REQUEST_COLUMNS)}) VALUES ({', '.join('?' * len(REQUEST_COLUMNS))})")
    ins_a = (f"INSERT INTO assignment ({', '.join(ASSIGNMENT_COLUMNS)}) "
             f"VALUES ({', '.join('?' * len(ASSIGNMENT_COLUMNS))})")
    ins_s = "INSERT INTO request_search (rowid, ident, body, history) VALUES (?, ?, ?, ?)"
    closed = total - open_count
    history = random.Random(total)  # the closed past differs by size ...
    present = random.Random(20261201)  # ... the open set is the same in both ledgers
    years = max(1, -(-total // 900000))
    start = datetime(now.year - years + 1, 1, 1, tzinfo=timezone.utc)
    seq: dict[int, int] = {}
    rows, arows, docs = [], [], []
    index_s = 0.0
    t0 = time.perf_counter()

    def utc(dt):
        return None if dt is None else dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")

    def flush():
        con.execute("BEGIN")
        con.executemany(ins_r, rows)
        con.executemany(ins_a, arows)
        con.executemany(ins_s, docs)
        con.execute("COMMIT")
        rows.clear()
        arows.clear()
        docs.clear()

    for i in range(1, total + 1):
        is_open = i > closed
        rng = present if is_open else history
        if is_open:
            received = now - timedelta(hours=rng.uniform(1, 24 * 12))
        else:
            received = min(start + (now - start) * ((i - 1) / total), now - timedelta(days=30))
        seq[received.year] = seq.get(received.year, 0) + 1
        number = f"{received.year}-{seq[received.year]:06d}"
        name, email, phone = person(rng, i - closed if is_open else i)
        desc = f"{rng.choice(WORDS).capitalize()} {rng.choice(PLACES)}, kabinets {rng.randrange(1, 500)}"
        inst = email.rsplit("@", 1)[1].split(".")[0].upper()
        expert = rng.choice(EXPERTS)
        if not is_open:
            due = received + timedelta(hours=16)
            status, response_due, resolution_due = "closed", received + timedelta(hours=2), due
            accepted, resolved_at, closed_at, result, paused = received + timedelta(hours=1), due, \
                due + timedelta(days=5), "Izdarīts", None
        else:
            status = rng.choices(["assigned", "in_progress", "waiting_user", "returned", "resolved", "registered"],
                                 [30, 30, 15, 5, 15, 5])[0]
            response_due = now + timedelta(minutes=rng.uniform(-60 * 48, 60 * 72))
            resolution_due = response_due + timedelta(hours=rng.uniform(1, 48))
            resolved_at = now - timedelta(hours=rng.uniform(1, 24 * 9)) if status == "resolved" else None
            paused = now - timedelta(hours=rng.uniform(1, 24 * 7)) if status == "waiting_user" else None
            accepted = received if status in ("in_progress", "waiting_user", "resolved") else None
            closed_at, result = None, ("Salabots" if resolved_at else None)
            if status == "registered":
                expert = response_due = resolution_due = None
            else:
                ended = (received + timedelta(minutes=30), "rejected") if status == "returned" else \
                    ((resolved_at, "resolved") if status == "resolved" else (None, None))
                arows.append((i, expert, utc(received), "operators1", utc(response_due), utc(resolution_due),
                              utc(resolution_due), "darba-laiks", "darba-laiks", catalog.version, 0,
                              utc(ended[0]), ended[1]))
        rows.append((i, number, status, name, inst, "", "", phone, email, "", "", "", SERVICE, desc, "phone", 0,
                     utc(received), utc(received), "operators1", catalog.version, contacts.version, expert,
                     utc(response_due), utc(resolution_due), utc(accepted), utc(resolved_at), utc(closed_at), result,
                     utc(paused), utc(closed_at or received)))
        t1 = time.perf_counter()
        req = SimpleNamespace(number=number, institution=inst, service=SERVICE, requester_name=name, email=email,
                              phone=phone, username="", unit="", position="", location="", room="",
                              description=desc, result=result, refusal_reason=None, delay_reason=None)
        docs.append((i, *document(req, [])))
        index_s += time.perf_counter() - t1
        if len(rows) >= 50000:
            flush()
    flush()
    con.execute("BEGIN")
    for year, last in seq.items():
        con.execute("INSERT OR REPLACE INTO number_sequence (year, last) VALUES (?, ?)", (year, last))
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return {"fill_s": time.perf_counter() - t0, "index_s": index_s}


LIKE_COLUMNS = ("number", "requester_name", "email", "phone", "description", "result")


def like_scan(words: list[str]) -> int:
    """The baseline: every word LIKE '%word%' in any of the columns the search document holds."""
    from pd.db.connection import db

    cond = " AND ".join("(" + " OR ".join(f"{c} LIKE ?" for c in LIKE_COLUMNS) + ")" for _ in words)
    params = [f"%{w}%" for w in words for _ in LIKE_COLUMNS]
    return len(db.execute_sql(f"SELECT id FROM request WHERE {cond}", params).fetchall())


def best(fn, n: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


# (what the operator types into pd search, the same as LIKE words)
QUERIES = [
    ("kenins", [RARE]),                    # a rare surname, typed without its Latvian letters
    ("berzins janis", ["Bērziņš", "Jānis"]),  # a common name
    ("+371 2612 34", ["+371261234"]),      # a phone fragment (LIKE needs it typed as stored)
    ("2026-00012", ["2026-00012"]),        # a number fragment
    ("kekava printeris", ["Ķekavā", "printeris"]),  # words of the description
]


def measure(work: Path, total: int, open_count: int, now: datetime, py: str) -> dict:
    conf = work / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "catalog.yaml", conf / "catalog.yaml")
    shutil.copy(ROOT / "contacts.yaml", conf / "contacts.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PD_", "PYTHONPATH"))}
    env.update({"PD_DATABASE_URL": f"sqlite:///{work / 'ledger.sqlite3'}", "PD_CATALOG": str(conf / "catalog.yaml"),
                "PD_CONTACTS": str(conf / "contacts.yaml"), "PD_USER": "operators1"})
    subprocess.run([py, "-m", "pd", "init"], env={**env, "PD_USER": "admins"}, cwd=work, check=True,
                   capture_output=True, timeout=120)
    os.environ.update(env)
    res = {"requests": total, "open": open_count, **fill(work / "ledger.sqlite3", total, open_count, now)}
    res["file_mb"] = sum(p.stat().st_size for p in work.glob("ledger.sqlite3*")) / 1e6

    from pd import queue, search
    from pd.config import load_settings
    from pd.db.connection import db
    from pd.desk import Desk

    desk = Desk(load_settings(), now=now)
    desk.ledger
    res["search"] = []
    for text, like_words in QUERIES:
        fts_s, hits = best(lambda: search.search(text, 20))
        like_s, like_n = best(lambda: like_scan(like_words), 3)
        # how many the index matches in all (the LIMIT 20 ranks them all)
        match = " AND ".join('"' + t + '"*' for t in search.terms(text))
        n_match = db.execute_sql("SELECT COUNT(*) FROM request_search WHERE request_search MATCH ?", (match,)).fetchone()[0]
        res["search"].append({"query": text, "fts_ms": fts_s * 1000, "like_ms": like_s * 1000,
                              "ratio": like_s / fts_s, "matches": n_match, "like_rows": like_n, "shown": len(hits)})
    t = []
    for _ in range(5):
        t0 = time.perf_counter()
        r = subprocess.run([py, "-m", "pd", "search", QUERIES[0][0], "--json"], env=env, cwd=work,
                           capture_output=True, text=True, timeout=120)
        t.append(time.perf_counter() - t0)
        assert r.returncode == 0, r.stderr
    res["search_cli_s"] = statistics.median(t)

    q_s, entries = best(lambda: queue.entries(desk, now))
    res["queue_inproc_ms"] = q_s * 1000
    res["queue_entries"] = len(entries)
    res["queue_reasons"] = {k: sum(1 for e in entries if e["reason"] == k) for k in queue.REASONS}
    t = []
    for _ in range(5):
        t0 = time.perf_counter()
        r = subprocess.run([py, "-m", "pd", "queue", "--json"], env=env, cwd=work, capture_output=True, text=True,
                           timeout=300)
        t.append(time.perf_counter() - t0)
        assert r.returncode == 0, r.stderr
    res["queue_cli_s"] = statistics.median(t)
    res["queue_cli_entries"] = len(json.loads(r.stdout)["entries"])
    res["plans"] = queue_plans(desk, now)
    db.close()
    return res


def queue_plans(desk, now) -> list[str]:
    """EXPLAIN QUERY PLAN of every query pd.queue runs, captured as it runs them."""
    from pd import queue
    from pd.db.connection import db

    seen: list[str] = []
    original = db.obj.execute_sql

    def spy(sql, params=None, *a, **kw):
        if sql.lstrip().upper().startswith("SELECT") and "request_search" not in sql:
            plan = original("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            seen.append(sql[:90].replace("\n", " ") + " …\n      " + "\n      ".join(str(r[-1]) for r in plan))
        return original(sql, params, *a, **kw)

    db.obj.execute_sql = spy
    try:
        queue.entries(desk, now)
    finally:
        db.obj.execute_sql = original
    return seen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--open", type=int, default=5_000)
    a = ap.parse_args()
    import pd

    if Path(pd.__file__).resolve().is_relative_to(ROOT):
        print("warning: pd is imported from this checkout, not from a regular install", file=sys.stderr)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    print(f"bench_search_queue: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}, pd from {Path(pd.__file__).parent}")
    results = {}
    for total in (a.requests, a.small):
        work = Path(tempfile.mkdtemp(prefix="pd-bench-sq-"))
        try:
            t0 = time.perf_counter()
            r = measure(work, total, a.open, now, sys.executable)
            results[total] = r
            print(f"\n=== {total:,} requests, {a.open:,} open, file {r['file_mb']:.0f} MB: fill {r['fill_s']:.0f} s, "
                  f"of it building search documents {r['index_s']:.0f} s ===")
            for s in r["search"]:
                print(f"  search {s['query']!r:22} FTS {s['fts_ms']:7.1f} ms   LIKE scan {s['like_ms']:7.0f} ms   "
                      f"{s['ratio']:6.0f}x   (index matches {s['matches']:,}, LIKE rows {s['like_rows']:,})")
            print(f"  pd search {QUERIES[0][0]!r} --json (subprocess, start-up included): median {r['search_cli_s']:.2f} s")
            print(f"  queue: pd queue --json median {r['queue_cli_s']:.2f} s ({r['queue_cli_entries']} entries); "
                  f"queue.entries() in-process {r['queue_inproc_ms']:.0f} ms; {r['queue_reasons']}")
            print("  queue query plans:\n    " + "\n    ".join(r["plans"]))
            print(f"  (this size took {time.perf_counter() - t0:.0f} s)")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    big, small = results[a.requests], results[a.small]
    worst = min(s["ratio"] for s in big["search"][:4])
    cli = big["queue_cli_s"] / small["queue_cli_s"]
    inproc = big["queue_inproc_ms"] / small["queue_inproc_ms"]
    print(f"\nsearch on {a.requests:,}: FTS vs LIKE scan, the operator's queries (name, phone, number): at least "
          f"{worst:.0f}x (target >= 20x): {'ok' if worst >= 20 else 'UNDER TARGET'}")
    print(f"queue: {a.requests:,} vs {a.small:,}: pd queue --json {cli:.2f}x, entries() {inproc:.2f}x "
          f"(target <= 1.2x): {'ok' if cli <= 1.2 else 'OVER TARGET'}")
    return 0 if worst >= 20 and cli <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
