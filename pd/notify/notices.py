"""Who is told what, when (SPEC 6): messages queued in the outbox in the change's transaction.

The message is rendered when it is queued, so the outbox holds exactly what
will be delivered; `pd mail send` only composes and sends it.

Threads (SPEC 6): every message of a request has one subject, ``[PD N] <short
title>``, fixed by the request's first message.  The first message a recipient
gets about a request is their root; each later one names that root and the
recipient's previous message in ``References`` (and the previous one in
``In-Reply-To``), behind the request's pseudo-reference
``thread_root_id(number, domain)`` — the way Request Tracker threads its
mail, so every reader (Outlook, Thunderbird, webmail) shows one conversation.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ..catalog import Catalog, Contacts, Staff
from ..config import Settings
from ..db.models import Escalation, Event, OutboxMessage
from ..db.models import OutboxMessage as M
from ..i18n import N_, gettext_in
from ..latvian import ESCALATION_REASON_LABELS, STATUS_LABELS, format_date, format_dt, label
from ..ledger import Change
from .render import VARIABLES, render
from .threads import domain_of, new_message_id, thread_root_id
from .wording import EXPERT, MANAGER, REQUESTER, duration_words, history_lines, phone, short_title, to_person


class Teller(Protocol):
    """What a message is composed from, handed over by the process (pd.desk.Desk is one).

    Mail out never imports the desk: it declares here what it needs, and whoever queues a
    message hands it an object that has it."""

    settings: Settings

    @property
    def contacts(self) -> Contacts: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def actor(self) -> Staff: ...

    def catalog_for(self, req) -> Catalog: ...

    def current_assignment(self, req): ...

    def history(self, req) -> list: ...

USER_KINDS = ("forwarded_user", "delay_user", "resolved_user", "closed_user", "refused_user", "question_user",
              "reopened_user")

#: What each kind of message is, in words, for the desk's notice when it could not be sent.
MESSAGE_WORDS = {
    "assigned_expert": N_("the notice to the expert that the request is assigned to them"),
    "forwarded_user": N_("the notice to the requester that the request was registered and forwarded"),
    "delay_user": N_("the notice to the requester of the delay and the planned date"),
    "resolved_user": N_("the notice to the requester that the request was resolved"),
    "closed_user": N_("the notice to the requester that the request was closed"),
    "refused_user": N_("the notice to the requester that the request was refused"),
    "escalation_manager": N_("the escalation notice to the manager"),
    "question_user": N_("the expert's question to the requester"),
    "answer_expert": N_("the requester's answer to the expert"),
    "taken_expert": N_("the notice to the expert that the request went to another expert"),
    "reopened_user": N_("the notice to the requester that the request was reopened"),
    "reopened_expert": N_("the notice to the expert that the request was reopened"),
    "reminder_expert": N_("the reminder to the expert of a deadline near"),
    "command_expert": N_("the answer to the expert's mail"),
}


def mail_lang(desk: Teller) -> str:
    return desk.settings.lang if desk.settings.lang in ("lv", "en") else "lv"


def name_of(desk: Teller, login: str | None) -> str:
    """A login as a person's name; the desk's automation (role system) is "" (said as nobody)."""
    if not login:
        return ""
    person = desk.contacts.staff.get(login)
    if person is None:
        return login if login not in ("system", "cron") else ""
    if person.has("system") and not person.has("operator"):
        return ""
    return person.name


def request_context(desk: Teller, req, lang: str) -> dict[str, Any]:
    tz = desk.settings.timezone
    contacts = desk.contacts
    catalog = desk.catalog_for(req)
    service = catalog.services.get(req.service)
    inst = contacts.institutions.get(req.institution)
    expert = contacts.staff.get(req.expert) if req.expert else None
    return {
        "number": req.number,
        "title": short_title(req.description),
        "service_code": req.service,
        "service_name": service.label(lang) if service else req.service,
        # "E-pasta pakalpojums (EPASTS)", but "Attālināta piekļuve (VPN)" once only
        "service_full": _with_code(service.label(lang) if service else req.service, req.service),
        "description": req.description,
        "status_label": label(STATUS_LABELS, req.status, lang),
        "desk_name": contacts.desk.name,
        "desk_email": contacts.desk.email,
        "desk_phone": phone(contacts.desk.phone),
        "requester_name": req.requester_name,
        "requester_institution": inst.name if inst else req.institution,
        "requester_unit": req.unit,
        "requester_position": req.position,
        "requester_phone": phone(req.phone),
        "requester_email": req.email,
        "location": req.location,
        "room": req.room,
        "username": req.username,
        "received_at": format_dt(req.received_at, tz),
        "response_due": format_dt(req.response_due, tz),
        "resolution_due": format_dt(req.resolution_due, tz),
        "planned_date": format_date(req.planned_date) if req.planned_date else "",
        "delay_reason": req.delay_reason or "",
        "result": req.result or "",
        "expert_name": expert.name if expert else "",
        # TRANSLATORS: before a mail's subject line; keep the space after the colon.
        "urgent_marker": gettext_in(lang, N_("URGENT: ")) if req.urgent else "",
        # TRANSLATORS: before "pieteikums" in a sentence; keep the space after it.
        "urgent_word": gettext_in(lang, N_("urgent ")) if req.urgent else "",
        "note": "",
    }


def _with_code(name: str, code: str) -> str:
    return name if code in name else f"{name} ({code})"


def _indented(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in text.split("\n"))


def history_text(desk: Teller, req, lang: str) -> str:
    """The request's history for a person: one short line per event, newest last [§8.4]."""
    tz = desk.settings.timezone

    def date_of(text: str) -> str:
        try:
            return format_date(date.fromisoformat(text))
        except ValueError:
            return text

    return "\n".join(history_lines(
        desk.history(req), lang=lang, name_of=lambda login: name_of(desk, login),
        when=lambda at: format_dt(at, tz), reason_label=lambda r: label(ESCALATION_REASON_LABELS, r, lang),
        date_of=date_of))


