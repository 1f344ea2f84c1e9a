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
STATUS_LABELS: dict[str, dict[str, str]] = {
    "lv": {
        "registered": "reģistrēts",
        "assigned": "nodots ekspertam",
        "in_progress": "pieņemts izskatīšanai",
        "returned": "atgriezts Pakalpojumu dienestam",
        "waiting_user": "gaida lietotāja informāciju",
        "resolved": "izpildīts",
        "closed": "slēgts",
        "refused": "noraidīts (nav Centra kompetencē)",
    },
    "en": {
        "registered": "registered",
        "assigned": "assigned to an expert",
        "in_progress": "accepted for processing",
        "returned": "returned to the Service Desk",
        "waiting_user": "waiting for the user's information",
        "resolved": "resolved",
        "closed": "closed",
        "refused": "refused (outside the Centre's competence)",
    },
}

CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "lv": {"phone": "tālrunis", "fax": "fakss", "email": "e-pasts", "other": "cits"},
    "en": {"phone": "phone", "fax": "fax", "email": "e-mail", "other": "other"},
}

ESCALATION_REASON_LABELS: dict[str, dict[str, str]] = {
    "lv": {
        "not_accepted": "eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai",
        "unjustified_rejection": "eksperts nepamatoti noraidījis pieteikumu",
        "overdue": "pārsniegts pieteikuma izskatīšanas termiņš",
    },
    "en": {
        "not_accepted": "the expert did not accept the request within the response deadline",
        "unjustified_rejection": "the expert rejected the request without justification",
        "overdue": "the resolution deadline has passed",
    },
}

YES_NO: dict[str, dict[str, str]] = {
    "lv": {"yes": "Jā", "no": "Nē"},
    "en": {"yes": "Yes", "no": "No"},
}

# The glossary of SPEC 12, for headings in reports and e-mails.
TERMS: dict[str, dict[str, str]] = {
    "lv": {
        "escalated": "eskalēts",
        "request": "pieteikums",
        "requester": "pieteicējs",
        "user": "lietotājs",
        "operator": "Pakalpojumu dienesta operators",
        "expert": "eksperts",
        "institution": "iestāde",
        "service_catalog": "pakalpojumu katalogs",
        "response_deadline": "reaģēšanas termiņš",
        "resolution_deadline": "izskatīšanas termiņš",
        "planned_date": "plānotais izpildes termiņš",
        "monthly_report": "ikmēneša pārskats",
        "working_day": "darba diena",
        "public_holiday": "svētku diena",
        "transferred_working_day": "pārceltā darba diena",
        "number": "reģistrācijas numurs",
        "status": "statuss",
        "service": "pakalpojums",
        "description": "apraksts",
        "channel": "saņemšanas veids",
        "urgent": "steidzams",
        "received_at": "saņemts",
        "result": "rezultāts",
    },
    "en": {
        "escalated": "escalated",
        "request": "request",
        "requester": "requester",
        "user": "user",
        "operator": "Service Desk operator",
        "expert": "expert",
        "institution": "institution",
        "service_catalog": "service catalog",
        "response_deadline": "response deadline",
        "resolution_deadline": "resolution deadline",
        "planned_date": "planned date",
        "monthly_report": "monthly report",
        "working_day": "working day",
        "public_holiday": "public holiday",
        "transferred_working_day": "transferred working day",
        "number": "registration number",
        "status": "status",
        "service": "service",
        "description": "description",
        "channel": "channel",
        "urgent": "urgent",
        "received_at": "received",
        "result": "result",
    },
}

LANGUAGES = ("lv", "en")


def label(table: dict, value: str, lang: str = "lv") -> str:
    """The label of ``value`` in ``lang``; an unknown value is shown as it is.

    ``value`` may use the CLI spelling with hyphens (``unjustified-rejection``).
    An unknown language is a programming error (``ValueError``).
    """
    if lang not in table:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(table)}")
    labels = table[lang]
    if isinstance(value, bool):
        value = "yes" if value else "no"
    key = str(value)
    if key in labels:
        return labels[key]
    return labels.get(key.replace("-", "_"), key)


