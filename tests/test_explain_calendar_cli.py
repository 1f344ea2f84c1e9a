"""Working time through the CLI (SPEC 4): pd calendar due|show|check, pd explain, the pause."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

RIGA = ZoneInfo("Europe/Riga")


@pytest.mark.parametrize("start,service,urgent,response,resolution", [
    # Tue 17 Nov 2026 is shortened (ends 16:00), Wed 18 Nov is a holiday
    ("2026-11-17T15:00", "DATORS", False, "2026-11-19T11:30:00+02:00", "2026-11-23T16:00:00+02:00"),
    # a Saturday: the clock starts on Monday 08:30
    ("2026-11-28T10:00", "EPASTS", False, "2026-11-30T10:30:00+02:00", "2026-12-01T17:00:00+02:00"),
    # urgent EPASTS runs on 24x7 across the spring DST change (03:00 -> 04:00)
    ("2026-03-29T01:30", "EPASTS", True, "2026-03-29T02:00:00+02:00", "2026-03-29T06:30:00+03:00"),
    # the night before Christmas Eve: 23 Dec shortened, 24–26 Dec holidays, then a weekend
    ("2026-12-23T20:00", "PAROLE", False, "2026-12-28T09:00:00+02:00", "2026-12-28T10:30:00+02:00"),
])
def test_calendar_due_matches_the_latvian_calendar(pd, start, service, urgent, response, resolution):
    args = ["calendar", "due", "--service", service, "--from", start, "--json"] + (["--urgent"] if urgent else [])
    d = pd.ok(*args).json()
    assert (d["response_due"], d["resolution_due"]) == (response, resolution)


def test_calendar_due_touches_no_ledger(pd, pd_env, tmp_path):
    pd.ok("calendar", "due", "--service", "DATORS")
    if not pd_env["PD_DATABASE_URL"].startswith("postgres"):
        assert not (tmp_path / "ledger.sqlite3").exists()


def test_calendar_show_november_2026(pd):
    d = pd.ok("calendar", "show", "2026-11", "--json").json()
    by_date = {x["date"]: x for x in d["days"]}
    assert by_date["2026-11-18"]["working"] is False and by_date["2026-11-18"]["reason"] == "holiday"
    assert by_date["2026-11-18"]["name"] == "Latvijas Republikas Proklamēšanas diena"
    assert by_date["2026-11-17"]["hours"] == "08:30–12:00, 12:30–16:00"
    assert sum(1 for x in d["days"] if x["working"]) == 20
    text = pd.ok("calendar", "show", "2026-11").stdout
    assert "20 darba dienas, 159 darba stundas" in text


def test_calendar_check_lists_holidays_and_transfers(pd):
    d = pd.ok("calendar", "check", "--from", "2026-01-01", "--json").json()
    reasons = {x["date"]: x["reason"] for x in d["days"]}
    assert reasons["2026-01-02"] == "transferred_day_off"
    assert reasons["2026-01-17"] == "transferred_working_day"
    assert reasons["2026-06-22"] == "transferred_day_off"
    assert reasons["2026-06-27"] == "transferred_working_day"
    assert reasons["2026-11-18"] == "holiday"


def test_explain_answers_why_it_is_due_then(pd, clock):
    clock.set("2026-11-17T15:00")
    n = pd.register(service="DATORS", location="Rīga, Čiekurkalna 1", room="12")
    pd.ok("assign", n, "--expert", "rkrumins")
    d = pd.ok("explain", n, "--json").json()
    res = d["resolution"]
    assert res["due"] == "2026-11-23T16:00:00+02:00" and res["calendar"] == "darba-laiks"
    assert res["catalog_version"] == d["catalog_version"]
    assert {"date": "2026-11-18", "reason": "holiday", "name": "Latvijas Republikas Proklamēšanas diena"} in res["skipped"]
    assert {"date": "2026-11-21", "reason": "weekend"} in res["skipped"]
    assert res["shortened"][0]["date"] == "2026-11-17"
    assert sum(c["minutes"] for c in res["counted"]) == 24 * 60
    text = pd.ok("explain", n).stdout
    assert "izlaists: trešdiena, 18.11.2026, svētku diena – Latvijas Republikas Proklamēšanas diena" in text
    assert "Izskatīšanas termiņš: 23.11.2026 16:00" in text


def test_pauses_move_the_deadline_by_their_working_time_and_add_up(pd, clock):
    clock.set("2027-01-04T09:00")                      # Monday
    n = pd.register(service="DATORS", location="Rīga", room="1")
    pd.ok("assign", n, "--expert", "rkrumins")
    base = pd.ok("show", n, "--json").json()["resolution_due"]
    assert base == "2027-01-07T09:00:00+02:00"         # 24 working hours
    pd.ok("accept", n, user="rkrumins")
    clock.set("2027-01-04T11:00")
    pd.ok("wait", n, "--question", "Kurš monitors?", user="rkrumins")
    clock.set("2027-01-04T14:00")                      # 2.5 working hours (lunch 12:00–12:30 not counted)
    pd.ok("resume", n, "--answer", "Kreisais")
    first = pd.ok("show", n, "--json").json()["resolution_due"]
    assert first == "2027-01-07T11:30:00+02:00"
    clock.set("2027-01-08T16:00")                      # Friday afternoon
    pd.ok("wait", n, "--question", "Vai var atnākt pirmdien?", user="rkrumins")
    clock.set("2027-01-11T09:30")                      # Monday: 1 h Friday + 1 h Monday
    pd.ok("note", n, "--text", "Jā, var", "--resume")
    second = pd.ok("show", n, "--json").json()["resolution_due"]
    assert second == "2027-01-07T14:00:00+02:00"         # 11:30 + 2 h, lunch 12:00–12:30 skipped
    d = pd.ok("explain", n, "--json").json()
    assert [p["working_minutes"] for p in d["pauses"]] == [150, 120]
    assert d["resolution"]["paused_minutes"] == 270


def test_deadlines_stay_when_the_catalog_calendar_changes_under_a_new_version(pd, pd_env, clock):
    clock.set("2027-01-04T09:00")
    n = pd.register(service="DATORS", location="Rīga", room="1")
    pd.ok("assign", n, "--expert", "rkrumins")
    before = pd.ok("show", n, "--json").json()
    path = pd_env["PD_CATALOG"]
    text = open(path, encoding="utf-8").read()
    text = text.replace('version: "2026.2"', 'version: "2027.1"').replace('"12:30-17:00"', '"12:30-15:00"')
    open(path, "w", encoding="utf-8").write(text)
    pd.ok("catalog", "publish", user="admins")
    clock.set("2027-01-04T10:00")
    n2 = pd.register(service="DATORS", location="Rīga", room="1")
    pd.ok("assign", n2, "--expert", "rkrumins")
    after = pd.ok("show", n, "--json").json()
    assert (after["response_due"], after["resolution_due"]) == (before["response_due"], before["resolution_due"])
    assert pd.ok("explain", n, "--json").json()["catalog_version"] == "2026.2"
    new = pd.ok("show", n2, "--json").json()
    assert new["catalog_version"] == "2027.1" and new["resolution_due"] != before["resolution_due"]
