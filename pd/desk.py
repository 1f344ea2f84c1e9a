"""The Service Desk's process [§6–§9]: every command of SPEC 2 as one method.

Knows nothing of Typer or rich. Each state-changing method checks who may do
it, checks the current state, then writes the new state, an event in the
audit chain and the e-mails it causes in one transaction.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from . import trust
from .catalog import Catalog, Contacts, Staff, at_version, parse_file
from .config import Settings
from .conversation import EXPERT, PREVIOUS_EXPERT, USER, mails_for
from .db.connection import db, open_database, sqlite_path, translate_errors
from .db.models import Assignment, Escalation, Event, Pause, Request
from .errors import ConfigError, InvalidInput, InvalidState, NotFound, NotPermitted
from .i18n import N_, _, language, ngettext
from .lateness import late_filter
from .latvian import STATUS_LABELS, clean_text, field_name, format_dt, iso, label, normalize_email, normalize_phone, to_local
from .ledger import Change, Ledger, canonical, text_sha256, utcnow
from .ledger import utc_text as _utc_text
from .record import Record, fresh

STATES = ("registered", "assigned", "in_progress", "returned", "waiting_user", "resolved", "closed", "refused")
OPEN_STATES = ("registered", "assigned", "in_progress", "returned", "waiting_user")
# How far ahead a delay may be planned [§8.6]: a year; a later date would hold back the escalation for ever.
PLANNED_AHEAD = timedelta(days=366)
CHANNELS = ("phone", "fax", "email", "other")
VIA = ("cli", "phone", "fax", "email", "cron", "other")
ESCALATION_REASONS = ("not_accepted", "unjustified_rejection", "overdue")

# What may follow each state (for the message of a refused transition).
NEXT_STEPS = {
    "registered": N_("pd assign, pd resolve (if the desk can resolve it)"),
    "assigned": N_("pd accept, pd reject, pd wait, pd assign (reassign with --reason), pd note"),
    "in_progress": N_("pd resolve, pd wait, pd note, pd assign (reassign with --reason)"),
    "returned": N_("pd assign (to another expert), pd resolve (if the desk can resolve it), "
                   "pd escalate --reason unjustified-rejection"),
    "waiting_user": N_("pd resume, pd note --resume (the user's answer)"),
    "resolved": N_("pd close, pd reopen"),
    "closed": N_("nothing: the request is closed"),
    "refused": N_("nothing: the request was refused as outside the Centre's competence"),
}

# What an expert's step is called where someone else may not take it (Desk._acting_expert).
_EXPERT_STEPS = {"accept": N_("accept"), "reject": N_("reject"), "pause": N_("pause"), "resolve": N_("resolve")}

REQUESTER_FIELDS = ("name", "institution", "unit", "position", "phone", "email", "location", "room", "username")

LIMITS = {"description": 4000, "reason": 2000, "note": 4000, "result": 4000, "question": 2000, "name": 200,
          "unit": 200, "position": 200, "location": 300, "room": 50, "username": 100}


class RegisterInput(Record):
    name: str | None = None
    institution: str | None = None
    unit: str | None = None
    position: str | None = None
    phone: str | None = None
    email: str | None = None
    location: str | None = None
    room: str | None = None
    username: str | None = None
    service: str | None = None
    description: str | None = None
    channel: str | None = None
    urgent: bool = False
    received_at: datetime | None = None

    REQUIRED = ("name", "institution", "service", "description", "channel")

    def missing(self, needs_location: bool = False) -> list[str]:
        need = list(self.REQUIRED) + (["location", "room"] if needs_location else [])
        return [f for f in need if not getattr(self, f)]


class ListFilter(Record):
    statuses: list[str] = fresh(list)
    institution: str | None = None
    expert: str | None = None
    service: str | None = None
    overdue: bool = False
    escalated: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None


class Desk:
    """The process, acting as one person (PD_USER) through one channel."""

    def __init__(self, settings: Settings, ledger: Ledger | None = None, *, now: datetime | None = None):
        self.settings = settings
        self._ledger = ledger
        self._catalog: Catalog | None = None
        self._contacts: Contacts | None = None
        self._identity: str | None = None  # the effective identity mode (pd/trust.py)
        self.in_force = None  # pd.trust.InForce, once the configuration is loaded
        self._now = now

    # ------------------------------------------------------------------ plumbing
    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.settings)
        return self._ledger

    def now(self) -> datetime:
        return self._now or utcnow()

    def set_now(self, when: datetime) -> None:
        """Act as of `when` (`pd escalate-overdue --now`, which refuses a future instant unless --dry-run)."""
        self._now = when

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._load_config()
        return self._catalog  # type: ignore[return-value]

    @property
    def contacts(self) -> Contacts:
        if self._contacts is None:
            self._load_config()
        return self._contacts  # type: ignore[return-value]

    def _load_config(self, **publish) -> Any:
        """The catalog and contacts in force in the ledger, and its identity mode (SPEC 9): the caller's
        files only if they are the versions in force, each against its schema and both against each
        other (SPEC 7). `publish` (pd catalog/contacts publish) takes the caller's files into force."""
        in_force = trust.load(self.settings, lambda: self.ledger, acting_person, **publish)
        self._catalog, self._contacts, self._identity = in_force.catalog, in_force.contacts, in_force.identity
        self.in_force = in_force
        return in_force

    def publish(self, kinds: tuple[str, ...], files: dict[str, str]) -> Any:
        """pd catalog/contacts publish: the caller's files of `kinds` into force (an admin of the
        contacts in force, SPEC 9); returns the pd.trust.InForce now in force."""
        return self._load_config(publish=kinds, files=files)

    def catalog_to_read(self) -> Catalog:
        """The catalog in force (what register uses); with no SQLite ledger yet, the file a new
        ledger would take, read without creating one (pd calendar before pd init)."""
        path = sqlite_path(self.settings.database_url)
        if path is not None and not path.exists():
            return parse_file("catalog", self.settings.catalog_path)  # type: ignore[return-value]
        return self.catalog

    def catalog_for(self, req) -> Catalog:
        """The catalog version a request is pinned to."""
        if req.catalog_version == self.catalog.version:
            return self.catalog

        return at_version("catalog", req.catalog_version)  # type: ignore[return-value]

    @property
    def actor(self) -> Staff:
        contacts = self.contacts
        return acting_person(self.settings, contacts, self._identity)

    def require(self, *roles: str, what: str) -> Staff:
        return _with_role(self.actor, roles, what)

    def _acting_expert(self, req, what: str) -> tuple[Staff, str | None]:
        """The assigned expert acts, or an operator records it on their behalf (the event says so)."""
        me = self.actor
        if req.expert and me.login == req.expert:
            return me, None
        if me.has("operator"):
            return me, req.expert
        step = _(_EXPERT_STEPS.get(what, what))
        if not req.expert:
            raise NotPermitted(_("{person} may not {step} request {number}: it has no expert").format(
                person=me.name, step=step, number=req.number))
        raise NotPermitted(_("{person} may not {step} request {number}: it is assigned {to_expert}").format(
            person=me.name, step=step, number=req.number, to_expert=self.to_expert(req.expert)))

    def name_of(self, login: str | None) -> str:
        """A staff member's name for a person to read (the login only if the contacts do not know it)."""
        person = self.contacts.staff.get(login) if login else None
        return person.name if person else (login or "-")

    def to_expert(self, login: str | None) -> str:
        """"ekspertam Jānim Bērziņam" / "to the expert Jānis Bērziņš", in the desk's language."""
        from .notify.wording import EXPERT, to_person  # lazy: (as in tell) only a refusal's message

        return to_person(EXPERT, self.name_of(login), language())

    def get(self, number: str):
        number = normalize_number(number)
        req = Request.get_or_none(Request.number == number)
        if req is None:
            raise NotFound(_("request {number} not found").format(number=number))
        return req

    def _locked(self, number: str):
        """Re-read the request inside the write transaction."""
        return self.get(number)

    @staticmethod
    def _state(req, allowed: Iterable[str], command: str) -> None:
        if req.status not in allowed:
            raise InvalidState(_("request {number} is in the state “{state}”; pd {command} needs the state {allowed}. "
                                 "From here: {next}").format(
                number=req.number, state=label(STATUS_LABELS, req.status), command=command,
                allowed=", ".join(f"“{label(STATUS_LABELS, a)}”" for a in allowed), next=_(NEXT_STEPS[req.status])))

    def checked_text(self, field: str, value: str | None, *, redact: bool, required: bool = True,
                     multiline: bool = True) -> str | None:
        """A free text as the desk stores it: cleaned, bounded, and through the password guard."""
        if value is None or not str(value).strip():
            if required:
                raise InvalidInput(_("{field} is required").format(field=field_name(field)))
            return None
        value = clean_text(field, value, max_len=LIMITS.get(field, 4000), multiline=multiline)
        from . import guard  # lazy: a read (pd show) writes no text, and the guard costs its start-up

        return guard.check_text(field, value, redact_secrets=redact)

    def record_event(self, ch: Change, req, kind: str, *, via: str, from_status=None, on_behalf_of=None, data=None):
        """An event of this request in the change, by the acting person."""
        return ch.event(req, kind, actor=self.actor.login, via=via, on_behalf_of=on_behalf_of,
                        from_status=from_status, to_status=req.status, data=data)

    def _save(self, ch: Change, req) -> None:
        req.updated_at = ch.at
        req.save()

    # ------------------------------------------------------------------ register [§5–§7]
    def register(self, data: RegisterInput, *, out_of_scope: bool = False, refusal_reason: str | None = None,
                 idempotency_key: str | None = None, redact: bool = False, via: str = "cli"):
        me = self.require("operator", "system", what=N_("register requests"))
        d = self._validated_register(data, redact=redact, out_of_scope=out_of_scope)
        if out_of_scope:
            refusal_reason = self.checked_text("reason", refusal_reason or _("Outside the Information Centre's competence"), redact=redact)
        key = idempotency_key.strip() if idempotency_key else None
        if key is not None and not (0 < len(key) <= 200):
            raise InvalidInput(_("--idempotency-key must be 1 to 200 characters"))
        from . import guard  # (as in checked_text)

        key = guard.check_key("--idempotency-key", key, redact_secrets=redact)
        with self.ledger.change() as ch:
            if key:
                existing = Request.get_or_none(Request.idempotency_key == key)
                if existing is not None:
                    _same_content(key, existing, d, refusal_reason if out_of_scope else None)
                    return existing
            received = d["received_at"] or ch.at
            if received > ch.at + timedelta(minutes=5):
                raise InvalidInput(_("--received-at is in the future"))

            year = to_local(received, self.settings.timezone).year
            inst = self.contacts.institution(d["institution"])
            req = Request(
                number=ch.next_number(year), status="registered",
                requester_name=d["name"], institution=inst.code, unit=d["unit"] or "", position=d["position"] or "",
                phone=d["phone"] or "", email=d["email"] or "", location=d["location"] or "", room=d["room"] or "",
                username=d["username"] or "", service=d["service"], description=d["description"],
                channel=d["channel"], urgent=bool(d["urgent"]), received_at=received, registered_at=ch.at,
                registered_by=me.login, catalog_version=self.catalog.version,
                contacts_version=self.contacts.version, idempotency_key=key, updated_at=ch.at,
            )
            req.save(force_insert=True)
            self.record_event(ch, req, "registered", via=via, data={
                "service": req.service, "channel": req.channel, "urgent": req.urgent, "institution": req.institution,
                "catalog_version": req.catalog_version, "contacts_version": req.contacts_version,
                # what `pd audit verify` compares the row with (since 0.2; older events lack them)
                "received_at": _utc_text(req.received_at), "description_sha256": text_sha256(req.description),
            })
            if out_of_scope:
                req.status = "refused"
                req.refusal_reason = refusal_reason
                req.ict_contact = json.dumps([p.as_dict() for p in inst.ict_contacts], ensure_ascii=False)
                req.closed_at = ch.at
                self._save(ch, req)
                ev = self.record_event(ch, req, "refused", via=via, from_status="registered",
                                 data={"reason": refusal_reason, "ict_contacts": [p.name for p in inst.ict_contacts]})
                self.tell(ch, req, ev, reason=refusal_reason)
        return req

    def check_same_request(self, req, data: RegisterInput, *, what: str, redact: bool = False) -> None:
        """`data` asks again for what became request `req` (an intake item registered before): each
        field given must say what the request holds; one that differs is exit 3 (SPEC 11), never
        silently ignored. Fields not given are the request's own."""
        given = {f: getattr(data, f) for f in _CONTENT if f != "urgent" and getattr(data, f) is not None}
        if not given and not data.urgent and data.received_at is None:
            return  # asked again with nothing of its own: the request it became
        stored = {"name": req.requester_name, **{f: getattr(req, f) or None for f in _CONTENT
                                                 if f not in ("name", "urgent")}}
        merged = RegisterInput(**{**stored, **given}, urgent=bool(req.urgent) or data.urgent,
                               received_at=data.received_at)
        d = self._validated_register(merged, redact=redact, out_of_scope=req.status == "refused")
        held = {**stored, "name": req.requester_name}
        differ = [f for f in given if (d[f] or "") != (held[f] or "")]
        if data.urgent and not req.urgent:
            differ.append("urgent")
        if data.received_at is not None and _iso(d["received_at"]) != _iso(req.received_at):
            differ.append("received_at")
        if differ:
            raise InvalidInput(_("{what} was registered as request {number}, which holds other {options}; it is not "
                                 "registered again: change {number} with pd note, pd assign …, or register a new "
                                 "request").format(what=_(what), number=req.number,
                                                   options=", ".join("--" + f.replace("_", "-") for f in differ)))

    def _validated_register(self, data: RegisterInput, *, redact: bool, out_of_scope: bool) -> dict[str, Any]:
        missing = data.missing()
        if missing:
            raise InvalidInput(_("missing: {options}").format(options=", ".join("--" + m.replace("_", "-") for m in missing)))
        service = self.catalog.service(data.service or "")
        self.catalog.variant(service.code, bool(data.urgent))  # the one check of --urgent (pd calendar due too)
        self.contacts.institution(data.institution or "")
        if service.needs_location and not out_of_scope:
            lacking = [f for f in ("location", "room") if not getattr(data, f)]
            if lacking:
                raise InvalidInput(_("service {service} is a failure of technical resources: {options} required "
                                     "[§6.6]").format(service=service.code, options=", ".join("--" + f for f in lacking)))
        channel = (data.channel or "").lower()
        if channel not in CHANNELS:
            raise InvalidInput(_("--channel must be one of {channels}, not {value}").format(
                channels=", ".join(CHANNELS), value=repr(data.channel)))
        out: dict[str, Any] = {
            "service": service.code, "institution": (data.institution or "").upper(), "channel": channel,
            "urgent": data.urgent, "received_at": data.received_at,
            "phone": normalize_phone(data.phone) if data.phone else "",
            "email": normalize_email(data.email) if data.email else "",
        }
        out["description"] = self.checked_text("description", data.description, redact=redact)
        for f in ("name", "unit", "position", "location", "room", "username"):
            out[f] = self.checked_text(f, getattr(data, f), redact=redact, required=(f == "name"), multiline=False)
        return out

    # ------------------------------------------------------------------ assign [§8.2]
    def assign(self, number: str, expert: str, *, respond_by: datetime | None = None,
               resolve_by: datetime | None = None, reason: str | None = None, redact: bool = False,
               via: str = "cli", force: bool = False):
        self.require("operator", what=N_("assign requests"))
        person = self.contacts.person(expert)
        if not person.has("expert"):
            raise InvalidInput(_("{person} is not an expert in {source}").format(person=person.name,
                                                                                 source=self.contacts.source))
        forced = False
        reason = self.checked_text("reason", reason, redact=redact, required=False)
        with self.ledger.change() as ch:
            req = self._locked(number)
            self._state(req, ("registered", "returned", "assigned", "in_progress"), "assign")
            reassign = req.status in ("assigned", "in_progress")
            if reassign and not reason:
                raise InvalidInput(_("request {number} is already assigned {to_expert}: reassigning needs --reason").format(
                    number=req.number, to_expert=self.to_expert(req.expert)))
            if reassign and req.expert == person.login:
                raise InvalidInput(_("request {number} is already assigned {to_expert}").format(
                    number=req.number, to_expert=self.to_expert(person.login)))
            if req.service not in person.services:
                # An expert is assigned only to the services they serve (SPEC 9); --force is recorded.
                if not force:
                    # (the others by name, with the login --expert takes)
                    serving = [f"{s.name} ({s.login})" for s in self.contacts.with_role("expert")
                               if req.service in s.services]
                    raise InvalidInput(_("{person} does not serve {service} (their services: {services}); experts for "
                                         "{service}: {experts}. Use --force to assign anyway (the history records "
                                         "it)").format(person=person.name, service=req.service,
                                                       services=", ".join(person.services) or "-",
                                                       experts=", ".join(serving) or "-"))
                forced = True
            catalog = self.catalog_for(req)
            times = catalog.times(req.service, req.urgent)
            cal = catalog.calendar(times.calendar)
            previous = self.current_assignment(req)
            response_due = respond_by or cal.due(ch.at, times.response)
            if resolve_by is not None:
                resolution_due = resolve_by
            elif previous is not None:
                # The resolution deadline belongs to the request, not the expert: a new expert
                # inherits it, paused time included; only the response clock starts again.
                resolution_due = req.resolution_due
            else:
                resolution_due = cal.due(ch.at, times.resolution)
            for label, when in (("--respond-by", respond_by), ("--resolve-by", resolve_by)):
                if when is not None and when <= ch.at:
                    raise InvalidInput(_("{option} is in the past").format(option=label))
            if resolution_due < response_due:
                raise InvalidInput(_("the resolution deadline is before the response deadline"))
            if previous is not None:
                previous.ended_at = ch.at
                previous.ended_reason = "reassigned" if reassign else "rejected"
                previous.save()
            a = Assignment.create(
                request=req, expert=person.login, assigned_at=ch.at, assigned_by=self.actor.login,
                response_due=response_due, resolution_due=resolution_due, base_resolution_due=resolution_due,
                calendar=times.calendar, response_calendar=times.calendar, catalog_version=catalog.version,
                explicit=respond_by is not None or resolve_by is not None, reason=reason,
            )
            before = req.status
            req.status, req.expert = "assigned", person.login
            req.response_due, req.resolution_due = response_due, resolution_due
            req.accepted_at = None
            self._save(ch, req)
            ev = self.record_event(ch, req, "reassigned" if reassign else "assigned", via=via, from_status=before, data={
                "expert": person.login, "assignment": a.id, "response_due": _iso(response_due),
                "resolution_due": _iso(resolution_due), "calendar": times.calendar,
                "catalog_version": catalog.version, "reason": reason,
                **({"previous": previous.expert} if reassign and previous is not None else {}),
                **({"forced": True, "outside_services": list(person.services)} if forced else {}),
            })
            self.tell(ch, req, ev, note=reason or "", reason=reason or "", new_expert=person.name)
        return req

    @staticmethod
    def current_assignment(req):
        """The request's open assignment (None when no expert has it)."""
        return (Assignment.select().where((Assignment.request == req) & Assignment.ended_at.is_null())
                .order_by(Assignment.id.desc()).first())

    # ------------------------------------------------------------------ the expert's answers [§9]
    def accept(self, number: str, *, via: str = "cli"):
        with self.ledger.change() as ch:
            req = self._locked(number)
            me, behalf = self._acting_expert(req, "accept")
            self._accept(ch, req, via=via, behalf=behalf)
        return req

    def _accept(self, ch: Change, req, *, via: str, behalf: str | None) -> None:
        self._state(req, ("assigned",), "accept")
        req.status, req.accepted_at = "in_progress", ch.at
        self._save(ch, req)
        self.record_event(ch, req, "accepted", via=via, from_status="assigned", on_behalf_of=behalf)

    def reject(self, number: str, reason: str, *, redact: bool = False, via: str = "cli"):
        reason = self.checked_text("reason", reason, redact=redact)
        with self.ledger.change() as ch:
            req = self._locked(number)
            me, behalf = self._acting_expert(req, "reject")
            self._reject(ch, req, reason, via=via, behalf=behalf)
        return req

    def _reject(self, ch: Change, req, reason: str, *, via: str, behalf: str | None) -> None:
        self._state(req, ("assigned",), "reject")
        a = self.current_assignment(req)
        if a is not None:
            a.ended_at, a.ended_reason = ch.at, "rejected"
            a.save()
        req.status = "returned"
        self._save(ch, req)
        self.record_event(ch, req, "rejected", via=via, from_status="assigned", on_behalf_of=behalf,
                    data={"reason": reason, "expert": req.expert, "assignment": a.id if a else None})

    def wait(self, number: str, question: str, *, redact: bool = False, via: str = "cli"):
        question = self.checked_text("question", question, redact=redact)
        with self.ledger.change() as ch:
            req = self._locked(number)
            me, behalf = self._acting_expert(req, "pause")
            self._state(req, ("assigned", "in_progress"), "wait")
            before = req.status
            Pause.create(request=req, started_at=ch.at, question=question)
            req.status, req.paused_since = "waiting_user", ch.at
            self._save(ch, req)
            ev = self.record_event(ch, req, "waiting", via=via, from_status=before, on_behalf_of=behalf,
                             data={"question": question, "resume_to": before})
            self.tell(ch, req, ev, question=question)
        return req

    def resume(self, number: str, *, answer: str | None = None, redact: bool = False, via: str = "cli"):
        answer = self.checked_text("note", answer, redact=redact, required=False)
        with self.ledger.change() as ch:
            req = self._locked(number)
            if self.actor.login != req.expert:
                self.require("operator", what=N_("resume requests"))
            self._state(req, ("waiting_user",), "resume")
            self.resume_in(ch, req, via=via, answer=answer)
        return req

    def resume_in(self, ch: Change, req, *, via: str, answer: str | None) -> None:
        """Resume a request waiting for the user inside a change already open (the intake's answer by mail)."""
        pause = (Pause.select().where((Pause.request == req) & Pause.ended_at.is_null())
                 .order_by(Pause.id.desc()).first())
        a = self.current_assignment(req)
        back_to = "in_progress" if req.accepted_at else "assigned"
        moved = timedelta(0)
        if pause is not None and a is not None:
            cal = self.catalog_for(req).calendar(a.calendar) if a.catalog_version == req.catalog_version \
                else _catalog_at(a.catalog_version).calendar(a.calendar)
            moved = cal.elapsed(pause.started_at, ch.at)
            pause.ended_at, pause.paused_seconds = ch.at, int(moved.total_seconds())
            pause.save()
            if moved > timedelta(0):
                # due(due(s, d), p) == due(s, d + p): moving the deadline by the paused working
                # time is the same as extending the resolution time by it.
                req.resolution_due = cal.due(req.resolution_due, moved)
                a.resolution_due = req.resolution_due
                a.save()
        req.status, req.paused_since = back_to, None
        self._save(ch, req)
        ev = self.record_event(ch, req, "resumed", via=via, from_status="waiting_user", data={
            "paused_seconds": int(moved.total_seconds()), "resolution_due": _iso(req.resolution_due),
            "answer": answer, "expert": req.expert,
        })
        self.tell(ch, req, ev, answer=answer or "", question=pause.question if pause is not None else "", via=via)

    def note(self, number: str, text: str, *, delay_reason: str | None = None, planned: date | None = None,
             resume: bool = False, redact: bool = False, via: str = "cli"):
        text = self.checked_text("note", text, redact=redact)
        delay_reason = self.checked_text("reason", delay_reason, redact=redact, required=False)
        if (delay_reason is None) != (planned is None):
            raise InvalidInput(_("a delay report needs both --delay-reason and --planned"))
        with self.ledger.change() as ch:
            req = self._locked(number)
            if self.actor.login != req.expert:
                self.require("operator", what=N_("add notes to requests"))
            behalf = None
            if delay_reason:
                self._state(req, ("assigned", "in_progress", "waiting_user"), "note --delay-reason")

                today = to_local(ch.at, self.settings.timezone).date()
                if planned is not None and planned < today:
                    raise InvalidInput(_("--planned is in the past"))
                if planned is not None and planned > today + PLANNED_AHEAD:
                    # a planned date years ahead would postpone the escalation [§8.4.3] for ever (issue 18)
                    raise InvalidInput(ngettext(
                        "--planned {date} is more than {n} day ahead; plan within that (until {until}) and report again",
                        "--planned {date} is more than {n} days ahead; plan within that (until {until}) and report again",
                        PLANNED_AHEAD.days).format(date=f"{planned:%d.%m.%Y}", n=PLANNED_AHEAD.days,
                                                   until=f"{today + PLANNED_AHEAD:%d.%m.%Y}"))
                # The first report's time decides whether the delay was reported before the deadline
                # [§8.4.3]; a later report updates the reason and the planned date.
                req.delay_reason, req.planned_date = delay_reason, planned
                req.delay_reported_at = req.delay_reported_at or ch.at
                behalf = req.expert if self.actor.login != req.expert else None
            elif req.status in ("closed", "refused"):
                self._state(req, OPEN_STATES + ("resolved",), "note")
            if resume and req.status != "waiting_user":
                self._state(req, ("waiting_user",), "note --resume")
            self._save(ch, req)
            ev = self.record_event(ch, req, "delay_reported" if delay_reason else "note", via=via, from_status=req.status,
                        on_behalf_of=behalf, data={
                            "text": text, "delay_reason": delay_reason,
                            "planned_date": planned.isoformat() if planned else None,
                            "before_deadline": (ch.at <= req.resolution_due) if delay_reason and req.resolution_due else None,
                        })
            self.tell(ch, req, ev)
            if resume:
                self.resume_in(ch, req, via=via, answer=text)
        return req

    def resolve(self, number: str, result: str, *, redact: bool = False, via: str = "cli"):
        result = self.checked_text("result", result, redact=redact)
        with self.ledger.change() as ch:
            req = self._locked(number)
            if req.status in ("registered", "returned"):
                self.require("operator", what=N_("resolve requests at the desk"))
                if not self.catalog_for(req).service(req.service).operator_can_resolve:
                    raise InvalidState(_("request {number} is in the state “{state}” and the desk does not resolve "
                                         "{service} itself (operator_can_resolve: false); assign it to an expert: "
                                         "pd assign").format(number=req.number, state=label(STATUS_LABELS, req.status),
                                                             service=req.service))
                behalf = None
            else:
                me, behalf = self._acting_expert(req, "resolve")
                self._state(req, ("in_progress",), "resolve")
            self._resolve(ch, req, result, via=via, behalf=behalf)
        return req

    def _resolve(self, ch: Change, req, result: str, *, via: str, behalf: str | None) -> None:
        before = req.status
        req.status, req.resolved_at, req.result = "resolved", ch.at, result
        a = self.current_assignment(req)
        if a is not None:
            a.ended_at, a.ended_reason = ch.at, "resolved"
            a.save()
        self._save(ch, req)
        ev = self.record_event(ch, req, "resolved", via=via, from_status=before, on_behalf_of=behalf,
                         data={"result": result})
        self.tell(ch, req, ev)

    # ------------------------------------------------------------------ the expert's word by mail (SPEC 15)
    def act_by_mail(self, ch: Change, req, expert: str, command: str, text: str, planned: date | None) -> None:
        """The assigned expert's command from their mail, in the intake's change: the events name
        the expert (on_behalf_of) and the channel (email). The caller has checked the sender and
        the thread (pd/intake/commands.py); here the state and the text are checked."""
        if req.expert != expert or req.status not in ("assigned", "in_progress", "waiting_user"):
            raise NotPermitted(_("request {number} is not with {person} now").format(number=req.number,
                                                                                     person=self.name_of(expert)))
        via = "email"
        if command == "accept":
            self._accept(ch, req, via=via, behalf=expert)
        elif command == "reject":
            self._reject(ch, req, self.checked_text("reason", text, redact=True), via=via, behalf=expert)
        elif command == "resolve":
            self._state(req, ("in_progress",), "resolve")
            self._resolve(ch, req, self.checked_text("result", text, redact=True), via=via, behalf=expert)
        elif command == "delay":
            reason = self.checked_text("reason", text, redact=True)
            self._state(req, ("assigned", "in_progress", "waiting_user"), "note --delay-reason")

            if planned is None or planned < to_local(ch.at, self.settings.timezone).date():
                raise InvalidInput(_("the planned date is in the past"))
            req.delay_reason, req.planned_date = reason, planned
            req.delay_reported_at = req.delay_reported_at or ch.at
            self._save(ch, req)
            ev = self.record_event(ch, req, "delay_reported", via=via, from_status=req.status, on_behalf_of=expert, data={
                "text": reason, "delay_reason": reason, "planned_date": planned.isoformat(),
                "before_deadline": (ch.at <= req.resolution_due) if req.resolution_due else None})
            self.tell(ch, req, ev)
        else:
            raise InvalidInput(_("unknown command {command}").format(command=repr(command)))

    def close(self, number: str, *, reason: str | None = None, confirmed: bool = False, redact: bool = False,
              via: str = "cli"):
        """Close a resolved request [§8.9–§8.11], saying why (SPEC 15).

        A reply after the result is an objection until the operator decides: without `reason`
        (or `confirmed`: the reply confirms the result) it is refused, naming the reply. Within
        the objection period the result mail promised, closing needs the user's confirmation or
        the operator's reason; after it, no objection came in time."""
        self.require("operator", "system", what=N_("close requests"))
        reason = self.checked_text("reason", reason, redact=redact, required=False)
        if reason and confirmed:
            raise InvalidInput(_("give --reason or --confirmed, not both"))
        with self.ledger.change() as ch:
            req = self._locked(number)
            self._state(req, ("resolved",), "close")
            from . import objections  # lazy: the intake's tables (a read loads none); only close and reopen need them

            pending = objections.unanswered(req)
            if pending and not (reason or confirmed):
                raise InvalidState(objections.refusal(req, pending[0], self.settings.timezone))
            until = req.resolved_at + self.catalog_for(req).close_after
            if not (reason or confirmed) and ch.at < until:

                raise InvalidState(_(
                    "request {number} is resolved and its objection period runs until {until} (the result mail "
                    "promised it): close it with --confirmed when the user confirmed the result, or with --reason "
                    "TEXT; after that pd close --auto closes it").format(
                        number=req.number, until=format_dt(until, self.settings.timezone)))
            why = "confirmed" if confirmed else ("operator" if reason else "no_objection")
            objections.decide(ch, req, pending, self.actor.login)
            self._close(ch, req, via=via, why=why, reason=reason, replies=[m.id for m in pending])
        return req

    def _close(self, ch: Change, req, *, via: str, why: str, reason: str | None = None,
               replies: list[int] | None = None) -> None:
        req.status, req.closed_at = "closed", ch.at
        self._save(ch, req)
        ev = self.record_event(ch, req, "closed", via=via, from_status="resolved", data={
            "auto": via == "cron" and why == "no_objection", "why": why, "reason": reason,
            **({"replies": replies} if replies else {})})
        self.tell(ch, req, ev, why=why, reason=reason or "")

    def close_auto(self, *, via: str = "cron") -> list:
        """Close each request resolved more than `close_after` ago with no objection [§8.10]."""
        self.require("operator", "system", what=N_("close requests"))
        cutoff = self.now() - self.catalog.close_after
        numbers = [r.number for r in Request.select(Request.number)
                   .where((Request.status == "resolved") & (Request.resolved_at <= cutoff)).order_by(Request.id)]
        from . import objections  # (as in close)

        objected = objections.pending_numbers()  # a reply after the result waits for the operator [§8.10]
        numbers = [n for n in numbers if n not in objected]
        closed = []
        for number in numbers:
            with self.ledger.change() as ch:
                req = self._locked(number)
                if req.status != "resolved" or req.resolved_at > cutoff or objections.unanswered(req):
                    continue  # reopened, closed or objected to meanwhile
                self._close(ch, req, via=via, why="no_objection")
                closed.append(req)
        return closed

    def reopen(self, number: str, reason: str, *, redact: bool = False, via: str = "cli"):
        reason = self.checked_text("reason", reason, redact=redact)
        self.require("operator", what=N_("reopen requests"))
        with self.ledger.change() as ch:
            req = self._locked(number)
            self._state(req, ("resolved",), "reopen")
            # Back to whoever resolved it: the expert's assignment reopens; a request the desk
            # resolved itself returns to the state it was resolved from.
            resolved_ev = (Event.select().where((Event.request == req) & (Event.kind == "resolved"))
                           .order_by(Event.id.desc()).first())
            resolved_from = resolved_ev.from_status if resolved_ev else "registered"
            a = Assignment.select().where(Assignment.request == req).order_by(Assignment.id.desc()).first()
            if resolved_from == "in_progress" and a is not None and a.ended_reason == "resolved":
                a.ended_at, a.ended_reason = None, None
                a.save()
                req.status = "in_progress"
            else:
                req.status = resolved_from if resolved_from in ("registered", "returned") else "registered"
            req.resolved_at, req.result = None, None
            from . import objections  # (as in close)

            pending = objections.unanswered(req, resolved_at=resolved_ev.at if resolved_ev else None)
            objections.decide(ch, req, pending, self.actor.login)
            self._save(ch, req)
            ev = self.record_event(ch, req, "reopened", via=via, from_status="resolved", data={
                "reason": reason, **({"expert": req.expert} if req.status == "in_progress" else {}),
                **({"replies": [m.id for m in pending]} if pending else {})})
            self.tell(ch, req, ev, reason=reason,
                       objection=objections.words(pending[-1]) if pending else "")
        return req

    # ------------------------------------------------------------------ hooks filled by the e-mail layer
    def tell(self, ch: Change, req, ev, *, to: dict[str, list[str]] | None = None, **extra: Any) -> list:
        """Queue the mails event `ev` causes, in the change's transaction: exactly what SPEC 15's
        table says (`conversation.mails_for`), each to its person; `to` gives a role's addresses
        where the caller knows them (the managers of an escalation). Returns the messages queued."""
        from .notify.notices import queue  # lazy: mail out costs a read's start-up (pd show queues no mail)

        data = json.loads(ev.data or "{}") if isinstance(ev.data, str) else (ev.data or {})
        out = []
        for role, kind in mails_for(ev.kind, from_status=ev.from_status, to_status=ev.to_status, actor=ev.actor,
                                    data=data):
            if to and role in to:
                msg = queue(self, ch, req, kind, to=to[role], **extra)
            elif role == USER:
                msg = queue(self, ch, req, kind, **extra)
            elif role in (EXPERT, PREVIOUS_EXPERT):
                login = data.get("previous") if role == PREVIOUS_EXPERT else (data.get("expert") or req.expert)
                msg = queue(self, ch, req, kind, to_login=login, **extra)
            else:
                raise ValueError(f"no addressee for {role} of {ev.kind}")
            out.append(msg)
        return out

    # ------------------------------------------------------------------ recall [SPEC 14]
    def requester_of(self, number: str) -> dict[str, str]:
        """The requester's fields of request N (`pd register --like N`), by RegisterInput's names."""
        self.require("operator", "system", what=N_("register requests"))
        return _requester(self.get(number))

    def earlier_requester(self, *, phone: str | None = None, email: str | None = None) -> dict[str, str] | None:
        """The requester of the latest request with this phone or e-mail (normalised), or None."""
        if not (phone or email):
            return None
        cond = (Request.phone == phone) if phone else (Request.email == email)
        req = Request.select().where(cond).order_by(Request.id.desc()).first()
        if req is None:
            return None
        return {"number": req.number, **_requester(req)}

    def expected_deadlines(self, req) -> tuple[datetime, datetime]:
        """The response and resolution deadlines the catalog gives a request registered now
        (what the caller is told; `pd assign` sets the binding ones)."""
        cat = self.catalog_for(req)
        times = cat.times(req.service, req.urgent)
        cal = cat.calendar(times.calendar)
        start = req.registered_at
        return cal.due(start, times.response), cal.due(start, times.resolution)

    # ------------------------------------------------------------------ reading
    def history(self, req) -> list:
        return list(Event.select().where(Event.request == req).order_by(Event.id))

    def numbers(self, prefix: str, *, open_only: bool = False, limit: int = 200) -> list[tuple[str, str]]:
        """(number, first line of the description) of the newest requests whose number begins with
        `prefix` (shell completion)."""
        self.ledger  # opens the database (completion asks before anything else)
        q = Request.select(Request.number, Request.description).where(Request.number.startswith(prefix))
        if open_only:
            q = q.where(Request.status.in_(OPEN_STATES))
        return [(r.number, r.description.splitlines()[0][:60] if r.description else "")
                for r in q.order_by(Request.number.desc()).limit(limit)]

    def list(self, f: ListFilter) -> list:
        q = Request.select()
        if f.statuses:
            for s in f.statuses:
                if s not in STATES:
                    raise InvalidInput(_("--status {value}: use one of {states}").format(value=repr(s),
                                                                                         states=", ".join(STATES)))
            q = q.where(Request.status.in_(f.statuses))
        if f.institution:
            q = q.where(Request.institution == f.institution.upper())
        if f.expert:
            q = q.where(Request.expert == f.expert)
        if f.service:
            q = q.where(Request.service == f.service.upper())
        if f.since:
            q = q.where(Request.received_at >= f.since)
        if f.until:
            q = q.where(Request.received_at < f.until)
        if f.overdue:
            # Exactly what a run of escalate-overdue now finds late, whatever the state (SPEC 5).

            q = q.where(late_filter(self, self.now()))
        if f.escalated:
            q = q.where(Request.id.in_(Escalation.select(Escalation.request)))
        q = q.order_by(Request.number)
        if f.limit:
            q = q.limit(f.limit)
        return list(q)


