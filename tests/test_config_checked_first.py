"""Configuration is checked before anything is written (SPEC 11, issue 12): one validated
Settings at start, exit 7 naming the variable or `file:line`, and nothing stored."""
from __future__ import annotations

import pytest

from pd.config import VARIABLES, load_settings
from pd.errors import ConfigError

REGISTER = ["register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
            "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis.berzins@vp.gov.lv"]


def count(rawdb, table: str = "request") -> int:
    return rawdb.execute(f"SELECT COUNT(*) FROM {table}")[0][0]


# variable -> a bad value (each must be refused naming the variable)
BAD = {
    "PD_LANG": "xx",
    "PD_BUSY_TIMEOUT": "abc",
    "PD_RETENTION_DAYS": "abc",
    "PD_IDENTITY": "ldap",
    "PD_TIMEZONE": "Europe/Rigga",
    "PD_DATABASE_URL": "mysql://localhost/pd",
    "PD_SMTP_URL": "http://mail.example.lv",
    "PD_IMAP_URL": "pop3://mail.example.lv",
    "PD_MAIL_FROM": "Pakalpojumu dienests <dienests@>",
    "PD_TEMPLATES_DIR": "/nav/tādas/mapes",
    "PD_DEBUG": "varbūt",
    "PD_USER": "jānis bērziņš",
}


def test_every_variable_is_known_and_has_a_bad_case():
    names = {v.name for v in VARIABLES}
    assert set(BAD) <= names
    fields = {v.field for v in VARIABLES}
    assert len(fields) == len(VARIABLES)


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_value_is_exit_7_naming_the_variable_and_nothing_is_stored(pd, rawdb, name):
    pd.register()
    before = count(rawdb), count(rawdb, "event"), count(rawdb, "outbox_message")
    r = pd(*REGISTER, env={name: BAD[name]})
    assert r.exit_code == 7, (r.exit_code, r.stderr)
    assert r.stderr.startswith(f"Kļūda: {name}:"), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert (count(rawdb), count(rawdb, "event"), count(rawdb, "outbox_message")) == before


def test_pd_lang_xx_register_stores_nothing_so_a_retry_does_not_register_twice(pd, rawdb):
    """The issue's case: it used to store the request, then exit 1; a script retried and got two."""
    pd.register()
    for _ in range(3):
        r = pd(*REGISTER, env={"PD_LANG": "xx"})
        assert (r.exit_code, r.stderr.strip()) == (7, "Kļūda: PD_LANG: 'xx' nav neviens no šiem: lv, en")
    assert count(rawdb) == 1
    pd.ok(*REGISTER, env={"PD_LANG": "en"})
    assert count(rawdb) == 2


def test_a_bad_value_is_refused_before_a_new_ledger_is_created(pd, tmp_path):
    url = f"sqlite:///{tmp_path / 'jauns.sqlite3'}"
    r = pd(*REGISTER, env={"PD_DATABASE_URL": url, "PD_RETENTION_DAYS": "0"})
    assert r.exit_code == 7 and "PD_RETENTION_DAYS" in r.stderr
    assert not (tmp_path / "jauns.sqlite3").exists()


def test_read_only_commands_check_the_configuration_too(pd):
    n = pd.register()
    for args in (["show", n], ["list"], ["info"], ["mail", "list"]):
        r = pd(*args, env={"PD_BUSY_TIMEOUT": "-1"})
        assert r.exit_code == 7 and "PD_BUSY_TIMEOUT" in r.stderr, args


def test_help_and_version_need_no_configuration(pd):
    assert pd("--help", env={"PD_LANG": "xx"}).exit_code == 0
    assert pd("--version", env={"PD_LANG": "xx"}).exit_code == 0


def test_good_values_are_parsed(tmp_path):
    s = load_settings({"PD_LANG": "EN", "PD_BUSY_TIMEOUT": "2.5", "PD_RETENTION_DAYS": "30", "PD_DEBUG": "yes",
                       "PD_IDENTITY": "OS", "PD_TIMEZONE": "Europe/Tallinn", "PD_MAIL_DIR": str(tmp_path / "new"),
                       "PD_SMTP_URL": "smtp://mail.iem.gov.lv:587?starttls=1", "PD_IMAP_URL": "imaps://u:p@h/INBOX"})
    assert (s.lang, s.busy_timeout, s.retention_days, s.debug, s.identity, s.timezone) == \
        ("en", 2.5, 30, True, "os", "Europe/Tallinn")
    d = load_settings({})
    assert (d.lang, d.busy_timeout, d.retention_days, d.debug, d.identity, d.imap_done) == \
        ("lv", 10.0, 5 * 365, False, "env", "pd-processed")
    assert load_settings({"PD_LANG": ""}).lang == "lv"  # empty is "not set"


def test_busy_timeout_reaches_the_database(pd, pd_env):
    from pd.db.connection import db
    from pd.ledger import Ledger

    Ledger(load_settings({**pd_env, "PD_BUSY_TIMEOUT": "0.25"}))
    assert db.obj.pd_busy_timeout == 0.25
    if not pd_env["PD_DATABASE_URL"].startswith("postgres"):
        assert db.obj.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 250


# ---------------------------------------------------------------- .env
@pytest.mark.parametrize("text,line,words", [
    ("PD_LANG=en\ngarbage here\n", 2, ["rinda nav formā NOSAUKUMS=vērtība", "garbage here"]),
    ("# komentārs\n\n=bez vārda\n", 3, ["rinda nav formā NOSAUKUMS=vērtība"]),
    ("PD_LNAG=en\n", 1, ["nezināms mainīgais PD_LNAG", "vai domājāt PD_LANG?"]),
    ("PD_USER=operators1\nPD_RETENTION_DAYS=abc\n", None, ["PD_RETENTION_DAYS", "nav vesels dienu skaits"]),
])
def test_a_bad_dotenv_is_exit_7_naming_file_and_line(pd, rawdb, tmp_path, monkeypatch, text, line, words):
    pd.register()
    monkeypatch.delenv("PD_USER")
    (tmp_path / ".env").write_text(text, encoding="utf-8")
    import os
    from unittest import mock

    with mock.patch.dict(os.environ):  # python-dotenv writes into os.environ: leave no PD_ value behind
        r = pd(*REGISTER)
    assert r.exit_code == 7, r.stderr
    if line is not None:
        assert r.stderr.startswith(f"Kļūda: .env:{line}: "), r.stderr
    for w in words:
        assert w in r.stderr
    assert count(rawdb) == 1


def test_a_dotenv_may_hold_other_programs_variables(tmp_path, monkeypatch):
    from pd.config import check_dotenv

    (tmp_path / ".env").write_text("export NO_COLOR=1\nPD_LANG=en # valoda\n", encoding="utf-8")
    assert check_dotenv(tmp_path / ".env") == [("NO_COLOR", "1"), ("PD_LANG", "en")]


def test_not_utf8_dotenv(tmp_path):
    from pd.config import check_dotenv

    (tmp_path / ".env").write_bytes(b"PD_USER=j\xe2nis\n")
    with pytest.raises(ConfigError, match="nav UTF-8"):
        check_dotenv(tmp_path / ".env")
