"""Load at CI size (< 60 s): four desk processes (an operator and an expert each, on their own requests) with
`pd escalate-overdue --no-send` and `pd mail send` running in loops beside them, on one ledger.

Afterwards: no command failed (a temporary exit 8 may be retried, and is counted), no number lost or
duplicated, every escalation recorded once with its event and its e-mail, every message delivered once, and
the audit trail verifies.  benchmarks/bench_load.py runs the same at full size.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.conftest import clock_env, run_pd, subprocess_env

# One desk process: an operator and an expert working through their own requests. Every command is a full
# `pd` invocation through the CLI entry point (own settings, own connection, own write transaction); the
# connection is closed after each, as a process exit would. Exit 8 (busy) is retried, as a script would.
WORKER = r"""
import contextlib, io, json, os, sys, time
worker, operator, expert, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
import typer.main
from pd.cli import app
from pd.db import connection
cli = typer.main.get_command(app)

def pd(user, *args):
    os.environ["PD_USER"] = user
    attempts = 0
    while True:
        attempts += 1
        buf, err = io.StringIO(), io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args), prog_name="pd", standalone_mode=False)
            except SystemExit as exc:
                code = exc.code
        dt = time.perf_counter() - t0
        if connection.db.obj is not None and not connection.db.obj.is_closed():
            connection.db.obj.close()
        code = 0 if code is None else int(code)
        print(json.dumps({"w": worker, "cmd": args[0], "code": code, "attempt": attempts, "s": dt,
                          "err": err.getvalue().strip()[-300:]}), flush=True)
        if code != 8 or attempts >= 5:
            return code, buf.getvalue()

done = 0
cycle = 0
while done < count:
    key = "w%d-c%d" % (worker, cycle)
    code, out = pd(operator, "register", "--json", "--name", "Slodzes Tests %d" % worker, "--institution", "VRS",
                   "--service", "EPASTS", "--description", "Slodzes pieteikums %s" % key, "--channel", "email",
                   "--email", "slodze%d@rs.gov.lv" % worker, "--idempotency-key", key)
    done += 1
    if code != 0:
        cycle += 1
        continue
    n = json.loads(out)["number"]
    print(json.dumps({"w": worker, "number": n}), flush=True)
    if cycle % 4 == 3:  # left with the expert, for escalate-overdue to find
        steps = [(operator, "assign", n, "--expert", expert, "--force"), (expert, "note", n, "--text", "Skatos"),
                 (operator, "show", n, "--json"), (operator, "list", "--expert", expert, "--limit", "5")]
    else:
        steps = [(operator, "assign", n, "--expert", expert, "--force"), (expert, "accept", n),
                 (expert, "resolve", n, "--result", "Izdarīts"), (operator, "close", n, "--confirmed")]
    for user, *args in steps:
        if done >= count:
            break
        pd(user, *args)
        done += 1
    cycle += 1
"""

# A cron job run in a loop until the stop file appears (bounded by max_seconds).
LOOP = r"""
import contextlib, io, json, os, sys, time
stop, max_seconds, args = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
import typer.main
from pd.cli import app
from pd.db import connection
cli = typer.main.get_command(app)
end = time.monotonic() + max_seconds
while not os.path.exists(stop) and time.monotonic() < end:
    buf, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args), prog_name="pd", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
    if connection.db.obj is not None and not connection.db.obj.is_closed():
        connection.db.obj.close()
    code = 0 if code is None else int(code)
    print(json.dumps({"cmd": args[0], "code": code, "s": time.perf_counter() - t0,
                      "err": err.getvalue().strip()[-300:], "out": len(buf.getvalue())}), flush=True)
    open(stop + ".ran." + args[0], "a").close()  # (the desks start once each loop has run)
    time.sleep(0.05)
