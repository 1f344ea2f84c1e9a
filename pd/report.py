"""The monthly report's data [SPEC 8, §11]: rows in; summary, CSV and JSON out.

Pure: no database, no Typer/rich, no openpyxl (the workbooks are written by
``pd/report_xlsx.py``). The caller selects one ``ReportRow`` per request of an
institution that was registered in the month or open during it.

Decisions a reader of the report may ask about:

* Percentiles (median, P90 of the working hours to resolve) are interpolated
  linearly between the closest ranks, as Excel's ``MEDIAN`` and
  ``PERCENTILE.INC`` (and ``statistics.median``) do, so a recipient can
  check them against the sheet's column.
* Deadline shares are of the decided ones only: a request whose deadline
  has not passed nor been met yet (``None``) counts in neither.
* Escalations are counted by reason, once per escalation; ``escalated_requests``
  counts requests with at least one.
* Naive datetimes are taken as UTC (SQLite hands them back so).
* The fingerprint is the SHA-256 of the canonical JSON array of the rows in
  number order, each row an array of the ReportRow fields in declared order
  (``_canonical_row``); a regenerated report over unchanged data has the
  same fingerprint.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import IO, Any, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

UTC = timezone.utc
RIGA = ZoneInfo("Europe/Riga")

STATUSES = (
    "registered", "assigned", "in_progress", "returned",
    "waiting_user", "resolved", "closed", "refused",
)
CHANNELS = ("phone", "fax", "email", "other")
ESCALATION_REASONS = ("not_accepted", "unjustified_rejection", "overdue")

DESCRIPTION_LIMIT = 120
OUTCOME_LIMIT = 32000  # an Excel cell holds at most 32,767 characters
PERCENTILE_METHOD = "linear"  # = Excel PERCENTILE.INC / MEDIAN

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# What Excel refuses in a cell (and openpyxl raises on); tabs and newlines are
# folded into spaces by the whitespace normalisation of the texts.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_MONTHS_LV = (
    "janvāris", "februāris", "marts", "aprīlis", "maijs", "jūnijs",
    "jūlijs", "augusts", "septembris", "oktobris", "novembris", "decembris",
)
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)


@dataclass(frozen=True, slots=True)
class ReportRow:
    number: str
    institution: str
    received_at: datetime
    channel: str
    requester_name: str
    requester_unit: str
    requester_position: str
    service_code: str
    service_name: str
    description: str
    expert: str
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    status: str
    outcome: str
    response_met: bool | None
    resolution_met: bool | None
    resolve_hours: float | None
    escalations: tuple[str, ...] = ()


@dataclass
class ReportMeta:
    institution_code: str
    institution_name: str
    month: str
    generated_at: datetime
    catalog_version: str
    contacts_version: str
    lang: str = "lv"
    fingerprint: str = ""


# The sheet's columns, in order: key (also the JSON key), Latvian, English.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("number", "Numurs", "Number"),
    ("received_at", "Saņemts", "Received"),
    ("channel", "Kanāls", "Channel"),
    ("requester_name", "Pieteicējs", "Requester"),
    ("requester_unit", "Struktūrvienība", "Unit"),
    ("requester_position", "Amats", "Position"),
    ("service_code", "Pakalpojuma kods", "Service code"),
    ("service_name", "Pakalpojums", "Service"),
    ("description", "Īss apraksts", "Short description"),
    ("expert", "Eksperts", "Expert"),
    ("accepted_at", "Pieņemts izskatīšanai", "Accepted"),
    ("resolved_at", "Izpildīts", "Resolved"),
    ("closed_at", "Slēgts", "Closed"),
    ("status", "Statuss mēneša beigās", "State at month end"),
    ("outcome", "Rezultāts vai atteikuma iemesls", "Result or reason for refusal"),
    ("response_met", "Reaģēšanas termiņš ievērots", "Response deadline met"),
    ("resolution_met", "Izskatīšanas termiņš ievērots", "Resolution deadline met"),
    ("resolve_hours", "Izpildes laiks, darba stundas", "Time to resolve, working hours"),
    ("escalations", "Eskalācijas", "Escalations"),
)
COLUMN_KEYS = tuple(c[0] for c in COLUMNS)
DATE_COLUMNS = tuple(i for i, k in enumerate(COLUMN_KEYS) if k.endswith("_at"))
HOURS_COLUMN = COLUMN_KEYS.index("resolve_hours")
# Free texts a person typed: guarded against formula injection in CSV/xlsx.
TEXT_COLUMNS = tuple(
    COLUMN_KEYS.index(k) for k in (
        "requester_name", "requester_unit", "requester_position",
        "service_name", "description", "expert", "outcome",
    )
)


def headers(lang: str) -> list[str]:
    """The column headers of the requests sheet (and CSV) in ``lang``."""
    i = 2 if lang == "en" else 1
    return [c[i] for c in COLUMNS]


# --------------------------------------------------------------------------
# Months

def _parse_month(month: str) -> tuple[int, int]:
    m = _MONTH_RE.match(month or "")
    if not m:
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    return int(m.group(1)), int(m.group(2))


def month_bounds(month: str, tz: str = "Europe/Riga") -> tuple[datetime, datetime]:
    """``[start, end)`` of ``month`` in ``tz`` local time, as aware UTC datetimes.

    ``month_bounds("2026-10")`` is 2026-09-30 21:00 UTC to 2026-10-31 22:00 UTC:
    October starts in summer time (+03:00) and ends in winter time (+02:00),
    so 23:30 on 31 October in Riga (21:30 UTC) is still October.
    """
    year, mon = _parse_month(month)
    zone = ZoneInfo(tz)
    nyear, nmon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    start = datetime(year, mon, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(nyear, nmon, 1, tzinfo=zone).astimezone(UTC)
    return start, end


def previous_month(today: date) -> str:
    """The month before ``today``'s, as ``YYYY-MM`` (the report's default)."""
    if today.month == 1:
        return f"{today.year - 1}-12"
    return f"{today.year}-{today.month - 1:02d}"


def month_label(month: str, lang: str = "lv") -> str:
    """``"2026. gada oktobris"`` / ``"October 2026"``."""
    year, mon = _parse_month(month)
    if lang == "en":
        return f"{_MONTHS_EN[mon - 1]} {year}"
    return f"{year}. gada {_MONTHS_LV[mon - 1]}"


# --------------------------------------------------------------------------
# One row as the sheet shows it

def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _riga(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(RIGA)


def clean_text(text: str | None) -> str:
    """Whitespace folded to single spaces, characters Excel refuses removed."""
    if not text:
        return ""
    # Fast path: the usual single-line text with nothing to fold or remove.
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    text = " ".join(text.split())
    if _CONTROL_RE.search(text):
        text = _CONTROL_RE.sub("", text)
    return text


def shorten(text: str | None, limit: int = DESCRIPTION_LIMIT) -> str:
    text = clean_text(text)
    if len(text) > limit:
        text = text[:limit].rstrip() + "…"
    return text


def _label_map(table: Any, lang: str) -> dict:
    from pd.latvian import label

    # The tables are {lang: {value: label}}; label() raises on an unknown lang.
    return {key: label(table, key, lang) for key in table.get(lang, table["lv"])}


class RowFormatter:
    """Turns a ReportRow into the sheet's values, with the labels of one language.

    ``values(row)`` gives a tuple in ``COLUMNS`` order: str (``""`` when
    blank), aware Europe/Riga datetimes or None, the hours as float or None.
    Built once per language: the label look-ups are plain dict hits.
    """

    __slots__ = ("lang", "status", "channel", "escalation", "yes", "no")

    def __init__(self, lang: str = "lv"):
        from pd.latvian import (
            CHANNEL_LABELS, ESCALATION_REASON_LABELS, STATUS_LABELS, YES_NO, label,
        )

        self.lang = lang
        self.status = _label_map(STATUS_LABELS, lang)
        self.channel = _label_map(CHANNEL_LABELS, lang)
        self.escalation = _label_map(ESCALATION_REASON_LABELS, lang)
        self.yes = label(YES_NO, True, lang)
        self.no = label(YES_NO, False, lang)

    def met(self, value: bool | None) -> str:
        if value is None:
            return ""
        return self.yes if value else self.no

    def values(self, r: ReportRow) -> tuple:
        esc = self.escalation
        hours = r.resolve_hours
        return (
            clean_text(r.number),
            _riga(r.received_at),
            self.channel.get(r.channel, r.channel),
            clean_text(r.requester_name),
            clean_text(r.requester_unit),
            clean_text(r.requester_position),
            clean_text(r.service_code),
            clean_text(r.service_name),
            shorten(r.description),
            clean_text(r.expert),
            _riga(r.accepted_at),
            _riga(r.resolved_at),
            _riga(r.closed_at),
            self.status.get(r.status, r.status),
            shorten(r.outcome, OUTCOME_LIMIT),
            self.met(r.response_met),
            self.met(r.resolution_met),
            None if hours is None else round(float(hours), 2),
            "; ".join([esc.get(e, e) for e in r.escalations]),
        )


@lru_cache(maxsize=4)
def formatter(lang: str = "lv") -> RowFormatter:
    return RowFormatter(lang)


def row_to_dict(row: ReportRow, lang: str = "lv") -> dict[str, Any]:
    """The row as the sheet shows it, keyed by ``COLUMN_KEYS`` in sheet order.

    Times are ISO 8601 with the Riga offset (``2026-10-31T23:30:00+02:00``),
    blank times and hours are None, texts and labels are strings.
    """
    out = dict(zip(COLUMN_KEYS, formatter(lang).values(row)))
    for i in DATE_COLUMNS:
        key = COLUMN_KEYS[i]
        if out[key] is not None:
            out[key] = out[key].isoformat(timespec="seconds")
    return out


def ordered(rows: Iterable[ReportRow]) -> Iterable[ReportRow]:
    """Rows in number order: a sequence is sorted; an iterator must come sorted.

    Streaming from the database (``ORDER BY number``) keeps memory flat; an
    iterator out of order raises ValueError when the disorder is met.
    """
    if isinstance(rows, Sequence):
        if all(rows[i].number < rows[i + 1].number for i in range(len(rows) - 1)):
            return rows
        return sorted(rows, key=lambda r: r.number)
    return _checked_order(iter(rows))


def _checked_order(rows: Iterator[ReportRow]) -> Iterator[ReportRow]:
    last = ""
    for r in rows:
        if r.number <= last:
            raise ValueError(
                f"report rows must come ordered by number: {r.number} after {last}"
            )
        last = r.number
        yield r


# --------------------------------------------------------------------------
# Fingerprint

_ROW_FIELDS = tuple(f.name for f in fields(ReportRow))
_ROW_GETTER = attrgetter(*_ROW_FIELDS)
_ROW_DATES = tuple(i for i, name in enumerate(_ROW_FIELDS) if name.endswith("_at"))
_ROW_ESCALATIONS = _ROW_FIELDS.index("escalations")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # working hours from a NUMERIC column
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_CANONICAL = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_json_default,
).encode


def _utc_iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return _aware(dt).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _canonical_row(r: ReportRow) -> bytes:
    """One row as canonical JSON: an array of the ReportRow fields in their
    declared order, times as UTC ISO 8601 (``…Z``), no spaces, UTF-8."""
    v = list(_ROW_GETTER(r))
    for i in _ROW_DATES:
        if v[i] is not None:
            v[i] = _utc_iso(v[i])
    v[_ROW_ESCALATIONS] = list(v[_ROW_ESCALATIONS])
    return _CANONICAL(v).encode()


class _Fingerprint:
    """SHA-256 of ``[row,row,...]`` fed row by row, in number order."""

    __slots__ = ("_h", "_n")

    def __init__(self) -> None:
        self._h = hashlib.sha256(b"[")
        self._n = 0

    def add(self, row: ReportRow) -> None:
        if self._n:
            self._h.update(b",")
        self._h.update(_canonical_row(row))
        self._n += 1

    def hexdigest(self) -> str:
        h = self._h.copy()
        h.update(b"]")
        return h.hexdigest()


def fingerprint(rows: Iterable[ReportRow]) -> str:
    """SHA-256 hex over the canonical JSON array of the rows sorted by number."""
    fp = _Fingerprint()
    for r in sorted(rows, key=lambda r: r.number):
        fp.add(r)
    return fp.hexdigest()


# --------------------------------------------------------------------------
# Summary

def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (Excel PERCENTILE.INC)."""
    n = len(sorted_values)
    if n == 0:
        return None
    h = (n - 1) * p
    lo = int(h)
    if lo + 1 >= n:
        return float(sorted_values[-1])
    a = sorted_values[lo]
    return float(a + (h - lo) * (sorted_values[lo + 1] - a))


