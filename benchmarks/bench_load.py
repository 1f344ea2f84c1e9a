#!/usr/bin/env python3
"""Load benchmark: desk processes and cron jobs on one ledger, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_load.py                       # SQLite (+ PostgreSQL if PD_TEST_DATABASE_URL)
    scripts/with-postgres .venv/bin/python benchmarks/bench_load.py # both, PostgreSQL on a throwaway server
    .venv/bin/python benchmarks/bench_load.py --pg postgresql://…   # both, PostgreSQL at that URL (own schema)
    .venv/bin/python benchmarks/bench_load.py --workers 4 --commands 100 --sqlite-only

Full size: 8 processes x 500 commands. Each process is an operator and an expert working through their own
requests (register, assign, accept, resolve, close; every fourth request is left with the expert, with a note,
a show and a list instead), every command a full `pd` invocation through the CLI entry point with its own
connection and transaction. Beside them `pd escalate-overdue --no-send` and `pd mail send` (PD_MAIL_DIR) run
in loops, as cron would, only much more often. Exit 8 (busy) is retried up to 5 times and counted.

Prints throughput, p50/p95 latency per command, failures, and the invariant checks: numbers gap-free and
unique, every escalation once (with its event and its e-mail), every message delivered once, the audit trail
intact. Bounded (--max-seconds) and self-stopping; exit status 1 if an invariant fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
sys.path.insert(0, str(ROOT))
# The same desk processes and cron loops as the CI-sized test, at full size here.
from tests.test_load import LOOP, PAIRS, WORKER, _working_instant_a_month_on  # noqa: E402

def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def pg_schema(base: str):
    from tests.conftest import pg_schema as fresh_schema  # the tests' own helper

    return fresh_schema(base, "bench_")


def run(backend: str, url: str, work: Path, workers: int, commands: int, max_seconds: float) -> dict:
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("PD_") and k != "PD_TEST_DATABASE_URL":
            del env[k]
    conf = work / "conf"
    conf.mkdir(parents=True)
    shutil.copy(EXAMPLES / "catalog.yaml", conf / "catalog.yaml")
    shutil.copy(EXAMPLES / "contacts.yaml", conf / "contacts.yaml")
    mail_dir = work / "mail"
    env.update({"PD_DATABASE_URL": url, "PD_CATALOG": str(conf / "catalog.yaml"),
                "PD_CONTACTS": str(conf / "contacts.yaml"), "PD_USER": "admins", "PD_MAIL_DIR": str(mail_dir),
                "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")})
    pd_cmd = [sys.executable, "-m", "pd"]
    subprocess.run([*pd_cmd, "init"], env=env, check=True, capture_output=True, timeout=120)
    later = _working_instant_a_month_on()  # managers' mail of working-time services is due then
    stop = work / "stop"
    t0 = time.monotonic()
    desks = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), *PAIRS[w % len(PAIRS)], str(commands)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=work)
             for w in range(workers)]
    loops = [subprocess.Popen([sys.executable, "-c", LOOP, str(stop), str(max_seconds), *args],
                              env={**env, "PD_USER": "system"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=work)
             for args in (["escalate-overdue", "--no-send", "--json", "--now", later], ["mail", "send", "--json"])]
    outs, crashed = [], []
    deadline = t0 + max_seconds
    for p in desks:
        try:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            crashed.append("a desk process ran out of time (--max-seconds)")
        if p.returncode not in (0, None) and not crashed:
            crashed.append(err[-1000:])
        outs.append(out)
    elapsed = time.monotonic() - t0
    stop.write_text("stop")
    loop_outs = []
    for p in loops:
        out, err = p.communicate(timeout=120)
        if p.returncode != 0:
            crashed.append(err[-1000:])
        loop_outs.append(out)
    records = [json.loads(x) for o in outs for x in o.splitlines() if x.strip()]
    loop_records = [json.loads(x) for o in loop_outs for x in o.splitlines() if x.strip()]

    # one last round of cron after the load
    final_runs = {}
    for name, args in (("escalate-overdue", ["escalate-overdue", "--no-send", "--json", "--now", later]),
                       ("escalate-overdue again", ["escalate-overdue", "--no-send", "--json", "--now", later]),
                       ("mail send", ["mail", "send", "--json"]), ("audit verify", ["audit", "verify", "--json"])):
        r = subprocess.run([*pd_cmd, *args], env={**env, "PD_USER": "system"}, capture_output=True, text=True,
                           timeout=300)
        final_runs[name] = r

    cmds = [r for r in records if "cmd" in r]
    final = [r for r in cmds if r["code"] != 8 or r["attempt"] >= 5]
    failures = [r for r in final if r["code"] != 0]
    ok = [r for r in cmds if r["code"] == 0]
    by_cmd: dict[str, list[float]] = {}
    for r in ok:
        by_cmd.setdefault(r["cmd"], []).append(r["s"])
    loop_by: dict[str, list[float]] = {}
    loop_fail = [r for r in loop_records if r["code"] != 0]
    for r in loop_records:
        if r["code"] == 0:
            loop_by.setdefault(r["cmd"], []).append(r["s"])

    checks = check_invariants(env, records, mail_dir, final_runs)
    return {"backend": backend, "workers": workers, "commands_per_worker": commands, "elapsed_s": elapsed,
            "ok": len(ok), "failures": failures, "retried_exit_8": sum(1 for r in cmds if r["code"] == 8),
            "latency": {k: (len(v), pct(v, 0.5), pct(v, 0.95), max(v)) for k, v in sorted(by_cmd.items())},
            "loops": {k: (len(v), pct(v, 0.5), pct(v, 0.95)) for k, v in sorted(loop_by.items())},
            "loop_failures": loop_fail, "crashed": crashed, "checks": checks}


def check_invariants(env: dict, records: list[dict], mail_dir: Path, final_runs: dict) -> dict[str, tuple[bool, str]]:
    """Each check: (passed, detail). Read through pd's own models, in a child process with the bench's env."""
    script = r"""
