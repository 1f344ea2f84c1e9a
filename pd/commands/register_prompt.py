"""Interactive `pd register` on a terminal: each answer is checked as it is typed [SPEC 3, 14].

A wrong answer is asked again with the reason; institutions and services are offered as a
numbered list (and Tab completes their codes); phone and e-mail are asked for, since without
them the user cannot be informed [§8.3]; a phone or e-mail that an earlier request holds
offers that caller's details. Ctrl-C at any prompt leaves with exit code 130 and stores nothing.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterable

import typer

from ..errors import PdError
from ..i18n import N_, _
from .common import confirm

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C

# The prompts: English message ids, translated where asked (pd.i18n).
TEXT = {
    "phone": N_("Phone"), "email": N_("E-mail"), "name": N_("Name and surname"),
    "institution": N_("Institution (number or code)"), "service": N_("Service (number or code)"),
    "location": N_("Location (address of the device)"), "room": N_("Room"),
    "description": N_("Description"), "channel": N_("Channel"), "urgent": N_("Urgent?"),
    "no_phone": N_("Without a phone the user cannot be called back. Leave it empty?"),
    "no_email": N_("Without an e-mail the user is not informed of the request's progress [§8.3]. Leave it empty?"),
    "earlier": N_("This caller has called before ({number}):"), "use": N_("Use these details?"),
    "interrupted": N_("Interrupted: nothing was registered."), "tab": N_("(Tab completes, ? lists)"),
    "channels": N_("phone, fax, email, other"), "phone_word": N_("phone"),
}


class _Retry(Exception):
    pass


def prompt_register(st, data, *, redact: bool = False) -> None:
    """Fill `data` (a RegisterInput) from the operator's answers; exit 130 on Ctrl-C."""
    try:
        _prompt(st, data, redact=redact)
    except (typer.Abort, KeyboardInterrupt, EOFError):
        typer.echo("", err=True)
        typer.echo(_(TEXT["interrupted"]), err=True)
        raise typer.Exit(INTERRUPTED) from None


def _prompt(st, data, *, redact: bool) -> None:
    from .. import guard
    from ..latvian import channel_from_word, clean_text, normalize_email, normalize_phone

    desk = st.desk
    desk.require("operator", "system", what=N_("register requests"))  # exit 6 before anything is typed
    lang = st.settings.lang
    t = {key: _(text) for key, text in TEXT.items()}
    catalog, contacts = desk.catalog, desk.contacts

    def text_check(field: str, multiline: bool = False) -> Callable[[str], str]:
        from ..desk import LIMITS

        def check(value: str) -> str:
            value = clean_text(field, value, max_len=LIMITS.get(field, 4000), multiline=multiline)
            if not value:
                raise _Retry(_required(t[field]))
            return guard.check_text(field, value, redact_secrets=redact)
        return check

    def deliverable_email(value: str) -> str:
        address = normalize_email(value)
        if not address.split("@")[0].isascii():
            raise _Retry(_("e-mail address {address}: the desk's mail server delivers only to an ASCII name "
                           "before the '@' (e.g. janis.berzins@…)").format(address=repr(address)))
        return address

    recalled = False
    for field, normalise in (("phone", normalize_phone), ("email", deliverable_email)):
        value = getattr(data, field)
        if value and _valid(normalise, value):
            continue
        value = _ask(t[field], normalise, current=value, empty_ok=t["no_" + field])
        setattr(data, field, value)
        if value and not recalled:
            earlier = desk.earlier_requester(**{field: value})
            if earlier is not None:
                recalled = _offer(earlier, data, t)

    institutions = list(contacts.institutions.values())
    services = list(catalog.services.values())
    fields: list[tuple[str, Callable[[str], str], Iterable[tuple[str, str]] | None]] = [
        ("name", text_check("name"), None),
        ("institution", lambda v: _choice(v, [(i.code, i.name) for i in institutions], contacts.institution),
         [(i.code, i.name) for i in institutions]),
        ("service", lambda v: _choice(v, [(s.code, s.label(lang)) for s in services], catalog.service),
         [(s.code, s.label(lang)) for s in services]),
    ]
    for field, check, choices in fields:
        value = getattr(data, field)
        if value and _valid(check, value):
            setattr(data, field, check(value))
            continue
        if choices is not None:
            _show_choices(choices)
        setattr(data, field, _ask(t[field], check, current=value, choices=choices, hint=t["tab"] if choices else ""))

    if catalog.service(data.service).needs_location:
        for field in ("location", "room"):
            value = getattr(data, field)
            check = text_check(field)
            if not (value and _valid(check, value)):
                setattr(data, field, _ask(t[field], check, current=value))

    check = text_check("description", multiline=True)
    if not (data.description and _valid(check, data.description)):
        data.description = _ask(t["description"], check, current=data.description)
    if not (data.channel and _valid(channel_from_word, data.channel)):
        data.channel = _ask(f"{t['channel']} ({t['channels']})", channel_from_word, current=data.channel,
                            default=t["phone_word"])
    else:
        data.channel = channel_from_word(data.channel)
    if not data.urgent:
        data.urgent = confirm(t["urgent"], default=False)


