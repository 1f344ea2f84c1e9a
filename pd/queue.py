"""What needs the desk now (SPEC 14): `pd queue`, the 24/7 desk's wallboard.

Entries come from a list of sources, each a function `(desk, now) -> list[dict]`; one place ranks
them (`rank`). An entry is a dict:

    reason   one of REASONS, most urgent first
    request  registration number, or None (an intake mail not yet a request)
    intake   intake item id, or None
    since    aware datetime: since when it has been waiting for the desk
    due      aware datetime or None: the deadline it has missed or is about to miss
    title    the request's (or mail's) short title
    detail   why, for scripts (`--json`, unchanged): "late by 2 h 15 min", "due in 40 min", …
    words    why, for a person, in the desk's language with people by name (SPEC 12):
             "nokavēts par 2 stundām 15 minūtēm (izskatīšanas termiņš)"; not in `--json`

Every query starts from the status and a range on one indexed column, so the cost follows the open
set, not the ledger's size (benchmarks/bench_queue.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterable

from . import objections
from .db.models import Assignment, Request
from .followups import queue_entries
from .i18n import _, ngettext
from .lateness import late_requests, overdue_bound
from .latvian import iso, to_local
from .notify.notices import name_of

if TYPE_CHECKING:  # pragma: no cover
    from .desk import Desk

REASONS = ("late", "due_soon", "not_forwarded", "returned", "intake_new", "follow_up", "objection", "waiting_long",
           "ready_to_close")
SOON = timedelta(hours=1)  # due_soon: a deadline within the hour
WAITING_LONG = timedelta(days=3)  # waiting_long: waiting for the user longer than this
TITLE_LEN = 60

Source = Callable[["Desk", datetime], list]


def span(td: timedelta) -> str:
    """A duration in words for the desk: '2 d 3 h', '2 h 15 min', '40 min' (rounded down to minutes)."""
    minutes = max(0, int(td.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _parts(td: timedelta) -> list[tuple[int, str]]:
    """(count, unit) of a duration as `span` cuts it: at most two units, minutes dropped past a day."""
    minutes = max(0, int(td.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return [(days, "day"), (hours, "hour")] if hours else [(days, "day")]
    if hours:
        return [(hours, "hour"), (mins, "minute")] if mins else [(hours, "hour")]
    return [(mins, "minute")]


def _unit(n: int, unit: str, case: str) -> str:
    """One count and unit in the case the sentence needs. The placeholder's name says the case (the
    English is the same): {count} as a subject, {n_by} after "par" (late by: 1 dienu, 2 dienām), {n_ago} after
    "pirms"/"pēc" (1 dienas, 2 dienām), {n_for} for how long (1 dienu, 2 dienas)."""
    if case == "by":
        text = {"day": ngettext("{n_by} day", "{n_by} days", n), "hour": ngettext("{n_by} hour", "{n_by} hours", n),
                "minute": ngettext("{n_by} minute", "{n_by} minutes", n)}[unit]
        return text.format(n_by=n)
    if case == "ago":
        text = {"day": ngettext("{n_ago} day", "{n_ago} days", n),
                "hour": ngettext("{n_ago} hour", "{n_ago} hours", n),
                "minute": ngettext("{n_ago} minute", "{n_ago} minutes", n)}[unit]
        return text.format(n_ago=n)
    if case == "for":
        text = {"day": ngettext("{n_for} day", "{n_for} days", n),
                "hour": ngettext("{n_for} hour", "{n_for} hours", n),
                "minute": ngettext("{n_for} minute", "{n_for} minutes", n)}[unit]
        return text.format(n_for=n)
    text = {"day": ngettext("{count} day", "{count} days", n), "hour": ngettext("{count} hour", "{count} hours", n),
            "minute": ngettext("{count} minute", "{count} minutes", n)}[unit]
    return text.format(count=n)


def span_words(td: timedelta, case: str = "") -> str:
    """A duration in words in the desk's language, cut as `span` cuts it: "10 dienām 2 stundām" (case "by"),
    "1 stundas 45 minūtēm" ("ago"), "3 dienas" ("for"), "1 diena" (""); English "10 days 2 hours"."""
    return " ".join(_unit(n, unit, case) for n, unit in _parts(td))


def title(text: str | None) -> str:
    """The first line, cut to TITLE_LEN characters."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= TITLE_LEN else line[:TITLE_LEN - 1].rstrip() + "…"


