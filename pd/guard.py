"""The password guard (SPEC 3, rule 6.7): passwords are never asked for, stored or sent.

Every free text is scanned for a disclosed password or PIN before it reaches
the database, the outbox or a log. A finding is a *keyword* (``parole``,
``paroli``, ``password``, ``pwd``, ``pw``, ``PIN kods``, ``PUK``,
``piekļuves kods``, ``slepenais vārds``, ``пароль`` …), then optional
*connectors*, then the *secret*: the next token (a run of non-space
characters, or a quoted string).

How sure the guard must be that the token is a secret depends on what joins
it to the keyword, because desk texts mention passwords all the time
("aizmirsu paroli", "paroles maiņa", "password expired"):

* ``:`` ``=`` (``parole: X``, ``password=X``) or ``ir``/``is``/``bija``/``was``/
  ``-`` (``mana parole ir X``): any token that is not a common word of a
  desk text ("nedarbojas", "expired", "nomainīta", "nav", …);
* ``uz``/``to`` or a change verb (``nomainīju paroli uz X``, ``password
  changed to X``): a token that looks like a secret (letters with digits,
  a symbol, mixed case, or a number of 4–12 digits), never an e-mail
  address, a web address or a phone number;
* bare whitespace (``paroli Vasara2024``, ``PIN 1234``): a token that looks
  strongly like a secret (letters, digits *and* mixed case or a symbol; 6–12
  digits; for a PIN, 4–8 digits), so that "atiestatīt paroli jberzins01"
  passes. The nominative ``parole``/``пароль`` names the password itself
  ("jaunā parole abc123"), so there bare whitespace counts as ``uz``/``to``.

Phrasings users really write are covered too: a passphrase of several words
after a possessive and a colon ("my password: correct horse battery staple",
"mana parole: zaļš zirgs baterija skava": the run of words up to the
sentence's end, unless it opens with a negation, a verb form or an answer
such as "the same"); ``pass X`` right after a login ("login: janis pass
Abc123"; "pass the printer to IT" stays a verb); a label of a few words after
"for"/"priekš" and then "is"/"ir" ("the pw for the VPN is X"); the
full-width colon and equals sign (``parole：X``).

A value list goes on after ``,`` or `` / `` ("parole: jberzins / Abc123");
a label after "lietotājam"/"for" introduces the value ("password for
jberzins: Abc123"); a quoted value ("…") is taken whole; the search stops at a
blank line. Text already holding ``[REDACTED]`` passes, so redacting twice
is harmless.

After an oblique case ("paroli", "paroles") a dash or a comma is the
sentence's, not "is": "nomainīju paroli, tagad tā ir Ozols2026" is found,
"nevar nomainīt paroli — prasa sarežģītāku" is not. A keyword in brackets
names the token before it ("P: Sniegs2026 (parole)"). A number after
"piekļuves kods" is weighed as a PIN; "pieslēgšanās dati"/"login details"
take a value list as "parole" does.

A PIN always needs a digit. Matching is case-insensitive and tolerant of
Latvian diacritics (``PAROLE``, ``slepenais vards``). Stdlib only.

Time is linear in the text's length whatever the text (issue 18): a value is
looked for within _LOOK_AHEAD characters of its keyword and is at most
_MAX_VALUE long, no pattern retries a long run from each of its characters,
and past _MAX_WEIGHED keywords each further keyword's reach is redacted
without weighing (a flood: more is redacted, never less).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from itertools import islice
from typing import Any

from pd.errors import InvalidInput
from pd.i18n import _
from pd.latvian import field_name
from pd.record import Frozen

__all__ = ["Finding", "find_secrets", "redact", "check_text", "REDACTED"]

REDACTED = "[REDACTED]"


class Finding(Frozen):
    """The span ``text[start:end]`` of a secret value (not its keyword)."""

    start: int
    end: int
    kind: str  # "password" or "pin"


# --------------------------------------------------------------------------
# Folding: lowercase and without diacritics, one character for one, so that
# positions in the folded text are positions in the original.
# --------------------------------------------------------------------------
def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)) + list(range(0x400, 0x530)):
        ch = chr(cp)
        low = ch.lower()
        if len(low) != 1:
            continue
        base = unicodedata.normalize("NFD", low)[0]
        if base != ch:
            table[cp] = base
    table[ord("ё")] = "е"
    table[ord("Ё")] = "е"
    return table


_FOLD_STR = ""  # built on first use: building it cost every command's start-up ~6M instructions


def _fold(text: str) -> str:
    global _FOLD_STR
    if not _FOLD_STR:
        fold = _build_fold_table()
        # A string indexed by code point (three times faster to translate with than the dict;
        # a character past its end raises IndexError, which str.translate takes as "unchanged").
        _FOLD_STR = "".join(fold.get(cp, chr(cp)) for cp in range(max(fold) + 1))
    return text.translate(_FOLD_STR)


class _Pattern:
    """A regular expression compiled on first use (re caches nothing across processes).

    Most texts name no password, so most registrations never need the patterns below; compiling
    them all on import cost every command that writes text about a millisecond."""

    __slots__ = ("_args", "_compiled", "search", "match", "fullmatch", "finditer")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern | None = None

    def __getattr__(self, name: str) -> Any:  # search, match, fullmatch, finditer: on first use only
        if name not in ("search", "match", "fullmatch", "finditer"):
            raise AttributeError(name)
        self._compiled = compiled = re.compile(*self._args)
        # from now on they are plain attributes (the guard calls them a few times per keyword)
        self.search, self.match = compiled.search, compiled.match
        self.fullmatch, self.finditer = compiled.fullmatch, compiled.finditer
        return getattr(compiled, name)


# --------------------------------------------------------------------------
# Keywords (on folded text). Each alternative is a named group giving its kind.
# --------------------------------------------------------------------------
_KEYWORD_WORD = (
    r"(?:"
    # parole and its cases (parole, paroli, paroles, parolei, parolē, parolēm,
    # paroļu) also inside compounds: sākumparole, pagaidparole, e-pastparole.
    r"(?P<pw_lv>[^\W\d_]*parol(?:e|i|es|ei|em|u|ite)s?)"
    r"|(?P<pw_secret>slepen[^\W\d_]*[\s-]+vard[^\W\d_]*)"
    r"|(?P<pw_en>passwords?|passwort|passwd|passcode|passphrase|pwd|psw|pw|p/w)"
    r"|(?P<pass>pass)"
    r"|(?P<pw_ru>парол[^\W\d_]*)"
    r"|(?P<code>(?:piekluves|access)[\s-]+(?:kod[^\W\d_]*|codes?))"
    # login details: "Pieslēgšanās dati: jberzins / Sniegs2026", "piekļuves dati", "login details"
    r"|(?P<login>(?:piesleg[^\W\d_]*|piekluves|login|logon)[\s-]+(?:dati|datus|details)|credentials)"
    r"|(?P<pin>(?:pin|puk)[12]?(?:[\s-]*(?:kods|kodu|koda|kodi|kodus|kodam|codes?|numbers?|numurs|numuru|nr\.?))?"
    r"|пин[\s-]*код[^\W\d_]*|пин|пук)"
    r")"
)
# a whole word: backtracks "parolei" past "parole", refuses "pinot"
_KEYWORD_RE = _Pattern(r"(?<![^\W_])" + _KEYWORD_WORD + r"(?![^\W\d_])")
# Every keyword above holds one of these (tests/test_guard.py checks it): a folded text without
# any of them names no password or PIN, and is passed without compiling the keyword pattern.
_KEYWORD_STEMS = ("parol", "slepen", "pass", "pw", "p/w", "psw", "парол", "piekluves", "access", "pin", "puk", "пин",
                  "пук", "piesleg", "login", "logon", "credential")

# group -> (reported kind, rules)
_KINDS = {
    "pw_lv": ("password", "password"),
    "pw_secret": ("password", "password"),
    "pw_en": ("password", "password"),
    "pass": ("password", "pass"),
    "pw_ru": ("password", "password"),
    "code": ("pin", "code"),
    "login": ("password", "password"),
    "pin": ("pin", "pin"),
}

# Tiers of what joins the keyword to the token.
_BARE, _WEAK, _EXPLICIT = 0, 1, 2

# longest first; the full-width colon and equals sign (parole：X) are typed from East Asian layouts
_SEPARATORS = (":=", "=>", "->", ":", "=", "→", "：", "＝", "-", "–", "—")
_STRONG_SEPARATORS = (":=", "=>", "->", ":", "=", "→", "：", "＝")
_QUOTES = {'"': '"', "'": "'", "„": "“”\"", "“": "”\"", "”": "”\"", "«": "»", "‘": "’'", "’": "’'", "`": "`"}

# Words between the keyword and the value.
_EXPLICIT_WORDS = frozenset(
    "ir is bija was bus will be ist est это был была".split()
)
_NEUTRAL_WORDS = frozenset(
    """
    tagad now sobrid patlaban joprojam still currently jauna jaunaja new temporary
    sada sekojosa sekojosi sekojoss following the as follows mana my his her tava your
    vina vinas lietotaja users lietotajam for prieks ta
    теперь
    """.split()
)
_FOR_WORDS = frozenset(("lietotajam", "lietotaja", "for", "users", "prieks"))
_CHANGE_WORDS = frozenset(
    """
    uz to kā ka na на
    nomainita nomainits nomainiju nomainijam mainita mainits mainiju atiestatita atiestatits
    atiestatiju iestatita iestatits iestatiju uzstadita uzstadits uzstadiju izveidota izveidoju
    pieskirta pieskirts pieskiru nomainit atiestatit iestatit uzstadit
    changed reset set updated created assigned change
    сменил изменен изменён установлен
    """.split()
)

# Tokens that are words of the desk's own language, never a secret value.
_STOP_WORDS = frozenset(
    """
    ir is nav not no none nil null n/a na nezinu unknown ok okay fine correct pareiza pareizs
    ta tas tā pati pats same tada tads tāda tāds viena viens one the a an of in on at to for by
    with from and or but un vai bet ar par pie uz no lai ka kā kad ja jo arī ari vel vēl jau
    tiek tiks tika tiktu bija bus būs būtu butu var varētu varetu ved ievadita ievadits entered
    beigusies beidzies beidzas beigusi beigusi derīga deriga derīgs derigs derigums
    maina maiņa mainas maiņas mainīt mainit mainīta mainita mainīts nomainīt nomainit nomainīta nomainita
    atiestatīt atiestatit atiestatīta atiestatita atiestatīšana atiestatisana
    aizmirsta aizmirsts aizmirsu aizmirsa aizmirsis aizmirsusi
    bloķēta bloketa bloķēts bloketa bloķēšana nobloķēta nobloketa atbloķēt atbloket
    novecojusi novecojis
    reset resets change changed changes changing expired expires expiring expiry expiration
    forgot forgotten locked lock lockout blocked block wrong incorrect invalid valid required
    needed needs need must should will would does did do doesn't don't isn't wasn't cannot can't
    too very still also again sent send sending see attached below above here there
    lietotājs lietotajs lietotājam lietotajam lietotāja lietotaja lietotājs: user username login konts kontam konta
    jāmaina jamaina jānomaina janomaina jāatiestata jaatiestata jāievada jaievada jābūt jabut
    pieprasīta pieprasita pieprasa pieprasīt pieprasit nosūtīta nosutita nosūtīt nosutit
    paslēpta paslepta slēpta slepta hidden removed dzēsta dzesta izdzēsta izdzesta
    paldies thanks thank regards cieņu cienu sveicieni labdien hello hi
    skatīt skatit skat see call ask contact zvanīt zvanit sazināties sazinaties jautāt jautat
    zina zināma zinama nezināma standarta noklusējuma noklusejuma default initial sākotnējā sakotneja
    pagaidu temporary vecā veca old new jaunā jauna iepriekšējā iepriekseja previous
    īsa isa gara vāja vaja stipra droša drosa sarežģīta sarezgita vienkārša vienkarsa
    weak strong short long simple same tikai only about being working case sensitive
    obligāta obligata vajadzīga vajadziga saņemta sanemta pārāk parak
    redacted [redacted]
    policy politika prasības prasibas requirements rules noteikumi
    ievadīšana ievadisana ievadīt ievadit ievadot
    šāda sada sekojoša sekojosa following
    netiek nedarbojas nestrādā nestrada nederīga nederiga nepareiza nepareizs
    nepieņem nepienem pieņemta pienemta
    sms e-pasts e-pastā e-pastu epasts email e-mail telefoniski
    it knows know as before usual last time always different atšķirīga atskiriga cita cits
    please lūdzu ludzu
    """.split()
)
# Prefixes of inflected words of the same kind (checked on the folded token).
_STOP_PREFIXES = (
    "ne",  # Latvian negation: nedarbojas, nederīga, netiek, nevar, nezinu, nestrādā …
    "jamain", "janomain", "jaatiestat", "jaievad", "jabut", "jaiestat",
    "main", "nomain", "atiestat", "iestat", "aizmirs", "blok", "noblok", "atblok",
    "beig", "beidz", "derig", "pareiz", "noveco", "pienem", "pieprasi", "nosuti",
    "ievad", "lietotaj", "izdzes", "dzes", "slept", "paslept", "jaun", "vec",
    "expir", "reset", "chang", "lock", "block", "forg", "wrong", "incorrect", "invalid",
    "requir", "need", "updat", "remov", "hidd", "atjaun", "izdot", "izdev", "izsniegt", "sanem",
    "obligat", "vajadz", "zinam", "parak",
    "не", "забы", "сбро", "измен", "смен",
)


# Endings of Latvian participles and infinitives and of English participles:
# "nomainīta", "bloķēts", "skatīt", "sazināties", "expired", "working". Only
# for all-lowercase words: a password that is a dictionary word is usually
# capitalised or has digits, and this keeps "parole ir nomainīta" quiet.
_FORM_ENDINGS = (
    "ts", "ta", "ti", "tas", "tie", "jusi", "jis", "ams", "ama", "āms", "āma", "ošs", "oša",
    "īt", "ēt", "āt", "ot", "ties", "ed", "ing",
)


def _is_stop_word(word: str) -> bool:
    w = word.lower()
    f = _fold(w)
    if w in _STOP_WORDS or f in _STOP_WORDS:
        return True
    if w.startswith("jā") or f.startswith(_STOP_PREFIXES):  # debitive: jāmaina, jāatjauno
        return True
    return word.islower() and len(word) > 4 and w.endswith(_FORM_ENDINGS)


_SYMBOLS = set("!#$%^&*+=?~|<>{}[]\\@;_€£§")
# An address somewhere in the token: a character, "@", then a dot with a character on each side before the
# next "@". Written to start at the "@" itself: "[^@\s]+@…" tried every start in a long run without "@" and
# ran to its end each time (quadratic: a 100 kB token took seconds, issue 18).
_EMAIL_RE = _Pattern(r"[^@\s]@[^@\s]+\.[^@\s]")
_URL_RE = _Pattern(r"(?:https?://|www\.)", re.IGNORECASE)
_PHONE_RE = _Pattern(r"(?:\+?371|00371)?[26]\d{7}")
_TRAILING_CLASSIFY = ".,;:!?)]}>\"'”’»…"
_LEADING_CLASSIFY = "([{<\"'„“«‘"


def _classify_core(token: str) -> str:
    """The token without wrapping punctuation, for deciding (not for the span)."""
    return token.strip(_LEADING_CLASSIFY).rstrip(_TRAILING_CLASSIFY)


def _shape(core: str) -> tuple[bool, bool, bool, bool, bool]:
    """has_lower, has_upper, has_digit, has_alpha, has_symbol."""
    if core.isalpha():
        return not core.isupper(), not core.islower(), False, True, False
    if core.isdigit():
        return False, False, True, False, False
    has_lower = any(map(str.islower, core))
    has_upper = any(map(str.isupper, core))
    has_digit = any(map(str.isdigit, core))
    has_alpha = any(map(str.isalpha, core))
    has_symbol = not _SYMBOLS.isdisjoint(core)
    return has_lower, has_upper, has_digit, has_alpha, has_symbol


def _is_secret(token: str, tier: int, rules: str, *, quoted: bool) -> bool:
    core = _classify_core(token)
    if not core or not any(map(str.isalnum, core)):
        return False  # "***", "-", "?" …
    if REDACTED.lower() in token.lower():
        return False  # already redacted: running the guard twice must be harmless
    has_lower, has_upper, has_digit, has_alpha, has_symbol = _shape(core)
    numeric = core.isdigit()
    if rules == "code":  # "piekļuves kods 7788" as a PIN, "piekļuves kods: AB12CD" as a password
        if numeric and len(core) == 4 and token.startswith(core + ".") and 1990 <= int(core) <= 2100:
            return False  # "piekļuves kods 2024. gadā mainīts": a year
        rules = "pin" if numeric else "password"

    if rules == "pin":
        if not has_digit:
            return False
        if numeric:
            limit = 12 if tier > _BARE else 8
            return 4 <= len(core) <= limit and not (tier < _EXPLICIT and _PHONE_RE.fullmatch(core))
        digits = sum(map(str.isdigit, core))
        return tier == _EXPLICIT and digits >= 3 and not _EMAIL_RE.search(core)

    if quoted and tier >= _WEAK:
        return True  # parole ir "zils zirgs"
    if tier == _EXPLICIT:
        if numeric:
            return len(core) >= 3  # "parole ir 8 simbolus gara" is not a disclosure
        if has_alpha and not has_digit and not has_symbol and _is_stop_word(core):
            return False
        return True
    # Looser joints: only a token that looks like a secret.
    if _EMAIL_RE.search(core) or _URL_RE.match(core) or _PHONE_RE.fullmatch(core.replace(" ", "")):
        return False
    if numeric:
        if len(core) == 4 and token.startswith(core + ".") and 1990 <= int(core) <= 2100:
            return False  # "parole 2024. gadā nomainīta": a year
        if tier == _BARE:
            return 6 <= len(core) <= 12
        return 4 <= len(core) <= 12
    mixed_case = has_lower and any(map(str.isupper, core[1:]))
    if tier == _WEAK:
        return (has_alpha and has_digit) or has_symbol or mixed_case
    # Bare whitespace: letters, digits and something more.
    if has_symbol and (has_alpha or has_digit):
        return True
    if has_alpha and has_digit and has_upper and has_lower:
        return True
    return False


_WORD_RE = _Pattern(r"[^\W\d_]+")
# A login just before "pass": "login: janis pass …", "user jberzins, pass …", "lietotājs janis pass …".
_LOGIN_BEFORE_RE = _Pattern(
    r"(?:^|[^\w])(?:login|logins|user|username|user\s+name|lietotajs|lietotajvards|lietotajvārds|konts|account|id)"
    r"\s*[:=：]?\s*[^\s:=]+[\s,;/]*$"
)
_MAX_CONNECTORS = 8
# Bounds that keep the scan linear in the text's length, whatever the text (issue 18): the value is
# looked for only so far after its keyword, and a value (a token or a quoted string) is at most so
# long: a run of more characters with no space is a link, a key or an encoded blob, not a password
# someone typed. Each keyword thus costs at most a bounded amount of work.
_LOOK_AHEAD = 1000
_MAX_VALUE = 200
_MAX_WORD = 64  # a word of a label or of a passphrase
_SPACE_RE = _Pattern(r"\s*")
_BLANKS_RE = _Pattern(r"[ \t]*")
_SEPARATOR_RE = _Pattern("|".join(re.escape(s) for s in _SEPARATORS))  # in order: longest first
_TOKEN_RE = _Pattern(r"\S{1,%d}" % (_MAX_VALUE + 1))
_LABEL_WORD_RE = _Pattern(r"\S{0,%d}" % (_MAX_WORD + 1))


def _candidates(text: str, folded: str, pos: int, *, oblique: bool = False):
    """From just after a keyword, yield ``(start, end, quoted, tier, strong)`` of the value(s).

    ``oblique``: the keyword is an object ("paroli", "paroles"), so a dash after it is a sentence's
    dash ("nomainīt paroli — prasa sarežģītāku"), not "is"; and so is a comma: "nomainīju paroli,
    tagad tā ir Ozols2026" (the value after either must look like a secret)."""
    n = len(text)
    capped = False  # after such a dash or comma: at most _WEAK
    if pos < n:
        ch = text[pos]
        if ch == "," and oblique:
            capped, pos = True, pos + 1
        elif not (ch.isspace() or ch in ":=-–—→(：＝" or ch in _QUOTES):
            return  # "password_hint", "pinot", "parole/PIN" (the next keyword will do)
    tier = _BARE
    strong = False
    named = False  # "parole lietotājam …", "password for …": a label may follow
    limit = min(n, pos + _LOOK_AHEAD)
    i = pos
    for _step in range(_MAX_CONNECTORS):
        j = _SPACE_RE.match(text, i, limit).end()
        if j >= limit or text.count("\n", i, j) >= 2:
            return  # the value is not looked for past a blank line
        sep_match = _SEPARATOR_RE.match(folded, j)
        sep = sep_match.group() if sep_match else None
        if sep is not None:
            after = j + len(sep)
            # "-" glued to a value (parole -Abc1) is part of the value, not a separator.
            if not (sep in "-–—" and after < n and not text[after].isspace()):
                capped = capped or (oblique and sep in "-–—")
                tier = _EXPLICIT
                strong = strong or sep in _STRONG_SEPARATORS
                i = after
                continue
        if text[j] == "(":
            # "parole (pagaidu): X": skip a short parenthesis
            close = text.find(")", j, j + 30)
            if close != -1 and "\n" not in text[j:close]:
                i = close + 1
                continue
        m = _WORD_RE.match(folded, j, limit)
        if m:
            end = m.end()
            word = m.group()
            if end >= n or text[end].isspace() or text[end] in ":=,;.!?":
                if word in _EXPLICIT_WORDS:
                    tier = _EXPLICIT
                    i = end
                    continue
                if word in _CHANGE_WORDS:
                    tier = _WEAK  # also after "ir": "parole ir nomainīta lietotājam" is no disclosure
                    i = end
                    continue
                if word in _NEUTRAL_WORDS:
                    named = named or word in _FOR_WORDS
                    i = end
                    continue
        # The value.
        value = _value_span(text, j)
        if value is None:
            return
        start, end, quoted = value
        yield start, end, quoted, min(tier, _WEAK) if capped else tier, strong
        # "parole lietotājam jberzins: Abc123": a label ending in ':' before any
        # separator introduces the value after it.
        if named and not quoted and tier != _EXPLICIT and text[end - 1] == ":" and end - start > 1:
            tier, strong, i = _EXPLICIT, True, end
            continue
        # "the pw for the VPN is X", "parole priekš VPN ir X": a label of a few words, then the value.
        if named and not quoted and tier != _EXPLICIT:
            after_label = _label_end(text, folded, end, limit)
            if after_label is not None:
                i, strong = after_label
                tier = _EXPLICIT
                continue
        # "paroles: Abc123, Xyz789": a list goes on after a comma, with looser
        # rules (the next word may well be the sentence going on).
        if tier == _EXPLICIT:
            if text[end - 1] in ",/;" and end - start > 1:
                tier, i = _WEAK, end
                continue
            k = _BLANKS_RE.match(text, end + (1 if quoted else 0), limit).end()
            if k + 1 < n and text[k] in ",/;|" and text[k + 1] in " \t":
                tier, i = _WEAK, k + 1  # "jberzins / Abc123"
                continue
        return


