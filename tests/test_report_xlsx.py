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

from pd.latvian import lv_sort_key
from pd.report import xlsx as report_xlsx
from pd.report.csv_json import rows_to_json, write_csv
from pd.report.measures import SummaryBuilder, fingerprint, summarize
from pd.report.rows import (
    COLUMN_KEYS,
    ReportMeta,
    ReportRow,
    headers,
    month_bounds,
    month_label,
    previous_month,
    row_to_dict,
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
    )
    base.update(kw)
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
            escalations=("overdue",),
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
    assert s["response"] == {"met": 4, "not_met": 2, "decided": 6, "share": 4 / 6}
    assert s["resolution"] == {"met": 3, "not_met": 1, "decided": 4, "share": 0.75}
    hours = [9.5, 21.25, 2.0, 4.75]
    assert s["resolve_hours"]["count"] == 4
    assert s["resolve_hours"]["median"] == statistics.median(hours) == 7.125
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert s["resolve_hours"]["p90"] == pytest.approx(p90)
    assert s["escalations"] == {"not_accepted": 1, "unjustified_rejection": 1, "overdue": 2}
    assert s["escalated_requests"] == 3


def test_summarize_empty():
    s = summarize([])
    assert s["total"] == 0
    assert s["response"]["share"] is None
    assert s["resolve_hours"]["median"] is None and s["resolve_hours"]["p90"] is None
    assert s["by_service"] == {}


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
    assert wb.sheetnames == ["Pieteikumi", "Kopsavilkums"]
    ws = wb["Pieteikumi"]
    header = [c.value for c in ws[1]]
    assert header == headers("lv")
    assert header[:3] == ["Numurs", "Saņemts", "Kanāls"]
    assert "Statuss mēneša beigās" in header and "Reaģēšanas termiņš ievērots" in header
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:S{len(rows) + 1}"
    assert ws.column_dimensions["I"].width >= 40  # the description
    numbers = [r[0] for r in sheet_rows(ws)[1:]]
    assert numbers == sorted(r.number for r in rows)


def test_requests_sheet_values_and_types(workbook):
    path, rows, _summary = workbook
    ws = openpyxl.load_workbook(path)["Pieteikumi"]
    col = {k: i for i, k in enumerate(COLUMN_KEYS)}
    by_number = {r.number: r for r in rows}
    for cells in ws.iter_rows(min_row=2):
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
        assert values[col["requester_name"]] == r.requester_name
        assert values[col["service_code"]] == r.service_code
        met = {None: None, True: "Jā", False: "Nē"}
        assert values[col["response_met"]] == met[r.response_met]
        assert values[col["resolution_met"]] == met[r.resolution_met]
    rows_by_number = {row[0]: row for row in sheet_rows(ws)[1:]}
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
    ws = openpyxl.load_workbook(path)["Pieteikumi"]
    three = {row[0]: row for row in sheet_rows(ws)}["2026-000003"]
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
    got = sheet_rows(openpyxl.load_workbook(path)["Pieteikumi"])[1]
    assert got[COLUMN_KEYS.index("description")] == "Rinda viens rinda divi zvans"
    assert got[COLUMN_KEYS.index("requester_name")] == "Ģirts Ķuzis"
    assert got[COLUMN_KEYS.index("resolve_hours")] == 3.25
    assert len(got[COLUMN_KEYS.index("outcome")]) <= 32767
    json.dumps(rows_to_json([row], meta()))  # Decimal hours become a float


