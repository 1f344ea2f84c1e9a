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
from .i18n import _
from .latvian import STATUS_LABELS, label

# Events the intake writes by itself: they are not a person having seen the mail.
INTAKE_KINDS = ("mail_received", "intake_received", "mail_bounced", "mail_quarantined")


def unseen_condition():
    """SQL: the follow-up's request has no later event by a person, and nobody marked it seen."""
    later = (Event.select(Event.id)
             .where((Event.request == IM.request) & (Event.id > IM.event_id) & Event.kind.not_in(INTAKE_KINDS)))
    return (IM.action == "follow_up") & IM.seen_at.is_null() & IM.event_id.is_null(False) & ~pw.fn.EXISTS(later)


def title(msg) -> str:
    who = msg.sender_name or msg.sender_email or _("(unknown sender)")
    subject = msg.subject or _("(no subject)")
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
            detail = _("new mail about request {number}, which is in the state “{state}”: register it as a new "
                       "request, attach it or ignore it (pd intake show {item})").format(
                number=related.number, state=label(STATUS_LABELS, related.status), item=item.id)
        else:
            detail = _("new mail, not yet a request: register, attach or ignore it (pd intake show {item})").format(
                item=item.id)
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
            detail = {
                "answer": _("the requester's answer; the request resumed; not yet seen (pd show {number}, "
                            "pd intake seen {number})"),
                "expert": _("the assigned expert's word: record accept / reject / result with --via email; not yet "
                            "seen (pd show {number}, pd intake seen {number})"),
                "objection": _("a reply after {number} was resolved; not yet seen (pd show {number}, "
                               "pd intake seen {number})"),
            }.get(msg.flag or "", _("a mail about it; not yet seen (pd show {number}, pd intake seen {number})")).format(
                number=req.number)
        out.append({"reason": reason, "request": req.number, "intake": None, "since": msg.received_at,
                    "due": None, "title": title(msg), "detail": detail})
    out.sort(key=lambda e: e["since"])
    return out
