"""pd doctor: is the desk healthy? (SPEC 16)"""
from __future__ import annotations

import typer

from ..i18n import ngettext
from .common import Json, emit_json, out, state

MARKS = {"ok": "✓", "problem": "✗", "skipped": "–"}


def doctor(ctx: typer.Context, as_json: Json = False) -> None:
    """What needs an admin, one line per check: configuration, schema, the ledger's integrity, the
    outbox, the mailbox, when the cron jobs last ran, next year's working-day transfers, file modes.

    Changes nothing. Exit 0 when all is well, 7 when something needs an admin.
    Example (cron, mails the admin only when something is wrong): pd doctor >/dev/null
    """
    from .. import doctor as checks
    from .. import i18n, ledger
    from ..errors import ConfigError, PdError

    if as_json:  # --json carries English (SPEC 12), also in what the checks quote (errors, the chain)
        i18n.use("en")
    try:
        try:
            settings, broken = state(ctx).settings, None
        except PdError as exc:  # the broken configuration is the first finding, not the end
            settings, broken = None, exc
        mailbox = None
        if settings is not None and settings.imap_url:
            from ..imapurl import parse_imap_url

            mailbox = parse_imap_url(settings.imap_url, settings.imap_done).key
        results = checks.run(settings, broken, ledger.utcnow(), mailbox)
    finally:
        if as_json:
            i18n.use(None)
    lang = i18n.language()
    if as_json:
        emit_json({"ok": all(c.status != "problem" for c in results), "checks": [c.as_dict() for c in results]})
    else:
        from .common import is_terminal
        from .layout import terminal_width, wrap

        width = max(len(c.title(lang)) for c in results)
        indent = width + 4  # the mark, its space, the title and its colon, a space
        for c in results:
            head = f"{MARKS[c.status]} {c.title(lang) + ':':{width + 1}} "
            if not is_terminal():  # a pipe, a mail from cron: one line per check
                out(head + c.detail(lang))
                continue
            lines = wrap(c.detail(lang), max(terminal_width() - indent, 30)) or [""]
            out(head + lines[0])
            for line in lines[1:]:
                out(" " * indent + line)  # whole words under the detail, never a word broken at the edge

    problems = [c for c in results if c.status == "problem"]
    if problems:
        raise ConfigError(ngettext("{n} check needs an admin: {checks}", "{n} checks need an admin: {checks}",
                                   len(problems)).format(n=len(problems),
                                                         checks=", ".join(c.title(lang) for c in problems)))

