"""The monthly report [§11]: pd report monthly (SPEC 8)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import Json, emit_json, out, say, state

report_app = typer.Typer(help="Reports for the institutions and the Centre [§11].", no_args_is_help=True)


@report_app.command("monthly")
def monthly(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (Riga time); default the previous month.")] = None,
    institution: Annotated[Optional[list[str]], typer.Option("--institution", help="Only these institutions (repeatable); default all.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the files.", file_okay=False)] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="xlsx, csv or json.")] = "xlsx",
    lang: Annotated[Optional[str], typer.Option(help="lv or en (default PD_LANG).")] = None,
    send: Annotated[bool, typer.Option("--send", help="E-mail each institution its workbook (supervisors only).")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="With --send: send a month that was sent before.")] = False,
    as_json: Json = False,
) -> None:
    """Write one report per institution (its own users' requests only) and the Centre's overview.

    Files: pd-2026-10-VP.xlsx … and pd-2026-10-overview.xlsx (or .csv / .json).
    Example: pd report monthly --month 2026-10 --out reports/ --send
    """
    from dataclasses import replace

    from ..errors import InvalidInput
    from ..latvian import lv_sort_key, to_local
    from ..ledger import utcnow
    from ..report import ReportMeta, SummaryBuilder, previous_month, rows_to_json, write_csv
    from ..reporting import record_sent, rows_for, select_month, summary_text

    st = state(ctx)
    desk = st.desk
    desk.require("supervisor", what="run the monthly reports [§11]")
    if fmt not in ("xlsx", "csv", "json"):
        raise InvalidInput(f"--format must be xlsx, csv or json, not {fmt!r}")
    if send and fmt != "xlsx":
        raise InvalidInput("--send attaches the xlsx workbook: use --format xlsx")
    lang = (lang or st.settings.lang or "lv").lower()
    if lang not in ("lv", "en"):
        raise InvalidInput(f"--lang must be lv or en, not {lang!r}")
    tz = st.settings.timezone
    now = utcnow()
    month = month or previous_month(to_local(now, tz).date())
    try:
        sel = select_month(month, tz)
    except ValueError as exc:
        raise InvalidInput(f"--month {month!r}: {exc}") from None
    contacts = desk.contacts
    codes = [c.upper() for c in institution] if institution else list(contacts.institutions)
    for c in codes:
        contacts.institution(c)
    codes = sorted(codes, key=lambda c: lv_sort_key(contacts.institutions[c].name))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from ..errors import ConfigError

        raise ConfigError(f"--out {out_dir}: {exc.strerror}") from None
    if send:
        from ..reporting import sent_before

        already = [c for c in codes if sent_before(month, c)]
        if already and not resend:
            from ..errors import InvalidState

            raise InvalidState(f"the {month} report was already sent to {', '.join(already)}; use --resend")
    meta0 = ReportMeta(institution_code="", institution_name="", month=month, generated_at=now,
                       catalog_version=desk.catalog.version, contacts_version=contacts.version, lang=lang)
    totals = SummaryBuilder()
    per_inst: list[tuple[str, str, dict]] = []
    refused = []
    files: list[str] = []
    progress = _progress(len(codes))
    try:
        for code in codes:
            inst = contacts.institutions[code]
            meta = replace(meta0, institution_code=code, institution_name=inst.name)
            rows = _tee_refused(rows_for(desk, sel, code), refused)
            path = out_dir / f"pd-{month}-{code}.{fmt}"
            if fmt == "xlsx":
                from ..report_xlsx import write_institution_workbook

                summary = write_institution_workbook(path, meta, rows, totals=totals)
            elif fmt == "csv":
                rows = list(rows)
                b = SummaryBuilder(fingerprint=True)
                for r in rows:
                    b.add(r)
                    totals.add(r)
                with open(path, "w", encoding="utf-8-sig", newline="") as fh:
                    write_csv(fh, rows, lang)
                summary = dict(b.result(), fingerprint=b.fingerprint())
            else:
                rows = list(rows)
                for r in rows:
                    totals.add(r)
                doc = rows_to_json(rows, meta)
                import json

                path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
                summary = dict(doc["summary"], fingerprint=doc["fingerprint"])
            per_inst.append((code, inst.name, summary))
            files.append(str(path))
            if send:
                record_sent(desk, month, code, summary["fingerprint"], (path.name, path.read_bytes()),
                            summary_text(summary, lang), resend)
            if progress:
                progress.advance(code)
        overview = out_dir / f"pd-{month}-overview.{fmt}"
        if fmt == "xlsx":
            from ..report_xlsx import write_overview_workbook

            write_overview_workbook(overview, replace(meta0, institution_code="IC",
                                                      institution_name="Visas iestādes" if lang == "lv" else "All institutions"),
                                    per_inst, refused, total=totals.result())
        else:
            import json

            doc = {"month": month, "institutions": [{"code": c, "name": n, "summary": s} for c, n, s in per_inst],
                   "total": totals.result()}
            if fmt == "json":
                overview.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
            else:
                _overview_csv(overview, per_inst, lang)
        files.append(str(overview))
    finally:
        if progress:
            progress.stop()
    sent = None
    if send:
        from .escalate import _send_quietly

        sent = _send_quietly(st, desk.now())
    if as_json:
        emit_json({"month": month, "files": files, "institutions": [
            {"code": c, "name": n, "total": s["total"], "fingerprint": s["fingerprint"]} for c, n, s in per_inst],
            "sent": send, "mail_sent": sent})
        return
    for f in files:
        out(f)
    if send:
        say(f"Queued the {month} report for {len(per_inst)} institution(s)"
            + (f"; {sent} message(s) sent" if sent is not None else "; pd mail send delivers them"))


def _tee_refused(rows, refused: list):
    for r in rows:
        if r.status == "refused":
            refused.append(r)
        yield r


def _overview_csv(path: Path, per_inst, lang: str) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Iestāde", "Nosaukums", "Kopā", "Reaģēšana ievērota", "Izskatīšana ievērota", "Eskalēti"]
                   if lang == "lv" else ["Institution", "Name", "Total", "Response met", "Resolution met", "Escalated"])
        for code, name, s in per_inst:
            w.writerow([code, name, s["total"], s["response"]["met"], s["resolution"]["met"], s["escalated_requests"]])


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
