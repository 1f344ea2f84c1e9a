"""The monthly report [§11]: pd report monthly (SPEC 8)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..i18n import _, ngettext
from .common import Json, emit_json, out, say, send_quietly, state

report_app = typer.Typer(help="Reports for the institutions and the Centre [§11].", no_args_is_help=True)


@report_app.command("monthly")
def monthly(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (Riga time); default the previous month.")] = None,
    institution: Annotated[Optional[list[str]], typer.Option("--institution", help="Only these institutions (repeatable); default all.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the files.", file_okay=False)] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="xlsx, csv or json.")] = "xlsx",
    lang: Annotated[Optional[str], typer.Option(help="lv or en (default PD_LANG).")] = None,
    send: Annotated[bool, typer.Option("--send", help="E-mail each institution its workbook, and the overview to the Centre's report recipients (these mails only: the rest of the outbox is pd mail send's).")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="With --send: send a month that was sent before.")] = False,
    as_json: Json = False,
) -> None:
    """Write one report per institution (its own users' requests only) and the Centre's overview.

    Files: pd-2026-10-VP.xlsx … and pd-2026-10-overview.xlsx (or .csv with a -summary.csv beside each, or .json).
    Example: pd report monthly --month 2026-10 --out reports/ --send
    """
    from ..errors import InvalidInput, UsageError
    from ..latvian import lv_sort_key, to_local
    from ..report.monthly import FORMATS, make_reports
    from ..report.rows import previous_month

    st = state(ctx)
    if resend and not send:
        raise UsageError(_("--resend goes with --send (to send a month that was sent before)"))
    desk = st.desk
    desk.require("supervisor", what=_("run the monthly reports [§11]"))
    if fmt not in FORMATS:
        raise InvalidInput(_("--format must be xlsx, csv or json, not {value!r}").format(value=fmt))
    if send and fmt != "xlsx":
        raise InvalidInput(_("--send attaches the xlsx workbook: use --format xlsx"))
    lang = (lang or st.settings.lang or "lv").lower()
    if lang not in ("lv", "en"):
        raise InvalidInput(_("--lang must be lv or en, not {value!r}").format(value=lang))
    today = to_local(desk.now(), st.settings.timezone).date()
    if month is not None:
        _not_in_the_future(month, today)
    month = month or previous_month(today)
    contacts = desk.contacts
    codes = [c.upper() for c in institution] if institution else list(contacts.institutions)
    for c in codes:
        contacts.institution(c)
    codes = sorted(codes, key=lambda c: lv_sort_key(contacts.institutions[c].name))
    progress = _progress(len(codes))
    try:
        result = make_reports(desk, month, codes, out_dir, fmt, lang, send=send, resend=resend,
                              progress=progress.advance if progress else None)
    finally:
        if progress:
            progress.stop()
    sent = None
    if send:
        sent = send_quietly(st, desk.now(), only=result.messages)  # the reports only: other mail is pd mail send's
    if as_json:
        emit_json({"month": month, "files": result.files, "audit_anchor": result.anchor, "institutions": [
            {"code": c, "name": n, "total": s["total"], "fingerprint": s["fingerprint"]}
            for c, n, s in result.institutions],
            "sent": send, "mail_sent": sent})
        return
    for f in result.files:
        out(f)
    if send:
        n = len(result.institutions)
        if sent is None:
            say(ngettext("Queued the {month} report for {n} institution and the overview; pd mail send delivers them",
                         "Queued the {month} report for {n} institutions and the overview; pd mail send delivers them",
                         n).format(month=month, n=n))
        else:
            say(ngettext("Queued the {month} report for {n} institution and the overview; report mails sent: {sent}",
                         "Queued the {month} report for {n} institutions and the overview; report mails sent: {sent}",
                         n).format(month=month, n=n, sent=sent))


def _not_in_the_future(month: str, today) -> None:
    """A report of a month that has not begun would be an empty report claiming to be one (issue 18)."""
    from ..errors import InvalidInput
    from ..report.rows import _parse_month

    try:
        year, mon = _parse_month(month.strip())
    except ValueError:
        raise InvalidInput(_("--month {month!r} is not a month (YYYY-MM)").format(month=month)) from None
    if not 1 <= mon <= 12:
        raise InvalidInput(_("--month {month!r} is not a month (YYYY-MM)").format(month=month))
    if (year, mon) > (today.year, today.month):
        raise InvalidInput(_("--month {month} has not begun (today is {today}); a report is of a past month or this one")
                           .format(month=month.strip(), today=today.strftime("%d.%m.%Y")))


class _Progress:
    def __init__(self, total: int):
        from rich.progress import Progress

        self.p = Progress(transient=True)
        self.p.start()
        self.task = self.p.add_task("report", total=total)

    def advance(self, code: str) -> None:
        self.p.update(self.task, advance=1, description=code)

    def stop(self) -> None:
        self.p.stop()


def _progress(total: int):
    return _Progress(total) if sys.stderr.isatty() and total > 1 else None