def _label_end(text: str, folded: str, pos: int, limit: int) -> tuple[int, bool] | None:
    """After a label's first word: where the value starts if up to two more label words and then
    ``is``/``ir``/``:`` follow on the same line (and whether it was a strong separator)."""
    i = pos
    for _step in range(3):
        i = _BLANKS_RE.match(text, i, limit).end()
        sep_match = _SEPARATOR_RE.match(folded, i)
        if sep_match and sep_match.group() in _STRONG_SEPARATORS:
            return sep_match.end(), True
        j = _LABEL_WORD_RE.match(text, i, limit).end()
        if j == i or j - i > _MAX_WORD:
            return None
        word = folded[i:j]
        if word in _EXPLICIT_WORDS:
            return j, False
        if word.endswith(":") and len(word) > 1:
            return j, True
        i = j
    return None


# "my password: correct horse battery staple": after a possessive and a colon, a run of words
# on its own is the passphrase. The run may not open with a word that answers instead.
_POSSESSIVE_RE = _Pattern(r"(?:^|[\s(\"'„“])(?:my|mana|mans|manu|manai|manas|мой)\s+(?:\S+\s+){0,2}$")
_NOT_A_PASSPHRASE_START = frozenset(
    """
    the a an not no nav none null n/a same see skatit ok okay ask call jautat zvanit sent provided
    user lietotajs it tas ta is ir was bija to uz ka ka
    """.split()
)
_PASSPHRASE_WORD_RE = _Pattern(r"[^\W_](?:[\w'’-]{0,%d}[^\W_])?" % (_MAX_WORD - 2))
_SENTENCE_END = ".!?,;"


