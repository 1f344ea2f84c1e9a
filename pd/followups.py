"""What `pd queue` shows of the mail (SPEC 14): new intake items, follow-ups not yet seen,
and replies to resolved requests that may be objections.

A follow-up is seen once a person acts on its request after it arrived (any later event
on the request that intake itself did not write: a note, an assignment, a reopen, a close…)
or explicitly with `pd intake seen`; both leave their actor in the history.
"""
from __future__ import annotations

from datetime import datetime

import peewee as pw

from .db.intake_models import InboundMessage as IM
from .db.intake_models import IntakeItem
from .db.models import Event, Request

# Events the intake writes by itself: they are not a person having seen the mail.
INTAKE_KINDS = ("mail_received", "intake_received", "mail_bounced", "mail_quarantined")


def unseen_condition():
    """SQL: the follow-up's request has no later event by a person, and nobody marked it seen."""
    later = (Event.select(Event.id)
             .where((Event.request == IM.request) & (Event.id > IM.event_id) & Event.kind.not_in(INTAKE_KINDS)))
    return (IM.action == "follow_up") & IM.seen_at.is_null() & IM.event_id.is_null(False) & ~pw.fn.EXISTS(later)


def title(msg) -> str:
    who = msg.sender_name or msg.sender_email or "(nezināms sūtītājs)"
    subject = msg.subject or "(bez temata)"
    text = f"{who}: {subject}"
    return text if len(text) <= 100 else text[:99] + "…"


def queue_entries(now: datetime) -> list[dict]:
    """The queue as of `now`: mail received after it is not there yet."""
    out: list[dict] = []
    items = (IntakeItem.select(IntakeItem, IM).join(IM).where((IntakeItem.status == "new") & (IM.received_at <= now))
             .order_by(IM.received_at, IntakeItem.id))
    for item in items:
        msg = item.message
        if item.related_id:
            related = Request.get_by_id(item.related_id)
            detail = (f"new mail about request {related.number}, which is {related.status}: "
                      f"register it as a new request, attach it or ignore it (pd intake show {item.id})")
        else:
            detail = f"new mail, not yet a request: register, attach or ignore it (pd intake show {item.id})"
        out.append({"reason": "intake_new", "request": None, "intake": item.id, "since": msg.received_at,
                    "due": None, "title": title(msg), "detail": detail})
    follow = (IM.select(IM, Request).join(Request, on=(IM.request == Request.id))
              .where(unseen_condition() & (IM.received_at <= now)).order_by(IM.received_at, IM.id))
    for msg in follow:
        req = msg.request
        if msg.flag == "objection" and req.status == "resolved":
            continue  # an objection: pd/objections.py decides, and pd queue shows it from there
        else:
            reason = "follow_up"
            words = {"answer": "the requester's answer; the request resumed",
                     "expert": "the assigned expert's word: record accept / reject / result with --via email",
                     "objection": f"a reply after {req.number} was resolved"}.get(msg.flag or "", "a mail about it")
            detail = f"{words}; not yet seen (pd show {req.number}, pd intake seen {req.number})"
        out.append({"reason": reason, "request": req.number, "intake": None, "since": msg.received_at,
                    "due": None, "title": title(msg), "detail": detail})
    out.sort(key=lambda e: e["since"])
    return out
