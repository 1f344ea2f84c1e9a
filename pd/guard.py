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

A PIN always needs a digit. Matching is case-insensitive and tolerant of
Latvian diacritics (``PAROLE``, ``slepenais vards``). Stdlib only.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from pd.errors import InvalidInput
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

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern | None = None

    def __getattr__(self, name: str) -> Any:  # search, match, fullmatch, finditer
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


# --------------------------------------------------------------------------
# Keywords (on folded text). Each alternative is a named group giving its kind.
# --------------------------------------------------------------------------
_KEYWORD_WORD = (
    r"(?:"
    # parole and its cases (parole, paroli, paroles, parolei, parolē, parolēm,
    # paroļu) also inside compounds: sākumparole, pagaidparole, e-pastparole.
    r"(?P<pw_lv>[^\W\d_]*parol(?:e|i|es|ei|em|u|ite)s?)"
    r"|(?P<pw_secret>slepen[^\W\d_]*[\s-]+vard[^\W\d_]*)"
    r"|(?P<pw_en>passwords?|passwort|passwd|passcode|passphrase|pwd|pw|p/w)"
    r"|(?P<pass>pass)"
    r"|(?P<pw_ru>парол[^\W\d_]*)"
    r"|(?P<code>(?:piekluves|access)[\s-]+(?:kod[^\W\d_]*|codes?))"
    r"|(?P<pin>(?:pin|puk)[12]?(?:[\s-]*(?:kods|kodu|koda|kodi|kodus|kodam|codes?|numbers?|numurs|numuru|nr\.?))?"
    r"|пин[\s-]*код[^\W\d_]*|пин|пук)"
    r")"
)
# a whole word: backtracks "parolei" past "parole", refuses "pinot"
_KEYWORD_RE = _Pattern(r"(?<![^\W_])" + _KEYWORD_WORD + r"(?![^\W\d_])")
# Every keyword above holds one of these (tests/test_guard.py checks it): a folded text without
# any of them names no password or PIN, and is passed without compiling the keyword pattern.
_KEYWORD_STEMS = ("parol", "slepen", "pass", "pw", "p/w", "парол", "piekluves", "access", "pin", "puk", "пин", "пук")

