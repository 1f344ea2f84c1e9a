"""The monthly report's workbooks [SPEC 8, §11], written with openpyxl.

Imported only by the report command (openpyxl is heavy). Every workbook is
written in openpyxl's write-only mode: rows stream to a temporary file as
they come, so memory stays flat whatever the month's size, and the summary is
accumulated in the same pass (``SummaryBuilder``). A workbook is saved to a
hidden temporary name beside ``path`` and renamed into place, so a reader
never sees half a file.

Layout
------
Institution workbook: sheet "Pieteikumi"/"Requests", one row per request in
number order, header bold and frozen, autofilter, real Excel datetimes in Riga
time; sheet "Kopsavilkums"/"Summary": small labelled tables (column A holds
the labels), two bar charts (deadlines met and not met; requests per service).
An empty month: the requests sheet has the header only, the summary says
"Šajā mēnesī pieteikumu nav." under the zero totals, and has no charts.

Overview workbook: sheet "Iestādes"/"Institutions", one row per institution
and a total row, with two charts below the table; sheet
"Noraidītie"/"Refused", the requests refused as outside the Centre's
competence.
"""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .measures import SummaryBuilder, combine_summaries
from .rows import (
    COLUMN_KEYS,
    DATE_COLUMNS,
    ESCALATION_REASONS,
    HOURS_COLUMN,
    RIGA,
    STATUSES,
    TEXT_COLUMNS,
    ReportMeta,
    ReportRow,
    clean_text,
    formatter,
    headers,
    month_label,
    ordered,
)

DATE_FORMAT = "dd.mm.yyyy hh:mm"
HOURS_FORMAT = "0.0"
PERCENT_FORMAT = "0.0%"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")

# Column widths of the requests sheet, in COLUMNS order (characters).
_WIDTHS = {
    "number": 13, "received_at": 16, "channel": 10, "requester_name": 22,
    "requester_unit": 24, "requester_position": 20, "service_code": 11,
    "service_name": 30, "description": 50, "expert": 20, "accepted_at": 16,
    "resolved_at": 16, "closed_at": 16, "status": 22, "outcome": 40,
    "response_met": 13, "resolution_met": 13, "resolve_hours": 13,
    "escalations": 40,
}

_TEXTS: dict[str, tuple[str, str]] = {
    "requests_sheet": ("Pieteikumi", "Requests"),
    "summary_sheet": ("Kopsavilkums", "Summary"),
    "institutions_sheet": ("Iestādes", "Institutions"),
    "refused_sheet": ("Noraidītie", "Refused"),
    "report": ("Ikmēneša pārskats", "Monthly report"),
    "institution": ("Iestāde", "Institution"),
    "month": ("Mēnesis", "Month"),
    "generated": ("Sagatavots", "Generated"),
    "catalog": ("Pakalpojumu kataloga versija", "Service catalog version"),
    "contacts": ("Kontaktu versija", "Contacts version"),
    "fingerprint": ("Kontrolsumma (SHA-256)", "Fingerprint (SHA-256)"),
    "empty": ("Šajā mēnesī pieteikumu nav.", "No requests this month."),
    "total": ("Pieteikumi kopā", "Requests in total"),
    "by_status": ("Statuss mēneša beigās", "State at month end"),
    "by_channel": ("Saņemšanas kanāls", "Channel"),
    "count": ("Skaits", "Count"),
    "deadlines": ("Termiņi", "Deadlines"),
    "met": ("Ievērots", "Met"),
    "not_met": ("Nav ievērots", "Not met"),
    "decided": ("Izvērtēti", "Decided"),
    "share": ("Ievērots, %", "Met, %"),
    "response": ("Reaģēšanas termiņš", "Response deadline"),
    "resolution": ("Izskatīšanas termiņš", "Resolution deadline"),
    "hours": ("Izpildes laiks, darba stundas", "Time to resolve, working hours"),
    "median": ("Mediāna", "Median"),
    "p90": ("90. procentile", "90th percentile"),
    "hours_count": ("Izpildīto pieteikumu skaits", "Requests resolved"),
    "method": (
        "Mediāna un procentile: lineāra interpolācija (kā Excel MEDIAN, PERCENTILE.INC).",
        "Median and percentile: linear interpolation (as Excel MEDIAN, PERCENTILE.INC).",
    ),
    "escalations": ("Eskalācijas pēc iemesla", "Escalations by reason"),
    "escalated_requests": ("Eskalētie pieteikumi", "Requests escalated"),
    "by_service": ("Pieteikumi pa pakalpojumiem", "Requests per service"),
    "code": ("Kods", "Code"),
    "service": ("Pakalpojums", "Service"),
    "chart_deadlines": ("Termiņu ievērošana", "Deadlines met"),
    "all_institutions": ("visas iestādes", "all institutions"),
    "total_row": ("Kopā", "Total"),
    "chart_institutions": ("Pieteikumi pa iestādēm", "Requests per institution"),
    "chart_shares": ("Ievēroto termiņu īpatsvars", "Share of deadlines met"),
    "response_share": ("Reaģēšanas termiņš ievērots, %", "Response deadline met, %"),
    "resolution_share": ("Izskatīšanas termiņš ievērots, %", "Resolution deadline met, %"),
    "median_h": ("Izpildes laika mediāna, h", "Median time to resolve, h"),
    "p90_h": ("Izpildes laika 90. procentile, h", "90th percentile time to resolve, h"),
    "reason_refused": ("Atteikuma iemesls", "Reason for refusal"),
}