def _passphrase_end(text: str, folded: str, start: int, limit: int) -> int | None:
    """The end of a passphrase of 2 to 8 words starting at ``start`` (up to a sentence's end)."""
    n = len(text)
    i = start
    words: list[str] = []
    end = start
    while i < limit and len(words) <= 8:
        m = _PASSPHRASE_WORD_RE.match(text, i)
        if not m:
            break
        words.append(folded[m.start():m.end()])
        end = m.end()
        if end >= n or text[end] == "\n" or text[end] in _SENTENCE_END:
            break
        if text[end] not in " \t":
            return None  # "Abc123#x": a token of symbols (or a word too long) is the single-value rule's
        i = _BLANKS_RE.match(text, end, limit).end()
    if not 2 <= len(words) <= 8:
        return None
    first = words[0]
    if first in _NOT_A_PASSPHRASE_START or first.startswith(_STOP_PREFIXES) or (
            len(first) > 4 and first.endswith(_FORM_ENDINGS)):
        return None
    if sum(_is_stop_word(w) for w in words) > 1:
        return None
    return end


# After an opening quote: where the quoted value ends (a closing quote), or where it cannot (a line's end).
_QUOTE_END_RE = {opener: _Pattern("[" + re.escape(closers) + "\n]") for opener, closers in _QUOTES.items()}


