"""Working time: pd explain N, pd calendar due|show|check (SPEC 4)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Optional

import typer

from ..i18n import _, ngettext, pgettext
from .common import Json, Number, emit_json, out, say, state, table

calendar_app = typer.Typer(help="Working-time calendars: deadlines, months, holidays and transfers.",
                           no_args_is_help=True)

CalendarOpt = Annotated[Optional[str], typer.Option("--calendar", help="Calendar name from catalog.yaml (default: the first working-time one).")]


def _catalog(st):
    """The catalog in force in the ledger (SPEC 9): what pd register would use, so the two agree.
    With no SQLite ledger yet, the file a new ledger would take, read without creating one."""
    return st.desk.catalog_to_read()


def _pick(catalog, name: Optional[str]):
    from ..errors import NotFound

    if name:
        if name not in catalog.calendar_specs:
            raise NotFound(_("no calendar {name} in catalog {version} ({names})").format(
                name=repr(name), version=catalog.version, names=", ".join(catalog.calendar_specs)))
        return catalog.calendar(name)
    for n, spec in catalog.calendar_specs.items():
        if spec.get("kind") == "working":
            return catalog.calendar(n)
    return catalog.calendar(next(iter(catalog.calendar_specs)))


def _reason(reason: str | None) -> str:
    """Why a day is not an ordinary working day (SPEC 4, SPEC 12's terms); the JSON keeps the value."""
    labels = {"weekend": pgettext("kind of day", "weekend"), "holiday": pgettext("kind of day", "public holiday"),
              "transferred_day_off": pgettext("kind of day", "transferred day off"),
              "extra_day_off": pgettext("kind of day", "day off (catalog)"),
              "transferred_working_day": pgettext("kind of day", "transferred working day"),
              "shortened": pgettext("kind of day", "shortened pre-holiday day")}
    return labels.get(reason or "", reason or "")


def _weekday(d: date, short: bool = False) -> str:
    """The weekday's name from the catalog, not from the C locale (Monday first, as date.weekday())."""
    if short:
        # TRANSLATORS: short weekday names for the calendar's table
        return (pgettext("weekday", "Mon"), pgettext("weekday", "Tue"), pgettext("weekday", "Wed"),
                pgettext("weekday", "Thu"), pgettext("weekday", "Fri"), pgettext("weekday", "Sat"),
                pgettext("weekday", "Sun"))[d.weekday()]
    return (pgettext("weekday", "Monday"), pgettext("weekday", "Tuesday"), pgettext("weekday", "Wednesday"),
            pgettext("weekday", "Thursday"), pgettext("weekday", "Friday"), pgettext("weekday", "Saturday"),
            pgettext("weekday", "Sunday"))[d.weekday()]


def _col(name: str) -> str:
    """A calendar table's column header."""
    return {"date": pgettext("calendar column", "date"), "day": pgettext("calendar column", "day"),
            "hours": pgettext("calendar column", "hours"),
            "working hours": pgettext("calendar column", "working hours"),
            "kind of day": pgettext("calendar column", "kind of day"), "what": pgettext("calendar column", "what"),
            "name": pgettext("calendar column", "name")}[name]


def _day(iso_date: str) -> str:
    """"pirmdiena, 04.01.2027" / "Monday, 04.01.2027"."""
    d = date.fromisoformat(iso_date)
    return _("{weekday}, {date}").format(weekday=_weekday(d), date=f"{d:%d.%m.%Y}")


def time_words(minutes: int | float, working: bool) -> str:
    """Minutes as hours and minutes in words: "7 darba stundas 30 minūtes" on a working-time calendar,
    "48 stundas" round the clock (SPEC 12: a 24x7 calendar has no working hours)."""
    minutes = int(minutes)
    hours, mins = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append((ngettext("{count} working hour", "{count} working hours", hours) if working
                      else ngettext("{count} hour", "{count} hours", hours)).format(count=hours))
    if mins or not hours:
        parts.append(ngettext("{count} minute", "{count} minutes", mins).format(count=mins))
    return " ".join(parts)


def _hours(info) -> str:
    return ", ".join(f"{a:%H:%M}–{'24:00' if b.hour == 0 and b.minute == 0 else format(b, '%H:%M')}"
                     for a, b in info.intervals)


def _fit(text: str) -> list[str]:
    """On a terminal, a line longer than its width wrapped at whole words (a date kept with its time), the
    rest indented under its text; piped, as it is."""
    import sys

    if not sys.stdout.isatty():
        return [text]
    from .layout import terminal_width, wrap

    width = terminal_width()
    if len(text) <= width:
        return [text]
    indent = len(text) - len(text.lstrip(" "))
    lines = wrap(text.strip(), max(20, width - indent - 2))
    return [" " * (indent if i == 0 else indent + 2) + x for i, x in enumerate(lines)]


def explain(ctx: typer.Context, number: Number, as_json: Json = False) -> None:
    """Show how each deadline of a request was computed: calendar, days skipped and why, pauses.

    Example: pd explain 2026-000123
    """
    from ..explain import explain_request

    st = state(ctx)
    st.desk.actor
    d = explain_request(st.desk, number)
    if as_json:
        emit_json(d)
        return
    from ..latvian import format_dt, parse_instant

    tz = st.settings.timezone

    def when(s):
        return format_dt(parse_instant(s, tz), tz) if s else "-"

    from ..calendars import parse_duration
    from ..i18n import language
    from ..wording import status_label

    def line(text: str) -> None:
        for part in _fit(text):
            out(part)

    status = status_label(d["status"], language())
    head = (_("{number} ({status}), service {service}, URGENT, catalog {version}") if d["urgent"]
            else _("{number} ({status}), service {service}, catalog {version}"))
    line(head.format(number=d["number"], status=status, service=d["service"], version=d["catalog_version"]))
    if d.get("note"):
        line(_("No expert has been assigned yet: the deadlines are set on assignment [§8.2]."))
        return
    for key, title in (("response", _("Response deadline: {due}")), ("resolution", _("Resolution deadline: {due}"))):
        p = d[key]
        line("")
        line(title.format(due=when(p.get("due_after_pauses") or p["due"])))
        if "duration" not in p:
            line("  " + _("set by the operator (--respond-by/--resolve-by), on calendar {calendar}").format(
                calendar=p["calendar"]))
            continue
        working = p.get("kind") != "24x7"
        line("  " + (_("catalog {version}: {service}, urgent") if d["urgent"]
                    else _("catalog {version}: {service}, normal")).format(
            version=p.get("catalog_version", d["catalog_version"]), service=d["service"]))
        length = time_words(parse_duration(p["duration"]).total_seconds() // 60, working)
        line("  " + (_("from {start} + {duration} on the working-time calendar {calendar} = {due}") if working
                    else _("from {start} + {duration} round the clock (calendar {calendar}) = {due}")).format(
            start=when(p["start"]), duration=length, calendar=p["calendar"], due=when(p["due"])))
        for c in p["counted"]:
            extra = f" ({_reason(c.get('reason'))})" if c.get("reason") else ""
            breaks = "".join(_(", break {start}–{end} not counted").format(start=br["from"], end=br["to"])
                             for br in c.get("breaks", ()))
            if working:
                line("    " + _("counted {day} {start}–{end} = {time}").format(
                    day=_day(c["date"]), start=c["from"][:5], end=c["to"][:5], time=time_words(c["minutes"], True))
                    + breaks + extra)
            else:  # hh:mm for people (a deadline's seconds are in --json)
                line("    " + _("counted round the clock from {day} {start} to {end_day} {end} = {time}").format(
                    day=_day(c["date"]), start=c["from"][:5], end_day=_day(c.get("to_date") or c["date"]),
                    end=c["to"][:5], time=time_words(c["minutes"], False)))
        for sk in p["skipped"]:
            line("    " + _("skipped {day}: {why}").format(day=_day(sk["date"]), why=_reason(sk["reason"]))
                + (f" – {sk['name']}" if sk.get("name") else ""))
        for sh in p["shortened"]:
            line("    " + _("shortened {day}: {time} less, before {holiday}").format(
                day=_day(sh["date"]), time=time_words(sh["minutes"], False), holiday=sh["before"]))
        if key == "resolution" and d["pauses"]:
            for pz in d["pauses"]:
                line("    " + _("paused {start} – {end} ({time}): the deadline moved by as much").format(
                    start=when(pz["from"]), end=when(pz["to"]) if pz["to"] else pgettext("a pause's end", "now"),
                    time=time_words(pz["working_minutes"], working)))
            line("  " + _("after the pauses: {due}").format(due=when(p["due_after_pauses"])))
    if d.get("planned_date"):
        line("")
        line(_("Delay reported: planned date {date} ({reason})").format(
            date=f"{date.fromisoformat(d['planned_date']):%d.%m.%Y}", reason=d["delay_reason"]))


@calendar_app.command("due")
def calendar_due(
    ctx: typer.Context,
    service: Annotated[str, typer.Option(help="Service code.")],
    urgent: Annotated[bool, typer.Option("--urgent", help="The urgent variant.")] = False,
    start: Annotated[Optional[str], typer.Option("--from", help="Start instant (ISO 8601, Riga time without offset); default now.")] = None,
    as_json: Json = False,
) -> None:
    """The response and resolution deadlines a request registered now would get (the catalog in force).

    Example: pd calendar due --service DATORS --urgent
    """
    from ..explain import due_for
    from ..latvian import format_dt, parse_instant
    from ..ledger import utcnow

    st = state(ctx)
    tz = st.settings.timezone
    when = parse_instant(start, tz) if start else utcnow()
    d = due_for(_catalog(st), service, urgent, when)
    if as_json:
        emit_json(d)
        return
    from ..latvian import parse_instant as p

    out((_("{service}, urgent, from {start} on calendar {calendar}:") if urgent
         else _("{service} from {start} on calendar {calendar}:")).format(
        service=d["service"], start=format_dt(when, tz), calendar=d["calendar"]))
    out("  " + _("response deadline {due}").format(due=format_dt(p(d["response_due"], tz), tz)))
    out("  " + _("resolution deadline {due}").format(due=format_dt(p(d["resolution_due"], tz), tz)))


# The years a desk's calendar answers for (Latvia's holiday law is of 1990; 9999-12 overflowed the date type).
FIRST_YEAR, LAST_YEAR = 1991, 2100


@calendar_app.command("show")
def calendar_show(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="YYYY-MM", metavar="YYYY-MM")],
    calendar: CalendarOpt = None,
    as_json: Json = False,
) -> None:
    """A month's working days and hours, with holidays, transfers and shortened days.

    Example: pd calendar show 2026-11
    """
    from ..errors import InvalidInput

    try:
        first = date.fromisoformat(month.strip() + "-01")
    except ValueError:
        raise InvalidInput(_("{month} is not a month (YYYY-MM)").format(month=repr(month))) from None
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise InvalidInput(_("{month}: pd's calendars cover the years {first}–{last}").format(
            month=month.strip(), first=FIRST_YEAR, last=LAST_YEAR))
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    cal = _pick(_catalog(state(ctx)), calendar)
    days = cal.days(first, last)
    rows = [{"date": i.date.isoformat(), "weekday": i.date.strftime("%a"), "working": i.working, "hours": _hours(i),
             "reason": i.reason, "name": i.name or i.before} for i in days]
    if as_json:
        emit_json({"calendar": cal.name, "month": month, "days": rows})
        return
    total = sum(((b.hour * 60 + b.minute or 1440) - (a.hour * 60 + a.minute)) for i in days for a, b in i.intervals)
    grid = [[f"{date.fromisoformat(r['date']):%d.%m.%Y}", _weekday(date.fromisoformat(r["date"]), True),
             r["hours"] or "—", " – ".join(x for x in (_reason(r["reason"]), r["name"] or "") if x)]
            for r in rows]
    hours_h = _col("working hours") if cal.kind != "24x7" else _col("hours")
    headers = [_col("date"), _col("day"), hours_h, _col("kind of day")]
    import sys

    if sys.stdout.isatty():  # fitted to the terminal: the holiday's name gives way, never a date
        from .layout import Column, render

        out(f"{cal.name} {month}")
        out("\n".join(render(grid, [Column(h) for h in headers[:-1]] + [Column(headers[-1], flex=True)])), painted=True)
    else:
        table(grid, headers)
    working_days = sum(1 for i in days if i.working)
    if cal.kind == "24x7":
        out(_("round the clock: {time}").format(time=time_words(total, False)))
    else:
        out(ngettext("{n} working day, {time}", "{n} working days, {time}", working_days).format(
            n=working_days, time=time_words(total, True)))