def _share(met: int, not_met: int) -> dict[str, Any]:
    decided = met + not_met
    return {
        "met": met,
        "not_met": not_met,
        "decided": decided,
        "share": (met / decided) if decided else None,
    }


class SummaryBuilder:
    """Single-pass accumulator: ``add(row)`` while writing, ``result()`` at the end.

    With ``fingerprint=True`` it also folds the rows into the fingerprint,
    valid when they came in number order (``fingerprint()`` raises otherwise).
    """

    def __init__(self, fingerprint: bool = False) -> None:
        self.total = 0
        self.by_status: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.by_channel: dict[str, int] = dict.fromkeys(CHANNELS, 0)
        self.services: dict[str, list] = {}  # code -> [name, count]
        self.response = [0, 0]  # met, not met
        self.resolution = [0, 0]
        self.hours: list[float] = []
        self.escalations: dict[str, int] = dict.fromkeys(ESCALATION_REASONS, 0)
        self.escalated_requests = 0
        self._fp = _Fingerprint() if fingerprint else None
        self._last = ""
        self._in_order = True

    def add(self, r: ReportRow) -> None:
        self.total += 1
        st = self.by_status
        st[r.status] = st.get(r.status, 0) + 1
        ch = self.by_channel
        ch[r.channel] = ch.get(r.channel, 0) + 1
        svc = self.services.get(r.service_code)
        if svc is None:
            self.services[r.service_code] = [r.service_name, 1]
        else:
            svc[1] += 1
        if r.response_met is not None:
            self.response[0 if r.response_met else 1] += 1
        if r.resolution_met is not None:
            self.resolution[0 if r.resolution_met else 1] += 1
        if r.resolve_hours is not None:
            self.hours.append(float(r.resolve_hours))
        if r.escalations:
            self.escalated_requests += 1
            esc = self.escalations
            for e in r.escalations:
                esc[e] = esc.get(e, 0) + 1
        if self._fp is not None:
            if r.number <= self._last:
                self._in_order = False
            self._last = r.number
            self._fp.add(r)

    def fingerprint(self) -> str:
        if self._fp is None:
            raise ValueError("this SummaryBuilder was made without fingerprint=True")
        if not self._in_order:
            raise ValueError("fingerprint needs the rows in number order; use fingerprint(rows)")
        return self._fp.hexdigest()

    def result(self) -> dict[str, Any]:
        from pd.latvian import lv_sort_key

        services = sorted(
            self.services.items(), key=lambda kv: (lv_sort_key(kv[1][0]), kv[0])
        )
        hours = sorted(self.hours)
        return {
            "total": self.total,
            "by_status": dict(self.by_status),
            "by_channel": dict(self.by_channel),
            "by_service": {code: n for code, (_name, n) in services},
            "services": [
                {"code": code, "name": name, "count": n} for code, (name, n) in services
            ],
            "response": _share(*self.response),
            "resolution": _share(*self.resolution),
            "resolve_hours": {
                "count": len(hours),
                "median": percentile(hours, 0.5),
                "p90": percentile(hours, 0.9),
                "method": PERCENTILE_METHOD,
            },
            "escalations": dict(self.escalations),
            "escalated_requests": self.escalated_requests,
        }


