"""Reminders before a deadline (SPEC 15): to the expert only, in working time, once per deadline and
assignment; `pd escalate-overdue` sends them and lists them in --json under `reminders`.
The clock is injected (the `clock` fixture); the catalog's remind_before is the default (1 h, 4 h)
unless a test sets it."""
from __future__ import annotations

import pytest

EXPERT = "janis.berzins@ic.iem.gov.lv"


def _run(pd) -> dict:
    return pd.ok("escalate-overdue", "--no-send", "--json", user="system").json()


def _reminders(pd) -> list:
    return sorted((m for m in pd.ok("mail", "list", "--json").json() if m["kind"] == "reminder_expert"),
                  key=lambda m: m["id"])


@pytest.fixture
def assigned(pd, clock):
    clock.set("2027-01-04T08:30")  # a Monday
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins", "--respond-by", "2027-01-04T10:00", "--resolve-by", "2027-01-05T12:00")
    return n


def test_the_expert_is_reminded_once_per_deadline_in_working_time(pd, clock, assigned):
    n = assigned
    clock.set("2027-01-04T08:45")  # 1 h 15 min before the response deadline: not yet
    assert _run(pd)["reminders"] == []
    clock.set("2027-01-04T09:10")  # 50 min left
    doc = _run(pd)
    assert doc["escalations"] == []
    assert doc["reminders"] == [{"number": n, "deadline": "response", "due": "2027-01-04T10:00:00+02:00",
                                 "expert": "jberzins", "left_minutes": 50, "recorded": True}]
    mails = _reminders(pd)
    assert [m["recipients"] for m in mails] == [[EXPERT]]  # the expert only, never the user
    body = pd.ok("mail", "show", str(mails[0]["id"]), "--json").json()["body"]
    assert body.startswith(f"Labdien! Pieteikumam Nr. {n} tuvojas reaģēšanas termiņš.")
    assert "Termiņš: 04.01.2027 10:00" in body and "Atlikušais laiks: 50 minūtes" in body
    assert "PIEŅEMU" in body
    # however often it runs: once
    clock.set("2027-01-04T09:20")
    assert _run(pd)["reminders"] == []
    clock.set("2027-01-04T09:55")
    assert _run(pd)["reminders"] == [] and len(_reminders(pd)) == 1

    pd.ok("accept", n, user="jberzins")
    clock.set("2027-01-04T16:30")  # 30 min today + 3 h 30 min tomorrow = 4 working hours left: not yet
    assert _run(pd)["reminders"] == []
    clock.set("2027-01-05T08:00")  # less than 4 h of working time left, but out of working time: not now
    assert _run(pd)["reminders"] == []
    clock.set("2027-01-05T08:40")
    doc = _run(pd)
    assert [(r["number"], r["deadline"], r["left_minutes"]) for r in doc["reminders"]] == [(n, "resolution", 200)]
    body = pd.ok("mail", "show", str(_reminders(pd)[-1]["id"]), "--json").json()["body"]
    assert "tuvojas izskatīšanas termiņš" in body and "Atlikušais laiks: 3 darba stundas 20 minūtes" in body
    assert "KAVĒJAS dd.mm.gggg" in body
    clock.set("2027-01-05T10:00")
    assert _run(pd)["reminders"] == []
    history = [e["kind"] for e in pd.ok("show", n, "--json").json()["events"]]
    assert history.count("reminded") == 2
    assert pd.ok("audit", "verify", "--json").json()["ok"]


def test_a_new_assignment_is_a_new_deadline_to_be_reminded_of(pd, clock, assigned):
    n = assigned
    clock.set("2027-01-04T09:10")
    assert len(_run(pd)["reminders"]) == 1
    pd.ok("assign", n, "--expert", "lkalnina", "--reason", "Aizvieto", "--respond-by", "2027-01-04T10:00")
    doc = _run(pd)
    assert [(r["expert"], r["deadline"]) for r in doc["reminders"]] == [("lkalnina", "response")]


def test_dry_run_records_nothing_and_two_runs_that_found_the_same_remind_once(pd, clock, assigned):
    from pd import reminders
    from pd.config import load_settings
    from pd.desk import Desk

    clock.set("2027-01-04T09:10")
    assert [r["recorded"] for r in pd.ok("escalate-overdue", "--dry-run", "--json", user="system").json()["reminders"]] \
        == [False]
    assert _reminders(pd) == []
    # two runs that both found the reminder before either wrote it: the write lock lets one through
    first, second = Desk(load_settings().replace(user="system")), Desk(load_settings().replace(user="system"))
    a, b = reminders.find(first, clock.now), reminders.find(second, clock.now)
    assert len(a) == len(b) == 1
    assert [reminders.record(first, a[0]), reminders.record(second, b[0])] == [True, False]
    assert len(_reminders(pd)) == 1


def test_remind_before_is_read_from_the_catalog_and_checked(pd, clock, pd_env):
    from pathlib import Path

    path = Path(pd_env["PD_CATALOG"])
    text = path.read_text(encoding="utf-8").replace('version: "2026.2"', 'version: "2026.2-r"')
    path.write_text(text.replace("  escalation:\n", "  remind_before: {response: 30m, resolution: 2h}\n  escalation:\n"),
                    encoding="utf-8")
    clock.set("2027-01-04T08:30")
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins", "--respond-by", "2027-01-04T10:00", "--resolve-by", "2027-01-05T12:00")
    clock.set("2027-01-04T09:10")  # 50 min left, the catalog says 30 min
    assert _run(pd)["reminders"] == []
    clock.set("2027-01-04T09:31")
    assert [r["deadline"] for r in _run(pd)["reminders"]] == ["response"]
    path.write_text(path.read_text(encoding="utf-8").replace("version: \"2026.2-r\"", "version: \"2026.2-s\"")
                    .replace("response: 30m", "respons: 30m"), encoding="utf-8")
    r = pd("escalate-overdue", user="system")
    assert r.exit_code == 7 and "respons" in r.stderr
    path.write_text(path.read_text(encoding="utf-8").replace("respons: 30m", "response: -1h"), encoding="utf-8")
    r = pd("escalate-overdue", user="system")
    assert r.exit_code == 7 and "response" in r.stderr


def test_two_runs_at_once_remind_each_expert_once(pd, pd_env, clock):
    """Two real `pd escalate-overdue` processes side by side, their clock at 09:10 (tests/fakeclock)."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import clock_env

    clock.set("2027-01-04T08:30")
    numbers = []
    for i in range(8):
        n = pd.register(description=f"Neienāk e-pasts nr. {i + 1}")
        pd.ok("assign", n, "--expert", "jberzins", "--respond-by", "2027-01-04T10:00",
              "--resolve-by", "2027-01-06T12:00")
        numbers.append(n)
    env = clock_env("2027-01-04T09:10:00", {**os.environ, **pd_env, "PD_USER": "system"})
    cmd = [sys.executable, "-m", "pd", "escalate-overdue", "--no-send", "--json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (o, e) in zip(procs, outs):
        assert p.returncode == 0, e
    reminded = [r["number"] for o, _ in outs for r in json.loads(o)["reminders"]]
    assert sorted(reminded) == numbers  # each once, by one run or the other
    mails = _reminders(pd)
    assert sorted(m["request"] for m in mails) == numbers and all(m["recipients"] == [EXPERT] for m in mails)