# Short names of the escalation reasons for table labels and headers (the
# requests sheet uses the full labels of pd.latvian).
_ESCALATION_SHORT: dict[str, tuple[str, str]] = {
    "not_accepted": ("Eskalēts: nav apstiprināta pieņemšana", "Escalated: not accepted"),
    "unjustified_rejection": ("Eskalēts: nepamatots noraidījums", "Escalated: unjustified rejection"),
    "overdue": ("Eskalēts: pārsniegts termiņš", "Escalated: overdue"),
}


def _escalation_short(reason: str, lang: str) -> str:
    names = _ESCALATION_SHORT.get(reason)
    if names is None:
        return formatter(lang).escalation.get(reason, reason)
    return names[1 if lang == "en" else 0]


def _t(key: str, lang: str) -> str:
    return _TEXTS[key][1 if lang == "en" else 0]


# --------------------------------------------------------------------------
# Cells

def _cell(ws, value, *, font=None, fmt=None, fill=None, align=None) -> Any:
    c = WriteOnlyCell(ws, value=value)
    if font is not None:
        c.font = font
    if fmt is not None:
        c.number_format = fmt
    if fill is not None:
        c.fill = fill
    if align is not None:
        c.alignment = align
    return c


def _text_cell(ws, value: str) -> Any:
    """A text that openpyxl would take for a formula or an error code stays text."""
    c = WriteOnlyCell(ws, value=value)
    c.data_type = "s"
    return c


def _header_row(ws, titles: Sequence[str]) -> list:
    return [_cell(ws, h, font=_BOLD, fill=_HEADER_FILL, align=_HEADER_ALIGN) for h in titles]


