"""What management judges the service by, from a hand-built ledger whose numbers are known:
deadlines met per service and per expert group, resolution time in each calendar's own hours,
open requests by age, escalations, the trend, the audit anchor, the state at the month's end;
and the workbooks as they print (read back with openpyxl), the CSV as a Latvian spreadsheet
reads it, the files' modes. Runs on SQLite and on PostgreSQL (PD_TEST_DATABASE_URL)."""
from __future__ import annotations

import csv
import json
import os
import re
import stat
from datetime import datetime

import openpyxl
import pytest

MONTH = "2026-10"


@pytest.fixture
def october(pd, clock):
    """VP's October 2026 (5 October is a Monday; the working calendar is 08:30-12:00, 12:30-17:00).

    A  EPASTS, working time: received Mon 05.10 09:00, accepted 10:00, resolved Tue 10:00 -> 9.0 working h, met
    B  EPASTS urgent, round the clock: Wed 07.10 20:00, accepted 20:20, resolved 22:30 -> 2.5 clock h, met
    C  PAROLE (E. Zariņa, G. Siliņa's group): Thu 08.10 09:00, not accepted in 30 min -> escalated at 10:00,
       accepted 10:30 (response missed), resolved Fri 09:30 -> 8.5 working h, resolution (2 h) missed
    D  EPASTS: Fri 30.10 09:00, accepted 09:30, resolved Mon 02.11 -> open at the month's end (1-3 days old)
    E  EPASTS: Mon 26.10 09:00, never assigned -> open, 3-7 days old
    F  KONSULTACIJA: refused as outside the Centre's competence on 14.10
    """
    n = {}
    clock.set("2026-10-05T09:00")
    n["A"] = pd.register(name="Anna Ābele", service="EPASTS")
    clock.set("2026-10-05T09:10")
    pd.ok("assign", n["A"], "--expert", "jberzins")
    clock.set("2026-10-05T10:00")
    pd.ok("accept", n["A"], user="jberzins")
    clock.set("2026-10-06T10:00")
    pd.ok("resolve", n["A"], "--result", "Pastkaste atjaunota", user="jberzins")
    clock.set("2026-10-13T10:00")
    pd.ok("close", n["A"], "--confirmed")

    clock.set("2026-10-07T20:00")
    n["B"] = pd.register(name="Bruno Bērziņš", service="EPASTS", urgent=True)
    clock.set("2026-10-07T20:05")
    pd.ok("assign", n["B"], "--expert", "lkalnina")
    clock.set("2026-10-07T20:20")
    pd.ok("accept", n["B"], user="lkalnina")
    clock.set("2026-10-07T22:30")
    pd.ok("resolve", n["B"], "--result", "Serveris restartēts", user="lkalnina")

    clock.set("2026-10-08T09:00")
    n["C"] = pd.register(name="Cilda Čakste", service="PAROLE")
    clock.set("2026-10-08T09:05")
    pd.ok("assign", n["C"], "--expert", "ezarina")
    clock.set("2026-10-08T10:00")
    pd.ok("escalate-overdue", "--now", "2026-10-08T10:00", user="system")
    clock.set("2026-10-08T10:30")
    pd.ok("accept", n["C"], user="ezarina")
    clock.set("2026-10-09T09:30")
    pd.ok("resolve", n["C"], "--result", "Konts atbloķēts", user="ezarina")

    clock.set("2026-10-14T11:00")
    n["F"] = pd.register(name="Fricis Fogels", service="KONSULTACIJA", out_of_scope=True,
                         reason="Nav Centra kompetencē")

    clock.set("2026-10-26T09:00")
    n["E"] = pd.register(name="Elza Ērgle", service="EPASTS")

    clock.set("2026-10-30T09:00")
    n["D"] = pd.register(name="Dainis Dūmiņš", service="EPASTS")
    clock.set("2026-10-30T09:10")
    pd.ok("assign", n["D"], "--expert", "jberzins")
    clock.set("2026-10-30T09:30")
    pd.ok("accept", n["D"], user="jberzins")
    clock.set("2026-11-02T10:00")
    pd.ok("resolve", n["D"], "--result", "Novembra rezultāts", user="jberzins")
    clock.now = None
    return n


