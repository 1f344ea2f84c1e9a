"""Text for a terminal: control characters shown, never obeyed (issue 18, item 5).

Mail and any text stored in the ledger may carry terminal control sequences: an ESC that clears
the screen or hides text, an OSC 52 that writes the operator's clipboard, a right-to-left override
that shows a line other than it is. Every view prints stored text through `visible()`: each such
character becomes a visible stand-in, while the ledger keeps the original and --json stays exact.

- C0 controls and DEL: their Unicode control pictures (ESC -> ␛, BEL -> ␇, DEL -> ␡); tab and
  newline stay where a view shows several lines (a lone carriage return does not: it overprints);
- C1 controls (U+0080-U+009F), bidirectional embeddings/overrides/isolates and marks, the line and
  paragraph separators and the other invisible format characters: ⟪U+202E⟫.
Zero-width joiners stay: emoji and some scripts need them and they move no cursor.
"""
from __future__ import annotations

import re

_STANDIN = {0x7F: "\u2421"}  # ␡
_STANDIN.update({c: chr(0x2400 + c) for c in range(0x20)})  # ␀ … ␟ (␛ for ESC)

# What a terminal obeys or what hides text: C0 but tab/newline, DEL, C1, Unicode format characters
# that steer direction or hide (bidi, invisible operators, BOM, interlinear annotation), separators.
_UNSAFE = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f"
           "\ufeff\ufff9-\ufffb")
_ANY = re.compile(f"[{_UNSAFE}\t\n]")
_SOME = re.compile(f"[{_UNSAFE}]")


def _standin(match: re.Match) -> str:
    c = ord(match.group())
    return _STANDIN.get(c) or f"\u27eaU+{c:04X}\u27eb"


def visible(text: str, *, lines: bool = True) -> str:
    """`text` with every control or direction-changing character shown as a visible stand-in.

    With `lines` (the default) newlines and tabs stay, so a mail body keeps its shape; a CRLF
    is a newline. Without, a newline and a tab become ␊ and ␉ too (one table cell, one line)."""
    if lines:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        return _SOME.sub(_standin, text) if _SOME.search(text) else text
    return _ANY.sub(_standin, text) if _ANY.search(text) else text


def json_safe(document: str) -> str:
    """A JSON text (from json.dumps(..., ensure_ascii=False)) with the characters a terminal would obey
    written as \\u escapes: the same document to any JSON reader. json.dumps escapes C0 already."""
    return _SOME.sub(lambda m: f"\\u{ord(m.group()):04x}", document) if _SOME.search(document) else document
