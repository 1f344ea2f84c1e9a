"""The operator's and expert's commands of SPEC 2, plus show and list."""
from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Annotated, Optional

import typer

from ..i18n import N_, _, language, pgettext
from .common import MAX_ROWS, Json, Number, Redact, Via, check_via, completes, emit_json, out, say, state, table


def _instant(value: Optional[str], option: str, tz: str) -> Optional[datetime]:
    if value is None:
        return None
    from ..latvian import parse_instant

    return parse_instant(value, tz)


def _date(value: Optional[str], option: str) -> Optional[date]:
    if value is None:
        return None
    try:
        d = date.fromisoformat(value.strip())
    except ValueError:
        from ..errors import InvalidInput

        raise InvalidInput(_("{option} {value} is not a date (YYYY-MM-DD)").format(option=option, value=repr(value))) from None
    return d


def apply_like(st, data, like: str | None) -> None:
    """`--like N`: the requester's fields of request N where the options left them empty."""
    if like:
        for field, value in st.desk.requester_of(like).items():
            if getattr(data, field) is None and value:
                setattr(data, field, value)


# What each command says it did (the request's number and, where it tells more, its state in words).
DONE = {
    "registered": N_("Request {number} registered."),
    "refused": N_("Request {number} registered and refused: outside the Centre's competence."),
    "assigned": N_("Request {number} assigned {to_expert}."),
    "accepted": N_("Request {number} accepted for processing."),
    "rejected": N_("Request {number} returned to the Service Desk."),
    "waiting": N_("Request {number} waits for the user's information; the resolution deadline is paused."),
    "resumed": N_("Request {number} resumed: {state}."),
    "noted": N_("Note added to request {number} ({state})."),
    "resolved": N_("Request {number} resolved."),
    "closed": N_("Request {number} closed."),
    "reopened": N_("Request {number} reopened: {state}."),
}


def _report(ctx: typer.Context, req, as_json: bool, done: str) -> None:
    if as_json:
        from ..views import request_dict

        emit_json(request_dict(req, tz=state(ctx).settings.timezone))
        return
    from ..latvian import STATUS_LABELS, label

    values = {"number": req.number, "state": label(STATUS_LABELS, req.status)}
    if done == "assigned":
        from ..notify.wording import EXPERT, to_person

        person = state(ctx).desk.contacts.staff.get(req.expert)
        values["to_expert"] = to_person(EXPERT, person.name if person else req.expert, language())
    out(_(DONE[done]).format(**values))


