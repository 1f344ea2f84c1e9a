"""Escalation to the expert's manager [§8.4] (SPEC 5).

One escalation per request, reason, assignment and level, whatever the number
of runs: a unique key in the ledger, checked inside the writer's lock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import ledger, reminders
from .conversation import MANAGER
from .db.models import Assignment, Escalation, Request
from .desk import Desk
from .errors import InvalidInput, InvalidState
from .i18n import N_, _, language, pgettext
from .lateness import late_conditions, late_filter, late_requests, overdue_bound, planned_bound  # noqa: F401
from .notify.notices import escalation_context, history_text, mail_lang, name_of
from .notify.wording import dative, gender

REASONS = ("not_accepted", "unjustified_rejection", "overdue")
#: Why a request was escalated, in words [§8.4.1-§8.4.3] (the JSON keeps the reason's value).
REASON_WORDS = {
    "not_accepted": N_("the expert did not accept the request within the response deadline"),
    "unjustified_rejection": N_("the expert rejected the request without justification"),
    "overdue": N_("the resolution deadline has passed"),
}


def reason_words(reason: str) -> str:
    return _(REASON_WORDS[reason]) if reason in REASON_WORDS else reason


def _declined(name: str) -> tuple[str, str]:
    """(pgettext context, the name in that case): in Latvian the dative by the name's gender ("vadītājam
    Valdim Kalējam", "vadītājai Laurai Kalniņai"); a name that does not decline simply stays as written."""
    if language() == "lv":
        d = dative(name)
        if d is not None:
            return ("a woman" if gender(name) == "f" else "a man"), d
    return "a name as written", name


def to_manager(desk: Desk, logins: str | None, *, fallback: bool = False) -> str:
    """To whom an escalation went, by name: "vadītājam Valdim Kalējam" / "to the manager Valdis Kalējs"."""
    people = [x for x in (logins or "").split(",") if x]
    names = [name_of(desk, x) or x for x in people]
    if not names:
        return _("to nobody (no manager or supervisor in contacts)")
    if fallback or len(names) > 1:
        return _("to the desk's supervisors {names}").format(names=", ".join(names))
    context, name = _declined(names[0])
    # TRANSLATORS: {name} is already in the dative ("vadītājam Valdim Kalējam", "vadītājai Laurai Kalniņai");
    # "a name as written": a name that does not decline ("vadītājam John Smith")
    if context == "a man":
        return pgettext("a man", "to the manager {name}").format(name=name)
    if context == "a woman":
        return pgettext("a woman", "to the manager {name}").format(name=name)
    return pgettext("a name as written", "to the manager {name}").format(name=name)


def the_expert(desk: Desk, login: str | None) -> str:
    """The expert a reminder went to, by name: "ekspertam Jānim Bērziņam" / "the expert Jānis Bērziņš"."""
    name = name_of(desk, login) or login
    if not name:
        return _("no expert")
    context, name = _declined(name)
    # TRANSLATORS: the one reminded ("atgādināts ekspertam Jānim Bērziņam"): {name} is in the dative
    # for "a man"/"a woman", as written for "a name as written"
    if context == "a man":
        return pgettext("a man", "the expert {name}").format(name=name)
    if context == "a woman":
        return pgettext("a woman", "the expert {name}").format(name=name)
    return pgettext("a name as written", "the expert {name}").format(name=name)


@dataclass
class Found:
    number: str
    reason: str
    level: int
    assignment_id: int | None
    manager: str | None
    expert: str | None
    warning: str | None = None
    recorded: bool = False


@dataclass
class RunReport:
    escalations: list[Found] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reminders: list = field(default_factory=list)  # pd.reminders.Reminder, sent in the same run (SPEC 15)


def manager_for(desk: "Desk", login: str | None, level: int) -> tuple[str | None, str | None]:
    """The expert's direct manager (level 1) or that manager's manager (level 2); supervisors otherwise."""
    contacts = desk.contacts
    person = contacts.staff.get(login) if login else None
    manager = person.manager if person else None
    if level >= 2 and manager:
        manager = contacts.staff[manager].manager if manager in contacts.staff else None
    if manager:
        return manager, None
    sups = [s.login for s in contacts.with_role("supervisor")]
    who = name_of(desk, login) or login or _("the expert")
    names = ", ".join(name_of(desk, s) or s for s in sups) or pgettext("supervisors", "none")
    warning = (_("{expert}: the contacts name no manager; sent to the desk's supervisors ({supervisors})")
               if level == 1 else
               _("{expert}: the contacts name no second-level manager; sent to the desk's supervisors "
                 "({supervisors})")).format(expert=who, supervisors=names)
    return (",".join(sups) or None), warning


