"""A request's history in words, in Latvian or English (`pd show`), with people by name.

Each event kind has one sentence per language; the event's data fill it. A kind not known
here (added by a later feature) is shown by its name and data, so nothing is ever hidden.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from .latvian import CHANNEL_LABELS, ESCALATION_REASON_LABELS, STATUS_LABELS, format_date, label

SHOW_LABELS: dict[str, dict[str, str]] = {
    "lv": {
        "service": "Pakalpojums", "requester": "Pieteicējs", "contacts": "Kontakti", "location": "Vieta",
        "username": "Lietotājvārds", "channel": "Saņemts pa", "received": "Saņemts", "expert": "Eksperts",
        "respond_by": "Reaģēt līdz", "resolve_by": "Izpildīt līdz", "planned": "Plānots", "result": "Rezultāts",
        "refused": "Noraidīts", "ict": "IKT kontakts", "escalated": "Eskalēts", "description": "Apraksts",
        "history": "Vēsture", "urgent": "STEIDZAMI", "late": "NOKAVĒTS", "when": "kad", "who": "kas",
        "what": "notikums", "level": "līmenis", "room": "telpa",
    },
    "en": {
        "service": "Service", "requester": "Requester", "contacts": "Contacts", "location": "Location",
        "username": "Username", "channel": "Channel", "received": "Received", "expert": "Expert",
        "respond_by": "Respond by", "resolve_by": "Resolve by", "planned": "Planned", "result": "Result",
        "refused": "Refused", "ict": "ICT contact", "escalated": "Escalated", "description": "Description",
        "history": "History", "urgent": "URGENT", "late": "LATE", "when": "when", "who": "who",
        "what": "what happened", "level": "level", "room": "room",
    },
}

_WORDS: dict[str, dict[str, str]] = {
    "lv": {
        "registered": "reģistrēja ({service}, {channel}{urgent})",
        "assigned": "nodeva {to_expert}; reaģēt līdz {response_due}, izpildīt līdz {resolution_due}",
        "reassigned": "pārnodeva {to_expert} ({reason}); reaģēt līdz {response_due}, izpildīt līdz {resolution_due}",
        "accepted": "pieņēma izskatīšanai",
        "rejected": "atgrieza Pakalpojumu dienestam: {reason}",
        "waiting": "jautāja lietotājam: {question}",
        "resumed": "turpina: lietotājs atbildēja{answer}; izpildīt līdz {resolution_due}",
        "note": "piezīme: {text}",
        "delay_reported": "ziņoja par kavējumu ({delay_reason}; plānots {planned_date}): {text}",
        "resolved": "izpildīja: {result}",
        "closed": "slēdza{auto}",
        "reopened": "atvēra no jauna: {reason}",
        "refused": "noraidīja (nav Centra kompetencē): {reason}",
        "escalated": "eskalēja {to_manager} ({level}. līmenis): {reason}{note}",
        "mail_skipped": "e-pasts netika nosūtīts: {reason}",
        "mail_received": "saņemts e-pasts{flag}{from_}: {text}",
        "intake_registered": "reģistrēja no e-pasta{from_}",
        "intake_received": "saņemts e-pasts slēgtam pieteikumam{from_} (jauns ienākošais vienums {intake})",
        "reminded": "atgādināja {to_expert} par tuvojošos {deadline_gen} ({due})",
        "mail_seen": "operators izskatīja saņemtos e-pastus",
        "mail_bounced": "e-pasts nav piegādāts: {failed}",
        "privacy_purged": "pieteicēja personas dati anonimizēti",
        "_flag_answer": " (lietotāja atbilde)", "_flag_objection": " (iespējams iebildums)",
        "_flag_expert": " (eksperta vārds)", "_flag_command": " (eksperta komanda, izpildīta)",
        "_note": "; operatora piezīme: {note}", "_from": " no {who} «{subject}»",
        "_response": "reaģēšanas termiņu", "_resolution": "izskatīšanas termiņu",
        "_on_behalf": " (eksperta vārdā: {who})", "_urgent": ", steidzami", "_auto": " automātiski",
    },
    "en": {
        "registered": "registered it ({service}, {channel}{urgent})",
        "assigned": "assigned it to {expert}; respond by {response_due}, resolve by {resolution_due}",
        "reassigned": "reassigned it to {expert} ({reason}); respond by {response_due}, resolve by {resolution_due}",
        "accepted": "accepted it for resolution",
        "rejected": "returned it to the desk: {reason}",
        "waiting": "asked the user: {question}",
        "resumed": "resumed: the user answered{answer}; resolve by {resolution_due}",
        "note": "noted: {text}",
        "delay_reported": "reported a delay ({delay_reason}; planned for {planned_date}): {text}",
        "resolved": "resolved it: {result}",
        "closed": "closed it{auto}",
        "reopened": "reopened it: {reason}",
        "refused": "refused it (outside the Centre's competence): {reason}",
        "escalated": "escalated it to {manager} (level {level}): {reason}{note}",
        "mail_skipped": "no e-mail was sent: {reason}",
        "mail_received": "e-mail received{flag}{from_}: {text}",
        "intake_registered": "registered it from e-mail{from_}",
        "intake_received": "e-mail to the closed request{from_} (new intake item {intake})",
        "reminded": "reminded {expert} of the {deadline} deadline ({due})",
        "mail_seen": "the operator saw the mail received",
        "mail_bounced": "e-mail not delivered: {failed}",
        "privacy_purged": "the requester's personal data anonymised",
        "_flag_answer": " (the user's answer)", "_flag_objection": " (possibly an objection)",
        "_flag_expert": " (the expert's word)", "_flag_command": " (the expert's command, done)",
        "_note": "; the operator's note: {note}", "_from": " from {who} “{subject}”",
        "_response": "response", "_resolution": "resolution",
        "_on_behalf": " (for the expert {who})", "_urgent": ", urgent", "_auto": " automatically",
    },
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "-"


def describe(ev: dict[str, Any], lang: str, *, name_of: Callable[[str | None], str], when: Callable[[str], str]) -> str:
    """One event (`pd.views.event_dict`) as a sentence; `name_of` turns a login into a name,
    `when` an ISO instant into dd.mm.yyyy hh:mm."""
    lang = lang if lang in _WORDS else "en"
    words = _WORDS[lang]
    data = dict(ev.get("data") or {})
    template = words.get(ev["kind"])
    if template is None:  # a kind this version does not know: its name and data, as they are
        shown = "; ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", []))
        return f"{ev['kind']}" + (f": {shown}" if shown else "")
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

                values["to_" + k] = ", ".join(declension.to_person(getattr(declension, role), n) for n in names)
    if data.get("channel"):
        values["channel"] = label(CHANNEL_LABELS, data["channel"], lang)
    if ev["kind"] == "escalated" and data.get("reason"):
        values["reason"] = label(ESCALATION_REASON_LABELS, data["reason"], lang)
    values["urgent"] = words["_urgent"] if data.get("urgent") else ""
    values["auto"] = words["_auto"] if data.get("auto") else ""
    values["answer"] = f": {data['answer']}" if data.get("answer") else ""
    values["flag"] = words.get(f"_flag_{data.get('flag')}", "")
    values["note"] = words["_note"].format(note=data["note"]) if data.get("note") else ""
    values["from_"] = _sender(data, words, lang) if (data.get("from") or data.get("subject")) else ""
    if ev["kind"] == "reminded":
        values["deadline_gen"] = words.get("_" + str(data.get("deadline")), data.get("deadline") or "-")
        values["due"] = when(data["due"]) if data.get("due") else "-"
    if isinstance(data.get("failed"), list):
        values["failed"] = ", ".join(map(str, data["failed"]))
    text = template.format_map(values)
    if ev.get("on_behalf_of"):
        text += words["_on_behalf"].format(who=name_of(ev["on_behalf_of"]))
    return text


def _sender(data: dict, words: dict, lang: str) -> str:
    """" no Ingas Pūpolas <inga.pupola@vugd.gov.lv> «Re: …»": the sender in the genitive where the name
    declines simply, else as written."""
    from email.utils import parseaddr  # lazy: ~10M instructions of pd show's start-up; only a mail's sender needs it

    raw = str(data.get("from") or "")
    name, addr = parseaddr(raw)
    who = raw or "?"
    if lang == "lv" and name:

        from .notify.wording import genitive  # lazy: (as in Desk.tell) only a mail's sender

        gen = genitive(name)
        who = f"{gen} <{addr}>" if gen else f"sūtītāja {name} <{addr}>"
    return words["_from"].format(who=who, subject=data.get("subject") or "—")


def status_label(status: str, lang: str) -> str:
    return label(STATUS_LABELS, status, lang)