def _anchor(rawdb) -> str:
    """EVENTS:SHA256 read straight from the ledger file/server: the count and the chain's head."""
    (count,), = rawdb.execute("SELECT COUNT(*) FROM event")
    (head,), = rawdb.execute("SELECT last_hash FROM ledger_head WHERE id = 1")
    return f"{count}:{head}"


def _report(pd, tmp_path, *extra, fmt="json"):
    out = tmp_path / f"rep-{fmt}"
    pd.ok("report", "monthly", "--month", MONTH, "--out", out, "--institution", "VP", "--format", fmt, *extra,
          user="supervizors")
    return out


def test_measures_against_the_known_month(pd, october, tmp_path, rawdb):
    out = _report(pd, tmp_path)
    doc = json.loads((out / f"pd-{MONTH}-VP.json").read_text(encoding="utf-8"))
    s = doc["summary"]
    assert s["total"] == 6
    # E (never forwarded) and F (refused) have no deadline; D's resolution was not yet due at the end
    assert s["response"] == {"met": 3, "not_met": 1, "decided": 4, "share": 0.75, "pending": 0, "no_deadline": 2}
    assert s["resolution"] == {"met": 2, "not_met": 1, "decided": 3, "share": pytest.approx(2 / 3),
                               "pending": 1, "no_deadline": 2}
    # each calendar in its own hours; round-the-clock hours are never called working hours
    hours = {(h["calendar"], h["working_time"]): h for h in s["resolve_hours"]}
    assert set(hours) == {("Darba laiks", True), ("Visu diennakti", False)}
    working, clock_h = hours[("Darba laiks", True)], hours[("Visu diennakti", False)]
    assert (working["count"], working["mean"], working["median"]) == (2, pytest.approx(8.75), pytest.approx(8.75))
    assert (clock_h["count"], clock_h["mean"], clock_h["median"]) == (1, 2.5, 2.5)
    services = {(m["code"], m["calendar"]): m for m in s["services"]}
    epasts = services[("EPASTS", "Darba laiks")]
    assert epasts["count"] == 3  # A, D, E
    assert epasts["response"]["met"] == 2 and epasts["response"]["decided"] == 2
    assert epasts["resolution"]["met"] == 1 and epasts["resolution"]["decided"] == 1
    assert epasts["hours"]["median"] == pytest.approx(9.0)
    urgent = services[("EPASTS", "Visu diennakti")]
    assert (urgent["count"], urgent["resolution"]["share"], urgent["hours"]["mean"]) == (1, 1.0, 2.5)
    parole = services[("PAROLE", "Darba laiks")]
    assert (parole["response"]["share"], parole["resolution"]["share"]) == (0.0, 0.0)
    assert parole["hours"]["mean"] == pytest.approx(8.5)
    groups = {(g["group"], g["calendar"]): g["count"] for g in s["groups"]}
    assert groups == {("Gunta Siliņa", "Darba laiks"): 1, ("Valdis Kalējs", "Darba laiks"): 2,
                      ("Valdis Kalējs", "Visu diennakti"): 1, ("", "Darba laiks"): 2}
    assert s["open_by_age"] == {"1d": 0, "3d": 1, "7d": 1, "30d": 0, "more": 0}
    assert s["escalations"]["not_accepted"] == 1 and s["escalated_requests"] == 1

    (esc,) = doc["escalations"]
    assert esc["number"] == october["C"] and esc["level"] == 1 and esc["reason"] == "not_accepted"
    assert esc["at"] == "2026-10-08T10:00:00+03:00"
    assert esc["expert"] == "Elīna Zariņa" and esc["manager"] == "Gunta Siliņa"
    assert "pieņemšanu" in esc["reason_label"]

    trend = doc["trend"]
    assert [t["month"] for t in trend] == ["2026-10"]  # from the first month with data
    octo = trend[-1]
    assert octo["received"] == 6 and octo["resolved"] == 3
    assert octo["response"]["decided"] == 4 and octo["response"]["met"] == 3
    assert octo["resolution"]["decided"] == 3 and octo["resolution"]["met"] == 2
    assert all(t["received"] == 0 for t in trend[:-1])
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", doc["audit_anchor"])
    assert doc["audit_anchor"] == _anchor(rawdb)


