"""Where a mail's quoted history starts, and the lines its sender wrote now.

quotequail (MIT, Close) knows the attribution and forward lines of many mail programs
and languages ("On … wrote:", "Am … schrieb", "-----Original Message-----", Apple's
"Begin forwarded message:", Outlook's line of underscores). What it lacks is added
here: the Latvian ones ("… rakstīja:", "-------- Pārsūtīta ziņa --------",
"Sākotnējā ziņa"), a date line wrapped before "rakstīja:", and the header block that
Outlook puts above the quoted mail with no line before it, in Latvian and English
("No:/Nosūtīts:/Kam:/Tēma:", "From:/Sent:/To:/Subject:").

Bounds (linear time on hostile input): a line is matched on its first MAX_LINE
characters, the history is looked for in the first MAX_SCAN_LINES lines, and a
history nested in a history is followed at most MAX_DEPTH times.
"""
from __future__ import annotations

import re

MAX_LINE = 1000
MAX_SCAN_LINES = 2000
MAX_DEPTH = 4

# The names of the headers that a mail program writes above a quoted or forwarded mail.
FROM_NAMES = frozenset({
    "from", "no", "sūtītājs", "von", "de", "od", "från", "fra", "van", "lähettäjä", "nuo", "saatja", "от",
})
OTHER_NAMES = frozenset({
    "sent", "date", "to", "cc", "bcc", "subject", "reply-to", "importance",
    "nosūtīts", "nosūtīšanas datums", "datums", "kam", "kopija", "diskrētā kopija", "tēma", "temats",
    "svarīgums", "atbildēt", "gesendet", "an", "betreff", "datum", "kopie", "envoyé", "à", "objet", "para",
    "asunto", "enviado", "fecha", "skickat", "till", "ämne", "verzonden", "aan", "onderwerp", "kellele",
    "teema", "saadetud", "išsiųsta", "tema", "отправлено", "кому", "тема", "дата",
})
_HEADER = re.compile(r"\*{0,2}([^\W\d_][\w .-]{0,28}?)\*{0,2}[ \t]*:\*{0,2}(?:[ \t]|$)")
_QUOTE_MARKS = re.compile(r"[ \t]*(?:>[ \t]?)+")
# "… rakstīja:" and its kin: the line that introduces a quoted mail, when it has a date or an address.
_ATTRIBUTION_END = re.compile(
    r"(?:\brakstīja|\bwrote|\bschrieb|a écrit|escribió|escreveu|\bskrev|\bschreef|kirjoitti|napisał|rašė|написал(?:\(а\))?)"
    r"(?: šādi| the following)?\s*:$", re.IGNORECASE)
_DATE_OR_ADDRESS = re.compile(r"@|\b(?:19|20)\d\d\b|\b\d{1,2}:\d\d\b|\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_SEPARATOR_WORDS = ("pārsūtīt", "oriģināl", "sākotnēj", "original", "forward", "weitergeleitet", "ursprünglich",
                    "message", "ziņ", "nachricht")
_FORWARD_INTROS = frozenset({"sākums pārsūtītajai ziņai", "pārsūtītā ziņa", "pārsūtīta ziņa",
                             "begin forwarded message", "forwarded message"})


def is_quoted(line: str) -> bool:
    """A line of a quoted mail: it begins with '>' (after any spaces)."""
    return line.lstrip(" \t")[:1] == ">"


def _bare(line: str) -> str:
    """The line cut to MAX_LINE, without quote marks and surrounding spaces."""
    line = line[:MAX_LINE]
    m = _QUOTE_MARKS.match(line)
    if m:
        line = line[m.end():]
    return line.strip()


def header_name(bare: str) -> str | None:
    """'Nosūtīts' for 'Nosūtīts: otrdiena, …' (lower case), when the name is one of a mail header's."""
    m = _HEADER.match(bare)
    if not m:
        return None
    name = " ".join(m.group(1).lower().split())
    return name if name in FROM_NAMES or name in OTHER_NAMES else None


def _header_block(bare: list[str], i: int) -> int | None:
    """The end of a header block of a quoted mail starting at line i ("From:", "Sent:", …), or None.

    At least two header lines, one of them naming the sender; a value wrapped onto a
    following line (a long "To:") may come between them.
    """
    first = header_name(bare[i])
    if first is None:
        return None
    names = {first}
    end, j, wrapped = i + 1, i + 1, 0
    while j < len(bare) and j < i + 40:
        name = header_name(bare[j])
        if name is not None:
            names.add(name)
            end, wrapped = j + 1, 0
        elif bare[j] and wrapped < 3 and not _ATTRIBUTION_END.search(bare[j]):
            wrapped += 1
        else:
            break
        j += 1
    block = bare[i:end]
    sender = next((line for line in block if header_name(line) in FROM_NAMES), "")
    value = sender.split(":", 1)[1].strip(" *") if ":" in sender else ""
    # "No: 9:00" / "Datums: 12.12." is a person's text, not a header block: the sender is a name or an address
    if not value or value[0].isdigit():
        return None
    if len(names) >= 3 or (len(names) == 2 and any("@" in line for line in block)):
        return end
    return None


