"""`pd list --overdue` shows exactly what `pd escalate-overdue` would find late now (SPEC 5), for every
state and delay report: hypothesis drives random histories on a real ledger (a fresh one per example,
SQLite or PostgreSQL) and compares the two commands with each other and with the rule as SPEC 5 states it,
computed here from `pd show --json` alone (so a slip shared by both commands is caught too).

A NULL-logic slip (a negated comparison with a NULL `delay_reported_at` or `planned_date`) drops rows from
one side: the first version of `pd list --overdue` failed this test within a few examples."""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import PG_URL, pg_schema

RIGA = ZoneInfo("Europe/Riga")
EXPERTS = ("jberzins", "lkalnina")  # both serve EPASTS

OPS = st.one_of(
    st.tuples(st.just("assign"), st.sampled_from(EXPERTS)),
    st.tuples(st.just("accept")),
    st.tuples(st.just("wait")),
    st.tuples(st.just("resume")),
    st.tuples(st.just("note")),
    st.tuples(st.just("delay"), st.integers(0, 3)),  # planned: today + 0..3 days
    st.tuples(st.just("resolve")),
    st.tuples(st.just("reject")),
    st.tuples(st.just("reopen")),
    st.tuples(st.just("close")),
)
TICK = st.integers(1, 60 * 60)  # minutes, up to 2.5 days between steps


@st.composite
def histories(draw):
    urgent = draw(st.lists(st.booleans(), min_size=1, max_size=3))  # one request per flag
    steps = draw(st.lists(st.tuples(st.integers(0, len(urgent) - 1), OPS, TICK), min_size=1, max_size=14))
    start = draw(st.datetimes(min_value=datetime(2027, 1, 4), max_value=datetime(2027, 1, 8, 23, 59)))
    later = draw(st.integers(0, 60 * 24 * 5))  # minutes from the last step to the moment compared
    return urgent, steps, start.replace(tzinfo=RIGA), later


def _apply(pd, env, n: str, op: tuple, planned_today) -> None:
    kind = op[0]
    args = {
        "assign": lambda: ("assign", n, "--expert", op[1], "--reason", "cits eksperts"),
        "accept": lambda: ("accept", n),
        "wait": lambda: ("wait", n, "--question", "Kurš dators?"),
        "resume": lambda: ("resume", n),
        "note": lambda: ("note", n, "--text", "Strādājam"),
        "delay": lambda: ("note", n, "--text", "Kavējas", "--delay-reason", "Gaidām piegādātāju",
                          "--planned", (planned_today + timedelta(days=op[1])).isoformat()),
        "resolve": lambda: ("resolve", n, "--result", "Salabots"),
        "reject": lambda: ("reject", n, "--reason", "Nav mans"),
        "reopen": lambda: ("reopen", n, "--reason", "Joprojām nedarbojas"),
        "close": lambda: ("close", n, "--confirmed"),
    }[kind]()
    r = pd(*args, env=env)
    # a step the state does not allow is refused (5, or 3 for a reassignment to the same expert): fine
    assert r.exit_code in (0, 3, 5), f"pd {' '.join(args)} -> {r.exit_code}: {r.stderr}"


def _late_by_the_rule(shown: dict, now: datetime) -> bool:
    """SPEC 5 in plain Python, from what `pd show --json` says."""
    def at(text):
        return datetime.fromisoformat(text) if text else None

    status = shown["status"]
    response_due, resolution_due = at(shown["response_due"]), at(shown["resolution_due"])
    if status == "assigned" and response_due is not None and response_due < now:
        return True  # not_accepted [§8.4.1]
    if status not in ("assigned", "in_progress") or resolution_due is None or resolution_due >= now:
        return False
    reports = [at(e["at"]) for e in shown["events"] if e["kind"] == "delay_reported"]
    planned = shown["planned_date"]
    if reports and planned and reports[0] <= resolution_due:  # reported before the deadline [§8.4.3]
        end_of_planned = datetime.combine(datetime.fromisoformat(planned).date() + timedelta(days=1), time(0),
                                          tzinfo=RIGA)
        return end_of_planned <= now
    return True


@settings(max_examples=int(os.environ.get("PD_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories())
def test_list_overdue_is_what_escalate_overdue_finds(pd, clock, history):
    urgent, steps, start, later = history
    if PG_URL:
        url, drop = pg_schema(PG_URL)
        work = None
    else:
        work = tempfile.mkdtemp(prefix="pd-prop-")
        url, drop = f"sqlite:///{work}/ledger.sqlite3", None
    env = {"PD_DATABASE_URL": url}
    try:
        clock.now = start
        numbers = [pd.ok("register", "--json", "--name", "Ķēniņš", "--institution", "VP", "--service", "EPASTS",
                         "--description", "Nav pasta", "--channel", "phone", "--phone", "26123456",
                         *(["--urgent"] if u else []), env=env).json()["number"] for u in urgent]
        for i, n in enumerate(numbers):  # each starts with an expert, or the history would mostly idle
            pd.ok("assign", n, "--expert", EXPERTS[i % 2], env=env)
        for index, op, tick in steps:
            clock.advance(minutes=tick)
            _apply(pd, env, numbers[index], op, clock.now.astimezone(RIGA).date())
        clock.advance(minutes=later)
        now = clock.now
        listed = {x["number"] for x in pd.ok("list", "--overdue", "--json", env=env).json()}
        found = pd.ok("escalate-overdue", "--dry-run", "--json", "--now", now.isoformat(), env=env).json()
        escalated = {x["number"] for x in found["escalations"]}
        shown = {n: pd.ok("show", n, "--json", env=env).json() for n in numbers}
        expected = {n for n in numbers if _late_by_the_rule(shown[n], now)}
        event(f"late: {len(expected)} of {len(numbers)}; states {sorted(s['status'] for s in shown.values())}")
        assert listed == escalated == expected
    finally:
        from pd.db.connection import db

        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()
        if drop:
            drop()
        if work:
            shutil.rmtree(work, ignore_errors=True)


def test_list_overdue_keeps_what_cron_already_escalated_in_every_late_state(pd, clock):
    """The old filter showed `assigned` only; an in_progress request past its deadline, escalated by
    cron, is still late, and so is one whose delay was reported after the deadline."""
    clock.set("2027-01-04T09:00")
    accepted, reported_late, held, waiting = (pd.register() for _ in range(4))
    for n in (accepted, reported_late, held, waiting):
        pd.ok("assign", n, "--expert", "jberzins", "--respond-by", "2027-01-04T10:00",
              "--resolve-by", "2027-01-05T10:00")
        pd.ok("accept", n, user="jberzins")
    pd.ok("note", held, "--text", "Kavējas", "--delay-reason", "Piegāde", "--planned", "2027-01-06",
          user="jberzins")
    pd.ok("wait", waiting, "--question", "Kurš kabinets?", user="jberzins")
    clock.set("2027-01-05T12:00")
    pd.ok("note", reported_late, "--text", "Kavējas", "--delay-reason", "Piegāde", "--planned", "2027-01-06",
          user="jberzins")
    escalated = pd.ok("escalate-overdue", "--no-send", "--json", user="system").json()["escalations"]
    assert {e["number"] for e in escalated} == {accepted, reported_late}
    listed = [x["number"] for x in pd.ok("list", "--overdue", "--json").json()]
    assert listed == [accepted, reported_late]  # held until the end of 06.01.2027; waiting pauses the clock
    clock.set("2027-01-07T00:00:01")
    assert [x["number"] for x in pd.ok("list", "--overdue", "--json").json()] == [accepted, reported_late, held]