def entry(reason: str, *, since: datetime, detail: str, request: str | None = None, intake=None,
          due: datetime | None = None, title_text: str | None = None, words: str | None = None) -> dict:
    assert reason in REASONS, reason
    return {"reason": reason, "request": request, "intake": intake, "since": since, "due": due,
            "title": title(title_text), "detail": detail, "words": words if words is not None else detail}


# ---------------------------------------------------------------- the sources
def deadlines(desk: "Desk", now: datetime) -> list[dict]:
    """late (SPEC 5's rule, the one escalate-overdue uses) and due_soon (a deadline within the hour)."""
    out = []
    late_ids = set()
    for r, reasons in late_requests(desk, now):
        late_ids.add(r.id)
        if "overdue" in reasons:
            due, what = overdue_bound(desk, r), "resolution"
            words = _("late by {span} (resolution deadline)").format(span=span_words(now - due, "by"))
        else:
            due, what = r.response_due, "not accepted"
            words = _("late by {span} (not accepted)").format(span=span_words(now - due, "by"))
        out.append(entry("late", request=r.number, since=due, due=due, title_text=r.description,
                         detail=f"late by {span(now - due)} ({what})", words=words))
    soon = now + SOON
    today = _today(desk, now)
    open_with_expert = Request.status.in_(("assigned", "in_progress"))
    # A delay reported before the deadline holds until the end of its planned day: that end may be soon too.
    candidates = Request.select().where(
        ((Request.status == "assigned") & (Request.response_due >= now) & (Request.response_due < soon))
        | (open_with_expert & (Request.resolution_due >= now) & (Request.resolution_due < soon))
        | (open_with_expert & (Request.resolution_due < now) & (Request.planned_date == today))
    )
    for r in sorted(candidates, key=lambda r: r.id):
        if r.id in late_ids:
            continue
        dues = []
        if r.status == "assigned" and r.response_due and now <= r.response_due < soon:
            dues.append((r.response_due, "response"))
        bound = overdue_bound(desk, r)
        if bound is not None and now <= bound < soon:
            dues.append((bound, "resolution"))
        if not dues:
            continue
        due, what = min(dues)
        left = span_words(due - now, "ago")
        words = (_("response deadline in {span}") if what == "response"
                 else _("resolution deadline in {span}")).format(span=left)
        out.append(entry("due_soon", request=r.number, since=r.updated_at, due=due, title_text=r.description,
                         detail=f"due in {span(due - now)} ({what})", words=words))
    return out


def not_forwarded(desk: "Desk", now: datetime) -> list[dict]:
    """Registered but not yet forwarded to an expert (SPEC 14) [§8.2], with how long it has waited."""
    out = []
    for r in Request.select().where((Request.status == "registered") & (Request.registered_at <= now)):
        since = r.registered_at
        out.append(entry("not_forwarded", request=r.number, since=since, title_text=r.description,
                         detail=f"registered {span(now - since)} ago, not yet forwarded to an expert",
                         words=_("registered {span} ago, not yet forwarded to an expert").format(
                             span=span_words(now - since, "ago"))))
    return out


def returned(desk: "Desk", now: datetime) -> list[dict]:
    """Returned by an expert [§9.2]: the desk assigns it again, resolves it, or escalates the rejection."""
    rows = list(Request.select().where(Request.status == "returned"))
    if not rows:
        return []
    last = {}
    for a in (Assignment.select(Assignment.request, Assignment.expert, Assignment.ended_at)
              .where(Assignment.request.in_([r.id for r in rows]) & (Assignment.ended_reason == "rejected"))):
        if a.request_id not in last or a.ended_at > last[a.request_id].ended_at:
            last[a.request_id] = a
    out = []
    for r in rows:
        a = last.get(r.id)
        since = a.ended_at if a else r.updated_at
        who = f"by {a.expert} " if a else ""
        ago = span_words(now - since, "ago")
        name = name_of(desk, a.expert) if a else ""
        words = (_("returned to the desk by {name} {span} ago").format(name=name, span=ago) if name
                 else _("returned to the desk {span} ago").format(span=ago))
        out.append(entry("returned", request=r.number, since=since, title_text=r.description,
                         detail=f"returned {who}{span(now - since)} ago", words=words))
    return out


