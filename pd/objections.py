"""Objections [§8.10] (SPEC 15): a reply after the result waits for the operator's decision.

ONE rule says what is still unanswered (`unanswered_condition`): a follow-up mail to a
resolved request, received after its result, that no operator has decided on yet. The
decision is `pd reopen N`, `pd close N --reason TEXT` / `--confirmed`, or `pd intake seen N`
(the reply is no objection); each marks the replies seen. `pd close N` refuses while one is
unanswered, `pd close --auto` leaves the request alone, and `pd queue` shows it as
`objection` — all three through this module, so they cannot disagree.
"""
from __future__ import annotations

from datetime import datetime

from .db.intake_models import InboundMessage as IM
from .db.models import Request
from .i18n import _
from .latvian import format_dt


def unanswered_condition():
    """SQL over InboundMessage joined to its Request: the replies still waiting for a decision."""
    return ((IM.action == "follow_up") & (IM.flag == "objection") & IM.seen_at.is_null()
            & (Request.status == "resolved") & (IM.received_at >= Request.resolved_at))


def unanswered(req, *, resolved_at: datetime | None = None) -> list:
    """Request `req`'s replies after its result not yet decided on, oldest first. `resolved_at`
    when the caller has already cleared the row's (a reopen, inside its transaction)."""
    since = resolved_at or req.resolved_at
    if since is None:
        return []
    return list(IM.select().where((IM.request == req) & (IM.action == "follow_up") & (IM.flag == "objection")
                                  & IM.seen_at.is_null() & (IM.received_at >= since)).order_by(IM.id))


def pending_numbers() -> set[str]:
    """Numbers of the resolved requests with an unanswered reply (what close --auto leaves alone)."""
    q = IM.select(Request.number).join(Request, on=(IM.request == Request.id)).where(unanswered_condition())
    return {number for (number,) in q.tuples()}


def pending(now: datetime) -> list:
    """(message, request) per unanswered reply received by `now`, oldest first (for `pd queue`)."""
    q = (IM.select(IM, Request).join(Request, on=(IM.request == Request.id))
         .where(unanswered_condition() & (IM.received_at <= now)).order_by(IM.received_at, IM.id))
    return [(m, m.request) for m in q]


def decide(ch, req, messages: list, login: str) -> None:
    """The operator has decided on these replies (in the deciding change's transaction)."""
    if messages:
        ids = [m.id for m in messages]
        IM.update(seen_at=ch.at, seen_by=login).where(IM.id.in_(ids)).execute()
        ch.wrote("inbound_message", ids)  # sealed with the change (SPEC 10)


def first_line(msg) -> str:
    text = (msg.reply or msg.text or "").strip()
    line = text.splitlines()[0].strip() if text else ""
    return line if len(line) <= 120 else line[:119] + "…"


def sender(msg) -> str:
    return f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else (msg.sender_email or "?")


def words(msg) -> str:
    """What the user wrote, for the expert's mail: the reply without the quoted history."""
    return (msg.reply or msg.text or "").strip()[:2000]


def refusal(req, msg, tz: str) -> str:
    """The message of `pd close N` refused by an unanswered reply (exit 5): who, when, its first line."""
    return _("request {number} has a reply after the result from {sender} on {when}: «{line}». It may be an "
             "objection [§8.10]: reopen it (pd reopen {number} --reason TEXT), or close it all the same with "
             "--reason TEXT (or --confirmed when the reply confirms the result)").format(
        number=req.number, sender=sender(msg), when=format_dt(msg.received_at, tz), line=first_line(msg))