def test_state_at_the_month_end(pd, october, tmp_path):
    out = _report(pd, tmp_path)
    doc = json.loads((out / f"pd-{MONTH}-VP.json").read_text(encoding="utf-8"))
    rows = {r["number"]: r for r in doc["rows"]}
    d = rows[october["D"]]  # resolved on 2 November
    assert d["status"] == "pieņemts izskatīšanai"
    assert d["outcome"] == "" and d["resolved_at"] is None and d["resolve_hours"] is None
    assert d["resolution_met"] == "" and d["response_met"] == "Jā"
    b = rows[october["B"]]  # resolved, not yet closed at the end
    assert b["status"] == "izpildīts" and b["outcome"] == "Serveris restartēts"
    assert b["calendar"] == "Visu diennakti" and b["resolve_hours"] == 2.5
    assert rows[october["A"]]["closed_at"].startswith("2026-10-13T10:00")
    # November shows D resolved, with its result
    out = tmp_path / "nov"
    pd.ok("report", "monthly", "--month", "2026-11", "--out", out, "--institution", "VP", "--format", "json",
          user="supervizors")
    nov_doc = json.loads((out / "pd-2026-11-VP.json").read_text(encoding="utf-8"))
    nov = {r["number"]: r for r in nov_doc["rows"]}
    assert nov[october["D"]]["outcome"] == "Novembra rezultāts"
    assert nov[october["D"]]["status"] == "izpildīts"
    # the trend counts each request in the month of each step: D received and accepted in
    # October, resolved in November
    *_, octo, novo = nov_doc["trend"]
    assert (octo["month"], novo["month"]) == ("2026-10", "2026-11")
    assert (octo["received"], octo["response"]["decided"], octo["response"]["met"]) == (6, 4, 3)
    assert (octo["resolved"], octo["resolution"]["decided"], octo["resolution"]["met"]) == (3, 3, 2)
    assert (novo["received"], novo["response"]["decided"], novo["resolved"]) == (0, 0, 1)
    assert novo["resolution"]["decided"] == 1
    assert nov_doc["trend"][0]["month"] == "2026-10"  # the first month with data


