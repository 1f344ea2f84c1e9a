"""The monthly report: month bounds, summary, fingerprint, CSV/JSON and the workbooks.

The workbooks are read back with openpyxl; the charts, which openpyxl does not
load, are checked in the .xlsx zip.
"""
from __future__ import annotations

import csv
import io
import json
import re
import statistics
import zipfile
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from pd.latvian import lv_sort_key
from pd.report import xlsx as report_xlsx
from pd.report.csv_json import rows_to_json, write_csv
from pd.report.measures import SummaryBuilder, fingerprint, summarize
from pd.report.rows import (
    COLUMN_KEYS,
    ReportMeta,
    ReportRow,
    clean_text,
    headers,
    month_bounds,
    month_label,
    previous_month,
    row_to_dict,
    shorten,
)
from pd.report.xlsx import write_institution_workbook, write_overview_workbook

UTC = timezone.utc
RIGA = ZoneInfo("Europe/Riga")
LATVIAN = "ā č ē ģ ī ķ ļ ņ š ū ž Ā Č Ē Ģ Ī Ķ Ļ Ņ Š Ū Ž"
GENERATED = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_row(n: int, **kw) -> ReportRow:
    base = dict(
        number=f"2026-{n:06d}",
        institution="VP",
        received_at=utc(2026, 10, 5, 7, 0) + timedelta(hours=n),
        channel="phone",
        requester_name="Jānis Bērziņš",
        requester_unit="Kriminālpolicijas pārvalde",
        requester_position="vecākais inspektors",
        service_code="H01",
        service_name="Datora bojājums",
        description="Nedarbojas dators, ekrāns melns.",
        expert="Gunta Šteina",
        accepted_at=None,
        resolved_at=None,
        closed_at=None,
        status="registered",
        outcome="",
        response_met=None,
        resolution_met=None,
        resolve_hours=None,
        escalations=(),
        calendar="Darba laiks",
        working_time=True,
        expert_group="Valdis Kalējs",
    )
    base.update(kw)
    if "month_escalations" not in kw:
        base["month_escalations"] = base["escalations"]  # all dated in the month
    return ReportRow(**base)


def sample_rows() -> list[ReportRow]:
    """A month of VP's requests, deliberately not in number order."""
    rows = [
        make_row(
            7, channel="email", service_code="S02", service_name="Šifrēšanas sertifikāts",
            description="Lūdzu ģenerēt jaunu šifrēšanas sertifikātu; " + "ļoti garš teksts " * 20,
            accepted_at=utc(2026, 10, 6, 8, 0), resolved_at=utc(2026, 10, 7, 9, 30),
            closed_at=utc(2026, 10, 9, 9, 30), status="closed",
            outcome="Sertifikāts izsniegts.", response_met=True, resolution_met=True,
            resolve_hours=9.5,
        ),
        make_row(
            3, requester_name=f"Ņina Ķēniņa {LATVIAN}", channel="fax",
            accepted_at=utc(2026, 10, 5, 12, 0), resolved_at=utc(2026, 10, 8, 12, 0),
            status="resolved", outcome=f"Nomainīts barošanas bloks. {LATVIAN}",
            response_met=True, resolution_met=False, resolve_hours=21.25,
            escalations=("overdue",), calendar="Visu diennakti", working_time=False,
            expert_group="Gunta Siliņa",
        ),
        make_row(
            1, status="assigned", response_met=False, escalations=("not_accepted", "overdue"),
            # 23:30 on 31 October in Riga: still October
            received_at=utc(2026, 10, 31, 21, 30),
        ),
        make_row(
            12, service_code="E01", service_name="E-pasta konta izveide",
            status="refused", outcome="Nav Centra kompetencē: iestādes IKT kontaktpersona Ilze Ābola",
            channel="other", expert="",
        ),
        make_row(
            5, service_code="C01", service_name="Čipkartes lasītājs", channel="email",
            accepted_at=utc(2026, 10, 10, 6, 0), resolved_at=utc(2026, 10, 10, 8, 0),
            status="closed", closed_at=utc(2026, 10, 12, 8, 0), outcome="Atjaunots.",
            response_met=True, resolution_met=True, resolve_hours=2.0,
            description="=HYPERLINK(\"http://x\") mēģinājums",
        ),
        make_row(
            9, status="in_progress", accepted_at=utc(2026, 10, 20, 9, 0),
            response_met=False, escalations=("unjustified_rejection",),
            # The autumn DST change: 03:30 happens twice on 25 October 2026.
            received_at=utc(2026, 10, 25, 0, 30),
        ),
        make_row(
            2, status="closed", service_code="C02", service_name="cukurs",
            accepted_at=utc(2026, 10, 2, 8, 0), resolved_at=utc(2026, 10, 3, 8, 0),
            closed_at=utc(2026, 10, 4, 8, 0), outcome="Izpildīts.",
            response_met=True, resolution_met=True, resolve_hours=4.75,
            received_at=utc(2026, 10, 25, 1, 30),
        ),
    ]
    return rows


def meta(lang: str = "lv", **kw) -> ReportMeta:
    base = dict(
        institution_code="VP", institution_name="Valsts policija", month="2026-10",
        generated_at=GENERATED, catalog_version="2026.3", contacts_version="2026.2",
        lang=lang, fingerprint="",
    )
    base.update(kw)
    return ReportMeta(**base)


