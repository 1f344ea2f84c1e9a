"""The expert's word by mail (SPEC 15) [§9.2, §9.3, §9.6]: `PIEŅEMU`/`ACCEPT`, `NORAIDU`/`REJECT`
and the reason, `IZPILDĪTS`/`RESOLVED` and the result, `KAVĒJAS`/`DELAYED dd.mm.yyyy` and the reason,
as the first line of what the expert wrote (case and diacritics do not matter).

It acts only when (1) the mail is from the assigned expert's address in the contacts in force,
(2) it answers a message the desk sent to that expert about that request (its Message-ID in
In-Reply-To or References: nobody else has seen it), and (3) it is not automatic (such mail never
gets here: the intake sets it aside first). See docs/security.md for what a forged From can do.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ..db.models import OutboxMessage as M
from ..i18n import N_, gettext_in
from ..replytext import what_they_wrote

#: The command words, without diacritics and in capitals -> the command.
WORDS = {"PIENEMU": "accept", "ACCEPT": "accept", "NORAIDU": "reject", "REJECT": "reject",
         "IZPILDITS": "resolve", "RESOLVED": "resolve", "KAVEJAS": "delay", "DELAYED": "delay", "DELAY": "delay"}

def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).upper()


@dataclass
class Command:
    name: str       # accept | reject | resolve | delay
    word: str       # as written
    text: str       # the reason or result (the rest of the first line, else the next lines)
    planned: date | None = None
    problem: str = ""  # why it cannot be done as written (a date missing, a reason missing)


_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?$")


def parse(text: str) -> Command | None:
    """The command in the first line of what the expert wrote, or None (then it is an ordinary mail)."""
    body = what_they_wrote(text)  # the quoted history and the signature cut off (pd.replytext)
    lines = [ln.strip() for ln in body.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        return None
    first = lines[0]
    word, _, rest = first.partition(" ")
    name = WORDS.get(_plain(word.rstrip(":.,!")))
    if name is None:
        return None
    rest = rest.strip(" :-–—")
    more = "\n".join(lines[1:]).strip()
    cmd = Command(name, word.rstrip(":.,!"), rest)
    if name == "delay":
        when, _, reason = rest.partition(" ")
        m = _DATE.match(when)
        if not m:
            cmd.problem = "date"
            return cmd
        try:
            cmd.planned = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            cmd.problem = "date"
            return cmd
        cmd.text = reason.strip(" :-–—") or more
    elif not rest:
        cmd.text = more
    cmd.text = cmd.text[:1].upper() + cmd.text[1:]  # "IZPILDĪTS: nomainīts …" -> "Nomainīts …"
    if name in ("reject", "resolve", "delay") and not cmd.text:
        cmd.problem = "text"
    return cmd


def answers_desk_mail_to(mail_ids: list[str], req, address: str) -> bool:
    """Does the mail name (In-Reply-To/References) a message the desk sent to `address` about `req`?"""
    if not mail_ids:
        return False
    address = address.lower()
    for m in M.select(M.recipients).where((M.request == req) & M.message_id.in_(mail_ids)):
        if address in {r.lower() for r in json.loads(m.recipients)}:
            return True
    return False


#: The confirmation's words (the expert's mail answered), in the expert's mail language: words(lang).
REPLY = {
    "accept": N_("The request is accepted."),
    "reject": N_("The request is returned to the Service Desk as not yours. Reason: {text}"),
    "resolve": N_("The request is marked resolved, and the result was sent to the requester: {text}"),
    "delay": N_("Delay report received: planned date {planned}. The requester has been told."),
    "nothing": N_("Nothing was changed: {why} A Service Desk operator will read your message."),
    "why_not_theirs": N_("the request is no longer assigned to you."),
    "why_no_thread": N_("the message is not a reply to the Service Desk's message to you about this request "
                        "(reply to it rather than writing a new one)."),
    "why_date": N_("after DELAYED, give the planned date as dd.mm.yyyy and the reason."),
    "why_text": N_("after {word}, give the {what}."),
    "what_reject": N_("reason"), "what_resolve": N_("result"), "what_delay": N_("reason"),
    "why_state": N_("the request is \u201c{status}\u201d, where that cannot be done."),
    "why_other": "{error}.",  # (no words of its own)
    "detail": N_("Status of the request: {status}"),
}


def words(lang: str) -> dict[str, str]:
    """REPLY in `lang`."""
    return {key: gettext_in(lang, text) for key, text in REPLY.items()}