def test_workbook_opens_on_the_summary_and_prints(pd, october, tmp_path, rawdb):
    out = _report(pd, tmp_path, fmt="xlsx")
    for name, first_sheets in ((f"pd-{MONTH}-VP.xlsx", ["Kopsavilkums", "Neizpildītie"]),
                               (f"pd-{MONTH}-overview.xlsx", ["Kopsavilkums", "Iestādes"])):
        wb = openpyxl.load_workbook(out / name)
        assert wb.sheetnames[:2] == first_sheets
        assert wb.active.title == "Kopsavilkums"
        for ws in wb.worksheets:
            ps = ws.page_setup
            assert ps.orientation == "landscape", ws.title
            assert int(ps.paperSize) == 9, ws.title  # A4
            assert ws.sheet_properties.pageSetUpPr.fitToPage is True
            assert (ps.fitToWidth, ps.fitToHeight) == (1, 0), ws.title
            if ws.title != "Kopsavilkums":
                assert ws.print_title_rows == "$1:$1", ws.title  # the header row on every page
            fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
            assert fonts == {"Arial"}, (ws.title, fonts)  # one named family, headers included
        custom = {p.name: p.value for p in wb.custom_doc_props}
        assert custom["pd.audit_anchor"] == _anchor(rawdb)
        assert custom["pd.audit_anchor"] in wb.properties.description
        # the anchor is on the technical sheet with one sentence, not on the management's summary
        notes = {row[0]: row for row in wb["Skaidrojumi"].iter_rows(values_only=True) if row and row[0]}
        assert notes["Audita enkurs"][1] == custom["pd.audit_anchor"]
        summary_cells = [str(v) for row in wb["Kopsavilkums"].iter_rows(values_only=True) for v in row if v]
        assert not any(custom["pd.audit_anchor"] in v or "enkurs" in v or "pd audit" in v for v in summary_cells)
        # the normal style (what an empty cell or a new entry gets) is Arial too
        assert wb._named_styles["Normal"].font.name == "Arial"
    wb = openpyxl.load_workbook(out / f"pd-{MONTH}-VP.xlsx")
    summary = {row[0]: row for row in wb["Kopsavilkums"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Darba laiks (darba stundas)"][1:4] == (2, pytest.approx(8.75), pytest.approx(8.75))
    assert summary["Visu diennakti (diennakts stundas)"][1:4] == (1, 2.5, 2.5)
    assert summary["1–3 dienas"][1] == 1 and summary["3–7 dienas"][1] == 1
    esc = list(wb["Eskalācijas"].iter_rows(values_only=True))
    assert esc[0] == ("Datums", "Pieteikums", "Pakalpojums", "Līmenis", "Iemesls", "Eksperts",
                      "Vadītājs, kam eskalēts")
    assert esc[1][0] == datetime(2026, 10, 8, 10, 0) and esc[1][1] == october["C"]
    assert esc[1][3] == "1 — tiešais vadītājs" and esc[1][5:] == ("Elīna Zariņa", "Gunta Siliņa")
    assert "pieņemšanu" in esc[1][4]
    trend = list(wb["Tendence"].iter_rows(values_only=True))
    # the trend starts at the first month with data: October is the desk's first
    assert trend[1][:2] == ("10.2026", 6) and not trend[2][0]
    groups = [r for r in wb["Pa ekspertu vadītājiem"].iter_rows(values_only=True)]
    assert ("Gunta Siliņa", "Darba laiks (darba stundas)", 1) == groups[1][:3]
    # a date cell is wide enough for dd.mm.yyyy hh:mm (16 characters) and a gap before the next column
    for ws in (wb["Pieteikumi"], wb["Termiņi"], wb["Eskalācijas"]):
        for c in ws[2]:
            if isinstance(c.value, datetime):
                assert ws.column_dimensions[c.column_letter].width >= 16.5, (ws.title, c.coordinate)
                assert c.alignment.horizontal == "left", (ws.title, c.coordinate)  # not against the next text


def test_charts_after_a_page_break_start_below_it_and_long_names_wrap(pd, october, tmp_path, clock):
    """Read as printed: a chart anchored on the first row of its page had its top border printed at
    the foot of the page before (LibreOffice); a long institution name was cut at its column's edge."""
    clock.set("2026-10-12T09:00")
    pd.register(institution="VUGD")  # Valsts ugunsdzēsības un glābšanas dienests
    out = tmp_path / "all"
    pd.ok("report", "monthly", "--month", MONTH, "--out", out, "--format", "xlsx", user="supervizors")
    for name in (f"pd-{MONTH}-VP.xlsx", f"pd-{MONTH}-VUGD.xlsx", f"pd-{MONTH}-overview.xlsx"):
        wb = openpyxl.load_workbook(out / name)
        for ws in wb.worksheets:
            breaks = [b.id for b in ws.row_breaks.brk]  # the page after break id starts at row id + 1
            for chart in ws._charts:
                first = chart.anchor._from.row + 1  # 1-based
                page_start = max([b + 1 for b in breaks if b + 1 <= first] or [1])
                if breaks and page_start > 1:
                    assert first > page_start, (name, ws.title, first, breaks)
    ws = openpyxl.load_workbook(out / f"pd-{MONTH}-overview.xlsx")["Iestādes"]
    rows = {r[1].value: r[1] for r in ws.iter_rows(min_row=2) if r[1].value}
    long = max(rows.values(), key=lambda c: len(c.value))
    assert len(long.value) > 35, list(rows)
    # it wraps in its row, and the column is wide enough to hold it on one line (a two-line row
    # for a name that printed on one read as a blank line between institutions)
    assert long.alignment.wrap_text and ws.column_dimensions["B"].width * 1.1 >= len(long.value)


def test_csv_is_for_a_latvian_spreadsheet(pd, october, tmp_path):
    out = _report(pd, tmp_path, fmt="csv")
    for name in (f"pd-{MONTH}-VP.csv", f"pd-{MONTH}-overview.csv"):
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # UTF-8 with a byte-order mark
        text = raw[3:].decode("utf-8")
        rows = list(csv.reader(text.splitlines(), delimiter=";"))
        assert len({len(r) for r in rows}) == 1 and len(rows[0]) > 5, name
    rows = list(csv.reader((out / f"pd-{MONTH}-VP.csv").read_text(encoding="utf-8-sig").splitlines(),
                           delimiter=";"))
    head = rows[0]
    by_number = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    b = by_number[october["B"]]
    assert b["Izpildes laiks, stundas pēc kalendāra"] == "2,5"  # the decimal comma of lv-LV
    assert b["Kalendārs"] == "Visu diennakti"
    assert b["Pieteicējs"] == "Bruno Bērziņš"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", b["Saņemts"])

    # the summary is a file of its own, every decimal with a comma, every figure named on its basis
    for name in (f"pd-{MONTH}-VP-summary.csv", f"pd-{MONTH}-overview-summary.csv"):
        raw = (out / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        figures = dict(csv.reader(raw[3:].decode("utf-8").splitlines(), delimiter=";"))
        assert figures.pop("Rādītājs") == "Vērtība"
        assert not [v for v in figures.values() if "." in v], name  # no decimal point anywhere
    vp = dict(csv.reader((out / f"pd-{MONTH}-VP-summary.csv").read_text(encoding="utf-8-sig").splitlines(),
                         delimiter=";"))
    assert (vp["Saņemti šajā mēnesī"], vp["Pārnesti no iepriekšējiem mēnešiem"], vp["Pieteikumi šajā pārskatā"]) \
        == ("6", "0", "6")
    assert vp["Reaģēšanas termiņš: ievērots, %"] == "75,0"  # 3 of 4
    assert vp["Izskatīšanas termiņš: ievērots, %"] == "66,7"  # 2 of 3
    assert vp["Izskatīšanas termiņš: vēl nav pienācis"] == "1" and vp["Izskatīšanas termiņš: bez termiņa"] == "2"
    assert vp["Eskalācijas šajā mēnesī (katrs līmenis atsevišķi)"] == "1"
    assert vp["Izpildes laika mediāna, h (Visu diennakti)"] == "2,5"


def test_report_files_are_0640_and_directories_0750(pd, october, tmp_path):
    old = os.umask(0)  # the most permissive umask: the modes must not depend on it
    try:
        for fmt in ("xlsx", "csv", "json"):
            out = tmp_path / fmt / "a" / "b"
            pd.ok("report", "monthly", "--month", MONTH, "--out", out, "--institution", "VP", "--format", fmt,
                  user="supervizors")
            for d in (tmp_path / fmt, tmp_path / fmt / "a", out):
                assert stat.S_IMODE(d.stat().st_mode) == 0o750, d
            files = sorted(out.iterdir())
            extra = [f"pd-{MONTH}-VP-summary.csv", f"pd-{MONTH}-overview-summary.csv"] if fmt == "csv" else []
            assert [f.name for f in files] == sorted([f"pd-{MONTH}-VP.{fmt}", f"pd-{MONTH}-overview.{fmt}", *extra])
            for f in files:
                assert stat.S_IMODE(f.stat().st_mode) == 0o640, f
    finally:
        os.umask(old)
    # a directory that was there already keeps its own mode; the files are still 0640
    mine = tmp_path / "existing"
    mine.mkdir()
    mine.chmod(0o755)
    pd.ok("report", "monthly", "--month", MONTH, "--out", mine, "--institution", "VP", user="supervizors")
    assert stat.S_IMODE(mine.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o640 for f in mine.iterdir())


def test_send_without_the_centres_recipients_writes_nothing(pd, october, tmp_path, pd_env):
    from pathlib import Path

    contacts = Path(pd_env.get("PD_CONTACTS") or Path(__file__).resolve().parent.parent / "pd" / "examples" / "contacts.yaml")
    text = contacts.read_text(encoding="utf-8")
    stripped = text.replace("    report_recipients: [vadiba@ic.iem.gov.lv]\n", "    report_recipients: []\n")
    assert stripped != text
    mine = tmp_path / "contacts.yaml"
    mine.write_text(stripped.replace('version: "2026.3"', 'version: "2026.3-test"'), encoding="utf-8")
    out = tmp_path / "rep"
    pd.ok("contacts", "publish", str(mine), user="admins")
    r = pd("report", "monthly", "--month", MONTH, "--out", out, "--institution", "VP", "--send",
           user="supervizors", env={"PD_CONTACTS": str(mine)})
    assert r.exit_code == 5, r.stderr
    assert "IC" in r.stderr and "pārskata saņēmēji" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