# group -> (reported kind, rules)
_KINDS = {
    "pw_lv": ("password", "password"),
    "pw_secret": ("password", "password"),
    "pw_en": ("password", "password"),
    "pass": ("password", "pass"),
    "pw_ru": ("password", "password"),
    "code": ("pin", "password"),
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
    vina vinas lietotaja users lietotajam for prieks
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
_EMAIL_RE = _Pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+")
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
    has_lower = any(c.islower() for c in core)
    has_upper = any(c.isupper() for c in core)
    has_digit = any(c.isdigit() for c in core)
    has_alpha = any(c.isalpha() for c in core)
    has_symbol = any(c in _SYMBOLS for c in core)
    return has_lower, has_upper, has_digit, has_alpha, has_symbol


def _is_secret(token: str, tier: int, rules: str, *, quoted: bool) -> bool:
    core = _classify_core(token)
    if not core or not any(c.isalnum() for c in core):
        return False  # "***", "-", "?" …
    if REDACTED.lower() in token.lower():
        return False  # already redacted: running the guard twice must be harmless
    has_lower, has_upper, has_digit, has_alpha, has_symbol = _shape(core)
    numeric = core.isdigit()

    if rules == "pin":
        if not has_digit:
            return False
        if numeric:
            limit = 12 if tier > _BARE else 8
            return 4 <= len(core) <= limit and not (tier < _EXPLICIT and _PHONE_RE.fullmatch(core))
        digits = sum(c.isdigit() for c in core)
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
    mixed_case = has_lower and any(c.isupper() for c in core[1:])
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


def _candidates(text: str, folded: str, pos: int):
    """From just after a keyword, yield ``(start, end, quoted, tier, strong)`` of the value(s)."""
    n = len(text)
    if pos < n:
        ch = text[pos]
        if not (ch.isspace() or ch in ":=-–—→(：＝" or ch in _QUOTES):
            return  # "password_hint", "pinot", "parole/PIN" (the next keyword will do)
    tier = _BARE
    strong = False
    named = False  # "parole lietotājam …", "password for …": a label may follow
    i = pos
    for _ in range(_MAX_CONNECTORS):
        j = i
        newlines = 0
        while j < n and text[j].isspace():
            newlines += text[j] == "\n"
            j += 1
        if j >= n or newlines >= 2:
            return  # the value is not looked for past a blank line
        sep = next((s for s in _SEPARATORS if folded.startswith(s, j)), None)
        if sep is not None:
            after = j + len(sep)
            # "-" glued to a value (parole -Abc1) is part of the value, not a separator.
            if not (sep in "-–—" and after < n and not text[after].isspace()):
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
        m = _WORD_RE.match(folded, j)
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
        yield start, end, quoted, tier, strong
        # "parole lietotājam jberzins: Abc123": a label ending in ':' before any
        # separator introduces the value after it.
        if named and not quoted and tier != _EXPLICIT and text[end - 1] == ":" and end - start > 1:
            tier, strong, i = _EXPLICIT, True, end
            continue
        # "the pw for the VPN is X", "parole priekš VPN ir X": a label of a few words, then the value.
        if named and not quoted and tier != _EXPLICIT:
            after_label = _label_end(text, folded, end)
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
            k = end + (1 if quoted else 0)
            while k < n and text[k] in " \t":
                k += 1
            if k + 1 < n and text[k] in ",/;|" and text[k + 1] in " \t":
                tier, i = _WEAK, k + 1  # "jberzins / Abc123"
                continue
        return


def _label_end(text: str, folded: str, pos: int) -> tuple[int, bool] | None:
    """After a label's first word: where the value starts if up to two more label words and then
    ``is``/``ir``/``:`` follow on the same line (and whether it was a strong separator)."""
    n = len(text)
    i = pos
    for _ in range(3):
        while i < n and text[i] in " \t":
            i += 1
        sep = next((s for s in _STRONG_SEPARATORS if folded.startswith(s, i)), None)
        if sep is not None:
            return i + len(sep), True
        j = i
        while j < n and not text[j].isspace():
            j += 1
        if j == i:
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
_PASSPHRASE_WORD_RE = _Pattern(r"[^\W_](?:[\w'’-]*[^\W_])?")
_SENTENCE_END = ".!?,;"


def _passphrase_end(text: str, folded: str, start: int) -> int | None:
    """The end of a passphrase of 2 to 8 words starting at ``start`` (up to a sentence's end)."""
    n = len(text)
    i = start
    words: list[str] = []
    end = start
    while i < n and len(words) <= 8:
        m = _PASSPHRASE_WORD_RE.match(text, i)
        if not m:
            break
        words.append(folded[m.start():m.end()])
        end = m.end()
        if end >= n or text[end] == "\n" or text[end] in _SENTENCE_END:
            break
        if text[end] not in " \t":
            return None  # "Abc123#x": a token of symbols is the single-value rule's
        i = end
        while i < n and text[i] in " \t":
            i += 1
    if not 2 <= len(words) <= 8:
        return None
    first = words[0]
    if first in _NOT_A_PASSPHRASE_START or first.startswith(_STOP_PREFIXES) or (
            len(first) > 4 and first.endswith(_FORM_ENDINGS)):
        return None
    if sum(_is_stop_word(w) for w in words) > 1:
        return None
    return end


def _value_span(text: str, start: int) -> tuple[int, int, bool] | None:
    n = len(text)
    opener = text[start]
    if opener in _QUOTES:
        closers = _QUOTES[opener]
        k = start + 1
        limit = min(n, start + 200)
        while k < limit and text[k] not in closers and text[k] != "\n":
            k += 1
        if k < limit and text[k] in closers and k > start + 1:
            return start + 1, k, True
    end = start
    while end < n and not text[end].isspace():
        end += 1
    # Drop closing brackets or quotes that close something opened before the value.
    token = text[start:end]
    while token and token[-1] in ")]}»”’\"'" and _unbalanced(token):
        token = token[:-1]
        end -= 1
    if not token:
        return None
    return start, end, False


def _unbalanced(token: str) -> bool:
    last = token[-1]
    pairs = {")": "(", "]": "[", "}": "{", "»": "«", "”": "“„", "’": "‘"}
    if last in pairs:
        opens = sum(token.count(o) for o in pairs[last])
        return token.count(last) > opens
    if last in "\"'":
        return token.count(last) % 2 == 1 and token[0] != last
    return False


# The last texts scanned and what was found in them: the intake scans a mail's text and then its
# reply (most often the same text), a subject in its header and then as the desk shows it.
_RECENT: dict[str, tuple[Finding, ...]] = {}
_RECENT_MAX, _RECENT_LEN = 16, 65536


def find_secrets(text: str) -> list[Finding]:
    """Spans of the password and PIN values disclosed in ``text``, in order."""
    if not text:
        return []
    known = _RECENT.get(text)
    if known is not None:
        return list(known)
    found = _find_secrets(text)
    if len(text) <= _RECENT_LEN:
        if len(_RECENT) >= _RECENT_MAX:
            _RECENT.clear()
        _RECENT[text] = tuple(found)
    return found


def _find_secrets(text: str) -> list[Finding]:
    folded = _fold(text)
    if not any(stem in folded for stem in _KEYWORD_STEMS):
        return []
    findings: list[Finding] = []
    for m in _KEYWORD_RE.finditer(folded):
        group = m.lastgroup or "pw_en"
        kind, rules = _KINDS[group]
        # The nominative ("parole Abc123", "jaunā parole abc123") names the
        # password itself; other cases are mostly objects of a verb
        # ("atiestatīt paroli jberzins01"), so they need a stronger-looking token.
        nominative = group in ("pw_lv", "pw_ru") and m.group().endswith(("parole", "пароль"))
        line_start = folded.rfind("\n", 0, m.start()) + 1
        before = folded[max(line_start, m.start() - 80):m.start()]
        possessive = rules == "password" and _POSSESSIVE_RE.search(before) is not None
        after_login = rules == "pass" and _LOGIN_BEFORE_RE.search(before) is not None
        first = True
        for start, end, quoted, tier, strong in _candidates(text, folded, m.end()):
            if first and possessive and strong and not quoted:
                run_end = _passphrase_end(text, folded, start)
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
    return _merge(findings)


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
    raise InvalidInput(
        f"{field} seems to contain a password or PIN; remove it "
        "(passwords are never stored, rule 6.7) or use --redact"
    )


def __getattr__(name: str) -> Any:
    """`_FOLD`, the folding table as a dict (what the string table is built from), on request."""
    if name == "_FOLD":
        return _build_fold_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