def _value_span(text: str, start: int) -> tuple[int, int, bool] | None:
    """The value at ``start``: a quoted string (without its quotes), else the token up to a space; None
    for a token longer than _MAX_VALUE."""
    opener = text[start]
    if opener in _QUOTES:
        close = _QUOTE_END_RE[opener].search(text, start + 1, start + _MAX_VALUE)
        if close and text[close.start()] != "\n" and close.start() > start + 1:
            return start + 1, close.start(), True
    end = _TOKEN_RE.match(text, start).end()
    if end - start > _MAX_VALUE:
        return None
    end = start + _balanced_length(text[start:end])
    return (start, end, False) if end > start else None


_TOKEN_BEFORE_RE = _Pattern(r"(?<!\S)\S{1,%d}[ \t]*$" % _MAX_VALUE)


def _token_before(text: str, pos: int) -> tuple[int, int] | None:
    """The token that ends (give or take blanks) just before ``pos``, if at most _MAX_VALUE long."""
    m = _TOKEN_BEFORE_RE.search(text, max(0, pos - _MAX_VALUE - 8), pos)
    if m is None:
        return None
    token = m.group().rstrip(" \t")
    return m.start(), m.start() + len(token)


_CLOSERS = {")": "(", "]": "[", "}": "{", "»": "«", "”": "“„", "’": "‘", '"': "", "'": ""}


