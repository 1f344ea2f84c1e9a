"""The report as CSV (for a spreadsheet) and JSON (for scripts) [SPEC 8]."""
from __future__ import annotations

import csv
from typing import IO, Any, Iterable

from .measures import SummaryBuilder
from .rows import (
    COLUMN_KEYS, DATE_COLUMNS, HOURS_COLUMN, TEXT_COLUMNS, ReportMeta, ReportRow,
    _riga, formatter, headers, month_label, ordered, row_to_dict,
)

# --------------------------------------------------------------------------
# CSV and JSON: the sheet's rows and columns

_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    # A spreadsheet opening the CSV would run a cell starting so as a formula.
    if value and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return value


def csv_row(row: ReportRow, lang: str = "lv") -> list[str]:
    """The row as CSV fields: times ``dd.mm.yyyy hh:mm`` in Riga, hours with a dot."""
    vals = list(formatter(lang).values(row))
    for i in DATE_COLUMNS:
        v = vals[i]
        vals[i] = "" if v is None else v.strftime("%d.%m.%Y %H:%M")
    h = vals[HOURS_COLUMN]
    vals[HOURS_COLUMN] = "" if h is None else repr(h)
    for i in TEXT_COLUMNS:
        vals[i] = _csv_text(vals[i])
    return vals


def write_csv(stream: IO[str], rows: Iterable[ReportRow], lang: str = "lv") -> int:
    """Write the header (in ``lang``) and one line per request; returns the count.

    Open the stream with ``newline=""`` (and ``encoding="utf-8-sig"`` for
    Excel). Rows are written in number order. A free text starting with
    = + - @ gets a leading apostrophe (formula injection), as OWASP advises.
    """
    w = csv.writer(stream)
    w.writerow(headers(lang))
    n = 0
    for r in ordered(rows):
        w.writerow(csv_row(r, lang))
        n += 1
    return n


def rows_to_json(rows: Iterable[ReportRow], meta: ReportMeta) -> dict[str, Any]:
    """One institution's month as a JSON-able document.

    ``rows`` are ``row_to_dict`` in sheet order, ``columns`` gives each key
    with its header in ``meta.lang``; ``summary`` as ``summarize`` gives it;
    ``fingerprint`` is computed over the rows.
    """
    lang = meta.lang
    b = SummaryBuilder(fingerprint=True)
    out_rows = []
    for r in ordered(rows):
        b.add(r)
        out_rows.append(row_to_dict(r, lang))
    return {
        "institution": {"code": meta.institution_code, "name": meta.institution_name},
        "month": meta.month,
        "month_label": month_label(meta.month, lang),
        "generated_at": _riga(meta.generated_at).isoformat(timespec="seconds"),
        "catalog_version": meta.catalog_version,
        "contacts_version": meta.contacts_version,
        "lang": lang,
        "fingerprint": b.fingerprint(),
        "columns": [{"key": k, "label": h} for k, h in zip(COLUMN_KEYS, headers(lang))],
        "rows": out_rows,
        "summary": b.result(),
    }
