"""Reminders before a deadline (SPEC 15): to the expert only, in working time, once per deadline
and assignment.

When less than the catalog's `remind_before` is left of a response deadline (an assigned request
not yet accepted) or a resolution deadline (assigned or in progress) — counted in working time on
a working-time calendar — the expert gets one reminder. `pd escalate-overdue` sends them in its
run. Once: a `reminded` event per (assignment, deadline, instant), checked inside the ledger's
write lock, so two runs at once remind nobody twice. The user never sees a reminder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .db.models import Assignment, Event, Request
from .latvian import format_dt, iso
from .notify.notices import mail_lang
from .notify.wording import duration_words

if TYPE_CHECKING:  # pragma: no cover
    from .desk import Desk

DEADLINES = ("response", "resolution")

WORDS = {
    "lv": {"response": "reaģēšanas termiņš", "resolution": "izskatīšanas termiņš",
           "todo_response": "Lūdzam līdz termiņam atbildēt, vai pieņemat pieteikumu izskatīšanai: atbildiet uz "
                            "šo vēstuli ar PIEŅEMU vai NORAIDU un iemeslu.",
           "todo_resolution": "Ja pieteikumu nevar izpildīt termiņā, lūdzam laikus paziņot kavēšanās iemeslu un "
                              "plānoto termiņu: atbildiet uz šo vēstuli ar KAVĒJAS dd.mm.gggg un iemeslu."},
    "en": {"response": "response deadline", "resolution": "resolution deadline",
           "todo_response": "Please say before the deadline whether you accept the request: reply to this "
                            "message with ACCEPT, or REJECT and the reason.",
           "todo_resolution": "If the request cannot be resolved in time, please report the reason and the "
                              "planned date in good time: reply to this message with DELAYED dd.mm.yyyy and the "
                              "reason."},
}


@dataclass
class Reminder:
    number: str
    deadline: str  # response | resolution
    due: datetime
    expert: str | None
    assignment: int
    left: timedelta
    recorded: bool = False


def _key(assignment: int, deadline: str, due: datetime) -> tuple:
    return (assignment, deadline, iso(due, "UTC"))


def find(desk: "Desk", now: datetime) -> list[Reminder]:
    """The reminders due at `now` and not yet sent: cost follows the open set (status, deadline)."""
    cat = desk.catalog
    widest = max(cat.remind_response, cat.remind_resolution) * 4 + timedelta(days=4)  # working time is sparse
    rows = list(Request.select().where(
        ((Request.status == "assigned") & (Request.response_due > now) & (Request.response_due <= now + widest))
        | (Request.status.in_(("assigned", "in_progress")) & (Request.resolution_due > now)
           & (Request.resolution_due <= now + widest))))
    if not rows:
        return []
    current = {a.request_id: a for a in Assignment.select().where(
        Assignment.request.in_([r.id for r in rows]) & Assignment.ended_at.is_null())}
    done = _sent({r.id for r in rows})
    out = []
    for r in sorted(rows, key=lambda r: r.id):
        a = current.get(r.id)
        if a is None:
            continue
        catalog = desk.catalog_for(r)
        cal = catalog.calendar(a.calendar)
        if cal.kind != "24x7" and not cal.is_working(now):
            continue  # to the expert in working time only; the next run in working time sends it
        for deadline, due, before in (("response", r.response_due, catalog.remind_response),
                                      ("resolution", r.resolution_due, catalog.remind_resolution)):
            if deadline == "response" and r.status != "assigned":
                continue
            if due is None or due <= now:
                continue
            left = cal.elapsed(now, due) if cal.kind != "24x7" else due - now
            if left >= before or _key(a.id, deadline, due) in done.get(r.id, set()):
                continue
            out.append(Reminder(r.number, deadline, due, r.expert, a.id, left))
    return out


def _sent(request_ids: set[int]) -> dict[int, set[tuple]]:
    out: dict[int, set[tuple]] = {}
    for ev in Event.select(Event.request, Event.data).where(
            Event.request.in_(list(request_ids)) & (Event.kind == "reminded")):
        d = json.loads(ev.data or "{}")
        out.setdefault(ev.request_id, set()).add((d.get("assignment"), d.get("deadline"), d.get("due")))
    return out


def record(desk: "Desk", rem: Reminder, *, via: str = "cron") -> bool:
    """Write the `reminded` event and queue the expert's mail, once; False when another run did."""
    with desk.ledger.change() as ch:
        req = desk.get(rem.number)
        a = desk.current_assignment(req)
        if a is None or a.id != rem.assignment:
            return False
        if _key(a.id, rem.deadline, rem.due) in _sent({req.id}).get(req.id, set()):
            return False
        ev = desk.record_event(ch, req, "reminded", via=via, from_status=req.status, data={
            "deadline": rem.deadline, "due": iso(rem.due, "UTC"), "assignment": a.id, "expert": req.expert,
            "left_seconds": int(rem.left.total_seconds())})
        lang = mail_lang(desk)
        working = desk.catalog_for(req).calendar(a.calendar).kind != "24x7"
        desk.tell(ch, req, ev, deadline_word=WORDS[lang][rem.deadline],
                   deadline=format_dt(rem.due, desk.settings.timezone),
                   time_left=duration_words(rem.left, lang, working=working), todo=WORDS[lang]["todo_" + rem.deadline])
    return True


def run(desk: "Desk", now: datetime, *, dry_run: bool = False, via: str = "cron") -> list[Reminder]:
    out = []
    for rem in find(desk, now):
        if dry_run:
            out.append(rem)
        elif record(desk, rem, via=via):
            rem.recorded = True
            out.append(rem)
    return out
