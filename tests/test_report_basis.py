"""Every figure of the monthly report on a stated basis (issue 20, SPEC 8), across a month boundary.

X is received, forwarded and escalated (not accepted) in October, waits a day for its user, gets a
planned date, and is still open in November, when it is escalated again (past the planned date).
Y is new in November, forwarded, never accepted, and escalated twice there (not accepted, overdue). Z is new in November, resolved, reopened
after the user objected, and resolved again. The October and November reports must keep every
figure on its own basis: received vs carried over, escalations dated in the month vs earlier ones,
levels counted as escalations and requests as requests; and list what is open at the month's end.
"""
from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest


@pytest.fixture
def across(pd, clock):
    n = {}
    clock.set("2026-10-05T09:00")
    n["X"] = pd.register(name="Xenija Ozola", service="EPASTS", unit="Kriminālpolicija",
                         description="Neienāk e-pasts")
    clock.set("2026-10-05T09:05")
    pd.ok("assign", n["X"], "--expert", "jberzins")
    clock.set("2026-10-05T12:00")  # EPASTS: 2 working hours to respond
    pd.ok("escalate-overdue", "--now", "2026-10-05T12:00", user="system")
    clock.set("2026-10-06T09:00")
    pd.ok("accept", n["X"], user="jberzins")
    clock.set("2026-10-06T09:30")
    pd.ok("note", n["X"], "--text", "Jāpasūta detaļa", "--delay-reason", "Gaidām piegādātāju",
          "--planned", "2026-11-20", user="jberzins")
    clock.set("2026-10-07T10:00")
    pd.ok("wait", n["X"], "--question", "Kurā kabinetā dators?", user="jberzins")
    clock.set("2026-10-08T10:00")
    pd.ok("resume", n["X"], user="jberzins")

    clock.set("2026-11-02T09:00")
    n["Z"] = pd.register(name="Zane Zariņa", service="EPASTS", unit="Kriminālpolicija")
    clock.set("2026-11-02T09:05")
    pd.ok("assign", n["Z"], "--expert", "jberzins")
    clock.set("2026-11-02T09:20")
    pd.ok("accept", n["Z"], user="jberzins")
    clock.set("2026-11-03T10:00")
    pd.ok("resolve", n["Z"], "--result", "Atjaunots", user="jberzins")
    clock.set("2026-11-04T10:00")
    pd.ok("reopen", n["Z"], "--reason", "Lietotājs iebilst: joprojām nestrādā")
    clock.set("2026-11-05T10:00")
    pd.ok("resolve", n["Z"], "--result", "Atjaunots otrreiz", user="jberzins")

    clock.set("2026-11-10T09:00")
    n["Y"] = pd.register(name="Jurģis Ūdris", service="PAROLE", unit="Robežpārvalde")
    clock.set("2026-11-10T09:05")
    pd.ok("assign", n["Y"], "--expert", "ezarina")
    clock.set("2026-11-23T10:00")
    pd.ok("escalate-overdue", "--now", "2026-11-23T10:00", user="system")
    clock.now = None
    return n


def _json(pd, tmp_path, month):
    out = tmp_path / f"json-{month}"
    pd.ok("report", "monthly", "--month", month, "--out", out, "--institution", "VP", "--format", "json",
          user="supervizors")
    return json.loads((out / f"pd-{month}-VP.json").read_text(encoding="utf-8"))


def test_october_counts_what_is_dated_in_october(pd, across, tmp_path):
    doc = _json(pd, tmp_path, "2026-10")
    s = doc["summary"]
    assert (s["received"], s["carried_over"], s["total"]) == (1, 0, 1)
    assert s["received"] == doc["trend"][-1]["received"]
    assert [(e["number"], e["reason"]) for e in doc["escalations"]] == [(across["X"], "not_accepted")]
    assert doc["earlier_escalations"] == []
    assert [o["number"] for o in doc["open_at_end"]] == [across["X"]]


