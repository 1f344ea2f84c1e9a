"""What pd doctor says: English message ids, translated where shown (Latvian in pd.po; PD_LANG=en
the ids themselves); --json always carries the English text. One entry per finding: the check's
name, then its detail."""
from __future__ import annotations

from typing import Callable

from ..i18n import N_, gettext_in, ngettext_in, pgettext_in


# (pgettext: "schema" or "outbox" may mean other things elsewhere)
NAMES: dict[str, Callable[[str], str]] = {
    "configuration": lambda lang: pgettext_in(lang, "doctor check", "configuration"),
    "schema": lambda lang: pgettext_in(lang, "doctor check", "schema"),
    "ledger": lambda lang: pgettext_in(lang, "doctor check", "ledger integrity"),
    "outbox": lambda lang: pgettext_in(lang, "doctor check", "outbox"),
    "mailbox": lambda lang: pgettext_in(lang, "doctor check", "mailbox"),
    "jobs": lambda lang: pgettext_in(lang, "doctor check", "cron jobs"),
    "calendar": lambda lang: pgettext_in(lang, "doctor check", "working-day transfers"),
    "files": lambda lang: pgettext_in(lang, "doctor check", "file modes"),
}

DETAILS = {
    "config_ok": N_("catalog {catalog_version} ({catalog}), contacts {contacts_version} ({contacts})"),
    "config_bad": "{error}",
    "skipped": N_("not checked: {reason}"),
    "no_config": N_("the configuration is not valid"),
    "no_ledger_yet": N_("there is no ledger yet"),
    "schema_ok": N_("version {version}, the latest"),
    "schema_none": N_("there is no ledger at {database} yet: run pd init"),
    "schema_old": N_("version {version}, pd needs {latest}: an admin runs pd db upgrade"),
    "schema_new": N_("version {version} is newer than this pd ({latest}): upgrade pd"),
    "schema_error": N_("cannot open the ledger {database}: {error}"),
    "ledger_integrity": N_(", the SQLite file sound"),
    "ledger_bad": N_("{problem} (pd audit verify)"),
    "mailbox_off": N_("not configured (PD_IMAP_URL)"),
    "mailbox_ok": N_("last fetched {at}"),
    "mailbox_never": N_("{mailbox} has never been fetched: is pd mail fetch running?"),
    "mailbox_stale": N_("{mailbox} last fetched {at}, more than {minutes} min ago: is pd mail fetch running?"),
    "jobs_ok": "{runs}",
    # TRANSLATORS: a cron job (escalate-overdue, mail send, close --auto) and when it last ran cleanly
    "job_ran": N_("{job} {at}"),
    "job_new": N_("{job} has not run yet (the ledger is new)"),
    "job_never": N_("{job} has never run: is its cron line or systemd timer installed?"),
    "job_stale": N_("{job} last ran cleanly {at}, more than {minutes} min ago"),
    "job_failed": N_("{job} failed in its last run at {at}: {error}"),
    "calendar_ok": "{detail}",
    "calendar_early": N_("next year's transfers are checked from 1 July"),
    "calendar_checked": N_("{calendar}: the transfers of {year} are checked (transfers_checked)"),
    "calendar_missing": N_("{calendar}: no transferred working day is known for {year}: if the Cabinet has "
                           "ordered any, add them to catalog.yaml (days_off / working_days) under a new version, "
                           "or upgrade the holidays package; if it has ordered none, add {year} to the calendar's "
                           "transfers_checked"),
    "calendar_none": N_("no working-time calendar with public holidays"),
    "files_ok": N_("{files}: not readable by others"),
    "files_open": N_("{file} is readable by everyone (mode {mode}): chmod o-rwx {file}"),
    "files_none": N_("no files to check"),
}

# Details with a count: (the parameter counted, the wording for that count).
COUNTED: dict[str, tuple[str, Callable[[str, int], str]]] = {
    "ledger_ok": ("events", lambda lang, n: ngettext_in(
        lang, "the chain of {events} event is intact{integrity} (the full audit: pd audit verify)",
        "the chain of {events} events is intact{integrity} (the full audit: pd audit verify)", n)),
    "outbox_ok": ("pending", lambda lang, n: ngettext_in(
        lang, "{pending} waiting, none stuck or failed", "{pending} waiting, none stuck or failed", n)),
    "outbox_failed": ("failed", lambda lang, n: ngettext_in(
        lang, "{failed} failed for good (pd mail list --failed, pd mail retry ID)",
        "{failed} failed for good (pd mail list --failed, pd mail retry ID)", n)),
    "outbox_stuck": ("stuck", lambda lang, n: ngettext_in(
        lang, "{stuck} due for more than {minutes} min and not sent: is pd mail send running?",
        "{stuck} due for more than {minutes} min and not sent: is pd mail send running?", n)),
    "calendar_known": ("count", lambda lang, n: ngettext_in(
        lang, "{calendar}: {count} transferred day known in {year}", "{calendar}: {count} transferred days known in {year}",
        n)),
}


def detail(lang: str, key: str, params: dict) -> str:
    """The template of finding `key` in `lang` (a counted one in the form for its count)."""
    if key in COUNTED:
        counted, wording = COUNTED[key]
        return wording(lang, params[counted])
    return gettext_in(lang, DETAILS[key])


def title(lang: str, name: str) -> str:
    return NAMES[name](lang)
