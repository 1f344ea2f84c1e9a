"""The intake queue: pd intake list|show|register|attach|ignore|seen|quarantine|replay (SPEC 13)."""
from __future__ import annotations

import inspect
import sys
import typing
from typing import Annotated, Optional

import typer

from ..i18n import _, ngettext, pgettext
from . import requests as _requests
from .common import MAX_ID, MAX_ROWS, Json, Number, Redact, emit_json, out, say, state, table

intake_app = typer.Typer(help="Mail waiting for the desk: register it, attach it to a request, or ignore it.",
                         no_args_is_help=True)

ItemId = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="Intake item id (pd intake list).")]


@intake_app.command("list")
def intake_list(
    ctx: typer.Context,
    status: Annotated[Optional[list[str]], typer.Option("--status", help="new, registered, attached, ignored (repeatable).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every item, not only the new ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=MAX_ROWS, help="At most this many (newest first).")] = 100,
    as_json: Json = False,
) -> None:
    """The mail waiting for the operator (new items unless --status or --all). Example: pd intake list"""
    from ..intake.items import item_dict, list_items, status_words
    from ..latvian import format_dt

    st = state(ctx)
    st.desk.require("operator", "supervisor", what=_("read the intake queue"))
    statuses = list(status or []) or ([] if all_ else ["new"])
    items = list_items(statuses, limit)
    tz = st.settings.timezone
    if as_json:
        emit_json([item_dict(i, tz) for i in items])
        return
    # Narrow terminals first: the name (not the address), and only the columns that say something.
    rows = [[i.id, status_words(i.status), format_dt(i.message.received_at, tz), _short(i.message.sender_name or
                                                                          i.message.sender_email, 30),
             _short(i.message.subject, 60), (i.request.number if i.request_id else
                                             (f"({i.related.number})" if i.related_id else ""))] for i in items]
    headers = ["id", "status", "received", "from", "subject", "request"]
    shown = [_("id"), _("status"), pgettext("mail", "received"), pgettext("mail", "from"), pgettext("mail", "subject"),
             _("request")]
    keep = [c for c in range(len(headers))
            if not (headers[c] == "status" and statuses == ["new"]) and any(str(r[c]) for r in rows)]
    table([[r[c] for c in keep] for r in rows], [shown[c] for c in keep])
    if not items:
        say(_("No mail waits for the desk.") if statuses == ["new"] else _("No such intake items."))


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@intake_app.command("show")
def intake_show(ctx: typer.Context, item_id: ItemId, as_json: Json = False) -> None:
    """One intake item with the mail's whole text. Example: pd intake show 12"""
    from ..intake.items import get_item, item_dict, status_words

    st = state(ctx)
    st.desk.require("operator", "supervisor", what=_("read the intake queue"))
    d = item_dict(get_item(item_id), st.settings.timezone, text=True)
    if as_json:
        emit_json(d)
        return
    from datetime import datetime

    from ..latvian import format_dt

    def when(v):
        return format_dt(datetime.fromisoformat(v), st.settings.timezone) if v else "-"

    status = status_words(d["status"])
    head = (_("Intake item {id}: {status} (request {number})") if d["request"]
            else _("Intake item {id}: {status}")).format(id=d["id"], status=status, number=d["request"])
    fields: list[tuple[str, str]] = [(_("From:"), d["from"]), (_("Subject:"), d["subject"]),
                                     (_("Received:"), when(d["received_at"])), (_("Sent:"), when(d["sent_at"]))]
    if d["related"]:
        fields.append((_("About:"), _("request {number} (closed: register it as new, or attach it)").format(
            number=d["related"])))
    for a in d["attachments"]:
        fields.append((_("Attachment:"), (_("{name} ({size})") if a["stored"] else
                                          _("{name} ({size}, not stored: over the limit)")).format(
            name=a["name"], size=_size(a["size"]))))
    if d["html"]:
        fields.append((_("Note:"), _("an HTML-only mail, shown as text (the original is kept)")))
    if d["charset_note"]:
        from ..intake.parse import charset_words

        fields.append((_("Note:"), charset_words(d["charset_note"])))
    if d["redacted"]:
        fields.append((_("Note:"), _("a disclosed password was replaced by [REDACTED]")))
    if d["reason"]:
        fields.append((_("Ignored:"), _("{reason} ({name})").format(reason=d["reason"],
                                                                     name=_name(st, d["decided_by"]))))
    width = max(len(label) for label, _v in fields) + 2
    lines = [head] + [f"{label:{width}}{value}" for label, value in fields]
    lines += ["", d["text"]]
    out("\n".join(lines))


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _name(st, login: str | None) -> str:
    """A person by name, not login (the contacts in force; the login when they are gone)."""
    if not login:
        return "-"
    person = st.desk.contacts.staff.get(login)
    return person.name if person is not None else login


_SKIP = {"ctx", "out_of_scope", "reason", "idempotency_key", "as_json"}


def intake_register(ctx: typer.Context, item_id: int, **options) -> None:
    """Register an intake item as a request: channel email, the sender's name and address and the
    mail's date filled in, the description from the subject and what the user wrote (without the
    quoted history, signature or notice), the requester's other details from their last request;
    any register option overrides. One item never becomes two requests.

    Example: pd intake register 12 --service EPASTS --institution VP
    """
    from ..desk import RegisterInput
    from ..intake.items import get_item, prefill, register
    from .common import check_via

    st = state(ctx)
    as_json = options.pop("as_json", False)
    redact = options.pop("redact", False)
    via = check_via(options.pop("via", "cli"))
    received = options.pop("received_at", None)
    like = options.pop("like", None)
    data = RegisterInput(**options, received_at=_requests._instant(received, "--received-at", st.settings.timezone))
    _requests.apply_like(st, data, like)
    if sys.stdin.isatty():
        from .register_prompt import prompt_register

        st.desk.require("operator", what=_("register intake mail"))
        item = get_item(item_id)
        if item.status != "registered":  # registered before: only what was typed is compared with it
            prefill(st.desk, item, data)
            if data.missing():
                prompt_register(st, data, redact=redact)
    item, req = register(st.desk, item_id, data, redact=redact, via=via)
    if as_json:
        from ..views import request_dict

        d = request_dict(req, tz=st.settings.timezone)
        d["intake"] = item.id
        emit_json(d)
    else:
        from ..i18n import language
        from ..wording import status_label

        out(_("{number} registered from intake item {id}: {status}").format(
            number=req.number, id=item.id, status=status_label(req.status, language())))


def _register_signature() -> None:
    """intake register takes register's options (SPEC 13): the same declarations, defined once."""
    hints = typing.get_type_hints(_requests.register, include_extras=True)
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
              inspect.Parameter("item_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=ItemId)]
    annotations = {"ctx": typer.Context, "item_id": ItemId}
    for name, p in inspect.signature(_requests.register).parameters.items():
        if name in _SKIP - {"as_json"}:
            continue
        params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[name]))
        annotations[name] = hints[name]
    intake_register.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    intake_register.__annotations__ = annotations


_register_signature()
intake_app.command("register")(intake_register)


@intake_app.command("attach")
def intake_attach(ctx: typer.Context, item_id: ItemId, number: Number, as_json: Json = False) -> None:
    """Put an intake item's mail into request N's history. Example: pd intake attach 12 2026-000123"""
    from ..intake.items import attach, item_dict

    st = state(ctx)
    item, req = attach(st.desk, item_id, number)
    if as_json:
        emit_json(item_dict(item, st.settings.timezone))
    else:
        out(_("intake item {id} attached to {number}").format(id=item.id, number=req.number))


@intake_app.command("ignore")
def intake_ignore(
    ctx: typer.Context,
    item_id: ItemId,
    reason: Annotated[str, typer.Option(help="Why the desk does nothing with it (spam, a duplicate, …).")],
    redact: Redact = False,
    as_json: Json = False,
) -> None:
    """Set an intake item aside, with the reason. Example: pd intake ignore 12 --reason "reklāma" """
    from ..intake.items import ignore, item_dict

    st = state(ctx)
    item = ignore(st.desk, item_id, reason, redact=redact)
    if as_json:
        emit_json(item_dict(item, st.settings.timezone))
    else:
        out(_("intake item {id} ignored").format(id=item.id))


@intake_app.command("seen")
def intake_seen(ctx: typer.Context, number: Number, as_json: Json = False) -> None:
    """Mark request N's follow-up mail as seen (pd queue stops showing it).

    Acting on the request (a note, reopen, close, …) marks it seen as well. Example: pd intake seen 2026-000123
    """
    from ..intake.items import seen

    st = state(ctx)
    ids = seen(st.desk, number)
    if as_json:
        emit_json({"request": st.desk.get(number).number, "seen": ids})
    elif ids:
        out(ngettext("{n} mail of {number} marked seen", "{n} mails of {number} marked seen", len(ids)).format(
            n=len(ids), number=st.desk.get(number).number))
    else:
        say(_("no unseen mail for {number}").format(number=number))


@intake_app.command("quarantine")
def intake_quarantine(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Also mail replayed already.")] = False,
    as_json: Json = False,
) -> None:
    """Mail pd could not take apart, kept for a replay (docs/intake.md). Example: pd intake quarantine"""
    from ..intake.items import quarantined
    from ..latvian import format_dt, iso

    st = state(ctx)
    st.desk.require("operator", "admin", what=_("read the quarantine"))
    rows = quarantined(all_=all_)
    tz = st.settings.timezone
    if as_json:
        emit_json([{"id": q.id, "received_at": iso(q.received_at, tz), "source": q.source, "error": q.error,
                    "bytes": len(bytes(q.raw)), "path": q.path, "replayed_at": iso(q.replayed_at, tz),
                    "replayed_as": q.replayed_as} for q in rows])
        return
    table([[q.id, format_dt(q.received_at, tz), q.source, _short(q.error, 60), q.path or ""] for q in rows],
          [_("id"), pgettext("mail", "received"), pgettext("mail", "source"), pgettext("mail", "why"),
           pgettext("mail", "file")])
    if not rows:
        say(_("The quarantine is empty."))


@intake_app.command("replay")
def intake_replay(
    ctx: typer.Context,
    qid: Annotated[int, typer.Argument(metavar="QID", min=1, max=MAX_ID, help="Quarantine id (pd intake quarantine).")],
    file: Annotated[Optional[str], typer.Option("--file", help="A repaired copy of the message to take instead.")] = None,
    as_json: Json = False,
) -> None:
    """Take a quarantined mail in again, after pd was fixed or with a repaired copy (--file).

    Example: pd intake replay 3 --file fixed.eml
    """
    from ..intake.items import replay

    st = state(ctx)
    raw = None
    if file:
        from pathlib import Path

        from ..errors import NotFound

        try:
            raw = Path(file).read_bytes()
        except OSError as exc:
            raise NotFound(_("cannot read {path}: {error}").format(path=file, error=exc.strerror)) from None
    res = replay(st.desk, qid, raw)
    if as_json:
        emit_json(res)
    else:
        from .mail import _ingest_words

        out(_ingest_words(res))
