"""The admin's commands and the configuration speak the desk's language (SPEC 12, issue 19):
configuration errors, permission refusals, pd init, pd info, pd doctor, pd catalog check's
file:line findings and pd db backup in Latvian by default, with no English; in English under
PD_LANG=en, with no Latvian but people's names."""
from __future__ import annotations

import json
from pathlib import Path

from tests.english import english, latvian

# YAML keys and values that stay as they are in any language (catalog.yaml's own words)
YAML_WORDS = frozenset({"days", "off", "working"})


def test_a_configuration_error_is_latvian(pd):
    r = pd("list", env={"PD_RETENTION_DAYS": "abc"})
    assert r.exit_code == 7
    assert r.stderr == "Kļūda: PD_RETENTION_DAYS: 'abc' nav vesels dienu skaits\n"
    assert english(r.stderr.removeprefix("Kļūda: ")) == []
    en = pd("list", env={"PD_RETENTION_DAYS": "abc", "PD_LANG": "en"})
    assert en.exit_code == 7 and "'abc' is not a whole number of days" in en.stderr
    assert latvian(en.stderr) == []


def test_a_bad_dotenv_line_names_file_and_line_in_latvian(pd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PD_USER=operators1\nPD_SMTP_URL\n", encoding="utf-8")
    r = pd("list")
    assert r.exit_code == 7
    assert r.stderr == ("Kļūda: .env:2: rinda nav formā NOSAUKUMS=vērtība: PD_SMTP_URL trūkst '=' "
                        "(rakstiet PD_SMTP_URL=VĒRTĪBA vai PD_SMTP_URL= tukšai vērtībai)\n")
    assert english(r.stderr.removeprefix("Kļūda: ")) == []


def test_a_permission_refusal_names_the_person(pd):
    pd.ok("init")
    r = pd("config", "set", "identity", "os", user="operators1")
    assert r.exit_code == 6
    assert r.stderr == ("Kļūda: Anna Bērziņa nedrīkst iestatīt identitātes režīmu: vajadzīga loma admin spēkā "
                        "esošajā kontaktu versijā '2026.3'\n")
    assert "operators1" not in r.stderr and english(r.stderr.removeprefix("Kļūda: ")) == []
    en = pd("config", "set", "identity", "os", user="operators1", env={"PD_LANG": "en"})
    assert en.exit_code == 6 and en.stderr.startswith("Error: Anna Bērziņa may not set the identity mode: ")
    assert latvian(en.stderr, allow=("Bērziņa",)) == []
    backup = pd("db", "backup", "x.sqlite3", user="operators1")
    # (the sentence around it is pd.desk's require(); what is refused is said in Latvian here)
    assert backup.exit_code == 6 and "veidot žurnāla rezerves kopiju" in backup.stderr


def test_init_says_where_the_examples_are_in_latvian(pd, tmp_path, monkeypatch):
    monkeypatch.delenv("PD_CATALOG")
    monkeypatch.delenv("PD_CONTACTS")
    r = pd.ok("init")
    conf = Path(json.loads(pd.ok("info", "--json").stdout)["catalog"]).parent
    assert r.stderr.startswith(f"Piemēri ievietoti {conf}: catalog.yaml, contacts.yaml. Tie ir PIEMĒRI")
    assert r.stdout.startswith("Žurnāls gatavs: ") and "Spēkā katalogs 2026.2, kontakti 2026.3" in r.stdout
    assert english(r.stdout + r.stderr) == []
    again = pd.ok("init", env={"PD_LANG": "en"})
    assert "Ledger ready: " in again.stdout and latvian(again.stdout) == []


def test_info_labels_are_latvian(pd):
    pd.ok("init")
    lv = pd.ok("info").stdout
    assert "kontaktu versija:" in lv and "laika josla:" in lv and "Europe/Riga" in lv
    assert english(lv) == []
    en = pd.ok("info", env={"PD_LANG": "en"}).stdout
    assert "contacts version:" in en and "time zone:" in en
    assert latvian(en, allow=("Pakalpojumu",)) == []  # PD_MAIL_FROM's default name is the desk's own


def test_doctor_lines_are_latvian_and_json_is_english(pd):
    pd.ok("init")
    r = pd("doctor")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("✓ konfigurācija:") and any(ln.startswith("✓ shēma:") for ln in lines)
    assert any("pd escalate-overdue vēl nav darbojies (žurnāls ir jauns)" in ln for ln in lines)
    assert english(r.stdout + r.stderr.removeprefix("Kļūda: "), allow=YAML_WORDS) == []
    en = pd("doctor", env={"PD_LANG": "en"})
    assert en.stdout.startswith("✓ configuration:") and latvian(en.stdout + en.stderr) == []
    d = pd("doctor", "--json")
    checks = {c["name"]: c["detail"] for c in json.loads(d.stdout)["checks"]}
    assert checks["schema"].endswith(", the latest") and "escalate-overdue has not run yet" in checks["jobs"]


def test_catalog_check_names_file_and_line_in_latvian(pd, pd_env, tmp_path):
    text = Path(pd_env["PD_CATALOG"]).read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("    needs_location:", "    needs_locaton:", 1), encoding="utf-8")
    line = next(i for i, ln in enumerate(broken.read_text(encoding="utf-8").splitlines(), 1) if "needs_locaton" in ln)
    r = pd("catalog", "check", str(broken))
    assert r.exit_code == 7
    assert r.stderr == (f"Kļūda: {broken}:{line}: nezināma atslēga 'needs_locaton' (pakalpojums) "
                        "(vai domājāt needs_location?)\n")
    assert english(r.stderr.removeprefix("Kļūda: ")) == []
    en = pd("catalog", "check", str(broken), env={"PD_LANG": "en"})
    assert en.stderr == (f"Error: {broken}:{line}: unknown key 'needs_locaton' in a service "
                         "(did you mean needs_location?)\n")


def test_catalog_check_counts_its_findings_with_latvian_plurals(pd, pd_env, tmp_path):
    contacts = Path(pd_env["PD_CONTACTS"]).read_text(encoding="utf-8")
    bad = tmp_path / "contacts.yaml"
    bad.write_text(contacts.replace("services: [EPASTS, EPASTS-SPAM]", "services: [EPASTS, EPASTS-SPAM, NAV1, NAV2]",
                                    1), encoding="utf-8")
    r = pd("contacts", "check", str(bad))
    assert r.exit_code == 7
    findings = r.stderr.splitlines()
    assert findings[-1] == "Kļūda: 2 problēmas starp katalogu un kontaktiem"
    assert findings[0].startswith(f"{bad}:") and "darbinieks Jānis Bērziņš (jberzins): nezināms pakalpojums 'NAV1'" \
        in findings[0]
    assert english(r.stderr.replace("Kļūda: ", "")) == []


def test_the_ledger_is_busy_in_latvian():
    import sqlite3

    import peewee

    from pd.db.connection import classify_operational_error
    from pd.errors import TemporaryFailure
    try:
        raise peewee.OperationalError("database is locked") from sqlite3.OperationalError("database is locked")
    except peewee.OperationalError as exc:
        err = classify_operational_error(exc)
    assert isinstance(err, TemporaryFailure)
    assert str(err) == ("žurnāls ir aizņemts (cits pd tajā raksta); nekas netika mainīts, mēģiniet vēlreiz "
                        "(datubāze ir bloķēta)")
    assert english(str(err)) == []
