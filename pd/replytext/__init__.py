"""What the user wrote (SPEC 15): a mail's new text, without what the mail program added.

A reply carries the quoted history under (or above) what its sender wrote, a
signature, a confidentiality notice, and a subject behind `Re:`/`Pārs.:`
prefixes. The request's description, its title and the history's follow-ups
take what the person wrote; the whole mail stays stored with the request.

* ``quoted``    — where the quoted history starts: quotequail's patterns (many
  languages) and the Latvian ones it lacks (Outlook's "No:/Nosūtīts:/Kam:/Tēma:",
  "… rakstīja:", "-------- Pārsūtīta ziņa --------"); top- and bottom-posting;
* ``signature`` — signatures ("-- ", "Ar cieņu,", "Sent from my iPhone", …) and
  confidentiality notices, Latvian and English;
* ``subject``   — the subject without reply/forward prefixes and tags.

Pure functions of text, in time linear in the text: every pattern is matched on
a line cut to MAX_LINE characters, and the history is looked for in the first
MAX_SCAN_LINES lines (a hostile mail of 1 MB without a newline, or with 10,000
levels of ">", costs milliseconds).
"""
from __future__ import annotations

from .quoted import MAX_LINE, MAX_SCAN_LINES, new_lines
from .signature import strip_tail
from .subject import clean_subject

__all__ = ["what_they_wrote", "clean_subject", "MAX_LINE", "MAX_SCAN_LINES"]


def what_they_wrote(text: str, html_text: str = "") -> str:
    """The text the sender wrote now: no quoted history, no signature, no confidentiality notice.

    `text` is the mail's plain text; `html_text` its HTML body turned into text, used when
    the mail has no plain text (its lines' indentation, which is layout, dropped). A mail that is nothing but a signature or a quote comes back
    as its text without the quote, else whole (never empty when the mail was not).
    """
    if (text or "").strip():
        lines = _lines(text)
    else:  # an HTML layout's indentation is no part of what was written
        lines = [line.strip() for line in _lines(html_text or "")]
    new = new_lines(lines)
    out = _tidy(strip_tail(new))
    if out:
        return out
    return _tidy(new) or _tidy(lines)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _tidy(lines: list[str]) -> str:
    """Trailing spaces off, at most one empty line in a row, none at either end."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