def resolved(desk: "Desk", now: datetime) -> list[dict]:
    """objection (a reply after the result not yet decided on [§8.10]: the rule `pd close` keeps,
    pd/objections.py) and ready_to_close (past close_after)."""
    rows = list(Request.select().where(Request.status == "resolved"))
    if not rows:
        return []
    replies: dict[int, object] = {}
    for msg, req in objections.pending(now):
        replies.setdefault(req.id, (msg.received_at, objections.sender(msg), objections.first_line(msg)))
    out = []
    cutoff = now - desk.catalog.close_after
    for r in rows:
        if r.id in replies:
            at, sender, line = replies[r.id]
            words = _("a reply after the result from {sender} {span} ago: «{line}»; pd reopen, pd close --reason, "
                      "or pd intake seen {number} if it is no objection").format(
                sender=sender, span=span_words(now - at, "ago"), line=line, number=r.number)
            out.append(entry("objection", request=r.number, since=at, title_text=r.description,
                             detail=f"reply from {sender} {span(now - at)} ago, after the result: «{line}»; "
                                    f"reopen, close --reason, or pd intake seen {r.number} if it is no objection",
                             words=words))
        elif r.resolved_at is not None and r.resolved_at <= cutoff:
            out.append(entry("ready_to_close", request=r.number, since=r.resolved_at, title_text=r.description,
                             detail=f"resolved {span(now - r.resolved_at)} ago, no objection",
                             words=_("resolved {span} ago, no objection").format(
                                 span=span_words(now - r.resolved_at, "ago"))))
    return out


def waiting(desk: "Desk", now: datetime, threshold: timedelta = WAITING_LONG) -> list[dict]:
    """Waiting for the user longer than the threshold [§8.8]: time to remind them, or to give up."""
    out = []
    for r in Request.select().where((Request.status == "waiting_user") & (Request.paused_since <= now - threshold)):
        out.append(entry("waiting_long", request=r.number, since=r.paused_since, title_text=r.description,
                         detail=f"waiting for the user {span(now - r.paused_since)}",
                         words=_("waiting for the user's information for {span}").format(
                             span=span_words(now - r.paused_since, "for"))))
    return out


def _intake_entries(now: datetime) -> list[dict]:
    """intake_new, follow_up and objection entries (new mail, follow-ups not yet seen, replies after
    the result), from the e-mail intake package."""
    return queue_entries(now)


def intake(desk: "Desk", now: datetime) -> list[dict]:
    return _intake_entries(now)


SOURCES: list[Source] = [deadlines, not_forwarded, returned, intake, resolved, waiting]


# ---------------------------------------------------------------- the one ranking
def rank(entries: Iterable[dict]) -> list[dict]:
    """Most urgent first: by reason (REASONS' order), then within a reason the longest late / soonest due /
    longest waiting first. One entry per request (its most urgent reason); intake items are all kept."""
    def key(e: dict):
        return (REASONS.index(e["reason"]), e["due"] or e["since"], e["since"], e["request"] or "",
                str(e["intake"] or ""))

    out, seen = [], set()
    for e in sorted(entries, key=key):
        if e["request"] is not None:
            if e["request"] in seen:
                continue
            seen.add(e["request"])
        out.append(e)
    return out


def entries(desk: "Desk", now: datetime, sources: Iterable[Source] | None = None) -> list[dict]:
    """What needs the desk at `now`, most urgent first."""
    gathered: list[dict] = []
    for source in (SOURCES if sources is None else sources):
        gathered.extend(source(desk, now))
    return rank(gathered)


def as_json(e: dict, tz: str) -> dict:
    """An entry for scripts: the keys and English `detail` of SPEC 14, whatever the desk's language."""
    return {**{k: v for k, v in e.items() if k != "words"}, "since": iso(e["since"], tz), "due": iso(e["due"], tz)}


def _today(desk: "Desk", now: datetime):
    return to_local(now, desk.settings.timezone).date()