def register(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Option(help="Requester's name and surname [§6.1].")] = None,
    institution: Annotated[Optional[str], typer.Option(help="Institution code from contacts.yaml (VP, VRS, …).", autocompletion=completes("institution"))] = None,
    unit: Annotated[Optional[str], typer.Option(help="Requester's structural unit.")] = None,
    position: Annotated[Optional[str], typer.Option(help="Requester's position.")] = None,
    phone: Annotated[Optional[str], typer.Option(help="Phone, stored as +371XXXXXXXX.")] = None,
    email: Annotated[Optional[str], typer.Option(help="Requester's e-mail (the desk informs them there).")] = None,
    location: Annotated[Optional[str], typer.Option(help="Address of the failed device (required by services with needs_location) [§6.6].")] = None,
    room: Annotated[Optional[str], typer.Option(help="Room of the failed device [§6.6].")] = None,
    username: Annotated[Optional[str], typer.Option(help="Login in the information system [§6.7] (never a password).")] = None,
    service: Annotated[Optional[str], typer.Option(help="Service code from the catalog (pd catalog list).", autocompletion=completes("service"))] = None,
    description: Annotated[Optional[str], typer.Option(help="What the user asks for.")] = None,
    channel: Annotated[Optional[str], typer.Option(help="How it came: phone, fax, email, other [§5].", autocompletion=completes("channel"))] = None,
    urgent: Annotated[bool, typer.Option("--urgent", help="Urgent: the service's urgent deadlines apply [§8.2].")] = False,
    received_at: Annotated[Optional[str], typer.Option(help="When it was received (ISO 8601 or dd.mm.yyyy hh:mm, Riga time); default now.")] = None,
    out_of_scope: Annotated[bool, typer.Option("--out-of-scope", help="Refuse: outside the Centre's competence; names the institution's ICT contact [§7.3].")] = False,
    reason: Annotated[Optional[str], typer.Option(help="With --out-of-scope: why it is outside the Centre's competence.")] = None,
    idempotency_key: Annotated[Optional[str], typer.Option(help="A retry with the same key returns the first request instead of registering another.")] = None,
    like: Annotated[Optional[str], typer.Option("--like", metavar="N", help="Copy the requester's fields from request N (a returning caller); options given override them.", autocompletion=completes("number"))] = None,
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Register a user's request and allocate its number [§5–§7].

    Example: pd register --name "Jānis Bērziņš" --institution VP --service EPASTS
    --description "Neienāk e-pasts" --channel phone --email janis.berzins@vp.gov.lv
    · a returning caller: pd register --like 2026-000123 --service VPN --description "…" --channel phone
    · on a terminal, what is missing is asked for (Ctrl-C leaves with nothing stored)
    """
    from ..desk import RegisterInput

    st = state(ctx)
    check_via(via)
    data = RegisterInput(name=name, institution=institution, unit=unit, position=position, phone=phone,
                         email=email, location=location, room=room, username=username, service=service,
                         description=description, channel=channel, urgent=urgent,
                         received_at=_instant(received_at, "--received-at", st.settings.timezone))
    apply_like(st, data, like)
    if sys.stdin.isatty() and (data.missing() or not (data.phone or data.email)):
        from .register_prompt import prompt_register

        prompt_register(st, data, redact=redact)
    req = st.desk.register(data, out_of_scope=out_of_scope, refusal_reason=reason,
                           idempotency_key=idempotency_key, redact=redact, via=via)
    if as_json:
        _report(ctx, req, True, "registered")
        return
    _report(ctx, req, False, "refused" if req.status == "refused" else "registered")
    if req.status == "registered":
        from ..latvian import format_dt

        respond, resolve = st.desk.expected_deadlines(req)
        tz = st.settings.timezone
        out(_("Tell the caller: response by {respond}, resolution by {resolve} (Riga time)").format(
            respond=format_dt(respond, tz), resolve=format_dt(resolve, tz)))
    if req.status == "refused" and req.ict_contact:
        import json as _json

        say(_("The institution's ICT contact person [§7.3]:"))
        for p in _json.loads(req.ict_contact):
            say("  " + ", ".join(x for x in (p.get("name"), p.get("phone"), p.get("email")) if x))


def assign(
    ctx: typer.Context,
    number: Number,
    expert: Annotated[str, typer.Option(help="The expert's login (contacts.yaml).", autocompletion=completes("expert"))],
    respond_by: Annotated[Optional[str], typer.Option(help="Response deadline instead of the catalog's (Riga time).")] = None,
    resolve_by: Annotated[Optional[str], typer.Option(help="Resolution deadline instead of the catalog's (Riga time).")] = None,
    reason: Annotated[Optional[str], typer.Option(help="Why it is reassigned (required when it already has an expert).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Assign an expert outside the services they serve (contacts.yaml); the history records it.")] = False,
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Forward a request to an expert with its response and resolution deadlines [§8.2].

    Example: pd assign 2026-000123 --expert jberzins
    """
    st = state(ctx)
    tz = st.settings.timezone
    req = st.desk.assign(number, expert, respond_by=_instant(respond_by, "--respond-by", tz),
                         resolve_by=_instant(resolve_by, "--resolve-by", tz), reason=reason, redact=redact,
                         via=check_via(via), force=force)
    _report(ctx, req, as_json, "assigned")


def accept(ctx: typer.Context, number: Number, via: Via = "cli", as_json: Json = False) -> None:
    """The expert accepts the request for resolution [§9.3].

    Example: pd accept 2026-000123 (an operator records it for the expert with --via phone)
    """
    req = state(ctx).desk.accept(number, via=check_via(via))
    _report(ctx, req, as_json, "accepted")


