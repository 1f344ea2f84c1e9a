"""Words for people (SPEC 6, 12): durations in words, names in the dative, a
request's history as a short list, a short title for the thread's subject.

Pure functions of their arguments: no database, no desk.  ``notices`` feeds
them from the ledger; the templates get only their results.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import timedelta

from ..i18n import N_, gettext_in, ngettext_in, pgettext_in
from ..patterns import LazyPattern

# --------------------------------------------------------------------------
# Numbers and durations in words
# --------------------------------------------------------------------------

def count(n: int, unit: str, lang: str = "lv") -> str:
    """``count(5, "day") == "5 dienas"``; ``count(21, "day") == "21 diena"``; ``count(1, "hour", "en") == "1 hour"``.

    Latvian has three forms (pd.po's msgstr[0] after 0, 10-20 …, [1] after 1, 21 …, [2] the rest)."""
    if unit == "day":
        text = ngettext_in(lang, "{n} day", "{n} days", n)
    elif unit == "hour":
        text = ngettext_in(lang, "{n} hour", "{n} hours", n)
    elif unit == "minute":
        text = ngettext_in(lang, "{n} minute", "{n} minutes", n)
    elif unit == "working_day":
        text = ngettext_in(lang, "{n} working day", "{n} working days", n)
    elif unit == "working_hour":
        text = ngettext_in(lang, "{n} working hour", "{n} working hours", n)
    else:
        raise KeyError(unit)
    return text.format(n=n)


def duration_words(td: timedelta, lang: str = "lv", *, working: bool = False) -> str:
    """A duration as a person says it: "5 dienas", "8 darba stundas", "1 stunda 30 minūtes".

    Whole days of 24 hours are said in days (``working`` days when the
    duration counts a working calendar's days, i.e. 24-hour "d" units are not
    meant); otherwise hours and minutes.  Seconds are dropped.
    """
    minutes = max(0, int(td.total_seconds()) // 60)
    if minutes == 0:
        return count(0, "minute", lang)
    days, rest = divmod(minutes, 24 * 60)
    if rest == 0 and not working:
        return count(days, "day", lang)
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return gettext_in(lang, N_("{hours} and {minutes}")).format(
            hours=count(hours, "working_hour" if working else "hour", lang), minutes=count(mins, "minute", lang))
    if hours:
        return count(hours, "working_hour" if working else "hour", lang)
    return count(mins, "minute", lang)


# --------------------------------------------------------------------------
# Latvian names in the dative ("nodots ekspertam Jānim Bērziņam")
# --------------------------------------------------------------------------

# Endings of the nominative and their dative, longest first, by gender.
_MALE = (("ais", "ajam"), ("is", "im"), ("us", "um"), ("š", "am"), ("s", "am"), ("a", "am"), ("e", "em"))
_FEMALE = (("ā", "ajai"), ("a", "ai"), ("e", "ei"))
_WORD = LazyPattern(r"^[A-ZĀČĒĢĪĶĻŅŠŪŽ][a-zāčēģīķļņšūž]+$")


def gender(name: str) -> str | None:
    """``"m"``, ``"f"`` or None, from the first name's ending (Latvian names only)."""
    words = name.split()
    if len(words) < 2 or not all(_WORD.match(w.split("-")[0]) for w in words):
        return None
    first = words[0]
    if first.endswith(("s", "š")):
        return "m"
    if first.endswith(("a", "e")):
        return "f"
    return None


def dative(name: str) -> str | None:
    """The dative of a Latvian personal name, or None when it cannot be done simply.

    ``dative("Jānis Bērziņš") == "Jānim Bērziņam"``, ``"Laura Kalniņa"`` ->
    ``"Laurai Kalniņai"``, ``"Māris Liepa"`` -> ``"Mārim Liepam"``.  A name
    that is not plainly Latvian (a foreign name, initials, one word) is None,
    so the caller phrases the sentence without declension.
    """
    g = gender(name)
    if g is None:
        return None
    endings = _MALE if g == "m" else _FEMALE
    out = []
    for word in name.split():
        parts = []
        for part in word.split("-"):          # double surnames: both parts decline
            for nom, dat in endings:
                if part.endswith(nom):
                    parts.append(part[: -len(nom)] + dat)
                    break
            else:
                return None
        out.append("-".join(parts))
    return " ".join(out)


# The genitive ("no Ingas Pūpolas", "no Jāņa Bērziņa"): endings by gender, longest first; the
# 2nd declension (-is) softens n and l before -a (Jānis -> Jāņa, Kārlis -> Kārļa).
_MALE_GEN = (("is", "a"), ("us", "us"), ("š", "a"), ("s", "a"), ("a", "as"), ("e", "es"))
_FEMALE_GEN = (("a", "as"), ("e", "es"))
_SOFT = {"n": "ņ", "l": "ļ"}


def genitive(name: str) -> str | None:
    """The genitive of a Latvian personal name, or None when it cannot be done simply.

    ``genitive("Inga Pūpola") == "Ingas Pūpolas"``, ``"Jānis Bērziņš"`` -> ``"Jāņa Bērziņa"``,
    ``"Ilze Šķēle"`` -> ``"Ilzes Šķēles"``.  A name that is not plainly Latvian is None."""
    g = gender(name)
    if g is None:
        return None
    endings = _MALE_GEN if g == "m" else _FEMALE_GEN
    out = []
    for word in name.split():
        parts = []
        for part in word.split("-"):
            for nom, gen in endings:
                if part.endswith(nom):
                    stem = part[: -len(nom)]
                    if nom == "is" and stem and stem[-1] in _SOFT:
                        stem = stem[:-1] + _SOFT[stem[-1]]
                    parts.append(stem + gen)
                    break
            else:
                return None
        out.append("-".join(parts))
    return " ".join(out)


EXPERT, MANAGER, REQUESTER = "expert", "manager", "requester"


def role_word(role: str, gender_: str | None, lang: str = "lv") -> str:
    """The role noun in the dative: "ekspertam" / "ekspertei" (lv), "to the expert" (en)."""
    woman = gender_ == "f"
    if role == EXPERT:
        return (pgettext_in(lang, "dative, a woman", "to the expert") if woman
                else pgettext_in(lang, "dative, a man", "to the expert"))
    if role == MANAGER:
        return (pgettext_in(lang, "dative, a woman", "to the manager") if woman
                else pgettext_in(lang, "dative, a man", "to the manager"))
    if role == REQUESTER:
        return (pgettext_in(lang, "dative, a woman", "to the requester") if woman
                else pgettext_in(lang, "dative, a man", "to the requester"))
    raise KeyError(role)


def to_person(role: str, name: str, lang: str = "lv") -> str:
    """"ekspertam Jānim Bērziņam" / "ekspertei Laurai Kalniņai" / "to the expert Jānis Bērziņš".

    ``role`` is EXPERT, MANAGER or REQUESTER; its dative by gender comes from the catalog
    (``role_word``).  A name that does not decline simply is put after a colon:
    "ekspertam: John Smith".
    """
    if lang != "lv":
        return f"{role_word(role, None, lang)} {name}".strip()
    if not name:
        return role_word(role, "m", lang)
    d = dative(name)
    if d is None:
        return f"{role_word(role, 'm', lang)}: {name}"
    return f"{role_word(role, gender(name) or 'm', lang)} {d}"


# --------------------------------------------------------------------------
# Short texts
# --------------------------------------------------------------------------

def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word with "…"."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"


_SENTENCE_END = LazyPattern(r"(?<=[.!?;])\s|\n")


def short_title(description: str, limit: int = 60) -> str:
    """The thread's title: the description's first sentence, at most ``limit`` characters.

    ``"Neienāk e-pasts kopš rīta; Outlook rāda kļūdu"`` -> ``"Neienāk e-pasts kopš rīta"``.
    """
    text = (description or "").strip()
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip().rstrip(".;!")
    if len(first) < 12:                          # "Sveiki!" is no title: take more
        first = text
    return shorten(first, limit) or "—"


def phone(text: str | None) -> str:
    """``+37126123456`` -> ``+371 26123456`` (how a Latvian number is written); other text as it is."""
    t = (text or "").strip()
    if re.fullmatch(r"\+371\d{8}", t):
        return f"+371 {t[4:]}"
    return t


# --------------------------------------------------------------------------
# A request's history, for people
# --------------------------------------------------------------------------

_BY_CHANNEL = {"phone": N_("by phone"), "fax": N_("by fax"), "email": N_("by e-mail")}

#: How long a quoted text (a reason, a result) may be in one history line.
QUOTE = 90


def _q(text: object) -> str:
    return shorten(str(text or ""), QUOTE)


def history_lines(events: Iterable, *, lang: str, name_of: Callable[[str | None], str],
                  when: Callable[[object], str], reason_label: Callable[[str], str],
                  date_of: Callable[[str], str]) -> list[str]:
    """One short line per event: "02.12.2026 10:15 — nodots ekspertam Jānim Bērziņam".

    ``events`` are ledger events (``kind``, ``at``, ``actor``, ``on_behalf_of``,
    ``data``); ``name_of`` turns a login into a person's name (or "" for the
    desk's automation); ``when`` formats an instant; ``reason_label`` words an
    escalation reason; ``date_of`` formats an ISO date.  No field names, no
    logins, no ISO times.
    """
    lv = lang == "lv"
    lines = []
    for ev in events:
        data = json.loads(ev.data or "{}") if isinstance(ev.data, (str, bytes, type(None))) else dict(ev.data)
        who = name_of(ev.on_behalf_of or ev.actor)
        text = _event_text(ev.kind, data, who, lv, name_of, reason_label, date_of, lang)
        if text:
            lines.append(f"{when(ev.at)} — {text}")
    return lines


def _by(who: str, lv: bool) -> str:
    return f" ({who})" if who else ""


def _event_text(kind, data, who, lv, name_of, reason_label, date_of, lang) -> str | None:
    by = _by(who, lv)

    def g(message: str) -> str:
        return gettext_in(lang, message)

    if kind == "registered":
        channel = data.get("channel") or ""
        text = (g(N_("request registered {channel}")).format(channel=g(_BY_CHANNEL[channel]))
                if channel in _BY_CHANNEL else g(N_("request registered")))
        if data.get("urgent"):
            text = g(N_("{event}, urgent")).format(event=text)
        return text + by
    if kind == "refused":
        base = g(N_("refused: outside the Centre's competence"))
        return base + (f" ({_q(data['reason'])})" if data.get("reason") else "")
    if kind in ("assigned", "reassigned"):
        expert = name_of(data.get("expert"))
        if kind == "reassigned":
            text = g(N_("reassigned to {expert}")).format(expert=expert)
        else:
            whom = to_person(EXPERT, expert, lang) if lv else (expert or g(N_("an expert")))
            # TRANSLATORS: in Latvian {expert} comes with its role in the dative: "ekspertam Jānim Bērziņam".
            text = g(N_("assigned to {expert}")).format(expert=whom)
        if data.get("reason"):
            text += f" ({_q(data['reason'])})"
        return text
    if kind == "accepted":
        return g(N_("{who} accepted the request")).format(who=who) if who else pgettext_in(lang, "history", "accepted")
    if kind == "rejected":
        base = g(N_("{who} rejected the request")).format(who=who)
        return base + (f": {_q(data['reason'])}" if data.get("reason") else "")
    if kind == "waiting":
        base = g(N_("more information asked from the user"))
        return base + by + (f": {_q(data['question'])}" if data.get("question") else "")
    if kind == "resumed":
        base = g(N_("the user answered; work goes on"))
        return base + (f": {_q(data['answer'])}" if data.get("answer") else "")
    if kind == "note":
        return pgettext_in(lang, "history", "note") + by + (f": {_q(data['text'])}" if data.get("text") else "")
    if kind == "delay_reported":
        base = g(N_("delay reported"))
        text = base + by + (f": {_q(data['delay_reason'])}" if data.get("delay_reason") else "")
        if data.get("planned_date"):
            text = g(N_("{event}; planned date {date}")).format(event=text, date=date_of(data["planned_date"]))
        return text
    if kind == "resolved":
        return pgettext_in(lang, "history", "resolved") + by + (f": {_q(data['result'])}" if data.get("result") else "")
    if kind == "closed":
        if data.get("auto"):
            return g(N_("closed: no objection was received"))
        return pgettext_in(lang, "history", "closed") + by
    if kind == "reopened":
        base = g(N_("reopened after the user objected"))
        return base + (f": {_q(data['reason'])}" if data.get("reason") else "")
    if kind == "escalated":
        managers = [name_of(x) for x in str(data.get("manager") or "").split(",") if x]
        level = data.get("level") or 1
        reason = reason_label(data.get("reason") or "")
        if not managers:
            return g(N_("escalated (level {level}): {reason}")).format(level=level, reason=reason)
        if lv:
            several = pgettext_in(lang, "dative, several", "to the managers")
            to = to_person(MANAGER, managers[0], lang) if len(managers) == 1 else f"{several}: {', '.join(managers)}"
        else:
            to = ", ".join(managers)
        # TRANSLATORS: in Latvian {managers} comes with its role in the dative: "vadītājam Valdim Kalējam".
        return g(N_("escalated (level {level}) to {managers}: {reason}")).format(
            level=level, managers=to, reason=reason)
    if kind == "mail_skipped":
        base = g(N_("a message could not be sent"))
        return base + (f" ({_q(data['reason'])})" if data.get("reason") else "")
    if kind == "privacy_purged":
        return None
    # A kind this module does not know (e.g. mail taken in by intake): say so plainly, with its words.
    words = data.get("subject") or data.get("text") or data.get("summary")
    base = g(N_("entry in the request's history"))
    return base + by + (f": {_q(words)}" if words else "")
