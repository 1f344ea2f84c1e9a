"""The report's measures [SPEC 8]: the fingerprint and the month's totals.

Decisions a reader of the report may ask about:

* Percentiles (median, P90 of the hours to resolve) are interpolated
  linearly between the closest ranks, as Excel's ``MEDIAN`` and
  ``PERCENTILE.INC`` (and ``statistics.median``) do, so a recipient can
  check them against the sheet's column.
* Deadline shares are of the decided ones only: a request whose deadline
  has not passed nor been met yet (``None``) counts in neither.
* The month's requests are those received in it (``received``, the trend's
  count for the month) and those carried over from earlier months, still
  open during it (``carried_over``); ``total`` is both.
* Escalations are those dated in the month, counted by reason, once per
  escalation and level (a request escalated to level 1 and then 2 counts
  twice); ``escalated_requests`` counts the requests with at least one.
  Escalations of the same requests dated before the month are counted apart
  (``earlier_escalations``, ``requests_escalated_earlier``).
* A deadline not met nor missed by the month's end is not decided: either it
  had not come yet (``pending``) or the request had none (``no_deadline``: not
  yet forwarded to an expert, or refused).
* The fingerprint is the SHA-256 of the canonical JSON array of the rows in
  number order, each row an array of the ReportRow fields in declared order
  (``_canonical_row``); a regenerated report over unchanged data has the
  same fingerprint.
"""
from __future__ import annotations

import hashlib
import json
import math
from array import array
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, Iterable, Sequence

from pd.latvian import lv_sort_key

from .rows import CHANNELS, ESCALATION_REASONS, PERCENTILE_METHOD, STATUSES, UTC, ReportRow, _aware

# --------------------------------------------------------------------------
# Fingerprint

_ROW_FIELDS = tuple(f.name for f in fields(ReportRow))
_ROW_GETTER = attrgetter(*_ROW_FIELDS)
_ROW_DATES = tuple(i for i, name in enumerate(_ROW_FIELDS) if name.endswith(("_at", "_due")))
_ROW_ESCALATIONS = _ROW_FIELDS.index("escalations")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # working hours from a NUMERIC column
        return float(value)
    if isinstance(value, date):  # the planned date
        return value.isoformat()
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

# Open requests at the month's end by age (clock days since received): the
# bucket's key and its upper bound in days (None: no bound).
AGE_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("1d", 1), ("3d", 3), ("7d", 7), ("30d", 30), ("more", None),
)
OPEN_STATUSES = frozenset(("registered", "assigned", "in_progress", "returned", "waiting_user"))


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


def _share(met: int, not_met: int, pending: int = 0, no_deadline: int = 0) -> dict[str, Any]:
    decided = met + not_met
    return {
        "met": met,
        "not_met": not_met,
        "decided": decided,
        "share": (met / decided) if decided else None,
        "pending": pending,
        "no_deadline": no_deadline,
    }


def hours_stats(values: Iterable[float]) -> dict[str, Any]:
    """count, mean, median and P90 of the hours to resolve (None when there are none)."""
    hours = sorted(values)
    n = len(hours)
    return {
        "count": n,
        "mean": (math.fsum(hours) / n) if n else None,
        "median": percentile(hours, 0.5),
        "p90": percentile(hours, 0.9),
        "method": PERCENTILE_METHOD,
    }


class _Measure:
    """Requests, deadlines met and hours to resolve of one slice of the month."""
    __slots__ = ("count", "response", "resolution", "hours")

    def __init__(self) -> None:
        self.count = 0
        self.response = [0, 0, 0, 0]  # met, not met, not due yet, no deadline
        self.resolution = [0, 0, 0, 0]
        self.hours = array("d")

    def add(self, r: ReportRow) -> None:
        self.count += 1
        if r.response_met is not None:
            self.response[0 if r.response_met else 1] += 1
        else:
            self.response[3 if r.response_due is None or r.status == "refused" else 2] += 1
        if r.resolution_met is not None:
            self.resolution[0 if r.resolution_met else 1] += 1
        else:
            self.resolution[3 if r.resolution_due is None or r.status == "refused" else 2] += 1
        if r.resolve_hours is not None:
            self.hours.append(float(r.resolve_hours))

    def result(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "response": _share(*self.response),
            "resolution": _share(*self.resolution),
            "hours": hours_stats(self.hours),
        }