_CONTENT = ("name", "institution", "unit", "position", "phone", "email", "location", "room", "username", "service",
            "description", "channel", "urgent")


def _content_digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def _same_content(key: str, req, d: dict[str, Any], refusal_reason: str | None) -> None:
    """A retry with an idempotency key must carry the first call's content (as Stripe does):
    the canonical digest of what was asked is compared with what the first call stored."""
    asked = {f: d[f] or ("" if f != "urgent" else False) for f in _CONTENT}
    asked["urgent"] = bool(d["urgent"])
    asked["refused"] = refusal_reason
    stored = {"name": req.requester_name, **{f: getattr(req, f) for f in _CONTENT if f != "name"}}
    stored["urgent"] = bool(req.urgent)
    stored["refused"] = req.refusal_reason
    if d["received_at"] is not None:  # without --received-at a retry means "when it was first received"
        asked["received_at"] = _iso(d["received_at"])
        stored["received_at"] = _iso(req.received_at)
    if _content_digest(asked) != _content_digest(stored):
        differ = [f.replace("_", "-") for f in asked if asked[f] != stored[f]]
        raise InvalidInput(_("--idempotency-key {key} was used for request {number} with different content "
                             "({options}); a new request needs a new key").format(
            key=repr(key), number=req.number,
            options=", ".join("--" + f if f != "refused" else "--out-of-scope" for f in differ)))


