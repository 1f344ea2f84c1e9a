"""The monthly report's rows from the ledger [§11] (SPEC 8): the only part of pd.report that reads the database.

A request belongs to an institution's month when it was registered in the
month or was open at any time during it (not closed or refused before the
month began). Its state and dates are as they stood at the month's end.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Iterator
from zoneinfo import ZoneInfo

import peewee

from ..catalog import at_version
from ..db.intake_models import InboundMessage as IM
from ..db.models import Assignment, Escalation, Event, Pause
from ..db.models import Request as R
from .rows import ReportRow, month_bounds

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk
    from .rows import ReportRow


@dataclass
class MonthSelection:
    month: str
    start: datetime
    end: datetime


def select_month(month: str, tz: str) -> MonthSelection:
    start, end = month_bounds(month, tz)
    return MonthSelection(month, start, end)


def _base(sel: MonthSelection, institution: str | None):
    cond = ((R.received_at < sel.end)
            & ((R.received_at >= sel.start) | R.closed_at.is_null() | (R.closed_at >= sel.start)))
    return cond if institution is None else (R.institution == institution) & cond


def _state_at_end(sel: MonthSelection, base) -> tuple[frozenset, dict[int, str], dict[int, object]]:
    """For the requests changed after the month's end: their state and resolution time then.

    Returns (ids changed later, state at the end by id, time of the last
    transition into ``resolved`` before the end by id). A request registered
    after the month with an earlier --received-at stood as registered then."""
    late_ids = [r for (r,) in R.select(R.id).where(base & (R.updated_at >= sel.end)).tuples()]
    status_at_end: dict[int, str] = {}
    resolved_at_end: dict[int, object] = {}
    for chunk in _chunks(late_ids, 500):
        for rid, to, at in (Event.select(Event.request, Event.to_status, Event.at).join(R)
                            .where(Event.request.in_(chunk) & Event.to_status.is_null(False)
                                   & ((Event.at < sel.end) | (Event.at <= R.registered_at)))
                            .order_by(Event.id).tuples()):
            status_at_end[rid] = to
            if to == "resolved":
                resolved_at_end[rid] = at
    return frozenset(late_ids), status_at_end, resolved_at_end


def rows_for(desk: "Desk", sel: MonthSelection, institution: str) -> Iterator["ReportRow"]:
    """The institution's rows in number order, streamed (constant memory per row).

    Every field is as it stood at the month's end: a request resolved after
    the month is not resolved in it (no result, no resolution time), one
    closed after it is not closed."""
    base = _base(sel, institution)
    late, status_at_end, resolved_at_end = _state_at_end(sel, base)
    escalations: dict[int, list[str]] = {}
    in_month: dict[int, list[str]] = {}
    levels: dict[int, int] = {}
    for rid, reason, at, level in (Escalation.select(Escalation.request, Escalation.reason, Escalation.at,
                                                     Escalation.level).join(R)
                                   .where(base & (Escalation.at < sel.end)).order_by(Escalation.id).tuples()):
        escalations.setdefault(rid, []).append(reason)
        if _aware(at) >= sel.start:
            in_month.setdefault(rid, []).append(reason)
        levels[rid] = max(levels.get(rid, 0), int(level or 1))
    waiting = _waiting_hours(sel, base)
    objections, reopened = _objections_and_reopenings(sel, base)

    staff = desk.contacts.staff
    groups = _expert_groups(desk)
    catalogs: dict[str, object] = {}
    calendars: dict[tuple[str, str], tuple[object, str, bool]] = {}
    lang = _lang(desk)
    end = sel.end
    tz = desk.settings.timezone
    cols = (R.id, R.number, R.received_at, R.channel, R.requester_name, R.unit, R.position, R.service,
            R.description, R.expert, R.accepted_at, R.resolved_at, R.closed_at, R.status, R.result,
            R.refusal_reason, R.response_due, R.resolution_due, R.catalog_version, R.urgent,
            R.planned_date, R.delay_reason, R.delay_reported_at)
    start = sel.start
    for (rid, number, received, channel, name, unit, position, service, description, expert, accepted,
         resolved, closed, status, result, refusal, response_due, resolution_due, cver,
         urgent, planned, delay_reason, delay_at) in _raw_rows(desk, R.select(*cols).where(base).order_by(R.number)):
        received, accepted, resolved, closed, response_due, resolution_due, delay_at = map(
            _aware, (received, accepted, resolved, closed, response_due, resolution_due, delay_at))
        if delay_at is None or delay_at >= end:
            planned, delay_reason = None, ""
        elif isinstance(planned, str):
            planned = date.fromisoformat(planned[:10])
        urgent = bool(urgent)
        if rid in late:
            state = status_at_end.get(rid, "registered")
            resolved = _aware(resolved_at_end.get(rid)) if state in ("resolved", "closed") else None
        else:
            state = status
        accepted = accepted if accepted and accepted < end else None
        resolved = resolved if resolved and resolved < end else None
        closed = closed if closed and closed < end and state in ("closed", "refused") else None
        catalog = catalogs.get(cver)
        if catalog is None:
            catalog = catalogs[cver] = desk.catalog if cver == desk.catalog.version else _catalog_at(cver)
        svc = catalog.services.get(service)  # type: ignore[attr-defined]
        times = svc.times.get("urgent" if urgent else "normal") if svc else None
        cal, cal_name, working = None, "", None
        if times is not None:
            ck = (cver, times.calendar)
            hit = calendars.get(ck)
            if hit is None:
                hit = calendars[ck] = _calendar(catalog, times.calendar, lang)
            cal, cal_name, working = hit
        hours = None
        if resolved is not None and cal is not None:
            hours = round(cal.elapsed(received, resolved).total_seconds() / 3600, 2)
        if response_due is None:
            response_met = None
        elif accepted is not None:
            response_met = accepted <= response_due
        elif resolved is not None:
            response_met = resolved <= response_due
        else:
            response_met = False if response_due < end and state != "refused" else None
        if resolution_due is None:
            resolution_met = None
        elif resolved is not None:
            resolution_met = resolved <= resolution_due
        else:
            resolution_met = False if resolution_due < end and state != "refused" else None
        if state == "refused":
            outcome = refusal or ""
        elif state in ("resolved", "closed"):
            outcome = result or ""
        else:
            outcome = ""
        person = staff.get(expert) if expert else None
        days_late = _days_late(state, end, accepted, resolved, response_due, resolution_due, planned,
                               delay_at, tz)
        yield ReportRow(
            number=number, institution=institution, received_at=received, channel=channel,
            requester_name=name, requester_unit=unit, requester_position=position, service_code=service,
            service_name=svc.label(lang) if svc else service, description=description,
            expert=person.name if person else (expert or ""), accepted_at=accepted, resolved_at=resolved,
            closed_at=closed, status=state, outcome=outcome,
            response_met=response_met, resolution_met=resolution_met, resolve_hours=hours,
            escalations=tuple(escalations.get(rid, ())),
            calendar=cal_name, working_time=working, expert_group=groups.get(expert or "", ""),
            urgent=urgent, response_due=response_due, resolution_due=resolution_due, planned_date=planned,
            delay_reason=delay_reason or "", days_late=days_late, escalation_level=levels.get(rid, 0),
            month_escalations=tuple(in_month.get(rid, ())), waiting_hours=waiting.get(rid),
            received_in_month=received >= start, objections=objections.get(rid, 0),
            reopened=reopened.get(rid, 0),
        )


_OPEN = frozenset(("registered", "assigned", "in_progress", "returned", "waiting_user"))


def _days_late(state, end, accepted, resolved, response_due, resolution_due, planned, delay_at, tz):
    """Clock days past the deadline missed, one decimal: the resolution deadline (or the planned date,
    when the expert reported the delay before the deadline [SPEC 5]) until the result, or until the
    month's end while open; for a request not yet accepted, the response deadline. None: none missed."""
    if state == "refused":
        return None
    bound = resolution_due
    if bound is not None and planned is not None and delay_at is not None and delay_at <= bound:
        bound = datetime.combine(planned, dtime(23, 59, 59), ZoneInfo(tz)).astimezone(_UTC)
    until = resolved if resolved is not None else (end if state in _OPEN else None)
    if until is not None and bound is not None and until > bound:
        return round((until - bound).total_seconds() / 86400, 1)
    if accepted is None and resolved is None and state in _OPEN and response_due is not None \
            and response_due < end:
        return round((end - response_due).total_seconds() / 86400, 1)
    return None


