"""A subject without what mail programs put in front of it.

"Pārs.: RE: [EXTERNAL] Printeris nedrukā" -> "Printeris nedrukā". Reply and forward prefixes
in the languages the desk's users' programs speak (Re:, RE:, AW:, Fwd:, FW:, WG:, Sv:, VS:,
Atb.:, Pārs.:, Odp:, Ответ: …, with a count as in "Re[2]:" or "RE (3):"), and bracketed tags
in front ("[EXTERNAL]", "[ĀRĒJS]", "[SPAM?]", a former "[PD 2026-000123]"), repeated in any order.
"""
from __future__ import annotations

import re

PREFIXES = (
    "re", "aw", "sv", "vs", "antw", "odp", "ynt", "fwd", "fw", "wg", "tr", "rv", "enc", "res", "atb", "pārs",
    "pars", "pāradr", "ats", "persiųsti", "vl", "doorst", "továbbítás", "отв", "ответ", "пересл",
)
MAX_SUBJECT = 2000
_PREFIX = re.compile(
    r"\s*(?:(?:" + "|".join(sorted(map(re.escape, PREFIXES), key=len, reverse=True)) + r")\.?"
    r"\s*(?:\[\d{1,4}\]|\(\d{1,4}\))?\s*[:：]"
    r"|\[[^\[\]]{1,40}\]"  # [EXTERNAL], [SPAM?], [PD 2026-000123]
    r"|\((?:external|ārējs|ext)\)"
    r")\s*",
    re.IGNORECASE,
)


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and tags in front, its spaces made single."""
    s = " ".join((subject or "")[:MAX_SUBJECT].split())
    while True:
        m = _PREFIX.match(s)
        if not m or m.end() == 0:
            return s
        s = s[m.end():]
