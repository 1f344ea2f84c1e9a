"""The monthly workbooks as printed (issue 20): each layout rule read back from the real .xlsx.

Print model (what LibreOffice and Excel do with "fit to 1 page wide"): a column of width w (in
characters of the default font, Arial 10: 7 px each at 96 dpi) is 7·w px; an A4 landscape page
between the report's 0.5-inch margins is 10.69 in = 1026 px. A sheet wider than that is scaled
down by 1026 / width, and so is its text: 10 pt at a scale of 0.75 prints at 7.5 pt.
"""
from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from tests.test_report_basis import across  # noqa: F401  (the fixture: October and November)

PAGE_PX = (11.69 - 2 * 0.5) * 96
PX_PER_WIDTH = 7
MIN_PT = 8


def _used_width(ws) -> float:
    widths = 0.0
    for col in range(1, ws.max_column + 1):
        dim = ws.column_dimensions.get(get_column_letter(col))
        widths += dim.width if dim is not None and dim.width else 8.43  # the default column width
    return widths


def printed_pt(ws) -> float:
    """The smallest font size of the sheet's texts as printed, fitted to the page width."""
    scale = min(1.0, PAGE_PX / (PX_PER_WIDTH * _used_width(ws)))
    sizes = [c.font.sz for row in ws.iter_rows() for c in row if c.value is not None and c.font and c.font.sz]
    return min(sizes) * scale


@pytest.fixture
def november(pd, across, tmp_path):  # noqa: F811
    out = tmp_path / "rep"
    pd.ok("report", "monthly", "--month", "2026-11", "--out", out, "--institution", "VP",
          "--institution", "IDB", user="supervizors")
    return out


def _workbooks(out):
    return {p.name: openpyxl.load_workbook(p) for p in sorted(out.glob("*.xlsx"))}


def test_no_text_prints_below_8_pt(november):
    for name, wb in _workbooks(november).items():
        for ws in wb.worksheets:
            assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, (name, ws.title)
            assert printed_pt(ws) >= MIN_PT, (name, ws.title, round(printed_pt(ws), 2))


def test_cells_of_a_row_stand_together_at_its_top(november):
    """Codes at the bottom of their cells and names at the top read as shifted rows."""
    for name, wb in _workbooks(november).items():
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None:
                        assert c.alignment.vertical == "top", (name, ws.title, c.coordinate, c.value)


def test_headers_are_parted_and_every_table_sheet_lists_something(november):
    for name, wb in _workbooks(november).items():
        for ws in wb.worksheets[1:]:
            head = [c for c in ws[1] if c.value is not None]
            if ws.title in ("Skaidrojumi",) or not head[0].font.b:
                continue
            for c in head:
                assert c.border.left.style and c.border.right.style, (name, ws.title, c.coordinate)
                assert c.border.right.color.rgb.endswith("FFFFFF")
                assert c.fill.fgColor.rgb.endswith("DDE5F0")
            # no page that is a header over empty space
            assert ws.max_row >= 2 and any(v is not None for v in next(ws.iter_rows(min_row=2, max_row=2,
                                                                                      values_only=True))), \
                (name, ws.title)


def test_the_management_page_has_no_hashes_and_the_technical_sheet_explains_them(november):
    for name, wb in _workbooks(november).items():
        if "Skaidrojumi" not in wb.sheetnames:
            continue  # the one-page report of an institution without requests
        summary = [str(v) for row in wb["Kopsavilkums"].iter_rows(values_only=True) for v in row if v]
        assert not any("SHA-256" in v or "pd audit" in v or "enkurs" in v.lower() for v in summary), name
        notes = {r[0]: r for r in wb["Skaidrojumi"].iter_rows(values_only=True) if r[0]}
        assert notes["Audita enkurs"][1] and notes["Kontrolsumma (SHA-256)"][1]
        sentences = [r[1] for r in wb["Skaidrojumi"].iter_rows(values_only=True)
                     if r[0] is None and r[1] and "audita enkurs" in r[1]]
        assert len(sentences) == 1 and sentences[0].count(". ") == 0  # one sentence


def test_an_institution_without_requests_gets_one_page(november):
    wb = openpyxl.load_workbook(november / "pd-2026-11-IDB.xlsx")
    assert wb.sheetnames == ["Kopsavilkums"]
    ws = wb["Kopsavilkums"]
    assert not ws._charts and not ws.row_breaks.brk and ws.max_row <= 10
    assert printed_pt(ws) >= MIN_PT


def test_urgent_rows_are_named_urgent(pd, tmp_path, clock):
    clock.set("2026-11-03T09:00")
    pd.register(service="EPASTS")
    pd.register(service="EPASTS", urgent=True)
    clock.now = None
    out = tmp_path / "u"
    pd.ok("report", "monthly", "--month", "2026-11", "--out", out, "--institution", "VP", user="supervizors")
    wb = openpyxl.load_workbook(out / "pd-2026-11-VP.xlsx")
    services = [r[1] for r in wb["Pakalpojumi"].iter_rows(min_row=2, values_only=True) if r[0] == "EPASTS"]
    assert len(services) == 2 and sum(s.endswith("— steidzams") for s in services) == 1
    urgent = [r for r in wb["Pieteikumi"].iter_rows(values_only=True)]
    col = urgent[0].index("Steidzams")
    assert sorted(r[col] or "" for r in urgent[1:]) == ["", "steidzams"]
