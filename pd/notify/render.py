"""Mail templates: render a message kind in a language.

The shipped templates are message catalog entries (``pd.notify.mails.TEMPLATES``: the English
text is the msgid, the Latvian its msgstr in pd.po). A deployment overrides any of them with a
file ``<lang>/<kind>.txt`` in ``PD_TEMPLATES_DIR``; ``validate_templates`` checks every kind and
language renders with the variables it may use.
"""
from __future__ import annotations

import re
import string
import textwrap
from collections.abc import Mapping
from pathlib import Path

from pd.errors import ConfigError, InvalidInput, PdError

from ..i18n import _, gettext_in, ngettext
from ..patterns import LazyPattern
from .mails import TEMPLATES

# --------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------

LANGUAGES = ("lv", "en")

KINDS = (
    "assigned_expert",
    "forwarded_user",
    "delay_user",
    "resolved_user",
    "closed_user",
    "refused_user",
    "escalation_manager",
    "question_user",
    "answer_expert",
    "taken_expert",
    "reopened_user",
    "reopened_expert",
    "reminder_expert",
    "command_expert",
    "monthly_report",
    "monthly_report_overview",
    "desk_notice",
)

_DESK = frozenset({"desk_name", "desk_email", "desk_phone"})
_COMMON = _DESK | frozenset(
    {"number", "title", "urgent_marker", "urgent_word", "service_code", "service_name", "description",
     "status_label", "requester_name"}
)
_REQUESTER = frozenset({"service_full", "requester_institution", "requester_unit", "requester_position", "requester_phone",
                        "requester_email", "location", "room", "room_text", "workplace"})

#: The variables each kind's shipped template may use (what the caller is
#: expected to supply).  A supervisor's template may use any of them;
#: ``render`` itself only checks against the context it is given.  Values are
#: words for people: dates ``dd.mm.yyyy hh:mm``, durations in words
#: (``close_after`` "5 dienas"), names, never logins or ISO times.
VARIABLES: Mapping[str, frozenset[str]] = {
    "assigned_expert": _COMMON | _REQUESTER
    | {"expert_name", "username", "received_at", "response_due", "resolution_due", "note"},
    "forwarded_user": _COMMON | {"resolution_due"},
    "delay_user": _COMMON | {"planned_date", "delay_reason", "resolution_due"},
    "resolved_user": _COMMON | {"result", "close_after", "close_by"},
    "closed_user": _COMMON | {"result", "closed_why"},
    "refused_user": _COMMON | {"reason", "ict_contact", "ict_contact_heading"},
    "escalation_manager": _COMMON | _REQUESTER
    | {
        "manager_name", "expert_name", "reason_label", "response_due", "resolution_due",
        "planned_date", "history", "level", "role", "earlier", "note",
    },
    # SPEC 15: the question to the user; the user's answer, the reassignment, the reopen,
    # a reminder and the answer to an expert's command by mail, to the expert.
    "question_user": _COMMON | {"question"},
    "answer_expert": _COMMON | _REQUESTER | {"question", "answer", "answer_via", "resolution_due"},
    "taken_expert": _COMMON | {"to_new_expert", "reason"},
    "reopened_user": _COMMON | {"reason"},
    "reopened_expert": _COMMON | _REQUESTER | {"reason", "objection", "previous_result", "resolution_due"},
    "reminder_expert": _COMMON | _REQUESTER | {"deadline_word", "deadline", "time_left", "todo"},
    "command_expert": _COMMON | {"outcome", "detail"},
    # Not about one request: no number, no service; see render().
    "monthly_report": _DESK | {"institution_name", "month", "summary", "anchor"},
    # The Centre's overview across institutions, to the Centre's management.
    "monthly_report_overview": _DESK | {"month", "summary", "anchor"},
    # To the desk itself, when a message could not be sent: which (``what``),
    # why (``reason``), what to do (``todo``) and the unsent text (``details``).
    # ``number`` may also name something other than a request (e.g.
    # "pārskats 2026-10"), it goes into the [PD ...] tag.
    "desk_notice": frozenset({"number", "title", "what", "reason", "todo", "details", "desk_name"}),
}

#: Plain text is wrapped to this many columns (a mail reader's 72–78); a word
#: longer than that (a URL, a path) is kept whole on a line of its own.
WIDTH = 76

