"""Escalation: pd escalate-overdue (cron) and pd escalate (the operator) [§8.4]."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..i18n import _
from .common import Json, Number, Redact, Via, check_via, emit_json, out, say, send_quietly, state


def _found_dict(f) -> dict:
    return {"number": f.number, "reason": f.reason, "level": f.level, "manager": f.manager, "expert": f.expert,
            "recorded": f.recorded}


def escalate_overdue(
    ctx: typer.Context,
    now: Annotated[Optional[str], typer.Option("--now", help="Act as if it were this instant (ISO 8601; Riga time without an offset).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be escalated; change nothing.")] = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Only queue the managers' mail; leave it to pd mail send.")] = False,
    as_json: Json = False,
) -> None:
    """Escalate to the expert's manager what is not accepted or overdue [§8.4.1, §8.4.3] (for cron),
    and remind experts of a deadline near (once per deadline and assignment, in working time).

    Prints one line per escalation and reminder, nothing when there is nothing to do; exits 0 unless it failed.
    Example (crontab): */5 * * * * pd escalate-overdue
    """
    from .. import escalation
    from ..latvian import parse_instant

    st = state(ctx)
    desk = st.desk
    desk.require("system", "operator", "admin", what=_("run escalate-overdue"))
    if now:
        desk.set_now(parse_instant(now, st.settings.timezone))
    when = desk.now()
    from contextlib import nullcontext

    from ..jobruns import recorded

    with nullcontext() if dry_run else recorded("escalate-overdue"):  # pd doctor asks when it last ran
        report = escalation.run(desk, when, dry_run=dry_run)
        for w in report.warnings:
            say(_("Warning: {message}").format(message=w))
        sent = None
        if not dry_run and not no_send and (report.escalations or report.reminders):
            from .. import ledger

            sent = send_quietly(st, ledger.utcnow())  # mail goes out (and is stamped) on the real clock
    if as_json:
        emit_json({"now": when.isoformat(), "dry_run": dry_run,
                   "escalations": [_found_dict(f) for f in report.escalations],
                   "reminders": [_reminder_dict(r, st.settings.timezone) for r in report.reminders],
                   "mail_sent": sent})
        return
    for f in report.escalations:
        line = (_("{number} would be escalated {to_manager} (level {level}): {reason}") if dry_run
                else _("{number} escalated {to_manager} (level {level}): {reason}"))
        out(line.format(number=f.number, to_manager=escalation.to_manager(desk, f.manager, fallback=bool(f.warning)),
                        level=f.level, reason=escalation.reason_words(f.reason)))
    from ..latvian import format_dt

    for r in report.reminders:
        if r.deadline == "response":
            line = (_("{number}: would remind {expert} of the response deadline {due}") if dry_run
                    else _("{number}: reminded {expert} of the response deadline {due}"))
        else:
            line = (_("{number}: would remind {expert} of the resolution deadline {due}") if dry_run
                    else _("{number}: reminded {expert} of the resolution deadline {due}"))
        out(line.format(number=r.number, expert=escalation.the_expert(desk, r.expert),
                        due=format_dt(r.due, st.settings.timezone)))


def _reminder_dict(r, tz: str) -> dict:
    from ..latvian import iso

    return {"number": r.number, "deadline": r.deadline, "due": iso(r.due, tz), "expert": r.expert,
            "left_minutes": int(r.left.total_seconds() // 60), "recorded": r.recorded}


def escalate(
    ctx: typer.Context,
    number: Number,
    reason: Annotated[str, typer.Option(help="unjustified-rejection: the expert's rejection was not justified [§8.4.2].")],
    note: Annotated[Optional[str], typer.Option(help="The operator's judgement, sent to the manager.")] = None,
    redact: Redact = False,
    via: Via = "cli",
    as_json: Json = False,
) -> None:
    """Escalate an unjustified rejection to the expert's manager [§8.4.2].

    Example: pd escalate 2026-000123 --reason unjustified-rejection --note "Pakalpojums ir eksperta atbildībā"
    """
    from .. import escalation

    st = state(ctx)
    f = escalation.escalate_manually(st.desk, number, reason, note, redact=redact, via=check_via(via))
    if f.warning:
        say(_("Warning: {message}").format(message=f.warning))
    if as_json:
        emit_json(_found_dict(f))
    else:
        out(_("{number} escalated {to_manager}: {reason}").format(
            number=f.number, to_manager=escalation.to_manager(st.desk, f.manager, fallback=bool(f.warning)),
            reason=escalation.reason_words(f.reason)))
