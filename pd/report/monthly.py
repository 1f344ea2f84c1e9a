"""``pd report monthly`` without the command line: every institution's file and the overview.

The command (``pd/commands/report.py``) checks the options and prints; this
module reads the ledger, writes the files (0640, in a 0750 directory) and,
with ``send``, queues the mails through the outbox.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..audit import anchor as audit_anchor
from ..errors import ConfigError, InvalidInput, InvalidState
from ..i18n import _
from . import csv_json, ledger
from . import send as sending
from .files import NO_SPACE, make_dir, run_dir
from .measures import SummaryBuilder
from .rows import ReportMeta
from .xlsx import temporary_files_in, write_institution_workbook, write_overview_workbook

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk

FORMATS = ("xlsx", "csv", "json")


@dataclass
class MonthlyResult:
    month: str
    files: list[str] = field(default_factory=list)
    institutions: list[tuple[str, str, dict]] = field(default_factory=list)
    overview: dict = field(default_factory=dict)
    anchor: str = ""
    messages: set[int] = field(default_factory=set)  # the report mails queued (--send)


def make_reports(desk: "Desk", month: str, codes: list[str], out_dir: Path, fmt: str, lang: str, *,
                 send: bool = False, resend: bool = False,
                 progress: Callable[[str], None] | None = None) -> MonthlyResult:
    """Write the month's reports for ``codes`` (in that order) and the overview into ``out_dir``.

    Everything that can refuse is checked before the first file is written:
    the month, the recipients, a month already sent."""

    tz = desk.settings.timezone
    try:
        sel = ledger.select_month(month, tz)
    except ValueError:
        raise InvalidInput(_("--month {month!r} is not a month (YYYY-MM)").format(month=month)) from None
    contacts = desk.contacts
    if send:
        sending.overview_recipients(desk)
        missing = [c for c in codes if not contacts.institutions[c].report_recipients]
        if missing:
            raise InvalidState(_("no report recipients in contacts.yaml for {institutions}").format(
                institutions=", ".join(missing)))
        already = [c for c in codes if sending.sent_before(month, c)]
        if sending.sent_before(month, sending.OVERVIEW):
            already.append(_("the overview"))
        if already and not resend:
            raise InvalidState(_("the {month} report was already sent to {institutions}; use --resend").format(
                month=month, institutions=", ".join(already)))
    try:
        make_dir(out_dir)
    except OSError as exc:
        raise ConfigError(_("--out {path}: {error}").format(path=out_dir, error=exc.strerror or exc)) from None



    try:
        with run_dir(out_dir) as tmp:
            if fmt == "xlsx":

                scratch = temporary_files_in(tmp)
            else:
                scratch = nullcontext()
            with scratch:
                now = desk.now()
                anchor = audit_anchor()
                meta0 = ReportMeta(institution_code="", institution_name="", month=month, generated_at=now,
                                   catalog_version=desk.catalog.version, contacts_version=contacts.version, lang=lang,
                                   anchor=anchor)
                trend = ledger.trend(desk, month, tz)
                result = MonthlyResult(month=month, anchor=anchor)
                totals = SummaryBuilder(end=sel.end)
                refused: list = []
                sends: list[tuple[str, str, tuple[str, bytes], dict]] = []
                for code in codes:
                    inst = contacts.institutions[code]
                    meta = replace(meta0, institution_code=code, institution_name=inst.name)
                    rows = _tee_refused(ledger.rows_for(desk, sel, code), refused)
                    escalations, earlier = ledger.split_escalations(ledger.escalations_for(desk, sel, code), sel)
                    path = out_dir / f"pd-{month}-{code}.{fmt}"
                    if fmt == "xlsx":

                        summary = write_institution_workbook(path, meta, rows, totals=totals, end=sel.end,
                                                             trend=trend.get(code, ()), escalations=escalations,
                                                             earlier_escalations=earlier)
                    elif fmt == "csv":
                        b = SummaryBuilder(fingerprint=True, end=sel.end)
                        csv_json.write_csv_file(path, _fed(rows, b, totals), lang)
                        summary = dict(b.result(), fingerprint=b.fingerprint())
                        summary_path = out_dir / f"pd-{month}-{code}-summary.csv"
                        csv_json.write_summary_csv(summary_path, summary, lang)
                        result.files.append(str(summary_path))
                    else:
                        rows = list(_fed(rows, None, totals))
                        doc = csv_json.rows_to_json(rows, meta, end=sel.end, trend=trend.get(code, ()),
                                                    escalations=escalations, earlier_escalations=earlier)
                        csv_json.write_json_file(path, doc)
                        summary = dict(doc["summary"], fingerprint=doc["fingerprint"])
                    result.institutions.append((code, inst.name, summary))
                    result.files.append(str(path))
                    if send:
                        sends.append((code, summary["fingerprint"], (path.name, path.read_bytes()), summary))
                    if progress:
                        progress(code)

                overview = out_dir / f"pd-{month}-overview.{fmt}"
                centre = replace(meta0, institution_code="IC",
                                 institution_name=contacts.institutions["IC"].name if "IC" in contacts.institutions
                                 else "Informācijas centrs")
                total = totals.result()
                all_esc, all_earlier = ledger.split_escalations(ledger.escalations_for(desk, sel, None), sel)
                if fmt == "xlsx":

                    total = write_overview_workbook(overview, centre, result.institutions, refused, total=total,
                                                    trend=trend.get(None, ()), escalations=all_esc,
                                                    earlier_escalations=all_earlier, open_rows=totals.open_rows)
                elif fmt == "json":
                    doc = {"month": month, "audit_anchor": anchor,
                           "institutions": [{"code": c, "name": n, "summary": s} for c, n, s in result.institutions],
                           "total": total, "summary": total,
                           "open_at_end": [dict(csv_json.open_to_dict(r, lang), institution=r.institution)
                                           for r in totals.open_rows],
                           "trend": trend.get(None, []), "comparison": csv_json.comparison(trend.get(None, [])),
                           "escalations": [csv_json.escalation_to_dict(e, lang) for e in all_esc],
                           "earlier_escalations": [csv_json.escalation_to_dict(e, lang) for e in all_earlier]}
                    csv_json.write_json_file(overview, doc)
                else:
                    csv_json.write_overview_csv(overview, result.institutions, lang)
                    summary_path = out_dir / f"pd-{month}-overview-summary.csv"
                    csv_json.write_summary_csv(summary_path, total, lang)
                    result.files.append(str(summary_path))
                result.overview = total
                result.files.append(str(overview))

                for code, fp, workbook, summary in sends:
                    result.messages.add(sending.record_sent(desk, month, code, fp, workbook,
                                                            sending.summary_text(summary, lang), resend, anchor=anchor))
                if send:
                    result.messages.add(sending.record_overview_sent(desk, month, total.get("fingerprint", ""),
                                                                     (overview.name, overview.read_bytes()),
                                                                     sending.summary_text(total, lang), resend,
                                                                     anchor=anchor))
                return result
    except OSError as exc:
        # One line, no traceback; the files of this run that were half-written are gone (each is
        # renamed into place only when whole), and the reports sent stand as they were.
        where = exc.filename or out_dir
        if exc.errno in NO_SPACE:
            raise ConfigError(_("--out {path}: no room left to write {file} ({error}); free some space and run it "
                                "again").format(path=out_dir, file=where, error=exc.strerror)) from None
        raise ConfigError(_("--out {path}: cannot write {file}: {error}").format(
            path=out_dir, file=where, error=exc.strerror or exc)) from None


def _tee_refused(rows, refused: list):
    for r in rows:
        if r.status == "refused":
            refused.append(r)
        yield r


def _fed(rows, builder, totals):
    for r in rows:
        if builder is not None:
            builder.add(r)
        totals.add(r)
        yield r
