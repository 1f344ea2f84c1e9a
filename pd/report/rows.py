"""The report's rows: one ReportRow per request, its columns, and the month [SPEC 8, §11].

Pure: no database, no Typer/rich, no openpyxl. ``pd.report.ledger`` selects
the rows from the ledger; ``pd.report.measures`` adds them up; the writers
(``xlsx``, ``csv_json``) lay them out. Naive datetimes are taken as UTC
(SQLite hands them back so).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from pd.i18n import N_, NP_, gettext_in, pgettext_in
from pd.latvian import CHANNEL_LABELS, ESCALATION_REASON_LABELS, STATUS_LABELS, YES_NO, label

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

_MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
    N_("July"), N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
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
    # The calendar the hours are counted in (its name in the report's language),
    # whether it is working time (True) or round the clock (False), and the
    # expert's group: the team of the expert's direct manager (its name).
    calendar: str = ""
    working_time: bool | None = None
    expert_group: str = ""
    # What the readers of SPEC 8 ask besides (issue 20), as at the month's end:
    urgent: bool = False
    response_due: datetime | None = None
    resolution_due: datetime | None = None
    planned_date: date | None = None        # the expert's planned date when they reported a delay
    delay_reason: str = ""
    days_late: float | None = None          # clock days past the missed deadline at the month's end
    escalation_level: int = 0               # the highest level escalated to by the month's end
    month_escalations: tuple[str, ...] = ()  # reasons of the escalations dated in the month
    waiting_hours: float | None = None      # clock hours waiting for the user, up to the month's end
    received_in_month: bool = True          # False: carried over from an earlier month
    objections: int = 0                     # the user's objections to the result, mailed in the month
    reopened: int = 0                       # reopenings in the month


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
    anchor: str = ""  # pd.audit.anchor() when the report was made: EVENTS:SHA256


def tr(lang: str, entry: str | tuple[str, str]) -> str:
    """A table's ``N_`` or ``NP_`` entry in ``lang``."""
    return pgettext_in(lang, *entry) if isinstance(entry, tuple) else gettext_in(lang, entry)


# The sheet's columns, in order: key (also the JSON key) and header (an English msgid: a column of one request's).
COLUMNS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("number", NP_("column", "Number")),
    ("received_at", NP_("column", "Received")),
    ("channel", NP_("column", "Channel")),
    ("requester_name", NP_("column", "Requester")),
    ("requester_unit", NP_("column", "Unit")),
    ("requester_position", NP_("column", "Position")),
    ("service_code", NP_("column", "Service code")),
    ("service_name", NP_("column", "Service")),
    ("urgent", NP_("column", "Urgent")),
    ("description", NP_("column", "Short description")),
    ("expert", NP_("column", "Expert")),
    ("expert_group", NP_("column", "Expert's manager")),
    ("response_due", NP_("column", "Response due")),
    ("accepted_at", NP_("column", "Accepted")),
    ("resolution_due", NP_("column", "Resolution due")),
    ("planned_date", NP_("column", "Planned date")),
    ("delay_reason", NP_("column", "Reason for the delay")),
    ("resolved_at", NP_("column", "Resolved")),
    ("closed_at", NP_("column", "Closed")),
    ("status", NP_("column", "State at month end")),
    ("outcome", NP_("column", "Result or reason for refusal")),
    ("response_met", NP_("column", "Response deadline met")),
    ("resolution_met", NP_("column", "Resolution deadline met")),
    ("days_late", NP_("column", "Days late")),
    ("resolve_hours", NP_("column", "Time to resolve, hours by calendar")),
    ("calendar", NP_("column", "Calendar")),
    ("waiting_hours", NP_("column", "Waited for the user, h")),
    ("escalation_level", NP_("column", "Escalation level")),
    ("escalations", NP_("column", "Escalations")),
)
COLUMN_KEYS = tuple(c[0] for c in COLUMNS)
DATE_COLUMNS = tuple(i for i, k in enumerate(COLUMN_KEYS) if k.endswith(("_at", "_due")))
HOURS_COLUMN = COLUMN_KEYS.index("resolve_hours")
# Other figures (one decimal, or a whole level): written as numbers, in CSV with a decimal comma.
NUMBER_COLUMNS = tuple(COLUMN_KEYS.index(k) for k in ("days_late", "waiting_hours", "escalation_level"))
# Free texts a person typed: guarded against formula injection in CSV/xlsx.
TEXT_COLUMNS = tuple(
    COLUMN_KEYS.index(k) for k in (
        "requester_name", "requester_unit", "requester_position",
        "service_name", "description", "expert", "expert_group", "outcome", "delay_reason",
    )
)


_HOURS_KIND: dict[bool | None, str] = {
    True: N_("working hours"),
    False: N_("clock hours"),
    None: N_("hours"),
}


def calendar_label(calendar: str, working_time: bool | None, lang: str = "lv") -> str:
    """What the hours are: ``"Darba laiks (darba stundas)"``, ``"Visu diennakti (diennakts stundas)"``.

    Hours are called working hours only where the calendar is working time (SPEC 8)."""
    kind = gettext_in(lang, _HOURS_KIND[working_time])
    return f"{calendar} ({kind})" if calendar else kind


def headers(lang: str) -> list[str]:
    """The column headers of the requests sheet (and CSV) in ``lang``."""
    return [tr(lang, c[1]) for c in COLUMNS]


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
    return gettext_in(lang, N_("{month} {year}")).format(month=gettext_in(lang, _MONTHS[mon - 1]), year=year)


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

    # The tables are {lang: {value: label}}; label() raises on an unknown lang.
    return {key: label(table, key, lang) for key in table.get(lang, table["lv"])}


class RowFormatter:
    """Turns a ReportRow into the sheet's values, with the labels of one language.

    ``values(row)`` gives a tuple in ``COLUMNS`` order: str (``""`` when
    blank), aware Europe/Riga datetimes or None, the hours as float or None.
    Built once per language: the label look-ups are plain dict hits.
    """
    __slots__ = ("lang", "status", "channel", "escalation", "yes", "no", "urgent")

    def __init__(self, lang: str = "lv"):
        self.lang = lang
        self.status = _label_map(STATUS_LABELS, lang)
        self.channel = _label_map(CHANNEL_LABELS, lang)
        self.escalation = _label_map(ESCALATION_REASON_LABELS, lang)
        self.yes = label(YES_NO, True, lang)
        self.no = label(YES_NO, False, lang)
        self.urgent = gettext_in(lang, N_("urgent"))

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
            self.urgent if r.urgent else "",
            shorten(r.description),
            clean_text(r.expert),
            clean_text(r.expert_group),
            _riga(r.response_due),
            _riga(r.accepted_at),
            _riga(r.resolution_due),
            r.planned_date.strftime("%d.%m.%Y") if r.planned_date else "",
            shorten(r.delay_reason),
            _riga(r.resolved_at),
            _riga(r.closed_at),
            self.status.get(r.status, r.status),
            shorten(r.outcome, OUTCOME_LIMIT),
            self.met(r.response_met),
            self.met(r.resolution_met),
            r.days_late,
            None if hours is None else round(float(hours), 2),
            clean_text(r.calendar),
            r.waiting_hours,
            r.escalation_level or None,
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
