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

Click and Typer say their own words ("Usage:", "Options", "Missing argument …") through the
standard ``gettext.gettext``; ``use()`` points that at the same catalog, so they speak the
desk's language too.
"""
from __future__ import annotations

import gettext as _gettext
import os

DOMAIN = "pd"
LANGS = ("lv", "en")
DEFAULT = "lv"
LOCALEDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")

_translators: dict[str, _gettext.NullTranslations] = {}
_chosen: str | None = None  # use(); else PD_LANG, read when asked (a pd.env read later counts)
_bound: str | None = None   # the language Click's gettext was pointed at


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
    """Click and Typer call ``gettext.gettext``: the 'pd' domain, in ``lang``."""
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
                t = _gettext.GNUTranslations(f)
        _translators[lang] = t
    return t


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