def _naive_riga(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(RIGA).replace(tzinfo=None)


def _setup_table_sheet(ws, widths: Sequence[float]) -> None:
    """Before the first append: column widths, frozen header, header row height."""
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 45


def _fast_path_supported() -> bool:
    """Whether openpyxl's write-only internals are the ones _fast_values_to_row mimics."""
    import openpyxl
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    probe = WriteOnlyCell(None)
    return (
        openpyxl.__version__.startswith("3.1.")
        and hasattr(WriteOnlyWorksheet, "_values_to_row")
        and hasattr(probe, "_value") and hasattr(probe, "data_type")
    )


# Set to False to use only openpyxl's public API (the tests compare both).
FAST_ROWS = _fast_path_supported()


def _install_fast_rows(ws) -> None:
    """Replace the sheet's per-row cell conversion by a leaner one.

    openpyxl's ``WriteOnlyWorksheet._values_to_row`` binds every value
    through ``Cell.value`` (type sniffing, an illegal-character regex, a
    formula check) and, for a ready-made styled cell, first fails that with a
    ValueError whose message formats the cell's repr. The rows written here
    are already clean (``clean_text``), so strings and numbers are bound
    directly, as text (a leading "=" stays text, not a formula), and styled
    cells are passed through. Anything else goes the public way.
    """
    plain_types = {str: "s", int: "n", float: "n"}

    def values_to_row(values, row_idx):
        cell = WriteOnlyCell(ws)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            dt = plain_types.get(type(value))
            if dt is not None:
                cell._value = value
                cell.data_type = dt
            elif isinstance(value, Cell):
                value.column = col_idx
                value.row = row_idx
                yield value
                continue
            else:
                cell.value = value
            cell.column = col_idx
            cell.row = row_idx
            yield cell
            if cell.has_style:
                cell = WriteOnlyCell(ws)

    ws._values_to_row = values_to_row


class _RowWriter:
    """Appends ReportRows to a write-only sheet with as little per-cell work as it can.

    One pre-styled cell per date column and one for the hours are reused for
    every row (openpyxl writes an appended row before ``append`` returns), so
    no Font/number-format object is made per cell; empty texts are left out.
    With FAST_ROWS the sheet binds values directly (``_install_fast_rows``).
    """

    def __init__(self, ws, lang: str, columns: Sequence[int] | None = None,
                 institution_at: int | None = None):
        self.ws = ws
        self.fast = FAST_ROWS
        if self.fast:
            _install_fast_rows(ws)
        self.institution_at = institution_at
        self.values = formatter(lang).values
        self.columns = tuple(columns) if columns is not None else tuple(range(len(COLUMN_KEYS)))
        pos = {src: i for i, src in enumerate(self.columns)}
        self.dates = [
            (pos[i], _cell(ws, None, fmt=DATE_FORMAT)) for i in DATE_COLUMNS if i in pos
        ]
        self.hours = (
            (pos[HOURS_COLUMN], _cell(ws, None, fmt=HOURS_FORMAT))
            if HOURS_COLUMN in pos else None
        )
        self.texts = [pos[i] for i in TEXT_COLUMNS if i in pos]
        self.full = columns is None

    def append(self, r: ReportRow) -> None:
        vals = self.values(r)
        if self.full:
            v = [x if x != "" else None for x in vals]
        else:
            v = [vals[i] if vals[i] != "" else None for i in self.columns]
        if self.institution_at is not None:
            v.insert(self.institution_at, clean_text(r.institution))
            shift = self.institution_at
        else:
            shift = None
        fast = self.fast
        for i, c in self.dates:
            if shift is not None and i >= shift:
                i += 1
            d = v[i]
            if d is not None:
                d = d.replace(tzinfo=None)  # already Riga wall-clock time
                if fast:
                    c._value = d
                    c.data_type = "d"
                else:
                    c.value = d
                v[i] = c
        if self.hours is not None:
            i, c = self.hours
            if shift is not None and i >= shift:
                i += 1
            h = v[i]
            if h is not None:
                if fast:
                    c._value = h
                    c.data_type = "n"
                else:
                    c.value = h
                v[i] = c
        if not fast:
            for i in self.texts:
                if shift is not None and i >= shift:
                    i += 1
                s = v[i]
                if s is not None and s[0] in "=#":
                    v[i] = _text_cell(self.ws, s)
        self.ws.append(v)


# --------------------------------------------------------------------------
# Document properties

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
    ]
    p = wb.properties
    p.title = title
    p.subject = f"{_t('report', lang)} — {scope} — {month_label(meta.month, lang)}"
    p.description = "\n".join(lines)
    p.keywords = "; ".join([
        "pd", meta.institution_code or "IC", meta.month,
        f"catalog={meta.catalog_version}", f"contacts={meta.contacts_version}",
        f"sha256={fingerprint}",
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
        ("pd.lang", lang),
    ):
        wb.custom_doc_props.append(StringProperty(name=name, value=str(value or "")))


@contextmanager
def _workbook() -> Iterator[Workbook]:
    """A write-only workbook whose temporary sheet files are removed on failure."""
    wb = Workbook(write_only=True)
    try:
        yield wb
    except BaseException:
        _abort(wb)
        raise


def _abort(wb: Workbook) -> None:
    for ws in wb.worksheets:
        try:
            if ws._rows is not None:
                ws._rows.close()
            if ws._writer is not None:
                ws._writer.close()
                ws._writer.cleanup()
        except Exception:  # best effort: openpyxl removes its temp files at exit
            pass


def _save(wb: Workbook, path: Path) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.part{path.suffix or '.xlsx'}")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# --------------------------------------------------------------------------
# Charts

def _bar_chart(title: str, *, horizontal: bool, y_title: str | None = None) -> BarChart:
    ch = BarChart()
    ch.type = "bar" if horizontal else "col"
    ch.style = 10
    ch.title = title
    # openpyxl 3.1 leaves the axes' <c:delete> unset and Excel hides them.
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    if y_title:
        ch.y_axis.title = y_title
    if horizontal:
        ch.x_axis.scaling.orientation = "maxMin"  # top to bottom as in the table
    return ch


# --------------------------------------------------------------------------
# Institution workbook

def write_institution_workbook(
    path: Path,
    meta: ReportMeta,
    rows: Sequence[ReportRow] | Iterable[ReportRow],
    summary: dict | None = None,
    *,
    totals: SummaryBuilder | None = None,
) -> dict:
    """Write one institution's monthly workbook; return its summary.

    ``rows``: a sequence (sorted here) or an iterator already in number order
    (streamed from the database; raises ValueError on disorder). The summary
    is computed in the same pass unless ``summary`` is given. ``totals``, when
    given, is fed every row too (the Centre-wide summary for the overview).
    The returned dict is the summary plus ``fingerprint``, computed over the
    rows written (``meta.fingerprint`` is not used for this workbook).
    """
    lang = meta.lang
    with _workbook() as wb:
        ws = wb.create_sheet(_t("requests_sheet", lang))
        ws_sum = wb.create_sheet(_t("summary_sheet", lang))

        _setup_table_sheet(ws, [_WIDTHS[k] for k in COLUMN_KEYS])
        ws.append(_header_row(ws, headers(lang)))

        builder = SummaryBuilder(fingerprint=True)
        writer = _RowWriter(ws, lang)
        add, write = builder.add, writer.append
        if totals is None:
            for r in ordered(rows):
                add(r)
                write(r)
        else:
            add_total = totals.add
            for r in ordered(rows):
                add(r)
                add_total(r)
                write(r)
        n = builder.total
        ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMN_KEYS))}{n + 1}"

        fp = builder.fingerprint()
        if summary is None:
            summary = builder.result()
        summary = dict(summary, fingerprint=fp)
        meta = replace(meta, fingerprint=fp)

        _write_summary_sheet(ws_sum, meta, summary)
        scope = f"{meta.institution_code} — {meta.institution_name}"
        _set_properties(
            wb, meta, f"{_t('report', lang)} {meta.month} — {meta.institution_code}", fp, scope,
        )
        _save(wb, path)
    return summary


