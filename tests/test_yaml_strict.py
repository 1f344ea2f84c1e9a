"""Strict YAML schemas (SPEC 7, issue 12): an unknown key is exit 7 at its file:line with a
did-you-mean; references between catalog.yaml and contacts.yaml are checked on every load."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_yaml_config import REGISTER, edit, line_of, refused

# file, (old, new), the edited line's needle, words in the message
UNKNOWN_KEYS = {
    "a service key": ("PD_CATALOG", ("    needs_location: false\n    operator_can_resolve: false\n    experts: [mliepa]",
                                     "    neds_location: false\n    operator_can_resolve: false\n    experts: [mliepa]"),
                      "neds_location", ["unknown key 'neds_location'", "did you mean needs_location?"]),
    "a deadline key": ("PD_CATALOG", ("normal: {calendar: darba-laiks, response: 8h, resolution: 40h}",
                                      "normal: {calendar: darba-laiks, respone: 8h, resolution: 40h}"),
                       "respone", ["unknown key 'respone'", "did you mean response?"]),
    "a priority": ("PD_CATALOG", ("      urgent: {calendar: 24x7, response: 15m, resolution: 1h}",
                                  "      urgnet: {calendar: 24x7, response: 15m, resolution: 1h}"),
                   "urgnet", ["did you mean urgent?"]),
    "a top-level key": ("PD_CATALOG", ("settings:\n", "setings:\n"), "=setings:", ["did you mean settings?"]),
    "a settings key": ("PD_CATALOG", ("  close_after: 5d", "  close_afer: 5d"), "close_afer", ["did you mean close_after?"]),
    "a calendar key": ("PD_CATALOG", ("    shorten_before_holiday: 60", "    shorten_before_holidays: 60"),
                       "shorten_before_holidays", ["(did you mean shorten_before_holiday?)"]),
    "a name language": ("PD_CATALOG", ('name: {lv: "Bezvadu tīkls", en: "Wireless network"}',
                                       'name: {lv: "Bezvadu tīkls", eng: "Wireless network"}'),
                        "eng:", ["unknown key 'eng'", "did you mean en?"]),
    "a staff key": ("PD_CONTACTS", ("roles: [expert], manager: vkalejs, services: [INTERNETS, VPN]",
                                    "roles: [expert], manger: vkalejs, services: [INTERNETS, VPN]"),
                    "manger", ["unknown key 'manger'", "did you mean manager?"]),
    "an institution key": ("PD_CONTACTS", ("    report_recipients: [it@rs.gov.lv]", "    report_recipient: [it@rs.gov.lv]"),
                           "report_recipient:", ["did you mean report_recipients?"]),
    "an ICT contact key": ("PD_CONTACTS", ('{name: "Līga Ērgle", phone: "+371 67075866"',
                                           '{name: "Līga Ērgle", telefons: "+371 67075866"'),
                           "telefons", ["unknown key 'telefons'"]),
    "a desk key": ("PD_CONTACTS", ("  email: servicedesk@ic.iem.gov.lv\n  phone", "  e-mail: servicedesk@ic.iem.gov.lv\n  phone"),
                   "e-mail: servicedesk", ["did you mean email?"]),
}

@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """These tests are about what is refused and where (file:line); they read the English
    message ids. tests/test_admin_language.py checks the same findings in Latvian."""
    monkeypatch.setenv("PD_LANG", "en")



@pytest.mark.parametrize("case", list(UNKNOWN_KEYS))
def test_an_unknown_key_is_refused_at_its_line_with_a_did_you_mean(pd, pd_env, rawdb, case):
    var, change, needle, words = UNKNOWN_KEYS[case]
    path = pd_env[var]
    pd.register()
    edit(path, *change)
    edit(path, 'version: "2026.', 'version: "2027.')  # a new version, so only the key is wrong
    line = line_of(path, needle[1:] if needle.startswith("=") else needle)
    refused(pd(*REGISTER), path, line, *words)
    refused(pd("catalog" if var == "PD_CATALOG" else "contacts", "check"), path, line, *words)
    assert rawdb.execute("SELECT COUNT(*) FROM request")[0][0] == 1
    assert rawdb.execute("SELECT COUNT(*) FROM config_snapshot")[0][0] == 2  # the new version is not recorded


# ---------------------------------------------------------------- references between the files
def _bump(path):
    edit(path, 'version: "2026.', 'version: "2027.')


def test_a_default_expert_who_does_not_exist_is_refused_on_every_load(pd, pd_env, rawdb):
    pd.register()  # both files are known to the ledger now (the fast path)
    path = pd_env["PD_CONTACTS"]
    # mliepa leaves: VPN's default expert and INTERNETS' second one are gone
    text = Path(path).read_text(encoding="utf-8")
    text = "\n".join(x for x in text.splitlines() if "login: mliepa" not in x) + "\n"
    Path(path).write_text(text, encoding="utf-8")
    _bump(path)
    for args in (REGISTER, ["list"], ["catalog", "list"]):
        r = pd(*args)
        refused(r, pd_env["PD_CATALOG"], line_of(pd_env["PD_CATALOG"], "experts: [aozols, mliepa]"),
                "service INTERNETS", "'mliepa'", "and 1 more")
    assert rawdb.execute("SELECT COUNT(*) FROM request")[0][0] == 1
    # the broken pair recorded no snapshot: fixing the catalog needs no version of its own
    assert [v for (v,) in rawdb.execute("SELECT version FROM config_snapshot WHERE kind = 'contacts'")] == ["2026.3"]


def test_a_staff_service_not_in_the_catalog(pd, pd_env):
    path = pd_env["PD_CONTACTS"]
    edit(path, "services: [INTERNETS, VPN]", "services: [INTERNETS, VPN, VPN2]")
    refused(pd(*REGISTER), path, line_of(path, "VPN2"), "mliepa", "'VPN2'")


def test_a_default_expert_who_does_not_serve_the_service(pd, pd_env):
    path = pd_env["PD_CATALOG"]
    edit(path, "    experts: [mliepa]\n", "    experts: [mliepa, rkrumins]\n")
    refused(pd(*REGISTER), path, line_of(path, "experts: [mliepa, rkrumins]"),
            "service VPN", "Roberts Krūmiņš (rkrumins) does not serve VPN", "DATORS, PRINTERIS")


def test_a_manager_without_e_mail_and_an_ict_contact_without_phone_or_e_mail(pd, pd_env):
    path = pd_env["PD_CONTACTS"]
    edit(path, 'email: inara.dumina@ic.iem.gov.lv, ', "")
    refused(pd(*REGISTER), path, line_of(path, "login: vkalejs"), "the manager direktors of vkalejs has no e-mail")
    edit(path, 'roles: [manager]}', 'roles: [manager], email: inara.dumina@ic.iem.gov.lv}')
    edit(path, '{name: "Raivis Čakste", phone: "+371 67208000", email: raivis.cakste@idb.gov.lv}',
         '{name: "Raivis Čakste"}')
    refused(pd(*REGISTER), path, line_of(path, "Raivis"), "IDB", "neither phone nor e-mail")


def test_a_snapshot_from_an_older_pd_is_checked_again(pd, pd_env, rawdb):
    """A file with a typo that a looser pd accepted and recorded is refused now, though its hash is known."""
    from pd.catalog import parse_file
    from pd.yamlfile import sha256

    path = pd_env["PD_CATALOG"]
    good = Path(path).read_text(encoding="utf-8")
    pd.register()
    typo = good.replace('version: "2026.2"', 'version: "2026.9"').replace(
        "    needs_location: false\n    operator_can_resolve: false\n    experts: [mliepa]",
        "    neds_location: false\n    operator_can_resolve: false\n    experts: [mliepa]")
    Path(path).write_text(typo.replace("neds_location", "needs_location"), encoding="utf-8")
    old = json.loads(parse_file("catalog", path).to_json())
    del old["schema"]
    for s in old["services"]:
        del s["has_urgent"]
    Path(path).write_text(typo, encoding="utf-8")
    rawdb.execute("INSERT INTO config_snapshot (kind, version, sha256, source, content, raw, seen_at) "
                  "VALUES ('catalog', '2026.9', ?, ?, ?, ?, '2026-01-01 00:00:00+00:00')",
                  sha256(typo.encode()), path, json.dumps(old), typo)
    refused(pd(*REGISTER), path, line_of(path, "neds_location"), "did you mean needs_location?")
    assert rawdb.execute("SELECT COUNT(*) FROM request")[0][0] == 1


def test_a_snapshot_from_an_older_pd_is_upgraded_once(pd, pd_env, rawdb):
    pd.register()
    row = rawdb.execute("SELECT id, content FROM config_snapshot WHERE kind = 'catalog'")[0]
    content = json.loads(row[1])
    del content["schema"]
    rawdb.execute("UPDATE config_snapshot SET content = ? WHERE id = ?", json.dumps(content), row[0])
    pd.register()
    from pd.catalog import SCHEMA

    assert json.loads(rawdb.execute("SELECT content FROM config_snapshot WHERE id = ?", row[0])[0][0])["schema"] == SCHEMA