def _contact_lines(people: list[dict], lang: str) -> str:
    tel = gettext_in(lang, N_("phone {number}"))
    return "\n".join(
        "  " + ", ".join(x for x in (p.get("name"), tel.format(number=phone(p["phone"])) if p.get("phone") else "",
                                     p.get("email")) if x)
        for p in people)


_VIA_WORDS = {
    "email": N_("by e-mail"),
    "phone": N_("by phone"),
    "fax": N_("by fax"),
    "cli": N_("at the Service Desk"),
    "other": N_("another way"),
}

_CLOSED_WHY = {
    "confirmed": N_("You confirmed that the request was resolved."),
    "no_objection": N_("No objection was received by the end of the objection period ({close_by})."),
    "no_objection_late": N_("No objection was received."),
    "operator": N_("The Service Desk closed it. Reason: {reason}"),
}


def closed_why(desk: Teller, req, lang: str, why: str, reason: str) -> str:
    """Why the request was closed, in the closing mail's words (SPEC 15) [§8.10, §8.11]."""
    words = {k: gettext_in(lang, v) for k, v in _CLOSED_WHY.items()}
    if why == "confirmed":
        return words["confirmed"]
    if why == "operator":
        return words["operator"].format(reason=reason)
    last = (Event.select().where((Event.request == req) & (Event.kind == "resolved"))
            .order_by(Event.id.desc()).first())
    if last is None:
        return words["no_objection_late"]
    until = last.at + desk.catalog_for(req).close_after
    return words["no_objection"].format(close_by=format_dt(until, desk.settings.timezone))


