"""The desk's language (SPEC 12): every string a person reads comes from a gettext catalog.

The message ids are English, written where they are used::

    from .i18n import _, ngettext, N_

    raise NotFound(_("no request {number}").format(number=number))
    ngettext("{n} day", "{n} days", n).format(n=n)   # Latvian has three forms: 1/21, 2/10, 0
    STATES = {"closed": N_("closed")}                # marked here, translated where shown

The Latvian texts are in ``pd/locale/lv/LC_MESSAGES/pd.po`` (compiled to ``pd.mo`` beside it;
``scripts/i18n`` extracts, updates and compiles with Babel). English needs no catalog: the
message id is the text. The language is ``PD_LANG`` (``lv`` by default); a function that
speaks for someone else (a mail in the recipient's language, a report with ``--lang``) asks
``translator(lang)`` or ``gettext_in(lang, …)`` instead.

Typer says its own words ("Arguments", "default: …") through the standard ``gettext.gettext``;
``language()`` points that at the same catalog. Typer's copy of Click ("Usage:", "Missing argument
…") does not use gettext: pd/cli.py says those words with msgids of its own.
"""
from __future__ import annotations

import gettext as _gettext
import os
import struct

DOMAIN = "pd"
LANGS = ("lv", "en")
DEFAULT = "lv"
LOCALEDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")

_translators: dict[str, _gettext.NullTranslations] = {}
_chosen: str | None = None  # use(); else PD_LANG, read when asked (a pd.env read later counts)
_bound: str | None = None   # the language gettext.gettext (Typer's words) was pointed at


def language() -> str:
    """The language pd speaks to the person at hand: ``use()``'s, else ``PD_LANG``, else Latvian.
    A value pd does not know is Latvian here (the settings refuse it with their own message)."""
    lang = _chosen or os.environ.get("PD_LANG", DEFAULT)
    if lang not in LANGS:
        lang = DEFAULT
    if lang != _bound:
        _bind_click(lang)
    return lang


def use(lang: str | None) -> None:
    """Speak ``lang`` from now on (None: back to ``PD_LANG``)."""
    global _chosen
    _chosen = lang if lang in LANGS else None
    language()


def _bind_click(lang: str) -> None:
    """Typer calls ``gettext.gettext``: the 'pd' domain, in ``lang``."""
    global _bound
    _bound = lang
    _gettext.bindtextdomain(DOMAIN, LOCALEDIR)
    _gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang  # what gettext.gettext looks up; "en" finds no catalog: the msgid


def translator(lang: str | None = None) -> _gettext.NullTranslations:
    """The catalog of ``lang`` (default: ``language()``), loaded once per process."""
    lang = lang or language()
    t = _translators.get(lang)
    if t is None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
        if lang == "en":
            t = _gettext.NullTranslations()
        else:
            with open(os.path.join(LOCALEDIR, lang, "LC_MESSAGES", DOMAIN + ".mo"), "rb") as f:
                t = Catalog(f.read())
        _translators[lang] = t
    return t


class Catalog(_gettext.NullTranslations):
    """A compiled catalog (.mo) read on demand: a message is found by binary search in the .mo's
    table of originals, which ``scripts/i18n.py compile`` sorts by their bytes (as GNU msgfmt does),
    and decoded when asked for. Python's GNUTranslations decodes every message first: with 1,700
    messages that was 4-5 ms of every run, more than the few a command says. Same answers
    (tests/test_i18n.py compares every message); a catalog that is not sorted is refused."""

    def __init__(self, data: bytes):
        super().__init__()
        magic = struct.unpack_from("<I", data)[0] if len(data) >= 28 else 0
        order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else ""
        if not order:
            raise OSError("not a compiled gettext catalog")
        n, originals, translations = struct.unpack_from(order + "3I", data, 8)
        self._data = data
        self._n = n
        self._originals = struct.unpack_from(f"{order}{2 * n}I", data, originals)  # (length, offset) pairs
        self._translations = struct.unpack_from(f"{order}{2 * n}I", data, translations)
        self._found: dict[bytes, str | None] = {}
        self._plural = None  # compiled from the header on the first count (gettext.c2py compiles Python)

    def plural(self, n: int) -> int:
        """The index of the form for ``n``, by the catalog's Plural-Forms."""
        if self._plural is None:
            self._plural = lambda n: int(n != 1)
            for line in (self._lookup(b"") or "").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "plural-forms":
                    self._plural = _gettext.c2py(value.split(";")[1].split("plural=")[1])
        return self._plural(n)

    def _key(self, i: int) -> bytes:
        length, offset = self._originals[2 * i], self._originals[2 * i + 1]
        key = self._data[offset:offset + length]
        return key.split(b"\0", 1)[0]  # a plural's original is "singular\0plural"

    def _lookup(self, key: bytes) -> str | None:
        if key in self._found:
            return self._found[key]
        lo, hi = 0, self._n
        text = None
        while lo < hi:
            mid = (lo + hi) // 2
            k = self._key(mid)
            if k < key:
                lo = mid + 1
            elif k > key:
                hi = mid
            else:
                length, offset = self._translations[2 * mid], self._translations[2 * mid + 1]
                text = self._data[offset:offset + length].decode("utf-8")
                break
        self._found[key] = text
        return text

    def gettext(self, message: str) -> str:
        text = self._lookup(message.encode("utf-8"))
        return message if text is None else text

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        text = self._lookup(msgid1.encode("utf-8"))
        if text is None:
            return msgid1 if n == 1 else msgid2
        forms = text.split("\0")
        i = self.plural(n)
        return forms[i] if i < len(forms) else forms[-1]

    def pgettext(self, context: str, message: str) -> str:
        text = self._lookup(f"{context}\x04{message}".encode("utf-8"))
        return message if text is None else text

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        text = self._lookup(f"{context}\x04{msgid1}".encode("utf-8"))
        if text is None:
            return msgid1 if n == 1 else msgid2
        forms = text.split("\0")
        i = self.plural(n)
        return forms[i] if i < len(forms) else forms[-1]


def _(message: str) -> str:
    """``message`` in the desk's language."""
    return translator().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` (Latvian: 1, 21, 101 … / 2-9, 10, 12 … / 0), in the desk's language."""
    return translator().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word has two Latvian ones (a state vs a verb)."""
    return translator().pgettext(context, message)


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang`` (a mail, a report), whatever the desk's language is."""
    return translator(lang).gettext(message)


def ngettext_in(lang: str, singular: str, plural: str, n: int) -> str:
    return translator(lang).ngettext(singular, plural, n)


def pgettext_in(lang: str, context: str, message: str) -> str:
    return translator(lang).pgettext(context, message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it is defined; it is translated where shown."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """Marks ``message`` for the catalog with a context, where one English word has two Latvian ones
    ("Received": a request's column "Saņemts", a count "Saņemti"); ``pgettext_in(lang, *entry)`` where shown."""
    return context, message


def NN_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message (its two English forms) for the catalog; ``ngettext`` where shown."""
    return singular, plural
