"""pd queue: what needs the desk now, most urgent first (SPEC 14)."""
from __future__ import annotations

import os
from typing import Annotated

import typer

from ..i18n import _, language, ngettext_in, pgettext
from .common import Json, cell, emit_json, is_terminal, out, say, state


def _labels() -> dict[str, str]:
    """Why an entry is there, in the first column (short: the column is as wide as the longest)."""
    return {"late": pgettext("queue reason", "LATE"), "due_soon": pgettext("queue reason", "due soon"),
            "not_forwarded": pgettext("queue reason", "not forwarded"),
            "returned": pgettext("queue reason", "returned"), "intake_new": pgettext("queue reason", "new mail"),
            "follow_up": pgettext("queue reason", "follow-up"), "objection": pgettext("queue reason", "objection"),
            "waiting_long": pgettext("queue reason", "waiting"),
            "ready_to_close": pgettext("queue reason", "to close")}


def _headers(*keys: str) -> list[str]:
    names = {"why": pgettext("queue column", "why"), "number": pgettext("queue column", "number"),
             "due": pgettext("queue column", "due"), "since": pgettext("queue column", "since"),
             "detail": pgettext("queue column", "detail"), "title": pgettext("queue column", "title")}
    return [names[k] for k in keys]
STYLES = {"late": "bold red", "due_soon": "yellow", "returned": "magenta", "objection": "magenta"}
TITLE_LEAST = 8  # the title keeps this much before the detail wraps
WIDE = 110  # from this width the table also shows since when an entry has waited


def more_line(n: int, lang: str | None = None) -> str:
    """How many entries the screen left out, in the desk's language (or `lang`)."""
    return ngettext_in(lang or language(), "… {n} more entry did not fit on the screen; pd queue lists them all",
                       "… {n} more entries did not fit on the screen; pd queue lists them all", n).format(n=n)


def _label(e: dict) -> str:
    return _labels()[e["reason"]]


def _words(e: dict) -> str:
    """Why, for a person (pd.queue's `words`); an entry from elsewhere without them says its `detail`."""
    return e.get("words") or e["detail"]


def _ident(e: dict) -> str:
    return e["request"] or (_("mail {id}").format(id=e["intake"]) if e["intake"] is not None else "")


def _plain(entries: list[dict], tz: str) -> None:
    from tabulate import tabulate

    from ..latvian import format_dt

    out(tabulate([[_label(e), _ident(e), format_dt(e["due"], tz), format_dt(e["since"], tz), _words(e),
                   e["title"]] for e in entries],
                 headers=_headers("why", "number", "due", "since", "detail", "title"), tablefmt="plain"))


def _table(entries: list[dict], tz: str, width: int):
    """A rich table for `width` columns: the number and the dates are never cut; the detail wraps and the
    title gives way (one line, ellipsis)."""
    from rich.table import Table

    from ..latvian import format_dt

    wide = width >= WIDE
    why, number, due, since, detail_h, title_h = _headers("why", "number", "due", "since", "detail", "title")
    fixed = [(why, max(len(why), *(len(_label(e)) for e in entries))), (number, max(11, len(number))),
             (due, max(16, len(due)))]
    if wide:
        fixed.append((since, max(16, len(since))))
    gap = 2
    rest = width - sum(w for _, w in fixed) - gap * (len(fixed) + 1)
    # the title gives way before the detail wraps (a wrapped detail halves how many entries a screen holds)
    detail = min(max(len(detail_h), *(len(_words(e)) for e in entries)), max(14, rest - TITLE_LEAST))
    title_w = max(6, len(title_h), rest - detail)
    t = Table.grid(padding=(0, gap, 0, 0), pad_edge=False)
    for name, w in fixed:
        t.add_column(name, width=w, no_wrap=True)
    t.add_column(detail_h, width=detail, overflow="fold")
    t.add_column(title_h, width=title_w, no_wrap=True, overflow="ellipsis")
    t.add_row(*[name for name, _w in fixed], detail_h, title_h, style="bold underline")
    for e in entries:
        cells = [_label(e), _ident(e), format_dt(e["due"], tz)]
        if wide:
            cells.append(format_dt(e["since"], tz))
        t.add_row(*map(cell, cells), cell(_words(e)), cell(e["title"]), style=STYLES.get(e["reason"]))
    return t


