"""pd mail fetch [--watch] [--json]: the desk's IMAP mailbox into the intake (SPEC 13)."""
from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from .common import Json, emit_json, out, say, state
from .mail import mail_app


def _line(item: dict) -> str:
    where = {"new": f"intake item {item['intake']}", "follow_up": f"request {item['request']}",
             "duplicate": "already in the ledger", "automatic": "recorded, never answered",
             "bounce": "delivery report recorded",
             "quarantined": f"kept in quarantine {item.get('quarantine')} (pd intake quarantine)"}.get(item["action"])
    if item["action"] in ("new", "automatic", "bounce") and item.get("request"):
        where += f", about request {item['request']}"
    return f"UID {item['uid']}: {item['action']} — {where or 'recorded'}"


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
    desk.require("system", "operator", what="fetch mail")  # as the intake itself requires
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
        say(f"pd mail fetch: watching {mask_url(settings.imap_url)}; Ctrl-C stops")
        report = watch_mailbox(settings, on_message=each, stop=stop)
        say(f"pd mail fetch: stopped; {len(report.messages)} message(s) taken in this run")
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
        raise TemporaryFailure(f"interrupted; {len(collected)} message(s) taken, the rest stay in {cfg.folder} "
                               "for the next fetch")
    counts = report.counts()
    if report.busy:
        say(f"another pd mail fetch is taking {cfg.key} now; nothing taken by this one")
    elif collected or report.moved:
        summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
        say(f"{len(collected)} message(s)" + (f": {summary}" if summary else "") + f"; {report.moved} moved to {cfg.done}")
    else:
        say(f"no new mail in {cfg.key}")
    if report.left:
        from ..errors import InvalidInput

        raise InvalidInput(f"{len(report.left)} message(s) stay in {cfg.folder} (see above); "
                           "they are tried again at the next fetch")