def age_bucket(days: float) -> str:
    for key, bound in AGE_BUCKETS:
        if bound is None or days <= bound:
            return key
    return AGE_BUCKETS[-1][0]  # pragma: no cover - the last bucket has no bound


class SummaryBuilder:
    """Single-pass accumulator: ``add(row)`` while writing, ``result()`` at the end.

    Hours to resolve are only ever added up within one calendar: working hours
    of a working-time calendar and clock hours of a round-the-clock one are
    different units. So the resolution times are given per calendar, per
    service and calendar, and per expert group and calendar.

    ``end``: the month's end (aware); with it, the requests still open then
    are counted by age (``open_by_age``, clock days since received).
    With ``fingerprint=True`` it also folds the rows into the fingerprint,
    valid when they came in number order (``fingerprint()`` raises otherwise).
    """

    def __init__(self, fingerprint: bool = False, end: datetime | None = None) -> None:
        self.total = 0
        self.by_status: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.by_channel: dict[str, int] = dict.fromkeys(CHANNELS, 0)
        self.all = _Measure()
        self.calendars: dict[tuple[str, bool | None], _Measure] = {}
        self.services: dict[tuple[str, bool, str, bool | None], list] = {}  # -> [name, measure]
        self.groups: dict[tuple[str, str, bool | None], _Measure] = {}
        self.escalations: dict[str, int] = dict.fromkeys(ESCALATION_REASONS, 0)
        self.escalated_requests = 0
        self.earlier_escalations = 0
        self.requests_escalated_earlier = 0
        self.received = 0
        self.by_unit: dict[str, list[int]] = {}  # unit -> [requests, received in the month]
        self.waiting = [0, 0.0]                # requests that waited for their user, hours
        self.objections = [0, 0]               # objections, requests
        self.reopened = [0, 0]                 # reopenings, requests
        self.open_rows: list[ReportRow] = []   # still open at the month's end (the open_at_end list)
        self.end = _aware(end) if end is not None else None
        self.open_by_age: dict[str, int] = {k: 0 for k, _ in AGE_BUCKETS}
        self._fp = _Fingerprint() if fingerprint else None
        self._last = ""
        self._in_order = True

    def add(self, r: ReportRow) -> None:
        self.total += 1
        st = self.by_status
        st[r.status] = st.get(r.status, 0) + 1
        ch = self.by_channel
        ch[r.channel] = ch.get(r.channel, 0) + 1
        self.all.add(r)
        cal = (r.calendar, r.working_time)
        m = self.calendars.get(cal)
        if m is None:
            m = self.calendars[cal] = _Measure()
        m.add(r)
        key = (r.service_code, r.urgent, r.calendar, r.working_time)
        svc = self.services.get(key)
        if svc is None:
            svc = self.services[key] = [r.service_name, _Measure()]
        svc[1].add(r)
        key = (r.expert_group, r.calendar, r.working_time)
        m = self.groups.get(key)
        if m is None:
            m = self.groups[key] = _Measure()
        m.add(r)
        if r.month_escalations:
            self.escalated_requests += 1
            esc = self.escalations
            for e in r.month_escalations:
                esc[e] = esc.get(e, 0) + 1
        earlier = len(r.escalations) - len(r.month_escalations)
        if earlier > 0:
            self.earlier_escalations += earlier
            self.requests_escalated_earlier += 1
        if r.received_in_month:
            self.received += 1
        unit = self.by_unit.get(r.requester_unit)
        if unit is None:
            unit = self.by_unit[r.requester_unit] = [0, 0]
        unit[0] += 1
        unit[1] += r.received_in_month
        if r.waiting_hours is not None:
            self.waiting[0] += 1
            self.waiting[1] += float(r.waiting_hours)
        if r.objections:
            self.objections[0] += r.objections
            self.objections[1] += 1
        if r.reopened:
            self.reopened[0] += r.reopened
            self.reopened[1] += 1
        if r.status in OPEN_STATUSES:
            self.open_rows.append(r)
            if self.end is not None:
                days = (self.end - _aware(r.received_at)).total_seconds() / 86400
                self.open_by_age[age_bucket(days)] += 1
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
        services = sorted(
            self.services.items(),
            key=lambda kv: (lv_sort_key(kv[1][0]), kv[0][0], kv[0][1], kv[0][3] is not True, kv[0][2]),
        )
        by_service: dict[str, int] = {}
        for (code, _urgent, _cal, _w), (_name, m) in services:
            by_service[code] = by_service.get(code, 0) + m.count
        groups = sorted(
            self.groups.items(),
            key=lambda kv: (kv[0][0] == "", lv_sort_key(kv[0][0]), kv[0][2] is not True, kv[0][1]),
        )
        calendars = sorted(self.calendars.items(), key=lambda kv: (kv[0][1] is not True, kv[0][0]))
        overall = self.all.result()
        units = sorted(self.by_unit.items(), key=lambda kv: (-kv[1][0], lv_sort_key(kv[0])))
        return {
            "total": self.total,
            "received": self.received,
            "carried_over": self.total - self.received,
            "by_status": dict(self.by_status),
            "by_channel": dict(self.by_channel),
            "by_service": by_service,
            "response": overall["response"],
            "resolution": overall["resolution"],
            "resolve_hours": [
                dict(m.result()["hours"], calendar=cal, working_time=w)
                for (cal, w), m in calendars
            ],
            "services": [
                dict(m.result(), code=code, name=name, urgent=urgent, calendar=cal, working_time=w)
                for (code, urgent, cal, w), (name, m) in services
            ],
            "groups": [
                dict(m.result(), group=group, calendar=cal, working_time=w)
                for (group, cal, w), m in groups
            ],
            "open_by_age": dict(self.open_by_age) if self.end is not None else None,
            "open_at_end": sum(1 for _ in self.open_rows),
            "escalations": dict(self.escalations),
            "escalation_count": sum(self.escalations.values()),
            "escalated_requests": self.escalated_requests,
            "earlier_escalations": self.earlier_escalations,
            "requests_escalated_earlier": self.requests_escalated_earlier,
            "by_unit": [{"unit": u, "requests": n, "received": rec} for u, (n, rec) in units],
            "waiting_user": {"requests": self.waiting[0], "hours": round(self.waiting[1], 1)},
            "objections": {"objections": self.objections[0], "requests": self.objections[1]},
            "reopened": {"reopenings": self.reopened[0], "requests": self.reopened[1]},
        }


