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

from ..i18n import N_, gettext_in
from .files import private_file, write_text
from .measures import SummaryBuilder
from .rows import (
    COLUMN_KEYS,
    DATE_COLUMNS,
    HOURS_COLUMN,
    NUMBER_COLUMNS,
    TEXT_COLUMNS,
    ReportMeta,
    ReportRow,
    _riga,
    clean_text,
    formatter,
    headers,
    month_label,
    ordered,
    row_to_dict,
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


_DESK = N_("The service desk")  # not yet with an expert


def holder(r: ReportRow, lang: str = "lv") -> str:
    """Who holds an open request: its expert by name, or the desk when it is not assigned."""
    return clean_text(r.expert) or gettext_in(lang, _DESK)


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


_OVERVIEW_HEADERS = (
    N_("Institution"),
    N_("Name"),
    N_("Requests in this report"),
    N_("Received this month"),
    N_("Carried over from earlier months"),
    N_("Open at the month's end"),
    N_("Response deadline met"),
    N_("Response decided"),
    N_("Resolution deadline met"),
    N_("Resolution decided"),
    N_("Escalations this month"),
    N_("Requests escalated this month"),
)


def write_overview_csv(path: Path, institutions, lang: str = "lv") -> None:
    """One line per institution: its requests on their basis, deadlines met, escalations
    (UTF-8 with BOM, ``;``, 0640)."""
    with private_file(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        w = csv_writer(fh)
        w.writerow([gettext_in(lang, h) for h in _OVERVIEW_HEADERS])
        for code, name, s in institutions:
            w.writerow([code, _csv_text(name), s["total"], s.get("received", 0), s.get("carried_over", 0),
                        s.get("open_at_end", 0), s["response"]["met"], s["response"]["decided"],
                        s["resolution"]["met"], s["resolution"]["decided"], s.get("escalation_count", 0),
                        s["escalated_requests"]])


_SUMMARY_CSV: dict[str, str] = {
    "head": N_("Figure;Value"),
    "received": N_("Received this month"),
    "carried_over": N_("Carried over from earlier months"),
    "total": N_("Requests in this report"),
    "open_at_end": N_("Open at the month's end"),
    "response": N_("Response deadline"),
    "resolution": N_("Resolution deadline"),
    "met": N_("met"),
    "not_met": N_("not met"),
    "decided": N_("decided"),
    "share": N_("met, %"),
    "pending": N_("not yet due"),
    "no_deadline": N_("no deadline"),
    "escalation_count": N_("Escalations this month (each level counts)"),
    "escalated_requests": N_("Requests escalated this month"),
    "earlier_escalations": N_("Earlier escalations of these requests"),
    "waited": N_("Requests that waited for their user"),
    "waited_hours": N_("Time waiting for users in total, h"),
    "objections": N_("Users' objections to the result"),
    "reopened": N_("Requests reopened"),
    "median": N_("Median time to resolve, h"),
}


def summary_rows(summary: dict, lang: str = "lv") -> list[tuple[str, str]]:
    """The summary as (figure, value) pairs, each figure named on its basis, every decimal with a
    comma (one style for the lv-LV spreadsheet: ``74,2`` per cent, ``5,5`` hours)."""
    w = {k: gettext_in(lang, v) for k, v in _SUMMARY_CSV.items()}
    num = lambda v: "" if v is None else (str(v) if isinstance(v, int) else decimal_comma(round(v, 1)))  # noqa: E731
    out = [(w[k], num(summary.get(k, 0))) for k in ("received", "carried_over", "total", "open_at_end")]
    for key in ("response", "resolution"):
        d = summary[key]
        for part in ("met", "not_met", "decided", "pending", "no_deadline"):
            out.append((gettext_in(lang, N_("{deadline}: {part}")).format(deadline=w[key], part=w[part]),
                        num(d.get(part, 0))))
        out.append((gettext_in(lang, N_("{deadline}: {part}")).format(deadline=w[key], part=w["share"]),
                    num(None if d["share"] is None else d["share"] * 100)))
    labels = formatter(lang).escalation
    for reason, n in summary["escalations"].items():
        out.append((labels.get(reason, reason), num(n)))
    out += [(w[k], num(summary.get(k, 0))) for k in ("escalation_count", "escalated_requests", "earlier_escalations")]
    waiting = summary.get("waiting_user") or {}
    out += [(w["waited"], num(waiting.get("requests", 0))), (w["waited_hours"], num(float(waiting.get("hours", 0))))]
    out += [(w["objections"], num((summary.get("objections") or {}).get("objections", 0))),
            (w["reopened"], num((summary.get("reopened") or {}).get("requests", 0)))]
    for h in summary.get("resolve_hours") or ():
        kind = gettext_in(lang, N_("working time")) if h["working_time"] else h["calendar"]
        out.append((gettext_in(lang, N_("{figure} ({calendar})")).format(figure=w["median"], calendar=h["calendar"] or kind),
                    num(h["median"])))
    return out


def write_summary_csv(path: Path, summary: dict, lang: str = "lv") -> None:
    """The summary as its own CSV beside the request list (UTF-8 with BOM, ``;``, 0640)."""
    with private_file(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        w = csv_writer(fh)
        w.writerow(gettext_in(lang, _SUMMARY_CSV["head"]).split(";"))
        for label, value in summary_rows(summary, lang):
            w.writerow([_csv_text(label), value])


def write_json_file(path: Path, doc: Any) -> None:
    """``doc`` as indented UTF-8 JSON to ``path`` (mode 0640)."""
    write_text(path, json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")