def _waiting_hours(sel: MonthSelection, base) -> dict[int, float]:
    """Clock hours each request waited for its user (its pauses [§8.8]) up to the month's end."""
    out: dict[int, float] = {}
    end = sel.end
    for rid, started, ended in (Pause.select(Pause.request, Pause.started_at, Pause.ended_at).join(R)
                                .where(base & (Pause.started_at < end)).tuples()):
        started, ended = _aware(started), _aware(ended)
        stop = ended if ended is not None and ended < end else end
        out[rid] = out.get(rid, 0.0) + max(0.0, (stop - started).total_seconds() / 3600)
    return {rid: round(h, 1) for rid, h in out.items()}


def _objections_and_reopenings(sel: MonthSelection, base) -> tuple[dict[int, int], dict[int, int]]:
    """Per request: the user's objections to its result mailed in the month, and its reopenings in it."""
    objections = dict(IM.select(IM.request, peewee.fn.COUNT(IM.id)).join(R, on=(IM.request == R.id))
                      .where(base & (IM.flag == "objection") & (IM.received_at >= sel.start)
                             & (IM.received_at < sel.end)).group_by(IM.request).tuples())
    reopened = dict(Event.select(Event.request, peewee.fn.COUNT(Event.id)).join(R)
                    .where(base & (Event.kind == "reopened") & (Event.at >= sel.start) & (Event.at < sel.end))
                    .group_by(Event.request).tuples())
    return objections, reopened


