"""The report as CSV (for a spreadsheet) and JSON (for scripts) [SPEC 8].

CSV is written for a spreadsheet in the Latvian locale (lv-LV), where the
list separator is ``;`` and the decimal separator a comma: UTF-8 with a
byte-order mark (so Excel does not read it as Windows-1257), ``;`` between
fields, hours as ``12,5``. A decimal point would be read by lv-LV Excel and
LibreOffice as text or, worse, a date ("12.5" becomes 12 May); the comma is
read as the number. Dates are ``dd.mm.yyyy hh:mm`` (Riga), which lv-LV takes
as a date and time. JSON (for scripts) keeps numbers as numbers.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any, Iterable

from .files import private_file, write_text
from .measures import SummaryBuilder
from .rows import (
    COLUMN_KEYS, DATE_COLUMNS, HOURS_COLUMN, NUMBER_COLUMNS, TEXT_COLUMNS, ReportMeta, ReportRow,
    _riga, clean_text, formatter, headers, month_label, ordered, row_to_dict,
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
    """The row as CSV fields: times ``dd.mm.yyyy hh:mm`` in Riga, hours with a decimal comma."""
    vals = list(formatter(lang).values(row))
    for i in DATE_COLUMNS:
        v = vals[i]
        vals[i] = "" if v is None else v.strftime("%d.%m.%Y %H:%M")
    for i in (HOURS_COLUMN, *NUMBER_COLUMNS):
        h = vals[i]
        vals[i] = "" if h is None else decimal_comma(h)
    for i in TEXT_COLUMNS:
        vals[i] = _csv_text(vals[i])
    return vals


CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark


def decimal_comma(value: float) -> str:
    """``12.5`` -> ``"12,5"`` (the shortest repr, as the lv-LV locale writes it); a whole level stays whole."""
    if isinstance(value, int):
        return str(value)
    return repr(float(value)).replace(".", ",")


def csv_writer(stream: IO[str]):
    return csv.writer(stream, delimiter=CSV_DELIMITER)


def write_csv(stream: IO[str], rows: Iterable[ReportRow], lang: str = "lv") -> int:
    """Write the header (in ``lang``) and one line per request; returns the count.

    Open the stream with ``newline=""`` and ``encoding=CSV_ENCODING``
    (``write_csv_file`` does). Rows are written in number order. A free text
    starting with = + - @ gets a leading apostrophe (formula injection), as
    OWASP advises.
    """
    w = csv_writer(stream)
    w.writerow(headers(lang))
    n = 0
    for r in ordered(rows):
        w.writerow(csv_row(r, lang))
        n += 1
    return n


def escalation_to_dict(e, lang: str = "lv") -> dict[str, Any]:
    """One ``EscalationRow`` for JSON: the time in Riga (ISO 8601), the reason as key and words."""
    return {
        "number": e.number, "institution": e.institution,
        "at": _riga(e.at).isoformat(timespec="seconds"), "level": e.level,
        "reason": e.reason, "reason_label": formatter(lang).escalation.get(e.reason, e.reason),
        "service": e.service_name, "expert": e.expert, "manager": e.manager,
    }


_DESK = {"lv": "Pakalpojumu dienests (nav nodots ekspertam)", "en": "The service desk (not assigned to an expert)"}


def holder(r: ReportRow, lang: str = "lv") -> str:
    """Who holds an open request: its expert by name, or the desk when it is not assigned."""
    return clean_text(r.expert) or _DESK["en" if lang == "en" else "lv"]


def open_to_dict(r: ReportRow, lang: str = "lv") -> dict[str, Any]:
    """A request open at the month's end, as ``open_at_end`` lists it (SPEC 8)."""
    fmt = formatter(lang)
    iso = lambda dt: None if dt is None else _riga(dt).isoformat(timespec="seconds")  # noqa: E731
    return {
        "number": r.number, "received_at": iso(r.received_at),
        "requester": clean_text(r.requester_name), "unit": clean_text(r.requester_unit),
        "service": clean_text(r.service_name), "urgent": r.urgent,
        "status": r.status, "status_label": fmt.status.get(r.status, r.status),
        "held_by": holder(r, lang), "expert_manager": clean_text(r.expert_group),
        "response_due": iso(r.response_due), "accepted_at": iso(r.accepted_at),
        "resolution_due": iso(r.resolution_due),
        "planned_date": r.planned_date.isoformat() if r.planned_date else None,
        "delay_reason": clean_text(r.delay_reason), "days_late": r.days_late,
        "waiting_user_hours": r.waiting_hours, "escalation_level": r.escalation_level,
    }


def comparison(trend) -> dict[str, Any] | None:
    """This month beside the last, both on the trend's basis (received, accepted and resolved in the month)."""
    trend = list(trend)
    if not trend:
        return None
    prev = trend[-2] if len(trend) > 1 else None
    return {"basis": "trend", "this": trend[-1], "previous": prev}


def rows_to_json(rows: Iterable[ReportRow], meta: ReportMeta, *, end=None, trend=(),
                 escalations=(), earlier_escalations=()) -> dict[str, Any]:
    """One institution's month as a JSON-able document.

    ``rows`` are ``row_to_dict`` in sheet order, ``columns`` gives each key
    with its header in ``meta.lang``; ``summary`` as ``summarize`` gives it;
    ``fingerprint`` is computed over the rows; ``audit_anchor`` is
    ``meta.anchor``; ``trend`` the last 12 months, ``escalations`` the
    month's escalations (``escalation_to_dict``).
    """
    lang = meta.lang
    b = SummaryBuilder(fingerprint=True, end=end)
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
        "audit_anchor": meta.anchor,
        "columns": [{"key": k, "label": h} for k, h in zip(COLUMN_KEYS, headers(lang))],
        "rows": out_rows,
        "summary": b.result(),
        "open_at_end": [open_to_dict(r, lang) for r in b.open_rows],
        "trend": list(trend),
        "comparison": comparison(trend),
        "escalations": [escalation_to_dict(e, lang) for e in escalations],
        "earlier_escalations": [escalation_to_dict(e, lang) for e in earlier_escalations],
    }


def write_csv_file(path: Path, rows: Iterable[ReportRow], lang: str = "lv") -> int:
    """``write_csv`` to ``path`` (UTF-8 with BOM, mode 0640)."""
    with private_file(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        return write_csv(fh, rows, lang)


_OVERVIEW_HEADERS = {
    "lv": ["Iestāde", "Nosaukums", "Kopā", "Reaģēšanas termiņš ievērots", "Reaģēšana izvērtēta",
           "Izskatīšanas termiņš ievērots", "Izskatīšana izvērtēta", "Eskalēti"],
    "en": ["Institution", "Name", "Total", "Response deadline met", "Response decided",
           "Resolution deadline met", "Resolution decided", "Escalated"],
}


def write_overview_csv(path: Path, institutions, lang: str = "lv") -> None:
    """One line per institution: its totals and deadlines met (UTF-8 with BOM, ``;``, 0640)."""
    with private_file(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        w = csv_writer(fh)
        w.writerow(_OVERVIEW_HEADERS["en" if lang == "en" else "lv"])
        for code, name, s in institutions:
            w.writerow([code, _csv_text(name), s["total"], s["response"]["met"], s["response"]["decided"],
                        s["resolution"]["met"], s["resolution"]["decided"], s["escalated_requests"]])


def write_json_file(path: Path, doc: Any) -> None:
    """``doc`` as indented UTF-8 JSON to ``path`` (mode 0640)."""
    write_text(path, json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")
