"""Step 2: an HTML-only mail as readable text (inscriptis, Apache-2.0: tables and lists laid out).

The HTML itself is kept in the stored message; this is what the desk reads.
"""
from __future__ import annotations

import re
from html import unescape


def html_to_text(html: str) -> str:
    from inscriptis import get_text  # lazy: inscriptis loads lxml; only an HTML-only mail needs it
    from inscriptis.model.config import ParserConfig  # (as above)

    if not html.strip():
        return ""
    try:
        text = get_text(html, ParserConfig(display_links=False))
    except Exception:  # noqa: BLE001 - lxml refuses some byte soup: fall back to the bare text

        text = unescape(re.sub(r"<[^<>]+>", " ", html))
    lines = [line.rstrip() for line in text.replace("\xa0", " ").split("\n")]
    out: list[str] = []
    for line in lines:  # at most one empty line in a row
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