def _view(entries: list[dict], now, tz: str, width: int, footer: str = "", *, shown: int | None = None,
          lang: str | None = None):
    """The view; with `shown`, only the first `shown` entries, and a line saying how many more there are."""
    from rich.console import Group
    from rich.text import Text

    from ..latvian import format_dt

    what = (ngettext_in(lang or language(), "{n} waiting for the desk", "{n} waiting for the desk",
                        len(entries)).format(n=len(entries)) if entries else _("nothing needs the desk now"))
    head = Text(_("pd queue · {now} · {what}").format(now=format_dt(now, tz), what=what), style="bold")
    parts = [head]
    rows = entries if shown is None else entries[:shown]
    if rows:
        parts.append(_table(rows, tz, width))
    if len(rows) < len(entries):
        parts.append(Text(more_line(len(entries) - len(rows), lang), style="bold"))
    if footer:
        parts.append(Text(footer, style="dim"))
    return Group(*parts)


def _screenful(console, entries: list[dict], now, tz: str, size, footer: str, lang: str):
    """The view of as many entries as the screen holds (an entry's detail may take more than one line),
    saying how many more there are: never cut off at the bottom without a word."""
    options = console.options.update(width=size.width, height=None)

    def height(k: int | None) -> int:
        return len(console.render_lines(_view(entries, now, tz, size.width, footer, shown=k, lang=lang),
                                        options, pad=False))

    if height(None) <= size.height:
        return _view(entries, now, tz, size.width, footer, lang=lang)
    lo, hi = 0, len(entries) - 1  # the most entries that fit with the "more" line
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if height(mid) <= size.height:
            lo = mid
        else:
            hi = mid - 1
    return _view(entries, now, tz, size.width, footer, shown=lo, lang=lang)


def _terminal_size(console):
    """The terminal's size now. A COLUMNS/LINES exported by a shell is fixed at the size the terminal had
    then, and rich would keep to it: the wallboard follows the terminal itself."""
    import sys

    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        return console.size
    console.size = (size.columns, size.lines)
    return console.size


def _watch(desk, tz: str, interval: float, lang: str | None = None) -> None:
    """Redraw every `interval` seconds on the alternate screen, and at once when the terminal is resized."""
    import signal
    import threading
    import time

    from rich.console import Console
    from rich.live import Live

    from .. import queue

    console = Console(no_color=bool(os.environ.get("NO_COLOR")))
    resized = threading.Event()
    previous = signal.signal(signal.SIGWINCH, lambda *_: resized.set())
    footer = _("refreshed every {seconds} s · Ctrl-C leaves").format(seconds=f"{interval:g}")
    try:
        with Live(console=console, screen=True, auto_refresh=False, redirect_stdout=False,
                  redirect_stderr=False) as live:
            while True:
                now = desk.now()
                entries = queue.entries(desk, now)
                size = _terminal_size(console)
                live.update(_screenful(console, entries, now, tz, size, footer, lang), refresh=True)
                next_query = time.monotonic() + interval
                while time.monotonic() < next_query:
                    # SIGWINCH wakes us at once; the size is also polled, as a resize can come before
                    # the handler is in place (a terminal that settles its size after starting pd).
                    resized.wait(min(0.5, max(0.0, next_query - time.monotonic())))
                    resized.clear()
                    if _terminal_size(console) != size:  # the same entries at the new width, at once
                        size = _terminal_size(console)
                        live.update(_screenful(console, entries, now, tz, size, footer, lang), refresh=True)
    except KeyboardInterrupt:
        pass  # Live has left the alternate screen and restored the cursor
    finally:
        signal.signal(signal.SIGWINCH, previous)


def queue_(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option("--watch", help="Keep the view live on the terminal (the desk's wallboard); Ctrl-C leaves.")] = False,
    interval: Annotated[float, typer.Option(min=1, max=3600, help="With --watch: seconds between refreshes.")] = 10,
    as_json: Json = False,
) -> None:
    """What needs the desk now, most urgent first, each entry saying why: late, due within the hour,
    registered but not yet forwarded, returned by an expert, new mail, follow-ups, objections, waiting for the user long, ready to close.

    Example: pd queue · pd queue --watch · pd queue --json
    """
    from .. import queue
    from ..errors import UsageError

    st = state(ctx)
    desk = st.desk
    tz = st.settings.timezone
    desk.actor  # only staff read the ledger
    if watch:
        if as_json:
            raise UsageError(_("--watch is for a terminal; scripts run pd queue --json"))
        if not is_terminal():
            raise UsageError(_("--watch needs a terminal; piped, run pd queue (plain text) or pd queue --json"))
        _watch(desk, tz, interval, st.settings.lang)
        return
    now = desk.now()
    entries = queue.entries(desk, now)
    if as_json:
        from ..latvian import iso

        emit_json({"now": iso(now, tz), "entries": [queue.as_json(e, tz) for e in entries]})
        return
    if not entries:
        say(_("Nothing needs the desk now."))
        return
    if is_terminal():
        from rich.console import Console

        console = Console(no_color=bool(os.environ.get("NO_COLOR")))
        console.print(_view(entries, now, tz, console.width))
    else:
        _plain(entries, tz)
