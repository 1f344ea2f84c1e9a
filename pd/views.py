"""Requests and events as plain data: the JSON keys of SPEC 11, shared by every output."""
from __future__ import annotations

import json
from typing import Any

from .db.models import Request
from .lateness import late_filter
from .latvian import iso

REQUEST_KEYS = (
    "number", "status", "requester", "service", "description", "channel", "urgent", "expert", "received_at",
    "response_due", "resolution_due", "planned_date", "accepted_at", "resolved_at", "closed_at", "result",
    "escalations",
)


def request_dict(req, *, escalations: list | None = None, tz: str = "Europe/Riga") -> dict[str, Any]:
    if escalations is None:
        escalations = list(req.escalations)
    d: dict[str, Any] = {
        "number": req.number,
        "status": req.status,
        "requester": {
            "name": req.requester_name, "institution": req.institution, "unit": req.unit,
            "position": req.position, "phone": req.phone, "email": req.email, "location": req.location,
            "room": req.room, "username": req.username,
        },
        "service": req.service,
        "description": req.description,
        "channel": req.channel,
        "urgent": bool(req.urgent),
        "expert": req.expert,
        "received_at": iso(req.received_at, tz),
        "response_due": iso(req.response_due, tz),
        "resolution_due": iso(req.resolution_due, tz),
        "planned_date": req.planned_date.isoformat() if req.planned_date else None,
        "accepted_at": iso(req.accepted_at, tz),
        "resolved_at": iso(req.resolved_at, tz),
        "closed_at": iso(req.closed_at, tz),
        "result": req.result,
        "escalations": [escalation_dict(e, tz) for e in escalations],
        # beyond SPEC 11's keys, for scripts that need them
        "catalog_version": req.catalog_version,
        "delay_reason": req.delay_reason,
        "refusal_reason": req.refusal_reason,
        "ict_contacts": json.loads(req.ict_contact) if req.ict_contact else [],
        "registered_at": iso(req.registered_at, tz),
    }
    return d


def escalation_dict(e, tz: str = "Europe/Riga") -> dict[str, Any]:
    return {"reason": e.reason, "level": e.level, "at": iso(e.at, tz), "manager": e.manager, "by": e.actor,
            "note": e.note}


def event_dict(ev, tz: str = "Europe/Riga") -> dict[str, Any]:
    return {
        "id": ev.id, "at": iso(ev.at, tz), "kind": ev.kind, "actor": ev.actor, "on_behalf_of": ev.on_behalf_of,
        "via": ev.via, "from": ev.from_status, "to": ev.to_status, "data": json.loads(ev.data or "{}"),
    }


def late_ids(desk, reqs, now) -> set[int]:
    """The ids among `reqs` that escalate-overdue would find late at `now`: asked of the one rule of
    lateness (pd.lateness.late_filter), so a list's "!" never disagrees with the cron job."""
    ids = [r.id for r in reqs if r.status in ("assigned", "in_progress")]
    found: set[int] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        found.update(r.id for r in Request.select(Request.id).where(Request.id.in_(chunk) & late_filter(desk, now)))
    return found


def is_late(desk, req, now) -> bool:
    """One request: late now, as escalate-overdue sees it."""
    return req.id in late_ids(desk, [req], now)
