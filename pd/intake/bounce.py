"""Step 7: a delivery failure report for a message the desk sent (SPEC 13).

The outbox message is marked failed, the request's history says so, and the
desk is told by a desk notice (never the machine that reported it). A report
about a desk notice itself only marks it: one bounce never begets another mail.
"""
from __future__ import annotations

import json

from ..db.models import OutboxMessage as M
from ..i18n import gettext_in
from ..notify.notices import queue
from .classify import DELIVERY_STATUS
from .match import sent_by_desk


def handle(desk, ch, msg, bounce) -> dict:
    originals = sent_by_desk(bounce.original_ids)
    msg.action = "bounce"
    msg.auto_reason = DELIVERY_STATUS
    req = None
    for out in originals:
        req = out.request if out.request_id else req
        if not bounce.failed:
            continue  # only delayed: the server is still trying
        failed = ", ".join(f"{f['recipient']} {f['status']}".strip() for f in bounce.failed)
        diagnostic = next((f["diagnostic"] for f in bounce.failed if f["diagnostic"]), "")
        error = f"bounced: {failed}" + (f" ({diagnostic})" if diagnostic else "")
        M.update(status="failed", last_error=error[:2000]).where(M.id == out.id).execute()
        ch.event(out.request if out.request_id else None, "mail_bounced", actor=desk.actor.login, via="email",
                 to_status=out.request.status if out.request_id else None,
                 data={"outbox": out.id, "kind": out.kind, "failed": [f["recipient"] for f in bounce.failed],
                       "status": [f["status"] for f in bounce.failed], "report": msg.id})
        if out.request_id and out.kind != "desk_notice" and _desk_not_among(desk, bounce.failed):
            lang = "en" if desk.settings.lang == "en" else "lv"  # the desk's mail language
            recipients = ", ".join(json.loads(out.recipients))
            queue(desk, ch, out.request, "desk_notice", to=[desk.contacts.desk.email],
                  reason=gettext_in(lang, "the mail to {recipients} was not delivered").format(recipients=recipients),
                  details=gettext_in(lang, "Message: {subject}\nServer's report: {error}").format(
                      subject=out.subject, error=error))
    msg.request = req
    msg.save()
    return {"action": "bounce", "intake": None, "request": req.number if req is not None else None,
            "message": msg.id, "outbox": [o.id for o in originals]}


def _desk_not_among(desk, failed: list[dict]) -> bool:
    address = (desk.contacts.desk.email or "").lower()
    return bool(address) and address not in {f["recipient"] for f in failed}