def _balanced_length(token: str) -> int:
    """The token's length without the closing brackets or quotes at its end that close something
    opened before the value ("(parole: Abc123)"). The characters are counted once, not once per drop."""
    end = len(token)
    if not end or token[-1] not in _CLOSERS:
        return end
    counts = Counter(token)
    while end and token[end - 1] in _CLOSERS:
        last = token[end - 1]
        openers = _CLOSERS[last]
        if openers:
            unbalanced = counts[last] > sum(counts[o] for o in openers)
        else:  # a straight quote closes one opened before the value when it has no partner in it
            unbalanced = counts[last] % 2 == 1 and token[0] != last
        if not unbalanced:
            break
        counts[last] -= 1
        end -= 1
    return end


# The last texts scanned and what was found in them: the intake scans a mail's text and then its
# reply (most often the same text), a subject in its header and then as the desk shows it. Long texts
# too (a 1 MB mail's text was scanned three times): up to 16 texts of 8 M characters in all.
_RECENT: dict[str, tuple[Finding, ...]] = {}
_RECENT_MAX, _RECENT_CHARS = 16, 8 * 1024 * 1024


def find_secrets(text: str) -> list[Finding]:
    """Spans of the password and PIN values disclosed in ``text``, in order."""
    if not text:
        return []
    known = _RECENT.get(text)
    if known is not None:
        return list(known)
    found = _find_secrets(text)
    if len(text) <= _RECENT_CHARS:
        if len(_RECENT) >= _RECENT_MAX or sum(map(len, _RECENT)) + len(text) > _RECENT_CHARS:
            _RECENT.clear()
        _RECENT[text] = tuple(found)
    return found