import json, sys
from pathlib import Path
from pd.config import load_settings
from pd.ledger import Ledger, verify_chain
from pd.db.models import Escalation, Event, OutboxMessage, Request
registered = json.loads(sys.stdin.read())
led = Ledger(load_settings())
numbers = [r.number for r in Request.select(Request.number).order_by(Request.number)]
year = numbers[0][:4] if numbers else "0000"
keys = [(e.request_id, e.reason, e.assignment_key, e.level) for e in Escalation.select()]
esc_events = Event.select().where(Event.kind == "escalated").count()
esc_mail = OutboxMessage.select().where(OutboxMessage.kind == "escalation_manager").count()
open_ids = {r.id for r in Request.select(Request.id).where(Request.status.in_(("assigned", "in_progress")))}
statuses = {}
for r in Request.select(Request.status):
    statuses[r.status] = statuses.get(r.status, 0) + 1
messages = list(OutboxMessage.select(OutboxMessage.status))
chain = verify_chain()
print(json.dumps({
    "numbers": len(numbers), "gap_free": numbers == ["%s-%06d" % (year, i) for i in range(1, len(numbers) + 1)],
    "same_as_processes": sorted(registered) == numbers, "unique_from_processes": len(registered) == len(set(registered)),
    "escalations": len(keys), "escalations_unique": len(keys) == len(set(keys)), "escalated_events": esc_events,
    "escalation_mail": esc_mail, "open_not_escalated": len(open_ids - {k[0] for k in keys}),
    "messages": len(messages), "unsent": sum(m.status != "sent" for m in messages),
    "chain_ok": chain["ok"], "events": chain["events"], "statuses": statuses}))