def test_summary_sheet_numbers_recomputed_from_rows(workbook):
    path, rows, summary = workbook
    ws = openpyxl.load_workbook(path)["Kopsavilkums"]
    assert find_row(ws, "Pieteikumi kopā")[1] == len(rows)
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

    hours = sorted(r.resolve_hours for r in rows if r.resolve_hours is not None)
    assert find_row(ws, "Mediāna")[1] == pytest.approx(statistics.median(hours))
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert find_row(ws, "90. procentile")[1] == pytest.approx(p90)
    assert find_row(ws, "Izpildīto pieteikumu skaits")[1] == len(hours)

    for reason, lbl in {"not_accepted": "Eskalēts: nav apstiprināta pieņemšana",
                        "unjustified_rejection": "Eskalēts: nepamatots noraidījums",
                        "overdue": "Eskalēts: pārsniegts termiņš"}.items():
        assert find_row(ws, lbl)[1] == sum(r.escalations.count(reason) for r in rows)
    assert find_row(ws, "Eskalētie pieteikumi")[1] == sum(bool(r.escalations) for r in rows)

    # Per service, in Latvian order of the names
    start = find_row_index(ws, "Kods")
    table = [row[:3] for row in ws.iter_rows(min_row=start + 1, values_only=True) if row[0]]
    names = {r.service_code: r.service_name for r in rows}
    expected = sorted(
        ((code, names[code], sum(r.service_code == code for r in rows)) for code in names),
        key=lambda t: lv_sort_key(t[1]),
    )
    assert table == expected
    assert [t[1] for t in table][:3] == ["cukurs", "Čipkartes lasītājs", "Datora bojājums"]
    assert summary["total"] == len(rows)
    assert find_row(ws, "Kontrolsumma (SHA-256)")[1] == summary["fingerprint"] == fingerprint(rows)


def test_summary_charts_reference_the_summary_tables(workbook):
    path, _rows, _summary = workbook
    ws = openpyxl.load_workbook(path)["Kopsavilkums"]
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" in names
        charts = [z.read(f"xl/charts/chart{i}.xml").decode() for i in (1, 2)]
        rels = z.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
        assert "drawing1.xml" in rels  # the drawing hangs on the summary sheet
        drawing_rels = z.read("xl/drawings/_rels/drawing1.xml.rels").decode()
        assert "chart1.xml" in drawing_rels and "chart2.xml" in drawing_rels
    deadlines, services = charts
    assert "<barChart>" in deadlines and "<barChart>" in services
    d = find_row_index(ws, "Reaģēšanas termiņš")
    assert f"'Kopsavilkums'!$B${d}:$B${d + 1}" in deadlines  # met
    assert f"'Kopsavilkums'!$C${d}:$C${d + 1}" in deadlines  # not met
    assert f"'Kopsavilkums'!$A${d}:$A${d + 1}" in deadlines  # categories
    h = find_row_index(ws, "Kods")
    n = 5
    assert f"'Kopsavilkums'!$C${h + 1}:$C${h + n}" in services
    assert f"'Kopsavilkums'!$B${h + 1}:$B${h + n}" in services
    assert '<delete val="0"' in services  # axes visible in Excel


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
    s = write_institution_workbook(path, meta(), [])
    assert s["total"] == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["Pieteikumi"]
    assert sheet_rows(ws) == [tuple(headers("lv"))]
    assert ws.auto_filter.ref == "A1:S1"
    summary = wb["Kopsavilkums"]
    assert find_row(summary, "Pieteikumi kopā")[1] == 0
    find_row(summary, "Šajā mēnesī pieteikumu nav.")
    assert find_row(summary, "Mediāna")[1] is None
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


def test_english_workbook(tmp_path):
    path = tmp_path / "en.xlsx"
    write_institution_workbook(path, meta("en"), sample_rows())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Requests", "Summary"]
    ws = wb["Requests"]
    assert [c.value for c in ws[1]][:3] == ["Number", "Received", "Channel"]
    assert wb.properties.title == "Monthly report 2026-10 — VP"
    assert find_row(wb["Summary"], "Requests in total")[1] == 7
    one = {row[0]: row for row in sheet_rows(ws)}["2026-000001"]
    assert one[COLUMN_KEYS.index("response_met")] == "No"


def test_public_api_path_writes_the_same_workbook(tmp_path, monkeypatch):
    rows = sample_rows()
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    write_institution_workbook(fast, meta(), rows)
    write_overview_workbook(tmp_path / "fast-o.xlsx", meta(), [("VP", "Valsts policija", summarize(rows))],
                            [r for r in rows if r.status == "refused"])
    monkeypatch.setattr(report_xlsx, "FAST_ROWS", False)
    write_institution_workbook(slow, meta(), rows)
    write_overview_workbook(tmp_path / "slow-o.xlsx", meta(), [("VP", "Valsts policija", summarize(rows))],
                            [r for r in rows if r.status == "refused"])
    for a, b in ((fast, slow), (tmp_path / "fast-o.xlsx", tmp_path / "slow-o.xlsx")):
        wa, wb_ = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
        assert wa.sheetnames == wb_.sheetnames
        for name in wa.sheetnames:
            ca = [[(c.value, c.data_type, c.number_format, c.font.b) for c in row]
                  for row in wa[name].iter_rows()]
            cb = [[(c.value, c.data_type, c.number_format, c.font.b) for c in row]
                  for row in wb_[name].iter_rows()]
            assert ca == cb, name


