"""Who is told what, when (SPEC 6): messages queued in the outbox in the change's transaction.

The message is rendered when it is queued, so the outbox holds exactly what
will be delivered; `pd mail send` only composes and sends it.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk
    from ..ledger import Change

USER_KINDS = ("forwarded_user", "delay_user", "resolved_user", "closed_user", "refused_user")


def request_context(desk: "Desk", req, lang: str) -> dict[str, Any]:
    from ..latvian import STATUS_LABELS, format_date, format_dt, label

    tz = desk.settings.timezone
    contacts = desk.contacts
    catalog = desk.catalog_for(req)
    service = catalog.services.get(req.service)
    inst = contacts.institutions.get(req.institution)
    expert = contacts.staff.get(req.expert) if req.expert else None
    return {
        "number": req.number,
        "service_code": req.service,
        "service_name": service.label(lang) if service else req.service,
        "description": req.description,
        "status_label": label(STATUS_LABELS, req.status, lang),
        "desk_name": contacts.desk.name,
        "desk_email": contacts.desk.email,
        "desk_phone": contacts.desk.phone,
        "requester_name": req.requester_name,
        "requester_institution": inst.name if inst else req.institution,
        "requester_unit": req.unit,
        "requester_position": req.position,
        "requester_phone": req.phone,
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
        "urgent_marker": ("STEIDZAMI: " if lang == "lv" else "URGENT: ") if req.urgent else "",
        "note": "",
    }


def queue(desk: "Desk", ch: "Change", req, kind: str, *, to_login: str | None = None,
          to: list[str] | None = None, **extra: Any):
    """Render and store one message; returns the OutboxMessage (or None when nobody can be mailed)."""
    lang = desk.settings.lang if desk.settings.lang in ("lv", "en") else "lv"
    ctx = request_context(desk, req, lang)
    if kind == "resolved_user":
        from ..calendars import format_duration

        ctx["close_after"] = format_duration(desk.catalog_for(req).close_after)
    if kind == "refused_user":
        inst = desk.contacts.institutions.get(req.institution)
        ctx["ict_contact"] = "\n".join(
            "  " + ", ".join(x for x in (p.name, p.phone, p.email) if x) for p in (inst.ict_contacts if inst else ())
        )
    ctx.update({k: ("" if v is None else v) for k, v in extra.items()})

    recipients = list(to or [])
    if to_login:
        person = desk.contacts.staff.get(to_login)
        if person and person.email:
            recipients.append(person.email)
    elif kind in USER_KINDS and not recipients:
        if req.email:
            recipients.append(req.email)
    if not recipients:
        if lang == "lv":
            reason = ("pieteicējs nav norādījis e-pasta adresi" if kind in USER_KINDS
                      else f"{to_login or 'adresātam'} kontaktos nav e-pasta adreses")
        else:
            reason = ("the requester gave no e-mail address" if kind in USER_KINDS
                      else f"{to_login or 'the recipient'} has no e-mail address in contacts")
        ch.event(req, "mail_skipped", actor=desk.actor.login, via="cli", to_status=req.status,
                 data={"kind": kind, "reason": reason})
        if kind == "desk_notice" or not desk.contacts.desk.email:
            return None
        return queue(desk, ch, req, "desk_notice", to=[desk.contacts.desk.email],
                     reason=reason, details=f"{kind}: {ctx.get('status_label', '')}")
    return store(desk, ch, req, kind, lang, ctx, recipients)


def store(desk: "Desk", ch: "Change", req, kind: str, lang: str, ctx: dict, recipients: list[str],
          attachment: tuple[str, bytes] | None = None):
    from ..db.models import OutboxMessage
    from .compose import domain_of, new_message_id, thread_root_id
    from .render import render

    subject, body = render(kind, lang, ctx, _templates_dir(desk))
    domain = domain_of(desk.settings.mail_from)
    number = req.number if req is not None else None
    root = thread_root_id(number, domain) if number else None
    return OutboxMessage.create(
        request=req, kind=kind, recipients=json.dumps(sorted(set(recipients))), subject=subject, body=body,
        message_id=new_message_id(number, domain), in_reply_to=root, references=root,
        attachment_name=attachment[0] if attachment else None, attachment=attachment[1] if attachment else None,
        created_at=ch.at, status="pending", attempts=0, next_attempt_at=ch.at,
    )


def _templates_dir(desk: "Desk"):
    from pathlib import Path

    return Path(desk.settings.templates_dir) if desk.settings.templates_dir else None
