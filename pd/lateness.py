"""THE rule of lateness (SPEC 5): when a request is late, and for which reason.

`pd escalate-overdue` (pd.escalation), `pd list --overdue` (the desk) and `pd queue` all decide
by these functions, so the list and the cron job cannot disagree. `desk` is anything with the
desk's `settings` (the time zone of "today").
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from .config import Settings
from .db.models import Request
from .latvian import to_local

REASONS = ("not_accepted", "overdue")


class Configured(Protocol):
    settings: Settings


def planned_bound(desk: Configured, planned) -> datetime:
    """A planned date is met until the end of that day in Riga."""
    tz = ZoneInfo(desk.settings.timezone)
    return datetime.combine(planned + timedelta(days=1), time(0), tzinfo=tz)


def overdue_bound(desk: Configured, req) -> datetime | None:
    """When `overdue` fires: the resolution deadline, or the planned date of a delay reported before it."""
    if req.resolution_due is None:
        return None
    if req.planned_date and req.delay_reported_at and req.delay_reported_at <= req.resolution_due:
        return max(req.resolution_due, planned_bound(desk, req.planned_date))
    return req.resolution_due


def late_conditions(desk: Configured, now: datetime) -> dict:
    """THE rule of lateness (SPEC 5), as SQL: {reason: condition} for `not_accepted` and `overdue`.

    `pd escalate-overdue` and `pd list --overdue` both use it (`late_filter`), and so does `pd queue`.
    A delay reported before the resolution deadline holds until the end of its planned date in Riga:
    that is `planned_date >= today` (the planned date's day has not ended). `delay_reported_at` and
    `planned_date` are NULL on most rows, and a negated comparison with NULL is NULL, which drops the
    row: the "still held" test is therefore written positively, with each NULL spelt out.
    Every branch starts with the status and a range on one deadline, so the (status, deadline) indexes
    carry it and the cost follows the open set, not the ledger's size."""
    today = to_local(now, desk.settings.timezone).date()
    delay_lapsed = (Request.delay_reported_at.is_null() | Request.planned_date.is_null()
                    | (Request.delay_reported_at > Request.resolution_due) | (Request.planned_date < today))
    return {
        "not_accepted": (Request.status == "assigned") & (Request.response_due < now),
        "overdue": Request.status.in_(("assigned", "in_progress")) & (Request.resolution_due < now) & delay_lapsed,
    }


def late_filter(desk: Configured, now: datetime):
    """A WHERE condition: the requests a run of escalate-overdue at `now` finds late, whatever their state."""
    c = late_conditions(desk, now)
    return c["not_accepted"] | c["overdue"]


def late_requests(desk: Configured, now: datetime, query=None) -> list[tuple]:
    """(request, [reasons]) for each late request, in id order; `query` narrows a Request select."""
    c = late_conditions(desk, now)
    base = query if query is not None else Request.select()
    # No ORDER BY: it would turn the (status, deadline) index scans into a scan of the table.
    rows = base.select_extend(c["not_accepted"].alias("late_not_accepted"), c["overdue"].alias("late_overdue")) \
        .where(late_filter(desk, now))
    out = []
    for r in sorted(rows, key=lambda r: r.id):
        reasons = [reason for reason in REASONS if getattr(r, "late_" + reason, None)]
        out.append((r, reasons))
    return out
