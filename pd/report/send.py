"""Sending the reports [SPEC 8]: each institution's workbook, queued through the outbox."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk


def sent_before(month: str, institution: str) -> int:
    from ..db.models import ReportRun

    return ReportRun.select().where((ReportRun.month == month) & (ReportRun.institution == institution)).count()


def record_sent(desk: "Desk", month: str, institution: str, fingerprint: str, workbook: tuple[str, bytes],
                summary_text: str, resend: bool) -> None:
    """Queue the institution's report mail and record that the month was sent, in one transaction."""
    from ..db.models import ReportRun
    from ..errors import InvalidState
    from ..latvian import format_dt
    from ..mail.notices import store
    from .rows import month_label

    inst = desk.contacts.institution(institution)
    lang = desk.settings.lang if desk.settings.lang in ("lv", "en") else "lv"
    with desk.ledger.change() as ch:
        n = sent_before(month, institution)
        if n and not resend:
            raise InvalidState(f"the {month} report of {institution} was already sent; use --resend to send it again")
        if not inst.report_recipients:
            raise InvalidState(f"{institution} has no report recipients in contacts.yaml")
        ReportRun.create(month=month, institution=institution, sent_at=ch.at, actor=desk.actor.login,
                         fingerprint=fingerprint, resend=n)
        ctx = {"desk_name": desk.contacts.desk.name, "desk_email": desk.contacts.desk.email,
               "desk_phone": desk.contacts.desk.phone, "institution_name": inst.name,
               "month": month_label(month, lang), "summary": summary_text}
        store(desk, ch, None, "monthly_report", lang, ctx, list(inst.report_recipients), attachment=workbook)
        ch.event(None, "report_sent", actor=desk.actor.login, via="cli", data={
            "month": month, "institution": institution, "fingerprint": fingerprint, "resend": n,
            "recipients": list(inst.report_recipients), "sent_at": format_dt(ch.at)})


_SUMMARY_WORDS = {
    "lv": {"total": "Pieteikumu kopā", "response": "Reaģēšanas termiņš ievērots",
           "resolution": "Izskatīšanas termiņš ievērots", "of": "no", "escalated": "Eskalēti pieteikumi"},
    "en": {"total": "Requests in total", "response": "Response deadline met",
           "resolution": "Resolution deadline met", "of": "of", "escalated": "Escalated requests"},
}


def summary_text(summary: dict, lang: str) -> str:
    """A short summary for the mail body."""
    from ..latvian import STATUS_LABELS, label

    w = _SUMMARY_WORDS[lang]
    lines = [f"{w['total']}: {summary['total']}"]
    lines += [f"  {label(STATUS_LABELS, st, lang)}: {n}" for st, n in summary["by_status"].items() if n]
    for key in ("response", "resolution"):
        s = summary[key]
        if s["share"] is not None:
            lines.append(f"{w[key]}: {s['met']} {w['of']} {s['decided']} ({s['share']:.0%})")
    if summary["escalated_requests"]:
        lines.append(f"{w['escalated']}: {summary['escalated_requests']}")
    return "\n".join(lines)