def reject(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[str, typer.Option(help="Why the request is not the expert's (required) [§9.2].")],
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """The expert returns the request to the desk as not theirs [§9.2].

    Example: pd reject 2026-000123 --reason "Tas ir VPN, nevis e-pasts"
    """
    req = state(ctx).desk.reject(number, reason, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "rejected")


def wait(
    ctx: typer.Context,
    number: Number,
    question: Annotated[str, typer.Option(help="What the user is asked; the resolution clock stops [§8.8, §9.5].")],
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Wait for information from the user: the resolution clock pauses.

    Example: pd wait 2026-000123 --question "Kurā telpā atrodas printeris?"
    """
    req = state(ctx).desk.wait(number, question, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "waiting")


def resume(
    ctx: typer.Context,
    number: Number,
    answer: Annotated[Optional[str], typer.Option(help="The user's answer, recorded with the resumption.")] = None,
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """The user answered: the resolution clock runs again and the deadline moves by the pause.

    Example: pd resume 2026-000123 --answer "Telpa 214"
    """
    req = state(ctx).desk.resume(number, answer=answer, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "resumed")


def note(
    ctx: typer.Context,
    number: Number,
    text: Annotated[str, typer.Option(help="The progress note [§9.6].")],
    delay_reason: Annotated[Optional[str], typer.Option(help="Why it will be late [§8.6, §8.4.3]; needs --planned.")] = None,
    planned: Annotated[Optional[str], typer.Option(help="The planned date of resolution, YYYY-MM-DD.")] = None,
    resume_: Annotated[bool, typer.Option("--resume", help="The note is the user's answer: resume a waiting request.")] = False,
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Record progress, or a delay with its planned date (the user is told) [§8.6, §9.6].

    Example: pd note 2026-000123 --text "Gaidām rezerves daļu" --delay-reason "Piegāde" --planned 2026-12-04
    """
    req = state(ctx).desk.note(number, text, delay_reason=delay_reason, planned=_date(planned, "--planned"),
                               resume=resume_, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "noted")


def resolve(
    ctx: typer.Context,
    number: Number,
    result: Annotated[str, typer.Option(help="What was done; the user receives it [§8.7].")],
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Record the result: by the expert, or by the desk itself where the service allows [§8.1, §8.7].

    Example: pd resolve 2026-000123 --result "Pastkaste atbloķēta"
    """
    req = state(ctx).desk.resolve(number, result, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "resolved")


def close(
    ctx: typer.Context,
    number: Annotated[Optional[str], typer.Argument(help="Registration number (omit with --auto).", metavar="[N]")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Close every request resolved longer than the catalog's close_after ago with no objection (cron).")] = False,
    reason: Annotated[Optional[str], typer.Option(help="Why the desk closes it now: before the objection period ends, or although the user replied after the result [§8.10].")] = None,
    confirmed: Annotated[bool, typer.Option("--confirmed", help="The user confirmed the result (their reply, or by phone).")] = False,
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Close a resolved request; the user is told why [§8.9–§8.11].

    A reply from the user after the result blocks it (exit 5, naming the reply) until the
    operator decides: --reason TEXT closes all the same, pd reopen N reopens. Within the
    objection period the result mail promised, it needs --confirmed or --reason.

    Example: pd close 2026-000123 --confirmed · cron: pd close --auto
    """
    st = state(ctx)
    if auto == (number is not None):
        raise typer.BadParameter(_("give a number N or --auto, not both"), param_hint="N / --auto")
    if auto and (reason or confirmed):
        raise typer.BadParameter(_("--auto closes only what had no objection in time; --reason and --confirmed "
                                   "are for one request N"), param_hint="--auto")
    if auto:
        from ..jobruns import recorded

        with recorded("close --auto"):  # pd doctor asks when it last ran
            closed = st.desk.close_auto(via="cron" if via == "cli" else check_via(via))
        if as_json:
            from ..views import request_dict

            emit_json([request_dict(r, tz=st.settings.timezone) for r in closed])
        else:
            from ..notify.wording import duration_words

            period = duration_words(st.desk.catalog.close_after, language())
            for r in closed:
                out(_("Request {number} closed (no objection within {period}).").format(number=r.number, period=period))
        return
    req = st.desk.close(number, reason=reason, confirmed=confirmed, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "closed")


def reopen(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[str, typer.Option(help="The user's objection [§8.10].")],
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """The user objected to the result: back to the expert (or the desk) [§8.10].

    Example: pd reopen 2026-000123 --reason "Joprojām nedarbojas"
    """
    req = state(ctx).desk.reopen(number, reason, redact=redact, via=check_via(via))
    _report(ctx, req, as_json, "reopened")


def show(ctx: typer.Context, number: Number, as_json: Json = False) -> None:
    """Show a request and its whole history.

    Example: pd show 2026-000123 --json
    """
    from ..views import event_dict, request_dict

    st = state(ctx)
    desk = st.desk
    desk.actor  # only staff read the ledger
    req = desk.get(number)
    events = desk.history(req)
    tz = st.settings.timezone
    if as_json:
        d = request_dict(req, tz=tz)
        d["events"] = [event_dict(e, tz) for e in events]
        emit_json(d)
        return
    _show_text(st, req, events)


def _show_text(st, req, events) -> None:
    """The request for a person: labels in PD_LANG, local dates, people by name, history in words."""
    from ..latvian import format_dt, parse_instant
    from ..views import event_dict, is_late, request_dict
    from ..wording import SHOW_LABELS, describe, status_label

    tz, desk = st.settings.timezone, st.desk
    lang = language()
    L = SHOW_LABELS[lang]
    staff = desk.contacts.staff
    d = request_dict(req, tz=tz)
    r = d["requester"]

    def name_of(login):
        person = staff.get(login) if login else None
        return person.name if person else (login or "-")

    def when(text):
        return format_dt(parse_instant(text, tz), tz) if text else "-"

    late = is_late(desk, req, desk.now())
    head = f"{req.number}  {status_label(req.status, lang)}"
    head += (f"  {L['urgent']}" if req.urgent else "") + (f"  ! {L['late']}" if late else "")
    rows: list[tuple[str, str]] = []
    try:
        service = f"{req.service} — {desk.catalog_for(req).service(req.service).label(lang)}"
    except Exception:  # noqa: BLE001 - a service no longer in any catalog version still shows its code
        service = req.service
    inst = desk.contacts.institutions.get(req.institution)
    rows.append(("service", service))
    rows.append(("requester", ", ".join(x for x in (r["name"], f"{req.institution}" + (f" ({inst.name})" if inst else ""),
                                                    r["unit"], r["position"]) if x)))
    rows.append(("contacts", ", ".join(x for x in (r["phone"], r["email"]) if x) or "-"))
    if r["location"] or r["room"]:
        rows.append(("location", ", ".join(x for x in (r["location"], f"{L['room']} {r['room']}" if r["room"] else "") if x)))
    if r["username"]:
        rows.append(("username", r["username"]))
    from ..latvian import CHANNEL_LABELS, label

    rows.append(("channel", label(CHANNEL_LABELS, req.channel, lang)))
    rows.append(("received", format_dt(req.received_at, tz)))
    if req.expert:
        person = staff.get(req.expert)
        rows.append(("expert", name_of(req.expert) + (f", {person.phone}" if person and person.phone else "")))
    else:
        rows.append(("expert", "-"))
    rows.append(("respond_by", format_dt(req.response_due, tz) or "-"))
    rows.append(("resolve_by", format_dt(req.resolution_due, tz) or "-"))
    if req.planned_date:
        rows.append(("planned", f"{req.planned_date:%d.%m.%Y} ({req.delay_reason})"))
    if req.result:
        rows.append(("result", req.result))
    if req.refusal_reason:
        rows.append(("refused", req.refusal_reason))
        for p in d["ict_contacts"]:
            rows.append(("ict", ", ".join(x for x in (p.get("name"), p.get("phone"), p.get("email")) if x)))
    for e in d["escalations"]:
        from ..latvian import ESCALATION_REASON_LABELS

        rows.append(("escalated", _("{when} {reason} (level {level}) → {managers}").format(
            when=when(e["at"]), reason=label(ESCALATION_REASON_LABELS, e["reason"], lang), level=e["level"],
            managers=", ".join(name_of(m) for m in (e["manager"] or "-").split(",")))))
    tty = sys.stdout.isatty()
    if tty:
        from .layout import terminal_width, wrap

        width = terminal_width()

    def wrapped(text: str, indent: int) -> list[str]:
        """On a terminal, whole words within the width; piped, the text as it is."""
        if not tty:
            return text.split("\n")
        return [x for para in text.split("\n") for x in (wrap(para, max(width - indent, 20)) or [""])]

    pad = max(len(L[k]) for k, _ in rows) + 2
    lines = [head]
    for k, v in rows:
        parts = wrapped(v, pad)
        lines.append(f"{(L[k] + ':').ljust(pad)}{parts[0]}")
        lines += [" " * pad + x for x in parts[1:]]
    lines += [f"{L['description']}:"] + ["  " + x for x in wrapped(req.description, 2)] + ["", f"{L['history']}:"]
    out("\n".join(lines))
    history = []
    for e in events:
        ed = event_dict(e, tz)
        history.append([format_dt(e.at, tz), name_of(e.actor), describe(ed, lang, name_of=name_of, when=when)])
    if tty:
        w_when, w_who = 16, max([len(L["who"])] + [len(h[1]) for h in history])
        rest = width - w_when - w_who - 4
        if rest < 40:
            # Narrow (80 columns beside a long name): who beside when, what on the lines under it,
            # so the text is not squeezed into a column of a few words.
            for at, who, what in history:
                out(f"{at}  {who}")
                for part in wrap(what, max(width - w_when - 2, 20)) or [""]:
                    out(" " * (w_when + 2) + part)
            return
        out(f"{L['when']:<{w_when}}  {L['who']:<{w_who}}  {L['what']}")
        for at, who, what in history:
            parts = wrap(what, rest) or [""]
            out(f"{at:<{w_when}}  {who:<{w_who}}  {parts[0]}")
            for more in parts[1:]:
                out(" " * (w_when + w_who + 4) + more)
    else:
        table(history, [L["when"], L["who"], L["what"]])


def _short_states() -> dict[str, str]:
    """The states in the fewest words that still say them (pd list on a narrow terminal)."""
    return {
        "registered": pgettext("state, short", "registered"),
        "assigned": pgettext("state, short", "assigned"),
        "in_progress": pgettext("state, short", "in progress"),
        "returned": pgettext("state, short", "returned"),
        "waiting_user": pgettext("state, short", "waiting for the user"),
        "resolved": pgettext("state, short", "resolved"),
        "closed": pgettext("state, short", "closed"),
        "refused": pgettext("state, short", "refused"),
    }


def list_(
    ctx: typer.Context,
    status: Annotated[Optional[list[str]], typer.Option("--status", help="Only these states (repeatable).")] = None,
    institution: Annotated[Optional[str], typer.Option(help="Only this institution's users.", autocompletion=completes("institution"))] = None,
    expert: Annotated[Optional[str], typer.Option(help="Only requests assigned to this expert.", autocompletion=completes("expert"))] = None,
    service: Annotated[Optional[str], typer.Option(help="Only this service.", autocompletion=completes("service"))] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only requests past a deadline now.")] = False,
    escalated: Annotated[bool, typer.Option("--escalated", help="Only requests that were escalated.")] = False,
    open_: Annotated[bool, typer.Option("--open", help="Only open requests (not resolved, closed or refused).")] = False,
    since: Annotated[Optional[str], typer.Option("--from", help="Received at or after (Riga time).")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="Received before (Riga time).")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, max=MAX_ROWS, help="At most this many.")] = None,
    as_json: Json = False,
) -> None:
    """List requests, sorted by number.

    Example: pd list --status assigned --expert jberzins · pd list --overdue --json
    """
    from ..desk import OPEN_STATES, ListFilter

    st = state(ctx)
    tz = st.settings.timezone
    desk = st.desk
    desk.actor
    statuses = list(status or []) + (list(OPEN_STATES) if open_ else [])
    rows = desk.list(ListFilter(statuses=statuses, institution=institution, expert=expert, service=service,
                                overdue=overdue, escalated=escalated, since=_instant(since, "--from", tz),
                                until=_instant(until, "--to", tz), limit=limit))
    if as_json:
        from ..views import request_dict

        emit_json([request_dict(r, tz=tz) for r in rows])
        return
    from ..latvian import STATUS_LABELS, format_dt, label
    from ..views import late_ids

    late_now = late_ids(desk, rows, desk.now())
    late = [r.id in late_now for r in rows]
    staff = desk.contacts.staff

    def name_of(login: str | None) -> str:
        person = staff.get(login) if login else None
        return person.name if person else (login or "")

    cells = [["!" if lt else "", r.number, label(STATUS_LABELS, r.status), r.requester_name or "", r.institution,
              r.service, name_of(r.expert), format_dt(r.received_at, tz), format_dt(r.resolution_due, tz), r.description]
             for r, lt in zip(rows, late)]
    headers = ["!", _("number"), _("state"), _("requester"), _("inst."), _("service"), _("expert"), _("received"),
               _("resolve by"), _("description")]
    if not rows:
        say(_("No requests match."))
    elif sys.stdout.isatty():
        from .layout import Column, fit, render, terminal_width

        # SPEC 14: the number, the requester and the deadline stay whole; the description gives way first,
        # then the columns that other views show (received, expert, institution, service), in that order, and
        # the state only when even without the description a line would not fit (a name of 45 letters).
        h = dict(zip(("!", "number", "status", "requester", "inst", "service", "expert", "received", "due", "text"),
                     headers))
        columns = [Column(h["!"]), Column(h["number"]), Column(h["status"], drop=1, before_text=True),
                   Column(h["requester"]), Column(h["inst"], drop=3), Column(h["service"], drop=2),
                   Column(h["expert"], drop=4), Column(h["received"], drop=5), Column(h["due"]),
                   Column(h["text"], flex=True)]
        shown = {c.header for c in fit(cells, columns, terminal_width())[0]}
        if h["status"] not in shown or h["text"] not in shown:
            # The state's full words ("atgriezts Pakalpojumu dienestam") would push the state or the
            # description off a narrow terminal: the short words of the same states instead.
            short = _short_states()
            cells = [c[:2] + [short.get(r.status, c[2])] + c[3:] for c, r in zip(cells, rows)]
        out("\n".join(render(cells, columns, highlight=late)), painted=True)
    else:
        table([c[:-1] + [(c[-1][:50] + "…") if len(c[-1]) > 50 else c[-1]] for c in cells], headers)