def _kind_context(desk: Teller, req, kind: str, lang: str, ctx: dict) -> None:
    lv = lang == "lv"
    if kind == "resolved_user":
        close_after = desk.catalog_for(req).close_after
        ctx["close_after"] = duration_words(close_after, lang)
        ctx["close_by"] = format_dt(req.resolved_at + close_after, desk.settings.timezone) if req.resolved_at else ""
    if kind == "refused_user":
        people: list[dict] = []
        if req.ict_contact:
            try:
                people = list(json.loads(req.ict_contact))
            except ValueError:
                people = []
        if not people:
            inst = desk.contacts.institutions.get(req.institution)
            people = [vars(p) for p in (inst.ict_contacts if inst else ())]
        ctx["ict_contact"] = _contact_lines(people, lang)
        many = len(people) > 1
        ctx["ict_contact_heading"] = (gettext_in(lang, N_("Contact persons:")) if many
                                      else gettext_in(lang, N_("Contact person:"))) if people else ""
    if kind == "closed_user":
        ctx["closed_why"] = closed_why(desk, req, lang, ctx.get("why", ""), ctx.get("reason", ""))
    if kind == "taken_expert":

        who = ctx.get("new_expert") or ctx["expert_name"]
        ctx["to_new_expert"] = to_person(EXPERT, who, lang) if lv else gettext_in(lang, N_("the expert {name}")).format(name=who)
    if kind == "answer_expert":
        via = _VIA_WORDS.get(ctx.get("via", ""))
        ctx["answer_via"] = gettext_in(lang, via) if via else ""
    if kind == "reopened_expert":

        last = (Event.select().where((Event.request == req) & (Event.kind == "resolved"))
                .order_by(Event.id.desc()).first())
        ctx["previous_result"] = json.loads(last.data or "{}").get("result", "") if last else ""
    if kind in ("assigned_expert", "escalation_manager", "answer_expert", "reopened_expert", "reminder_expert"):
        ctx["room_text"] = gettext_in(lang, N_("room {room}")).format(room=req.room) if req.room else ""
        ctx["workplace"] = ", ".join(x for x in (req.location, ctx["room_text"]) if x)


def queue(desk: Teller, ch: Change, req, kind: str, *, to_login: str | None = None,
          to: list[str] | None = None, **extra: Any):
    """Render and store one message; returns the OutboxMessage (or None when nobody can be mailed).

    When the addressee has no e-mail address, the event ``mail_skipped`` is
    written and the desk gets a notice saying which message failed, why, and
    what to do, with the text it should pass on.
    """
    lang = mail_lang(desk)
    ctx = request_context(desk, req, lang)
    ctx.update({k: ("" if v is None else v) for k, v in extra.items()})
    _kind_context(desk, req, kind, lang, ctx)

    recipients = list(to or [])
    person = desk.contacts.staff.get(to_login) if to_login else None
    if to_login:
        if person and person.email:
            recipients.append(person.email)
    elif kind in USER_KINDS and not recipients:
        if req.email:
            recipients.append(req.email)
    if recipients:
        return store(desk, ch, req, kind, lang, ctx, recipients)

    lv = lang == "lv"
    who = person.name if person else (ctx.get("manager_name") or "")
    if kind in USER_KINDS:
        reason = gettext_in(lang, N_("the requester gave no e-mail address"))
        call = ctx["requester_phone"]
        # TRANSLATORS: in Latvian {requester} comes with its role in the dative: "pieteicējai Līgai Ozoliņai".
        whom = to_person(REQUESTER, ctx["requester_name"] or "", lang) if lv else ctx["requester_name"]
        todo = (gettext_in(lang, N_("Please tell the requester, {requester}, by phone: {phone}.")).format(
                    requester=whom, phone=call) if call else
                gettext_in(lang, N_("Please tell the requester, {requester}, another way: no phone was given.")).format(
                    requester=whom))
    else:
        reason = (gettext_in(lang, N_("{name} has no e-mail address in the contacts file")).format(name=who) if who
                  else gettext_in(lang, N_("the addressee has no e-mail address")))
        call = person.phone if person and getattr(person, "phone", None) else ""
        todo = (gettext_in(lang, N_("Please tell them by phone, {phone}, and add the e-mail address to the contacts "
                                    "file (contacts.yaml).")).format(phone=call) if call else
                gettext_in(lang, N_("Please tell them another way and add the e-mail address to the contacts file "
                                    "(contacts.yaml).")))
    ch.event(req, "mail_skipped", actor=desk.actor.login, via="cli", to_status=req.status,
             data={"kind": kind, "reason": reason})
    if kind == "desk_notice" or not desk.contacts.desk.email:
        return None

    _, unsent = render(kind, lang, ctx, _templates_dir(desk))
    return queue(desk, ch, req, "desk_notice", to=[desk.contacts.desk.email],
                 what=gettext_in(lang, MESSAGE_WORDS[kind]) if kind in MESSAGE_WORDS else kind, reason=reason, todo=todo, details=_indented(unsent.rstrip("\n")))


