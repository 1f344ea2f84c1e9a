"""A signature and a confidentiality notice at the end of what someone wrote, Latvian and English.

Cut at the end of the new text (never from its first line):
* a notice paragraph ("Šis e-pasts … konfidenciāl…", "This e-mail … confidential …") and what follows;
  an "external sender" banner at the top is dropped alone;
* the signature delimiter "-- " and what follows;
* a phone's or an app's line ("Sent from my iPhone", "Nosūtīts no mana iPhone", "Get Outlook for
  Android") and what follows;
* a closing ("Ar cieņu,", "Ar labiem vēlējumiem", "Best regards", optionally with a name on its
  line) with at most SIGNATURE_LINES short lines after it.

Each test reads a bounded head of a line or paragraph: linear in the text.
"""
from __future__ import annotations

import re

TAIL_LINES = 120  # the signature and notice are looked for in the last lines only
SIGNATURE_LINES = 12
_HEAD = 400

CLOSINGS = (
    "ar cieņu", "ar patiesu cieņu", "ar lielu cieņu", "ar labiem vēlējumiem", "ar vislabākajiem vēlējumiem",
    "ar labākajiem vēlējumiem", "labus vēlējumus", "ar sveicieniem", "ar draudzīgiem sveicieniem", "sveicieni",
    "cieņā", "ar cieņu un labiem vēlējumiem",
    "best regards", "kind regards", "warm regards", "warmest regards", "regards", "best wishes", "all the best",
    "yours sincerely", "sincerely", "yours faithfully", "with best regards", "with kind regards",
    "mit freundlichen grüßen", "viele grüße", "с уважением", "pagarbiai", "lugupidamisega",
)
_CLOSING = re.compile(r"(?:" + "|".join(sorted(map(re.escape, CLOSINGS), key=len, reverse=True)) + r")\b[\s,.!;:–—-]*",
                      re.IGNORECASE)
_MOBILE = re.compile(
    r"(?:sent from|sent with|sent via|sent using|get outlook for|download outlook for|nosūtīts no|sūtīts no|"
    r"nosūtīts ar|sūtīts ar|nosūtīts, izmantojot|iegūt outlook|iegūstiet outlook|"
    r"saņemiet outlook|lejupielādējiet outlook|von meinem|gesendet von|envoyé de|enviado desde|отправлено с)\b",
    re.IGNORECASE)
# ("Sūtīts no rīta, bet …" is a sentence: a phone's line names a phone or a mail app)
_DEVICE = re.compile(r"iphone|ipad|android|samsung|galaxy|huawei|xiaomi|pixel|outlook|mail|mobile|phone|tālru|"
                     r"planšet|blackberry|yahoo|proton|gmail|ios\b", re.IGNORECASE)
_NOTICE = re.compile(
    r"(?:"
    # Latvian: "Šis e-pasts (un tā pielikumi) var saturēt konfidenciālu informāciju…", "Šajā vēstulē…"
    r"(?:šis|šī|šajā|šo|šīs|šajos|šajās)\s+(?:e-pasts|e-pasta|epasts|epasta|elektroniskais|elektroniskā|vēstule|"
    r"vēstulē|vēstules|ziņojums|ziņojumā|ziņojuma|ziņa|ziņā|informācija)\b.{0,200}?"
    r"(?:konfidenciāl|paredzēt[sa] tikai|ierobežotas pieejamības)"
    r"|konfidencialitātes (?:paziņojums|atruna)|atruna\s*:"
    # English: "This e-mail and any attachments are confidential…", "The information contained in this…"
    r"|(?:this|the)\s+(?:e-?mail|message|communication|electronic|transmission|information (?:contained )?in this)"
    r"\b.{0,200}?(?:confidential|privileged|intended (?:solely|only) for|intended recipient)"
    r"|confidentiality (?:notice|note|statement|warning)|disclaimer\s*:"
    r")",
    re.IGNORECASE | re.DOTALL)
# (the words after the colon are looked for with `in`: a `.{0,200}?` here costs 4 ms to compile)
_BANNER = re.compile(r"(?:\[?(?:external|ārējs)\]?\s*)?(?:caution|warning|uzmanību|brīdinājums|external email|external)"
                     r"\s*[:!]", re.IGNORECASE)
_BANNER_WORDS = ("outside", "external", "ārpus", "ārēj")


def _paragraphs(lines: list[str], first: int) -> list[tuple[int, int]]:
    """(start, end) of each run of non-blank lines from `first` on."""
    out, start = [], None
    for i in range(first, len(lines)):
        if lines[i].strip():
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(lines)))
    return out


def _head(lines: list[str], start: int, end: int) -> str:
    """The first _HEAD characters of a paragraph, its lines joined by a space."""
    parts, size = [], 0
    for line in lines[start:end]:
        part = line[:_HEAD].strip(" \t*_>")
        parts.append(part)
        size += len(part) + 1
        if size >= _HEAD:
            break
    return " ".join(parts)[:_HEAD]


def _content_before(lines: list[str], i: int) -> bool:
    return any(line.strip() for line in lines[:i])


def _drop_notices(lines: list[str]) -> list[str]:
    paragraphs = _paragraphs(lines, 0)
    if paragraphs:  # an "external sender" banner above the text
        start, end = paragraphs[0]
        head = _head(lines, start, end)
        m = _BANNER.match(head)
        if len(paragraphs) > 1 and m and any(w in head[m.end():m.end() + 200].lower() for w in _BANNER_WORDS):
            lines = lines[:start] + lines[end:]
    first = max(0, len(lines) - TAIL_LINES)
    for start, end in _paragraphs(lines, first):
        if _content_before(lines, start) and _NOTICE.match(_head(lines, start, end)):
            return lines[:start]
    return lines


def _is_closing(line: str) -> bool:
    """'Ar cieņu,' / 'Best regards, Ilze Šķēle' / 'Ar labiem vēlējumiem – Jānis' (not 'Ar cieņu pret …')."""
    bare = line.strip(" \t*_")
    if len(bare) > 100:
        return False
    m = _CLOSING.match(bare)
    if not m:
        return False
    name = bare[m.end():].replace(",", " ").split()
    return len(name) <= 5 and all(w[:1].isupper() or not w[:1].isalpha() for w in name)


def _is_mobile(bare: str) -> bool:
    """'Nosūtīts no mana iPhone', 'Get Outlook for Android<https://aka.ms/…>'."""
    bare = bare.lstrip("*_ ")
    return len(bare) <= 120 and bool(_MOBILE.match(bare)) and bool(_DEVICE.search(bare))


def _cut_signature(lines: list[str]) -> list[str]:
    first = max(0, len(lines) - TAIL_LINES)
    for i in range(first, len(lines)):
        bare = lines[i].strip()
        if (bare == "--" or _is_mobile(bare)) and _content_before(lines, i):
            lines = lines[:i]
            break
    first = max(0, len(lines) - SIGNATURE_LINES - 8)
    for i in range(first, len(lines)):
        if _is_closing(lines[i]) and _content_before(lines, i):
            after = [line for line in lines[i + 1:] if line.strip()]
            if len(after) <= SIGNATURE_LINES and all(len(line.strip()) <= 160 for line in after):
                return lines[:i]
    return lines


def strip_tail(lines: list[str]) -> list[str]:
    """`lines` without a closing notice and a signature (an external-sender banner dropped too)."""
    return _cut_signature(_drop_notices(lines))