def _lang(desk: "Desk") -> str:
    return desk.settings.lang if desk.settings.lang in ("lv", "en") else "lv"


def _calendar(catalog, name: str, lang: str):
    """(the calendar, its name in ``lang``, whether it is working time)."""
    spec = catalog.calendar_specs.get(name, {})
    names = spec.get("name") or {}
    label = (names.get(lang) or names.get("lv") or name) if isinstance(names, dict) else str(names)
    cal = catalog.calendar(name)
    return cal, label, cal.kind == "working"


def _expert_groups(desk: "Desk") -> dict[str, str]:
    """Expert login -> their group: the name of their direct manager (contacts.yaml)."""
    staff = desk.contacts.staff
    out = {}
    for login, person in staff.items():
        boss = staff.get(person.manager) if person.manager else None
        if boss is not None:
            out[login] = boss.name
        elif person.manager:
            out[login] = person.manager
    return out


@dataclass(frozen=True)
class EscalationRow:
    """One escalation as the escalations sheet shows it."""
    number: str
    institution: str
    at: datetime
    level: int
    reason: str       # the reason's key (ESCALATION_REASONS)
    expert: str       # the expert's name (of the assignment escalated), or ""
    manager: str      # the manager's name it went to, or ""
    service_name: str


def escalations_for(desk: "Desk", sel: MonthSelection, institution: str | None) -> list[EscalationRow]:
    """The escalations up to the month's end of the requests in the report, by time.

    ``institution`` None: every institution's (the Centre's overview)."""
    staff = desk.contacts.staff
    lang = _lang(desk)
    E = Escalation
    q = (E.select(R.number, R.institution, E.at, E.level, E.reason, Assignment.expert, R.expert, E.manager,
                  R.service, R.catalog_version)
         .join(R, on=(E.request == R.id))
         .switch(E).join(Assignment, peewee.JOIN.LEFT_OUTER, on=(E.assignment == Assignment.id))
         .where(_base(sel, institution) & (E.at < sel.end))
         .order_by(E.at, E.id))
    out = []
    catalogs: dict[str, object] = {}
    for number, inst, at, level, reason, a_expert, r_expert, manager, service, cver in q.tuples():
        expert = a_expert or r_expert or ""
        catalog = catalogs.get(cver)
        if catalog is None:
            catalog = catalogs[cver] = desk.catalog if cver == desk.catalog.version else _catalog_at(cver)
        svc = catalog.services.get(service)  # type: ignore[attr-defined]
        out.append(EscalationRow(
            number=number, institution=inst, at=_aware(at), level=int(level or 1), reason=reason,
            expert=staff[expert].name if expert in staff else expert,
            manager=staff[manager].name if manager in staff else (manager or ""),
            service_name=svc.label(lang) if svc else service,
        ))
    return out


