"""Tables that fit the terminal [SPEC 14]: numbers and dates are never cut, the free text gives way.

A column is kept whole (registration numbers, dates, codes), may be dropped when even the
free text at its narrowest does not leave room (`drop` order: the higher, the sooner), or is
the one flexible column, cut to one line with an ellipsis. Colour only on a terminal and never
with NO_COLOR; marks that matter (late: "!") are characters, so they survive without colour.
No rich here: `pd list` stays a cheap command.
"""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass

from ..visible import visible

GAP = "  "
FLEX_LEAST = 8  # narrower than this (or than its header), the free text is left out
RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


@dataclass
class Column:
    header: str
    drop: int = 0  # 0: always shown; otherwise dropped (highest first) when the width is short
    flex: bool = False  # the one column that is cut to fit (with "…")
    min_width: int = 12
    before_text: bool = False  # a droppable column that stays while the free text can give way instead


def terminal_width() -> int:
    return shutil.get_terminal_size((80, 24)).columns


def colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def cut(text: str, width: int) -> str:
    """One line of at most `width` characters, "…" where it was cut."""
    line = " ".join(str(text).split())
    if len(line) <= width:
        return line
    return line[: max(width - 1, 0)].rstrip() + "…" if width > 0 else ""


_GLUE = "\ue000"  # stands for the space inside a date and time while a text is wrapped


def wrap(text: str, width: int) -> list[str]:
    """Whole words within `width`, and a date with its time ("09.12.2026 17:00") never split over two lines
    (textwrap breaks only at ASCII whitespace, so the glued space holds)."""
    import re
    import textwrap

    glued = re.sub(r"(\d\d\.\d\d\.\d{4}) (\d\d:\d\d)", rf"\1{_GLUE}\2", text)
    return [x.replace(_GLUE, " ") for x in textwrap.wrap(glued, width)]


def fit(rows: list[list[str]], columns: list[Column], width: int) -> tuple[list[Column], list[list[str]]]:
    """The columns (and cells) that fit `width`; the flexible column takes what is left."""
    keep = list(range(len(columns)))

    def need(idx: list[int], text: bool = True) -> int:
        idx = [i for i in idx if text or not columns[i].flex]
        fixed = sum(max([len(columns[i].header)] + [len(r[i]) for r in rows]) for i in idx if not columns[i].flex)
        flex = sum(columns[i].min_width for i in idx if columns[i].flex)
        return fixed + flex + len(GAP) * (len(idx) - 1)

    for i in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if need(keep) <= width or (columns[i].before_text and need(keep, text=False) <= width):
            break
        keep.remove(i)
    cols = [columns[i] for i in keep]
    cells = [[r[i] for i in keep] for r in rows]
    widths = [max([len(c.header)] + [len(r[j]) for r in cells]) for j, c in enumerate(cols)]
    used = sum(w for w, c in zip(widths, cols) if not c.flex) + len(GAP) * (len(cols) - 1)
    for j, c in enumerate(cols):
        if c.flex:
            widths[j] = max(min(widths[j], width - used), 0)
            for r in cells:
                r[j] = cut(r[j], widths[j])
    # Even the free text at its narrowest did not leave room (long names on a narrow terminal): the free
    # text gives way altogether rather than cut its header or push a line past the width.
    gone = [j for j, c in enumerate(cols) if c.flex and widths[j] < max(len(c.header), FLEX_LEAST)]
    cols = [c for j, c in enumerate(cols) if j not in gone]
    cells = [[v for j, v in enumerate(r) if j not in gone] for r in cells]
    widths = [w for j, w in enumerate(widths) if j not in gone]
    return [Column(c.header, c.drop, c.flex, w, c.before_text) for c, w in zip(cols, widths)], cells


def render(rows: list[list[str]], columns: list[Column], *, width: int | None = None,
           highlight: list[bool] | None = None) -> list[str]:
    """Lines of a table fitted to the terminal; `highlight` rows in red (when colour is on).
    Control characters in the cells are shown, never obeyed (pd.visible): print with out(painted=True)."""
    rows = [[visible(v) for v in r] for r in rows]
    cols, cells = fit(rows, columns, width or terminal_width())
    paint = colour()

    def line(values: list[str]) -> str:
        parts = [v.ljust(c.min_width) for v, c in zip(values, cols)]
        return GAP.join(parts).rstrip()

    head = line([c.header for c in cols])
    out = [f"{BOLD}{head}{RESET}" if paint else head]
    for k, r in enumerate(cells):
        text = line(r)
        out.append(f"{RED}{text}{RESET}" if paint and highlight and highlight[k] else text)
    return out
