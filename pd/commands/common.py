"""What every command module shares: the app state, options defined once, output."""
from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any, Optional

import typer

from ..config import Settings, load_settings
from ..i18n import _


class AppState:
    """Built once per process; opens nothing until a command needs it."""

    def __init__(self, settings: Settings | None = None):
        self._settings = settings
        self._desk = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def desk(self):
        if self._desk is None:
            from ..desk import Desk

            self._desk = Desk(self.settings)
        return self._desk


def state(ctx: typer.Context) -> AppState:
    """The app state; the first call checks the whole configuration (exit 7 naming the variable),
    so no command opens the ledger, let alone writes to it, with a bad value in force."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = AppState()
    root.obj.settings
    return root.obj


# ---------------------------------------------------------------- options defined once
def completes(kind: str):
    """A shell-completion callback (service, institution, expert, channel, open_number, number)
    that imports pd.commands.completion only when the shell asks: the commands pay nothing."""
    def complete(incomplete: str):
        from . import completion

        return getattr(completion, "complete_" + kind)(incomplete)
    complete.__name__ = f"complete_{kind}"
    return complete


Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout (for scripts).")]
Redact = Annotated[bool, typer.Option("--redact", help="Replace a disclosed password or PIN with [REDACTED] instead of refusing.")]
Via = Annotated[str, typer.Option("--via", help="How this reached the desk: cli, phone, fax, email, other.", metavar="CHANNEL")]
Number = Annotated[str, typer.Argument(help="Registration number, e.g. 2026-000123.", metavar="N",
                                       autocompletion=completes("open_number"))]
OptText = Optional[str]

# Bounds a desk would set (issue 18): a number past them is a usage error (exit 2), not a database overflow.
MAX_ROWS = 1_000_000      # --limit
MAX_ID = 2**31 - 1        # an id of a row (PostgreSQL's integer column)


def check_via(via: str) -> str:
    from ..desk import VIA

    if via not in VIA:
        raise typer.BadParameter(_("use one of {choices}").format(choices=", ".join(VIA)), param_hint="--via")
    return via


# ---------------------------------------------------------------- questions
def confirm(question: str, default: bool | None = False, *, eof: bool | None = None) -> bool:
    """A yes/no question on the terminal, in the desk's language (SPEC 12).

    Latvian shows [j/n] ([J/n] or [j/N] with a default) and takes j, jā, n, nē in any case, also
    without the long vowels (ja, ne); English takes y, yes, n, no. Enter takes the default; a
    wrong answer is asked again, saying what to answer. Asked on stderr, so stdout stays data.
    End of input returns `eof`, or (None) raises typer.Abort as Click's confirm did; a hint like
    "[y/n]" already at the end of `question` is replaced by the desk's own."""
    import re

    question = re.sub(r"\s*\[[^\[\]/]+/[^\[\]/]+\]\s*$", "", question)
    hint = {True: _("[Y/n]"), False: _("[y/N]"), None: _("[y/n]")}[default]
    # TRANSLATORS: the answers that mean yes, then no: lower case, separated by spaces
    yes, no = set(_("y yes").split()), set(_("n no").split())
    while True:
        sys.stderr.write(f"{question} {hint}: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\n")
            if eof is None:
                raise typer.Abort()
            return eof
        answer = line.strip().lower()
        if not answer and default is not None:
            return default
        if answer in yes:
            return True
        if answer in no:
            return False
        sys.stderr.write(_("Please answer y (yes) or n (no).") + "\n")


# ---------------------------------------------------------------- output
def is_terminal() -> bool:
    return sys.stdout.isatty()


def emit_json(data: Any) -> None:
    """Exact JSON; what a terminal would obey (C1, bidi overrides) written as \\u escapes."""
    from ..visible import json_safe

    sys.stdout.write(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")


def say(text: str) -> None:
    """A message for the person (stderr), so stdout stays data. Control characters are shown, not obeyed."""
    from ..visible import visible

    sys.stderr.write(visible(text) + "\n")


def out(text: str, *, painted: bool = False) -> None:
    """A line of a view on stdout. Stored text in it is shown with its control characters visible
    (pd.visible); `painted`: the caller made its text visible itself and added pd's own colours."""
    if not painted:
        from ..visible import visible

        text = visible(text)
    sys.stdout.write(text + "\n")


def cell(value: Any):
    """A rich table cell of stored text: its control characters visible and no rich markup read in it
    (a subject with "[link=…]" stays those characters)."""
    from rich.text import Text

    from ..visible import visible

    return Text(visible("" if value is None else str(value)))


def table(rows: list[list[Any]], headers: list[str], title: str | None = None) -> None:
    """A rich table on a terminal (colour unless NO_COLOR), plain text elsewhere."""
    if not rows:
        return
    if is_terminal():
        from rich.console import Console
        from rich.table import Table

        t = Table(title=title, header_style="bold", show_lines=False)
        for h in headers:
            t.add_column(h)
        for r in rows:
            t.add_row(*[cell(v) for v in r])
        Console(no_color=bool(os.environ.get("NO_COLOR"))).print(t)
    else:
        from tabulate import tabulate

        out(tabulate([["" if v is None else v for v in r] for r in rows], headers=headers, tablefmt="plain"))


def send_quietly(st, now, only: set[int] | None = None) -> int | None:
    """Send what a command just queued (`only`: these messages, the rest is pd mail send's); a mail
    problem is a warning here, what the command did stands queued and pd mail send retries it."""
    from ..errors import PdError
    from ..notify.outbox import send_pending

    try:
        report = send_pending(st.settings, st.desk.ledger, now=now, only=only)
    except PdError as exc:
        say(_("Warning: mail not sent now ({error}); pd mail send will retry").format(error=exc))
        return None
    if report.temporary_error:
        say(_("Warning: mail server unreachable ({error}); pd mail send will retry").format(
            error=report.temporary_error))
    return len(report.sent)
