"""`pd catalog check` (and the load every command does) refuses a catalog that would break pd
(issue 18 item 6): every service's deadlines are computed from a sample of instants, every date is
a real date, versions are the text the file wrote, durations and shortenings are bounded, and
`calendar due` and `register` agree on the urgent variants (one function decides)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_yaml_config import REGISTER, edit, line_of, refused

URGENT_EPASTS = "      urgent: {calendar: 24x7, response: 30m, resolution: 4h}\n\n  - code: EPASTS-KONTS"

# name -> (old text, new text, a needle on the line to expect, words of the reason)
CASES = {
    "a resolution time that overflows every calendar": (
        URGENT_EPASTS, URGENT_EPASTS.replace("resolution: 4h", "resolution: 99999999d"),
        "resolution: 99999999d", ["'resolution'", "99999999d", "ne vairāk kā 365d"]),
    "a date that does not exist": ("2028-07-10", "2028-02-30", "2028-02-30",
                                   ["'2028-02-30' nav īsts datums (mēnesī nav tādas dienas)"]),
    "a month that does not exist": ("2028-07-10", "2028-13-01", "2028-13-01",
                                    ["'2028-13-01' nav īsts datums (mēnesim jābūt no 1 līdz 12)"]),
    "a shortening that erases the day": (
        "shorten_before_holiday: 60 ", "shorten_before_holiday: 600", "shorten_before_holiday",
        ["saīsinājums (600 min) izdzēstu visu darba dienu", "ne vairāk kā 479"]),
    "a close_after of centuries": ("close_after: 5d ", "close_after: 40000d ", "close_after: 40000d",
                                   ["'close_after'", "ne vairāk kā 365d"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_check_and_every_load_refuse_what_would_break_pd(pd, pd_env, rawdb, case):
    old, new, needle, words = CASES[case]
    path = pd_env["PD_CATALOG"]
    edit(path, old, new)
    line = line_of(path, needle)
    refused(pd("catalog", "check"), path, line, *words)
    r = pd("catalog", "check", "--json")
    assert r.exit_code == 7 and "Traceback" not in r.stderr
    # a new ledger: the first command (which would set it up with this file) stores nothing
    for args in (REGISTER, ["list"], ["calendar", "due", "--service", "EPASTS"]):
        refused(pd(*args), path, line, *words)
    assert rawdb.execute("SELECT COUNT(*) FROM request")[0][0] == 0


def test_deadlines_are_computed_from_sample_instants(pd, pd_env):
    """A calendar with one working minute a week cannot give a year's resolution time in 50 years:
    the sample computation finds it at the service's line, before any request meets it."""
    path = pd_env["PD_CATALOG"]
    text = Path(path).read_text(encoding="utf-8")
    text = text.replace("calendars:\n", 'calendars:\n  reti:\n    kind: working\n    hours: {mon: ["08:00-08:01"]}\n', 1)
    text = text.replace(URGENT_EPASTS,
                        URGENT_EPASTS.replace("{calendar: 24x7, response: 30m, resolution: 4h}",
                                              "{calendar: reti, response: 1m, resolution: 365d}"))
    Path(path).write_text(text, encoding="utf-8")
    line = line_of(path, "calendar: reti")
    for args in (["catalog", "check"], REGISTER):
        refused(pd(*args), path, line, "pakalpojums EPASTS (urgent)", "izskatīšanas termiņu 8760h", "'reti'")


def test_a_version_is_the_text_the_file_wrote(pd, pd_env):
    for path, old, new in ((pd_env["PD_CATALOG"], 'version: "2026.2"', "version: 2026.10"),
                           (pd_env["PD_CONTACTS"], 'version: "2026.3"', "version: 2027.10")):
        edit(path, old, new)
    assert pd.ok("catalog", "check", "--json").json()["version"] == "2026.10"
    assert pd.ok("contacts", "check", "--json").json()["version"] == "2027.10"
    n = pd.register()
    assert pd.ok("show", n, "--json").json()["catalog_version"] == "2026.10"
    assert [h["version"] for h in pd.ok("catalog", "history", "--json").json()] == ["2026.10"]
    assert pd.ok("info", "--json").json()["contacts_version"] == "2027.10"


def test_urgent_variants_agree_between_calendar_due_and_register(pd):
    """EPASTS-KONTS has no urgent variant: both commands refuse --urgent with the same line, and both
    accept it for EPASTS."""
    due = pd("calendar", "due", "--service", "EPASTS-KONTS", "--urgent")
    reg = pd("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS-KONTS",
             "--description", "Aizmirsu paroli kontam", "--channel", "phone", "--phone", "26123456", "--urgent")
    assert due.exit_code == reg.exit_code == 3
    assert due.stderr == reg.stderr
    assert "pakalpojumam EPASTS-KONTS kataloga versijā 2026.2 nav steidzamā varianta" in due.stderr
    assert pd.ok("calendar", "due", "--service", "EPASTS", "--urgent", "--json").json()["urgent"] is True
    listed = {s["code"]: s["urgent_variant"] for s in pd.ok("catalog", "list", "--json").json()["services"]}
    for code, has in listed.items():
        r = pd("calendar", "due", "--service", code, "--urgent")
        assert r.exit_code == (0 if has else 3), (code, r.stderr)


def test_calendar_due_answers_from_the_catalog_register_uses(pd, pd_env):
    """Once the ledger has a catalog in force, `pd calendar due` answers from it (as register does),
    not from whatever file the caller has: here the shipped file, which is another version."""
    from tests.conftest import ROOT

    pd.register()
    edit(pd_env["PD_CATALOG"], 'version: "2026.2"', 'version: "2026.2-a"')
    edit(pd_env["PD_CATALOG"], URGENT_EPASTS, URGENT_EPASTS.replace("response: 30m", "response: 45m"))
    pd.ok("catalog", "publish", user="admins")
    args = ["calendar", "due", "--service", "EPASTS", "--urgent", "--from", "2027-01-04T09:00", "--json"]
    d = pd.ok(*args, env={"PD_CATALOG": ""}).json()
    assert (d["catalog_version"], d["response_due"]) == ("2026.2-a", "2027-01-04T09:45:00+02:00")
    r = pd(*args, env={"PD_CATALOG": str(ROOT / "pd" / "examples" / "catalog.yaml")})
    assert r.exit_code == 7 and "nav tā, kas spēkā žurnālā" in r.stderr


def test_why_a_date_cannot_be_is_said_in_the_desks_language(pd, pd_env, monkeypatch):
    """Python's own words on an impossible date ("day is out of range for month") never reach a person
    inside a Latvian line; under PD_LANG=en they are said in English words of pd's."""
    from tests.english import english

    path = pd_env["PD_CATALOG"]
    edit(path, "2028-07-10", "2028-02-30")
    lv = pd("catalog", "check")
    assert lv.exit_code == 7 and english(lv.stderr) == [], lv.stderr
    monkeypatch.setenv("PD_LANG", "en")
    en = pd("catalog", "check")
    assert en.exit_code == 7 and "'2028-02-30' is not a real date (the month has no such day)" in en.stderr
