"""Working time: pd explain N, pd calendar due|show|check (SPEC 4)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Optional

import typer

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
            raise NotFound(f"no calendar {name!r} in catalog {catalog.version} ({', '.join(catalog.calendar_specs)})")
        return catalog.calendar(name)
    for n, spec in catalog.calendar_specs.items():
        if spec.get("kind") == "working":
            return catalog.calendar(n)
    return catalog.calendar(next(iter(catalog.calendar_specs)))


REASON_LABELS = {"weekend": "brīvdiena", "holiday": "svētku diena", "transferred_day_off": "pārcelta brīvdiena",
                 "extra_day_off": "brīvdiena (katalogs)", "transferred_working_day": "pārceltā darba diena",
                 "shortened": "saīsināta pirmssvētku diena"}


def _hours(info) -> str:
    return ", ".join(f"{a:%H:%M}–{'24:00' if b.hour == 0 and b.minute == 0 else format(b, '%H:%M')}"
                     for a, b in info.intervals)


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

    out(f"{d['number']} ({d['status']}), service {d['service']}{' STEIDZAMI' if d['urgent'] else ''}, "
        f"catalog {d['catalog_version']}")
    if d.get("note"):
        out(d["note"])
        return
    for key, title in (("response", "Response deadline (reaģēšanas termiņš)"),
                       ("resolution", "Resolution deadline (izskatīšanas termiņš)")):
        p = d[key]
        out("")
        out(f"{title}: {when(p.get('due_after_pauses') or p['due'])}")
        out(f"  {p['source']}")
        if "duration" not in p:
            continue
        out(f"  from {when(p['start'])} + {p['duration']} on calendar {p['calendar']} = {when(p['due'])}")
        for c in p["counted"]:
            extra = f" ({REASON_LABELS.get(c.get('reason'), c.get('reason'))})" if c.get("reason") else ""
            breaks = "".join(f", break {br['from']}–{br['to']} skipped" for br in c.get("breaks", ()))
            out(f"    counted {date.fromisoformat(c['date']):%a %d.%m.%Y} {c['from']}–{c['to']} = {c['minutes']} min"
                f"{breaks}{extra}")
        for s in p["skipped"]:
            out(f"    skipped {date.fromisoformat(s['date']):%a %d.%m.%Y}: {REASON_LABELS.get(s['reason'], s['reason'])}"
                + (f" – {s['name']}" if s.get("name") else ""))
        for s in p["shortened"]:
            out(f"    shortened {date.fromisoformat(s['date']):%a %d.%m.%Y} by {s['minutes']} min (before {s['before']})")
        if key == "resolution" and d["pauses"]:
            for pz in d["pauses"]:
                out(f"    paused {when(pz['from'])} – {when(pz['to']) if pz['to'] else 'now'}: "
                    f"{pz['working_minutes']} working min moved the deadline")
            out(f"  after pauses: {when(p['due_after_pauses'])}")
    if d.get("planned_date"):
        out(f"\nDelay reported: planned {d['planned_date']} ({d['delay_reason']})")


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

    out(f"{d['service']}{' (urgent)' if urgent else ''} from {format_dt(when, tz)} on {d['calendar']}:")
    out(f"  respond by {format_dt(p(d['response_due'], tz), tz)}")
    out(f"  resolve by {format_dt(p(d['resolution_due'], tz), tz)}")


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
        raise InvalidInput(f"{month!r} is not a month (YYYY-MM)") from None
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise InvalidInput(f"{month.strip()}: pd's calendars cover the years {FIRST_YEAR}–{LAST_YEAR}")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    cal = _pick(_catalog(state(ctx)), calendar)
    days = cal.days(first, last)
    rows = [{"date": i.date.isoformat(), "weekday": i.date.strftime("%a"), "working": i.working, "hours": _hours(i),
             "reason": i.reason, "name": i.name or i.before} for i in days]
    if as_json:
        emit_json({"calendar": cal.name, "month": month, "days": rows})
        return
    total = sum(((b.hour * 60 + b.minute or 1440) - (a.hour * 60 + a.minute)) for i in days for a, b in i.intervals)
    grid = [[f"{date.fromisoformat(r['date']):%d.%m.%Y}", r["weekday"], r["hours"] or "—",
             " – ".join(x for x in (REASON_LABELS.get(r["reason"], r["reason"] or ""), r["name"] or "") if x)]
            for r in rows]
    headers = ["date", "day", "working hours", "kind of day"]
    import sys

    if sys.stdout.isatty():  # fitted to the terminal: the holiday's name gives way, never a date
        from .layout import Column, render

        out(f"{cal.name} {month}")
        out("\n".join(render(grid, [Column(h) for h in headers[:-1]] + [Column(headers[-1], flex=True)])), painted=True)
    else:
        table(grid, headers)
    out(f"{sum(1 for i in days if i.working)} working days, {total // 60} h {total % 60:02d} min")


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
    table([[f"{date.fromisoformat(r['date']):%d.%m.%Y}", r["weekday"], REASON_LABELS.get(r["reason"], r["reason"] or "")
            + (f" (−{r['shortened_minutes']} min)" if r["shortened_minutes"] else ""), r["name"] or "", r["hours"]]
           for r in data], ["date", "day", "what", "name", "working hours"])
    transfers = [r for r in data if r["reason"] in ("transferred_day_off", "transferred_working_day")]
    if not transfers:
        say("No transferred days in this period: if the Cabinet has ordered any, add them to catalog.yaml "
            "(days_off / working_days) under a new version.")
