#!/usr/bin/env python3
"""The message catalogs (SPEC 12): extract every string pd shows a person, update pd.po, compile pd.mo.

    .venv/bin/python scripts/i18n.py update    # pd/locale/pd.pot from the code; lv/pd.po merged with it
    .venv/bin/python scripts/i18n.py compile   # lv/pd.po -> lv/pd.mo (committed: a wheel needs no Babel)
    .venv/bin/python scripts/i18n.py check     # exit 1 naming what is untranslated, fuzzy, mismatched or stale

Where the strings are:
- pd's code: ``_()``, ``N_()``, ``ngettext()``, ``pgettext()`` and their ``*_in(lang, …)`` forms;
- pd's help: every command's docstring and every option's ``help=``, read from the commands as
  Typer builds them (so the msgid is exactly the text Click will ask for);
- Typer's own words (typer/core.py: "Arguments", "default: …"), extracted from its installed source:
  it calls ``gettext.gettext``, which pd.i18n points at this catalog. Click's words (Typer's copy of
  Click does not use gettext) are pd/cli.py's own msgids.

tests/test_i18n.py runs ``problems()``: a string a person sees with no Latvian fails the suite.
"""
from __future__ import annotations

import io
import re
import struct
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "pd" / "locale"
POT = LOCALE / "pd.pot"
LANGS = ("lv",)
KEYWORDS = {
    "_": None, "N_": None, "NN_": (1, 2), "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
    "gettext_in": (2,), "ngettext_in": (2, 3), "pgettext_in": ((2, "c"), 3),
}
KEYWORDS["NP_"] = ((1, "c"), 2)  # pd.i18n.NP_: (context, msgid)
# Typer's module whose words reach a person through gettext ("Arguments", "[default: …]", "required").
# Typer 0.28 runs its own copy of Click (typer._click), whose words are English literals: pd/cli.py
# says them itself, with msgids of its own; the separately installed click package is never imported.
LIBRARIES = {
    "typer": ["core.py"],
}
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]|%[sd]")


def _add(cat: Catalog, msgid, where: tuple[str, int], context: str | None = None, comments=()) -> None:
    if not msgid or (isinstance(msgid, tuple) and not msgid[0]):
        return
    if isinstance(msgid, str) and not msgid.strip():
        return
    cat.add(msgid, locations=[where], context=context, auto_comments=list(comments),
            flags=("python-brace-format",) if "{" in (msgid if isinstance(msgid, str) else msgid[0]) else ())


def code_messages(cat: Catalog) -> None:
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / "pd", method_map=[("**.py", "python")], keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        _add(cat, message, ("pd/" + filename, lineno), context, comments)


def help_messages(cat: Catalog) -> None:
    """Every command's help as Click will ask for it (English: pd.i18n.use("en") while building)."""
    sys.path.insert(0, str(ROOT))
    from pd import cli, i18n

    i18n.use("en")
    import typer.main

    root = typer.main.get_command(cli.app)
    seen: set[int] = set()

    def walk(cmd, path: str) -> None:
        if id(cmd) in seen:
            return
        seen.add(id(cmd))
        where = _source_of(cmd)
        for text in (cmd.help, cmd.short_help, getattr(cmd, "epilog", None),
                     getattr(cmd, "options_metavar", None), getattr(cmd, "subcommand_metavar", None)):
            if text:
                _add(cat, text, where)
        for p in cmd.params:
            if getattr(p, "help", None):
                _add(cat, p.help, where)
        for name in getattr(cmd, "lazy", {}) or {}:
            _add(cat, cli._help_of(cmd._target(name)), where)
            sub = cmd.get_command(None, name)
            if sub is not None:
                walk(sub, f"{path} {name}")
        for name, sub in list(getattr(cmd, "commands", {}).items()):
            walk(sub, f"{path} {name}")

    walk(root, "")
    i18n.use(None)


def _source_of(cmd) -> tuple[str, int]:
    """Where a command is defined, for the catalog's "#:" lines."""
    import inspect

    fn = getattr(cmd, "callback", None)
    try:
        fn = inspect.unwrap(fn)
        path = Path(fn.__code__.co_filename).resolve().relative_to(ROOT)
        return str(path), fn.__code__.co_firstlineno
    except (AttributeError, TypeError, ValueError):
        return "pd/cli.py", 1


def library_messages(cat: Catalog) -> None:
    import importlib.util

    for package, files in LIBRARIES.items():
        base = Path(importlib.util.find_spec(package).origin).parent
        for name in files:
            for lineno, message, comments, context in extract_from_file(
                    "python", base / name, keywords={"_": None, "ngettext": (1, 2)}):
                _add(cat, message, (f"{package}/{name}", lineno), context, comments)


