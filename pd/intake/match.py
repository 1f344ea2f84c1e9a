"""Step 4: which request a mail is about. Only exact evidence, never a fuzzy subject (SPEC 13):

1. `[PD N]` at the start of the subject, behind any chain of reply/forward prefixes
   (Re:, RE:, AW:, Fwd:, FW:, Atb.:, Pārs.: and their kin, `Re[2]:`, `[EXT]` tags);
2. an In-Reply-To naming a message the desk sent (the outbox) or a request's thread root;
3. the References, newest first, by the same rule.
"""
from __future__ import annotations

import re

from ..db.models import OutboxMessage, Request

PREFIXES = ("re", "aw", "sv", "vs", "antw", "odp", "ynt", "fwd", "fw", "wg", "tr", "rv", "enc", "atb", "pārs",
            "pars", "pāradr", "ats", "отв", "ответ", "пересл", "vl", "doorst",
            # what out-of-office replies put in front (the reply is automatic; the number still names it)
            "automātiskā atbilde", "automatic reply", "autoreply", "auto", "out of office", "abwesenheitsnotiz")
_PREFIX = re.compile(
    r"^\s*(?:(?:" + "|".join(sorted(map(re.escape, PREFIXES), key=len, reverse=True)) + r")\.?\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|\[(?!PD\s)[^\]]{1,30}\]"  # [EXTERNAL], [SPAM?] and the like, not our own tag
    r")\s*",
    re.IGNORECASE,
)
_TAG = re.compile(r"^\[PD\s+(\d{4})-(\d{1,6})\]", re.IGNORECASE)
_ROOT = re.compile(r"^<pd-(\d{4})-(\d{6})(?:\.[0-9a-f]+)?@([^>]+)>$", re.IGNORECASE)


def strip_prefixes(subject: str) -> str:
    s = subject.strip()
    while True:
        m = _PREFIX.match(s)
        if not m or m.end() == 0:
            return s
        s = s[m.end():]


def subject_number(subject: str) -> str | None:
    """'Re: AW: [PD 2026-000123] …' -> '2026-000123'."""
    m = _TAG.match(strip_prefixes(subject))
    if not m:
        return None
    seq = int(m.group(2))
    return f"{m.group(1)}-{seq:06d}" if seq > 0 else None


def find_request(mail, domain: str):
    """(request, how) or (None, None). `how` says which evidence matched, for the event."""
    number = subject_number(mail.subject)
    if number:
        req = Request.get_or_none(Request.number == number)
        if req is not None:
            return req, "subject"
    ids = list(reversed(mail.in_reply_to)) + list(reversed(mail.references))
    if not ids:
        return None, None
    sent = {m.message_id: m.request_id for m in OutboxMessage.select(OutboxMessage.message_id, OutboxMessage.request)
            .where(OutboxMessage.message_id.in_(ids))}
    for mid in ids:
        how = "in-reply-to" if mid in mail.in_reply_to else "references"
        if sent.get(mid):
            return Request.get_by_id(sent[mid]), how
        m = _ROOT.match(mid)
        if m and m.group(3).lower() == domain.lower():
            req = Request.get_or_none(Request.number == f"{m.group(1)}-{m.group(2)}")
            if req is not None:
                return req, how
    return None, None


def sent_by_desk(message_id_list: list[str]):
    """The outbox messages among these Message-IDs (for delivery reports)."""
    if not message_id_list:
        return []
    return list(OutboxMessage.select().where(OutboxMessage.message_id.in_(message_id_list)))