def _valid(check: Callable[[str], str], value: str) -> bool:
    try:
        check(value)
        return True
    except (PdError, _Retry, ValueError):
        return False


def _ask(label: str, check: Callable[[str], str], *, current: str | None = None, empty_ok: str | None = None,
         choices=None, hint: str = "", default: str | None = None) -> str:
    """Ask until `check` accepts the answer; say why when it does not."""
    if current:  # given as an option but wrong: say so before asking
        _why(check, current)
    from ..visible import visible

    shown = visible(default) if default else ""  # a default from a mail is shown, its control characters not obeyed
    with _completing([c for c, _ in choices] if choices else []) as completing:
        while True:
            if completing:  # readline draws the whole prompt itself, so a completion never draws over it
                answer = input(f"{label} {hint}: " if hint else f"{label}: ").strip()
            else:
                answer = typer.prompt(label + (f" {hint}" if hint else ""), default=shown,
                                      show_default=bool(default), err=True).strip()
            if default and shown != default and answer == shown.strip():
                answer = default.strip()  # Enter takes the default as it is (and the check says what is wrong)
            if not answer:
                if empty_ok is not None and confirm(empty_ok, default=False):
                    return ""
                if empty_ok is None:
                    typer.echo("  ✗ " + _required(label), err=True)
                continue
            if choices and answer == "?":
                _show_choices(choices)
                continue
            try:
                return check(answer)
            except (PdError, _Retry, ValueError) as exc:
                typer.echo(visible(f"  ✗ {exc}") + (" " + _("(? lists them)") if choices else ""), err=True)


def _required(label: str) -> str:
    return _("{field}: an answer is required").format(field=label.split(" (")[0])


def _why(check, value) -> None:
    from ..visible import visible

    try:
        check(value)
    except (PdError, _Retry, ValueError) as exc:
        typer.echo(visible(f"  ✗ {exc}"), err=True)


def _choice(value: str, options: list[tuple[str, str]], lookup) -> str:
    """A number from the list, or a code (any case) the lookup knows."""
    v = value.strip()
    if v.isdigit():
        i = int(v)
        if not 1 <= i <= len(options):
            raise _Retry(_("{number} is not in the list (1–{last})").format(number=v, last=len(options)))
        return options[i - 1][0]
    return lookup(v).code


def _show_choices(options) -> None:
    options = list(options)
    width = max(len(c) for c, _ in options)
    for i, (code, name) in enumerate(options, 1):
        typer.echo(f"  {i:>2}  {code:<{width}}  {name}", err=True)


def _offer(earlier: dict, data, t: dict) -> bool:
    from ..desk import REQUESTER_FIELDS
    from ..visible import visible

    shown = ", ".join(earlier[f] for f in REQUESTER_FIELDS if earlier.get(f))
    typer.echo(t["earlier"].format(number=earlier["number"]), err=True)
    typer.echo("  " + visible(shown), err=True)
    if not confirm(t["use"], default=True):
        return False
    for f in REQUESTER_FIELDS:
        if not getattr(data, f) and earlier.get(f):
            setattr(data, f, earlier[f])
    return True


@contextmanager
def _completing(words: list[str]):
    """Tab completes these words at the prompt (readline, where the platform has it and the operator sits
    at a terminal); yields whether it does, and then the prompt is read with input() so that readline
    knows the whole prompt and redraws it whole after listing the matches.

    The answer is the whole line: the prefix typed is everything before the cursor ("IS-D", not the "D"
    after readline's default word breaks, which include "-"), so Tab completes "IS-D" to IS-DVS and lists
    only the IS- codes for "IS-"; the matches are never padded with a space."""
    import sys

    if not words or not (sys.stdin.isatty() and sys.stdout.isatty()):
        yield False
        return
    try:
        import readline
    except ImportError:  # pragma: no cover - no readline on this platform: the numbered list still works
        yield False
        return
    old, old_delims = readline.get_completer(), readline.get_completer_delims()

    def complete(text: str, state: int):
        typed = readline.get_line_buffer()[:readline.get_endidx()].lstrip()
        hits = [w for w in words if w.lower().startswith(typed.lower())]
        return hits[state] if state < len(hits) else None

    readline.set_completer(complete)
    readline.set_completer_delims("")
    readline.parse_and_bind("tab: complete")
    readline.parse_and_bind("set completion-ignore-case on")
    try:
        yield True
    finally:
        readline.set_completer(old)
        readline.set_completer_delims(old_delims)
