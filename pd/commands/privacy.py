"""Personal data: pd privacy purge|export (SPEC 12, GDPR)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..i18n import _, ngettext
from .common import Json, emit_json, out, say, state

privacy_app = typer.Typer(help="Personal data: retention and a person's data (GDPR).", no_args_is_help=True)


@privacy_app.command("purge")
def purge(
    ctx: typer.Context,
    before: Annotated[Optional[str], typer.Option(help="Anonymise requests closed before this date (YYYY-MM-DD); default: now minus PD_RETENTION_DAYS.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be anonymised.")] = False,
    as_json: Json = False,
) -> None:
    """Anonymise the requester of old closed requests, keeping the statistics (admins).

    Example: pd privacy purge --before 2021-01-01 --dry-run
    """
    from datetime import timedelta

    from ..latvian import format_date, parse_instant
    from ..maintenance import purge as do_purge

    st = state(ctx)
    limit = st.desk.now() - timedelta(days=st.settings.retention_days)
    when = parse_instant(before, st.settings.timezone) if before else limit
    if when > limit:  # irreversible: never a request still within its retention period (issue 18)
        from ..errors import InvalidInput

        raise InvalidInput(ngettext(
            "--before {before}: requests closed in the last {days} day (PD_RETENTION_DAYS) are still kept; only "
            "those closed before {limit} may be anonymised",
            "--before {before}: requests closed in the last {days} days (PD_RETENTION_DAYS) are still kept; only "
            "those closed before {limit} may be anonymised", st.settings.retention_days).format(
            before=before, days=st.settings.retention_days, limit=format_date(limit, st.settings.timezone)))
    result = do_purge(st.desk, when, dry_run=dry_run)
    if as_json:
        emit_json(result)
    elif result["requests"]:
        n, day = result["requests"], format_date(when, st.settings.timezone)
        out(ngettext("Would anonymise {n} request closed before {date}",
                     "Would anonymise {n} requests closed before {date}", n).format(n=n, date=day) if dry_run else
            ngettext("Anonymised {n} request closed before {date}",
                     "Anonymised {n} requests closed before {date}", n).format(n=n, date=day))


@privacy_app.command("export")
def export(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="The person's e-mail address.")],
) -> None:
    """Everything the ledger holds about one person, as JSON (GDPR Art. 15).

    Example: pd privacy export --email janis.berzins@vp.gov.lv > janis.json
    """
    from ..maintenance import export_person

    data = export_person(state(ctx).desk, email)
    emit_json(data)
    requests = ngettext("{n} request", "{n} requests", len(data["requests"])).format(n=len(data["requests"]))
    messages = ngettext("{n} message", "{n} messages", len(data["messages"])).format(n=len(data["messages"]))
    say(_("Exported: {requests}, {messages}").format(requests=requests, messages=messages))
