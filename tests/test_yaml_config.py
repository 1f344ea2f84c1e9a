"""catalog.yaml and contacts.yaml (SPEC 7): broken files are refused with exit 7 and `file:line: reason`;
a changed file needs a new version; each request keeps the catalog version it was registered under."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

REGISTER = ["register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
            "--description", "Neienāk e-pasts", "--channel", "phone"]

@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests are about what is refused and where (file:line); they read the English
    message ids. tests/test_admin_language.py checks the same findings in Latvian."""
    monkeypatch.setenv("PD_LANG", "en")



def edit(path: str, old: str, new: str) -> None:
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    p.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: str, needle: str, nth: int = 1) -> int:
    """The line (1-based) of the nth line containing `needle`; `=text` matches a whole (stripped) line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if needle.startswith("="):
        hits = [i for i, line in enumerate(lines, 1) if line.strip() == needle[1:]]
    else:
        hits = [i for i, line in enumerate(lines, 1) if needle in line]
    return hits[nth - 1]


def refused(r, path: str, line: int | None, *words: str) -> None:
    assert r.exit_code == 7, f"exit {r.exit_code}: {r.stderr}{r.stdout}"
    assert "Traceback" not in r.stderr
    where = f"{path}:{line}:" if line is not None else str(path)
    assert where in r.stderr, f"{where!r} not in {r.stderr!r}"
    for w in words:
        assert w in r.stderr, f"{w!r} not in {r.stderr!r}"


# ---------------------------------------------------------------- broken catalog.yaml
# name -> (edit the shipped text, the line to expect (a needle in the edited file, or a number), reason words)
CATALOG_CASES = {
    "syntax error": (("    needs_location: false\n    operator_can_resolve: false\n    experts: [mliepa]",
                      "    needs_location: false: true\n    operator_can_resolve: false\n    experts: [mliepa]"),
                     "needs_location: false: true", ["invalid YAML"]),
    "tab indentation": (("  - code: WIFI\n", "  - code: WIFI\n\tcategory: internet\n"), "\tcategory", ["tab"]),
    "service without times": (("    experts: [kvitols]\n    times:\n      normal: {calendar: darba-laiks, response: 4h, resolution: 16h}\n",
                               "    experts: [kvitols]\n"), "- code: KONSULTACIJA", ["times"]),
    "duplicate service code": (("  - code: KONSULTACIJA", "  - code: EPASTS"), ("=- code: EPASTS", 2), ["duplicate", "EPASTS"]),
    "duplicate key": (("    experts: [lkalnina]\n", "    experts: [lkalnina]\n    needs_location: true\n"),
                      ("needs_location", 3), ["duplicate", "needs_location"]),
    "unknown calendar": (("      normal: {calendar: darba-laiks, response: 4h, resolution: 16h}\n",
                          "      normal: {calendar: darbalaiks, response: 4h, resolution: 16h}\n"),
                         "calendar: darbalaiks", ["darbalaiks"]),
    "bad duration": (("      normal: {calendar: darba-laiks, response: 8h, resolution: 40h}",
                      "      normal: {calendar: darba-laiks, response: astoņas stundas, resolution: 40h}"),
                     "astoņas stundas", ["response"]),
    "missing version": (('version: "2026.2"\n', ""), "=settings:", ["version"]),  # the top mapping's line
    "not a mapping": (None, 1, ["mapping"]),
}


def _break_catalog(env, case) -> int:
    path = env["PD_CATALOG"]
    change, where, _ = CATALOG_CASES[case]
    if change is None:
        Path(path).write_text("- EPASTS\n- VPN\n", encoding="utf-8")
    else:
        edit(path, *change)
    if isinstance(where, int):
        return where
    if isinstance(where, tuple):
        return line_of(path, *where)
    return line_of(path, where)


@pytest.mark.parametrize("case", list(CATALOG_CASES))
def test_a_broken_catalog_is_refused_with_file_line_and_reason(pd, pd_env, case):
    path = pd_env["PD_CATALOG"]
    line = _break_catalog(pd_env, case)
    words = CATALOG_CASES[case][2]
    refused(pd("catalog", "check"), path, line, *words)
    refused(pd("catalog", "check", path), path, line, *words)
    refused(pd(*REGISTER), path, line, *words)
    assert pd("list", "--json").stdout.strip() in ("", "[]")


def test_a_broken_catalog_elsewhere_is_checked_before_it_is_deployed(pd, pd_env, tmp_path):
    new = tmp_path / "jauns-katalogs.yaml"
    new.write_text(Path(pd_env["PD_CATALOG"]).read_text(encoding="utf-8").replace(
        "  - code: KONSULTACIJA", "  - code: EPASTS"), encoding="utf-8")
    refused(pd("catalog", "check", str(new)), str(new), line_of(str(new), "=- code: EPASTS", 2), "duplicate")
    # the catalog in force is untouched and fine
    r = pd.ok("catalog", "check")
    assert "2026.2" in r.stdout


def test_a_missing_catalog_file(pd, pd_env, tmp_path):
    missing = str(tmp_path / "nav" / "catalog.yaml")
    r = pd(*REGISTER, env={"PD_CATALOG": missing})
    refused(r, missing, None, "not found")
    refused(pd("catalog", "check", missing), missing, None, "not found")


def test_an_empty_catalog_file(pd, pd_env):
    Path(pd_env["PD_CATALOG"]).write_text("", encoding="utf-8")
    r = pd("catalog", "check")
    assert r.exit_code == 7 and pd_env["PD_CATALOG"] in r.stderr


def test_a_catalog_expert_missing_from_contacts(pd, pd_env):
    edit(pd_env["PD_CATALOG"], "    experts: [mliepa]\n", "    experts: [mliepa, nezinams]\n")
    r = pd("catalog", "check")
    assert r.exit_code == 7
    assert "nezinams" in r.stderr and "VPN" in r.stderr


# ---------------------------------------------------------------- broken contacts.yaml
CONTACTS_CASES = {
    "unknown manager": (("roles: [expert], manager: vkalejs, services: [EPASTS, EPASTS-SPAM]",
                         "roles: [expert], manager: nezinams, services: [EPASTS, EPASTS-SPAM]"),
                        "login: jberzins", ["nezinams", "manager"]),
    "duplicate login": (("{login: operators3,", "{login: operators2,"), ("login: operators2", 2), ["duplicate", "operators2"]),
    "duplicate institution": (("  - code: VSC\n", "  - code: VP\n"), ("- code: VP", 2), ["duplicate", "VP"]),
    "bad e-mail": (("email: dace.ozolina@iem.gov.lv", "email: dace.ozolina-iem.gov.lv"), "dace.ozolina-iem", ["the e-mail address"]),
    "unknown role": (("roles: [supervisor], manager: pdvaditajs", "roles: [virsnieks], manager: pdvaditajs"),
                     "virsnieks", ["virsnieks"]),
    "duplicate key": (('desk:\n  name: "IeM Informācijas centra Pakalpojumu dienests"\n',
                       'desk:\n  name: "IeM Informācijas centra Pakalpojumu dienests"\n  name: "Cits"\n'),
                      'name: "Cits"', ["duplicate", "name"]),
    "syntax error": (("  - code: IDB\n", '  - code: IDB\n    name: "Iekšējās" drošības birojs\n'),
                     '"Iekšējās" drošības', ["invalid YAML"]),
}


@pytest.mark.parametrize("case", list(CONTACTS_CASES))
def test_broken_contacts_are_refused_with_file_line_and_reason(pd, pd_env, case):
    path = pd_env["PD_CONTACTS"]
    change, where, words = CONTACTS_CASES[case]
    edit(path, *change)
    line = line_of(path, *where) if isinstance(where, tuple) else line_of(path, where)
    refused(pd("contacts", "check"), path, line, *words)
    refused(pd("list"), path, line, *words)
    refused(pd(*REGISTER), path, line, *words)


def test_contacts_not_a_mapping_and_missing(pd, pd_env, tmp_path):
    path = pd_env["PD_CONTACTS"]
    Path(path).write_text('"tikai teksts"\n', encoding="utf-8")
    refused(pd("contacts", "check"), path, 1, "mapping")
    refused(pd("list"), path, 1, "mapping")
    missing = str(tmp_path / "contacts-nav.yaml")
    refused(pd("list", env={"PD_CONTACTS": missing}), missing, None, "not found")


# ---------------------------------------------------------------- versions
def test_a_changed_catalog_needs_a_new_version(pd, pd_env, rawdb):
    path = pd_env["PD_CATALOG"]
    old = pd.register(service="EPASTS", urgent=True)
    edit(path, "Iestādes e-pasta kastītes, sūtīšana un saņemšana, Outlook klienta darbība.",
         "Iestādes e-pasta kastītes un Outlook.")
    r = pd(*REGISTER)
    refused(r, path, line_of(path, "version:"), "2026.2", "version")
    assert pd("catalog", "list").exit_code == 7
    assert pd("list", "--json").exit_code == 7  # both files are checked on every load
    assert rawdb.execute("SELECT number FROM request") == [(old,)]  # nothing was stored

    # with a new version the change is accepted, and now urgent e-mail must be answered in 45 minutes
    edit(path, 'version: "2026.2"', 'version: "2026.3"')
    edit(path, "      urgent: {calendar: 24x7, response: 30m, resolution: 4h}\n\n  - code: EPASTS-KONTS",
         "      urgent: {calendar: 24x7, response: 45m, resolution: 4h}\n\n  - code: EPASTS-KONTS")
    # a version not in force is the desk's only once an admin publishes it (SPEC 9)
    refused(pd(*REGISTER), path, None, "'2026.3' is not the one in force", "pd catalog publish")
    assert pd("catalog", "publish").exit_code == 6  # operators1 is no admin
    pd.ok("catalog", "publish", user="admins")
    new = pd.register(service="EPASTS", urgent=True)
    assert [x["number"] for x in pd.ok("list", "--json").json()] == [old, new]
    history = pd.ok("catalog", "history", "--json").json()
    assert [h["version"] for h in history] == ["2026.2", "2026.3"]
    assert all(h["sha256"] and h["seen_at"] for h in history)
    assert pd.ok("show", old, "--json").json()["catalog_version"] == "2026.2"
    assert pd.ok("show", new, "--json").json()["catalog_version"] == "2026.3"

    # each request's deadlines come from its own catalog version
    def response_minutes(n):
        d = pd.ok("assign", n, "--expert", "jberzins", "--json").json()
        at = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "assigned"][0]["at"]
        return (datetime.fromisoformat(d["response_due"]) - datetime.fromisoformat(at)) / timedelta(minutes=1)

    assert response_minutes(old) == 30
    assert response_minutes(new) == 45


def test_going_back_to_a_version_already_seen_works(pd, pd_env):
    path = pd_env["PD_CATALOG"]
    original = Path(path).read_text(encoding="utf-8")
    pd.register()
    edit(path, 'version: "2026.2"', 'version: "2026.2.1"')
    pd.ok("catalog", "publish", user="admins")
    pd.register()
    Path(path).write_text(original, encoding="utf-8")
    assert pd(*REGISTER).exit_code == 7  # seen before, but not in force
    assert "(was 2026.2.1)" in pd.ok("catalog", "publish", user="admins").stdout
    assert pd.register().endswith("000003")
    assert [h["version"] for h in pd.ok("catalog", "history", "--json").json()] == ["2026.2", "2026.2.1"]


def test_a_changed_contacts_file_needs_a_new_version(pd, pd_env):
    path = pd_env["PD_CONTACTS"]
    pd.ok("list")
    edit(path, 'phone: "+371 67219001"', 'phone: "+371 67219099"')
    refused(pd("list"), path, line_of(path, "version:"), "2026.3")
    edit(path, 'version: "2026.3"', 'version: "2026.4"')
    pd.ok("contacts", "publish", user="admins")
    pd.ok("list")
    assert [h["version"] for h in pd.ok("contacts", "history", "--json").json()] == ["2026.3", "2026.4"]
    assert pd.ok("contacts", "show", "operators1", "--json").json()["phone"] == "+37167219099"


def test_check_reports_the_version_of_a_valid_file(pd, pd_env):
    d = pd.ok("catalog", "check", "--json").json()
    assert (d["ok"], d["version"], d["problems"]) == (True, "2026.2", [])
    d = pd.ok("contacts", "check", "--json").json()
    assert (d["ok"], d["version"]) == (True, "2026.3")
