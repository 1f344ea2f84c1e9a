"""The monthly report's workbooks [SPEC 8, §11], written with openpyxl.

Imported only by the report command (openpyxl is heavy). Every workbook is
written in openpyxl's write-only mode: rows stream to a temporary file as
they come, so memory stays flat whatever the month's size, and the summary is
accumulated in the same pass (``SummaryBuilder``). Sheets are created in the
order they are shown (the summary first, and active) and filled in any order:
each streams to its own temporary file. The rows of the big sheets (requests,
deadlines, escalations, refused) are written as XML by pd (``_RawRows``), the
cells as openpyxl writes them: openpyxl's cell-by-cell writer was most of a big
month's time. A workbook is saved to a hidden temporary name beside ``path``
(mode 0640) and renamed into place.

Layout (sheet names in Latvian / English)
-----------------------------------------
Institution workbook: "Kopsavilkums" (the month in figures, each on its stated
basis: received and carried over, deadlines met, missed and not yet decided,
this month beside the last, resolution time per calendar; open requests by age,
escalations dated in the month, users; two charts on their own printed page),
"Neizpildītie" (the requests open at the month's end, who holds them, how late),
"Pakalpojumi" (per service and calendar, urgent rows marked), "Pa ekspertu
vadītājiem" (per experts' direct manager and calendar), "Struktūrvienības",
"Tendence" (from the first month with data), "Eskalācijas" and "Agrākās
eskalācijas" (dated in the month; of the same requests before it),
"Pieteikumi", "Termiņi" and "Gaita" (one row per request in three parts that
each print across an A4 page at 8 pt or more, led by the number), and
"Skaidrojumi" (what each figure counts; the fingerprint and audit anchor).
A sheet with nothing to list is left out; an institution without requests gets
one page saying so.

Overview workbook (the Centre's): the same sheets across all institutions,
with "Iestādes" and "Iestādes pa statusiem" (one row per institution) after
the summary and "Noraidītie" (requests refused as outside the Centre's
competence) before the definitions.

Print: every sheet A4 landscape, fitted to the page width (as many pages
down as needed), header rows repeated on each page, page numbers in the
footer. One font family everywhere (Arial; LibreOffice shows it as its
metric twin Liberation Sans), charts included.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import os
import tempfile
import textwrap
from contextlib import contextmanager
from copy import copy
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties
from openpyxl.drawing.text import Font as DrawingFont
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

from ..i18n import N_, NP_, gettext_in
from .csv_json import holder
from .files import private_file
from .measures import AGE_BUCKETS, SummaryBuilder, combine_summaries
from .rows import (
    COLUMN_KEYS,
    DATE_COLUMNS,
    HOURS_COLUMN,
    NUMBER_COLUMNS,
    RIGA,
    STATUSES,
    ReportMeta,
    ReportRow,
    calendar_label,
    clean_text,
    formatter,
    headers,
    month_label,
    ordered,
    tr,
)

DATE_FORMAT = "dd.mm.yyyy hh:mm"
HOURS_FORMAT = "0.0"
PERCENT_FORMAT = "0.0%"

FONT_NAME = "Arial"
FONT_SIZE = 10
_BASE = Font(name=FONT_NAME, size=FONT_SIZE, family=2)
_BOLD = Font(name=FONT_NAME, size=FONT_SIZE, family=2, bold=True)
_ITALIC = Font(name=FONT_NAME, size=FONT_SIZE, family=2, italic=True)
_TITLE = Font(name=FONT_NAME, size=14, family=2, bold=True)
_SMALL = Font(name=FONT_NAME, size=8, family=2)  # the 64-digit hashes, to fit the summary's width
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
_NUMBER_HEADER_ALIGN = Alignment(wrap_text=True, vertical="top", horizontal="right")  # over figures
# A white line between header cells: two wrapped headers that fill their columns do not read as one
# ("atgriezts gaida lietotāja" was "returned" and "waiting for the user" side by side).
_HEADER_BORDER = Border(left=Side(style="thin", color="FFFFFF"), right=Side(style="thin", color="FFFFFF"))
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
# Dates start at the left of their column like the texts around them: right-aligned, a date ran
# into the next column's text on the printed page ("02.12.2026 16:38tālrunis").
_DATE_ALIGN = Alignment(horizontal="left", vertical="top")

# Column widths of the requests sheet, in COLUMNS order (characters of the
# default font). Long texts wrap; dates fit "dd.mm.yyyy hh:mm" with room to spare before
# the next column's text (at 16.5 a printed date touched it).
_WIDTHS = {
    "number": 11.5, "received_at": 16.5, "channel": 8.5, "requester_name": 15,
    "requester_unit": 15, "requester_position": 12, "service_code": 14,
    "service_name": 18, "urgent": 10.5, "description": 28, "expert": 15, "expert_group": 15,
    "response_due": 16.5, "accepted_at": 16.5, "resolution_due": 16.5, "planned_date": 11,
    "delay_reason": 24, "resolved_at": 16.5, "closed_at": 16.5, "status": 13,
    "outcome": 30, "response_met": 12, "resolution_met": 12.5, "days_late": 9.5, "resolve_hours": 10.5,
    "calendar": 13, "waiting_hours": 10, "escalation_level": 10.5, "escalations": 28,
}
# Texts that wrap in the requests sheet (the rest are short).
_WRAPPED = frozenset((
    "requester_name", "requester_unit", "requester_position", "service_name", "description",
    "expert", "expert_group", "status", "outcome", "calendar", "escalations", "delay_reason",
))

_TEXTS: dict[str, str | tuple[str, str]] = {
    "requests_sheet": N_("Requests"),
    "deadlines_sheet": N_("Deadlines"),
    "summary_sheet": N_("Summary"),
    "services_sheet": N_("Services"),
    "groups_sheet": N_("By experts' manager"),
    "trend_sheet": N_("Trend"),
    "escalations_sheet": N_("Escalations"),
    "institutions_sheet": N_("Institutions"),
    "refused_sheet": N_("Refused"),
    "report": N_("Monthly report"),
    "institution": N_("Institution"),
    "month": N_("Month"),
    "generated": N_("Generated"),
    "catalog": N_("Service catalog version"),
    "contacts": N_("Contacts version"),
    "fingerprint": N_("Fingerprint (SHA-256)"),
    "anchor": N_("Audit anchor (events:SHA-256)"),
    "anchor_note": N_(
        "The anchor witnesses the event log as it stood: pd audit verify --anchor … proves it "
        "unchanged."
    ),
    "empty": N_("No requests this month."),
    "total": NP_("workbook", "Requests in total"),
    "requests": N_("Requests"),
    "by_status": N_("State at month end"),
    "by_channel": NP_("workbook", "Channel"),
    "count": N_("Count"),
    "deadlines": N_("Deadlines"),
    "met": N_("Met"),
    "not_met": N_("Not met"),
    "decided": N_("Decided"),
    "share": N_("Met, %"),
    "response": N_("Response deadline"),
    "resolution": N_("Resolution deadline"),
    "hours_by_calendar": N_("Time to resolve by calendar"),
    "calendar": N_("Calendar (kind of hours)"),
    "resolved_n": NP_("workbook", "Resolved"),
    "mean_h": N_("Mean, h"),
    "median_h": N_("Median, h"),
    "p90_h": N_("90th percentile, h"),
    "method": N_(
        "Hours are counted in the service's calendar: working hours for working-time services, "
        "clock hours for round-the-clock ones. Median and percentile: linear interpolation (as "
        "Excel MEDIAN, PERCENTILE.INC)."
    ),
    "ages": N_("Open requests at month end by age"),
    "age": N_("Age (since received)"),
    "escalations": N_("Escalations by reason"),
    "escalated_requests": NP_("workbook", "Requests escalated"),
    "code": N_("Code"),
    "service": N_("Service"),
    "group": N_("Experts' direct manager"),
    "no_group": N_("(not assigned to an expert)"),
    "response_met_n": N_("Response deadline met"),
    "resolution_met_n": N_("Resolution deadline met"),
    "of_decided": N_("Decided"),
    "chart_deadlines": N_("Deadlines met"),
    "chart_ages": N_("Open requests by age"),
    "all_institutions": N_("all institutions"),
    "total_row": N_("Total"),
    "chart_institutions": N_("Requests per institution"),
    "chart_shares": N_("Share of deadlines met"),
    "response_share": N_("Response deadline met, %"),
    "resolution_share": N_("Resolution deadline met, %"),
    "reason_refused": N_("Reason for refusal"),
    "trend_month": N_("Month"),
    "received": NP_("workbook", "Received"),
    "accepted_n": NP_("workbook", "Accepted"),
    "in_time": N_("of them in time"),
    "resolved_in_month": NP_("workbook", "Resolved"),
    "trend_note": N_(
        "Each month: requests received; accepted in the month and how many within the response "
        "deadline; resolved in the month and how many within the resolution deadline."
    ),
    "chart_trend_counts": N_("Requests received and resolved per month"),
    "chart_trend_shares": N_("Share resolved in time per month"),
    "esc_at": N_("Date"),
    "number": N_("Request"),
    "level": N_("Level"),
    "reason": N_("Reason"),
    "expert": N_("Expert"),
    "manager": N_("Manager escalated to"),
    "no_escalations": N_("No escalations this month."),
    "page": N_("page &P of &N"),
    "open_sheet": N_("Open"),
    "units_sheet": N_("Units"),
    "earlier_sheet": N_("Earlier escalations"),
    "progress_sheet": N_("Progress"),
    "notes_sheet": N_("Definitions"),
    "statuses_sheet": N_("Institutions by state"),
    "in_month": N_("Requests in this report"),
    "received_month": N_("Received this month"),
    "carried_over": N_("Carried over from earlier months"),
    "open_end": N_("Open at the month's end"),
    "not_decided": N_("Not yet decided"),
    "not_decided_note": N_(
        "Not yet decided: for {pending} requests the resolution deadline had not come by the "
        "month's end; {none} have no deadline (not yet forwarded to an expert, or refused)."
    ),
    "compare": N_("Compared with the previous month"),
    "compare_note": N_(
        "Both months on the same basis: requests received, accepted and resolved in the month (as "
        "on the Trend sheet)."
    ),
    "accepted_in_time": N_("Accepted within the response deadline, %"),
    "resolved_in_time": N_("Resolved within the resolution deadline, %"),
    "esc_month": N_("Escalations this month (each level counts)"),
    "esc_total": N_("Escalations in total"),
    "esc_requests": N_("Requests escalated this month"),
    "esc_earlier": NP_("workbook", "Earlier escalations of these requests"),
    "users": N_("Users"),
    "waited_requests": N_("Requests that waited for their user"),
    "waited_hours": N_("Time waiting for users in total, h"),
    "objections": N_("Users' objections to the result"),
    "reopened": N_("Requests reopened"),
    "unit": N_("Unit"),
    "no_unit": N_("(not given)"),
    "of_them_received": N_("of them received this month"),
    "no_requests": N_(
        "The institution had no requests this month: none received, none open from earlier months."
    ),
    "no_open": N_("No requests were open at the month's end."),
    "no_earlier": N_("No earlier escalations."),
    "esc_note": N_("Each row is one escalation: a request escalated to levels 1 and 2 has two rows."),
    "earlier_note": N_(
        "Escalations of this month's requests dated in earlier months; they are not in this month's "
        "figures."
    ),
    "held_by": N_("Held by"),
    "urgent_suffix": N_(" — urgent"),
    "figure": N_("Figure"),
    "meaning": N_("What it counts"),
    "technical": N_("Technical information"),
    "anchor_short": N_("Audit anchor"),
    "fingerprint_short": N_("Fingerprint"),
    "anchor_sentence": N_(
        "The fingerprint and the audit anchor let the Centre prove later that this report's data "
        "and the requests' history have not changed since the report was made."
    ),
}

# The Skaidrojumi sheet: each figure and one plain sentence on what it counts (English msgids).
_DEFINITIONS: tuple[tuple[str, str], ...] = (
    (N_("Received this month"),
     N_("Requests whose time of receipt is in this month (Riga time); the same count as on the Trend sheet.")),
    (N_("Carried over from earlier months"),
     N_("Requests received earlier that were not yet closed or refused when this month began (resolved ones not yet closed included).")),
    (N_("Requests in this report"),
     N_("Received and carried over together, with their state and dates as they stood at the month's end.")),
    (N_("Open at the month's end"),
     N_("Requests not yet resolved, closed or refused at the month's end, listed on the Open sheet.")),
    (N_("Response deadline met"),
     N_("Requests the expert accepted by the response deadline.")),
    (N_("Resolution deadline met"),
     N_("Requests resolved by the resolution deadline (or the planned date, when the expert reported the delay in time).")),
    (N_("Decided"),
     N_("Requests whose deadline was either met or past at the month's end; the share is of these only.")),
    (N_("Not yet decided"),
     N_("Requests whose deadline had not come by the month's end, and those with none because they were not yet forwarded to an expert or were refused.")),
    (N_("Time to resolve"),
     N_("Time from receipt to result in the service's calendar: working hours for working-time services, clock hours for the rest.")),
    (N_("Escalations this month"),
     N_("Escalations dated in this month; each level is an escalation of its own.")),
    (N_("Requests escalated"),
     N_("Requests with at least one escalation dated this month; each request counts once.")),
    (N_("Earlier escalations"),
     N_("Escalations of this report's requests dated in earlier months; listed on their own sheet, not in this month's figures.")),
    (N_("Waited for the user"),
     N_("Time the request waited for its user's answer (clock hours up to the month's end); it does not count against the deadline.")),
    (N_("Objections and reopenings"),
     N_("Users' objections to a result received this month, and requests reopened this month.")),
    (N_("Days late"),
     N_("Calendar days past the deadline missed, until the result or, while open, until the month's end.")),
    (N_("Experts' direct manager"),
     N_("Experts grouped by their direct manager (contacts.yaml).")),
)

_AGE_LABELS: dict[str, str] = {
    "1d": N_("up to 1 day"),
    "3d": N_("1–3 days"),
    "7d": N_("3–7 days"),
    "30d": N_("7–30 days"),
    "more": N_("more than 30 days"),
}
_LEVELS: dict[int, str] = {
    1: N_("1 — direct manager"),
    2: N_("2 — manager's manager"),
}

# Short names of the escalation reasons for table labels and headers (the
# requests sheet uses the full labels of pd.latvian).
_ESCALATION_SHORT: dict[str, str] = {
    "not_accepted": N_("Escalated: not accepted"),
    "unjustified_rejection": N_("Escalated: unjustified rejection"),
    "overdue": N_("Escalated: overdue"),
}


def _escalation_short(reason: str, lang: str) -> str:
    name = _ESCALATION_SHORT.get(reason)
    if name is None:
        return formatter(lang).escalation.get(reason, reason)
    return gettext_in(lang, name)


def _t(key: str, lang: str) -> str:
    return tr(lang, _TEXTS[key])


def _pick(table: dict, key, lang: str) -> str:
    return gettext_in(lang, table[key])


def level_label(level: int, lang: str) -> str:
    name = _LEVELS.get(level)
    return gettext_in(lang, name) if name else str(level)


# --------------------------------------------------------------------------
# Cells

class _StyledCell(Cell):
    """A cell whose style is fixed when it is made: its style id is looked up once.

    openpyxl looks the id up (hashing the style) for every styled cell it
    writes; the report reuses one styled cell per column for 100,000 rows."""

    __slots__ = ("_sid",)

    @property
    def style_id(self):
        return self._sid

    @property
    def has_style(self):
        return True


def _cell(ws, value, *, font=None, fmt=None, fill=None, align=None, border=None) -> Any:
    """A styled cell (value and style set here; the style must not change afterwards)."""
    c = _StyledCell(ws, row=1, column=1, value=value)
    c.font = font if font is not None else _BASE
    if fmt is not None:
        c.number_format = fmt
    if fill is not None:
        c.fill = fill
    c.alignment = align if align is not None else _TOP  # a row's cells stand together at its top
    if border is not None:
        c.border = border
    c._sid = ws.parent._cell_styles.add(c._style)
    return c


def _text_cell(ws, value: str) -> Any:
    """A text that openpyxl would take for a formula or an error code stays text."""
    c = WriteOnlyCell(ws, value=value)
    c.data_type = "s"
    return c


def _header_cell(ws, title: str, *, over_figures: bool = False) -> Any:
    """A header: bold on the header fill, parted from the next; right-aligned over a column of figures."""
    return _cell(ws, title, font=_BOLD, fill=_HEADER_FILL, border=_HEADER_BORDER,
                 align=_NUMBER_HEADER_ALIGN if over_figures else _HEADER_ALIGN)


def _header_row(ws, titles: Sequence[str]) -> list:
    return [_header_cell(ws, h) for h in titles]


def _naive_riga(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(RIGA).replace(tzinfo=None)


# Row heights: a write-only sheet cannot be measured by the program that opens
# it (LibreOffice keeps the stored height), so a row with wrapped text gets its
# height here, from the text's length and the column's width.
_CHARS_PER_WIDTH = 1.1  # characters of ordinary text per unit of column width (Arial 10)
_BOLD_CHARS_PER_WIDTH = 0.9  # a bold header took a third line where 1.0 counted two ("Statuss mēneša beigās")
_LINE_PT = 12.75        # one line of Arial 10
_MAX_LINES = 8


def _lines(text: str, width: float, factor: float = _CHARS_PER_WIDTH) -> int:
    return _wrap_count(text, max(1, int(width * factor)))


def _wrap_count(text: str, per_line: int) -> int:
    """The lines ``text`` takes when wrapped at whole words, ``per_line`` characters a line, as a
    spreadsheet wraps it (a word longer than a line is broken). Dividing the length by the line
    overlooks the room a wrap leaves at each line's end: "Dators neieslēdzas pēc strāvas
    pārrāvuma; ekrānā nekas neparādās." is 66 characters, 2 lines of 33 by length, 3 wrapped,
    and the row was printed with its last line cut off."""
    n = 0
    for part in text.split("\n"):
        used = -1  # characters on the current line, -1 before its first word
        lines = 1
        for word in part.split():
            w = len(word)
            if used < 0:
                used = w
            elif used + 1 + w <= per_line:
                used += 1 + w
            else:
                lines += 1
                used = w
            while used > per_line:  # a word longer than the line is broken
                lines += 1
                used -= per_line
        n += lines
        if n >= _MAX_LINES:
            return _MAX_LINES
    return n


def _set_row_height(ws, row_idx: int, lines: int) -> None:
    """A height for the row about to be appended (a plain dict the writer reads and we drop after)."""
    dict.__setitem__(ws.row_dimensions, row_idx, {"ht": f"{lines * _LINE_PT + 1.5:.2f}", "customHeight": "1"})


def _drop_row_height(ws, row_idx: int) -> None:
    dict.pop(ws.row_dimensions, row_idx, None)


def _header_height(ws, titles: Sequence[str], widths: Sequence[float]) -> None:
    lines = max([_lines(t, w, _BOLD_CHARS_PER_WIDTH) for t, w in zip(titles, widths)] + [1])
    ws.row_dimensions[1].height = lines * _LINE_PT + 2


def _print_setup(ws, lang: str, title_rows: str | None = "1:1") -> None:
    """A4 landscape, fitted to the page width, ``title_rows`` repeated, page numbers.

    Before the first append (the sheet properties go out with the sheet's head)."""
    ps = ws.page_setup
    ps.orientation = "landscape"
    ps.paperSize = "9"  # A4 (ECMA-376 paper size code)
    ps.fitToWidth = 1
    ps.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = _t("page", lang)
    ws.oddFooter.left.font = ws.oddFooter.right.font = FONT_NAME
    ws.oddFooter.left.size = ws.oddFooter.right.size = 8


def _setup_table_sheet(ws, widths: Sequence[float], lang: str, freeze: str = "A2",
                       titles: Sequence[str] = ()) -> None:
    """Before the first append: column widths, frozen header (its height from ``titles``), print setup."""
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = freeze
    if titles:
        _header_height(ws, titles, widths)
    _print_setup(ws, lang)


def _fast_path_supported() -> bool:
    """Whether openpyxl's write-only internals are the ones ``_RawRows`` builds on (3.1, with lxml)."""
    import openpyxl  # lazy: ~0.1 s; the csv and json formats never need it
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet  # (as above)
    from openpyxl.worksheet._writer import WorksheetWriter

    return (
        openpyxl.__version__.startswith("3.1.")
        and bool(openpyxl.LXML)  # lxml's incremental writer can be flushed before a raw write
        and hasattr(WriteOnlyWorksheet, "_get_writer") and hasattr(WorksheetWriter, "get_stream")
    )


# Set to False to use only openpyxl's public API (the tests compare both).
FAST_ROWS = _fast_path_supported()


class _RawRowsWriter(WorksheetWriter):
    """openpyxl 3.1's writer of a write-only sheet, into which rows can also go as ready XML.

    openpyxl writes each cell of a write-only sheet through lxml, element by
    element (``lxml_write_cell``: some 5 µs a cell, most of a big report's
    time). Its sheet writer streams into a temporary file through lxml's
    incremental ``xmlfile``; this one hands ``xmlfile`` a Python file instead,
    so a row of XML made by ``_RawRows`` can be written to that file between
    openpyxl's own writes (``write_xml`` flushes lxml's buffer first). The
    sheet's head and tail (views, columns, print settings, filter, charts)
    are still openpyxl's."""
    _fh: Any = None
    _xf: Any = None

    def get_stream(self):  # openpyxl 3.1's, on a Python file object
        with open(self.out, "wb") as fh, xmlfile(fh) as xf:
            self._fh, self._xf = fh, xf
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = (yield)
                        if el is True:
                            yield xf
                        elif el is None:
                            continue
                        else:
                            xf.write(el)
                except GeneratorExit:
                    pass

    def write_xml(self, text: str) -> None:
        self._xf.flush()
        self._fh.write(text.encode())


_EXCEL_EPOCH = 693594  # date(1899, 12, 30).toordinal(): day 0 of Excel's Windows dates


def _excel_serial(dt: datetime) -> float:
    """A datetime's wall-clock time as an Excel serial, as openpyxl's ``to_excel`` computes it
    (its time zone, if any, is dropped: the report's times are Riga wall-clock times)."""
    days = dt.toordinal() - _EXCEL_EPOCH
    if 0 < days <= 60:  # Excel's 29 February 1900
        days -= 1
    return days + (dt.hour * 3600 + dt.minute * 60 + dt.second + dt.microsecond / 10**6) / 86400


class _RawRows:
    """Rows of a write-only sheet written as XML, the cells as openpyxl 3.1 writes them.

    ``columns``: per column, ``(kind, style_id)``: ``"s"`` text (an inline
    string: always text, a leading "=" is no formula), ``"d"`` a datetime
    (its wall-clock time as an Excel serial number), ``"n"`` a number (both
    written as openpyxl does: ``"%.16g"``).
    ``append(values, lines)``: a None or "" value leaves its cell out;
    ``lines`` > 1 gives the row a height (as ``_set_row_height``). Texts must
    be clean (``clean_text``): no characters XML refuses. Rows appended
    through openpyxl (``ws.append``: the header) must all come first; then
    ``after_openpyxl_rows(n)``."""
    def __init__(self, ws, columns: Sequence[tuple[str, int]]):
        parent = ws.parent
        if parent.iso_dates or parent.epoch.toordinal() != _EXCEL_EPOCH:  # pragma: no cover
            raise RuntimeError("the report's workbooks use the Windows epoch and serial dates")
        if ws._writer is not None:  # pragma: no cover - a programming error
            raise RuntimeError("the XML rows' writer must be given to the sheet before its first row")
        self.ws = ws
        self.writer = ws._writer = _RawRowsWriter(ws)  # as WriteOnlyWorksheet._get_writer would
        self.writer.write_top()
        self.cells = []
        for j, (kind, sid) in enumerate(columns):
            letter = get_column_letter(j + 1)
            tail = f'" s="{sid}" t="inlineStr"><is><t>' if kind == "s" else f'" s="{sid}" t="n"><v>'
            self.cells.append((j, kind, f'<c r="{letter}', tail))
        self.heights = {n: f' ht="{n * _LINE_PT + 1.5:.2f}" customHeight="1"' for n in range(2, _MAX_LINES + 1)}
        self.row = 0
        self._raw = False

    def after_openpyxl_rows(self, n: int) -> None:
        """The sheet's first ``n`` rows were appended through openpyxl (which numbers its own)."""
        if self._raw:  # pragma: no cover - a programming error
            raise RuntimeError("openpyxl's rows must come before the XML rows")
        self.row = n

    def append(self, values: Sequence, lines: int = 1) -> None:
        self._raw = True
        self.row += 1
        r = str(self.row)
        parts = [f'<row r="{r}"{self.heights[lines]}>' if lines > 1 else f'<row r="{r}">']
        add = parts.append
        for j, kind, head, tail in self.cells:
            x = values[j]
            if x is None or x == "":
                continue
            if kind == "s":
                if "&" in x or "<" in x or ">" in x:
                    x = x.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                if x != x.strip():  # as openpyxl: leading or trailing white space kept
                    add(f'{head}{r}{tail[:-1]} xml:space="preserve">{x}</t></is></c>')
                else:
                    add(f"{head}{r}{tail}{x}</t></is></c>")
            else:
                add(f"{head}{r}{tail}{_excel_serial(x) if kind == 'd' else x:.16g}</v></c>")
        add("</row>")
        self.writer.write_xml("".join(parts))


class _StyledRows:
    """Rows of a write-only sheet with one style per column, led by header rows appended through
    openpyxl: with FAST_ROWS written as XML (``_RawRows``), otherwise through openpyxl's public
    API, one pre-styled cell per column reused for every row (openpyxl writes an appended row
    before ``append`` returns). ``columns``: per column, ``(kind, styled cell)`` as ``_RawRows``
    takes them. Made before anything is appended to ``ws``; ``after_header(n)`` once the sheet's
    first ``n`` rows are appended. A None or "" value leaves its cell out; a text is always text
    (a leading "=" is no formula)."""
    def __init__(self, ws, columns: Sequence[tuple[str, Any]]):
        self.ws = ws
        self.kinds = [kind for kind, _c in columns]
        self.cells = [c for _kind, c in columns]
        self.raw = _RawRows(ws, [(kind, c._sid) for kind, c in columns]) if FAST_ROWS else None
        self.row = 0

    def after_header(self, n: int) -> None:
        self.row = n
        if self.raw is not None:
            self.raw.after_openpyxl_rows(n)

    def text_row(self, cell) -> None:
        """A row of one styled text in column A (a note under the table), after the rows."""
        self.row += 1
        if self.raw is None:
            self.ws.append([cell])
            return
        self.raw._raw = True
        self.raw.row += 1
        r = self.raw.row
        x = cell.value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.raw.writer.write_xml(f'<row r="{r}"><c r="A{r}" s="{cell._sid}" t="inlineStr"><is><t>{x}</t></is></c></row>')

    def append(self, values: Sequence, lines: int = 1) -> None:
        """One row; ``lines`` > 1 gives it the height of that many lines."""
        self.row += 1
        if self.raw is not None:
            self.raw.append(values, lines)
            return
        row: list = []
        for c, x, kind in zip(self.cells, values, self.kinds):
            if x is None or x == "":
                row.append(None)
                continue
            if kind == "d":
                x = x.replace(tzinfo=None)  # already Riga wall-clock time
            c.value = x
            if kind == "s":
                c.data_type = "s"
            row.append(c)
        if lines > 1:
            _set_row_height(self.ws, self.row, lines)
        self.ws.append(row)
        if lines > 1:
            _drop_row_height(self.ws, self.row)


class _RowWriter:
    """Appends ReportRows to a write-only sheet, led by its header row.

    Each column has one style (top-aligned; dates and hours with their number
    format, long texts wrapped); a row with wrapped text gets a height for
    its longest text. The rows go through ``_StyledRows``. Call before
    anything is appended to ``ws``.
    """
    def __init__(self, ws, lang: str, columns: Sequence[int] | None = None,
                 institution_at: int | None = None, widths: dict[str, float] | None = None,
                 titles: Sequence[str] = ()):
        self.institution_at = institution_at
        self.values = formatter(lang).values
        self.columns = tuple(columns) if columns is not None else tuple(range(len(COLUMN_KEYS)))
        shift = 0 if institution_at is None else 1
        styled = []
        wrapped = []
        if institution_at is not None:
            styled.append((institution_at, _cell(ws, None, align=_TOP), "s"))
        for j, src in enumerate(self.columns):
            out = j + (shift if institution_at is not None and j >= institution_at else 0)
            key = COLUMN_KEYS[src]
            if src in DATE_COLUMNS:
                styled.append((out, _cell(ws, None, fmt=DATE_FORMAT, align=_DATE_ALIGN), "d"))
            elif src == HOURS_COLUMN or (src in NUMBER_COLUMNS and key != "escalation_level"):
                styled.append((out, _cell(ws, None, fmt=HOURS_FORMAT, align=_TOP), "n"))
            elif key == "escalation_level":
                styled.append((out, _cell(ws, None, align=_TOP), "n"))
            else:
                styled.append((out, _cell(ws, None, align=_WRAP if key in _WRAPPED else _TOP), "s"))
                if key in _WRAPPED:
                    width = (widths or {}).get(key, _WIDTHS[key])
                    wrapped.append((out, max(1, int(width * _CHARS_PER_WIDTH))))
        self.wrapped = wrapped
        self.rows = _StyledRows(ws, [(kind, c) for _j, c, kind in sorted(styled, key=lambda t: t[0])])
        figures = {j for j, _c, kind in styled if kind == "n"}
        ws.append([_header_cell(ws, t, over_figures=j in figures)  # through openpyxl (with FAST_ROWS
                   for j, t in enumerate(titles)])                  # into the XML rows' file)
        self.rows.after_header(1)

    def append(self, r: ReportRow, vals: tuple | None = None) -> None:
        """Append ``r``; ``vals``: its ``formatter(lang).values(r)`` when the caller has them already."""
        if vals is None:
            vals = self.values(r)
        v = [vals[i] for i in self.columns]
        if self.institution_at is not None:
            v.insert(self.institution_at, clean_text(r.institution))
        lines = 1
        for j, per_line in self.wrapped:
            x = v[j]
            if len(x) > per_line or "\n" in x:
                n = _wrap_count(x, per_line)
                if n > lines:
                    lines = n
        self.rows.append(v, lines)


# --------------------------------------------------------------------------
# Workbook, properties, saving

def _new_workbook() -> Workbook:
    """A write-only workbook whose default font (the "Normal" style) is FONT_NAME."""
    wb = Workbook(write_only=True)
    wb._fonts = IndexedList([copy(_BASE)])
    normal = wb._named_styles["Normal"]
    normal.font = copy(_BASE)
    normal.bind(wb)
    return wb


@contextmanager
def _workbook() -> Iterator[Workbook]:
    """A write-only workbook whose temporary sheet files are removed on failure."""
    wb = _new_workbook()
    try:
        yield wb
    except BaseException:
        _abort(wb)
        raise


@contextmanager
def temporary_files_in(directory: Path) -> Iterator[None]:
    """openpyxl's temporary sheet files in ``directory`` (private to the run) instead of /tmp."""
    from openpyxl.worksheet import _writer  # lazy: openpyxl (as in _fast_path_supported)

    def create_temporary_file(suffix=""):
        fd, name = tempfile.mkstemp(suffix=suffix, prefix="openpyxl.", dir=directory)
        os.close(fd)
        _writer.ALL_TEMP_FILES.append(name)
        return name

    before = _writer.create_temporary_file
    _writer.create_temporary_file = create_temporary_file
    try:
        yield
    finally:
        _writer.create_temporary_file = before


def _drop_sheet(wb: Workbook, ws) -> None:
    """Leave out a sheet that has nothing to show (a header over an empty page): its temporary
    file is removed, and it is gone before the workbook is saved."""
    _abort_sheet(ws)
    wb._sheets.remove(ws)


def _abort_sheet(ws) -> None:
    try:
        if ws._rows is not None:
            ws._rows.close()
        if ws._writer is not None:
            ws._writer.close()
            ws._writer.cleanup()
    except Exception:  # best effort: openpyxl removes its temp files at exit
        pass


def _abort(wb: Workbook) -> None:
    for ws in wb.worksheets:
        _abort_sheet(ws)


def _save(wb: Workbook, path: Path) -> None:
    """Save with the first sheet (the summary) active; the file is 0640, renamed into place."""
    wb.active = 0
    with private_file(Path(path), "wb") as fh:
        # openpyxl's save_workbook, but the archive is closed when writing fails (a full disk): left
        # open, its __del__ later wrote a traceback on stderr under pd's one error line (issue 18).
        archive = ZipFile(fh, "w", ZIP_DEFLATED, allowZip64=True)
        try:
            wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
            ExcelWriter(wb, archive).save()
        except BaseException:
            try:
                archive.close()
            except Exception:  # noqa: BLE001 - the file is being discarded; the first error is the one to tell
                pass
            raise


def _set_properties(wb: Workbook, meta: ReportMeta, title: str, fingerprint: str,
                    scope: str) -> None:
    lang = meta.lang
    generated = meta.generated_at
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    generated_local = generated.astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
    lines = [
        f"{_t('institution', lang)}: {scope}",
        f"{_t('month', lang)}: {meta.month} ({month_label(meta.month, lang)})",
        f"{_t('generated', lang)}: {generated_local}",
        f"{_t('catalog', lang)}: {meta.catalog_version}",
        f"{_t('contacts', lang)}: {meta.contacts_version}",
        f"{_t('fingerprint', lang)}: {fingerprint}",
        f"{_t('anchor', lang)}: {meta.anchor}",
    ]
    p = wb.properties
    p.title = title
    p.subject = f"{_t('report', lang)} — {scope} — {month_label(meta.month, lang)}"
    p.description = "\n".join(lines)
    p.keywords = "; ".join([
        "pd", meta.institution_code or "IC", meta.month,
        f"catalog={meta.catalog_version}", f"contacts={meta.contacts_version}",
        f"sha256={fingerprint}", f"anchor={meta.anchor}",
    ])
    p.category = _t("report", lang)
    p.creator = "pd — Pakalpojumu dienests"
    p.language = "en" if lang == "en" else "lv-LV"
    p.identifier = fingerprint
    naive_utc = generated.astimezone(UTC).replace(tzinfo=None)
    p.created = naive_utc
    p.modified = naive_utc
    for name, value in (
        ("pd.institution", meta.institution_code),
        ("pd.institution_name", meta.institution_name),
        ("pd.month", meta.month),
        ("pd.generated_at", generated.astimezone(RIGA).isoformat(timespec="seconds")),
        ("pd.catalog_version", meta.catalog_version),
        ("pd.contacts_version", meta.contacts_version),
        ("pd.fingerprint", fingerprint),
        ("pd.audit_anchor", meta.anchor),
        ("pd.lang", lang),
    ):
        wb.custom_doc_props.append(StringProperty(name=name, value=str(value or "")))


# --------------------------------------------------------------------------
# Charts

def _rich_text(size: int = 9, bold: bool = False, rot: int = 0) -> RichText:
    """Chart text in FONT_NAME; ``rot``: degrees (negative: rising to the right)."""
    cp = CharacterProperties(latin=DrawingFont(typeface=FONT_NAME), sz=size * 100, b=bold)
    body = RichTextProperties(rot=rot * 60000) if rot else None
    return RichText(bodyPr=body, p=[Paragraph(pPr=ParagraphProperties(defRPr=cp), endParaRPr=cp)])


def _nice_step(top: float) -> int:
    """An integer axis step giving about five steps up to ``top`` (1, 2, 5, 10, 20, 50, …)."""
    if top <= 5:
        return 1
    raw = top / 5
    mag = 10 ** int(math.floor(math.log10(raw)))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return int(m * mag)
    return int(10 * mag)  # pragma: no cover


def _style_chart(ch, title: str, *, counts_max: float | None = None, percent: bool = False) -> None:
    ch.title = title
    ch.style = 10
    # openpyxl 3.1 leaves the axes' <c:delete> unset and Excel hides them.
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.x_axis.tickLblSkip = 1  # every category label
    ch.x_axis.txPr = _rich_text(8)
    ch.y_axis.txPr = _rich_text(8)
    ch.y_axis.scaling.min = 0
    if percent:
        ch.y_axis.number_format = "0%"
        ch.y_axis.scaling.max = 1
        ch.y_axis.majorUnit = 0.2
    elif counts_max is not None:
        step = _nice_step(counts_max)
        ch.y_axis.number_format = "0"
        ch.y_axis.majorUnit = step
        ch.y_axis.scaling.max = max(step, math.ceil(counts_max / step) * step)
    if ch.legend is not None:
        ch.legend.position = "b"
        ch.legend.txPr = _rich_text(8)
    ch.title.tx.rich.p[0].pPr = ParagraphProperties(
        defRPr=CharacterProperties(latin=DrawingFont(typeface=FONT_NAME), sz=1100, b=True))


def _bar_chart(title: str, *, horizontal: bool = False, counts_max: float | None = None,
               percent: bool = False) -> BarChart:
    ch = BarChart()
    ch.type = "bar" if horizontal else "col"
    if horizontal:
        ch.x_axis.scaling.orientation = "maxMin"  # top to bottom as in the table
    _style_chart(ch, title, counts_max=counts_max, percent=percent)
    return ch


def _page_break_before(ws, row: int) -> None:
    """Start a new printed page at ``row`` (1-based): the charts below print whole."""
    ws.row_breaks.append(Break(id=row - 1))


# --------------------------------------------------------------------------
# Sheets

class _Sheet:
    """Appends rows to a write-only sheet and counts them (charts need the row numbers).

    A row with wrapped text gets a height for its longest text (``widths``:
    the sheet's column widths)."""
    def __init__(self, ws, widths: Sequence[float] = ()):
        self.ws = ws
        self.row = 0
        self.widths = list(widths)

    def put(self, *cells) -> int:
        self.row += 1
        cells = tuple(c if c is None or isinstance(c, Cell) else _cell(self.ws, c) for c in cells)
        lines = 1
        for i, c in enumerate(cells):
            if (isinstance(c, Cell) and c.alignment is not None and c.alignment.wrap_text
                    and isinstance(c.value, str)):
                width = sum(self.widths[i:i + 1]) or 10
                lines = max(lines, _lines(c.value, width, _BOLD_CHARS_PER_WIDTH if c.font.b else _CHARS_PER_WIDTH))
        if lines > 1:
            _set_row_height(self.ws, self.row, lines)
        self.ws.append(list(cells))
        if lines > 1:
            _drop_row_height(self.ws, self.row)
        return self.row

    def head(self, *titles, figures_from: int | None = None) -> int:
        """The header row; from column `figures_from` (0-based) on, the columns hold figures, and their
        headers stand right-aligned over them as the figures do."""
        return self.put(*[_header_cell(self.ws, t, over_figures=figures_from is not None and i >= figures_from)
                          for i, t in enumerate(titles)])

    def bold(self, value) -> Any:
        return _cell(self.ws, value, font=_BOLD)

    def pct(self, value) -> Any:
        return None if value is None else _cell(self.ws, value, fmt=PERCENT_FORMAT)

    def hrs(self, value) -> Any:
        return None if value is None else _cell(self.ws, value, fmt=HOURS_FORMAT)

    def wrap(self, value, font=None) -> Any:
        return _cell(self.ws, value, align=_WRAP, font=font)

    def note(self, text: str) -> None:
        """An italic note across the sheet's columns, as lines that fit their width."""
        width = int(sum(self.widths) * _CHARS_PER_WIDTH * 0.95) or 100
        for line in textwrap.wrap(text, width):
            self.put(_cell(self.ws, line, font=_ITALIC))


def _write_summary_sheet(ws, meta: ReportMeta, s: dict, scope: str, trend: Sequence[dict] = ()) -> None:
    """Page 1: the month in figures, each on its stated basis (received and carried over, deadlines
    with those not yet decided, this month beside the last, time to resolve). Page 2: two charts.
    Page 3: open requests by age, states, escalations dated in the month, users, channels.
    The fingerprint and the audit anchor are on the Skaidrojumi sheet, not here."""
    lang = meta.lang
    widths = (52, 16, 16, 16, 16, 17)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    _print_setup(ws, lang, title_rows=None)
    sh = _Sheet(ws, widths)
    put, head = sh.put, sh.head

    generated = meta.generated_at
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    put(_cell(ws, f"{_t('report', lang)} — {scope}", font=_TITLE))
    put(_t("month", lang), month_label(meta.month, lang))
    put(_t("generated", lang), _cell(ws, _naive_riga(generated), fmt=DATE_FORMAT, align=_DATE_ALIGN))
    put()

    head(_t("requests", lang), _t("count", lang), figures_from=1)
    put(_t("received_month", lang), s.get("received", s["total"]))
    put(_t("carried_over", lang), s.get("carried_over", 0))
    put(sh.bold(_t("in_month", lang)), sh.bold(s["total"]))
    put(_t("open_end", lang), s.get("open_at_end", sum((s.get("open_by_age") or {}).values())))
    put()

    deadlines_head = head(_t("deadlines", lang), _t("met", lang), _t("not_met", lang),
                          _t("decided", lang), _t("share", lang), _t("not_decided", lang), figures_from=1)
    for key in ("response", "resolution"):
        d = s[key]
        put(_t(key, lang), d["met"], d["not_met"], d["decided"], sh.pct(d["share"]),
            d.get("pending", 0) + d.get("no_deadline", 0))
    z = s["resolution"]
    sh.note(_t("not_decided_note", lang).format(pending=z.get("pending", 0), none=z.get("no_deadline", 0)))
    put()

    trend = list(trend)
    if trend:
        this = trend[-1]
        prev = trend[-2] if len(trend) > 1 else None
        head(_t("compare", lang), _short_month(prev["month"]) if prev else "", _short_month(this["month"]),
             figures_from=1)
        for label_key, pick in (("received", lambda t: t["received"]),
                                ("accepted_in_time", lambda t: sh.pct(t["response"]["share"])),
                                ("resolved_in_month", lambda t: t["resolved"]),
                                ("resolved_in_time", lambda t: sh.pct(t["resolution"]["share"]))):
            put(_t(label_key, lang), pick(prev) if prev else None, pick(this))
        sh.note(_t("compare_note", lang))
        put()

    head(_t("hours_by_calendar", lang), _t("resolved_n", lang), _t("mean_h", lang),
         _t("median_h", lang), _t("p90_h", lang), figures_from=1)
    for h in s["resolve_hours"]:
        put(calendar_label(h["calendar"], h["working_time"], lang), h["count"],
            sh.hrs(h["mean"]), sh.hrs(h["median"]), sh.hrs(h["p90"]))
    sh.note(_t("method", lang))

    # Page 2: the charts (blank rows under them), page 3: the remaining tables. The charts stand one
    # row below the page break: anchored on the break itself, LibreOffice printed each chart's top
    # border as a grey line at the foot of page 1.
    _page_break_before(ws, sh.row + 1)
    put()
    chart_row = sh.row + 1
    for _ in range(21):
        put()
    _page_break_before(ws, sh.row + 1)
    ages = s.get("open_by_age") or {}
    ages_head = head(_t("ages", lang), _t("count", lang), figures_from=1)
    for key, _bound in AGE_BUCKETS:
        put(_pick(_AGE_LABELS, key, lang), ages.get(key, 0))
    put()
    fmt = formatter(lang)
    head(_t("by_status", lang), _t("count", lang), figures_from=1)
    for st, count in s["by_status"].items():
        put(fmt.status.get(st, st), count)
    put()
    head(_t("esc_month", lang), _t("count", lang), figures_from=1)
    for reason, count in s["escalations"].items():
        put(_escalation_short(reason, lang), count)
    put(sh.bold(_t("esc_total", lang)), sh.bold(sum(s["escalations"].values())))
    put(_t("esc_requests", lang), s["escalated_requests"])
    put(_t("esc_earlier", lang), s.get("earlier_escalations", 0))
    put()
    head(_t("users", lang), _t("count", lang), figures_from=1)
    waiting = s.get("waiting_user") or {}
    put(_t("waited_requests", lang), waiting.get("requests", 0))
    put(_t("waited_hours", lang), sh.hrs(waiting.get("hours", 0.0)))
    put(_t("objections", lang), (s.get("objections") or {}).get("objections", 0))
    put(_t("reopened", lang), (s.get("reopened") or {}).get("requests", 0))
    put()
    head(_t("by_channel", lang), _t("count", lang), figures_from=1)
    for ch, count in s["by_channel"].items():
        put(fmt.channel.get(ch, ch), count)

    if not s["total"]:
        return
    top = max([s[k]["met"] for k in ("response", "resolution")]
              + [s[k]["not_met"] for k in ("response", "resolution")] + [1])
    ch = _bar_chart(_t("chart_deadlines", lang), counts_max=top)
    ch.add_data(Reference(ws, min_col=2, max_col=3, min_row=deadlines_head,
                          max_row=deadlines_head + 2), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=deadlines_head + 1,
                                max_row=deadlines_head + 2))
    ch.width, ch.height = 12, 9
    ws.add_chart(ch, f"A{chart_row}")

    top = max(list(ages.values()) + [1])
    ch = _bar_chart(_t("chart_ages", lang), counts_max=top)
    ch.add_data(Reference(ws, min_col=2, min_row=ages_head, max_row=ages_head + len(AGE_BUCKETS)),
                titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=ages_head + 1,
                                max_row=ages_head + len(AGE_BUCKETS)))
    ch.legend = None
    ch.width, ch.height = 12.5, 9
    ws.add_chart(ch, f"C{chart_row}")


