"""Latvian conventions (SPEC 12), kept in one place.

Collation of names, the Latvian and English labels used in e-mails and
reports, dates for people (``dd.mm.yyyy hh:mm``, Europe/Riga), phone numbers
(``+371XXXXXXXX``), e-mail addresses and the clean-up every free text gets.

Imports are stdlib only and cheap: this module loads on every command. The time-zone database
(zoneinfo, which asks sysconfig where it lives) and unicodedata load on first use; the
patterns are compiled on first use (re's own cache keeps them).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from pd.errors import InvalidInput
from pd.i18n import N_, _, gettext_in, language, ngettext

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = [
    "RIGA",
    "LANGUAGES",
    "STATUS_LABELS",
    "CHANNEL_LABELS",
    "ESCALATION_REASON_LABELS",
    "YES_NO",
    "TERMS",
    "FIELD_NAMES",
    "Labels",
    "field_name",
    "label",
    "yes_no",
    "lv_sort_key",
    "lv_sorted",
    "to_local",
    "format_dt",
    "format_date",
    "iso",
    "parse_instant",
    "normalize_phone",
    "normalize_email",
    "clean_text",
]

# --------------------------------------------------------------------------
# Collation
# --------------------------------------------------------------------------
# č ģ ķ ļ ņ š ž are letters of their own (after c g k l n s z); ā ē ī ū share
# the primary weight of a e i u and only break ties at the secondary level.
_ALPHABET = "abcčdefgģhijkķlļmnņopqrsštuvwxyzž"
_PRIMARY: dict[str, int] = {ch: i for i, ch in enumerate(_ALPHABET)}
_MACRON = 0x0304
_PRIMARY_SECONDARY: dict[str, tuple[int, int]] = {ch: (i, 0) for ch, i in _PRIMARY.items()}
for _long, _short in (("ā", "a"), ("ē", "e"), ("ī", "i"), ("ū", "u"), ("ō", "o")):
    _PRIMARY_SECONDARY[_long] = (_PRIMARY[_short], _MACRON)

# Classes of the primary level: spaces and punctuation, then digits, then the
# Latvian alphabet, then every other letter (by code point).
_C_SPACE, _C_PUNCT, _C_DIGIT, _C_LETTER, _C_OTHER = range(5)


def _char_weights(ch: str) -> tuple[tuple[int, int], int, int]:
    import unicodedata  # lazy: a read (pd show) needs no unicodedata; text clean-up does

    lower = ch.lower()
    if len(lower) != 1:
        lower = ch
    tertiary = 1 if lower != ch else 0  # lowercase first, as ICU does for lv
    ps = _PRIMARY_SECONDARY.get(lower)
    if ps is not None:
        return (_C_LETTER, ps[0]), ps[1], tertiary

    if ch.isdigit():
        return (_C_DIGIT, unicodedata.digit(ch, 0) if ch.isdecimal() else ord(ch)), 0, tertiary
    if ch.isspace():
        return (_C_SPACE, 0), 0, tertiary
    decomposed = unicodedata.normalize("NFD", lower)
    base = decomposed[0]
    if len(decomposed) > 1 and base in _PRIMARY:
        # A foreign letter with a diacritic (ö, é, ŗ): sorts with its base letter.
        return (_C_LETTER, _PRIMARY[base]), ord(decomposed[1]), tertiary
    if lower.isalpha():
        return (_C_OTHER, ord(lower)), 0, tertiary
    return (_C_PUNCT, ord(ch)), 0, tertiary


def lv_sort_key(s: str) -> tuple:
    """Sort key for Latvian collation (case-insensitive first, then accents, then case).

    >>> sorted(["Ķekava", "Kuldīga", "čūska", "cukurs"], key=lv_sort_key)
    ['cukurs', 'čūska', 'Kuldīga', 'Ķekava']
    """
    import unicodedata  # (as above)

    if s is None:
        s = ""
    elif not isinstance(s, str):
        s = str(s)
    s = unicodedata.normalize("NFC", s)
    primary, secondary, tertiary = [], [], []
    for ch in s:
        p, sec, ter = _char_weights(ch)
        primary.append(p)
        secondary.append(sec)
        tertiary.append(ter)
    return (tuple(primary), tuple(secondary), tuple(tertiary), s)


def lv_sorted(items, key=None, reverse: bool = False) -> list:
    """``sorted()`` with Latvian collation; ``key`` picks the string to sort by."""
    if key is None:
        return sorted(items, key=lv_sort_key, reverse=reverse)
    return sorted(items, key=lambda item: lv_sort_key(key(item)), reverse=reverse)


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------
class Labels(dict):
    """``{value: English msgid}``; the Latvian is in the catalog (pd.po). ``TABLE[lang]`` (the
    shape these tables had, ``{value: text in lang}``) still answers, translated."""

    def __getitem__(self, key):
        if key in LANGUAGES and not dict.__contains__(self, key):
            return {value: gettext_in(key, msgid) for value, msgid in self.items()}
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        if key in LANGUAGES and not dict.__contains__(self, key):
            return self[key]
        return dict.get(self, key, default)


LANGUAGES = ("lv", "en")

# SPEC 12's states (the JSON value is the key; the Latvian is pd.po's msgstr).
STATUS_LABELS = Labels({
    "registered": N_("registered"),
    "assigned": N_("assigned to an expert"),
    "in_progress": N_("accepted for processing"),
    "returned": N_("returned to the Service Desk"),
    "waiting_user": N_("waiting for the user's information"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "refused": N_("refused (outside the Centre's competence)"),
})

CHANNEL_LABELS = Labels({"phone": N_("phone"), "fax": N_("fax"), "email": N_("e-mail"), "other": N_("other")})

ESCALATION_REASON_LABELS = Labels({
    "not_accepted": N_("the expert did not accept the request within the response deadline"),
    "unjustified_rejection": N_("the expert rejected the request without justification"),
    "overdue": N_("the resolution deadline has passed"),
})

YES_NO = Labels({"yes": N_("Yes"), "no": N_("No")})

# The glossary of SPEC 12, for headings in reports and e-mails.
TERMS = Labels({
    "escalated": N_("escalated"),
    "request": N_("request"),
    "requester": N_("requester"),
    "user": N_("user"),
    "operator": N_("Service Desk operator"),
    "expert": N_("expert"),
    "institution": N_("institution"),
    "service_catalog": N_("service catalog"),
    "response_deadline": N_("response deadline"),
    "resolution_deadline": N_("resolution deadline"),
    "planned_date": N_("planned date"),
    "monthly_report": N_("monthly report"),
    "working_day": N_("working day"),
    "public_holiday": N_("public holiday"),
    "transferred_working_day": N_("transferred working day"),
    "number": N_("registration number"),
    "status": N_("status"),
    "service": N_("service"),
    "description": N_("description"),
    "channel": N_("channel"),
    "urgent": N_("urgent"),
    "received_at": N_("received"),
    "result": N_("result"),
})

# The free texts a person types, by the name pd's code gives them (clean_text's and the guard's `field`).
FIELD_NAMES = Labels({
    "description": N_("description"), "reason": N_("reason"), "note": N_("note"), "result": N_("result"),
    "question": N_("question"), "answer": N_("answer"), "text": N_("text"), "name": N_("name and surname"),
    "unit": N_("unit"), "position": N_("position"), "location": N_("location"), "room": N_("room"),
    "username": N_("username"), "phone": N_("phone number"), "email": N_("e-mail address"),
})


def field_name(field: str, lang: str | None = None) -> str:
    """A field as a person calls it ("apraksts"); an option (``--idempotency-key``) as it is."""
    msgid = dict.get(FIELD_NAMES, field)
    return gettext_in(lang or language(), msgid) if msgid else field


def label(table: dict, value: str, lang: str | None = None) -> str:
    """The label of ``value`` in ``lang`` (default: the desk's language); an unknown value is shown
    as it is.

    ``value`` may use the CLI spelling with hyphens (``unjustified-rejection``).
    An unknown language is a programming error (``ValueError``).
    """
    lang = lang or language()
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    if isinstance(value, bool):
        value = "yes" if value else "no"
    key = str(value)
    msgid = dict.get(table, key) or dict.get(table, key.replace("-", "_"))
    return gettext_in(lang, msgid) if msgid else key


def yes_no(flag: bool, lang: str | None = None) -> str:
    return label(YES_NO, "yes" if flag else "no", lang)


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------
RIGA = "Europe/Riga"
MIN_YEAR, MAX_YEAR = 2000, 2100


def _zone(tz: str) -> ZoneInfo:
    from zoneinfo import (  # lazy: ~6M instructions of start-up; pd show --json needs none
        ZoneInfo,
        ZoneInfoNotFoundError,
    )

    try:
        return ZoneInfo(tz)  # ZoneInfo caches instances per key
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(_("unknown time zone {zone}").format(zone=repr(tz))) from exc


def _aware(dt: datetime) -> datetime:
    """Naive datetimes are UTC (that is how the ledger stores instants)."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def to_local(dt: datetime, tz: str = RIGA) -> datetime:
    """The instant ``dt`` on the wall clock of ``tz`` (naive input is UTC)."""
    return _aware(dt).astimezone(_zone(tz))


def format_dt(dt: datetime | None, tz: str = RIGA) -> str:
    """``dd.mm.yyyy hh:mm`` in Riga time; ``""`` for None."""
    if dt is None:
        return ""
    return to_local(dt, tz).strftime("%d.%m.%Y %H:%M")


def format_date(d: date | datetime | None, tz: str = RIGA) -> str:
    """``dd.mm.yyyy``; a datetime is first converted to Riga time; ``""`` for None."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = to_local(d, tz).date()
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


def iso(dt: datetime | None, tz: str = RIGA) -> str | None:
    """ISO 8601 with the Riga offset, whole seconds: ``2026-11-28T10:15:00+02:00``."""
    if dt is None:
        return None
    return to_local(dt, tz).isoformat(timespec="seconds")


_DMY = (
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_ISO_START = r"\d{4}-\d{2}-\d{2}"
_INSTANT_FORMS = N_("YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+HH:MM] or DD.MM.YYYY HH:MM")


def parse_instant(text: str, tz: str = RIGA) -> datetime:
    """Parse a time a person typed; return an aware UTC datetime.

    Accepts ISO 8601 with an offset (``2026-11-28T10:15+02:00``, ``…Z``) or
    without one (then it is Riga local time), ``dd.mm.yyyy hh:mm[:ss]``,
    ``dd.mm.yyyy`` and ``yyyy-mm-dd`` (midnight, Riga time).

    Local times are resolved with ``fold=0``, deterministically:
    a time inside the spring-forward gap (e.g. 29.03.2026 03:30, which the
    clocks skip) is read with the offset in force *before* the change (+02:00),
    so it is the instant 01:30 UTC (04:30 on the summer clock); an ambiguous
    time in the autumn (25.10.2026 03:30 happens twice) is the *first*
    occurrence, still on summer time (+03:00), i.e. 00:30 UTC.
    """
    if text is None:
        raise InvalidInput(_("a date and time is required; use {forms}").format(forms=_(_INSTANT_FORMS)))
    raw = str(text).strip()
    shown = raw if len(raw) <= 40 else raw[:37] + "…"
    shown = f'"{shown}"' if shown.isprintable() else _("the value")
    forms = _(_INSTANT_FORMS)
    if not raw:
        raise InvalidInput(_("the date and time is empty; use {forms}").format(forms=forms))
    zone = _zone(tz)
    dt: datetime
    m = re.fullmatch(_DMY, raw)
    try:
        if m:
            dt = datetime(
                int(m["y"]), int(m["m"]), int(m["d"]),
                int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0),
            )
        elif re.match(_ISO_START, raw):
            iso_text = raw
            if len(iso_text) > 10 and iso_text[10] == " ":
                iso_text = iso_text[:10] + "T" + iso_text[11:].lstrip()
            if iso_text.endswith(("z", "Z")):
                iso_text = iso_text[:-1] + "+00:00"
            dt = datetime.fromisoformat(iso_text)
        else:
            raise InvalidInput(_("{value} is not a date and time; use {forms}").format(value=shown, forms=forms))
    except ValueError:
        # (Python's own words about the date, "day is out of range for month", are English)
        raise InvalidInput(_("{value} is not a valid date and time; use {forms}").format(value=shown, forms=forms)) from None
    if not (MIN_YEAR <= dt.year <= MAX_YEAR):
        raise InvalidInput(_("{value}: the year {year} is outside {first}–{last}").format(
            value=shown, year=dt.year, first=MIN_YEAR, last=MAX_YEAR))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone, fold=0)
    # The range applies to the year as typed: "2000-01-01" (Riga) is 1999 in UTC.
    return dt.astimezone(timezone.utc)


# --------------------------------------------------------------------------
# Phone numbers and e-mail addresses
# --------------------------------------------------------------------------
_PHONE_SEPARATORS = " -.()/\u00a0\u2009\u202f\u2010\u2011\u2012\u2013"


def _shown(text: str, limit: int = 32) -> str:
    """The value quoted for a message, only if short and printable."""
    if len(text) <= limit and text.isprintable():
        return f' "{text}"'
    return ""


def normalize_phone(text: str) -> str:
    """A Latvian phone number as ``+371XXXXXXXX`` (8 digits; 2… mobile, 6… landline).

    >>> normalize_phone("00371 6712-3456")
    '+37167123456'
    """
    import unicodedata  # (as above)

    if text is None or not str(text).strip():
        raise InvalidInput(_("the phone number is empty"))
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    shown = _shown(raw)
    digits: list[str] = []
    plus = False
    for i, ch in enumerate(raw):
        if "0" <= ch <= "9":
            digits.append(ch)
        elif ch == "+":
            if digits or plus:
                raise InvalidInput(_("the phone number{shown} has a '+' that is not at the start").format(shown=shown))
            plus = True
        elif ch in _PHONE_SEPARATORS:
            continue
        else:
            what = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            raise InvalidInput(_("the phone number{shown} contains {what}; use digits, spaces, '-', "
                                 "'(' ')' and a leading '+' (e.g. +371 2612 3456)").format(shown=shown, what=what))
    number = "".join(digits)
    if not number:
        raise InvalidInput(_("the phone number{shown} has no digits").format(shown=shown))
    has_country_code = True
    if plus:
        if not number.startswith("371"):
            raise InvalidInput(_("the phone number{shown} is not a Latvian number (+371); only Latvian numbers "
                                     "are accepted").format(shown=shown))
        national = number[3:]
    elif number.startswith("00"):
        if not number.startswith("00371"):
            raise InvalidInput(_("the phone number{shown} is not a Latvian number (+371); only Latvian numbers "
                                     "are accepted").format(shown=shown))
        national = number[5:]
    elif len(number) == 11 and number.startswith("371"):
        national = number[3:]
    else:
        national = number
        has_country_code = False
    if len(national) != 8:
        if has_country_code:
            msg = ngettext("the phone number{shown} has {n} digit after the country code; a Latvian number has 8",
                           "the phone number{shown} has {n} digits after the country code; a Latvian number has 8",
                           len(national))
        else:
            msg = ngettext("the phone number{shown} has {n} digit; a Latvian number has 8",
                           "the phone number{shown} has {n} digits; a Latvian number has 8", len(national))
        raise InvalidInput(msg.format(shown=shown, n=len(national)))
    if national[0] not in "26":
        raise InvalidInput(_("the phone number{shown} starts with {digit}; a Latvian number starts with 2 (mobile) "
                             "or 6 (landline)").format(shown=shown, digit=national[0]))
    return "+371" + national


_EMAIL_LOCAL_FORBIDDEN = set('<>()[]\\,;:"@')
MAX_EMAIL = 254


def normalize_email(text: str) -> str:
    """A practical e-mail check; returns the address with its domain lowercased.

    >>> normalize_email(" Janis.Berzins@VP.Gov.LV ")
    'Janis.Berzins@vp.gov.lv'
    """
    import unicodedata  # (as above)

    if text is None or not str(text).strip():
        raise InvalidInput(_("the e-mail address is empty"))
    raw = unicodedata.normalize("NFC", str(text)).strip()
    shown = _shown(raw, 64)
    if len(raw) > MAX_EMAIL:
        raise InvalidInput(_("the e-mail address is {n} characters long; the limit is {limit}").format(n=len(raw), limit=MAX_EMAIL))
    for ch in raw:
        if ch.isspace():
            raise InvalidInput(_("the e-mail address{shown} contains a space").format(shown=shown))
        if not ch.isprintable():
            raise InvalidInput(_("the e-mail address contains a control character ({code})").format(code=f"U+{ord(ch):04X}"))
    if raw.count("@") != 1:
        if "@" not in raw:
            raise InvalidInput(_("the e-mail address{shown} has no '@'").format(shown=shown))
        raise InvalidInput(_("the e-mail address{shown} has more than one '@'").format(shown=shown))
    local, domain = raw.split("@")
    if not local:
        raise InvalidInput(_("the e-mail address{shown} has nothing before the '@'").format(shown=shown))
    if len(local) > 64:
        raise InvalidInput(_("the e-mail address{shown}: the part before '@' is longer than 64 characters").format(shown=shown))
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInput(_("the e-mail address{shown}: the part before '@' has a misplaced '.'").format(shown=shown))
    bad = sorted(set(local) & _EMAIL_LOCAL_FORBIDDEN)
    if bad:
        raise InvalidInput(_("the e-mail address{shown} contains {char} before the '@'").format(shown=shown, char=repr(bad[0])))
    if not local.isascii():
        # The desk's mail server takes no SMTPUTF8: refuse here, not in the outbox later (SPEC 3).
        first = next(ch for ch in local if not ch.isascii())
        raise InvalidInput(_("the e-mail address{shown} has {char} before the '@'; the mail server takes only "
                             "ASCII there (write it as the institution spells it, e.g. janis.berzins@…)").format(
                                 shown=shown, char=repr(first)))
    if not domain:
        raise InvalidInput(_("the e-mail address{shown} has no domain after the '@'").format(shown=shown))
    domain = domain.lower()
    if domain.endswith("."):
        domain = domain[:-1]
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidInput(_("the e-mail address{shown}: the domain needs a dot (e.g. iem.gov.lv)").format(shown=shown))
    for part in labels:
        if not part:
            raise InvalidInput(_("the e-mail address{shown}: the domain has an empty part").format(shown=shown))
        if len(part) > 63:
            raise InvalidInput(_("the e-mail address{shown}: a domain part is longer than 63 characters").format(shown=shown))
        if part.startswith("-") or part.endswith("-"):
            raise InvalidInput(_("the e-mail address{shown}: a domain part starts or ends with '-'").format(shown=shown))
        if not all(ch.isalnum() or ch == "-" for ch in part):
            raise InvalidInput(_("the e-mail address{shown}: the domain may hold only letters, digits, '-' and '.'").format(
                shown=shown))
    tld = labels[-1]
    if len(tld) < 2 or tld.isdigit():
        raise InvalidInput(_("the e-mail address{shown}: the domain does not end in a valid top-level domain").format(
            shown=shown))
    if not domain.isascii():
        try:
            ascii_address = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            raise InvalidInput(_("the e-mail address{shown}: the mail server takes the domain only in ASCII").format(
                shown=shown)) from None
        raise InvalidInput(_("the e-mail address{shown}: the mail server takes the domain only in ASCII (write it "
                             "as {address})").format(shown=shown, address=ascii_address))
    return f"{local}@{domain}"


# --------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------
# C0/C1 controls except \t and \n, DEL, surrogates, and the bidirectional
# overrides/isolates that can make text display differently from what it holds.
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def clean_text(field: str, text: str, *, max_len: int, multiline: bool = True) -> str:
    """Validate and normalise a free text: NFC, stripped, no control characters.

    Windows and old-Mac line ends (and U+2028/U+2029) become ``\\n``; a
    single-line field refuses a line break. Raises ``InvalidInput`` for an empty
    text, a control character (named by code point and position) or a text
    longer than ``max_len`` characters.
    """
    import unicodedata  # (as above)

    if text is None:
        raise InvalidInput(_("{field} is required").format(field=field_name(field)))
    value = unicodedata.normalize("NFC", str(text))
    if "\r" in value or "\u2028" in value or "\u2029" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    value = value.strip()
    if not value:
        raise InvalidInput(_("{field} is empty").format(field=field_name(field)))
    if len(value) > max_len:
        raise InvalidInput(_("{field} is {n} characters long; the limit is {limit}").format(
            field=field_name(field), n=len(value), limit=max_len))
    bad = re.search(_CONTROL, value)
    if bad:
        raise InvalidInput(_("{field} contains a control character ({code}) at position {position}").format(
            field=field_name(field), code=f"U+{ord(bad.group()):04X}", position=bad.start() + 1))
    if not multiline and "\n" in value:
        raise InvalidInput(_("{field} must be a single line").format(field=field_name(field)))
    if not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        # a zero-width space, a word joiner, a lone combining mark: nothing a person can read (issue 18)
        raise InvalidInput(_("{field} has no visible character").format(field=field_name(field)))
    return value


# --------------------------------------------------------------------------
# Channels as a person says them
# --------------------------------------------------------------------------
CHANNEL_WORDS: dict[str, str] = {
    "phone": "phone", "tel": "phone", "telefons": "phone", "talrunis": "phone", "zvans": "phone",
    "mobilais": "phone", "fax": "fax", "fakss": "fax", "faks": "fax",
    "email": "email", "e-mail": "email", "mail": "email", "epasts": "email", "e-pasts": "email", "pasts": "email",
    "other": "other", "cits": "other", "cita": "other", "citi": "other", "klatiene": "other",
}


def channel_from_word(text: str) -> str:
    """The channel (phone, fax, email, other) of a word an operator types, English or Latvian
    ("telefons", "tālrunis", "e-pasts", "fakss", "cits"); InvalidInput names the valid ones."""
    import unicodedata  # (as above)

    channels = tuple(CHANNEL_LABELS)  # phone, fax, email, other: the order of SPEC 3
    word = "".join(c for c in unicodedata.normalize("NFD", (text or "").strip().lower())
                   if not unicodedata.combining(c))
    if word.isdigit() and 1 <= int(word) <= len(channels):
        return channels[int(word) - 1]
    if word in CHANNEL_WORDS:
        return CHANNEL_WORDS[word]
    valid = ", ".join(label(CHANNEL_LABELS, c) for c in channels)
    raise InvalidInput(_("the channel {text} is not one of {valid}").format(text=repr(text.strip()), valid=valid))