def summarize(rows: Iterable[ReportRow], end: datetime | None = None) -> dict[str, Any]:
    """Totals of a month's rows (see SummaryBuilder.result for the keys)."""
    b = SummaryBuilder(end=end)
    for r in rows:
        b.add(r)
    return b.result()


def combine_summaries(summaries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Totals across institutions from their summaries.

    Counts add up and shares are recomputed; times to resolve cannot be
    combined and are left out (feed a SummaryBuilder with every row instead).
    """
    counts = ("total", "received", "carried_over", "open_at_end", "escalation_count", "escalated_requests",
              "earlier_escalations", "requests_escalated_earlier")
    out: dict[str, Any] = dict.fromkeys(counts, 0)
    out.update({
        "by_status": dict.fromkeys(STATUSES, 0),
        "by_channel": dict.fromkeys(CHANNELS, 0),
        "escalations": dict.fromkeys(ESCALATION_REASONS, 0),
        "waiting_user": {"requests": 0, "hours": 0.0},
        "objections": {"objections": 0, "requests": 0},
        "reopened": {"reopenings": 0, "requests": 0},
    })
    resp = [0, 0, 0, 0]
    reso = [0, 0, 0, 0]
    parts = ("met", "not_met", "pending", "no_deadline")
    for s in summaries:
        for key in counts:
            out[key] += s.get(key, 0)
        for key in ("by_status", "by_channel", "escalations", "waiting_user", "objections", "reopened"):
            for k, v in (s.get(key) or {}).items():
                out[key][k] = out[key].get(k, 0) + v
        for i, part in enumerate(parts):
            resp[i] += s["response"].get(part, 0)
            reso[i] += s["resolution"].get(part, 0)
    out["response"] = _share(*resp)
    out["resolution"] = _share(*reso)
    out["by_unit"] = []
    out["resolve_hours"] = []
    out["services"] = []
    out["groups"] = []
    out["open_by_age"] = None
    return out
