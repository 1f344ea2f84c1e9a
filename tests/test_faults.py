"""Fault injection: processes killed mid-write, a busy ledger, a read-only or full ledger, hostile input,
broken configuration files (SPEC 2: "all of them or none", SPEC 11: exit codes, messages without tracebacks).

Runs on SQLite and, with PD_TEST_DATABASE_URL set (scripts/with-postgres), on PostgreSQL.  Where a fault
exists on one backend only (a file that cannot be written, SQLite's page limit), the PostgreSQL branch
checks PostgreSQL's counterpart (a read-only transaction, the server's own error classes).
"""
from __future__ import annotations

import json
import re
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlencode, urlparse, urlunparse

import pytest

from tests.conftest import clock_at, clock_env, run_pd, subprocess_env

PG = os.environ.get("PD_TEST_DATABASE_URL")
SEED = int(os.environ.get("PD_FAULT_SEED", "20261128"))
KILLS = int(os.environ.get("PD_FAULT_KILLS", "15"))

REGISTER = ["register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
            "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis.berzins@vp.gov.lv"]


# --------------------------------------------------------------------------------------------- helpers
_env = subprocess_env


def _ledger():
    """The test's ledger opened in-process (for setup and for inspecting what the processes left)."""
    from pd.config import load_settings
    from pd.ledger import Ledger

    return Ledger(load_settings())


def _desk(ledger, user: str = "operators1"):
    from pd.config import load_settings
    from pd.desk import Desk

    return Desk(load_settings().replace(user=user), ledger=ledger)


def _register_inprocess(desk, n: int) -> list[str]:
    from pd.desk import RegisterInput

    numbers = []
    for i in range(n):
        req = desk.register(RegisterInput(name=f"Pieteicējs {i}", institution="VRS", service="VPN",
                                          description=f"VPN nepieslēdzas ({i})", channel="email",
                                          email=f"p{i}@rs.gov.lv"))
        numbers.append(req.number)
    return numbers


def _one_line_error(stderr: str) -> None:
    text = stderr.strip()
    assert text.startswith("Kļūda:"), stderr
    assert "\n" not in text, f"more than one line on stderr: {stderr!r}"
    assert "Traceback" not in stderr


