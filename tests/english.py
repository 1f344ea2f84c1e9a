"""Does English reach a person who reads Latvian? (SPEC 12)

`english(text)` returns the English words found in what pd printed under PD_LANG=lv. It looks
for common English words that are not Latvian words, after taking out what stays as it is in
every language: option and command names (--reason, pd show), environment variables (PD_LANG),
paths and file names, e-mail addresses, URLs and JSON. `latvian(text)` does the reverse for
PD_LANG=en: Latvian letters outside the names and the rules' own terms.
"""
from __future__ import annotations

import re

# Common English words that are not Latvian words (Latvian "no", "par", "un", "ir", "it" (it kā) … are not here).
ENGLISH = frozenset("""
the is are was were be been has have had not no's of and or with without for this that these those
from into onto by at an if then else when which who whom whose what where why how must should
could would will can cannot can't don't doesn't isn't aren't wasn't won't its it's there their
they them you your we our he she his her please usage options option commands command arguments
argument error errors invalid unknown required missing found exists exist already only also any
all none some more less than after before since until while again given name names value values
file files show shows help message messages version install completion current shell request
requests expert experts operator user users mail reply replies sent send deadline deadline
late overdue closed open opened resolved registered assigned returned waiting refused escalated
day days hour hours minute minutes working week weeks month months year years today yesterday
tomorrow number numbers text reason reasons date dates time yes choose choice expected got
allowed permitted denied nothing something everything done ok failed fail failure stored store
changed change run running try using use used see such out off over under between about
""".split())

# The words of pd's commands and subcommands (after "pd", on one line or wrapped onto the next)
COMMAND_WORDS = frozenset("""
register assign accept reject wait resume note resolve close reopen show list queue search escalate
escalate-overdue mail intake explain calendar report init info doctor catalog contacts config audit db
privacy completion send retry ingest fetch attach ignore seen quarantine replay due check monthly
publish history set identity verify anchor upgrade backup restore purge export
""".split())

_KEEP = re.compile(
    r"--?[A-Za-z][\w-]*"                 # options
    r"|\bPD_[A-Z_]+\b|\b[A-Z][A-Z0-9_]{2,}\b"  # variables, codes (IS-DATORS, PIEŅEMU)
    r"|[\w.+-]+@[\w.-]+"                 # e-mail addresses
    r"|\w+://\S+"                        # URLs
    rf"|[^\s'\"]*/pd(?:\s+(?:{'|'.join(sorted(COMMAND_WORDS, key=len, reverse=True))})\b)+"  # /opt/pd/bin/pd mail ingest
    r"|\b[a-z]+(?:_[a-z]+)+\b"          # identifiers (close_after, needs_location)
    r"|(?:~|\.{0,2})/[^\s'\"]*|\S+\.(?:ya?ml|env|xlsx|csv|json|sqlite3?|db|po|mo|py|txt|eml)\b"  # paths
    r"|'[^'\n]*'|\"[^\"\n]*\"|«[^»\n]*»|“[^”\n]*”"  # what the person typed, quoted back
    rf"|\bpd(?:\s+(?:{'|'.join(sorted(COMMAND_WORDS, key=len, reverse=True))})\b)*"  # pd and its commands (pd mail fetch)
    r"|^  [a-z][a-z-]*(?=  )"             # a command in --help's list of commands
    r"|\b[A-Z][a-z]+(?:-[A-Z][A-Za-z]*)+\b"  # mail headers (Message-ID, In-Reply-To)
    r"|\{[a-z_, ]+\}",                   # JSON keys ({uid, action, intake, request})
    re.MULTILINE,
)
_WORD = re.compile(r"[^\W\d_]+(?:'[a-z]+)?")  # whole words, Latvian letters included ("šis" is not "is")


def english(text: str, allow: frozenset[str] = frozenset()) -> list[str]:
    """The English words in ``text`` (lower-cased, in order), outside what stays as it is."""
    text = _KEEP.sub(" ", text)
    return [w for w in (m.group().lower() for m in _WORD.finditer(text)) if w in ENGLISH and w not in allow]


LATVIAN_LETTERS = re.compile(r"[āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ]")


def latvian(text: str, allow: tuple[str, ...] = ()) -> list[str]:
    """Words with Latvian letters in ``text`` (for PD_LANG=en), but for the names in ``allow``."""
    text = _KEEP.sub(" ", text)
    words = re.findall(r"\w+", text)
    return [w for w in words if LATVIAN_LETTERS.search(w) and not any(a in w for a in allow)]