# --------------------------------------------------------------------------
# CSV and JSON: the same rows and columns as the sheet

def _sheet_as_text(path) -> list[list[str]]:
    """The requests sheet as the CSV should spell it."""
    ws = openpyxl.load_workbook(path)["Pieteikumi"]
    hours = COLUMN_KEYS.index("resolve_hours")
    out = []
    for row in sheet_rows(ws):
        line = []
        for i, v in enumerate(row):
            if v is None:
                line.append("")
            elif isinstance(v, datetime):
                line.append(v.strftime("%d.%m.%Y %H:%M"))
            elif i == hours and isinstance(v, (int, float)):
                line.append(repr(float(v)))  # 2.0 comes back from the sheet as 2
            else:
                line.append(str(v))
        out.append(line)
    return out


def test_csv_rows_equal_the_sheet(workbook):
    path, rows, _summary = workbook
    buf = io.StringIO(newline="")
    assert write_csv(buf, rows, "lv") == len(rows)
    parsed = list(csv.reader(io.StringIO(buf.getvalue())))
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
    assert doc["month_label"] == "2026. gada oktobris"
    assert doc["generated_at"] == "2026-11-01T08:00:00+02:00"
    ws = openpyxl.load_workbook(path)["Pieteikumi"]
    sheet = sheet_rows(ws)[1:]
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
    assert wb.sheetnames == ["Iestādes", "Noraidītie"]
    ws = wb["Iestādes"]
    table = sheet_rows(ws)
    header = table[0]
    assert header[:3] == ("Kods", "Iestāde", "Pieteikumi kopā")
    assert all(c.font.b for c in ws[1])
    assert ws.auto_filter.ref.startswith("A1:") and ws.auto_filter.ref.endswith("3")
    col = {h: i for i, h in enumerate(header)}
    vp, vrs, total = table[1], table[2], table[3]
    assert (vp[0], vrs[0], total[0]) == ("VP", "VRS", "Kopā")
    assert vp[col["Pieteikumi kopā"]] == 7 and vrs[col["Pieteikumi kopā"]] == 4
    assert total[col["Pieteikumi kopā"]] == 11
    assert vp[col["slēgts"]] == 3 and vrs[col["slēgts"]] == 4 and total[col["slēgts"]] == 7
    assert vrs[col["Izskatīšanas termiņš ievērots, %"]] == pytest.approx(0.5)
    assert vrs[col["Izpildes laika mediāna, h"]] == pytest.approx(2.5)
    all_hours = [r.resolve_hours for r in rows + vrs_rows if r.resolve_hours is not None]
    assert total[col["Izpildes laika mediāna, h"]] == pytest.approx(statistics.median(all_hours))
    assert total[col["Eskalēts: pārsniegts termiņš"]] == 2
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
        chart = z.read("xl/charts/chart1.xml").decode()
        assert "'Iestādes'!$C$2:$C$3" in chart
    assert wb.properties.title == "Ikmēneša pārskats 2026-10 — visas iestādes"


def test_overview_without_total_adds_counts_up(tmp_path):
    rows = sample_rows()
    s = summarize(rows)
    path = tmp_path / "o.xlsx"
    write_overview_workbook(path, meta(), [("VP", "Valsts policija", s), ("VRS", "Valsts robežsardze", s)], [])
    table = sheet_rows(openpyxl.load_workbook(path)["Iestādes"])
    assert table[3][2] == 14
    median_col = table[0].index("Izpildes laika mediāna, h")
    assert table[3][median_col] is None  # not combinable from medians
    assert sheet_rows(openpyxl.load_workbook(path)["Noraidītie"])[1:] == []