def split_escalations(escalations: list[EscalationRow], sel: MonthSelection
                      ) -> tuple[list[EscalationRow], list[EscalationRow]]:
    """(the escalations dated in the month, those of the same requests dated before it)."""
    return [e for e in escalations if e.at >= sel.start], [e for e in escalations if e.at < sel.start]


def trend(desk: "Desk", month: str, tz: str, months: int = 12) -> dict[str | None, list[dict]]:
    """The last ``months`` months up to ``month``, per institution and for all (key None).

    For each month: requests received in it; requests accepted in it and how
    many within the response deadline; requests resolved in it and how many
    within the resolution deadline. One query over the whole span: each
    request's months of receipt, acceptance and resolution (by ``CASE`` on
    the months' bounds) and whether its deadlines were met, grouped and
    counted by the database, then added up here."""
    names = _months_back(month, months)
    bounds = [month_bounds(m, tz)[0] for m in names] + [month_bounds(names[-1], tz)[1]]

    def bucket(col):
        """The index of the month ``col`` falls in, NULL outside the span (or when NULL)."""
        whens = [(col < bounds[0], None)] + [(col < b, i) for i, b in enumerate(bounds[1:])]
        return peewee.Case(None, whens, None)

    span = lambda col: (col >= bounds[0]) & (col < bounds[-1])  # noqa: E731
    cols = (R.institution, bucket(R.received_at), bucket(R.accepted_at), R.response_due.is_null(False),
            R.accepted_at <= R.response_due, bucket(R.resolved_at), R.resolution_due.is_null(False),
            R.resolved_at <= R.resolution_due)
    q = (R.select(*cols, peewee.fn.COUNT(R.id))
         .where(span(R.received_at) | span(R.accepted_at) | span(R.resolved_at))
         .group_by(*cols))
    # per institution: per month [received, accepted with a due time, in time, resolved with a due, in time]
    counts: dict[str | None, list[list[int]]] = {}
    for inst, received, accepted, has_response_due, response_met, resolved, has_resolution_due, \
            resolution_met, n in q.tuples():
        for key in (inst, None):
            per = counts.get(key)
            if per is None:
                per = counts[key] = [[0] * 6 for _ in names]
            if received is not None:
                per[received][0] += n
            if accepted is not None and has_response_due:
                per[accepted][1] += n
                if response_met:
                    per[accepted][2] += n
            if resolved is not None:
                per[resolved][3] += n
                if has_resolution_due:
                    per[resolved][4] += n
                    if resolution_met:
                        per[resolved][5] += n
    out: dict[str | None, list[dict]] = {}
    zero = [[0] * 6 for _ in names]
    for inst in [None, *desk.contacts.institutions]:
        out[inst] = [{
            "month": m, "received": vals[0],
            "response": _share_of(vals[2], vals[1]),
            "resolved": vals[3],
            "resolution": _share_of(vals[5], vals[4]),
        } for m, vals in zip(names, counts.get(inst, zero))]
        out[inst] = _from_first_data(out[inst])
    return out


def _from_first_data(months: list[dict]) -> list[dict]:
    """The months from the first with anything received, accepted or resolved (the month itself at
    least): ten months of zeros before the desk began say nothing (issue 20)."""
    for i, t in enumerate(months[:-1]):
        if t["received"] or t["resolved"] or t["response"]["decided"]:
            return months[i:]
    return months[-1:]


def _share_of(met: int, decided: int) -> dict:
    return {"met": met, "not_met": decided - met, "decided": decided,
            "share": met / decided if decided else None}


def _months_back(month: str, n: int) -> list[str]:
    y, m = (int(x) for x in month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


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
    return at_version("catalog", version)