def _write_summary_sheet(ws, meta: ReportMeta, s: dict) -> None:
    lang = meta.lang
    for col, w in zip("ABCDE", (44, 34, 14, 12, 14)):
        ws.column_dimensions[col].width = w
    row = 0

    def put(*cells) -> int:
        nonlocal row
        ws.append(list(cells))
        row += 1
        return row

    def head(*titles) -> int:
        return put(*[_cell(ws, t, font=_BOLD, fill=_HEADER_FILL) for t in titles])

    generated = meta.generated_at
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    put(_cell(ws, f"{_t('report', lang)} — {meta.institution_name} ({meta.institution_code})",
              font=_TITLE))
    put(_t("institution", lang), f"{meta.institution_code} — {meta.institution_name}")
    put(_t("month", lang), month_label(meta.month, lang))
    put(_t("generated", lang), _cell(ws, _naive_riga(generated), fmt=DATE_FORMAT))
    put(_t("catalog", lang), meta.catalog_version)
    put(_t("contacts", lang), meta.contacts_version)
    put(_t("fingerprint", lang), s.get("fingerprint") or meta.fingerprint)
    put()
    put(_cell(ws, _t("total", lang), font=_BOLD), _cell(ws, s["total"], font=_BOLD))
    if not s["total"]:
        put(_cell(ws, _t("empty", lang), font=_BOLD))
    put()

    fmt = formatter(lang)
    head(_t("by_status", lang), _t("count", lang))
    for st, count in s["by_status"].items():
        put(fmt.status.get(st, st), count)
    put()
    head(_t("by_channel", lang), _t("count", lang))
    for ch, count in s["by_channel"].items():
        put(fmt.channel.get(ch, ch), count)
    put()

    deadlines_head = head(_t("deadlines", lang), _t("met", lang), _t("not_met", lang),
                          _t("decided", lang), _t("share", lang))
    for key in ("response", "resolution"):
        d = s[key]
        share = None if d["share"] is None else _cell(ws, d["share"], fmt=PERCENT_FORMAT)
        put(_t(key, lang), d["met"], d["not_met"], d["decided"], share)
    put()

    h = s["resolve_hours"]
    head(_t("hours", lang), "")
    put(_t("median", lang), None if h["median"] is None else _cell(ws, h["median"], fmt=HOURS_FORMAT))
    put(_t("p90", lang), None if h["p90"] is None else _cell(ws, h["p90"], fmt=HOURS_FORMAT))
    put(_t("hours_count", lang), h["count"])
    put(_cell(ws, _t("method", lang), font=Font(italic=True)))
    put()

    head(_t("escalations", lang), _t("count", lang))
    for reason, count in s["escalations"].items():
        put(_escalation_short(reason, lang), count)
    put(_cell(ws, _t("escalated_requests", lang), font=_BOLD), s["escalated_requests"])
    put()

    put(_cell(ws, _t("by_service", lang), font=_BOLD))
    services_head = head(_t("code", lang), _t("service", lang), _t("count", lang))
    services = s.get("services") or [
        {"code": c, "name": c, "count": n} for c, n in s["by_service"].items()
    ]
    for svc in services:
        put(svc["code"], svc["name"], svc["count"])

    if not s["total"]:
        return
    ch = _bar_chart(_t("chart_deadlines", lang), horizontal=False, y_title=_t("count", lang))
    ch.add_data(Reference(ws, min_col=2, max_col=3, min_row=deadlines_head,
                          max_row=deadlines_head + 2), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=deadlines_head + 1,
                                max_row=deadlines_head + 2))
    ch.width, ch.height = 16, 7.5
    ws.add_chart(ch, "G2")

    n = len(services)
    if n:
        ch = _bar_chart(_t("by_service", lang), horizontal=True, y_title=_t("count", lang))
        ch.add_data(Reference(ws, min_col=3, min_row=services_head,
                              max_row=services_head + n), titles_from_data=True)
        ch.set_categories(Reference(ws, min_col=2, min_row=services_head + 1,
                                    max_row=services_head + n))
        ch.legend = None
        ch.width, ch.height = 20, max(7.5, 0.55 * n + 2.5)
        ws.add_chart(ch, "G19")


