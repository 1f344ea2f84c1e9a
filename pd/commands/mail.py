"""The outbox: pd mail send|list|show|retry (SPEC 6)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import MAX_ID, MAX_ROWS, Json, emit_json, out, say, state, table

mail_app = typer.Typer(help="The outbox: messages the desk sends (delivered by pd mail send).", no_args_is_help=True)


@mail_app.command("send")
def mail_send(
    ctx: typer.Context,
    limit: Annotated[Optional[int], typer.Option(min=1, max=MAX_ROWS, help="Send at most this many now.")] = None,
    as_json: Json = False,
) -> None:
    """Deliver the messages that are due by SMTP (PD_SMTP_URL) or as .eml files (PD_MAIL_DIR).

    Exit 3 when a message failed for good in this run (the server refused it, or it ran out of
    attempts: pd mail list --failed; cron tells the admin), 8 when the server is unreachable
    (nothing is lost; retried with back-off), 7 when no transport is configured.
    Example (crontab): * * * * * pd mail send
    """
    from ..jobruns import recorded

    st = state(ctx)
    desk = st.desk
    desk.require("system", "operator", "admin", "supervisor", what="send mail")
    with recorded("mail send"):  # pd doctor asks when it last ran
        _mail_send(st, desk, limit, as_json)


def _mail_send(st, desk, limit: int | None, as_json: bool) -> None:
    from ..errors import TemporaryFailure
    from ..notify.outbox import failed_for_good, send_pending

    report = send_pending(st.settings, desk.ledger, now=desk.now(), limit=limit)
    if as_json:
        emit_json({"sent": report.sent, "failed": [{"id": i, "error": e} for i, e in report.failed],
                   "deferred": [{"id": i, "error": e} for i, e in report.deferred]})
    else:
        for i in report.sent:
            out(f"sent message {i}")
        for i, e in report.failed:
            say(f"message {i} failed for good: {e}")
    gave_up = failed_for_good(report)
    if gave_up:
        # Not 0: a message nobody will receive needs a person; not 8: retrying will not deliver it.
        from ..errors import InvalidInput

        also = f"; also {report.temporary_error}, the rest wait" if report.temporary_error else ""
        raise InvalidInput(f"{len(gave_up)} message(s) failed for good ({', '.join(map(str, gave_up))}; "
                           f"pd mail list --failed), {len(report.sent)} sent{also}")
    if report.temporary_error:
        raise TemporaryFailure(f"{report.temporary_error}; {len(report.sent)} sent, the rest wait")


@mail_app.command("list")
def mail_list(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Only messages waiting to be sent.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="Only messages that failed for good.")] = False,
    sent: Annotated[bool, typer.Option("--sent", help="Only sent messages.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ROWS, help="At most this many (newest first).")] = 100,
    as_json: Json = False,
) -> None:
    """List the outbox. Example: pd mail list --pending"""
    from ..latvian import format_dt
    from ..notify.outbox import message_dict, messages

    st = state(ctx)
    st.desk.actor
    wanted = [s for s, on in (("pending", pending), ("sending", pending), ("failed", failed), ("sent", sent)) if on]
    rows = messages(wanted, limit)
    if as_json:
        emit_json([message_dict(m, st.settings.timezone) for m in rows])
        return
    table([[m.id, m.status, m.request.number if m.request_id else "", m.kind, ", ".join(message_dict(m)["recipients"]),
            format_dt(m.sent_at or m.next_attempt_at, st.settings.timezone), m.attempts, (m.last_error or "")[:60]]
           for m in rows], ["id", "status", "request", "kind", "to", "sent / next try", "tries", "last error"])
    if not rows:
        say("The outbox is empty." if not wanted else "No such messages.")


def _get(message_id: int):
    from ..notify.outbox import message

    return message(message_id)


@mail_app.command("show")
def mail_show(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="Message id (pd mail list).")],
              as_json: Json = False) -> None:
    """Show one message: recipients, subject, body, delivery attempts. Example: pd mail show 12"""
    from ..notify.outbox import message_dict

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
def mail_retry(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="Message id.")],
               as_json: Json = False) -> None:
    """Queue a failed or waiting message to be sent at the next pd mail send. Example: pd mail retry 12"""
    from ..notify.outbox import message_dict, retry

    st = state(ctx)
    st.desk.require("operator", "admin", "system", what="retry mail")
    m = retry(message_id, st.desk.now())
    if as_json:
        emit_json(message_dict(m, st.settings.timezone))
    else:
        out(f"message {m.id} will be sent at the next pd mail send")


EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


@mail_app.command("ingest")
def mail_ingest(
    ctx: typer.Context,
    file: Annotated[Optional[str], typer.Argument(metavar="[FILE]", help="An RFC 5322 message; default: stdin (bytes).")] = None,
    as_json: Json = False,
) -> None:
    """Take one incoming message (an MTA's pipe alias, or a file) into the desk (SPEC 13).

    Exit 0 once it is stored (a message pd cannot take apart is kept in the quarantine: also 0);
    exit 75 (EX_TEMPFAIL) when it cannot be stored now (ledger busy or unreachable, configuration
    broken): the MTA keeps it and retries. Example (/etc/aliases):
    servicedesk: "|/usr/bin/env PD_USER=system /opt/pd/bin/pd mail ingest"
    """
    import sys

    from ..errors import DESK_FAULTS, ConfigError, NotFound

    if file is not None and file != "-":
        from pathlib import Path

        try:
            raw = Path(file).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no file {file}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
        source = f"ingest:{file}"[:200]
    else:
        raw = sys.stdin.buffer.read()
        source = "ingest:stdin"
    try:
        from ..intake import receive

        st = state(ctx)  # a broken configuration is the admin's to fix; the MTA keeps the mail meanwhile
        res = receive(st.settings, raw, source=source)
    except DESK_FAULTS as exc:
        # Whatever stops us storing it now, the mail must not be lost: the MTA retries.
        sys.stderr.write(f"Error: {exc} (not stored; exit 75, the mail system will try again)\n")
        raise typer.Exit(EX_TEMPFAIL) from None
    except Exception as exc:  # noqa: BLE001 - not even the quarantine took it: keep it at the MTA
        import os

        if os.environ.get("PD_DEBUG") not in (None, "", "0"):
            import traceback

            traceback.print_exception(exc)
        sys.stderr.write(f"Error: internal error: {type(exc).__name__}: {exc} (not stored; exit 75, "
                         "the mail system will try again)\n")
        raise typer.Exit(EX_TEMPFAIL) from None
    if as_json:
        emit_json(res)
    else:
        out(_ingest_words(res))


def _ingest_words(res: dict) -> str:
    action = res["action"]
    if action == "new":
        tail = f" (about request {res['request']})" if res.get("request") else ""
        return f"new intake item {res['intake']}{tail}: pd intake show {res['intake']}"
    if action == "follow_up":
        how = {"answer": "; the requester's answer, the request resumed",
               "objection": "; after it was resolved: a possible objection",
               "expert": "; from the assigned expert"}.get(res.get("flag") or "", "")
        return f"follow-up to request {res['request']}{how}"
    if action == "duplicate":
        return "already stored (the same message came before); nothing new"
    if action == "automatic":
        return f"automatic mail, recorded and not answered ({res.get('reason', '')})"
    if action == "bounce":
        return f"delivery report recorded{' for request ' + res['request'] if res.get('request') else ''}"
    if action == "quarantined":
        return f"cannot be taken apart; kept in quarantine {res['quarantine']}: {res.get('error', '')}"
    return action


from . import mail_fetch as _mail_fetch  # noqa: E402,F401  (adds `pd mail fetch` to this group)