def riga_naive(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.astimezone(RIGA).replace(tzinfo=None)


def sheet_rows(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def detail_cells(wb, lang: str = "lv") -> list[list]:
    """The request rows' cells in COLUMN_KEYS order, joined from the three detail sheets by number."""
    names = ("Pieteikumi", "Termiņi", "Gaita") if lang == "lv" else ("Requests", "Deadlines", "Progress")
    heads = dict(zip(headers(lang), COLUMN_KEYS))
    joined: dict[str, dict] = {}
    order = []
    for name in names:
        ws = wb[name]
        keys = [heads[c.value] for c in ws[1]]
        for cells in ws.iter_rows(min_row=2):
            number = cells[0].value
            if number not in joined:
                joined[number] = {}
                order.append(number)
            for key, c in zip(keys, cells):
                joined[number][key] = c
    return [[joined[n].get(k) for k in COLUMN_KEYS] for n in order]


def detail_rows(wb, lang: str = "lv") -> list[tuple]:
    """Header and rows of the requests in COLUMN_KEYS order (the CSV's layout)."""
    rows = [tuple(None if c is None else c.value for c in r) for r in detail_cells(wb, lang)]
    return [tuple(headers(lang))] + rows


def find_row(ws, label: str, start: int = 1) -> tuple:
    for row in ws.iter_rows(min_row=start, values_only=True):
        if row and row[0] == label:
            return row
    raise AssertionError(f"no row labelled {label!r}")


def find_row_index(ws, label: str) -> int:
    for i, row in enumerate(ws.iter_rows(values_only=True), 1):
        if row and row[0] == label:
            return i
    raise AssertionError(f"no row labelled {label!r}")


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "pd-2026-10-VP.xlsx"
    rows = sample_rows()
    summary = write_institution_workbook(path, meta(), rows)
    return path, rows, summary


# --------------------------------------------------------------------------
# Months

def test_month_bounds_are_riga_midnights_in_utc():
    start, end = month_bounds("2026-10")
    assert start == utc(2026, 9, 30, 21, 0)  # 00:00 EEST (+03:00)
    assert end == utc(2026, 10, 31, 22, 0)  # 00:00 EET (+02:00): DST ended on 25.10.
    assert start.tzinfo is not None and end.tzinfo is not None
    assert end - start == timedelta(days=31, hours=1)


def test_month_bounds_edges_of_october():
    start, end = month_bounds("2026-10")
    late = datetime(2026, 10, 31, 23, 30, tzinfo=RIGA).astimezone(UTC)
    assert late == utc(2026, 10, 31, 21, 30)
    assert start <= late < end
    after = datetime(2026, 11, 1, 0, 30, tzinfo=RIGA).astimezone(UTC)
    assert not (start <= after < end)
    before = datetime(2026, 9, 30, 23, 59, tzinfo=RIGA).astimezone(UTC)
    assert before < start
    # The doubled hour on the last Sunday of October is inside the month.
    for fold in (0, 1):
        t = datetime(2026, 10, 25, 3, 30, fold=fold, tzinfo=RIGA).astimezone(UTC)
        assert start <= t < end


def test_month_bounds_march_and_year_end():
    start, end = month_bounds("2026-03")
    assert (start, end) == (utc(2026, 2, 28, 22, 0), utc(2026, 3, 31, 21, 0))
    assert end - start == timedelta(days=31, hours=-1)
    start, end = month_bounds("2026-12")
    assert (start, end) == (utc(2026, 11, 30, 22, 0), utc(2026, 12, 31, 22, 0))


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-10", "2026/10", "", "2026-00"])
def test_month_bounds_refuses_bad_months(bad):
    with pytest.raises(ValueError):
        month_bounds(bad)


def test_previous_month_and_labels():
    assert previous_month(date(2026, 11, 1)) == "2026-10"
    assert previous_month(date(2026, 1, 31)) == "2025-12"
    assert month_label("2026-10", "lv") == "2026. gada oktobris"
    assert month_label("2026-10", "en") == "October 2026"
    assert month_label("2027-02", "lv") == "2027. gada februāris"


# --------------------------------------------------------------------------
# Summary and fingerprint

def test_summarize_counts_from_the_rows():
    rows = sample_rows()
    s = summarize(rows)
    assert s["total"] == len(rows) == 7
    assert s["by_status"] == {
        "registered": 0, "assigned": 1, "in_progress": 1, "returned": 0,
        "waiting_user": 0, "resolved": 1, "closed": 3, "refused": 1,
    }
    assert s["by_channel"] == {"phone": 3, "fax": 1, "email": 2, "other": 1}
    # Latvian order of the names: cukurs < Čipkartes < Datora < E-pasta < Šifrēšanas
    assert list(s["by_service"]) == ["C02", "C01", "H01", "E01", "S02"]
    assert s["by_service"] == {"C02": 1, "C01": 1, "H01": 3, "E01": 1, "S02": 1}
    assert s["response"] == {"met": 4, "not_met": 2, "decided": 6, "share": 4 / 6, "pending": 0, "no_deadline": 1}
    assert s["resolution"] == {"met": 3, "not_met": 1, "decided": 4, "share": 0.75, "pending": 0, "no_deadline": 3}
    # Hours only within one calendar: working hours and clock hours are not added up.
    working, clock = s["resolve_hours"]
    assert (working["calendar"], working["working_time"]) == ("Darba laiks", True)
    assert (clock["calendar"], clock["working_time"]) == ("Visu diennakti", False)
    hours = [9.5, 2.0, 4.75]
    assert working["count"] == 3 and clock["count"] == 1
    assert working["median"] == statistics.median(hours) == 4.75
    assert working["mean"] == pytest.approx(statistics.mean(hours))
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert working["p90"] == pytest.approx(p90)
    assert clock["median"] == clock["mean"] == 21.25
    # Per service and calendar: H01 has two working-time rows and the round-the-clock one.
    h01 = [m for m in s["services"] if m["code"] == "H01"]
    assert [(m["calendar"], m["count"]) for m in h01] == [("Darba laiks", 2), ("Visu diennakti", 1)]
    assert {k: h01[1]["resolution"][k] for k in ("met", "not_met", "decided", "share")} == {
        "met": 0, "not_met": 1, "decided": 1, "share": 0.0}
    # Per expert group and calendar; the refused request never went to an expert.
    groups = {(g["group"], g["calendar"]): g["count"] for g in s["groups"]}
    assert groups == {("Gunta Siliņa", "Visu diennakti"): 1, ("Valdis Kalējs", "Darba laiks"): 6}
    assert s["escalations"] == {"not_accepted": 1, "unjustified_rejection": 1, "overdue": 2}
    assert s["escalated_requests"] == 3
    assert s["open_by_age"] is None  # no month end given


def test_summarize_empty():
    s = summarize([], end=utc(2026, 10, 31, 22, 0))
    assert s["total"] == 0
    assert s["response"]["share"] is None
    assert s["resolve_hours"] == [] and s["services"] == [] and s["groups"] == []
    assert s["by_service"] == {}
    assert s["open_by_age"] == {"1d": 0, "3d": 0, "7d": 0, "30d": 0, "more": 0}


def test_open_requests_by_age_at_the_month_end():
    end = utc(2026, 10, 31, 22, 0)  # 1 November 00:00 in Riga
    rows = [
        make_row(1, status="assigned", received_at=end - timedelta(hours=3)),        # up to 1 day
        make_row(2, status="in_progress", received_at=end - timedelta(days=1)),      # exactly 1 day
        make_row(3, status="waiting_user", received_at=end - timedelta(days=2)),     # 1-3
        make_row(4, status="registered", received_at=end - timedelta(days=10)),      # 7-30
        make_row(5, status="returned", received_at=end - timedelta(days=45)),        # more
        make_row(6, status="closed", received_at=end - timedelta(days=45)),          # not open
        make_row(7, status="resolved", received_at=end - timedelta(days=5)),         # not open
        make_row(8, status="refused", received_at=end - timedelta(days=5)),          # not open
    ]
    s = summarize(rows, end=end)
    assert s["open_by_age"] == {"1d": 2, "3d": 1, "7d": 0, "30d": 1, "more": 1}


def test_fingerprint_is_canonical():
    rows = sample_rows()
    fp = fingerprint(rows)
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    assert fingerprint(list(reversed(rows))) == fp
    changed = [r if r.number != "2026-000003" else make_row(3) for r in rows]
    assert fingerprint(changed) != fp
    b = SummaryBuilder(fingerprint=True)
    for r in sorted(rows, key=lambda r: r.number):
        b.add(r)
    assert b.fingerprint() == fp
    # The same instant in another zone is the same row.
    moved = [
        r if r.number != "2026-000001"
        else make_row(1, status="assigned", response_met=False,
                      escalations=("not_accepted", "overdue"),
                      received_at=datetime(2026, 10, 31, 23, 30, tzinfo=RIGA))
        for r in rows
    ]
    assert fingerprint(moved) == fp


# --------------------------------------------------------------------------
# The institution workbook

def test_requests_sheet_layout(workbook):
    path, rows, _summary = workbook
    wb = openpyxl.load_workbook(path)
    # (no escalation rows given: those sheets are left out rather than print a header over nothing)
    assert wb.sheetnames == ["Kopsavilkums", "Neizpildītie", "Pakalpojumi", "Pa ekspertu vadītājiem",
                             "Struktūrvienības", "Tendence", "Pieteikumi", "Termiņi", "Gaita", "Skaidrojumi"]
    assert wb.active.title == "Kopsavilkums"
    ws = wb["Pieteikumi"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Numurs", "Saņemts", "Kanāls"]
    assert "Statuss mēneša beigās" in header and "Steidzams" in header
    dl = [c.value for c in wb["Termiņi"][1]]
    assert dl[0] == "Numurs"
    # the deadlines themselves, how late, and the escalation level (issue 20)
    for want in ("Reaģēšanas termiņš", "Izskatīšanas termiņš", "Plānotais datums", "Nokavēts, dienas",
                 "Eskalācijas līmenis", "Reaģēšanas termiņš ievērots"):
        assert want in dl
    progress = [c.value for c in wb["Gaita"][1]]
    assert "Rezultāts vai atteikuma iemesls" in progress and "Kavējuma iemesls" in progress
    # between them, every column of the CSV
    assert set(header) | set(dl) | set(progress) == set(headers("lv"))
    for name in ("Pieteikumi", "Termiņi", "Gaita"):
        ws = wb[name]
        assert all(c.font.b for c in ws[1])
        assert ws.freeze_panes == "B2"
        assert ws.auto_filter.ref == f"A1:{get_column_letter(ws.max_column)}{len(rows) + 1}"
        numbers = [r[0] for r in sheet_rows(ws)[1:]]
        assert numbers == sorted(r.number for r in rows)
    assert wb["Pieteikumi"].column_dimensions["J"].width >= 28  # the description


def test_requests_sheet_values_and_types(workbook):
    path, rows, _summary = workbook
    wb = openpyxl.load_workbook(path)
    col = {k: i for i, k in enumerate(COLUMN_KEYS)}
    by_number = {r.number: r for r in rows}
    for cells in detail_cells(wb):
        values = [c.value for c in cells]
        r = by_number[values[0]]
        for key in ("received_at", "accepted_at", "resolved_at", "closed_at"):
            v = values[col[key]]
            assert v == riga_naive(getattr(r, key))
            if v is not None:
                assert isinstance(v, datetime)
                assert cells[col[key]].number_format == "dd.mm.yyyy hh:mm"
        hours = values[col["resolve_hours"]]
        if r.resolve_hours is None:
            assert hours is None
        else:
            assert isinstance(hours, (int, float)) and hours == r.resolve_hours
            assert cells[col["resolve_hours"]].number_format == "0.0"
        assert values[col["calendar"]] == r.calendar
        assert values[col["expert_group"]] == (r.expert_group or None)
        assert values[col["requester_name"]] == r.requester_name
        assert values[col["service_code"]] == r.service_code
        met = {None: None, True: "Jā", False: "Nē"}
        assert values[col["response_met"]] == met[r.response_met]
        assert values[col["resolution_met"]] == met[r.resolution_met]
    rows_by_number = {row[0]: row for row in detail_rows(wb)[1:]}
    # Riga time: 21:30 UTC on 31 October is 23:30 in Riga; both 03:30 of 25 October.
    assert rows_by_number["2026-000001"][1] == datetime(2026, 10, 31, 23, 30)
    assert rows_by_number["2026-000009"][1] == datetime(2026, 10, 25, 3, 30)
    assert rows_by_number["2026-000002"][1] == datetime(2026, 10, 25, 3, 30)
    # Labels, the shortened description, the escalations joined
    one = rows_by_number["2026-000001"]
    assert one[col["status"]] == "nodots ekspertam"
    assert one[col["channel"]] == "tālrunis"
    assert one[col["escalations"]] == (
        "eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai; "
        "pārsniegts pieteikuma izskatīšanas termiņš"
    )
    seven = rows_by_number["2026-000007"][col["description"]]
    assert len(seven) == 121 and seven.endswith("…")
    assert rows_by_number["2026-000012"][col["status"]] == "noraidīts (nav Centra kompetencē)"


def test_latvian_text_round_trips(workbook):
    path, _rows, _summary = workbook
    three = {row[0]: row for row in detail_rows(openpyxl.load_workbook(path))}["2026-000003"]
    assert three[COLUMN_KEYS.index("requester_name")] == f"Ņina Ķēniņa {LATVIAN}"
    assert three[COLUMN_KEYS.index("outcome")] == f"Nomainīts barošanas bloks. {LATVIAN}"


def test_text_starting_with_equals_is_not_a_formula(workbook):
    path, _rows, _summary = workbook
    ws = openpyxl.load_workbook(path)["Pieteikumi"]
    for cells in ws.iter_rows(min_row=2):
        if cells[0].value == "2026-000005":
            c = cells[COLUMN_KEYS.index("description")]
            assert c.data_type == "s"
            assert c.value == '=HYPERLINK("http://x") mēģinājums'
            break
    else:
        raise AssertionError("row 2026-000005 missing")


def test_control_characters_and_line_breaks_are_cleaned(tmp_path):
    from decimal import Decimal

    row = make_row(1, description="Rinda viens\r\nrinda\tdivi\x07 zvans\x00",
                   requester_name="  Ģirts\u00a0Ķuzis ", resolve_hours=Decimal("3.25"),
                   outcome="x" * 40000)
    path = tmp_path / "c.xlsx"
    write_institution_workbook(path, meta(), [row])
    got = detail_rows(openpyxl.load_workbook(path))[1]
    assert got[COLUMN_KEYS.index("description")] == "Rinda viens rinda divi zvans"
    assert got[COLUMN_KEYS.index("requester_name")] == "Ģirts Ķuzis"
    assert got[COLUMN_KEYS.index("resolve_hours")] == 3.25
    assert len(got[COLUMN_KEYS.index("outcome")]) <= 32767
    json.dumps(rows_to_json([row], meta()))  # Decimal hours become a float


def test_summary_sheet_numbers_recomputed_from_rows(workbook):
    path, rows, summary = workbook
    ws = openpyxl.load_workbook(path)["Kopsavilkums"]
    assert find_row(ws, "Pieteikumi šajā pārskatā")[1] == len(rows)
    status_label = {"assigned": "nodots ekspertam", "in_progress": "pieņemts izskatīšanai",
                    "resolved": "izpildīts", "closed": "slēgts",
                    "refused": "noraidīts (nav Centra kompetencē)", "registered": "reģistrēts"}
    for status, lbl in status_label.items():
        assert find_row(ws, lbl)[1] == sum(r.status == status for r in rows), status
    for channel, lbl in {"phone": "tālrunis", "fax": "fakss", "email": "e-pasts", "other": "cits"}.items():
        assert find_row(ws, lbl)[1] == sum(r.channel == channel for r in rows)

    decided = [r.response_met for r in rows if r.response_met is not None]
    resp = find_row(ws, "Reaģēšanas termiņš")
    assert resp[1:4] == (sum(decided), len(decided) - sum(decided), len(decided))
    assert resp[4] == pytest.approx(sum(decided) / len(decided))
    decided = [r.resolution_met for r in rows if r.resolution_met is not None]
    reso = find_row(ws, "Izskatīšanas termiņš")
    assert reso[1:4] == (sum(decided), len(decided) - sum(decided), len(decided))
    assert reso[4] == pytest.approx(sum(decided) / len(decided))
    wb = openpyxl.load_workbook(path)
    share_cell = wb["Kopsavilkums"].cell(find_row_index(wb["Kopsavilkums"], "Reaģēšanas termiņš"), 5)
    assert share_cell.number_format == "0.0%"

    # Resolution time per calendar, each in its own hours: count, mean, median, P90
    hours = sorted(r.resolve_hours for r in rows if r.resolve_hours is not None and r.working_time)
    working = find_row(ws, "Darba laiks (darba stundas)")
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert working[1:5] == pytest.approx((len(hours), statistics.mean(hours), statistics.median(hours), p90))
    clock = find_row(ws, "Visu diennakti (diennakts stundas)")
    assert clock[1:5] == pytest.approx((1, 21.25, 21.25, 21.25))
    assert not any("working hours" in str(v) or "darba stundas" in str(v)
                   for v in find_row(ws, "Visu diennakti (diennakts stundas)"))

    for reason, lbl in {"not_accepted": "Eskalēts: nav apstiprināta pieņemšana",
                        "unjustified_rejection": "Eskalēts: nepamatots noraidījums",
                        "overdue": "Eskalēts: pārsniegts termiņš"}.items():
        assert find_row(ws, lbl)[1] == sum(r.escalations.count(reason) for r in rows)
    assert find_row(ws, "Pieteikumi ar eskalāciju šajā mēnesī")[1] == sum(bool(r.escalations) for r in rows)

    # Per service and calendar, in Latvian order of the names (the services sheet)
    svc = openpyxl.load_workbook(path)["Pakalpojumi"]
    table = []
    for row in svc.iter_rows(min_row=2, values_only=True):
        if not row[0]:
            break  # the table ends at the first blank row (a note follows)
        table.append(row[:4])
    names = {r.service_code: r.service_name for r in rows}
    expected = sorted(
        ((code, names[code], f"{cal} ({'darba stundas' if w else 'diennakts stundas'})",
          sum(r.service_code == code and r.calendar == cal for r in rows))
         for code, cal, w in {(r.service_code, r.calendar, r.working_time) for r in rows}),
        key=lambda t: (lv_sort_key(t[1]), t[2] != "Darba laiks (darba stundas)"),
    )
    assert table == expected
    assert [t[1] for t in table][:3] == ["cukurs", "Čipkartes lasītājs", "Datora bojājums"]
    assert summary["total"] == len(rows)
    # the fingerprint is on the technical sheet, not on the management's summary
    notes = openpyxl.load_workbook(path)["Skaidrojumi"]
    assert find_row(notes, "Kontrolsumma (SHA-256)")[1] == summary["fingerprint"] == fingerprint(rows)
    assert not any("SHA-256" in str(v) or "pd audit" in str(v) for row in ws.iter_rows(values_only=True)
                   for v in row if v is not None)


def test_summary_charts_reference_the_summary_tables(workbook):
    path, _rows, _summary = workbook
    ws = openpyxl.load_workbook(path)["Kopsavilkums"]
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" in names
        charts = [z.read(f"xl/charts/chart{i}.xml").decode() for i in (1, 2)]
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "drawing1.xml" in rels  # the drawing hangs on the summary sheet (the first)
        drawing_rels = z.read("xl/drawings/_rels/drawing1.xml.rels").decode()
        assert "chart1.xml" in drawing_rels and "chart2.xml" in drawing_rels
    deadlines, ages = charts
    assert "<barChart>" in deadlines and "<barChart>" in ages
    d = find_row_index(ws, "Reaģēšanas termiņš")
    assert f"'Kopsavilkums'!$B${d}:$B${d + 1}" in deadlines  # met
    assert f"'Kopsavilkums'!$C${d}:$C${d + 1}" in deadlines  # not met
    assert f"'Kopsavilkums'!$A${d}:$A${d + 1}" in deadlines  # categories
    a = find_row_index(ws, "līdz 1 dienai")
    assert f"'Kopsavilkums'!$B${a}:$B${a + 4}" in ages
    assert f"'Kopsavilkums'!$A${a}:$A${a + 4}" in ages
    for chart in charts:
        assert '<delete val="0"' in chart  # axes visible in Excel
        assert '<tickLblSkip val="1"' in chart  # every category label
        assert 'numFmt formatCode="0"' in chart and "<majorUnit val=" in chart  # integer axis
        assert 'typeface="Arial"' in chart  # the workbook's one font family


def test_document_properties(workbook):
    path, rows, summary = workbook
    wb = openpyxl.load_workbook(path)
    p = wb.properties
    fp = fingerprint(rows)
    assert p.title == "Ikmēneša pārskats 2026-10 — VP"
    assert "Valsts policija" in p.subject and "2026. gada oktobris" in p.subject
    for text in (p.description, p.keywords):
        assert fp in text and "2026.3" in text and "2026.2" in text and "2026-10" in text
    assert "VP" in p.keywords
    assert "01.11.2026 08:00" in p.description  # generated at, Riga time
    custom = {prop.name: prop.value for prop in wb.custom_doc_props}
    assert custom["pd.institution"] == "VP"
    assert custom["pd.month"] == "2026-10"
    assert custom["pd.catalog_version"] == "2026.3"
    assert custom["pd.contacts_version"] == "2026.2"
    assert custom["pd.fingerprint"] == fp == summary["fingerprint"]
    assert custom["pd.generated_at"] == "2026-11-01T08:00:00+02:00"


def test_regenerated_workbook_has_the_same_fingerprint(tmp_path):
    a = write_institution_workbook(tmp_path / "a.xlsx", meta(), sample_rows())
    b = write_institution_workbook(tmp_path / "b.xlsx", meta(), list(reversed(sample_rows())))
    assert a["fingerprint"] == b["fingerprint"]


def test_empty_month_gives_a_valid_workbook(tmp_path):
    path = tmp_path / "empty.xlsx"
    s = write_institution_workbook(path, meta(), [], end=utc(2026, 10, 31, 22, 0))
    assert s["total"] == 0
    wb = openpyxl.load_workbook(path)
    # one page that says so: no empty tables, no charts of zeros
    assert wb.sheetnames == ["Kopsavilkums"] and wb.active.title == "Kopsavilkums"
    summary = wb["Kopsavilkums"]
    assert find_row(summary, "Pieteikumi šajā pārskatā")[1] == 0
    text = " ".join(r[0] for r in summary.iter_rows(min_row=6, values_only=True) if r[0])
    assert text == "Šajā mēnesī iestādei nebija neviena pieteikuma: ne saņemta, ne atvērta no iepriekšējiem mēnešiem."
    assert summary.max_row < 12
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert not [n for n in z.namelist() if n.startswith("xl/charts/")]


def test_streamed_rows_must_be_in_number_order(tmp_path):
    rows = sorted(sample_rows(), key=lambda r: r.number)
    s = write_institution_workbook(tmp_path / "ok.xlsx", meta(), iter(rows))
    assert s["total"] == len(rows)
    with pytest.raises(ValueError, match="ordered by number"):
        write_institution_workbook(tmp_path / "bad.xlsx", meta(), iter(reversed(rows)))
    assert not (tmp_path / "bad.xlsx").exists()
    assert not list(tmp_path.glob(".*part*"))


def test_totals_builder_collects_across_institutions(tmp_path):
    totals = SummaryBuilder()
    rows = sample_rows()
    write_institution_workbook(tmp_path / "a.xlsx", meta(), rows[:3], totals=totals)
    write_institution_workbook(tmp_path / "b.xlsx", meta(), rows[3:], totals=totals)
    assert totals.result() == summarize(rows)
    end = utc(2026, 10, 31, 22, 0)
    totals = SummaryBuilder(end=end)
    write_institution_workbook(tmp_path / "c.xlsx", meta(), rows[:3], totals=totals, end=end)
    write_institution_workbook(tmp_path / "d.xlsx", meta(), rows[3:], totals=totals, end=end)
    assert totals.result() == summarize(rows, end=end)


def test_english_workbook(tmp_path):
    path = tmp_path / "en.xlsx"
    write_institution_workbook(path, meta("en"), sample_rows())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Open", "Services", "By experts' manager", "Units", "Trend",
                             "Requests", "Deadlines", "Progress", "Definitions"]
    ws = wb["Requests"]
    assert [c.value for c in ws[1]][:3] == ["Number", "Received", "Channel"]
    assert wb.properties.title == "Monthly report 2026-10 — VP"
    assert find_row(wb["Summary"], "Requests in this report")[1] == 7
    assert find_row(wb["Summary"], "Received this month")[1] == 7
    # Working hours only where the calendar is working time
    find_row(wb["Summary"], "Darba laiks (working hours)")
    find_row(wb["Summary"], "Visu diennakti (clock hours)")
    one = {row[0]: row for row in detail_rows(wb, "en")}["2026-000001"]
    assert one[COLUMN_KEYS.index("response_met")] == "No"


def _escalation_rows() -> list:
    from pd.report.ledger import EscalationRow

    return [
        EscalationRow(number="2026-000003", institution="VP", at=utc(2026, 10, 6, 9, 15), level=1,
                      reason="overdue", expert="Gunta Šteina", manager="Valdis Kalējs",
                      service_name="Datora bojājums"),
        EscalationRow(number="2026-000001", institution="VP", at=utc(2026, 10, 31, 21, 45), level=2,
                      reason="not_accepted", expert="", manager="R&D <vadītājs> \"Ķ\"",
                      service_name="=SUM(A1) " + "ļoti garš nosaukums " * 4),
    ]


def _all_cells(path) -> dict:
    """Every sheet's cells as a reader sees them (value, type, format, font, alignment, fill) and its
    row heights."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = [[(c.coordinate, c.value, c.data_type, c.number_format, c.font.name, c.font.sz, c.font.b,
                   c.font.i, c.alignment.wrap_text, c.alignment.vertical, c.fill.fill_type,
                   c.fill.fgColor.rgb if c.fill.fill_type else None)
                  for c in row if c.value is not None or c.has_style]
                 for row in ws.iter_rows()]
        heights = {k: (d.height, d.customHeight) for k, d in ws.row_dimensions.items() if d.height}
        out[ws.title] = (cells, heights, ws.auto_filter.ref, ws.freeze_panes, ws.print_title_rows)
    return out


def test_public_api_path_writes_the_same_workbook(tmp_path, monkeypatch):
    """The rows written as XML (FAST_ROWS) read back as openpyxl's public API writes them."""
    assert report_xlsx.FAST_ROWS  # openpyxl 3.1 with lxml, as pinned: the fast path is the one in use
    rows = sample_rows() + [
        make_row(20, requester_name="A & B <c> \"d\" 'e'", description="x < y && z > 0 ]]> &amp;",
                 calendar="Darba <laiks> & co", outcome=" ".join(["garš"] * 200), resolve_hours=0.0,
                 accepted_at=utc(2026, 10, 5, 8, 0), resolved_at=utc(2026, 10, 5, 8, 0),
                 status="resolved", response_met=True, resolution_met=True),
        make_row(21, requester_name="", requester_unit="", expert="", expert_group="", channel="email",
                 received_at=datetime(2026, 10, 3, 4, 5, 6, 789000, tzinfo=UTC)),
    ]

    def write(tag):
        write_institution_workbook(tmp_path / f"{tag}.xlsx", meta(), rows, escalations=_escalation_rows())
        write_overview_workbook(tmp_path / f"{tag}-o.xlsx", meta(), [("VP", "Valsts policija", summarize(rows))],
                                [r for r in rows if r.status == "refused"], escalations=_escalation_rows())
    write("fast")
    monkeypatch.setattr(report_xlsx, "FAST_ROWS", False)
    write("slow")
    for a, b in (("fast", "slow"), ("fast-o", "slow-o")):
        ca, cb = _all_cells(tmp_path / f"{a}.xlsx"), _all_cells(tmp_path / f"{b}.xlsx")
        assert list(ca) == list(cb)
        for name in ca:
            assert ca[name] == cb[name], name
    fast = _all_cells(tmp_path / "fast.xlsx")
    texts = {c[1] for row in fast["Pieteikumi"][0] for c in row}
    assert "A & B <c> \"d\" 'e'" in texts and "x < y && z > 0 ]]> &amp;" in texts
    esc = fast["Eskalācijas"][0]
    assert esc[2][0][1] == datetime(2026, 10, 31, 23, 45)  # Riga wall-clock time (winter, +02:00)
    assert esc[2][5][1] == "R&D <vadītājs> \"Ķ\""
    assert fast["Eskalācijas"][1] == {1: (27.0, True), 3: (52.5, True)}  # 4 lines for the long service name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=60), min_size=3, max_size=3))
def test_any_text_round_trips_through_the_xml_rows(tmp_path, texts):
    """Whatever a person typed is written as well-formed XML and reads back as clean_text made it."""
    name, description, outcome = texts
    row = make_row(1, requester_name=name, description=description, outcome=outcome, status="closed")
    path = tmp_path / "t.xlsx"
    write_institution_workbook(path, meta(), [row])
    got = detail_rows(openpyxl.load_workbook(path))[1]
    assert got[COLUMN_KEYS.index("requester_name")] == (clean_text(name) or None)
    assert got[COLUMN_KEYS.index("description")] == (shorten(description) or None)
    assert got[COLUMN_KEYS.index("outcome")] == (clean_text(outcome) or None)


# --------------------------------------------------------------------------
# CSV and JSON: the same rows and columns as the sheet

def _sheet_as_text(path) -> list[list[str]]:
    """The request sheets as the CSV should spell them (hours with a decimal comma)."""
    hours = COLUMN_KEYS.index("resolve_hours")
    out = []
    for row in detail_rows(openpyxl.load_workbook(path)):
        line = []
        for i, v in enumerate(row):
            if v is None:
                line.append("")
            elif isinstance(v, datetime):
                line.append(v.strftime("%d.%m.%Y %H:%M"))
            elif i == hours and isinstance(v, (int, float)):
                line.append(repr(float(v)).replace(".", ","))  # 2.0 comes back from the sheet as 2
            else:
                line.append(str(v))
        out.append(line)
    return out


def test_csv_rows_equal_the_sheet(workbook):
    path, rows, _summary = workbook
    buf = io.StringIO(newline="")
    assert write_csv(buf, rows, "lv") == len(rows)
    parsed = list(csv.reader(io.StringIO(buf.getvalue()), delimiter=";"))
    sheet = _sheet_as_text(path)
    assert parsed[0] == headers("lv") == sheet[0]
    assert len(parsed) == len(sheet)
    desc = COLUMN_KEYS.index("description")
    for got, want in zip(parsed[1:], sheet[1:]):
        if want[desc].startswith("="):
            # A spreadsheet must not run it: the CSV guards it with an apostrophe.
            assert got[desc] == "'" + want[desc]
            got[desc] = want[desc]
        assert got == want


def test_json_rows_equal_the_sheet(workbook):
    path, rows, _summary = workbook
    doc = rows_to_json(rows, meta())
    json.dumps(doc, ensure_ascii=False)  # serialisable as it is
    assert [c["key"] for c in doc["columns"]] == list(COLUMN_KEYS)
    assert [c["label"] for c in doc["columns"]] == headers("lv")
    assert doc["fingerprint"] == fingerprint(rows)
    assert doc["summary"] == summarize(rows)
    assert doc["audit_anchor"] == meta().anchor
    assert doc["month_label"] == "2026. gada oktobris"
    assert doc["generated_at"] == "2026-11-01T08:00:00+02:00"
    sheet = detail_rows(openpyxl.load_workbook(path))[1:]
    assert len(doc["rows"]) == len(sheet)
    for obj, row in zip(doc["rows"], sheet):
        assert list(obj) == list(COLUMN_KEYS)
        for key, want in zip(COLUMN_KEYS, row):
            got = obj[key]
            if key.endswith("_at") and got is not None:
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00", got)
                got = datetime.fromisoformat(got).replace(tzinfo=None)  # Riga wall clock
            if got == "":
                got = None
            assert got == want, key
    one = next(o for o in doc["rows"] if o["number"] == "2026-000001")
    assert one["received_at"] == "2026-10-31T23:30:00+02:00"
    nine = next(o for o in doc["rows"] if o["number"] == "2026-000009")
    assert nine["received_at"] == "2026-10-25T03:30:00+03:00"


def test_row_to_dict_in_english():
    d = row_to_dict(sample_rows()[1], "en")
    assert d["status"] == "resolved" and d["channel"] == "fax"
    assert d["response_met"] == "Yes" and d["resolution_met"] == "No"
    assert d["escalations"] == "the resolution deadline has passed"


# --------------------------------------------------------------------------
# The overview workbook

def test_overview_workbook(tmp_path):
    rows = sample_rows()
    vrs_rows = [make_row(100 + i, institution="VRS", status="closed", response_met=True,
                         resolution_met=bool(i % 2), resolve_hours=float(i + 1),
                         requester_name="Žanis Ūdris")
                for i in range(4)]
    totals = SummaryBuilder()
    out = tmp_path
    s_vp = write_institution_workbook(out / "vp.xlsx", meta(), rows, totals=totals)
    s_vrs = write_institution_workbook(
        out / "vrs.xlsx", meta(institution_code="VRS", institution_name="Valsts robežsardze"),
        vrs_rows, totals=totals,
    )
    refused = [r for r in rows + vrs_rows if r.status == "refused"]
    path = out / "pd-2026-10-overview.xlsx"
    write_overview_workbook(
        path, meta(institution_code="", institution_name=""),
        [("VP", "Valsts policija", s_vp), ("VRS", "Valsts robežsardze", s_vrs)],
        refused, total=totals.result(),
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Kopsavilkums", "Iestādes", "Iestādes pa statusiem", "Pakalpojumi",
                             "Pa ekspertu vadītājiem", "Tendence", "Noraidītie", "Skaidrojumi"]
    assert wb.active.title == "Kopsavilkums"
    ws = wb["Iestādes"]
    table = sheet_rows(ws)
    header = table[0]
    assert header[:6] == ("Kods", "Iestāde", "Pieteikumi šajā pārskatā", "Saņemti šajā mēnesī",
                          "Pārnesti no iepriekšējiem mēnešiem", "Neizpildīti mēneša beigās")
    assert all(c.font.b for c in ws[1])
    assert ws.auto_filter.ref.startswith("A1:") and ws.auto_filter.ref.endswith("3")
    col = {h: i for i, h in enumerate(header)}
    vp, vrs, total = table[1], table[2], table[3]
    assert (vp[0], vrs[0], total[0]) == ("VP", "VRS", "Kopā")
    assert vp[col["Pieteikumi šajā pārskatā"]] == 7 and vrs[col["Pieteikumi šajā pārskatā"]] == 4
    assert total[col["Pieteikumi šajā pārskatā"]] == 11
    assert vrs[col["Izskatīšanas termiņš ievērots, %"]] == pytest.approx(0.5)
    assert total[col["Eskalācijas kopā"]] == 4 and total[col["Pieteikumi ar eskalāciju šajā mēnesī"]] == 3
    states = sheet_rows(wb["Iestādes pa statusiem"])
    scol = {h: i for i, h in enumerate(states[0])}
    assert states[1][scol["slēgts"]] == 3 and states[2][scol["slēgts"]] == 4 and states[3][scol["slēgts"]] == 7
    # The Centre-wide resolution time per calendar, from every row
    all_hours = [r.resolve_hours for r in rows + vrs_rows if r.resolve_hours is not None and r.working_time]
    working = find_row(wb["Kopsavilkums"], "Darba laiks (darba stundas)")
    assert working[1] == len(all_hours)
    assert working[3] == pytest.approx(statistics.median(all_hours))
    assert ws.cell(2, col["Reaģēšanas termiņš ievērots, %"] + 1).number_format == "0.0%"

    ref = sheet_rows(wb["Noraidītie"])
    assert ref[0][:3] == ("Numurs", "Iestāde", "Saņemts")
    assert ref[0][-1] == "Atteikuma iemesls"
    assert [r[0] for r in ref[1:]] == ["2026-000012"]
    assert ref[1][1] == "VP"
    assert isinstance(ref[1][2], datetime)
    assert ref[1][-1].startswith("Nav Centra kompetencē")
    assert wb["Noraidītie"].freeze_panes == "A2"

    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]
        assert any("'Iestādes'!$C$2:$C$3" in chart for chart in charts)
    assert wb.properties.title == "Ikmēneša pārskats 2026-10 — visas iestādes"


def test_overview_without_total_adds_counts_up(tmp_path):
    rows = sample_rows()
    s = summarize(rows)
    path = tmp_path / "o.xlsx"
    write_overview_workbook(path, meta(), [("VP", "Valsts policija", s), ("VRS", "Valsts robežsardze", s)], [])
    wb = openpyxl.load_workbook(path)
    table = sheet_rows(wb["Iestādes"])
    assert table[3][2] == 14
    # medians cannot be combined from medians: no resolution times without the rows
    summary = wb["Kopsavilkums"]
    start = find_row_index(summary, "Izpildes laiks pēc kalendāra")
    assert summary.cell(start + 1, 1).value.startswith("Stundas skaita")  # the note, no rows
    assert "Noraidītie" not in wb.sheetnames  # none refused: no sheet of an empty table


# --------------------------------------------------------------------------
# Row heights: a printed row shows every line of its wrapped text

@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.text(alphabet="abcāčēģīķļņšūž;,.", min_size=1, max_size=12), min_size=1, max_size=30),
       per_line=st.integers(12, 40))