# --------------------------------------------------------------------------
# Overview workbook

_REFUSED_COLUMNS = tuple(
    COLUMN_KEYS.index(k) for k in (
        "number", "received_at", "channel", "requester_name", "requester_unit",
        "requester_position", "service_code", "service_name", "description", "outcome",
    )
)


def _overview_headers(lang: str) -> list[str]:
    fmt = formatter(lang)
    return (
        [_t("code", lang), _t("institution", lang), _t("total", lang)]
        + [fmt.status.get(st, st) for st in STATUSES]
        + [_t("response_share", lang), _t("resolution_share", lang),
           _t("median_h", lang), _t("p90_h", lang)]
        + [_escalation_short(e, lang) for e in ESCALATION_REASONS]
        + [_t("escalated_requests", lang)]
    )


def write_overview_workbook(
    path: Path,
    meta: ReportMeta,
    institutions: Sequence[tuple[str, str, dict]],
    refused: Iterable[ReportRow],
    *,
    total: dict | None = None,
) -> None:
    """The Centre's overview: one row per institution (in the order given) and a total.

    ``total``: the Centre-wide summary (``SummaryBuilder.result()`` of a
    builder given as ``totals=`` to every ``write_institution_workbook``);
    without it the counts are added up and the total row's median and P90
    stay blank. ``refused``: the requests refused as outside the Centre's
    competence, listed on the second sheet in number order.
    """
    lang = meta.lang
    with _workbook() as wb:
        ws = wb.create_sheet(_t("institutions_sheet", lang))
        ws_ref = wb.create_sheet(_t("refused_sheet", lang))

        titles = _overview_headers(lang)
        ncol = len(titles)
        _setup_table_sheet(ws, [10, 34] + [14] * (ncol - 2))
        ws.freeze_panes = "C2"
        ws.row_dimensions[1].height = 60
        ws.append(_header_row(ws, titles))

        def line(code, name, s, bold=False) -> list:
            def pct(v):
                return None if v is None else _cell(ws, v, fmt=PERCENT_FORMAT, font=_BOLD if bold else None)

            def hrs(v):
                return None if v is None else _cell(ws, v, fmt=HOURS_FORMAT, font=_BOLD if bold else None)

            vals = (
                [code, name, s["total"]]
                + [s["by_status"].get(st, 0) for st in STATUSES]
                + [pct(s["response"]["share"]), pct(s["resolution"]["share"]),
                   hrs(s["resolve_hours"]["median"]), hrs(s["resolve_hours"]["p90"])]
                + [s["escalations"].get(e, 0) for e in ESCALATION_REASONS]
                + [s.get("escalated_requests", 0)]
            )
            if bold:
                vals = [v if (v is None or hasattr(v, "font")) else _cell(ws, v, font=_BOLD)
                        for v in vals]
            return vals

        institutions = list(institutions)
        for code, name, s in institutions:
            ws.append(line(code, name, s))
        n = len(institutions)
        ws.auto_filter.ref = f"A1:{get_column_letter(ncol)}{n + 1}"
        if total is None:
            total = combine_summaries(s for _c, _n, s in institutions)
        ws.append(line(_t("total_row", lang), _t("all_institutions", lang), total, bold=True))

        if n:
            ch = _bar_chart(_t("chart_institutions", lang), horizontal=False, y_title=_t("count", lang))
            ch.add_data(Reference(ws, min_col=3, min_row=1, max_row=n + 1), titles_from_data=True)
            ch.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
            ch.legend = None
            ch.width, ch.height = max(16, 1.6 * n + 4), 8
            ws.add_chart(ch, f"A{n + 5}")

            share_col = 3 + len(STATUSES) + 1
            ch = _bar_chart(_t("chart_shares", lang), horizontal=False)
            ch.add_data(Reference(ws, min_col=share_col, max_col=share_col + 1, min_row=1,
                                  max_row=n + 1), titles_from_data=True)
            ch.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
            ch.y_axis.number_format = "0%"
            ch.y_axis.scaling.min = 0
            ch.y_axis.scaling.max = 1
            ch.width, ch.height = max(16, 1.6 * n + 4), 8
            ws.add_chart(ch, f"A{n + 23}")

        # The refused requests
        ref_keys = [COLUMN_KEYS[i] for i in _REFUSED_COLUMNS]
        all_headers = headers(lang)
        ref_titles = [all_headers[i] for i in _REFUSED_COLUMNS]
        ref_titles.insert(1, _t("institution", lang))
        ref_titles[-1] = _t("reason_refused", lang)
        widths = [_WIDTHS[k] for k in ref_keys]
        widths.insert(1, 10)
        _setup_table_sheet(ws_ref, widths)
        ws_ref.append(_header_row(ws_ref, ref_titles))
        writer = _RowWriter(ws_ref, lang, _REFUSED_COLUMNS, institution_at=1)
        count = 0
        for r in ordered(refused):
            writer.append(r)
            count += 1
        ws_ref.auto_filter.ref = f"A1:{get_column_letter(len(ref_titles))}{count + 1}"

        fp = meta.fingerprint or _overview_fingerprint(institutions)
        scope = _t("all_institutions", lang)
        _set_properties(wb, replace(meta, fingerprint=fp),
                        f"{_t('report', lang)} {meta.month} — {scope}", fp, scope)
        _save(wb, path)


def _overview_fingerprint(institutions: Sequence[tuple[str, str, dict]]) -> str:
    import hashlib

    h = hashlib.sha256()
    for code, _name, s in sorted(institutions, key=lambda t: t[0]):
        h.update(f"{code}:{s.get('fingerprint', '')}\n".encode())
    return h.hexdigest()
