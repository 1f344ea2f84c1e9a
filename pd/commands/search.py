"""pd search: requests by number, requester, texts and mail (SPEC 14)."""
from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import _, pgettext
from .common import Json, emit_json, is_terminal, out, say, state


def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A number or part of it, a name, an e-mail, a phone, words.", metavar="TEXT")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many, best first.")] = 20,
    as_json: Json = False,
) -> None:
    """Find requests by number, requester (name, e-mail, phone), description, notes, results and mail
    text, best matches first. Latvian letters match their plain forms: "berzins" finds Bērziņš.

    Example: pd search berzins · pd search "+371 2612" · pd search 2026-0001 --json
    """
    from .. import search as finder
    from ..i18n import language
    from ..latvian import format_dt
    from ..wording import status_label

    st = state(ctx)
    desk = st.desk
    tz = st.settings.timezone
    desk.actor  # only staff read the ledger
    hits = finder.find(desk, text, limit)
    if as_json:
        from ..views import request_dict

        emit_json([{**request_dict(r, tz=tz), "score": None if score == float("inf") else score}
                   for r, score in hits])
        return
    if not hits:
        say(_("No requests match."))
        return
    lang = language()
    rows = [[r.number, status_label(r.status, lang), format_dt(r.received_at, tz), r.requester_name,
             (r.description or "").strip().splitlines()[0] if (r.description or "").strip() else ""]
            for r, _ in hits]
    headers = [pgettext("search column", "number"), pgettext("search column", "status"),
               pgettext("search column", "received"), pgettext("search column", "requester"),
               pgettext("search column", "description")]
    if not is_terminal():
        from tabulate import tabulate

        out(tabulate(rows, headers=headers, tablefmt="plain"))
        return
    from .layout import Column, render

    # SPEC 14: the number, the date and the requester stay whole; the description gives way, then the state
    # (to find which request it was, a few words of it say more than its state)
    columns = [Column(headers[0]), Column(headers[1], drop=1), Column(headers[2]), Column(headers[3]),
               Column(headers[4], flex=True)]
    out("\n".join(render(rows, columns)), painted=True)