def yes_no(flag: bool, lang: str = "lv") -> str:
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
        raise InvalidInput(f"unknown time zone {tz!r}") from exc


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
_INSTANT_HELP = "use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+HH:MM] or DD.MM.YYYY HH:MM"


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
        raise InvalidInput("a date and time is required; " + _INSTANT_HELP)
    raw = str(text).strip()
    shown = raw if len(raw) <= 40 else raw[:37] + "…"
    shown = f'"{shown}"' if shown.isprintable() else "the value"
    if not raw:
        raise InvalidInput("the date and time is empty; " + _INSTANT_HELP)
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
            raise InvalidInput(f'{shown} is not a date and time; ' + _INSTANT_HELP)
    except ValueError as exc:
        raise InvalidInput(f'{shown} is not a valid date and time ({exc}); ' + _INSTANT_HELP) from None
    if not (MIN_YEAR <= dt.year <= MAX_YEAR):
        raise InvalidInput(f'{shown}: the year {dt.year} is outside {MIN_YEAR}–{MAX_YEAR}')
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
        raise InvalidInput("phone number is empty")
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    shown = _shown(raw)
    digits: list[str] = []
    plus = False
    for i, ch in enumerate(raw):
        if "0" <= ch <= "9":
            digits.append(ch)
        elif ch == "+":
            if digits or plus:
                raise InvalidInput(f"phone number{shown} has a '+' that is not at the start")
            plus = True
        elif ch in _PHONE_SEPARATORS:
            continue
        else:
            what = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            raise InvalidInput(
                f"phone number{shown} contains {what}; use digits, spaces, '-', "
                "'(' ')' and a leading '+' (e.g. +371 2612 3456)"
            )
    number = "".join(digits)
    if not number:
        raise InvalidInput(f"phone number{shown} has no digits")
    has_country_code = True
    if plus:
        if not number.startswith("371"):
            raise InvalidInput(f"phone number{shown} is not a Latvian number (+371); only Latvian numbers are accepted")
        national = number[3:]
    elif number.startswith("00"):
        if not number.startswith("00371"):
            raise InvalidInput(f"phone number{shown} is not a Latvian number (+371); only Latvian numbers are accepted")
        national = number[5:]
    elif len(number) == 11 and number.startswith("371"):
        national = number[3:]
    else:
        national = number
        has_country_code = False
    if len(national) != 8:
        raise InvalidInput(
            f"phone number{shown} has {len(national)} digits"
            + (" after the country code" if has_country_code else "")
            + "; a Latvian number has 8"
        )
    if national[0] not in "26":
        raise InvalidInput(
            f"phone number{shown} starts with {national[0]}; a Latvian number starts with 2 (mobile) or 6 (landline)"
        )
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
        raise InvalidInput("e-mail address is empty")
    raw = unicodedata.normalize("NFC", str(text)).strip()
    shown = _shown(raw, 64)
    if len(raw) > MAX_EMAIL:
        raise InvalidInput(f"e-mail address is {len(raw)} characters; the limit is {MAX_EMAIL}")
    for ch in raw:
        if ch.isspace():
            raise InvalidInput(f"e-mail address{shown} contains a space")
        if not ch.isprintable():
            raise InvalidInput(f"e-mail address contains a control character (U+{ord(ch):04X})")
    if raw.count("@") != 1:
        problem = "has no '@'" if "@" not in raw else "has more than one '@'"
        raise InvalidInput(f"e-mail address{shown} {problem}")
    local, domain = raw.split("@")
    if not local:
        raise InvalidInput(f"e-mail address{shown} has nothing before the '@'")
    if len(local) > 64:
        raise InvalidInput(f"e-mail address{shown}: the part before '@' is longer than 64 characters")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInput(f"e-mail address{shown}: the part before '@' has a misplaced '.'")
    bad = sorted(set(local) & _EMAIL_LOCAL_FORBIDDEN)
    if bad:
        raise InvalidInput(f"e-mail address{shown} contains {bad[0]!r} before the '@'")
    if not local.isascii():
        # The desk's mail server takes no SMTPUTF8: refuse here, not in the outbox later (SPEC 3).
        first = next(ch for ch in local if not ch.isascii())
        raise InvalidInput(f"e-mail address{shown} has {first!r} before the '@'; the mail server takes only "
                           "ASCII there (write it as the institution spells it, e.g. janis.berzins@…)")
    if not domain:
        raise InvalidInput(f"e-mail address{shown} has no domain after the '@'")
    domain = domain.lower()
    if domain.endswith("."):
        domain = domain[:-1]
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidInput(f"e-mail address{shown}: the domain needs a dot (e.g. iem.gov.lv)")
    for part in labels:
        if not part:
            raise InvalidInput(f"e-mail address{shown}: the domain has an empty part")
        if len(part) > 63:
            raise InvalidInput(f"e-mail address{shown}: a domain part is longer than 63 characters")
        if part.startswith("-") or part.endswith("-"):
            raise InvalidInput(f"e-mail address{shown}: a domain part starts or ends with '-'")
        if not all(ch.isalnum() or ch == "-" for ch in part):
            raise InvalidInput(f"e-mail address{shown}: the domain may hold only letters, digits, '-' and '.'")
    tld = labels[-1]
    if len(tld) < 2 or tld.isdigit():
        raise InvalidInput(f"e-mail address{shown}: the domain does not end in a valid top-level domain")
    if not domain.isascii():
        try:
            hint = f" (write it as {local}@{domain.encode('idna').decode('ascii')})"
        except UnicodeError:
            hint = ""
        raise InvalidInput(f"e-mail address{shown}: the mail server takes the domain only in ASCII{hint}")
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
        raise InvalidInput(f"{field} is required")
    value = unicodedata.normalize("NFC", str(text))
    if "\r" in value or "\u2028" in value or "\u2029" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} is empty")
    if len(value) > max_len:
        raise InvalidInput(f"{field} is {len(value)} characters; the limit is {max_len}")
    bad = re.search(_CONTROL, value)
    if bad:
        raise InvalidInput(
            f"{field} contains a control character (U+{ord(bad.group()):04X}) at position {bad.start() + 1}"
        )
    if not multiline and "\n" in value:
        raise InvalidInput(f"{field} must be a single line")
    if not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        # a zero-width space, a word joiner, a lone combining mark: nothing a person can read (issue 18)
        raise InvalidInput(f"{field} has no visible character")
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

    channels = tuple(CHANNEL_LABELS["en"])  # phone, fax, email, other: the order of SPEC 3
    word = "".join(c for c in unicodedata.normalize("NFD", (text or "").strip().lower())
                   if not unicodedata.combining(c))
    if word.isdigit() and 1 <= int(word) <= len(channels):
        return channels[int(word) - 1]
    if word in CHANNEL_WORDS:
        return CHANNEL_WORDS[word]
    valid = ", ".join(f"{c} ({CHANNEL_LABELS['lv'][c]})" for c in channels)
    raise InvalidInput(f"channel {text.strip()!r} is not one of {valid}")