def _find_secrets(text: str) -> list[Finding]:
    folded = _fold(text)
    if not any(stem in folded for stem in _KEYWORD_STEMS):
        return []
    findings: list[Finding] = []
    keywords = _KEYWORD_RE.finditer(folded)
    for m in islice(keywords, _MAX_WEIGHED):
        group = m.lastgroup or "pw_en"
        kind, rules = _KINDS[group]
        # The nominative ("parole Abc123", "jaunā parole abc123") names the
        # password itself; other cases are mostly objects of a verb
        # ("atiestatīt paroli jberzins01"), so they need a stronger-looking token.
        nominative = group in ("pw_lv", "pw_ru") and m.group().endswith(("parole", "пароль"))
        if m.start() and folded[m.start() - 1] == "(" and folded.startswith(")", m.end()):
            # "P: Sniegs2026 (parole)": the keyword in brackets names the token before it
            value = _token_before(text, m.start() - 1)
            if value and _is_secret(text[value[0]:value[1]], _BARE, "password" if rules == "pass" else rules,
                                    quoted=False):
                findings.append(Finding(value[0], value[1], kind))
            continue
        line_start = folded.rfind("\n", max(0, m.start() - 80), m.start()) + 1
        before = folded[max(line_start, m.start() - 80):m.start()]
        possessive = rules == "password" and _POSSESSIVE_RE.search(before) is not None
        after_login = rules == "pass" and _LOGIN_BEFORE_RE.search(before) is not None
        first = True
        oblique = group in ("pw_lv", "pw_ru") and not nominative
        for start, end, quoted, tier, strong in _candidates(text, folded, m.end(), oblique=oblique):
            if first and possessive and strong and not quoted:
                run_end = _passphrase_end(text, folded, start, min(len(text), m.end() + _LOOK_AHEAD))
                if run_end is not None and run_end > end:
                    findings.append(Finding(start, run_end, kind))
                    break
            first = False
            if rules == "pass":
                # "pass: X" always; "pass X" only right after a login ("login: janis pass Abc123")
                if not strong and not after_login:
                    continue
                if tier == _BARE:
                    tier = _WEAK
                token_rules = "password"
            else:
                token_rules = rules
            if tier == _BARE and nominative:
                tier = _WEAK
            if _is_secret(text[start:end], tier, token_rules, quoted=quoted):
                findings.append(Finding(start, end, kind))
    findings.extend(_flood(keywords, folded))  # the keywords past the first _MAX_WEIGHED, if any
    return _merge(findings)


