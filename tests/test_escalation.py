"""Escalation to the expert's manager [§8.4] (SPEC 5): pd escalate-overdue (cron) and pd escalate.

Deadlines are set explicitly (`pd assign --respond-by/--resolve-by`, Riga time in
2027, ahead of the real clock) and `pd escalate-overdue --now` is run one second
either side of them.  Where the real clock itself matters (a pause measured in
working time, a delay reported after the deadline) the `clock` fixture freezes
it in-process.

2027-01-04 is a Monday; Latvia has no public holiday that week after 1 January.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.conftest import clock_env

RIGA = ZoneInfo("Europe/Riga")
RESPOND_BY = "2027-01-04T10:00"
RESOLVE_BY = "2027-01-05T10:00"


# ---------------------------------------------------------------- helpers
def esc(pd, now: str, *extra: str, send: bool = False):
    """Run cron at `now`: the ledger's clock reads `now` too (a --now later than the clock is
    only for --dry-run, which runs on the real clock)."""
    from tests.conftest import clock_at

    args = ["escalate-overdue", "--now", now, *extra]
    if not send:
        args.append("--no-send")
    if "--dry-run" in extra:
        return pd(*args, user="system")
    with clock_at(now):
        return pd(*args, user="system")


def esc_ok(pd, now: str, *extra: str) -> list[str]:
    """The escalations a run printed (the reminders it sent are tests/test_reminders.py's)."""
    r = esc(pd, now, *extra)
    assert r.exit_code == 0, r.stderr
    return [line for line in r.stdout.splitlines() if "atgādināts" not in line]


def assign(pd, n: str, expert: str = "jberzins", respond_by: str = RESPOND_BY, resolve_by: str = RESOLVE_BY):
    pd.ok("assign", n, "--expert", expert, "--respond-by", respond_by, "--resolve-by", resolve_by)


def escalations(pd, n: str) -> list[dict]:
    return pd.ok("show", n, "--json").json()["escalations"]


def manager_mail(pd) -> list[dict]:
    return [m for m in pd.ok("mail", "list", "--limit", "1000", "--json").json() if m["kind"] == "escalation_manager"]


def bump_contacts(pd_env, edit) -> None:
    """Edit the test's copy of contacts.yaml and give it a new version (SPEC 7)."""
    path = pd_env["PD_CONTACTS"]
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    text = edit(text)
    text, count = re.subn(r'^version: "?([^"\n]+?)"?$', r'version: "\1-test"', text, count=1, flags=re.M)
    assert count == 1
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


# ---------------------------------------------------------------- not_accepted [§8.4.1]
def test_not_accepted_one_second_either_side_of_the_response_deadline(pd):
    n = pd.register()
    assign(pd, n)

    r = esc(pd, "2027-01-04T09:59:59")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == f"{n}: atgādināts ekspertam Jānim Bērziņam par reaģēšanas termiņu 04.01.2027 10:00\n"  # reminded, not escalated
    assert escalations(pd, n) == []

    r = esc(pd, "2027-01-04T10:00:01")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai\n"
    listed = pd.ok("list", "--escalated", "--json").json()
    assert [x["number"] for x in listed] == [n]
    (e,) = escalations(pd, n)
    assert (e["reason"], e["level"], e["manager"], e["by"]) == ("not_accepted", 1, "vkalejs", "system")
    assert e["at"] == "2027-01-04T10:00:01+02:00"
    show = pd.ok("show", n, "--json").json()
    assert show["status"] == "assigned"                 # a flag, not a state
    ev = [x for x in show["events"] if x["kind"] == "escalated"]
    assert len(ev) == 1 and ev[0]["data"]["reason"] == "not_accepted" and ev[0]["data"]["manager"] == "vkalejs"
    assert ev[0]["via"] == "cron"
    (msg,) = manager_mail(pd)
    assert msg["recipients"] == ["valdis.kalejs@ic.iem.gov.lv"] and msg["request"] == n

    # idempotent: the same instant again, and later (before the resolution deadline), add nothing
    r = esc(pd, "2027-01-04T10:00:01")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert esc_ok(pd, "2027-01-04T15:00") == []
    assert len(escalations(pd, n)) == 1
    assert len(manager_mail(pd)) == 1


# ---------------------------------------------------------------- overdue [§8.4.3]
def test_overdue_one_second_either_side_of_the_resolution_deadline(pd):
    n = pd.register()
    assign(pd, n)
    pd.ok("accept", n, user="jberzins")
    assert esc_ok(pd, "2027-01-05T09:59:59") == []
    assert esc_ok(pd, "2027-01-05T10:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): pārsniegts pieteikuma izskatīšanas termiņš"]
    (e,) = escalations(pd, n)
    assert (e["reason"], e["level"], e["manager"]) == ("overdue", 1, "vkalejs")
    assert esc_ok(pd, "2027-01-05T10:00:01") == []
    assert esc_ok(pd, "2027-01-05T12:00") == []
    assert len(escalations(pd, n)) == 1


def test_a_delay_reported_before_the_deadline_moves_the_bound_to_the_end_of_the_planned_day(pd):
    n = pd.register()
    assign(pd, n)
    pd.ok("accept", n, user="jberzins")
    # reported now (real clock, 2026), long before the 2027 deadline
    pd.ok("note", n, "--text", "Gaidām rezerves daļu", "--delay-reason", "Piegādātāja kavēšanās",
          "--planned", "2027-01-08", user="jberzins")
    ev = [x for x in pd.ok("show", n, "--json").json()["events"] if x["kind"] == "delay_reported"]
    assert ev[0]["data"]["before_deadline"] is True
    assert esc_ok(pd, "2027-01-05T10:00:01") == []            # past the resolution deadline: not overdue
    assert esc_ok(pd, "2027-01-08T23:59:59") == []            # the planned day, Riga time
    assert esc_ok(pd, "2027-01-09T00:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): pārsniegts pieteikuma izskatīšanas termiņš"]
    assert [e["reason"] for e in escalations(pd, n)] == ["overdue"]


def test_a_delay_reported_after_the_deadline_does_not_suppress_overdue(pd, clock):
    clock.set("2027-01-04T09:00")
    n = pd.register()
    assign(pd, n)
    pd.ok("accept", n, user="jberzins")
    clock.set("2027-01-05T12:00")                              # two hours after the resolution deadline
    pd.ok("note", n, "--text", "Gaidām rezerves daļu", "--delay-reason", "Piegādātāja kavēšanās",
          "--planned", "2027-01-08", user="jberzins")
    show = pd.ok("show", n, "--json").json()
    assert show["planned_date"] == "2027-01-08"
    assert [x for x in show["events"] if x["kind"] == "delay_reported"][0]["data"]["before_deadline"] is False
    assert esc_ok(pd, "2027-01-05T12:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): pārsniegts pieteikuma izskatīšanas termiņš"]


# ---------------------------------------------------------------- waiting for the user [§8.8]
def test_waiting_user_is_never_overdue_and_resume_moves_the_deadline_by_the_paused_working_time(pd, clock):
    clock.set("2027-01-04T09:00")                              # Monday
    n = pd.register()
    assign(pd, n, respond_by="2027-01-04T10:00", resolve_by="2027-01-04T16:00")
    pd.ok("accept", n, user="jberzins")
    clock.set("2027-01-04T10:00")
    pd.ok("wait", n, "--question", "Kurā telpā atrodas dators?", user="jberzins")

    assert esc_ok(pd, "2027-01-04T16:00:01") == []
    assert esc_ok(pd, "2027-01-11T10:00") == []               # a week later, still waiting: nothing
    assert pd.ok("list", "--escalated", "--json").json() == []

    clock.set("2027-01-04T14:00")
    pd.ok("resume", n, "--answer", "Telpa 214")
    # paused 10:00-14:00 on "darba-laiks": 10:00-12:00 + 12:30-14:00 = 3 h 30 min of working time;
    # 16:00 Monday + 3 h 30 min = 1 h on Monday (to 17:00) + 2 h 30 min from Tuesday 08:30 = 11:00
    show = pd.ok("show", n, "--json").json()
    assert show["status"] == "in_progress"
    assert show["resolution_due"] == "2027-01-05T11:00:00+02:00"
    resumed = [x for x in show["events"] if x["kind"] == "resumed"][0]
    assert resumed["data"]["paused_seconds"] == 3 * 3600 + 30 * 60

    assert esc_ok(pd, "2027-01-05T10:59:59") == []
    assert esc_ok(pd, "2027-01-05T11:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): pārsniegts pieteikuma izskatīšanas termiņš"]


# ---------------------------------------------------------------- second level
# repeat_after is checked on a 24x7 service, where wall-clock and calendar time agree (whether it
# should count working time on a working-time service is an open question: see the report).
def test_second_level_after_repeat_after_goes_to_the_managers_manager(pd):
    n = pd.register(urgent=True)                               # urgent EPASTS: 24x7
    assign(pd, n)
    assert esc_ok(pd, "2027-01-04T10:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai"]
    assert esc_ok(pd, "2027-01-04T18:00:00") == []             # 8 h minus one second
    assert esc_ok(pd, "2027-01-04T18:00:01") == [f"{n} eskalēts vadītājai Inārai Dūmiņai (2. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai"]
    assert esc_ok(pd, "2027-01-04T23:00") == []
    assert [(e["reason"], e["level"], e["manager"]) for e in escalations(pd, n)] == [
        ("not_accepted", 1, "vkalejs"), ("not_accepted", 2, "direktors")]
    mails = sorted(manager_mail(pd), key=lambda m: m["id"])
    assert [m["recipients"] for m in mails] == [["valdis.kalejs@ic.iem.gov.lv"], ["inara.dumina@ic.iem.gov.lv"]]
    assert mails[0]["subject"] == mails[1]["subject"]                    # one thread per request (SPEC 6)
    first, second = (" ".join(pd.ok("mail", "show", str(m["id"]), "--json").json()["body"].split(" "))
                     .replace("\n", " ") for m in mails)
    assert first.startswith(f"Labdien! Jums eskalēts pieteikums Nr. {n} (1. līmenis).")
    assert second.startswith(f"Labdien! Jums eskalēts pieteikums Nr. {n} (2. līmenis).")
    assert "kā eksperta tiešā vadītāja vadītājam" in second and "tiešajam vadītājam" in first
    assert "vadītājam Valdim Kalējam" in second and "(8 stundas)" in second
    assert all(m["next_attempt_at"] == m["created_at"] for m in mails)     # 24x7: not held back


def test_second_level_without_a_second_manager_goes_to_the_supervisors_with_a_warning(pd, pd_env):
    # vkalejs (jberzins's manager) gets no manager of their own
    def drop_manager(text: str) -> str:
        text, count = re.subn(r"(\{login: vkalejs,[^}\n]*?), manager: direktors\}", r"\1}", text)
        assert count == 1
        return text

    bump_contacts(pd_env, drop_manager)
    n = pd.register(urgent=True)
    assign(pd, n)
    assert esc_ok(pd, "2027-01-04T10:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai"]
    r = esc(pd, "2027-01-04T18:00:01")
    assert r.exit_code == 0
    assert r.stdout == f"{n} eskalēts Pakalpojumu dienesta uzraudzītājiem: Oskars Ķēniņš, Zane Priedīte (2. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai\n"
    assert r.stderr.startswith("Brīdinājums: Jānis Bērziņš: kontaktos nav norādīts vadītāja vadītājs; "
                             "nosūtīts Pakalpojumu dienesta uzraudzītājiem (Oskars Ķēniņš, Zane Priedīte)")
    assert len(r.stderr.strip().splitlines()) == 1
    assert escalations(pd, n)[-1]["manager"] == "pdvaditajs,supervizors"
    mail = sorted(manager_mail(pd), key=lambda m: m["id"])[-1]
    assert mail["recipients"] == sorted(["oskars.kenins@ic.iem.gov.lv", "zane.priedite@ic.iem.gov.lv"])


# ---------------------------------------------------------------- the manager's mail waits for working time
def test_managers_mail_for_a_working_time_service_waits_for_monday_0830(pd):
    n = pd.register()                                          # EPASTS: darba-laiks
    assign(pd, n, respond_by="2027-01-08T10:00", resolve_by="2027-01-20T10:00")
    assert esc_ok(pd, "2027-01-09T11:00") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai"]   # Saturday
    (msg,) = manager_mail(pd)
    assert msg["next_attempt_at"] == "2027-01-11T08:30:00+02:00"
    assert msg["status"] == "pending"


def test_managers_mail_for_a_24x7_service_is_sent_at_once(pd):
    n = pd.register(urgent=True)                               # urgent EPASTS: 24x7
    assign(pd, n, respond_by="2027-01-08T10:00", resolve_by="2027-01-20T10:00")
    assert esc_ok(pd, "2027-01-09T11:00") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai"]   # Saturday
    (msg,) = manager_mail(pd)
    assert msg["next_attempt_at"] == msg["created_at"]
    assert datetime.fromisoformat(msg["next_attempt_at"]) <= datetime.fromisoformat("2027-01-09T11:00+02:00")  # cron's time


# ---------------------------------------------------------------- pd escalate [§8.4.2]
def test_escalate_an_unjustified_rejection_by_hand(pd):
    n = pd.register(service="IS-IIS", description="IIS neatver personas kartīti")
    assign(pd, n, expert="kvitols")
    pd.ok("reject", n, "--reason", "Tas nav mans pakalpojums", user="kvitols")
    r = pd("escalate", n, "--reason", "unjustified-rejection", "--note", "IIS ir eksperta atbildībā")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"{n} eskalēts vadītājai Guntai Siliņai: eksperts nepamatoti noraidījis pieteikumu\n"
    (e,) = escalations(pd, n)
    assert (e["reason"], e["level"], e["manager"], e["by"], e["note"]) == (
        "unjustified_rejection", 1, "gsilina", "operators1", "IIS ir eksperta atbildībā")
    (msg,) = manager_mail(pd)
    assert msg["recipients"] == ["gunta.silina@ic.iem.gov.lv"]

    again = pd("escalate", n, "--reason", "unjustified-rejection", "--note", "vēlreiz")
    assert again.exit_code == 5 and "noraidījums (Kārlis Vītols) jau ir eskalēts" in again.stderr
    assert len(escalations(pd, n)) == 1

    # reassigned to another expert: still the rejecting expert's manager, still only once
    assign(pd, n, expert="ezarina")
    assert pd("escalate", n, "--reason", "unjustified-rejection").exit_code == 5

    never = pd.register()
    assign(pd, never)
    r = pd("escalate", never, "--reason", "unjustified-rejection")
    assert r.exit_code == 5 and "Traceback" not in r.stderr
    assert pd("escalate", n, "--reason", "overdue").exit_code == 3
    assert pd("escalate", n, "--reason", "unjustified-rejection", user="jberzins").exit_code == 6
    assert escalations(pd, never) == []


# ---------------------------------------------------------------- --dry-run, --json, cron output
def test_dry_run_changes_nothing_but_says_what_it_would_do(pd):
    n = pd.register()
    assign(pd, n)
    before = pd.ok("mail", "list", "--json").json()
    r = esc(pd, "2027-01-04T10:00:01", "--dry-run")
    assert r.exit_code == 0
    assert r.stdout == f"{n} tiktu eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai\n"
    assert escalations(pd, n) == []
    lst = pd.ok("list", "--escalated")
    assert lst.stdout == ""
    assert pd.ok("list", "--escalated", "--json").json() == []
    assert pd.ok("mail", "list", "--json").json() == before
    assert [x["kind"] for x in pd.ok("show", n, "--json").json()["events"]] == ["registered", "assigned"]

    j = esc(pd, "2027-01-04T10:00:01", "--dry-run", "--json")
    doc = j.json()
    assert {"now", "dry_run", "escalations"} <= set(doc)
    assert doc["dry_run"] is True
    assert datetime.fromisoformat(doc["now"]) == datetime(2027, 1, 4, 10, 0, 1, tzinfo=RIGA)
    assert [(x["number"], x["reason"], x["level"], x["manager"], x["recorded"]) for x in doc["escalations"]] == [
        (n, "not_accepted", 1, "vkalejs", False)]
    assert escalations(pd, n) == []

    doc = esc(pd, "2027-01-04T10:00:01", "--json").json()
    assert doc["dry_run"] is False
    assert [(x["number"], x["recorded"]) for x in doc["escalations"]] == [(n, True)]
    doc = esc(pd, "2027-01-04T10:00:01", "--json").json()
    assert doc["escalations"] == []


def test_cron_prints_nothing_when_there_is_nothing_to_do(pd):
    r = esc(pd, "2027-01-04T10:00:01", send=True)              # empty ledger
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    n = pd.register()
    assign(pd, n)
    r = esc(pd, "2027-01-04T09:00", send=True)                 # nothing due yet
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert pd("escalate-overdue", "--now", "2027-01-04T10:00:01", user="jberzins").exit_code == 6


# ---------------------------------------------------------------- two cron runs at once
def test_two_runs_at_once_record_each_escalation_once(pd, pd_env):
    numbers = []
    for i in range(10):
        n = pd.register(description=f"Neienāk e-pasts nr. {i + 1}")
        assign(pd, n)
        numbers.append(n)
    env = dict(os.environ)
    env.update(pd_env)
    env["PD_USER"] = "system"
    cmd = [sys.executable, "-m", "pd", "escalate-overdue", "--now", "2027-01-04T10:00:01", "--no-send"]
    env = clock_env("2027-01-04T10:00:01", env)
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (o, e) in zip(procs, outs):
        assert p.returncode == 0, e
    lines = [line for o, _ in outs for line in o.splitlines()]
    assert sorted(lines) == sorted(f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai" for n in numbers)

    listed = pd.ok("list", "--escalated", "--json").json()
    assert sorted(x["number"] for x in listed) == numbers
    assert all(len(x["escalations"]) == 1 for x in listed), listed
    per_request = Counter(m["request"] for m in manager_mail(pd))
    assert per_request == {n: 1 for n in numbers}


def test_level_2_only_while_the_reason_still_holds(pd):
    n = pd.register(service="EPASTS", urgent=True)
    assign(pd, n)
    assert esc_ok(pd, "2027-01-04T10:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai"]
    pd.ok("accept", n, user="jberzins")
    # accepted since: no second-level reminder of a response that came
    assert esc_ok(pd, "2027-01-04T18:00:01") == []


def test_a_second_delay_report_keeps_the_first_reports_protection(pd, clock):
    clock.set("2027-01-04T09:00")
    n = pd.register()
    assign(pd, n)
    pd.ok("accept", n, user="jberzins")
    pd.ok("note", n, "--text", "Gaidām", "--delay-reason", "Piegāde", "--planned", "2027-01-08", user="jberzins")
    clock.set("2027-01-06T09:00")
    pd.ok("note", n, "--text", "Vēl gaidām", "--delay-reason", "Piegāde kavējas", "--planned", "2027-01-12",
          user="jberzins")
    assert esc_ok(pd, "2027-01-06T12:00:01") == []
    assert esc_ok(pd, "2027-01-13T00:00:01") == [f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): pārsniegts pieteikuma izskatīšanas termiņš"]


def test_list_overdue_agrees_with_escalation_about_a_reported_delay(pd, clock):
    clock.set("2027-01-04T09:00")
    n = pd.register()
    assign(pd, n)
    pd.ok("accept", n, user="jberzins")
    pd.ok("note", n, "--text", "Gaidām", "--delay-reason", "Piegāde", "--planned", "2027-01-08", user="jberzins")
    clock.set("2027-01-06T12:00")          # past the resolution deadline, before the planned date
    assert pd.ok("list", "--overdue", "--json").json() == []
    clock.set("2027-01-09T09:00")          # the planned date has passed
    assert [r["number"] for r in pd.ok("list", "--overdue", "--json").json()] == [n]