def acting_person(settings: Settings, contacts: Contacts, mode: str | None = None) -> Staff:
    """The acting person, as far as the identity mode trusts it (SPEC 9); they must be Centre staff.

    `mode` is the effective mode (pd/trust.py: the ledger's, or the caller's stricter PD_IDENTITY).

    env: PD_USER, else the login name (whoever runs pd may name anyone). os: the operating
    system's account (by uid, not $USER); a PD_USER naming anyone else is exit 6. database
    (PostgreSQL): the session user the server authenticated, whose role name is the staff login;
    a PD_USER naming anyone else is exit 6."""
    mode = mode or settings.identity
    if mode == "os":
        login, source = os_login(), _("your operating-system login")
    elif mode == "database":
        login, source = database_login(settings), _("the database role you connected as")
    elif settings.user:
        login, source = settings.user, ""
    else:
        import getpass  # lazy: start-up (docs/benchmarks.md); only without PD_USER

        login, source = getpass.getuser(), ""
    if source and settings.user and settings.user != login:
        raise NotPermitted(_("PD_USER={user} is not you: with identity mode {mode} pd acts as {source}, "
                             "{login}").format(user=repr(settings.user), mode=mode, source=source, login=repr(login)))
    person = contacts.staff.get(login)
    if person is None:
        if source:
            raise NotPermitted(_("{login} is not Centre staff in {contacts} ({source} {login} is not a staff "
                                 "login)").format(login=repr(login), contacts=contacts.source, source=source))
        raise NotPermitted(_("{login} is not Centre staff in {contacts} (set PD_USER to your login)").format(
            login=repr(login), contacts=contacts.source))
    return person


