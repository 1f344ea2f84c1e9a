"""The outbox: pd mail send|list|show|retry (SPEC 6)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..i18n import _, ngettext, pgettext
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
    desk.require("system", "operator", "admin", "supervisor", what=_("send mail"))
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
            out(_("sent message {id}").format(id=i))
        for i, e in report.failed:
            say(_("message {id} failed for good: {error}").format(id=i, error=e))
    gave_up = failed_for_good(report)
    if gave_up:
        # Not 0: a message nobody will receive needs a person; not 8: retrying will not deliver it.
        from ..errors import InvalidInput

        failed = ngettext("{n} message failed for good ({ids}; pd mail list --failed)",
                          "{n} messages failed for good ({ids}; pd mail list --failed)",
                          len(gave_up)).format(n=len(gave_up), ids=", ".join(map(str, gave_up)))
        sent = ngettext("{n} sent", "{n} sent", len(report.sent)).format(n=len(report.sent))
        if report.temporary_error:
            raise InvalidInput(_("{failed}, {sent}; also {error}, the rest wait").format(
                failed=failed, sent=sent, error=report.temporary_error))
        raise InvalidInput(_("{failed}, {sent}").format(failed=failed, sent=sent))
    if report.temporary_error:
        sent = ngettext("{n} sent", "{n} sent", len(report.sent)).format(n=len(report.sent))
        raise TemporaryFailure(_("{error}; {sent}, the rest wait").format(error=report.temporary_error, sent=sent))


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
    table([[m.id, outbox_status(m.status), m.request.number if m.request_id else "", m.kind,
            ", ".join(message_dict(m)["recipients"]), format_dt(m.sent_at or m.next_attempt_at, st.settings.timezone),
            m.attempts, (m.last_error or "")[:60]]
           for m in rows], [_("id"), _("status"), _("request"), pgettext("mail", "kind"), pgettext("mail", "to"),
                            _("sent / next try"), pgettext("mail", "tries"), _("last error")])
    if not rows:
        say(_("The outbox is empty.") if not wanted else _("No such messages."))


def outbox_status(status: str) -> str:
    """An outbox message's status as a person reads it (the JSON keeps the value)."""
    return {"pending": pgettext("outbox", "waiting"), "sending": pgettext("outbox", "being sent"),
            "sent": pgettext("outbox", "sent"), "failed": pgettext("outbox", "failed")}.get(status, status)


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
    labels = {"id": _("Id:"), "request": _("Request:"), "kind": _("Kind:"), "status": _("Status:"),
              "recipients": _("To:"), "subject": _("Subject:"), "attempts": _("Attempts:"),
              "next_attempt_at": _("Next attempt:"), "sent_at": _("Sent:"), "last_error": _("Last error:"),
              "message_id": _("Message-ID:"), "attachment": _("Attachment:")}
    width = max(len(v) for v in labels.values()) + 1
    for k, name in labels.items():
        v = d[k]
        if k == "status":
            v = outbox_status(v)
        elif k in ("next_attempt_at", "sent_at") and v:
            from datetime import datetime

            from ..latvian import format_dt

            v = format_dt(datetime.fromisoformat(v), st.settings.timezone)
        out(f"{name:{width}}{', '.join(v) if isinstance(v, list) else ('' if v is None else v)}")
    out("")
    out(d["body"])


@mail_app.command("retry")
def mail_retry(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="Message id.")],
               as_json: Json = False) -> None:
    """Queue a failed or waiting message to be sent at the next pd mail send. Example: pd mail retry 12"""
    from ..notify.outbox import message_dict, retry

    st = state(ctx)
    st.desk.require("operator", "admin", "system", what=_("retry mail"))
    m = retry(message_id, st.desk.now())
    if as_json:
        emit_json(message_dict(m, st.settings.timezone))
    else:
        out(_("message {id} will be sent at the next pd mail send").format(id=m.id))


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
            raise NotFound(_("no file {path}").format(path=file)) from None
        except OSError as exc:
            raise ConfigError(_("cannot read {path}: {error}").format(path=file, error=exc.strerror)) from None
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
        sys.stderr.write(_("Error: {message}").format(message=_(
            "{error} (not stored; exit 75, the mail system will try again)").format(error=exc)) + "\n")
        raise typer.Exit(EX_TEMPFAIL) from None
    except Exception as exc:  # noqa: BLE001 - not even the quarantine took it: keep it at the MTA
        import os

        if os.environ.get("PD_DEBUG") not in (None, "", "0"):
            import traceback

            traceback.print_exception(exc)
        sys.stderr.write(_("Error: {message}").format(message=_(
            "internal error: {kind}: {detail} (not stored; exit 75, the mail system will try again)").format(
                kind=type(exc).__name__, detail=exc)) + "\n")
        raise typer.Exit(EX_TEMPFAIL) from None
    if as_json:
        emit_json(res)
    else:
        out(_ingest_words(res))


def _ingest_words(res: dict) -> str:
    action = res["action"]
    if action == "new":
        if res.get("request"):
            return _("new intake item {id} (about request {number}): pd intake show {id}").format(
                id=res["intake"], number=res["request"])
        return _("new intake item {id}: pd intake show {id}").format(id=res["intake"])
    if action == "follow_up":
        flag = res.get("flag") or ""
        if flag == "answer":
            text = _("follow-up to request {number}; the requester's answer, the request resumed")
        elif flag == "objection":
            text = _("follow-up to request {number}; after it was resolved: a possible objection")
        elif flag == "expert":
            text = _("follow-up to request {number}; from the assigned expert")
        elif flag == "command":
            text = _("follow-up to request {number}; the assigned expert's word by mail, done")
        else:
            text = _("follow-up to request {number}")
        return text.format(number=res["request"])
    if action == "duplicate":
        return _("already stored (the same message came before); nothing new")
    if action == "automatic":
        from ..intake.classify import reason_words

        return _("automatic mail, recorded and not answered ({reason})").format(
            reason=reason_words(res.get("reason", "")))
    if action == "bounce":
        if res.get("request"):
            return _("delivery report recorded for request {number}").format(number=res["request"])
        return _("delivery report recorded")
    if action == "quarantined":
        return _("cannot be taken apart; kept in quarantine {id}: {error}").format(
            id=res["quarantine"], error=res.get("error", ""))
    return action


from . import mail_fetch as _mail_fetch  # noqa: E402,F401  (adds `pd mail fetch` to this group)