"""

PAIRS = [("operators1", "jberzins"), ("operators2", "lkalnina"), ("operators3", "aozols"), ("pdvaditajs", "rkrumins"),
         ("operators1", "mliepa"), ("operators2", "ezarina"), ("operators3", "kvitols"), ("pdvaditajs", "jberzins")]


_env = subprocess_env


def _working_instant_a_month_on() -> str:
    """10:00 Riga on a working day at least 30 days on: every deadline has passed, and the
    managers' mail of working-time services is due at once (it waits outside working time)."""
    from pd.catalog import parse_file
    from pd.config import load_settings

    cal = parse_file("catalog", load_settings().catalog_path).calendar("darba-laiks")
    day = datetime.now(timezone.utc) + timedelta(days=30)
    while True:
        at = datetime(day.year, day.month, day.day, 8, 0, tzinfo=timezone.utc)  # 10:00 or 11:00 Riga
        if cal.is_working(at):
            return at.isoformat(timespec="seconds")
        day += timedelta(days=1)


def run_load(pd_env: dict, workdir: Path, *, workers: int, commands: int, max_seconds: float) -> dict:
    """Run the desk processes and the cron loops; return what they reported."""
    mail_dir = workdir / "mail"
    stop = workdir / "stop"
    later = _working_instant_a_month_on()
    env = _env(pd_env, PD_MAIL_DIR=str(mail_dir))
    t0 = time.monotonic()
    # cron's escalation loop plays "a month on": its clock reads that time (a later --now is for --dry-run only)
    loops = [subprocess.Popen([sys.executable, "-c", LOOP, str(stop), str(max_seconds), *args],
                              env=clock_env(later, {**env, "PD_USER": "system"}) if args[0] == "escalate-overdue"
                              else {**env, "PD_USER": "system"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for args in (["escalate-overdue", "--no-send", "--json", "--now", later], ["mail", "send", "--json"])]
    # the desks start once each loop has run (its first run pays its start-up): they then work beside the loops
    ran = [Path(f"{stop}.ran.{name}") for name in ("escalate-overdue", "mail")]
    deadline = time.monotonic() + max_seconds
    while not all(p.exists() for p in ran) and time.monotonic() < deadline and all(p.poll() is None for p in loops):
        time.sleep(0.05)
    desks = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), *PAIRS[w % len(PAIRS)], str(commands)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(workers)]
    outputs = []
    try:
        for p in desks:
            out, err = p.communicate(timeout=max_seconds)
            assert p.returncode == 0, f"a desk process died: {err[-2000:]}"
            outputs.append(out)
    finally:
        stop.write_text("stop")
        for p in desks:
            if p.poll() is None:
                p.kill()
    elapsed = time.monotonic() - t0
    loop_out = []
    for p in loops:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, f"a cron loop died: {err[-2000:]}"
        loop_out.append(out)
    records = [json.loads(line) for out in outputs for line in out.splitlines() if line.strip()]
    loop_records = [json.loads(line) for out in loop_out for line in out.splitlines() if line.strip()]
    return {"records": records, "loops": loop_records, "elapsed": elapsed, "later": later, "mail_dir": mail_dir,
            "env": env}


