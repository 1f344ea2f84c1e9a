"""pd mail fetch [--watch] [--json]: the desk's IMAP mailbox into the intake (SPEC 13)."""
from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..i18n import NN_, _, ngettext
from .common import Json, emit_json, out, say, state
from .mail import mail_app


def _line(item: dict) -> str:
    uid, action, number = item["uid"], item["action"], item.get("request")
    about = action in ("new", "automatic", "bounce") and number
    if action == "new":
        text = (_("UID {uid}: new intake item {id}, about request {number}") if about
                else _("UID {uid}: new intake item {id}"))
    elif action == "follow_up":
        text = _("UID {uid}: follow-up to request {number}")
    elif action == "duplicate":
        text = _("UID {uid}: already in the ledger")
    elif action == "automatic":
        text = (_("UID {uid}: automatic mail, recorded, never answered; about request {number}") if about
                else _("UID {uid}: automatic mail, recorded, never answered"))
    elif action == "bounce":
        text = (_("UID {uid}: delivery report recorded, about request {number}") if about
                else _("UID {uid}: delivery report recorded"))
    elif action == "quarantined":
        text = _("UID {uid}: kept in quarantine {quarantine} (pd intake quarantine)")
    else:
        text = _("UID {uid}: recorded")
    return text.format(uid=uid, id=item.get("intake"), number=number, quarantine=item.get("quarantine"))


@mail_app.command("fetch")
def mail_fetch(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option("--watch", help="Keep waiting for new mail (IMAP IDLE); reconnect by "
                                                        "itself; leave on SIGTERM or Ctrl-C.")] = False,
    as_json: Json = False,
) -> None:
    """Take the mail in PD_IMAP_URL into the ledger, then move it to PD_IMAP_DONE (default pd-processed).

    Each message is stored once (a duplicate is recognised by Message-ID and digest), and moved only
    after the ledger has committed it; nothing is ever deleted. Safe to run twice at once and to kill.
    --json: a list of {uid, action, intake, request} (with --watch: one such object per line).
    Exit 8 when the server or the ledger cannot be reached (retry later), 7 for a bad PD_IMAP_URL.
    Example (crontab): * * * * * pd mail fetch
    """
    from ..intake.fetch import Stop, fetch, mask_url, parse_imap_url
    from ..intake.fetch import watch as watch_mailbox

    st = state(ctx)
    settings = st.settings
    cfg = parse_imap_url(settings.imap_url, settings.imap_done)  # configuration first (exit 7), nothing written
    desk = st.desk
    desk.require("system", "operator", what=_("fetch mail"))  # as the intake itself requires
    desk.ledger  # the ledger opened (and its schema checked) before any message is touched
    from ..intake.store import share_desk

    share_desk(settings, desk)  # the intake stores with it: the ledger and the YAML files are opened once

    stop = Stop()
    stop.install()

    def each(item: dict) -> None:
        if as_json and watch:
            from ..visible import json_safe

            sys.stdout.write(json_safe(json.dumps(item, ensure_ascii=False)) + "\n")
        elif not as_json:
            out(_line(item))
        sys.stdout.flush()

    if watch:
        say(_("pd mail fetch: watching {mailbox}; Ctrl-C stops").format(mailbox=mask_url(settings.imap_url)))
        report = watch_mailbox(settings, on_message=each, stop=stop)
        n = len(report.messages)
        say(ngettext("pd mail fetch: stopped; {n} message taken in this run",
                     "pd mail fetch: stopped; {n} messages taken in this run", n).format(n=n))
        return

    from ..errors import TemporaryFailure

    report = None
    error: TemporaryFailure | None = None
    collected: list[dict] = []

    def collect(item: dict) -> None:
        collected.append(item)
        if not as_json:
            each(item)

    try:
        report = fetch(settings, on_message=collect, stop=stop)
    except TemporaryFailure as exc:
        error = exc
    if as_json:
        emit_json(collected)
    if error is not None:
        raise error
    if stop.requested:
        raise TemporaryFailure(ngettext(
            "interrupted; {n} message taken, the rest stay in {folder} for the next fetch",
            "interrupted; {n} messages taken, the rest stay in {folder} for the next fetch",
            len(collected)).format(n=len(collected), folder=cfg.folder))
    counts = report.counts()
    if report.busy:
        say(_("another pd mail fetch is taking {mailbox} now; nothing taken by this one").format(mailbox=cfg.key))
    elif collected or report.moved:
        n = len(collected)
        summary = ", ".join(_count(a, k) for a, k in sorted(counts.items()))
        moved = ngettext("{n} moved to {folder}", "{n} moved to {folder}", report.moved).format(
            n=report.moved, folder=cfg.done)
        taken = ngettext("{n} message", "{n} messages", n).format(n=n)
        say(_("{taken}: {summary}; {moved}").format(taken=taken, summary=summary, moved=moved) if summary
            else _("{taken}; {moved}").format(taken=taken, moved=moved))
    else:
        say(_("no new mail in {mailbox}").format(mailbox=cfg.key))
    if report.left:
        from ..errors import InvalidInput

        n = len(report.left)
        raise InvalidInput(ngettext(
            "{n} message stays in {folder} (see above); it is tried again at the next fetch",
            "{n} messages stay in {folder} (see above); they are tried again at the next fetch",
            n).format(n=n, folder=cfg.folder))


# Each action's count in the summary of a fetch ('3 new', '1 follow-up' …).
_COUNTS = {
    "new": NN_("{n} new", "{n} new"),
    "follow_up": NN_("{n} follow-up", "{n} follow-ups"),
    "duplicate": NN_("{n} duplicate", "{n} duplicates"),
    "automatic": NN_("{n} automatic", "{n} automatic"),
    "bounce": NN_("{n} delivery report", "{n} delivery reports"),
    "quarantined": NN_("{n} in quarantine", "{n} in quarantine"),
}


def _count(action: str, n: int) -> str:
    forms = _COUNTS.get(action)
    return ngettext(*forms, n).format(n=n) if forms else f"{n} {action}"