# A desk mail names a password a handful of times, a long thread of replies a few dozen. A text that
# names one thousands of times is a flood (a log, or a mail made to stall the intake, issue 18): each
# keyword past the first _MAX_WEIGHED is not weighed, at some microseconds each, but the whole stretch
# in which a value could be found for it (_REACH characters, up to a blank line) is taken as its
# secret, merged with its neighbours'. More is redacted than weighing would have, never less; a keyword
# followed by [REDACTED] has nothing left to hide (so that redacting a flood twice changes nothing).
_MAX_WEIGHED = 1000
_REACH = _LOOK_AHEAD + _MAX_VALUE
_REDACTED_NEXT_RE = _Pattern(r"[\s:=：＝–—-]*\[redacted\]")
_BLANK_LINE_RE = _Pattern(r"\n[^\S\n]*\n")
_ALNUM_RE = _Pattern(r"[^\W_]")


def _flood(keywords, folded: str) -> list[Finding]:
    spans: list[Finding] = []
    start = last = end = -1  # the open stretch, the end of its last keyword, and how far it reaches
    kind = "password"
    # (each further keyword costs about a microsecond: what the text cannot hold is not looked for)
    redacted_next = _REDACTED_NEXT_RE.match if "[redacted]" in folded else None
    blank_line = _BLANK_LINE_RE.search if "\n" in folded else None

    def close(blank) -> None:
        stop = blank.start() if blank else end
        if stop > start and _ALNUM_RE.search(folded, start, stop):  # not for "Password:" alone
            spans.append(Finding(start, stop, kind))

    for m in keywords:
        after = m.end()
        if redacted_next and redacted_next(folded, after):
            continue
        if end > last:  # each stretch between two keywords is searched once for a blank line
            blank = blank_line(folded, last, min(end, after)) if blank_line else None
            if blank or after > end:
                close(blank)
                start = end = -1
        if end == -1:
            start, kind = after, _KINDS[m.lastgroup or "pw_en"][0]
        last, end = after, min(len(folded), after + _REACH)
    if end > last:
        close(blank_line(folded, last, end) if blank_line else None)
    return spans