def _kill_repeatedly(argv_for, env: dict, rng: random.Random, *, times: int, low: float, high: float,
                     budget_s: float) -> dict[str, int]:
    """Start `python -m pd ARGS` and SIGKILL it after a random delay, `times` times."""
    outcome = {"killed": 0, "finished": 0}
    started = time.monotonic()
    for i in range(times):
        assert time.monotonic() - started < budget_s, "the kill loop ran out of its time budget"
        p = subprocess.Popen([sys.executable, "-m", "pd", *argv_for(i)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(low, high))
        p.send_signal(signal.SIGKILL)  # a no-op if it already exited (not reaped yet)
        _, err = p.communicate(timeout=60)
        if p.returncode == -signal.SIGKILL:
            outcome["killed"] += 1
        else:
            assert p.returncode == 0, f"pd {' '.join(argv_for(i))} -> {p.returncode}: {err}"
            outcome["finished"] += 1
    return outcome


def check_ledger_consistent() -> dict:
    """What every fault must leave intact: whole requests, whole assignments, whole escalations,
    gap-free unique numbers, statuses that replay from the events, an intact audit chain."""
    from pd.db.models import Assignment, Escalation, Event, NumberSequence, OutboxMessage, Request
    from pd.ledger import verify_chain

    led = _ledger()
    try:
        reqs = list(Request.select().order_by(Request.id))
        by_year: dict[str, list[int]] = {}
        for r in reqs:
            year, seq = r.number.split("-")
            by_year.setdefault(year, []).append(int(seq))
        for year, seqs in by_year.items():
            assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"numbers of {year} are not 1..N: {sorted(seqs)}"
            assert NumberSequence.get_by_id(int(year)).last == len(seqs), "the sequence ran ahead of the requests"
        events: dict[int, list] = {}
        for ev in Event.select().where(Event.request.is_null(False)).order_by(Event.id):
            events.setdefault(ev.request_id, []).append(ev)
        for r in reqs:
            evs = events.get(r.id, [])
            assert evs and evs[0].kind == "registered", f"{r.number} has no 'registered' event"
            assert sum(e.kind == "registered" for e in evs) == 1
            replayed = [e.to_status for e in evs if e.to_status][-1]
            assert replayed == r.status, f"{r.number}: status {r.status} but its events end at {replayed}"
        assigned_events = {}
        for evs in events.values():
            for e in evs:
                if e.kind in ("assigned", "reassigned"):
                    a_id = json.loads(e.data)["assignment"]
                    assert a_id not in assigned_events, f"assignment {a_id} has two events"
                    assigned_events[a_id] = e
        assignments = list(Assignment.select())
        assert {a.id for a in assignments} == set(assigned_events), "an assignment without its event (or vice versa)"
        expert_mail = OutboxMessage.select().where(OutboxMessage.kind == "assigned_expert").count()
        assert expert_mail == len(assignments), "an assignment without the expert's e-mail (or vice versa)"
        for r in reqs:
            if r.status in ("assigned", "in_progress", "waiting_user"):
                current = [a for a in assignments if a.request_id == r.id and a.ended_at is None]
                assert len(current) == 1 and current[0].expert == r.expert, f"{r.number}: no single current assignment"
        escalations = list(Escalation.select())
        keys = [(e.request_id, e.reason, e.assignment_key, e.level) for e in escalations]
        assert len(keys) == len(set(keys)), "an escalation recorded twice"
        escalated_events = Event.select().where(Event.kind == "escalated").count()
        manager_mail = OutboxMessage.select().where(OutboxMessage.kind == "escalation_manager").count()
        assert escalated_events == len(escalations) == manager_mail, (escalated_events, len(escalations), manager_mail)
        chain = verify_chain()
        assert chain["ok"], chain["problems"]
        return {"requests": len(reqs), "assignments": len(assignments), "escalations": len(escalations),
                "events": chain["events"]}
    finally:
        led.close()


# --------------------------------------------------------------------------------------------- SIGKILL
def test_sigkill_during_register_leaves_no_half_request(pd, pd_env):
    pd.ok("init")
    env = _env(pd_env)
    rng = random.Random(SEED)
    outcome = _kill_repeatedly(lambda i: [*REGISTER, "--description", f"Nogalināts pieteikums {i}"], env, rng,
                               times=KILLS, low=0.0, high=0.3, budget_s=90)
    state = check_ledger_consistent()
    print("register:", outcome)
    assert outcome["finished"] <= state["requests"] <= KILLS
    # a killed register either committed whole or left nothing: the next number follows without a gap
    r = run_pd(*REGISTER, "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout and json.loads(r.stdout)["number"].endswith(f"{state['requests'] + 1:06d}")
    assert run_pd("audit", "verify", env=env).returncode == 0


def test_sigkill_during_assign_leaves_no_half_assignment(pd, pd_env):
    pd.ok("init")
    led = _ledger()
    try:
        numbers = _register_inprocess(_desk(led), KILLS)
    finally:
        led.close()
    env = _env(pd_env)
    rng = random.Random(SEED + 1)
    outcome = _kill_repeatedly(lambda i: ["assign", numbers[i], "--expert", "mliepa"], env, rng,
                               times=KILLS, low=0.0, high=0.3, budget_s=90)
    state = check_ledger_consistent()
    print("assign:", outcome, state)
    listed = {r["number"]: r for r in pd.ok("list", "--json").json()}
    for n in numbers:
        assert listed[n]["status"] in ("registered", "assigned")
        assert (listed[n]["expert"] is None) == (listed[n]["status"] == "registered")
    assert state["assignments"] == sum(listed[n]["status"] == "assigned" for n in numbers)
    # every request left registered can still be assigned: no lock or half row is left behind
    for n in numbers:
        if listed[n]["status"] == "registered":
            pd.ok("assign", n, "--expert", "mliepa")
    check_ledger_consistent()
    assert run_pd("audit", "verify", env=env).returncode == 0


def test_sigkill_during_escalate_overdue_escalates_each_once(pd, pd_env):
    """Round k finds batch k newly overdue (plus what killed rounds left) and is killed while escalating."""
    from pd.db.models import Escalation

    pd.ok("init")
    led = _ledger()
    # A Saturday: VPN's normal calendar (darba-laiks) has no working time from here to the last round
    # (18:45), so no level-1 escalation can reach repeat_after (8 working hours) and go on to level 2,
    # whatever the wall clock says when the suite runs (on a weekday morning it once did: 309 != 300).
    now = datetime(2026, 11, 28, 0, 0, tzinfo=timezone.utc)
    per_batch = 10
    try:
        with clock_at(now.isoformat()):
            desk = _desk(led)
            numbers = _register_inprocess(desk, KILLS * per_batch)
            for i, n in enumerate(numbers):
                due = now + timedelta(hours=1 + i // per_batch)
                desk.assign(n, "mliepa", respond_by=due, resolve_by=due + timedelta(minutes=30))
    finally:
        led.close()
    rng = random.Random(SEED + 2)

    def at(k: int) -> str:
        return (now + timedelta(hours=1 + k, minutes=45)).isoformat()

    # cron's clock reads the last run's time: no --now is later than the clock (SPEC 5)
    env = clock_env(at(KILLS), _env(pd_env, PD_USER="system"))

    progress = []

    def argv(k: int) -> list[str]:
        led = _ledger()
        try:
            progress.append(Escalation.select().count())
        finally:
            led.close()
        return ["escalate-overdue", "--now", at(k), "--no-send"]

    # Start-up takes ~0.2 s and a batch's 20 escalations (one transaction each) ~0.1 s more: kills between
    # 0.1 and 0.45 s land before, inside and between the escalations' transactions.
    outcome = _kill_repeatedly(argv, env, rng, times=KILLS, low=0.1, high=0.45, budget_s=120)
    state = check_ledger_consistent()
    print("escalate-overdue:", outcome, state, "escalations before each round:", progress)
    # a last run finishes the work; each request is escalated exactly once per reason
    r = run_pd("escalate-overdue", "--now", at(KILLS), "--no-send", "--json", env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    state = check_ledger_consistent()
    assert state["escalations"] == 2 * len(numbers)  # not_accepted and overdue, level 1
    led = _ledger()
    try:
        assert Escalation.select().where(Escalation.level != 1).count() == 0
    finally:
        led.close()
    again = run_pd("escalate-overdue", "--now", at(KILLS), "--no-send", "--json", env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["escalations"] == []
    assert run_pd("audit", "verify", env=env).returncode == 0


# --------------------------------------------------------------------------------------------- busy
def _pg_url_with_options(url: str, option: str) -> str:
    """Add `-c name=value` to the libpq `options` of a PostgreSQL URL (keeping the test's search_path)."""
    parts = urlparse(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    query["options"] = (query.get("options", "") + " " + option).strip()
    return urlunparse(parts._replace(query=urlencode(query, quote_via=quote)))


def _register_while_locked(pd_env) -> tuple[subprocess.CompletedProcess, float]:
    """`pd register` (PD_BUSY_TIMEOUT=1) while the test holds the ledger's write lock."""
    env = _env(pd_env, PD_BUSY_TIMEOUT="1")
    if PG:
        import psycopg2

        holder = psycopg2.connect(pd_env["PD_DATABASE_URL"])
        holder.cursor().execute("LOCK TABLE ledger_head IN ACCESS EXCLUSIVE MODE")
        release = holder.rollback
    else:
        import sqlite3

        from pd.db.connection import sqlite_path

        holder = sqlite3.connect(sqlite_path(pd_env["PD_DATABASE_URL"]), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = lambda: holder.execute("ROLLBACK")
    try:
        t0 = time.monotonic()
        try:
            r = run_pd(*REGISTER, env=env, timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("pd register waited more than 20 s for a lock with PD_BUSY_TIMEOUT=1")
        return r, time.monotonic() - t0
    finally:
        release()
        holder.close()


def test_busy_past_its_timeout_exits_8_and_writes_nothing(pd, pd_env):
    pd.ok("init")
    before = pd.register()
    r, waited = _register_while_locked(pd_env)
    assert r.returncode == 8, (r.returncode, r.stderr)
    assert r.stderr.startswith("Kļūda:") and "Traceback" not in r.stderr
    assert "žurnāls ir aizņemts" in r.stderr  # the ledger is busy
    assert waited < 10
    # nothing was written: the next registration takes the very next number
    listed = pd.ok("list", "--json").json()
    assert [x["number"] for x in listed] == [before]
    assert pd.register() == before[:5] + "000002"
    check_ledger_consistent()


def test_busy_message_is_one_line(pd, pd_env):
    pd.ok("init")
    r, _ = _register_while_locked(pd_env)
    assert r.returncode == 8
    _one_line_error(r.stderr)


def test_a_real_lock_timeout_from_the_driver_is_temporary(pd, pd_env):
    """The driver's own 'locked' error, raised for real, becomes TemporaryFailure (exit 8)."""
    import peewee

    from pd.db.connection import classify_operational_error
    from pd.errors import ExitCode

    pd.ok("init")
    if PG:
        import psycopg2

        holder = psycopg2.connect(pd_env["PD_DATABASE_URL"])
        holder.cursor().execute("LOCK TABLE ledger_head IN ACCESS EXCLUSIVE MODE")
        url = urlparse(pd_env["PD_DATABASE_URL"])
        options = parse_qs(url.query)["options"][-1] + " -c lock_timeout=300"
        waiter = peewee.PostgresqlDatabase(url.path.lstrip("/"), user=url.username, host=url.hostname,
                                           port=url.port, options=options)
        sql = "SELECT * FROM ledger_head FOR UPDATE"
    else:
        import sqlite3

        from pd.db.connection import sqlite_path

        path = sqlite_path(pd_env["PD_DATABASE_URL"])
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        waiter = peewee.SqliteDatabase(str(path), timeout=0.3)
        sql = "UPDATE ledger_head SET last_event_id = last_event_id"
    try:
        with pytest.raises(peewee.OperationalError) as caught:
            waiter.execute_sql(sql)
    finally:
        holder.rollback() if PG else holder.execute("ROLLBACK")
        holder.close()
        waiter.close()
    mapped = classify_operational_error(caught.value)
    assert mapped.exit_code == ExitCode.TEMPORARY, str(mapped)


@pytest.mark.parametrize("pgcode", ["55P03", "40001", "40P01"])
def test_the_sqlstate_decides_not_the_message_language(pgcode):
    """A server with lc_messages in Latvian (or German…) words its errors differently; the SQLSTATE does not."""
    import peewee

    from pd.db.connection import classify_operational_error
    from pd.errors import ExitCode

    class DriverError(Exception):  # what psycopg2 raises: the SQLSTATE in .pgcode
        def __init__(self, message: str, code: str):
            super().__init__(message)
            self.pgcode = code

    exc = peewee.OperationalError(DriverError("atcelts vaicājums: bloķēšanas noildze", pgcode))
    assert classify_operational_error(exc).exit_code == ExitCode.TEMPORARY


# --------------------------------------------------------------------------------------------- read-only / full
def test_a_read_only_ledger_exits_7_with_one_line(pd, pd_env, tmp_path):
    pd.ok("init")
    n = pd.register()
    if PG:
        # A PostgreSQL ledger is read-only for this login when the server says so (a standby, a
        # read-only role or default_transaction_read_only): the write is refused, exit 7.
        url = _pg_url_with_options(pd_env["PD_DATABASE_URL"], "-c default_transaction_read_only=on")
        env = _env(pd_env, PD_DATABASE_URL=url)
        r = run_pd(*REGISTER, env=env)
        assert r.returncode == 7, (r.returncode, r.stderr)
        _one_line_error(r.stderr)
        assert "read-only" in r.stderr
        shown = run_pd("show", n, "--json", env=env)  # reading still works
        assert shown.returncode == 0, shown.stderr
    else:
        from pd.db.connection import sqlite_path

        path = sqlite_path(pd_env["PD_DATABASE_URL"])
        # We run as root: a chmod does not stop root, the immutable attribute does.
        made_immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0 \
            if _which("chattr") else False
        try:
            if made_immutable:
                env = _env(pd_env)
                r = run_pd(*REGISTER, env=env)
                assert r.returncode == 7, (r.returncode, r.stderr)
                _one_line_error(r.stderr)
                assert "tikai lasāms" in r.stderr  # read-only
                shown = run_pd("show", n, "--json", env=env)
                assert shown.returncode == 0, shown.stderr
            else:
                # No immutable attribute on this file system: SQLite's own read-only error, raised for real
                # by a read-only connection, must still be classified as configuration (exit 7).
                import sqlite3

                import peewee

                from pd.db.connection import classify_operational_error

                ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                try:
                    with pytest.raises(sqlite3.OperationalError) as caught:
                        ro.execute("UPDATE ledger_head SET last_event_id = last_event_id")
                finally:
                    ro.close()
                mapped = classify_operational_error(peewee.OperationalError(caught.value))
                assert mapped.exit_code == 7 and "read-only" in str(mapped)
        finally:
            if made_immutable:
                subprocess.run(["chattr", "-i", str(path)], check=True)
    # and nothing was written
    assert [x["number"] for x in pd.ok("list", "--json").json()] == [n]


def _which(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


def _register_until_full(pd, pd_env, monkeypatch):
    """SQLite: cap the ledger at the pages it has now, for real (PRAGMA max_page_count on pd's own
    connection), and register until a new page is needed: SQLite itself raises "database or disk is full"."""
    import sqlite3

    from pd.db import connection
    from pd.db.connection import sqlite_path

    with sqlite3.connect(sqlite_path(pd_env["PD_DATABASE_URL"])) as c:
        pages = c.execute("PRAGMA page_count").fetchone()[0]
    original = connection.open_database

    def capped(url, **kw):
        database = original(url, **kw)
        database._pragmas = list(database._pragmas) + [("max_page_count", pages)]
        return database

    monkeypatch.setattr(connection, "open_database", capped)
    results = []
    for i in range(60):
        r = pd(*REGISTER, "--description", f"{i} " + "garš apraksts " * 280)
        results.append(r)
        if r.exit_code != 0:
            break
    monkeypatch.setattr(connection, "open_database", original)
    return results


def test_a_full_ledger_exits_7_with_one_line_and_writes_nothing(pd, pd_env, monkeypatch):
    pd.ok("init")
    first = pd.register()
    if PG:
        # PostgreSQL's "could not extend file …: No space left on device" (53100) is configuration, not a retry.
        import peewee

        from pd.db.connection import classify_operational_error

        exc = peewee.OperationalError('could not extend file "base/16384/16397": No space left on device\n'
                                      "HINT:  Check free disk space.")
        mapped = classify_operational_error(exc)
        assert mapped.exit_code == 7 and "disks ir pilns" in str(mapped)  # the disk is full
        return
    results = _register_until_full(pd, pd_env, monkeypatch)
    failed = results[-1]
    assert failed.exit_code == 7, [(x.exit_code, x.stderr) for x in results[-3:]]
    _one_line_error(failed.stderr)
    listed = [x["number"] for x in pd.ok("list", "--json").json()]
    assert len(listed) == len(results)  # the first one plus every successful register, not the failed one
    assert listed[0] == first
    check_ledger_consistent()
    assert pd.register().endswith(f"{len(listed) + 1:06d}")  # the failed one used up no number


def test_a_full_ledger_says_the_disk_is_full(pd, pd_env, monkeypatch):
    pd.ok("init")
    pd.register()
    if PG:
        return  # covered by the classification above; PostgreSQL reports its own error text
    failed = _register_until_full(pd, pd_env, monkeypatch)[-1]
    assert failed.exit_code == 7
    assert "disks ir pilns" in failed.stderr, failed.stderr  # the disk is full


# --------------------------------------------------------------------------------------------- bad input
def _register_args(**override) -> list[str]:
    fields = {"name": "Jānis Bērziņš", "institution": "VP", "service": "EPASTS", "description": "Neienāk e-pasts",
              "channel": "phone", "email": "janis.berzins@vp.gov.lv"}
    fields.update(override)
    args = ["register"]
    for k, v in fields.items():
        if v is not None:
            args += ["--" + k.replace("_", "-"), v]
    return args


def test_a_one_megabyte_description_is_refused_naming_the_limit(pd):
    pd.ok("init")
    r = pd(*_register_args(description="ā" * (1024 * 1024)))
    assert r.exit_code == 3
    _one_line_error(r.stderr)
    assert "4000" in r.stderr and "atļauts ne vairāk kā" in r.stderr
    assert pd.ok("list", "--json").json() == []


def test_a_long_argument_through_a_real_process_is_refused(pd, pd_env):
    """A real process with a 120 kB argument (Linux allows 128 kB per argument): exit 3, one line."""
    pd.ok("init")
    r = run_pd(*_register_args(description="x" * 120_000))
    assert r.returncode == 3, r.stderr
    _one_line_error(r.stderr)
    assert "atļauts ne vairāk kā 4000" in r.stderr


@pytest.mark.parametrize("field", ["description", "name", "unit", "position", "location", "room", "username"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\u202e"])
def test_control_characters_are_refused(pd, field, char):
    r = pd(*_register_args(**{field: f"ab{char}cd"}))
    assert r.exit_code == 3, (field, repr(char), r.stderr)
    _one_line_error(r.stderr)
    assert "vadības rakstzīme" in r.stderr


def _run_bytes(args: list, env: dict) -> subprocess.CompletedProcess:
    """Run pd with arguments that are not valid UTF-8 (bytes, as a shell would pass them)."""
    full = _env(env)
    return subprocess.run([sys.executable, "-m", "pd", *args], capture_output=True, env=full, timeout=60)


@pytest.mark.parametrize("where", ["--name", "--description", "--institution", "--service", "--email", "--phone",
                                   "--received-at", "number"])
def test_invalid_utf8_in_an_argument_is_exit_3_not_a_traceback(pd, pd_env, where):
    pd.ok("init")
    bad = b"J\xe2nis \xff\xfe"
    if where == "number":
        args = [b"assign", b"2026-\xff01", b"--expert", b"jberzins"]
    else:
        base = _register_args(**{where[2:].replace("-", "_"): "PLACEHOLDER"})
        args = [bad if a == "PLACEHOLDER" else a.encode() for a in base]
    r = _run_bytes(args, pd_env)
    err = r.stderr.decode("utf-8", "replace")
    # a code that is not valid UTF-8 names no institution or service: exit 4, as any unknown code
    assert r.returncode == (4 if where in ("--institution", "--service") else 3), (where, r.returncode, err)
    assert "Traceback" not in err and err.strip().startswith("Kļūda:") and "\n" not in err.strip()
    assert pd.ok("list", "--json").json() == []


@pytest.mark.parametrize("number", [
    "12", "2026-", "2026-0000001", "2026-000000", "20266-000001", "2026-00000a", "2026 000001", "2026-1-1",
    "' OR 1=1 --", "２０２６-000001", "2026-00001\u0661",
])
def test_a_number_of_the_wrong_shape_is_exit_3(pd, number):
    pd.ok("init")
    for cmd in (["show", number], ["assign", number, "--expert", "jberzins"], ["accept", number],
                ["close", number]):
        r = pd(*cmd)
        assert r.exit_code == 3, (cmd, r.exit_code, r.stderr)
        _one_line_error(r.stderr)


@pytest.mark.parametrize("when", ["1899-12-31", "1999-12-31T23:00", "2999-01-01", "2101-01-01T00:00+02:00",
                                  "31.12.1899 10:00", "01.01.2999 10:00", "2026-02-30", "2026-13-01",
                                  "32.01.2026 10:00", "vakar", ""])
def test_dates_out_of_range_are_exit_3(pd, when):
    pd.ok("init")
    r = pd(*_register_args(received_at=when))
    assert r.exit_code == 3, (when, r.exit_code, r.stderr)
    _one_line_error(r.stderr)
    if when:
        r = pd("privacy", "purge", "--before", when, user="admins")
        assert r.exit_code == 3, (when, r.exit_code, r.stderr)


@pytest.mark.parametrize("email", ["janis", "janis@", "@vp.gov.lv", "janis@@vp.gov.lv", "janis@vp",
                                   "jā nis@vp.gov.lv", "janis@vp..gov.lv", "janis@vp.gov.l", "janis@-vp.gov.lv",
                                   "'; DROP TABLE request; --@vp.gov.lv", "a" * 65 + "@vp.gov.lv"])
def test_an_email_that_is_not_one_is_exit_3(pd, email):
    pd.ok("init")
    r = pd(*_register_args(email=email))
    assert r.exit_code == 3, (email, r.stderr)
    _one_line_error(r.stderr)


@pytest.mark.parametrize("phone", ["12345", "+1 212 555 0100", "1234567890123", "36123456", "2612345a",
                                   "+371 2612 345", "2612+3456", "' OR 1=1"])
def test_a_phone_that_is_not_one_is_exit_3(pd, phone):
    pd.ok("init")
    r = pd(*_register_args(phone=phone))
    assert r.exit_code == 3, (phone, r.stderr)
    _one_line_error(r.stderr)


HOSTILE = ["'; DROP TABLE request; --", '" OR 1=1 --', "100% _tīrs_ %%", "C:\\temp\\new\\x00\\n",
           "Robert'); DELETE FROM event;--", "\\' OR ''='", "%' OR 'a' LIKE '%", "$1 ${x} `id` $(id)"]


@pytest.mark.parametrize("text", HOSTILE)
def test_sql_metacharacters_are_stored_verbatim(pd, text):
    pd.ok("init")
    single = text  # every text field is single-line except the description
    fields = dict(name=single, unit=single, position=single, location=single, room=single[:50],
                  username=single, description=f"{text}\notrā rinda {text}", email="o'brien%_x@vp.gov.lv",
                  idempotency_key=text)
    n = pd.register(**fields)
    d = pd.ok("show", n, "--json").json()
    assert d["description"] == f"{text}\notrā rinda {text}"
    for key in ("name", "unit", "position", "location", "username"):
        assert d["requester"][key] == single, key
    assert d["requester"]["room"] == single[:50]
    assert d["requester"]["email"] == "o'brien%_x@vp.gov.lv"
    pd.ok("assign", n, "--expert", "jberzins", "--reason", text)
    pd.ok("accept", n, user="jberzins")
    pd.ok("note", n, "--text", text, user="jberzins")
    pd.ok("resolve", n, "--result", text, user="jberzins")
    d = pd.ok("show", n, "--json").json()
    assert d["result"] == text
    assert [e["data"].get("text") for e in d["events"] if e["kind"] == "note"] == [text]
    # the tables are all there and nothing else matched a LIKE/wildcard
    assert [x["number"] for x in pd.ok("list", "--json").json()] == [n]
    assert pd.ok("audit", "verify", "--json").json()["ok"] is True
    # a search-like filter with wildcards matches nothing rather than everything
    assert pd.ok("list", "--json", "--institution", "%").json() == []
    assert pd.ok("list", "--json", "--service", "_").json() == []
    # the idempotency key is matched exactly too: the same text (and content) returns the same request,
    # other content under it is refused, and a wildcard does not match
    assert pd.register(**fields) == n
    assert pd("register", "--name", "Cits", "--institution", "VP", "--service", "EPASTS", "--description", "x",
              "--channel", "phone", "--idempotency-key", text).exit_code == 3
    assert pd.register(idempotency_key="%") != n


# --------------------------------------------------------------------------------------------- broken YAML
@pytest.mark.parametrize("content,what", [
    ("- EPASTS\n- VPN\n", "list"),
    ("just some text\n", "str"),
    ("42\n", "int"),
    ("", "NoneType"),
])
@pytest.mark.parametrize("kind", ["catalog", "contacts"])
def test_a_yaml_file_that_is_not_a_mapping_is_exit_7_with_file_and_line(pd, tmp_path, kind, content, what):
    path = tmp_path / f"bad-{kind}.yaml"
    path.write_text(content, encoding="utf-8")
    r = pd(*_register_args(), env={f"PD_{kind.upper()}": str(path)})
    assert r.exit_code == 7, r.stderr
    _one_line_error(r.stderr)
    assert f"{path}:1:" in r.stderr and "jābūt vārdnīcai" in r.stderr  # must be a mapping
    assert not re.search(r"LineList|NoneType|\bstr\b|\bint\b", r.stderr)  # a word, not Python's type name


def test_an_enormous_yaml_file_is_exit_7(pd, tmp_path):
    path = tmp_path / "huge-catalog.yaml"
    with path.open("w", encoding="utf-8") as f:
        f.write('version: "huge"\nservices:\n')
        i = 0
        while f.tell() <= 2 * 1024 * 1024 + 10:
            f.write(f"  - code: S{i}\n    description: \"{'x' * 200}\"\n")
            i += 1
    t0 = time.monotonic()
    r = run_pd(*_register_args(), env={"PD_CATALOG": str(path)})
    assert r.returncode == 7, r.stderr
    _one_line_error(r.stderr)
    assert str(path) in r.stderr and "ir par daudz" in r.stderr  # too large
    assert time.monotonic() - t0 < 10


def test_a_deeply_nested_yaml_file_is_exit_7(pd, tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text("version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    r = run_pd(*_register_args(), env={"PD_CATALOG": str(path)})
    assert r.returncode == 7, r.stderr
    _one_line_error(r.stderr)


@pytest.mark.parametrize("kind", ["catalog", "contacts"])
def test_a_symlink_loop_as_the_yaml_path_is_exit_7(pd, tmp_path, kind):
    a, b = tmp_path / "loop-a.yaml", tmp_path / "loop-b.yaml"
    a.symlink_to(b)
    b.symlink_to(a)
    r = run_pd(*_register_args(), env={f"PD_{kind.upper()}": str(a)})
    assert r.returncode == 7, r.stderr
    _one_line_error(r.stderr)
    assert str(a) in r.stderr


@pytest.mark.parametrize("kind", ["catalog", "contacts"])
def test_a_directory_or_a_missing_file_as_the_yaml_path_is_exit_7(pd, tmp_path, kind):
    for path in (tmp_path, tmp_path / "nav.yaml"):
        r = run_pd(*_register_args(), env={f"PD_{kind.upper()}": str(path)})
        assert r.returncode == 7, r.stderr
        _one_line_error(r.stderr)


def test_a_closed_output_pipe_is_not_an_internal_error(pd, pd_env):
    pd.ok("init")
    n = pd.register()
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (head -1) is gone before pd writes
    try:
        r = subprocess.run([sys.executable, "-m", "pd", "show", n], env=_env(pd_env), stdout=write_end,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.returncode in (0, 141, -13), r.returncode