_SUBJECT_PREFIX = "subject:"


def template_path(kind: str, lang: str, templates_dir: Path | str | None = None) -> Path | None:
    """The deployment's file ``render`` reads instead of the shipped template, or None (the catalog's)."""
    if kind not in KINDS:
        raise InvalidInput(_("unknown mail kind {kind!r} (known: {known})").format(kind=kind, known=", ".join(KINDS)))
    if lang not in LANGUAGES:
        raise InvalidInput(_("unknown mail language {lang!r} (known: {known})").format(
            lang=lang, known=", ".join(LANGUAGES)))
    if templates_dir is not None and str(templates_dir) != "":
        base = Path(templates_dir)
        if not base.is_dir():
            raise ConfigError(_("PD_TEMPLATES_DIR {path}: not a directory").format(path=base))
        candidate = base / lang / f"{kind}.txt"
        if candidate.is_file():
            return candidate
    return None


def template_text(kind: str, lang: str, templates_dir: Path | str | None = None) -> tuple[str, str]:
    """``(where, text)`` of the template ``render`` uses: the deployment's file if it has one, else
    the shipped one from the message catalog in ``lang`` (``where`` names it in an error)."""
    path = template_path(kind, lang, templates_dir)
    if path is None:
        return f"{lang}/{kind}", gettext_in(lang, TEMPLATES[kind])
    try:
        return str(path), path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(_("template {path}: file not found").format(path=path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(_("template {path}: not UTF-8 text ({reason} at byte {byte})").format(
            path=path, reason=exc.reason, byte=exc.start)) from None
    except OSError as exc:
        raise ConfigError(_("template {path}: cannot read: {error}").format(path=path, error=exc.strerror or exc)) from None


def _read_template(path: str, text: str) -> tuple[str, str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first, sep, rest = text.partition("\n")
    if not first.lower().startswith(_SUBJECT_PREFIX):
        raise ConfigError(_("template {path}: line 1 must be 'Subject: ...'").format(path=path))
    subject = first[len(_SUBJECT_PREFIX):].strip()
    if not subject:
        raise ConfigError(_("template {path}: line 1: the subject is empty").format(path=path))
    second, _sep, body = rest.partition("\n")
    if second.strip():
        raise ConfigError(_("template {path}: line 2 must be blank (it separates the subject from the body)")
                          .format(path=path))
    return subject, body


def _placeholders(text: str, path: str, line_offset: int) -> list[str]:
    """Names used in ``text``; an unterminated ``${`` is an error, a lone ``$`` is text."""
    names: list[str] = []
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name:
            names.append(name)
        elif match.group("invalid") is not None:
            start = match.start("invalid")
            if text.startswith("{", start):
                line = text.count("\n", 0, start) + 1 + line_offset
                raise ConfigError(_("template {path}: line {line}: unterminated or invalid '${{' placeholder")
                                  .format(path=path, line=line))
    return names


_LABELLED = LazyPattern(r"^[^:\n]{1,60}:(\s|$)")
_HEADING = LazyPattern(r"^\S[^:\n]{0,60}:$")
_HANGING = LazyPattern(r"^(\s*(?:\d\d\.\d\d\.\d{4} \d\d:\d\d — |[-•*] ))")


def _without_placeholders(match: re.Match[str]) -> str:
    if match.group("escaped") is not None:
        return "$"
    if match.group("named") or match.group("braced"):
        return ""
    return match.group(0)


def wrap(text: str, width: int = WIDTH) -> str:
    """Wrap each line of ``text`` to ``width`` columns, at spaces only.

    Words are never broken (a URL, a request number, an address stays
    whole); a line's indent is kept, and a history line ("02.12.2026 10:15 —
    ...") or a list item ("- ...") hangs under its text.
    """
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        hang = _HANGING.match(line)
        indent = " " * (len(hang.group(1)) if hang else lead)
        out.extend(textwrap.wrap(line, width=width, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) or [""])
    return "\n".join(out)


def _substitute_body(body: str, values: Mapping[str, str]) -> str:
    """Substitute line by line, leaving out a labelled field with nothing in it; wrap.

    A template line that uses placeholders which all render empty, and whose
    remaining text is nothing or starts with a label ("Telpa: $room",
    "Termiņš: $date ($words)"), is left out, so optional fields leave no
    dangling labels.  The result is wrapped to ``WIDTH`` columns.
    """
    out: list[str] = []
    headings: set[int] = set()
    for line in body.split("\n"):
        names = [m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(line)]
        names = [n for n in names if n]
        if names and all(values.get(n, "") == "" for n in names):
            rest = string.Template.pattern.sub(_without_placeholders, line).strip()
            if rest == "" or _LABELLED.match(rest):
                continue
        if not names and _HEADING.match(line):
            headings.add(len(out))
        out.append(string.Template(line).safe_substitute(values))
    # A template's heading ("Rezultāts:") whose block below came out empty goes too.
    out = [line for i, line in enumerate(out)
           if not (i in headings and (i + 1 == len(out) or not out[i + 1].strip()))]
    text = "\n".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text)          # no trailing blanks
    text = re.sub(r"\n{3,}", "\n\n", text)          # at most one empty line in a row
    return wrap(text.strip("\n")) + "\n"


def render(
    kind: str,
    lang: str,
    context: Mapping[str, object],
    templates_dir: Path | None = None,
) -> tuple[str, str]:
    """Render a message kind in a language: ``(subject, body)``.

    The template is ``<templates_dir>/<lang>/<kind>.txt`` when that file exists
    (a deployment's ``PD_TEMPLATES_DIR``), else the shipped one, the message
    catalog's ``pd.notify.mails.TEMPLATES[kind]`` in ``lang``.  Its first line is
    ``Subject: ...``, then a blank line, then the body.  Placeholders are
    ``string.Template`` ones (``$name``, ``${name}``, ``$$`` for a dollar); a
    ``$`` not followed by a name is kept as text.  A placeholder the context
    lacks raises ``ConfigError("template <path>: unknown placeholder $x")``.

    Values are pre-formatted by the caller; ``None`` renders as "".  In the
    body a labelled line whose placeholders are all empty ("Telpa: $room") is
    left out.  The subject is one line (whitespace in values collapsed).

    Every subject must carry the request's tag ``[PD <number>]`` (checked:
    ``ConfigError`` when a template lost it), except ``monthly_report``, which
    is about no single request and is tagged ``[PD pārskats <month>]`` (lv) /
    ``[PD report <month>]`` (en): for it only the ``[PD `` prefix is checked.
    """
    path, text = template_text(kind, lang, templates_dir)
    subject_t, body_t = _read_template(path, text)
    values = {key: ("" if value is None else str(value)) for key, value in context.items()}

    used = _placeholders(subject_t, path, 0) + _placeholders(body_t, path, 2)
    missing = [name for name in dict.fromkeys(used) if name not in values]
    if missing:
        listed = ", ".join(f"${name}" for name in missing)
        raise ConfigError(ngettext("template {path}: unknown placeholder {listed}",
                                   "template {path}: unknown placeholders {listed}", len(missing))
                          .format(path=path, listed=listed))

    subject = " ".join(string.Template(subject_t).safe_substitute(values).split())
    body = _substitute_body(body_t, values)

    if kind.startswith("monthly_report"):
        if "[PD " not in subject:
            raise ConfigError(_("template {path}: the subject must contain the tag [PD report $month]").format(path=path))
    else:
        number = values.get("number")
        if number is None:
            raise ValueError(f"render({kind!r}): the context has no 'number'")
        if f"[PD {number}]" not in subject:
            raise ConfigError(_("template {path}: the subject must contain [PD $number]").format(path=path))
    return subject, body


def validate_templates(templates_dir: Path | str | None = None) -> list[str]:
    """Render every kind and language with its documented variables; return the problems found.

    For a ``pd`` check command or a test: an empty list means every template a
    deployment would use (its own or the shipped one) renders.
    """
    problems: list[str] = []
    for lang in LANGUAGES:
        for kind in KINDS:
            sample = {name: f"<{name}>" for name in VARIABLES[kind]}
            sample["number"] = "2026-000001"
            try:
                render(kind, lang, sample, Path(templates_dir) if templates_dir else None)
            except PdError as exc:
                problems.append(str(exc))
    return problems