def test_wrap_count_is_the_lines_of_a_word_wrap(words, per_line):
    """As many lines as a greedy word wrap gives (textwrap, whole words), up to the row's cap."""
    import textwrap

    from pd.report.xlsx import _MAX_LINES, _wrap_count

    text = " ".join(words)
    assert _wrap_count(text, per_line) == min(len(textwrap.wrap(text, per_line)), _MAX_LINES)


def test_a_description_that_wraps_to_three_lines_gets_a_three_line_row(tmp_path):
    """66 characters in a 33-character column: two lines by length, three as wrapped (the printed
    row used to cut off "neparādās.")."""
    from pd.report.xlsx import _LINE_PT, _WIDTHS

    text = "Dators neieslēdzas pēc strāvas pārrāvuma; ekrānā nekas neparādās."
    path = tmp_path / "pd-2026-10-VP.xlsx"
    write_institution_workbook(path, meta(), [make_row(1, description=text)])
    ws = openpyxl.load_workbook(path)["Pieteikumi"]
    assert _WIDTHS["description"] <= 30
    assert ws.row_dimensions[2].height >= 3 * _LINE_PT


def test_headers_over_figures_stand_right_as_the_figures_do_and_headers_are_kept_apart(workbook):
    """On paper a left-aligned "%" sat over the right edge of "100.0%"; and two wrapped headers that
    fill their columns read as one ("atgriezts gaida lietotāja"): a white line parts the header cells."""
    path, _rows, _summary = workbook
    wb = openpyxl.load_workbook(path)
    for sheet, figures_from in (("Pakalpojumi", 3), ("Pa ekspertu vadītājiem", 2), ("Tendence", 1)):
        head = next(wb[sheet].iter_rows(min_row=1, max_row=1))
        titles = [c.value for c in head if c.value]
        assert [c.alignment.horizontal for c in head[:len(titles)]] == \
            [None] * figures_from + ["right"] * (len(titles) - figures_from), sheet
        assert "%" in titles[figures_from:]
        assert all(c.border.left.color.rgb.endswith("FFFFFF") and c.border.right.style == "thin"
                   for c in head[:len(titles)])
    requests = next(wb["Pieteikumi"].iter_rows(min_row=1, max_row=1))
    assert requests[0].value == "Numurs" and requests[0].alignment.horizontal is None  # text columns stay left
    assert requests[0].border.right.style == "thin"