"""
    registered = [r["number"] for r in records if "number" in r]
    r = subprocess.run([sys.executable, "-c", script], env=env, input=json.dumps(registered), capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        return {"read the ledger": (False, r.stderr[-1000:])}
    s = json.loads(r.stdout)
    emls = list(mail_dir.glob("*.eml"))
    ids = set()
    for p in emls:
        head = p.read_bytes().split(b"\n\n", 1)[0]
        ids.update(line.strip() for line in head.splitlines() if line.lower().startswith(b"message-id:"))
    esc_final = final_runs["escalate-overdue again"]
    return {
        "numbers gap-free 1..N": (s["gap_free"], f"{s['numbers']} requests"),
        "numbers unique, as the processes were told": (s["same_as_processes"] and s["unique_from_processes"], ""),
        "every escalation once (row = event = e-mail)": (
            s["escalations_unique"] and s["escalations"] == s["escalated_events"] == s["escalation_mail"],
            f"{s['escalations']} escalations, {s['escalated_events']} events, {s['escalation_mail']} e-mails"),
        "a second escalate-overdue finds nothing": (
            esc_final.returncode == 0 and json.loads(esc_final.stdout or "{}").get("escalations") == [], ""),
        "every overdue request escalated": (s["open_not_escalated"] == 0, f"{s['open_not_escalated']} not"),
        "every message delivered once": (s["unsent"] == 0 and len(emls) == s["messages"] == len(ids),
                                         f"{s['messages']} messages, {len(emls)} .eml files, {len(ids)} ids"),
        "audit trail intact": (s["chain_ok"] and final_runs["audit verify"].returncode == 0,
                               f"{s['events']} events"),
        "statuses": (True, json.dumps(s["statuses"])),
    }


def report(res: dict) -> bool:
    print(f"\n=== {res['backend']}: {res['workers']} processes x {res['commands_per_worker']} commands, "
          f"with escalate-overdue and mail send loops ===")
    print(f"elapsed {res['elapsed_s']:.1f} s; {res['ok']} commands done; throughput "
          f"{res['ok'] / res['elapsed_s']:.1f} commands/s; exit 8 retried {res['retried_exit_8']}; "
          f"final failures {len(res['failures'])}")
    print(f"{'command':<18}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for cmd, (n, p50, p95, mx) in res["latency"].items():
        print(f"{cmd:<18}{n:>6}{p50 * 1000:>10.1f}{p95 * 1000:>10.1f}{mx * 1000:>10.1f}")
    for cmd, (n, p50, p95) in res["loops"].items():
        print(f"{'(loop) ' + cmd:<18}{n:>6}{p50 * 1000:>10.1f}{p95 * 1000:>10.1f}")
    if res["loop_failures"]:
        print(f"loop failures: {len(res['loop_failures'])}, e.g. {res['loop_failures'][0]}")
    for f in res["failures"][:5]:
        print("FAILED:", f)
    for c in res["crashed"]:
        print("CRASHED:", c)
    good = not res["failures"] and not res["loop_failures"] and not res["crashed"]
    for name, (passed, detail) in res["checks"].items():
        print(f"  [{'ok' if passed else 'FAIL'}] {name}{': ' + detail if detail else ''}")
        good = good and passed
    return good


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--commands", type=int, default=500, help="commands per desk process")
    ap.add_argument("--pg", default=os.environ.get("PD_TEST_DATABASE_URL"), help="PostgreSQL URL (own schema)")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--pg-only", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=900, help="stop a backend's run after this long")
    a = ap.parse_args()
    print(f"bench_load: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}")
    good = True
    backends = []
    if not a.pg_only:
        backends.append("sqlite")
    if a.pg and not a.sqlite_only:
        backends.append("postgresql")
    for backend in backends:
        work = Path(tempfile.mkdtemp(prefix=f"pd-bench-load-{backend}-"))
        drop = None
        try:
            if backend == "sqlite":
                url = f"sqlite:///{work / 'ledger.sqlite3'}"
            else:
                url, drop = pg_schema(a.pg)
            res = run(backend, url, work, a.workers, a.commands, a.max_seconds)
            good = report(res) and good
        finally:
            if drop:
                drop()
            shutil.rmtree(work, ignore_errors=True)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