def _separator(bare: str) -> bool:
    """"-------- Pārsūtīta ziņa --------", "-----Original Message-----", a line of underscores."""
    if len(bare) > 120 or not bare:
        return False
    if len(bare) >= 10 and not bare.strip("_"):
        return True
    if bare[0] in "-_=" and bare[-1] in "-_=":
        middle = bare.strip("-_= ").lower()
        return 3 <= len(middle) <= 60 and any(w in middle for w in _SEPARATOR_WORDS)
    return bare.rstrip(":").strip().lower() in _FORWARD_INTROS and bare.endswith(":")


def _attribution(bare: list[str], i: int) -> int | None:
    """The end of an attribution line ("2026. gada 7. dec. plkst. 10:15, Jānis <…> rakstīja:") at i,
    perhaps wrapped over two lines; None when line i starts none."""
    line = bare[i]
    if not line or len(line) > 400:
        return None
    nxt = bare[i + 1] if i + 1 < len(bare) else ""
    if (nxt and not _ATTRIBUTION_END.search(line) and _ATTRIBUTION_END.search(nxt)
            and line[-1] not in ".!?" and len(line) + len(nxt) <= 400 and _DATE_OR_ADDRESS.search(line)):
        return i + 2  # a mail program wrapped the date line before "rakstīja:"
    if _ATTRIBUTION_END.search(line) and _DATE_OR_ADDRESS.search(line):
        return i + 1
    return None


def _own_start(bare: list[str]) -> tuple[int, int] | None:
    for i, line in enumerate(bare):
        if not line:
            continue
        if _separator(line):
            return i, i + 1
        end = _attribution(bare, i)
        if end is None:
            end = _header_block(bare, i)
        if end is not None:
            return i, end
    return None


#: What every line quotequail recognises ends with (stripped, perhaps joined with the next line):
#: the ":" of "… wrote:" and "Begin forwarded message:", the "-" of "-----Original Message-----",
#: the "_" of Outlook's line, the ">" of "2026/12/01 Name <address>" (tests/test_replytext_corpus.py
#: checks this against the installed quotequail).
LIBRARY_LINE_ENDS = (":", "-", "_", ">")


def _library_start(bare: list[str]) -> tuple[int, int] | None:
    """quotequail's first attribution or forward line: (its first line, the line after it)."""
    if not any(line.endswith(LIBRARY_LINE_ENDS) for line in bare):
        return None  # it can find nothing here: most new mail never pays for importing it
    # Imported here, not at the head: 10 ms of `pd mail ingest`'s start-up (typing_extensions and
    # its ~35 patterns) for the mails that need it only (docs/benchmarks.md).
    import quotequail

    found = quotequail.quote("\n".join(bare), limit=len(bare) + 1, quote_intro_line=True)  # (a limit reached
    if len(found) < 2:  # would count as a find: never reached)
        return None
    start = found[0][1].count("\n") + 1 if found[0][1] else 0
    # where it ends: the pattern may span two lines (a wrapped "On …, Name <\naddress> wrote:")
    intro = bare[start:start + 2]
    after = quotequail.quote("\n".join(intro), limit=len(intro) + 1, quote_intro_line=False)
    end = start + (after[0][1].count("\n") + 1 if len(after) == 2 else 1)
    return start, end


def history_start(lines: list[str], scan: int = MAX_SCAN_LINES) -> tuple[int, int] | None:
    """(first line of the quoted history, first line after its introduction) in the first `scan`
    lines, or None."""
    bare = [_bare(line) for line in lines[:scan]]
    own = _own_start(bare)
    library = _library_start(bare[:own[0]] if own else bare)  # (only where it could come first)
    found = [f for f in (own, library) if f is not None]
    return min(found) if found else None


def _unquoted(lines: list[str]) -> list[str]:
    return [line for line in lines if not is_quoted(line)]


def new_lines(lines: list[str], depth: int = 0, scan: int = MAX_SCAN_LINES) -> list[str]:
    """The lines the sender wrote now.

    Top-posting: the lines above the history. Bottom-posting (an attribution, the quoted
    '>' lines, then the new text) and a forward with nothing written above it: the same
    asked of what follows the history's introduction, without its '>' lines.
    Interleaved answers: every line that is not quoted. `scan`: how many lines may still be
    looked at for a history (MAX_SCAN_LINES in all, however deep).
    """
    found = history_start(lines, scan) if scan > 0 else None
    if found is None:
        return _unquoted(lines)
    start, after = found
    top = _unquoted(lines[:start])
    if depth >= MAX_DEPTH or (any(line.strip() for line in top) and not _greeting_only(top)):
        return top
    # nothing above the history but perhaps "Labdien!": what follows is the text (bottom-posting, a forward)
    rest = new_lines(_unquoted(lines[after:]), depth + 1, scan - after)
    return top + [""] + rest if any(line.strip() for line in top) else rest


GREETINGS = ("labdien", "labrīt", "labvakar", "sveiki", "sveiks", "sveika", "čau", "hello", "hi", "dear",
             "good morning", "good afternoon", "guten tag", "hallo", "здравствуйте", "добрый день")


def _greeting_only(top: list[str]) -> bool:
    """'Labdien!' / 'Sveiki, kolēģi,' / 'Hi Anna,' alone above the history."""
    text = [line.strip() for line in top if line.strip()]
    if len(text) != 1 or len(text[0]) > 40:
        return False
    first = text[0].lower().rstrip("!,.:; ")
    return any(first == g or first.startswith(g + " ") or first.startswith(g + ",") for g in GREETINGS)