def test_november_keeps_every_figure_on_its_basis(pd, across, tmp_path):
    doc = _json(pd, tmp_path, "2026-11")
    x, y, z = across["X"], across["Y"], across["Z"]
    s = doc["summary"]
    # received in the month, the same count as the trend's row; X is carried over from October
    assert (s["received"], s["carried_over"], s["total"]) == (2, 1, 3)
    assert s["received"] == doc["trend"][-1]["received"] == 2
    # the month's escalations are those dated in it; X's October one is listed apart, not counted
    # (Y, never accepted, is past both its deadlines by 23 November: two escalations of one request)
    assert sorted((e["number"], e["reason"]) for e in doc["escalations"]) == sorted(
        [(x, "overdue"), (y, "not_accepted"), (y, "overdue")])
    assert all(e["at"].startswith("2026-11") for e in doc["escalations"])
    assert [(e["number"], e["reason"], e["at"][:7]) for e in doc["earlier_escalations"]] == [
        (x, "not_accepted", "2026-10")]
    assert s["escalations"] == {"not_accepted": 1, "unjustified_rejection": 0, "overdue": 2}
    assert (s["escalation_count"], s["escalated_requests"]) == (3, 2)
    assert (s["earlier_escalations"], s["requests_escalated_earlier"]) == (1, 1)
    # why some are not decided: Z's response was met, X's was decided in October's terms too
    assert s["response"]["decided"] + s["response"]["pending"] + s["response"]["no_deadline"] == 3
    # users: X waited a day for its user (up to the month's end); Z was reopened once in November
    assert s["waiting_user"] == {"requests": 1, "hours": 24.0}
    assert s["reopened"] == {"reopenings": 1, "requests": 1}
    assert s["by_unit"][0] == {"unit": "Kriminālpolicija", "requests": 2, "received": 1}
    # this month beside the last, on the trend's basis
    assert doc["comparison"]["this"]["month"] == "2026-11"
    assert doc["comparison"]["previous"] == {**doc["trend"][-2], "month": "2026-10"}
    assert doc["comparison"]["previous"]["received"] == 1

    # the requests still open at the month's end, with who holds them and how late
    opened = {o["number"]: o for o in doc["open_at_end"]}
    assert set(opened) == {x, y} and s["open_at_end"] == 2
    ox, oy = opened[x], opened[y]
    assert (ox["requester"], ox["unit"], ox["held_by"]) == ("Xenija Ozola", "Kriminālpolicija", "Jānis Bērziņš")
    assert (ox["planned_date"], ox["delay_reason"]) == ("2026-11-20", "Gaidām piegādātāju")
    # late since the end of the planned day (20.11 23:59:59) to the month's end (01.12 00:00): 10 days
    assert ox["days_late"] == pytest.approx(10.0)
    assert ox["waiting_user_hours"] == 24.0 and ox["escalation_level"] == 1
    assert ox["resolution_due"].startswith("2026-10")
    assert oy["held_by"] == "Elīna Zariņa" and oy["accepted_at"] is None
    assert oy["days_late"] > 20  # not accepted since 10 November
    # the request rows carry the same facts
    rows = {r["number"]: r for r in doc["rows"]}
    assert rows[x]["planned_date"] == "20.11.2026" and rows[x]["escalation_level"] == 1
    assert rows[z]["status"] == "izpildīts" and rows[z]["escalation_level"] is None  # resolved again, not open


def test_november_workbook_says_the_same(pd, across, tmp_path):
    out = tmp_path / "xlsx"
    pd.ok("report", "monthly", "--month", "2026-11", "--out", out, "--institution", "VP", user="supervizors")
    wb = openpyxl.load_workbook(out / "pd-2026-11-VP.xlsx")
    x, y = across["X"], across["Y"]
    summary = {r[0]: r for r in wb["Kopsavilkums"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Saņemti šajā mēnesī"][1] == 2
    assert summary["Pārnesti no iepriekšējiem mēnešiem"][1] == 1
    assert summary["Pieteikumi šajā pārskatā"][1] == 3
    assert summary["Eskalācijas kopā"][1] == 3  # escalations counted as escalations ...
    assert summary["Pieteikumi ar eskalāciju šajā mēnesī"][1] == 2  # ... and requests as requests
    assert summary["Šo pieteikumu agrākās eskalācijas (pirms mēneša)"][1] == 1
    assert summary["Eskalēts: pārsniegts termiņš"][1] == 2
    assert summary["Atkārtoti atvērti pieteikumi"][1] == 1
    assert summary["Saņemti"][1:3] == (1, 2)  # October beside November
    # the sentence on why some are not yet decided names the counts
    assert any(isinstance(k, str) and k.startswith("Vēl nav izvērtēti:") for k in summary)

    esc = list(wb["Eskalācijas"].iter_rows(values_only=True))[1:]
    dated = [r for r in esc if isinstance(r[0], datetime)]
    assert len(dated) == 3 and all(r[0].month == 11 for r in dated)
    earlier = [r for r in wb["Agrākās eskalācijas"].iter_rows(values_only=True) if isinstance(r[0], datetime)]
    assert [(r[0].month, r[1]) for r in earlier] == [(10, x)]

    open_rows = list(wb["Neizpildītie"].iter_rows(values_only=True))
    head = open_rows[0]
    by_number = {r[0]: dict(zip(head, r)) for r in open_rows[1:]}
    assert set(by_number) == {x, y}
    assert by_number[x]["Kas to tur"] == "Jānis Bērziņš"
    assert by_number[x]["Plānotais datums"] == "20.11.2026"
    assert by_number[x]["Kavējuma iemesls"] == "Gaidām piegādātāju"
    assert by_number[x]["Nokavēts, dienas"] == pytest.approx(10.0)
    assert by_number[x]["Gaidīja lietotāju, h"] == 24.0
    assert by_number[y]["Kas to tur"] == "Elīna Zariņa"

    deadlines = list(wb["Termiņi"].iter_rows(values_only=True))
    dl = {r[0]: dict(zip(deadlines[0], r)) for r in deadlines[1:]}
    assert isinstance(dl[x]["Izskatīšanas termiņš"], datetime) and dl[x]["Eskalācijas līmenis"] == 1

    trend = [r for r in wb["Tendence"].iter_rows(values_only=True) if r[0] and r[1] is not None]
    assert [r[0] for r in trend[1:]] == ["10.2026", "11.2026"] and trend[-1][1] == 2

    notes = {r[0]: r[1] for r in wb["Skaidrojumi"].iter_rows(values_only=True) if r and r[0]}
    for label in ("Saņemti šajā mēnesī", "Pārnesti no iepriekšējiem mēnešiem", "Vēl nav izvērtēti",
                  "Eskalācijas šajā mēnesī", "Pieteikumi ar eskalāciju", "Agrākās eskalācijas"):
        assert notes[label] and notes[label].endswith("."), label