def check_after_load(result: dict, *, workers: int, commands: int) -> dict:
    """The invariants; returns the figures."""
    from pd.db.models import Escalation, Event, OutboxMessage, Request

    env = result["env"]
    commands_run = [r for r in result["records"] if "cmd" in r]
    # a command's final outcome: its last attempt (exit 8 is retried up to 5 times)
    final = [r for r in commands_run if r["code"] != 8 or r["attempt"] >= 5]
    failures = [r for r in final if r["code"] != 0]
    retried = sum(1 for r in commands_run if r["code"] == 8)
    loop_failures = [r for r in result["loops"] if r["code"] not in (0,)]
    assert failures == [], failures[:5]
    assert loop_failures == [], loop_failures[:5]
    per_worker = {}
    for r in commands_run:
        if r["code"] == 0:
            per_worker[r["w"]] = per_worker.get(r["w"], 0) + 1
    assert sorted(per_worker.values()) == [commands] * workers, per_worker

    # one last cron run each, after the load: everything left is escalated and delivered
    final_esc = run_pd("escalate-overdue", "--no-send", "--json", "--now", result["later"],
                       env=clock_env(result["later"], {**env, "PD_USER": "system"}), timeout=120)
    assert final_esc.returncode == 0, final_esc.stderr
    again = run_pd("escalate-overdue", "--no-send", "--json", "--now", result["later"],
                   env=clock_env(result["later"], {**env, "PD_USER": "system"}), timeout=120)
    assert again.returncode == 0 and json.loads(again.stdout)["escalations"] == [], again.stdout[:500]
    # the managers' mail was queued at cron's time (a month on): deliver it then
    sent = run_pd("mail", "send", "--json", env=clock_env(result["later"], {**env, "PD_USER": "system"}), timeout=120)
    assert sent.returncode == 0, sent.stderr

    registered = [r["number"] for r in result["records"] if "number" in r]
    from pd.config import load_settings
    from pd.ledger import Ledger, verify_chain

    led = Ledger(load_settings())
    try:
        numbers = [r.number for r in Request.select(Request.number).order_by(Request.number)]
        assert len(registered) == len(set(registered)), "a number was given out twice"
        assert sorted(registered) == numbers, "the ledger and the processes disagree on the numbers"
        year = numbers[0][:4]
        assert numbers == [f"{year}-{i:06d}" for i in range(1, len(numbers) + 1)], "numbers are not gap-free"
        keys = [(e.request_id, e.reason, e.assignment_key, e.level) for e in Escalation.select()]
        assert len(keys) == len(set(keys))
        escalated_events = Event.select().where(Event.kind == "escalated").count()
        manager_mail = OutboxMessage.select().where(OutboxMessage.kind == "escalation_manager").count()
        assert escalated_events == len(keys) == manager_mail, (escalated_events, len(keys), manager_mail)
        waiting = [r.number for r in Request.select().where(Request.status.in_(("assigned", "in_progress")))]
        escalated = {r for (r, *_rest) in keys}
        open_ids = {r.id for r in Request.select(Request.id).where(Request.status.in_(("assigned", "in_progress")))}
        assert open_ids <= escalated, "an overdue request was never escalated"
        statuses = {s: Request.select().where(Request.status == s).count()
                    for s in ("registered", "assigned", "in_progress", "resolved", "closed")}
        messages = list(OutboxMessage.select(OutboxMessage.status, OutboxMessage.message_id))
        assert {m.status for m in messages} == {"sent"}, {m.status for m in messages}
        emls = list(Path(result["mail_dir"]).glob("*.eml"))
        assert len(emls) == len(messages), (len(emls), len(messages))  # each delivered once
        ids = set()
        for p in emls:
            head = p.read_bytes().split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
            mid = [line for line in head.splitlines() if line.lower().startswith(b"message-id:")]
            assert len(mid) == 1
            ids.add(mid[0])
        assert len(ids) == len(emls), "a message was delivered twice"
        chain = verify_chain()
        assert chain["ok"], chain["problems"]
    finally:
        led.close()
    assert run_pd("audit", "verify", env=env).returncode == 0
    ok = [r for r in commands_run if r["code"] == 0]
    return {"commands": len(ok), "retried_exit_8": retried, "failures": len(failures), "requests": len(numbers),
            "escalations": len(keys), "messages": len(messages), "events": chain["events"], "statuses": statuses,
            "still_with_experts": len(waiting), "elapsed_s": round(result["elapsed"], 1),
            "escalate_runs": sum(r["cmd"] == "escalate-overdue" for r in result["loops"]),
            "mail_runs": sum(r["cmd"] == "mail" for r in result["loops"])}


def test_four_desks_with_cron_beside_them(pd, pd_env, tmp_path):
    pd.ok("init")
    started = time.monotonic()
    result = run_load(pd_env, tmp_path, workers=4, commands=40, max_seconds=50)
    figures = check_after_load(result, workers=4, commands=40)
    print("load:", figures)
    assert figures["requests"] == 4 * 8
    assert figures["escalate_runs"] > 1 and figures["mail_runs"] > 1  # the loops really ran beside the desks
    assert figures["escalations"] > 0
    assert time.monotonic() - started < 60