def _write_empty_summary(ws, meta: ReportMeta, scope: str) -> None:
    """An institution with no requests in the month: one page saying so."""
    lang = meta.lang
    widths = (52, 20)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    _print_setup(ws, lang, title_rows=None)
    sh = _Sheet(ws, widths)
    generated = meta.generated_at if meta.generated_at.tzinfo else meta.generated_at.replace(tzinfo=UTC)
    sh.put(_cell(ws, f"{_t('report', lang)} — {scope}", font=_TITLE))
    sh.put(_t("month", lang), month_label(meta.month, lang))
    sh.put(_t("generated", lang), _cell(ws, _naive_riga(generated), fmt=DATE_FORMAT, align=_DATE_ALIGN))
    sh.put()
    sh.put(sh.bold(_t("in_month", lang)), sh.bold(0))
    sh.put()
    sh.note(_t("no_requests", lang))


def _write_notes_sheet(ws, meta: ReportMeta, fingerprint: str) -> None:
    """Skaidrojumi: each figure and what it counts, in one plain sentence; then the technical facts
    (versions, the fingerprint and the audit anchor, explained in one sentence)."""
    lang = meta.lang
    widths = (36, 110)
    _setup_table_sheet(ws, widths, lang, titles=[_t("figure", lang), _t("meaning", lang)])
    sh = _Sheet(ws, widths)
    sh.head(_t("figure", lang), _t("meaning", lang))
    for name, meaning in _DEFINITIONS:
        sh.put(sh.wrap(gettext_in(lang, name)), sh.wrap(gettext_in(lang, meaning)))
    sh.put()
    sh.put(sh.bold(_t("technical", lang)))
    sh.put(_t("catalog", lang), meta.catalog_version)
    sh.put(_t("contacts", lang), meta.contacts_version)
    sh.put(_t("fingerprint_short", lang) + " (SHA-256)", fingerprint)
    sh.put(_t("anchor_short", lang), meta.anchor or "")
    sh.put(None, sh.wrap(_t("anchor_sentence", lang)))


