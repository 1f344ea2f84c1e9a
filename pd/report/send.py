"""Sending the reports [SPEC 8]: each institution's workbook, queued through the outbox."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..db.models import ReportRun
from ..errors import InvalidState
from ..i18n import N_, _, gettext_in
from ..latvian import STATUS_LABELS, format_dt, label
from ..notify.notices import store
from .rows import calendar_label, month_label

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk


# The Centre's overview is recorded in report_runs under this key (no institution has it).
OVERVIEW = "*overview"
# The Centre itself among the institutions of contacts.yaml (SPEC 12): its report
# recipients are the Centre's management, who get the overview too.
CENTRE = "IC"


def sent_before(month: str, institution: str) -> int:
    return ReportRun.select().where((ReportRun.month == month) & (ReportRun.institution == institution)).count()


def overview_recipients(desk: "Desk") -> list[str]:
    """The Centre's report recipients (contacts.yaml, institution IC); exit 4 when there are none."""
    inst = desk.contacts.institutions.get(CENTRE)
    if inst is None or not inst.report_recipients:
        raise InvalidState(_("contacts.yaml names no report recipients for the Centre ({code}), who get the "
                             "overview; add report_recipients to institution {code}").format(code=CENTRE))
    return list(inst.report_recipients)


def record_sent(desk: "Desk", month: str, institution: str, fingerprint: str, workbook: tuple[str, bytes],
                summary_text: str, resend: bool, anchor: str = "") -> int:
    """Queue the institution's report mail and record that the month was sent, in one transaction;
    returns the outbox message's id."""
    inst = desk.contacts.institution(institution)
    if not inst.report_recipients:
        raise InvalidState(_("{institution} has no report recipients in contacts.yaml").format(institution=institution))
    return _queue(desk, month, institution, "monthly_report", list(inst.report_recipients), fingerprint,
                  workbook, {"institution_name": inst.name, "summary": summary_text, "anchor": anchor}, resend)


def record_overview_sent(desk: "Desk", month: str, fingerprint: str, workbook: tuple[str, bytes],
                         summary_text: str, resend: bool, anchor: str = "") -> int:
    """Queue the overview to the Centre's report recipients, recorded as sent, in one transaction;
    returns the outbox message's id."""
    return _queue(desk, month, OVERVIEW, "monthly_report_overview", overview_recipients(desk), fingerprint, workbook,
           {"summary": summary_text, "anchor": anchor}, resend)


def _queue(desk: "Desk", month: str, key: str, kind: str, recipients: list[str], fingerprint: str,
           workbook: tuple[str, bytes], extra: dict, resend: bool) -> int:
    lang = desk.settings.lang if desk.settings.lang in ("lv", "en") else "lv"
    what = "overview" if key == OVERVIEW else key
    with desk.ledger.change() as ch:
        n = sent_before(month, key)
        if n and not resend:
            if key == OVERVIEW:
                raise InvalidState(_("the {month} overview was already sent; use --resend to send it again")
                                   .format(month=month))
            raise InvalidState(_("the {month} report of {institution} was already sent; use --resend to send it again")
                               .format(month=month, institution=key))
        ReportRun.create(month=month, institution=key, sent_at=ch.at, actor=desk.actor.login,
                         fingerprint=fingerprint, resend=n)
        ctx = {"desk_name": desk.contacts.desk.name, "desk_email": desk.contacts.desk.email,
               "desk_phone": desk.contacts.desk.phone, "month": month_label(month, lang), **extra}
        message = store(desk, ch, None, kind, lang, ctx, recipients, attachment=workbook)
        ch.event(None, "report_sent", actor=desk.actor.login, via="cli", data={
            "kind": kind, "month": month, "institution": what, "fingerprint": fingerprint, "resend": n,
            "recipients": sorted(set(recipients)), "sent_at": format_dt(ch.at),
            "audit_anchor": extra.get("anchor", "")})
    return message.id


_SUMMARY_WORDS = {
    "total": N_("Requests in total"),
    "received": N_("received this month"),
    "carried_over": N_("carried over"),
    "response": N_("Response deadline met"),
    "resolution": N_("Resolution deadline met"),
    "escalated": N_("Requests escalated this month"),
    "open": N_("Open at the month's end"),
    "median": N_("Median time to resolve"),
}


def summary_text(summary: dict, lang: str) -> str:
    """A short summary for the mail body."""
    w = {k: gettext_in(lang, v) for k, v in _SUMMARY_WORDS.items()}
    lines = [f"{w['total']}: {summary['total']}"]
    if "received" in summary:
        lines.append(f"  {w['received']}: {summary['received']}, {w['carried_over']}: {summary['carried_over']}")
    lines += [f"  {label(STATUS_LABELS, st, lang)}: {n}" for st, n in summary["by_status"].items() if n]
    for key in ("response", "resolution"):
        s = summary[key]
        if s["share"] is not None:
            lines.append(gettext_in(lang, N_("{figure}: {met} of {decided} ({share})")).format(
                figure=w[key], met=s["met"], decided=s["decided"], share=f"{s['share']:.0%}"))
    for h in summary.get("resolve_hours") or ():
        if h["median"] is not None:
            hours = f"{h['median']:.1f}".replace(".", ",") if lang == "lv" else f"{h['median']:.1f}"
            lines.append(f"{w['median']}, {calendar_label(h['calendar'], h['working_time'], lang)}: {hours} h")
    ages = summary.get("open_by_age")
    if ages:
        lines.append(f"{w['open']}: {sum(ages.values())}")
    if summary["escalated_requests"]:
        lines.append(f"{w['escalated']}: {summary['escalated_requests']}")
    return "\n".join(lines)