def find(desk: "Desk", now: datetime) -> list[Found]:
    """What is due for escalation now: cost follows the open set (indexed on status and deadlines)."""
    found: list[Found] = []
    current = {}
    late = late_requests(desk, now)
    candidates = [r for r, _ in late]
    late_now = {r.id: reasons for r, reasons in late}
    ids = [r.id for r in candidates]
    for a in Assignment.select().where(Assignment.request.in_(ids) & Assignment.ended_at.is_null()) if ids else []:
        current[a.request_id] = a
    done = set()
    if ids:
        done = {(e.request_id, e.reason, e.assignment_key, e.level)
                for e in Escalation.select().where(Escalation.request.in_(ids))}
    for r, reasons in late:
        a = current.get(r.id)
        key = a.id if a else 0
        for reason in reasons:
            if (r.id, reason, key, 1) not in done:
                mgr, warn = manager_for(desk, r.expert, 1)
                found.append(Found(r.number, reason, 1, a.id if a else None, mgr, r.expert, warn))
    # second level: an escalation still unresolved after repeat_after goes one level up
    repeat = desk.catalog.repeat_after
    level1 = (Escalation.select(Escalation, Request).join(Request)
              .where((Escalation.level == 1) & (Escalation.at <= now - min(repeat, timedelta(hours=1)))
                     & (Escalation.reason != "unjustified_rejection")
                     & Request.status.in_(("assigned", "in_progress"))))
    for e in level1:
        r = e.request
        a = current.get(r.id) or desk.current_assignment(r)
        if a is None or a.id != e.assignment_key:
            continue  # reassigned since: the new assignment has its own clock
        if e.reason not in late_now.get(r.id, ()):
            continue  # accepted, or the delay's planned date not yet passed: nothing to repeat
        cal = desk.catalog_for(r).calendar(a.calendar)
        if cal.due(e.at, repeat) > now:
            continue  # repeat_after counts the service's working time
        if Escalation.select().where((Escalation.request == r) & (Escalation.reason == e.reason)
                                     & (Escalation.assignment_key == e.assignment_key)
                                     & (Escalation.level == 2)).exists():
            continue
        mgr, warn = manager_for(desk, r.expert, 2)
        found.append(Found(r.number, e.reason, 2, a.id, mgr, r.expert, warn))
    return found


def run(desk: "Desk", now: datetime, *, dry_run: bool = False, via: str = "cron") -> RunReport:
    if not dry_run and now > ledger.utcnow():
        # No manager is told that something is late before it is, and no record is dated ahead.
        raise InvalidInput(_("--now is later than the clock: a future instant is for --dry-run only "
                             "(what would be escalated then); nothing was escalated"))
    report = RunReport()
    for f in find(desk, now):
        if f.warning and f.warning not in report.warnings:
            report.warnings.append(f.warning)
        if dry_run:
            report.escalations.append(f)
            continue
        if record(desk, f, now, via=via):
            f.recorded = True
            report.escalations.append(f)

    report.reminders = reminders.run(desk, now, dry_run=dry_run, via=via)
    return report


def record(desk: "Desk", f: Found, now: datetime, *, via: str, note: str | None = None) -> bool:
    """Write one escalation, its event and the manager's message; False if it already existed."""
    with desk.ledger.change() as ch:
        req = desk.get(f.number)
        exists = Escalation.select().where(
            (Escalation.request == req) & (Escalation.reason == f.reason)
            & (Escalation.assignment_key == (f.assignment_id or 0)) & (Escalation.level == f.level)
        ).exists()
        if exists:
            return False
        Escalation.create(request=req, assignment=f.assignment_id, assignment_key=f.assignment_id or 0,
                          reason=f.reason, level=f.level, at=now, actor=desk.actor.login, manager=f.manager,
                          note=note)
        ev = desk.record_event(ch, req, "escalated", via=via, from_status=req.status, data={
            "reason": f.reason, "level": f.level, "manager": f.manager, "expert": f.expert,
            "assignment": f.assignment_id, "note": note,
        })
        _mail_manager(desk, ch, req, ev, f, now, note)
    return True


def _mail_manager(desk: "Desk", ch, req, ev, f: Found, now: datetime, note: str | None) -> None:
    logins = [x for x in (f.manager or "").split(",") if x]
    recipients = [desk.contacts.staff[x].email for x in logins if x in desk.contacts.staff and desk.contacts.staff[x].email]
    managers = [desk.contacts.staff[x].name for x in logins if x in desk.contacts.staff]
    words = escalation_context(desk, req, level=f.level, reason=f.reason, expert=f.expert, managers=managers,
                               fallback=f.warning is not None)
    # the operator's note is why the manager is asked (an unjustified rejection) [§8.4.2]
    msg = desk.tell(ch, req, ev, to={MANAGER: recipients}, note=note or "", **words)[0]
    if msg is None:
        return
    # Reminders reach managers only in working time when the service runs on working time.
    a = desk.current_assignment(req)
    if a is not None:
        cal = desk.catalog_for(req).calendar(a.calendar)
        if cal.kind != "24x7" and not cal.is_working(now):
            msg.next_attempt_at = cal.due(now, timedelta(seconds=1)) - timedelta(seconds=1)
            msg.save()


def progress_report(desk: "Desk", req) -> str:
    """The request's history as short lines for the manager [§8.4]: "02.12.2026 10:15 — nodots ekspertam …"."""
    return history_text(desk, req, mail_lang(desk))


def escalate_manually(desk: "Desk", number: str, reason: str, note: str | None, *, redact: bool, via: str) -> Found:
    """`pd escalate N --reason unjustified-rejection` [§8.4.2], by the operator."""
    desk.require("operator", what=N_("escalate requests"))
    reason = reason.replace("-", "_")
    if reason != "unjustified_rejection":
        raise InvalidInput(_("--reason: the desk escalates by hand only an unjustified rejection "
                             "(unjustified-rejection); missed deadlines are escalated by pd escalate-overdue"))
    note = desk.checked_text("note", note, redact=redact, required=False)
    req = desk.get(number)
    rejected = (Assignment.select().where((Assignment.request == req) & (Assignment.ended_reason == "rejected"))
                .order_by(Assignment.id.desc()).first())
    if rejected is None:
        raise InvalidState(_("no expert has rejected request {number}; nothing to escalate").format(number=req.number))
    mgr, warn = manager_for(desk, rejected.expert, 1)
    f = Found(req.number, "unjustified_rejection", 1, rejected.id, mgr, rejected.expert, warn)
    if not record(desk, f, desk.now(), via=via, note=note):
        raise InvalidState(_("the rejection of {number} by {expert} was already escalated").format(
            number=req.number, expert=name_of(desk, rejected.expert) or rejected.expert))
    f.recorded = True
    return f
