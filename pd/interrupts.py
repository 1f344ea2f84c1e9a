"""Ctrl-C that tells the truth (issue 18, item 4).

A SIGINT that lands before a change commits rolls it back: nothing was stored, and the command
says so. One that lands on or after the COMMIT must not: the change is stored, so "nothing was
changed, try again" would make a retry store it twice. From just before the COMMIT the interrupt
is held; the command prints what it did, and the held Ctrl-C then only adds a line saying that it
came too late to undo anything. A second Ctrl-C while one is held stops at once, and what stops
says how many changes were already stored.

`pd.db.connection.write_transaction` calls `committing()` around every outermost transaction;
`pd.cli` installs the handler (`install`) and asks `stopped_after()` what to say. Nothing here
imports the rest of pd: the store below and the command line above both use it.
"""
from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

from .errors import ExitCode
from .i18n import N_, _, ngettext

if TYPE_CHECKING:  # typing and contextlib are not loaded for this: pd loads it first, before the collector is off
    from typing import Any, Callable

#: Exit status of a command cut short after it had stored something (a shell's 128 + SIGINT):
#: not 8, which tells a script that a retry is safe.
STOPPED_AFTER_STORING = 130

# What a person reads, by situation: English message ids, translated where shown (pd.i18n).
TEXT = {
    "nothing": N_("interrupted (Ctrl-C); nothing was changed, the command may be run again"),
    "late": N_("Ctrl-C came after the change was stored: the command was carried out (see above), nothing was undone"),
    "startup": N_("interrupted (Ctrl-C) while starting; nothing was changed"),
    "unsure": N_("interrupted (a second Ctrl-C) while storing: the change may have been stored; "
                 "check with pd show / pd list before running it again"),
}

_stored = 0        # transactions this process committed
_holding = False   # a COMMIT is under way or done, and its output not yet printed
_pending = False   # a Ctrl-C came while holding
_unsure = False    # a second Ctrl-C broke into a COMMIT: it may have been stored or not


def words(key: str, **values: Any) -> str:
    """A message in the desk's language. pd.i18n reads PD_LANG itself, never the settings: they may
    not be loadable when Ctrl-C comes."""
    if key == "stored":
        n = values["n"]
        return ngettext("interrupted (Ctrl-C) after {n} change had been stored: it stays; "
                        "check with pd show / pd list before running it again",
                        "interrupted (Ctrl-C) after {n} changes had been stored: they stay; "
                        "check with pd show / pd list before running it again", n).format(n=n)
    return _(TEXT[key]).format(**values)


def _on_sigint(signum: int, frame: Any) -> None:
    global _pending
    if _holding and not _pending:
        _pending = True  # the change is (being) stored: finish it and say what was done
        return
    raise KeyboardInterrupt


def install() -> Any:
    """Route SIGINT through the hold; returns the handler it replaced (None off the main thread)."""
    try:
        return signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:  # not the main thread (a test runner's worker): Python's own handler stays
        return None


def restore(previous: Any) -> None:
    if previous is not None:
        try:
            signal.signal(signal.SIGINT, previous)
        except ValueError:
            pass


def reset() -> None:
    """A new command begins (the CLI run in-process by tests runs many in one process)."""
    global _stored, _holding, _pending, _unsure
    _stored, _holding, _pending, _unsure = 0, False, False, False


class committing:
    """Around an outermost transaction, whose body calls `hold()` just before its COMMIT: from
    there a Ctrl-C waits until the command has printed what it did. If the transaction fails,
    nothing of it was stored and its hold ends. A second Ctrl-C that breaks through the hold of
    this COMMIT asks `settle()` whether it was stored (it rolls back what was not)."""

    def __init__(self, settle: Callable[[], bool]):
        self.settle = settle

    def __enter__(self) -> None:
        self.was_holding = _holding

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        global _holding, _stored, _pending, _unsure
        if exc_type is None:
            _stored += 1
            return False
        if issubclass(exc_type, KeyboardInterrupt) and _holding and not self.was_holding:
            try:
                if self.settle():
                    _stored += 1
            except Exception:  # noqa: BLE001 - the connection cannot tell: say that we do not know
                _unsure = True
        if not self.was_holding:
            _holding = _pending = False  # the error says what happened; the Ctrl-C changes nothing of it
        return False


def hold() -> None:
    """The COMMIT comes next: hold a Ctrl-C from here until the command's output is printed."""
    global _holding
    _holding = True


def stored() -> int:
    """How many transactions this command has committed."""
    return _stored


def release(*, stay_held: bool = False) -> bool:
    """The command's output is complete: end the hold (or, with `stay_held`, keep holding while the
    process exits, so that a late Ctrl-C cannot turn a finished command into an error). True when a
    Ctrl-C came during it."""
    global _holding, _pending
    came = _pending
    _holding, _pending = (_holding and stay_held), False
    return came


def interrupted_message() -> tuple[str, int]:
    """What to say, and the exit status, when a Ctrl-C stops a command: honest about what was stored."""
    release()
    if _unsure:
        return words("unsure"), STOPPED_AFTER_STORING
    if _stored:
        return words("stored", n=_stored), STOPPED_AFTER_STORING
    return words("nothing"), int(ExitCode.TEMPORARY)


def outside_command() -> int:
    """Ctrl-C outside a command (while pd loads, or as it ends): one line, never a traceback.
    Returns the exit status."""
    if _stored or _unsure:
        message, code = interrupted_message()
    else:
        message, code = words("startup"), int(ExitCode.TEMPORARY)
    sys.stderr.write(_("Error: {message}").format(message=message) + "\n")
    sys.stderr.flush()
    return code