def os_login() -> str:
    """The account this process runs as (getuid), which environment variables cannot change."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise NotPermitted(_("the operating-system account {uid} has no name; PD_IDENTITY=os needs a named "
                             "login").format(uid=os.getuid())) from None


_DB_LOGINS: dict[str, str] = {}


def database_login(settings: Settings) -> str:
    """`SELECT session_user` on the ledger's PostgreSQL server (once per process)."""
    if settings.is_sqlite:
        raise ConfigError(_("PD_IDENTITY=database needs a PostgreSQL ledger: a SQLite file has no users "
                            "(use PD_IDENTITY=os)"))
    url = settings.database_url
    if url not in _DB_LOGINS:

        database = db.obj if db.obj is not None and not db.obj.is_closed() else None
        own = database is None
        if own:
            database = open_database(url)
        with translate_errors():
            try:
                database.connect(reuse_if_open=True)
                _DB_LOGINS[url] = database.execute_sql("SELECT session_user").fetchone()[0]
            finally:
                if own:
                    database.close()
    return _DB_LOGINS[url]


def _requester(req) -> dict[str, str]:
    return {f: getattr(req, "requester_name" if f == "name" else f) or "" for f in REQUESTER_FIELDS}


def authorise(settings: Settings, *roles: str, what: str) -> Staff:
    """Check the person before a command that opens the ledger itself: against the ledger's contacts
    and identity mode in force (pd/trust.py; the caller's file only for a new ledger)."""
    return trust.authorise(settings, acting_person, *roles, what=what)