def summarize(rows: Iterable[ReportRow]) -> dict[str, Any]:
    """Totals of a month's rows (see SummaryBuilder.result for the keys)."""
    b = SummaryBuilder()
    for r in rows:
        b.add(r)
    return b.result()


def combine_summaries(summaries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Totals across institutions from their summaries.

    Counts add up and shares are recomputed; median and P90 cannot be
    combined and are None (feed a SummaryBuilder with every row instead).
    """
    out: dict[str, Any] = {
        "total": 0,
        "by_status": dict.fromkeys(STATUSES, 0),
        "by_channel": dict.fromkeys(CHANNELS, 0),
        "escalations": dict.fromkeys(ESCALATION_REASONS, 0),
        "escalated_requests": 0,
    }
    resp = [0, 0]
    reso = [0, 0]
    nh = 0
    for s in summaries:
        out["total"] += s["total"]
        out["escalated_requests"] += s.get("escalated_requests", 0)
        for key in ("by_status", "by_channel", "escalations"):
            for k, v in s[key].items():
                out[key][k] = out[key].get(k, 0) + v
        resp[0] += s["response"]["met"]
        resp[1] += s["response"]["not_met"]
        reso[0] += s["resolution"]["met"]
        reso[1] += s["resolution"]["not_met"]
        nh += s["resolve_hours"]["count"]
    out["response"] = _share(*resp)
    out["resolution"] = _share(*reso)
    out["resolve_hours"] = {
        "count": nh, "median": None, "p90": None, "method": PERCENTILE_METHOD,
    }
    return out


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