def _measure_cells(sh: _Sheet, m: dict) -> list:
    r, z = m["response"], m["resolution"]
    h = m["hours"]
    return [m["count"], r["met"], r["decided"], sh.pct(r["share"]),
            z["met"], z["decided"], sh.pct(z["share"]), sh.hrs(h["mean"]), sh.hrs(h["median"])]


# The columns of _measure_cells; "Izskatīšanas" (bold) fits its header unbroken.
_MEASURE_WIDTHS = [11, 12, 11, 9, 12, 11, 9, 11, 11]


def _measure_titles(lang: str) -> list[str]:
    return [
        _t("requests", lang),
        _t("response_met_n", lang), _t("of_decided", lang), "%",
        _t("resolution_met_n", lang), _t("of_decided", lang), "%",
        _t("mean_h", lang), _t("median_h", lang),
    ]


def _write_services_sheet(ws, lang: str, s: dict) -> None:
    """Per service and calendar: requests, deadlines met, hours to resolve."""
    widths = [18.5, 34, 26] + _MEASURE_WIDTHS
    titles = [_t("code", lang), _t("service", lang), _t("calendar", lang), *_measure_titles(lang)]
    _setup_table_sheet(ws, widths, lang, titles=titles)
    sh = _Sheet(ws, widths)
    sh.head(*titles, figures_from=3)
    for m in s.get("services") or []:
        name = m["name"] + (_t("urgent_suffix", lang) if m.get("urgent") else "")
        sh.put(m["code"], sh.wrap(name), sh.wrap(calendar_label(m["calendar"], m["working_time"], lang)),
               *_measure_cells(sh, m))
    sh.put()
    sh.note(_t("method", lang))


