"""The monthly report's rows from the ledger [§11] (SPEC 8): the only part of pd.report that reads the database.

A request belongs to an institution's month when it was registered in the
month or was open at any time during it (not closed or refused before the
month began). Its state and dates are as they stood at the month's end.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk
    from .rows import ReportRow


@dataclass
class MonthSelection:
    month: str
    start: datetime
    end: datetime


def select_month(month: str, tz: str) -> MonthSelection:
    from .rows import month_bounds

    start, end = month_bounds(month, tz)
    return MonthSelection(month, start, end)


def rows_for(desk: "Desk", sel: MonthSelection, institution: str) -> Iterator["ReportRow"]:
    """The institution's rows in number order, streamed (constant memory per row)."""
    from ..db.models import Escalation, Event, Request
    from .rows import ReportRow

    R = Request
    base = ((R.institution == institution) & (R.received_at < sel.end)
            & ((R.received_at >= sel.start) | R.closed_at.is_null() | (R.closed_at >= sel.start)))
    # Requests changed after the month's end need their state at the end from the history.
    late_ids = [r for (r,) in R.select(R.id).where(base & (R.updated_at >= sel.end)).tuples()]
    late = frozenset(late_ids)
    status_at_end: dict[int, str] = {}
    if late_ids:
        for chunk in _chunks(late_ids, 500):
            # Events before the month's end; for a request registered after it with an earlier
            # --received-at, the events of its registration (it stood as registered then).
            for rid, to in (Event.select(Event.request, Event.to_status).join(R)
                            .where(Event.request.in_(chunk) & Event.to_status.is_null(False)
                                   & ((Event.at < sel.end) | (Event.at <= R.registered_at)))
                            .order_by(Event.id).tuples()):
                status_at_end[rid] = to
    escalations: dict[int, list[str]] = {}
    for rid, reason in (Escalation.select(Escalation.request, Escalation.reason).join(R)
                        .where(base & (Escalation.at < sel.end)).order_by(Escalation.id).tuples()):
        escalations.setdefault(rid, []).append(reason)

    staff = desk.contacts.staff
    catalogs: dict[str, object] = {}
    lang = desk.settings.lang if desk.settings.lang in ("lv", "en") else "lv"
    end = sel.end
    cols = (R.id, R.number, R.received_at, R.channel, R.requester_name, R.unit, R.position, R.service,
            R.description, R.expert, R.accepted_at, R.resolved_at, R.closed_at, R.status, R.result,
            R.refusal_reason, R.response_due, R.resolution_due, R.catalog_version, R.urgent)
    for (rid, number, received, channel, name, unit, position, service, description, expert, accepted,
         resolved, closed, status, result, refusal, response_due, resolution_due, cver,
         urgent) in _raw_rows(desk, R.select(*cols).where(base).order_by(R.number)):
        received, accepted, resolved, closed, response_due, resolution_due = map(
            _aware, (received, accepted, resolved, closed, response_due, resolution_due))
        urgent = bool(urgent)
        accepted = accepted if accepted and accepted < end else None
        resolved = resolved if resolved and resolved < end else None
        closed = closed if closed and closed < end else None
        state = status_at_end.get(rid, "registered") if rid in late else status
        catalog = catalogs.get(cver)
        if catalog is None:
            catalog = catalogs[cver] = desk.catalog if cver == desk.catalog.version else _catalog_at(cver)
        svc = catalog.services.get(service)  # type: ignore[attr-defined]
        hours = None
        if resolved is not None:
            times = svc.times["urgent" if urgent else "normal"] if svc else None
            if times is not None:
                cal = catalog.calendar(times.calendar)  # type: ignore[attr-defined]
                hours = round(cal.elapsed(received, resolved).total_seconds() / 3600, 2)
        if response_due is None:
            response_met = None
        elif accepted is not None:
            response_met = accepted <= response_due
        elif resolved is not None:
            response_met = resolved <= response_due
        else:
            response_met = False if response_due < end else None
        if resolution_due is None:
            resolution_met = None
        elif resolved is not None:
            resolution_met = resolved <= resolution_due
        else:
            resolution_met = False if resolution_due < end and state not in ("refused",) else None
        person = staff.get(expert) if expert else None
        yield ReportRow(
            number=number, institution=institution, received_at=received, channel=channel,
            requester_name=name, requester_unit=unit, requester_position=position, service_code=service,
            service_name=svc.label(lang) if svc else service, description=description,
            expert=person.name if person else (expert or ""), accepted_at=accepted, resolved_at=resolved,
            closed_at=closed, status=state, outcome=(refusal if state == "refused" else (result or "")) or "",
            response_met=response_met, resolution_met=resolution_met, resolve_hours=hours,
            escalations=tuple(escalations.get(rid, ())),
        )


def _raw_rows(desk: "Desk", query):
    """The query's rows straight from the driver cursor, streamed.

    peewee's per-field conversion is most of the cost at 100,000 rows; the few
    columns that need it are converted by `_aware` below instead."""
    cursor = desk.ledger.database.execute(query)
    while True:
        batch = cursor.fetchmany(2000)
        if not batch:
            return
        yield from batch


_UTC = __import__("datetime").timezone.utc


def _aware(dt):
    """A stored instant (naive UTC: text on SQLite, datetime on PostgreSQL) as an aware datetime."""
    if dt is None:
        return None
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.replace(tzinfo=_UTC) if dt.tzinfo is None else dt


def _chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _catalog_at(version: str):
    from ..catalog import at_version

    return at_version("catalog", version)