def template() -> Catalog:
    cat = Catalog(project="pd", domain="pd", charset="utf-8", fuzzy=False)
    code_messages(cat)
    help_messages(cat)
    library_messages(cat)
    return cat


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "pd.po"


def mo_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "pd.mo"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain="pd", project="pd", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain="pd")


def update() -> None:
    tmpl = template()
    LOCALE.mkdir(parents=True, exist_ok=True)
    with POT.open("wb") as f:
        write_po(f, tmpl, width=100, omit_header=False, sort_output=False, no_location=False)
    for lang in LANGS:
        cat = read(lang)
        cat.update(tmpl, no_fuzzy_matching=True, update_header_comment=False)
        cat.obsolete.clear()  # a string the code no longer says is gone from the catalog too
        cat.fuzzy = False
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        with po_path(lang).open("wb") as f:
            write_po(f, cat, width=100, include_previous=False)
    compile_()


def mo_pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (original, translation) pairs of a .mo, in the file's order."""
    n, originals, translations = struct.unpack_from("<3I", data, 8)
    pairs = []
    for i in range(n):
        ol, oo = struct.unpack_from("<2I", data, originals + 8 * i)
        tl, to = struct.unpack_from("<2I", data, translations + 8 * i)
        pairs.append((data[oo:oo + ol], data[to:to + tl]))
    return pairs


def sorted_mo(data: bytes) -> bytes:
    """Babel's .mo with its originals sorted by their bytes, as GNU msgfmt writes them (Babel sorts by
    message id, a context aside): pd.i18n.Catalog finds a message by binary search in that order."""
    pairs = sorted(mo_pairs(data))
    n = len(pairs)
    originals, translations = 28, 28 + 8 * n
    at = translations + 8 * n
    table_o, table_t, blob = [], [], []
    for key, _ in pairs:
        table_o += [len(key), at]
        blob.append(key + b"\0")
        at += len(key) + 1
    for _, text in pairs:
        table_t += [len(text), at]
        blob.append(text + b"\0")
        at += len(text) + 1
    head = struct.pack("<7I", 0x950412DE, 0, n, originals, translations, 0, at)
    return head + struct.pack(f"<{4 * n}I", *table_o, *table_t) + b"".join(blob)


def compile_() -> None:
    for lang in LANGS:
        cat = read(lang)
        buf = io.BytesIO()
        write_mo(buf, cat, use_fuzzy=False)
        mo_path(lang).write_bytes(sorted_mo(buf.getvalue()))


def _translations(cat: Catalog) -> dict:
    # a plural's forms: a tuple from a .po, a list from a .mo
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]):
            tuple(m.string) if isinstance(m.string, list) else m.string for m in cat if m.id}


def problems(*, check_template: bool = True) -> list[str]:
    """What keeps a person from reading pd in every language: each problem one line."""
    found: list[str] = []
    tmpl = template() if check_template else None
    for lang in LANGS:
        cat = read(lang)
        for m in cat:
            if not m.id:
                continue
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
            if not all(strings):
                found.append(f"{lang}: untranslated {ids[0]!r} ({where})")
                continue
            if m.fuzzy:
                found.append(f"{lang}: fuzzy {ids[0]!r} ({where})")
            wanted = sorted(PLACEHOLDER.findall(ids[0]))
            for s in strings:
                if sorted(set(PLACEHOLDER.findall(s))) != sorted(set(wanted)):
                    found.append(f"{lang}: placeholders differ in {ids[0]!r}: {s!r} ({where})")
        if tmpl is not None:
            have = _translations(cat)
            for m in tmpl:
                if m.id and (m.context, m.id if isinstance(m.id, str) else m.id[0]) not in have:
                    where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
                    found.append(f"{lang}: not in the catalog {m.id!r} ({where}); run scripts/i18n.py update")
        mo = mo_path(lang)
        if not mo.exists():
            found.append(f"{lang}: {mo.relative_to(ROOT)} missing; run scripts/i18n.py compile")
        else:
            keys = [k for k, _ in mo_pairs(mo.read_bytes())]
            if keys != sorted(keys):
                found.append(f"{lang}: {mo.relative_to(ROOT)} is not sorted (pd.i18n.Catalog needs it); "
                             "run scripts/i18n.py compile")
            with mo.open("rb") as f:
                compiled = read_mo(f)
            want = {k: v for k, v in _translations(cat).items() if v and (v if isinstance(v, str) else v[0])}
            got = {k: v for k, v in _translations(compiled).items()}
            if want != got:
                found.append(f"{lang}: {mo.relative_to(ROOT)} is older than pd.po; run scripts/i18n.py compile")
    return found


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "check"
    if what == "update":
        update()
    elif what == "compile":
        compile_()
    elif what == "check":
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
