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

# What a terminal obeys or what hides text: C0 but tab/newline, DEL, C1, and the Unicode format
# characters that steer direction or hide (soft hyphen, Arabic letter mark, Mongolian vowel
# separator, zero-width space, LRM/RLM, the line/paragraph separators, bidi embeddings/overrides,
# word joiner and invisible operators, bidi isolates, BOM, interlinear annotation).
_UNSAFE = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0xAD, 0x61C, 0x180E, 0x200B, 0x200E,
           0x200F, *range(0x2028, 0x202F), *range(0x2060, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC)]


def _standin(c: int) -> str:
    if c < 0x20:
        return chr(0x2400 + c)  # ␀ … ␟ (␛ for ESC)
    if c == 0x7F:
        return "\u2421"  # ␡
    return f"\u27eaU+{c:04X}\u27eb"


# str.translate tables, built once (no regular expression to compile at start-up: every view loads this)
_LINES = {c: _standin(c) for c in _UNSAFE}
_ONE_LINE = {**_LINES, 9: _standin(9), 10: _standin(10)}
_JSON = {c: f"\\u{c:04x}" for c in _UNSAFE if c >= 0x20}  # json.dumps escapes C0 itself; its newlines stay


def visible(text: str, *, lines: bool = True) -> str:
    """`text` with every control or direction-changing character shown as a visible stand-in.

    With `lines` (the default) newlines and tabs stay, so a mail body keeps its shape; a CRLF
    is a newline. Without, a newline and a tab become ␊ and ␉ too (one table cell, one line)."""
    if lines:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        return text.translate(_LINES)
    return text.translate(_ONE_LINE)


def json_safe(document: str) -> str:
    """A JSON text (from json.dumps(..., ensure_ascii=False)) with the characters a terminal would obey
    written as \\u escapes: the same document to any JSON reader. json.dumps escapes C0 already."""
    return document.translate(_JSON)