def _merge(findings: list[Finding]) -> list[Finding]:
    findings.sort(key=lambda f: (f.start, -f.end))
    merged: list[Finding] = []
    for f in findings:
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            if f.end > last.end:
                merged[-1] = Finding(last.start, f.end, last.kind)
            continue
        merged.append(f)
    return merged


def redact(text: str) -> str:
    """``text`` with every secret value replaced by ``[REDACTED]``."""
    findings = find_secrets(text)
    if not findings:
        return text
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos:f.start])
        parts.append(REDACTED)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def check_text(field: str, text: str | None, *, redact_secrets: bool) -> str | None:
    """Refuse (exit 3) or redact a free text that discloses a password or PIN.

    The error message names only the field, never the text or the secret.
    """
    if text is None:
        return None
    if not find_secrets(text):
        return text
    if redact_secrets:
        return redact(text)
    raise InvalidInput(_("{field} seems to contain a password or PIN; remove it (passwords are never stored, "
                         "rule 6.7) or use --redact").format(field=field_name(field)))


def __getattr__(name: str) -> Any:
    """`_FOLD`, the folding table as a dict (what the string table is built from), on request."""
    if name == "_FOLD":
        return _build_fold_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------
# Values read with a label the text itself does not show (issue 18).
# --------------------------------------------------------------------------
def redact_labelled(label: str, value: str) -> str:
    """``value`` as it reads after ``label:`` (a header "Password: hunter2", which a mail whose first
    line is "Parole: X" with no blank line before it also makes), redacted."""
    prefix = f"{label}: "
    text = prefix + value
    if not find_secrets(text):
        return value
    red = redact(text)
    return red[len(prefix):] if red.startswith(prefix) else REDACTED  # (a secret within the label)


def redact_file_name(name: str) -> str:
    """An attachment's file name: "parole_Sniegs2026.txt" -> "parole_[REDACTED].txt" (underscores read
    as spaces, the extension kept)."""
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and len(ext) <= 5 and ext.isalnum()):
        stem, dot, ext = name, "", ""
    findings = find_secrets(stem.replace("_", " "))  # one character for one: the spans hold
    if not findings:
        return name
    parts, pos = [], 0
    for f in findings:
        parts += [stem[pos:f.start], REDACTED]
        pos = f.end
    return "".join(parts) + stem[pos:] + dot + ext


# An attached file of one of these kinds is text whatever type the sender's program gave it
# ("piezimes.txt" as application/octet-stream), if it reads as UTF-8.
_TEXT_FILE_EXTENSIONS = frozenset("txt text log csv tsv md ini cfg conf json xml yaml yml".split())


def attached_text(name: str | None, data: bytes) -> str | None:
    """The text of an attached file that is text by its name (see _TEXT_FILE_EXTENSIONS), else None."""
    if not name or name.rpartition(".")[2].lower() not in _TEXT_FILE_EXTENSIONS:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_key(field: str, key: str | None, *, redact_secrets: bool) -> str | None:
    """An idempotency key through the guard. One that discloses a password or PIN is refused (exit 3),
    or with ``redact_secrets`` kept as its redacted text and a digest of the whole key: a retry with
    the same key still finds its request, and two keys that differ only in the secret stay two."""
    if key is None or not find_secrets(key):
        return key
    if not redact_secrets:
        check_text(field, key, redact_secrets=False)  # raises, naming only the field
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{redact(key)[:180]} #{digest}"