# contacts.yaml's roles (pd.catalog.ROLES) as a person reads them in a refusal
ROLE_WORDS = {"operator": N_("operator"), "expert": N_("expert"), "manager": N_("manager"),
              "supervisor": N_("supervisor"), "admin": N_("admin"), "system": N_("system")}


def _with_role(me: Staff, roles: tuple[str, ...], what: str) -> Staff:
    if not me.has(*roles):
        raise NotPermitted(_("{person} may not {what}: it needs the role {roles}").format(
            person=me.name, what=_(what), roles=", ".join(
                f"{_(ROLE_WORDS[r])} ({r})" if r in ROLE_WORDS and _(ROLE_WORDS[r]) != r else r for r in roles)))
    return me


def _catalog_at(version: str) -> Catalog:
    return at_version("catalog", version)  # type: ignore[return-value]


def _iso(dt: datetime | None) -> str | None:
    return iso(dt) if dt else None


def normalize_number(text: str) -> str:
    """Accept '2026-000123' (or '2026-123'); anything else is exit 3."""
    t = (text or "").strip()
    year, sep, seq = t.partition("-")
    if not (sep and year.isascii() and year.isdigit() and len(year) == 4 and seq.isascii() and seq.isdigit()
            and 1 <= len(seq) <= 6 and int(seq) > 0):
        raise InvalidInput(_("{text} is not a request number (YYYY-NNNNNN, e.g. 2026-000123)").format(text=repr(text)))
    return f"{year}-{int(seq):06d}"