@calendar_app.command("check")
def calendar_check(
    ctx: typer.Context,
    start: Annotated[Optional[str], typer.Option("--from", help="First day (YYYY-MM-DD); default today.")] = None,
    calendar: CalendarOpt = None,
    as_json: Json = False,
) -> None:
    """The next 12 months' holidays, transfers and shortened days, to spot a missing Cabinet order.

    Example: pd calendar check
    """
    from ..latvian import to_local
    from ..ledger import utcnow

    first = date.fromisoformat(start) if start else to_local(utcnow()).date()
    last = first.replace(year=first.year + 1) - timedelta(days=1)
    cal = _pick(_catalog(state(ctx)), calendar)
    rows = [i for i in cal.days(first, last) if i.reason not in (None, "weekend") or i.shortened_minutes]
    data = [{"date": i.date.isoformat(), "weekday": i.date.strftime("%a"), "reason": i.reason, "name": i.name,
             "hours": _hours(i), "shortened_minutes": i.shortened_minutes} for i in rows]
    if as_json:
        emit_json({"calendar": cal.name, "from": first.isoformat(), "to": last.isoformat(), "days": data})
        return
    table([[f"{date.fromisoformat(r['date']):%d.%m.%Y}", _weekday(date.fromisoformat(r["date"]), True),
             _reason(r["reason"]) + (" (−{})".format(time_words(r["shortened_minutes"], False))
                                     if r["shortened_minutes"] else ""), r["name"] or "", r["hours"]]
           for r in data], [_col("date"), _col("day"), _col("what"), _col("name"), _col("working hours")])
    transfers = [r for r in data if r["reason"] in ("transferred_day_off", "transferred_working_day")]
    if not transfers:
        say(_("No transferred days in this period: if the Cabinet has ordered any, add them to catalog.yaml "
              "(days_off / working_days) under a new version."))