def _thread(req, number: str | None, domain: str, recipients: list[str]) -> tuple[str | None, str | None, str | None]:
    """``(subject, in_reply_to, references)`` of a new message of ``req`` to ``recipients``.

    The subject is the request's first message's (None: none yet); the parent
    is the last message any of these recipients got about it, the root their
    first one.
    """
    if req is None or number is None:
        return None, None, None
    pseudo = thread_root_id(number, domain)
    subject = None
    roots: list[str] = []
    parent = None
    wanted = set(recipients)
    for m in (M.select(M.id, M.subject, M.recipients, M.message_id).where(M.request == req).order_by(M.id)):
        if subject is None and m.subject.startswith(f"[PD {number}]"):
            subject = m.subject
        try:
            got = set(json.loads(m.recipients))
        except ValueError:
            got = set()
        if got & wanted:
            if not roots:
                roots.append(m.message_id)
            parent = m.message_id
    refs = list(dict.fromkeys([pseudo, *roots, *([parent] if parent else [])]))
    return subject, parent, " ".join(refs)


def store(desk: Teller, ch: Change, req, kind: str, lang: str, ctx: dict, recipients: list[str],
          attachment: tuple[str, bytes] | None = None):
    if kind == "desk_notice":            # a caller outside this module may know only number, reason, details
        ctx = {**{k: "" for k in VARIABLES[kind]}, **ctx}
    subject, body = render(kind, lang, ctx, _templates_dir(desk))
    domain = domain_of(desk.settings.mail_from)
    number = req.number if req is not None else None
    thread_subject, parent, references = _thread(req, number, domain, recipients)
    return OutboxMessage.create(
        request=req, kind=kind, recipients=json.dumps(sorted(set(recipients))), subject=thread_subject or subject,
        body=body, message_id=new_message_id(number, domain), in_reply_to=parent, references=references,
        attachment_name=attachment[0] if attachment else None, attachment=attachment[1] if attachment else None,
        created_at=ch.at, status="pending", attempts=0, next_attempt_at=ch.at,
    )


def escalation_context(desk: Teller, req, *, level: int, reason: str, expert: str | None,
                       managers: list[str], fallback: bool) -> dict[str, str]:
    """The words of the escalation mail [§8.4]: who the addressee is to the expert, and why now."""
    lang = mail_lang(desk)
    lv = lang == "lv"
    tz = desk.settings.timezone
    ctx = {
        "manager_name": ", ".join(managers),
        "reason_label": label(ESCALATION_REASON_LABELS, reason, lang),
        "level": str(level),
        "expert_name": name_of(desk, expert),
        "history": history_text(desk, req, lang),
        "earlier": "",
    }
    if fallback:
        ctx["role"] = (gettext_in(lang, N_("a supervisor of the Service Desk, because the contacts file names no direct "
                                           "manager for the expert")) if level == 1 else
                       gettext_in(lang, N_("a supervisor of the Service Desk, because the contacts file names no "
                                           "second-level manager for the expert")))
    elif level == 1:
        ctx["role"] = gettext_in(lang, N_("the expert's direct manager"))
    else:
        ctx["role"] = gettext_in(lang, N_("the manager of the expert's direct manager"))
    if level >= 2:
        first = (Escalation.select().where((Escalation.request == req) & (Escalation.reason == reason)
                                           & (Escalation.level == 1)).order_by(Escalation.id.desc()).first())
        if first is not None:
            boss = [name_of(desk, x) for x in (first.manager or "").split(",") if x]
            a = desk.current_assignment(req)
            working = a is not None and desk.catalog_for(req).calendar(a.calendar).kind != "24x7"
            wait = duration_words(desk.catalog.repeat_after, lang, working=working)
            at = format_dt(first.at, tz)
            if len(boss) == 1:
                to = to_person(MANAGER, boss[0], lang) if lv else boss[0]
                # TRANSLATORS: in Latvian {manager} comes with its role in the dative: "vadītājam Valdim Kalējam".
                ctx["earlier"] = gettext_in(lang, N_(
                    "The request was already escalated to {manager} on {at}, and it was not put right in the time "
                    "allowed ({wait}).")).format(manager=to, at=at, wait=wait)
            else:
                ctx["earlier"] = gettext_in(lang, N_(
                    "The request was already escalated on {at}, and it was not put right in the time allowed "
                    "({wait}).")).format(at=at, wait=wait)
    return ctx


def _templates_dir(desk: Teller):
    return Path(desk.settings.templates_dir) if desk.settings.templates_dir else None


