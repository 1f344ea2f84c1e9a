"""A request's history in words, in Latvian or English (`pd show`), with people by name.

Each event kind has one sentence (an English msgid, its Latvian in pd.po); the event's data fill it. A kind not known
here (added by a later feature) is shown by its name and data, so nothing is ever hidden.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from .i18n import N_, gettext_in
from .latvian import CHANNEL_LABELS, ESCALATION_REASON_LABELS, LANGUAGES, STATUS_LABELS, Labels, format_date, label

# The labels of `pd show` (English msgids; the Latvian is in pd.po).
SHOW_LABELS = Labels({
    "service": N_("Service"), "requester": N_("Requester"), "contacts": N_("Contacts"), "location": N_("Location"),
    "username": N_("Username"), "channel": N_("Channel"), "received": N_("Received"), "expert": N_("Expert"),
    "respond_by": N_("Respond by"), "resolve_by": N_("Resolve by"), "planned": N_("Planned"), "result": N_("Result"),
    "refused": N_("Refused"), "ict": N_("ICT contact"), "escalated": N_("Escalated"), "description": N_("Description"),
    "history": N_("History"), "urgent": N_("URGENT"), "late": N_("LATE"), "when": N_("when"), "who": N_("who"),
    "what": N_("what happened"), "level": N_("level"), "room": N_("room"),
})

# One sentence per event kind (and per variant: "_urgent", "_auto" …). {expert} and {manager} are the
# names; in Latvian they come declined with the role ("ekspertam Jānim Bērziņam"), see describe().
_WORDS: dict[str, str] = {
    "registered": N_("registered it ({service}, {channel})"),
    "registered_urgent": N_("registered it ({service}, {channel}, urgent)"),
    "assigned": N_("assigned it to {expert}; respond by {response_due}, resolve by {resolution_due}"),
    "reassigned": N_("reassigned it to {expert} ({reason}); respond by {response_due}, resolve by {resolution_due}"),
    "accepted": N_("accepted it for resolution"),
    "rejected": N_("returned it to the desk: {reason}"),
    "waiting": N_("asked the user: {question}"),
    "resumed": N_("resumed: the user answered; resolve by {resolution_due}"),
    "resumed_answer": N_("resumed: the user answered: {answer}; resolve by {resolution_due}"),
    "note": N_("noted: {text}"),
    "delay_reported": N_("reported a delay ({delay_reason}; planned for {planned_date}): {text}"),
    "resolved": N_("resolved it: {result}"),
    "closed": N_("closed it"),
    "closed_auto": N_("closed it automatically"),
    "reopened": N_("reopened it: {reason}"),
    "refused": N_("refused it (outside the Centre's competence): {reason}"),
    "escalated": N_("escalated it to {manager} (level {level}): {reason}{note}"),
    "mail_skipped": N_("no e-mail was sent: {reason}"),
    "mail_received": N_("e-mail received{flag}{from_}: {text}"),
    "intake_registered": N_("registered it from e-mail{from_}"),
    "intake_received": N_("e-mail to the closed request{from_} (new intake item {intake})"),
    "reminded_response": N_("reminded {expert} of the response deadline ({due})"),
    "reminded_resolution": N_("reminded {expert} of the resolution deadline ({due})"),
    "reminded": N_("reminded {expert} of the {deadline} deadline ({due})"),
    "mail_seen": N_("the operator saw the mail received"),
    "mail_bounced": N_("e-mail not delivered: {failed}"),
    "privacy_purged": N_("the requester's personal data anonymised"),
    # pieces of the sentences above
    "_flag_answer": N_(" (the user's answer)"), "_flag_objection": N_(" (possibly an objection)"),
    "_flag_expert": N_(" (the expert's word)"), "_flag_command": N_(" (the expert's command, done)"),
    "_note": N_("; the operator's note: {note}"), "_from": N_(" from {who} “{subject}”"),
    "_on_behalf": N_(" (for the expert {who})"),
}
_SENDER = N_("sender {name} <{address}>")  # Latvian only: a sender whose name has no simple genitive


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "-"


def describe(ev: dict[str, Any], lang: str, *, name_of: Callable[[str | None], str], when: Callable[[str], str]) -> str:
    """One event (`pd.views.event_dict`) as a sentence in `lang`; `name_of` turns a login into a name,
    `when` an ISO instant into dd.mm.yyyy hh:mm."""
    lang = lang if lang in LANGUAGES else "en"

    def words(key: str) -> str:
        return gettext_in(lang, _WORDS[key])

    data = dict(ev.get("data") or {})
    kind = ev["kind"]
    if kind not in _WORDS or kind.startswith("_"):  # a kind this version does not know: its name and data
        shown = "; ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", []))
        return f"{kind}" + (f": {shown}" if shown else "")
    key = kind
    if kind == "registered" and data.get("urgent"):
        key = "registered_urgent"
    elif kind == "closed" and data.get("auto"):
        key = "closed_auto"
    elif kind == "resumed" and data.get("answer"):
        key = "resumed_answer"
    elif kind == "reminded" and data.get("deadline") in ("response", "resolution"):
        key = "reminded_" + data["deadline"]
    values = _Blank({k: v for k, v in data.items() if v not in (None, "")})
    for k in ("response_due", "resolution_due"):
        if data.get(k):
            values[k] = when(data[k])
    if data.get("planned_date"):

        values["planned_date"] = format_date(date.fromisoformat(data["planned_date"]))
    for k, role in (("expert", "EXPERT"), ("manager", "MANAGER")):
        if data.get(k):
            names = [name_of(x) for x in str(data[k]).split(",")]
            values[k] = ", ".join(names)
            if lang == "lv":  # "nodeva ekspertam Jānim Bērziņam", "vadītājai Ilzei Šķēlei"

                from .notify import wording as declension  # lazy: (as in Desk.tell) only an assignment's line

                values[k] = ", ".join(declension.to_person(getattr(declension, role), n) for n in names)
    if data.get("channel"):
        values["channel"] = label(CHANNEL_LABELS, data["channel"], lang)
    if kind == "escalated" and data.get("reason"):
        values["reason"] = label(ESCALATION_REASON_LABELS, data["reason"], lang)
    flag = f"_flag_{data.get('flag')}"
    values["flag"] = words(flag) if flag in _WORDS else ""
    values["note"] = words("_note").format(note=data["note"]) if data.get("note") else ""
    values["from_"] = _sender(data, words("_from"), lang) if (data.get("from") or data.get("subject")) else ""
    if kind == "reminded":
        values["due"] = when(data["due"]) if data.get("due") else "-"
    if isinstance(data.get("failed"), list):
        values["failed"] = ", ".join(map(str, data["failed"]))
    text = words(key).format_map(values)
    if ev.get("on_behalf_of"):
        text += words("_on_behalf").format(who=name_of(ev["on_behalf_of"]))
    return text


def _sender(data: dict, template: str, lang: str) -> str:
    """" no Ingas Pūpolas <inga.pupola@vugd.gov.lv> «Re: …»": the sender in the genitive where the name
    declines simply, else as written."""
    from email.utils import parseaddr  # lazy: ~10M instructions of pd show's start-up; only a mail's sender needs it

    raw = str(data.get("from") or "")
    name, addr = parseaddr(raw)
    who = raw or "?"
    if lang == "lv" and name:

        from .notify.wording import genitive  # lazy: (as in Desk.tell) only a mail's sender

        gen = genitive(name)
        who = f"{gen} <{addr}>" if gen else gettext_in(lang, _SENDER).format(name=name, address=addr)
    return template.format(who=who, subject=data.get("subject") or "—")


def status_label(status: str, lang: str) -> str:
    return label(STATUS_LABELS, status, lang)
