"""The outbox: pd mail send|list|show|retry (SPEC 6)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import Json, emit_json, out, say, state, table

mail_app = typer.Typer(help="The outbox: messages the desk sends (delivered by pd mail send).", no_args_is_help=True)


@mail_app.command("send")
def mail_send(
    ctx: typer.Context,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Send at most this many now.")] = None,
    as_json: Json = False,
) -> None:
    """Deliver the messages that are due by SMTP (PD_SMTP_URL) or as .eml files (PD_MAIL_DIR).

    Exit 8 when the server is unreachable (nothing is lost; retried with back-off), 7 when no
    transport is configured. Example (crontab): * * * * * pd mail send
    """
    from ..mail.outbox import send_pending
    from ..errors import TemporaryFailure

    st = state(ctx)
    desk = st.desk
    desk.require("system", "operator", "admin", "supervisor", what="send mail")
    report = send_pending(st.settings, desk.ledger, now=desk.now(), limit=limit)
    if as_json:
        emit_json({"sent": report.sent, "failed": [{"id": i, "error": e} for i, e in report.failed],
                   "deferred": [{"id": i, "error": e} for i, e in report.deferred]})
    else:
        for i in report.sent:
            out(f"sent message {i}")
        for i, e in report.failed:
            say(f"message {i} failed for good: {e}")
    if report.temporary_error:
        raise TemporaryFailure(f"{report.temporary_error}; {len(report.sent)} sent, the rest wait")


@mail_app.command("list")
def mail_list(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Only messages waiting to be sent.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Only messages that failed for good.")] = False,
    sent: Annotated[bool, typer.Option("--sent", help="Only sent messages.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many (newest first).")] = 100,
    as_json: Json = False,
) -> None:
    """List the outbox. Example: pd mail list --pending"""
    from ..db.models import OutboxMessage as M
    from ..mail.outbox import message_dict
    from ..latvian import format_dt

    st = state(ctx)
    st.desk.actor
    wanted = [s for s, on in (("pending", pending), ("sending", pending), ("failed", failed), ("sent", sent)) if on]
    q = M.select()
    if wanted:
        q = q.where(M.status.in_(wanted))
    rows = list(q.order_by(M.id.desc()).limit(limit))
    if as_json:
        emit_json([message_dict(m, st.settings.timezone) for m in rows])
        return
    table([[m.id, m.status, m.request.number if m.request_id else "", m.kind, ", ".join(message_dict(m)["recipients"]),
            format_dt(m.sent_at or m.next_attempt_at, st.settings.timezone), m.attempts, (m.last_error or "")[:60]]
           for m in rows], ["id", "status", "request", "kind", "to", "sent / next try", "tries", "last error"])
    if not rows:
        say("The outbox is empty." if not wanted else "No such messages.")


def _get(message_id: int):
    from ..db.models import OutboxMessage as M
    from ..errors import NotFound

    m = M.get_or_none(M.id == message_id)
    if m is None:
        raise NotFound(f"no message {message_id} in the outbox")
    return m


@mail_app.command("show")
def mail_show(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID", help="Message id (pd mail list).")],
              as_json: Json = False) -> None:
    """Show one message: recipients, subject, body, delivery attempts. Example: pd mail show 12"""
    from ..mail.outbox import message_dict

    st = state(ctx)
    st.desk.actor
    d = message_dict(_get(message_id), st.settings.timezone, body=True)
    if as_json:
        emit_json(d)
        return
    for k in ("id", "request", "kind", "status", "recipients", "subject", "attempts", "next_attempt_at", "sent_at",
              "last_error", "message_id", "attachment"):
        v = d[k]
        out(f"{k + ':':17}{', '.join(v) if isinstance(v, list) else ('' if v is None else v)}")
    out("")
    out(d["body"])


@mail_app.command("retry")
def mail_retry(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID", help="Message id.")],
               as_json: Json = False) -> None:
    """Queue a failed or waiting message to be sent at the next pd mail send. Example: pd mail retry 12"""
    from ..mail.outbox import message_dict, retry

    st = state(ctx)
    st.desk.require("operator", "admin", "system", what="retry mail")
    m = retry(message_id, st.desk.now())
    if as_json:
        emit_json(message_dict(m, st.settings.timezone))
    else:
        out(f"message {m.id} will be sent at the next pd mail send")