def _write_groups_sheet(ws, lang: str, s: dict) -> None:
    """Per expert group (the expert's manager) and calendar."""
    widths = [30, 26] + _MEASURE_WIDTHS
    titles = [_t("group", lang), _t("calendar", lang), *_measure_titles(lang)]
    _setup_table_sheet(ws, widths, lang, titles=titles)
    sh = _Sheet(ws, widths)
    sh.head(*titles, figures_from=2)
    for m in s.get("groups") or []:
        sh.put(sh.wrap(m["group"] or _t("no_group", lang)),
               sh.wrap(calendar_label(m["calendar"], m["working_time"], lang)), *_measure_cells(sh, m))
    sh.put()
    sh.note(_t("method", lang))


def _short_month(month: str) -> str:
    year, mon = month.split("-")
    return f"{mon}.{year}"


def _write_trend_sheet(ws, lang: str, trend: Sequence[dict]) -> None:
    """The last 12 months: the table and a chart of the counts on the first page,
    a chart of the shares in time on the second."""
    widths = [14, 14, 16, 16, 12, 14, 14, 12, 14]
    titles = [_t("trend_month", lang), _t("received", lang), _t("accepted_n", lang), _t("in_time", lang), "%",
              _t("resolved_in_month", lang), _t("in_time", lang), "%"]
    _setup_table_sheet(ws, widths, lang, titles=titles)
    sh = _Sheet(ws, widths[:8])
    sh.head(*titles, figures_from=1)
    first = sh.row + 1
    for t in trend:
        r, z = t["response"], t["resolution"]
        sh.put(_short_month(t["month"]), t["received"], r["decided"], r["met"], sh.pct(r["share"]),
               t["resolved"], z["met"], sh.pct(z["share"]))
    last = sh.row
    sh.put()
    sh.note(_t("trend_note", lang))
    if not trend:
        return
    chart_row = sh.row + 2
    top = max([t["received"] for t in trend] + [t["resolved"] for t in trend] + [1])
    ch = _bar_chart(_t("chart_trend_counts", lang), counts_max=top)
    for col in (2, 6):
        ch.add_data(Reference(ws, min_col=col, min_row=1, max_row=last), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ch.x_axis.txPr = _rich_text(8, rot=-45)
    ch.width, ch.height = 11.5, 8
    ws.add_chart(ch, f"A{chart_row}")

    ch = LineChart()
    _style_chart(ch, _t("chart_trend_shares", lang), percent=True)
    ch.add_data(Reference(ws, min_col=5, min_row=first, max_row=last))
    ch.add_data(Reference(ws, min_col=8, min_row=first, max_row=last))
    ch.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ch.series[0].tx = SeriesLabel(v=_t("response_share", lang))
    ch.series[1].tx = SeriesLabel(v=_t("resolution_share", lang))
    for series in ch.series:
        series.smooth = False
        series.marker.symbol = "circle"
    ch.x_axis.txPr = _rich_text(8, rot=-45)
    ch.width, ch.height = 13.5, 8
    ws.add_chart(ch, f"E{chart_row}")


def _write_units_sheet(ws, lang: str, s: dict) -> None:
    """Requests per requester's unit, most first."""
    widths = [50, 16, 22]
    titles = [_t("unit", lang), _t("in_month", lang), _t("of_them_received", lang)]
    _setup_table_sheet(ws, widths, lang, titles=titles)
    sh = _Sheet(ws, widths)
    sh.head(*titles, figures_from=1)
    for u in s.get("by_unit") or []:
        sh.put(sh.wrap(u["unit"] or _t("no_unit", lang)), u["requests"], u["received"])


# The open requests at the month's end: (key, width); "institution" only in the overview.
_OPEN_COLUMNS: tuple[tuple[str, float], ...] = (
    ("number", 11.5), ("institution", 8), ("requester", 14), ("unit", 15.5), ("service", 17), ("status", 12),
    ("held_by", 14), ("resolution_due", 16.5), ("planned_date", 11), ("delay_reason", 16),
    ("days_late", 9.5), ("waiting_hours", 10), ("escalation_level", 10.5),
)


def _write_open_sheet(ws, lang: str, open_rows: Sequence[ReportRow], with_institution: bool) -> int:
    """Each request open at the month's end: who asked, who holds it, its deadline, how late, the
    planned date and the delay's reason, the time it waited for its user, its escalation level."""
    cols = [(k, w) for k, w in _OPEN_COLUMNS if with_institution or k != "institution"]
    heads = dict(zip(COLUMN_KEYS, headers(lang)))
    names = {"institution": _t("institution", lang), "requester": heads["requester_name"],
             "unit": heads["requester_unit"], "service": heads["service_name"], "held_by": _t("held_by", lang),
             "status": _t("by_status", lang)}
    titles = [names.get(k) or heads[k] for k, _w in cols]
    widths = [w for _k, w in cols]
    _setup_table_sheet(ws, widths, lang, freeze="B2", titles=titles)
    kinds = {"resolution_due": "d", "days_late": "n", "waiting_hours": "n", "escalation_level": "n"}
    columns = []
    for k, _w in cols:
        kind = kinds.get(k, "s")
        if kind == "d":
            columns.append(("d", _cell(ws, None, fmt=DATE_FORMAT, align=_DATE_ALIGN)))
        elif kind == "n":
            columns.append(("n", _cell(ws, None, fmt=HOURS_FORMAT if k != "escalation_level" else None)))
        else:
            columns.append(("s", _cell(ws, None, align=_WRAP)))
    rows = _StyledRows(ws, columns)
    ws.append([_header_cell(ws, t, over_figures=kind == "n") for t, (kind, _c) in zip(titles, columns)])
    rows.after_header(1)
    fmt = formatter(lang)
    per_line = [max(1, int(w * _CHARS_PER_WIDTH)) for w in widths]
    n = 0
    for r in open_rows:
        v = {"number": clean_text(r.number), "institution": clean_text(r.institution),
             "requester": clean_text(r.requester_name), "unit": clean_text(r.requester_unit),
             "service": clean_text(r.service_name) + (_t("urgent_suffix", lang) if r.urgent else ""),
             "status": fmt.status.get(r.status, r.status), "held_by": holder(r, lang),
             "resolution_due": _naive_riga(r.resolution_due),
             "planned_date": r.planned_date.strftime("%d.%m.%Y") if r.planned_date else "",
             "delay_reason": clean_text(r.delay_reason), "days_late": r.days_late,
             "waiting_hours": r.waiting_hours, "escalation_level": r.escalation_level or None}
        values = [v[k] for k, _w in cols]
        lines = 1
        for i, x in enumerate(values):
            if isinstance(x, str) and len(x) > per_line[i]:
                lines = max(lines, _lines(x, widths[i]))
        rows.append(values, lines)
        n += 1
    if not n:  # (the workbooks leave the sheet out instead)
        ws.append([_cell(ws, _t("no_open", lang), font=_ITALIC)])
    else:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{n + 1}"
    return n


def _write_escalations_sheet(ws, lang: str, escalations: Iterable, with_institution: bool,
                             empty_key: str = "no_escalations", note_key: str = "esc_note") -> int:
    """Each escalation: date, request, service, level, reason in words, expert, manager."""
    widths = [17.5, 12.5] + ([9] if with_institution else []) + [26, 22, 44, 20, 20]
    titles = [_t("esc_at", lang), _t("number", lang)]
    if with_institution:
        titles.append(_t("institution", lang))
    titles += [_t("service", lang), _t("level", lang), _t("reason", lang), _t("expert", lang),
               _t("manager", lang)]
    _setup_table_sheet(ws, widths, lang, titles=titles)
    reasons = formatter(lang).escalation
    levels = {lvl: level_label(lvl, lang) for lvl in _LEVELS}
    columns = [("d", _cell(ws, None, fmt=DATE_FORMAT, align=_DATE_ALIGN)), ("s", _cell(ws, None, align=_TOP))]
    if with_institution:
        columns.append(("s", _cell(ws, None, align=_TOP)))
    columns += [("s", _cell(ws, None, align=_WRAP)) for _ in range(5)]
    rows = _StyledRows(ws, columns)
    sh = _Sheet(ws, widths)
    sh.head(*titles)
    rows.after_header(sh.row)
    per_line = [max(1, int(w * _CHARS_PER_WIDTH)) for w in widths]
    n = 0
    for e in escalations:
        values = [_naive_riga(e.at), clean_text(e.number)]
        if with_institution:
            values.append(clean_text(e.institution))
        values += [clean_text(e.service_name), levels.get(e.level) or level_label(e.level, lang),
                   reasons.get(e.reason, e.reason), clean_text(e.expert), clean_text(e.manager)]
        lines = 1
        for i, v in enumerate(values):
            if isinstance(v, str) and len(v) > per_line[i]:
                lines = max(lines, _lines(v, widths[i]))
        n += 1
        rows.append(values, lines)
    sh.row = rows.row
    if not n:
        sh.put(_cell(ws, _t(empty_key, lang), font=_ITALIC))
    else:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{n + 1}"
        rows.text_row(_cell(ws, _t(note_key, lang), font=_ITALIC))
    return n


# The request rows are too wide for one legible A4 page (29 columns), so they are printed as three
# sheets, each led by the number, each no wider than an A4 page at 8 pt: who asked what and its state
# ("Pieteikumi"); the deadlines, how late and the escalation level ("Termiņi"); who held it, the delay,
# the waiting for the user and what came of it ("Gaita"). Between them, every column of the CSV.
REQUEST_COLUMNS = tuple(COLUMN_KEYS.index(k) for k in (
    "number", "received_at", "channel", "requester_name", "requester_unit", "requester_position",
    "service_code", "service_name", "urgent", "description", "status",
))
DEADLINE_COLUMNS = tuple(COLUMN_KEYS.index(k) for k in (
    "number", "response_due", "accepted_at", "response_met", "resolution_due", "planned_date",
    "resolved_at", "resolution_met", "days_late", "resolve_hours", "calendar", "escalation_level",
))
PROGRESS_COLUMNS = tuple(COLUMN_KEYS.index(k) for k in (
    "number", "expert", "expert_group", "delay_reason", "waiting_hours", "closed_at", "outcome", "escalations",
))
DETAIL_SHEETS = (("requests_sheet", REQUEST_COLUMNS), ("deadlines_sheet", DEADLINE_COLUMNS),
                 ("progress_sheet", PROGRESS_COLUMNS))


def _table(ws, lang: str, columns: Sequence[int]) -> "_RowWriter":
    titles = [headers(lang)[i] for i in columns]
    widths = [_WIDTHS[COLUMN_KEYS[i]] for i in columns]
    _setup_table_sheet(ws, widths, lang, freeze="B2", titles=titles)
    return _RowWriter(ws, lang, columns, titles=titles)


def _write_request_sheets(sheets: Sequence, lang: str, rows, builder: SummaryBuilder,
                          totals: SummaryBuilder | None) -> int:
    """``sheets``: the worksheets of DETAIL_SHEETS, in that order."""
    writers = [_table(ws, lang, cols).append for ws, (_key, cols) in zip(sheets, DETAIL_SHEETS)]
    values = formatter(lang).values
    add = builder.add
    add_total = totals.add if totals is not None else None
    for r in rows:
        add(r)
        if add_total is not None:
            add_total(r)
        vals = values(r)  # formatted once for every sheet
        for w in writers:
            w(r, vals)
    n = builder.total
    for ws, (_key, cols) in zip(sheets, DETAIL_SHEETS):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{n + 1}"
    return n


# --------------------------------------------------------------------------
# Institution workbook

def write_institution_workbook(
    path: Path,
    meta: ReportMeta,
    rows: Sequence[ReportRow] | Iterable[ReportRow],
    summary: dict | None = None,
    *,
    totals: SummaryBuilder | None = None,
    end: datetime | None = None,
    trend: Sequence[dict] = (),
    escalations: Iterable = (),
    earlier_escalations: Iterable = (),
) -> dict:
    """Write one institution's monthly workbook; return its summary.

    ``rows``: a sequence (sorted here) or an iterator already in number order
    (streamed from the database; raises ValueError on disorder). The summary
    is computed in the same pass unless ``summary`` is given. ``totals``, when
    given, is fed every row too (the Centre-wide summary for the overview).
    ``end``: the month's end, for the open requests by age. ``trend``: the
    months up to this one (``pd.report.ledger.trend``); ``escalations``: the
    ``EscalationRow``s dated in the month, ``earlier_escalations`` those of the
    same requests dated before it. An institution with no requests gets one
    page saying so. The returned dict is the summary plus ``fingerprint``,
    computed over the rows written.
    """

    lang = meta.lang
    scope = f"{meta.institution_name} ({meta.institution_code})"
    rows = iter(ordered(rows))
    first = next(rows, None)
    if first is None:
        builder = SummaryBuilder(fingerprint=True, end=end)
        fp = builder.fingerprint()
        summary = dict(summary or builder.result(), fingerprint=fp)
        meta = replace(meta, fingerprint=fp)
        with _workbook() as wb:
            _write_empty_summary(wb.create_sheet(_t("summary_sheet", lang)), meta, scope)
            _set_properties(wb, meta, f"{_t('report', lang)} {meta.month} — {meta.institution_code}", fp, scope)
            _save(wb, path)
        return summary
    rows = itertools.chain((first,), rows)
    with _workbook() as wb:
        ws_sum = wb.create_sheet(_t("summary_sheet", lang))
        ws_open = wb.create_sheet(_t("open_sheet", lang))
        ws_svc = wb.create_sheet(_t("services_sheet", lang))
        ws_grp = wb.create_sheet(_t("groups_sheet", lang))
        ws_unit = wb.create_sheet(_t("units_sheet", lang))
        ws_trend = wb.create_sheet(_t("trend_sheet", lang))
        ws_esc = wb.create_sheet(_t("escalations_sheet", lang))
        ws_early = wb.create_sheet(_t("earlier_sheet", lang))
        details = [wb.create_sheet(_t(key, lang)) for key, _cols in DETAIL_SHEETS]
        ws_notes = wb.create_sheet(_t("notes_sheet", lang))

        builder = SummaryBuilder(fingerprint=True, end=end)
        _write_request_sheets(details, lang, rows, builder, totals)
        fp = builder.fingerprint()
        if summary is None:
            summary = builder.result()
        summary = dict(summary, fingerprint=fp)
        meta = replace(meta, fingerprint=fp)

        _write_summary_sheet(ws_sum, meta, summary, scope, trend)
        _write_services_sheet(ws_svc, lang, summary)
        _write_groups_sheet(ws_grp, lang, summary)
        _write_units_sheet(ws_unit, lang, summary)
        _write_trend_sheet(ws_trend, lang, trend)
        _write_notes_sheet(ws_notes, meta, fp)
        # A sheet with nothing to list is left out (the summary says 0): no header over an empty page.
        if not builder.open_rows:
            _drop_sheet(wb, ws_open)
        else:
            _write_open_sheet(ws_open, lang, builder.open_rows, with_institution=False)
        escalations, earlier_escalations = list(escalations), list(earlier_escalations)
        for ws, listed, keys in ((ws_esc, escalations, ("no_escalations", "esc_note")),
                                 (ws_early, earlier_escalations, ("no_earlier", "earlier_note"))):
            if listed:
                _write_escalations_sheet(ws, lang, listed, with_institution=False,
                                         empty_key=keys[0], note_key=keys[1])
            else:
                _drop_sheet(wb, ws)
        _set_properties(
            wb, meta, f"{_t('report', lang)} {meta.month} — {meta.institution_code}", fp, scope,
        )
        _save(wb, path)
    return summary


# --------------------------------------------------------------------------
# Overview workbook

_REFUSED_COLUMNS = tuple(
    COLUMN_KEYS.index(k) for k in (
        "number", "received_at", "requester_name", "requester_unit",
        "service_code", "service_name", "description", "outcome",
    )
)


def _overview_headers(lang: str) -> list[str]:
    return [
        _t("code", lang), _t("institution", lang), _t("in_month", lang), _t("received_month", lang),
        _t("carried_over", lang), _t("open_end", lang), _t("response_share", lang),
        _t("resolution_share", lang), _t("esc_total", lang), _t("esc_requests", lang),
    ]


def _status_headers(lang: str) -> list[str]:
    fmt = formatter(lang)
    return [_t("code", lang), _t("institution", lang)] + [fmt.status.get(st, st) for st in STATUSES]


def _write_institutions_sheet(ws, lang: str, institutions: Sequence[tuple[str, str, dict]],
                              total: dict) -> None:
    """One row per institution: its requests on their stated basis, deadlines met, escalations.
    The states at the month's end are on a sheet of their own (18 columns printed at 6 pt)."""
    titles = _overview_headers(lang)
    ncol = len(titles)
    widths = [9, 40] + [14.5] * (ncol - 2)
    _setup_table_sheet(ws, widths, lang, freeze="C2", titles=titles)
    sh = _Sheet(ws, widths)
    sh.head(*titles, figures_from=2)

    def line(code, name, s, bold=False) -> list:
        font = _BOLD if bold else None

        def pct(v):
            return None if v is None else _cell(ws, v, fmt=PERCENT_FORMAT, font=font)

        vals = [code, name, s["total"], s.get("received", 0), s.get("carried_over", 0),
                s.get("open_at_end", 0), pct(s["response"]["share"]), pct(s["resolution"]["share"]),
                sum(s["escalations"].values()), s.get("escalated_requests", 0)]
        vals = [v if (v is None or isinstance(v, Cell)) else _cell(ws, v, font=font) for v in vals]
        if not bold:
            # A long name ("Valsts ugunsdzēsības un glābšanas dienests") wraps in its row instead of
            # being cut at the column's edge on paper; the row's figures stand at the top beside it.
            vals[1] = sh.wrap(name)
        return vals

    for code, name, s in institutions:
        sh.put(*line(code, name, s))
    n = len(institutions)
    ws.auto_filter.ref = f"A1:{get_column_letter(ncol)}{n + 1}"
    sh.put(*line(_t("total_row", lang), _t("all_institutions", lang), total, bold=True))
    if not n:
        return
    # A short table has its charts below it on the same page (a page of its own left the table's page
    # nearly empty and repeated the header over the charts); a long one has them on a page of their
    # own, one row below its break (on the break itself LibreOffice printed their top borders at the
    # foot of the table's page).
    if n > _CHARTS_BELOW_UP_TO:
        _page_break_before(ws, sh.row + 3)
        chart_row = sh.row + 4
    else:
        chart_row = sh.row + 3
    top = max([s["total"] for _c, _n, s in institutions] + [1])
    ch = _bar_chart(_t("chart_institutions", lang), counts_max=top)
    ch.add_data(Reference(ws, min_col=3, min_row=1, max_row=n + 1), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    ch.legend = None
    ch.width, ch.height = 13, 8
    ws.add_chart(ch, f"A{chart_row}")

    share_col = 7
    ch = _bar_chart(_t("chart_shares", lang), percent=True)
    ch.add_data(Reference(ws, min_col=share_col, max_col=share_col + 1, min_row=1, max_row=n + 1),
                titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    ch.width, ch.height = 17, 8
    ws.add_chart(ch, f"E{chart_row}")


# Institutions a table may have with its two charts (8 cm) still below it on its A4 page.
_CHARTS_BELOW_UP_TO = 14


def _write_statuses_sheet(ws, lang: str, institutions: Sequence[tuple[str, str, dict]], total: dict) -> None:
    titles = _status_headers(lang)
    widths = [9, 40] + [13] * len(STATUSES)
    _setup_table_sheet(ws, widths, lang, freeze="C2", titles=titles)
    sh = _Sheet(ws, widths)
    sh.head(*titles, figures_from=2)
    for code, name, s in institutions:
        sh.put(code, sh.wrap(name), *[s["by_status"].get(st, 0) for st in STATUSES])
    sh.put(*[sh.bold(v) for v in [_t("total_row", lang), _t("all_institutions", lang)]
             + [total["by_status"].get(st, 0) for st in STATUSES]])


def write_overview_workbook(
    path: Path,
    meta: ReportMeta,
    institutions: Sequence[tuple[str, str, dict]],
    refused: Iterable[ReportRow],
    *,
    total: dict | None = None,
    trend: Sequence[dict] = (),
    escalations: Iterable = (),
    earlier_escalations: Iterable = (),
    open_rows: Sequence[ReportRow] = (),
) -> dict:
    """The Centre's overview: the month across institutions; returns its summary.

    ``total``: the Centre-wide summary (``SummaryBuilder.result()`` of a
    builder given as ``totals=`` to every ``write_institution_workbook``);
    without it the counts are added up and the per-service, per-group and
    hours tables stay empty. ``refused``: the requests refused as outside
    the Centre's competence, listed on the last sheet in number order.
    """
    lang = meta.lang
    institutions = list(institutions)
    if total is None:
        total = combine_summaries(s for _c, _n, s in institutions)
    fp = meta.fingerprint or _overview_fingerprint(institutions)
    total = dict(total, fingerprint=fp)
    meta = replace(meta, fingerprint=fp)
    with _workbook() as wb:
        ws_sum = wb.create_sheet(_t("summary_sheet", lang))
        ws_inst = wb.create_sheet(_t("institutions_sheet", lang))
        ws_stat = wb.create_sheet(_t("statuses_sheet", lang))
        ws_open = wb.create_sheet(_t("open_sheet", lang))
        ws_svc = wb.create_sheet(_t("services_sheet", lang))
        ws_grp = wb.create_sheet(_t("groups_sheet", lang))
        ws_trend = wb.create_sheet(_t("trend_sheet", lang))
        ws_esc = wb.create_sheet(_t("escalations_sheet", lang))
        ws_early = wb.create_sheet(_t("earlier_sheet", lang))
        ws_ref = wb.create_sheet(_t("refused_sheet", lang))
        ws_notes = wb.create_sheet(_t("notes_sheet", lang))

        scope = f"{meta.institution_name} — {_t('all_institutions', lang)}"
        _write_summary_sheet(ws_sum, meta, total, scope, trend)
        _write_institutions_sheet(ws_inst, lang, institutions, total)
        _write_statuses_sheet(ws_stat, lang, institutions, total)
        _write_services_sheet(ws_svc, lang, total)
        _write_groups_sheet(ws_grp, lang, total)
        _write_trend_sheet(ws_trend, lang, trend)
        _write_notes_sheet(ws_notes, meta, fp)
        # A sheet with nothing to list is left out (the summary says 0): no header over an empty page.
        if open_rows:
            _write_open_sheet(ws_open, lang, open_rows, with_institution=True)
        else:
            _drop_sheet(wb, ws_open)
        escalations, earlier_escalations = list(escalations), list(earlier_escalations)
        for ws, listed, keys in ((ws_esc, escalations, ("no_escalations", "esc_note")),
                                 (ws_early, earlier_escalations, ("no_earlier", "earlier_note"))):
            if listed:
                _write_escalations_sheet(ws, lang, listed, with_institution=True,
                                         empty_key=keys[0], note_key=keys[1])
            else:
                _drop_sheet(wb, ws)

        # The refused requests
        ref_keys = [COLUMN_KEYS[i] for i in _REFUSED_COLUMNS]
        all_headers = headers(lang)
        ref_titles = [all_headers[i] for i in _REFUSED_COLUMNS]
        ref_titles.insert(1, _t("institution", lang))
        ref_titles[-1] = _t("reason_refused", lang)
        widths = [_WIDTHS[k] for k in ref_keys]
        widths.insert(1, 9)
        widths[-1] = 36
        _setup_table_sheet(ws_ref, widths, lang, titles=ref_titles)
        writer = _RowWriter(ws_ref, lang, _REFUSED_COLUMNS, institution_at=1, widths={"outcome": widths[-1]},
                            titles=ref_titles)
        count = 0
        for r in ordered(refused):
            writer.append(r)
            count += 1
        ws_ref.auto_filter.ref = f"A1:{get_column_letter(len(ref_titles))}{count + 1}"
        if not count:
            _drop_sheet(wb, ws_ref)

        _set_properties(wb, meta, f"{_t('report', lang)} {meta.month} — {_t('all_institutions', lang)}",
                        fp, scope)
        _save(wb, path)
    return total


def _overview_fingerprint(institutions: Sequence[tuple[str, str, dict]]) -> str:
    h = hashlib.sha256()
    for code, _name, s in sorted(institutions, key=lambda t: t[0]):
        h.update(f"{code}:{s.get('fingerprint', '')}\n".encode())
    return h.hexdigest()
