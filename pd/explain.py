"""How a request's deadlines were computed (`pd explain N`): start, calendar, catalog
version, working intervals counted, days skipped and why, pauses, the result."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .catalog import at_version
from .db.models import Assignment, Pause
from .latvian import iso

if TYPE_CHECKING:  # pragma: no cover
    from .desk import Desk


def explain_request(desk: "Desk", number: str) -> dict[str, Any]:
    req = desk.get(number)
    tz = desk.settings.timezone
    assignments = list(Assignment.select().where(Assignment.request == req).order_by(Assignment.id))
    out: dict[str, Any] = {"number": req.number, "status": req.status, "service": req.service,
                           "urgent": bool(req.urgent), "catalog_version": req.catalog_version,
                           "response": None, "resolution": None, "pauses": []}
    if not assignments:
        out["note"] = "no expert has been assigned yet: deadlines are set on assignment [§8.2]"
        return out
    current = assignments[-1]
    catalog = at_version("catalog", current.catalog_version)
    times = catalog.times(req.service, req.urgent)  # type: ignore[attr-defined]

    def part(a, duration: timedelta, stored, explicit: bool) -> dict[str, Any]:
        cal = catalog.calendar(a.calendar)  # type: ignore[attr-defined]
        if explicit:
            return {"source": "set by the operator (--respond-by/--resolve-by)", "start": iso(a.assigned_at, tz),
                    "due": iso(stored, tz), "calendar": a.calendar}
        d = cal.explain(a.assigned_at, duration)
        d["source"] = f"catalog {a.catalog_version}: {req.service} {'urgent' if req.urgent else 'normal'}"
        d["catalog_version"] = a.catalog_version
        return d

    out["response"] = part(current, times.response, current.response_due, current.explicit)
    # The resolution deadline belongs to the request: set on the first assignment (or an explicit one).
    origin = next((a for a in reversed(assignments) if a.explicit), assignments[0])
    res = part(origin, times.resolution, origin.base_resolution_due, origin.explicit)
    res["assigned_to_at_start"] = origin.expert
    pauses = list(Pause.select().where(Pause.request == req).order_by(Pause.id))
    total = timedelta(0)
    for p in pauses:
        secs = p.paused_seconds or 0
        total += timedelta(seconds=secs)
        out["pauses"].append({"from": iso(p.started_at, tz), "to": iso(p.ended_at, tz) if p.ended_at else None,
                              "question": p.question, "working_minutes": secs // 60,
                              "open": p.ended_at is None})
    res["paused_minutes"] = int(total.total_seconds() // 60)
    res["due_after_pauses"] = iso(req.resolution_due, tz)
    out["resolution"] = res
    if req.planned_date:
        out["planned_date"] = req.planned_date.isoformat()
        out["delay_reason"] = req.delay_reason
    return out


def due_for(catalog, service: str, urgent: bool, start) -> dict[str, Any]:
    """What `pd calendar due` tells a caller: the deadlines a request would get now."""
    t = catalog.variant(service, urgent)  # --urgent for a service without that variant: exit 3, as pd register
    cal = catalog.calendar(t.calendar)
    return {"service": service.upper(), "urgent": urgent, "calendar": t.calendar, "catalog_version": catalog.version,
            "from": iso(start), "response_due": iso(cal.due(start, t.response)),
            "resolution_due": iso(cal.due(start, t.resolution))}
