#!/usr/bin/env python3
"""A git merge driver for pd.po: the union of both sides' translations (scripts/i18n.py update
then puts the catalog in the code's order). Set up by `git config merge.pounion.driver
"python3 scripts/po_merge.py %O %A %B"`; .gitattributes names the files."""
import sys

from babel.messages.pofile import read_po, write_po


def main(base: str, ours: str, theirs: str) -> int:
    with open(ours, "rb") as f:
        a = read_po(f, locale="lv")
    with open(theirs, "rb") as f:
        b = read_po(f, locale="lv")
    for m in b:
        if not m.id:
            continue
        have = a.get(m.id, context=m.context)
        if have is None:
            a[m.id] = m
        elif m.string and (not have.string or (isinstance(have.string, tuple) and not all(have.string))):
            have.string = m.string
    with open(ours, "wb") as f:
        write_po(f, a, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
