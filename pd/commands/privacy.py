"""Personal data: pd privacy purge|export (SPEC 12, GDPR)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import Json, emit_json, out, say, state

TEXT = {
    "lv": {"retention": "--before {before}: pieteikumi, kas slēgti pēdējās {days} dienās (PD_RETENTION_DAYS), "
                        "vēl jāglabā; anonimizēt var tikai slēgtos līdz {limit}"},
    "en": {"retention": "--before {before}: requests closed in the last {days} days (PD_RETENTION_DAYS) are "
                        "still kept; only those closed before {limit} may be anonymised"},
}

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

    from ..latvian import parse_instant
    from ..maintenance import purge as do_purge

    st = state(ctx)
    limit = st.desk.now() - timedelta(days=st.settings.retention_days)
    when = parse_instant(before, st.settings.timezone) if before else limit
    if when > limit:  # irreversible: never a request still within its retention period (issue 18)
        from ..errors import InvalidInput
        from ..latvian import format_date

        raise InvalidInput(TEXT["en" if st.settings.lang == "en" else "lv"]["retention"].format(
            before=before, days=st.settings.retention_days, limit=format_date(limit, st.settings.timezone)))
    result = do_purge(st.desk, when, dry_run=dry_run)
    if as_json:
        emit_json(result)
    elif result["requests"]:
        out(f"{'Would anonymise' if dry_run else 'Anonymised'} {result['requests']} request(s) closed before {when:%d.%m.%Y}")


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
    say(f"{len(data['requests'])} request(s), {len(data['messages'])} message(s)")
