"""Honest retries and clocks, and input that is looser than it looks (issue 12, SPEC 3, 5, 9, 11):
exit codes pinned, nothing stored on error."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.conftest import clock_at

REGISTER = ["register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
            "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis.berzins@vp.gov.lv"]


def counts(rawdb) -> tuple[int, ...]:
    """Rows a command wrote (not the set-up of a new ledger: its configuration in force, SPEC 9, and the
    `config_recorded` events that seal the snapshots for the audit)."""
    return tuple(rawdb.execute(f"SELECT COUNT(*) FROM {t}")[0][0]
                 for t in ("request", "event WHERE kind NOT IN ('config_in_force', 'config_recorded')", "assignment", "escalation",
                           "outbox_message"))


def with_option(args: list[str], option: str, value: str | None) -> list[str]:
    args = list(args)
    if option in args:
        i = args.index(option)
        del args[i:i + 2]
    return args + ([option, value] if value is not None else [option])


# ---------------------------------------------------------------- idempotency keys (Stripe's rule)
def test_the_same_key_with_the_same_content_returns_the_first_request(pd, rawdb):
    first = pd.ok(*REGISTER, "--idempotency-key", "intake-42").json()
    again = pd.ok(*REGISTER, "--idempotency-key", "intake-42").json()
    assert again["number"] == first["number"]
    assert counts(rawdb)[0] == 1
    # the same content in another spelling is the same content (normalised as stored)
    spelled = with_option(with_option(REGISTER, "--email", "janis.berzins@VP.gov.lv"), "--institution", "vp")
    assert pd.ok(*spelled, "--idempotency-key", "intake-42").json()["number"] == first["number"]


@pytest.mark.parametrize("option,value,named", [
    ("--description", "Neienāk e-pasts (cits)", "--description"),
    ("--service", "VPN", "--service"),
    ("--phone", "26123456", "--phone"),
    ("--urgent", None, "--urgent"),
    ("--out-of-scope", None, "--out-of-scope"),
])
def test_the_same_key_with_other_content_is_exit_3_and_stores_nothing(pd, rawdb, option, value, named):
    first = pd.ok(*REGISTER, "--idempotency-key", "intake-42").json()["number"]
    before = counts(rawdb)
    r = pd(*with_option(REGISTER, option, value), "--idempotency-key", "intake-42")
    assert r.exit_code == 3, r.stderr
    assert f"--idempotency-key 'intake-42' jau lietota pieteikumam {first} ar citu saturu ({named})" in r.stderr
    assert counts(rawdb) == before
    # a new key is a new request
    assert pd.ok(*with_option(REGISTER, option, value), "--idempotency-key", "intake-43").json()["number"] != first


def test_received_at_counts_when_the_retry_gives_it(pd, rawdb):
    args = [*REGISTER, "--received-at", "01.12.2026 09:15", "--idempotency-key", "fax-7"]
    n = pd.ok(*args).json()["number"]
    assert pd.ok(*args).json()["number"] == n
    assert pd.ok(*REGISTER, "--idempotency-key", "fax-7").json()["number"] == n  # "when it was first received"
    r = pd(*with_option(args, "--received-at", "01.12.2026 09:16"))
    assert r.exit_code == 3 and "(--received-at)" in r.stderr
    assert counts(rawdb)[0] == 1


# ---------------------------------------------------------------- a future --now is for --dry-run only
def _late_request(pd) -> str:
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins", "--respond-by", "2027-01-04T10:00", "--resolve-by", "2027-01-05T10:00")
    return n


def test_escalate_overdue_with_a_future_now_is_exit_3_and_changes_nothing(pd, rawdb):
    n = _late_request(pd)
    before = counts(rawdb)
    r = pd("escalate-overdue", "--now", "2027-01-04T10:00:01", user="system")
    assert r.exit_code == 3
    assert r.stderr.endswith(": --now ir vēlāks par pašreizējo laiku: nākotnes brīdi var norādīt tikai ar "
                             "--dry-run (lai redzētu, kas tad tiktu eskalēts); nekas netika eskalēts\n")
    assert counts(rawdb) == before
    r = pd("escalate-overdue", "--now", "2027-01-04T10:00:01", "--dry-run", user="system")
    assert (r.exit_code, r.stdout) == (0, f"{n} tiktu eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai\n")
    assert counts(rawdb) == before


def test_escalate_overdue_at_or_before_the_clock_escalates(pd, rawdb):
    n = _late_request(pd)
    with clock_at("2027-01-04T12:00"):
        r = pd("escalate-overdue", "--now", "2027-01-04T10:00:01", "--no-send", user="system")  # catching up
        assert (r.exit_code, r.stdout) == (0, f"{n} eskalēts vadītājam Valdim Kalējam (1. līmenis): eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai\n")
        assert pd.ok("escalate-overdue", "--no-send", user="system").stdout == ""  # now = the clock


def test_no_event_is_dated_after_the_clock(pd, rawdb):
    _late_request(pd)
    pd("escalate-overdue", "--now", "2099-01-01T00:00", user="system")
    pd("escalate-overdue", "--now", "2099-01-01T00:00", "--dry-run", user="system")
    now = datetime.now(timezone.utc)
    for (at,) in rawdb.execute("SELECT at FROM event") + rawdb.execute("SELECT created_at FROM outbox_message"):
        when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        assert (when if when.tzinfo else when.replace(tzinfo=timezone.utc)) <= now


# ---------------------------------------------------------------- an expert outside their services
def test_assigning_outside_the_experts_services_is_exit_3_and_stores_nothing(pd, rawdb):
    n = pd.register()  # EPASTS
    before = counts(rawdb)
    r = pd("assign", n, "--expert", "kvitols")
    assert r.exit_code == 3
    assert r.stderr.endswith(": Kārlis Vītols neapkalpo pakalpojumu EPASTS (apkalpotie pakalpojumi: IS-IIS, IS-RMS, "
                             "IS-DVS, KONSULTACIJA); EPASTS eksperti: Jānis Bērziņš (jberzins), Laura Kalniņa "
                             "(lkalnina). Lai tomēr nodotu, lietojiet --force (vēsturē to atzīmē)\n")
    assert counts(rawdb) == before
    assert pd.ok("show", n, "--json").json()["status"] == "registered"


def test_force_assigns_outside_the_services_and_the_event_says_so(pd, rawdb):
    n = pd.register()
    d = pd.ok("assign", n, "--expert", "kvitols", "--force", "--json").json()
    assert (d["status"], d["expert"]) == ("assigned", "kvitols")
    (ev,) = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "assigned"]
    data = ev["data"] if isinstance(ev["data"], dict) else json.loads(ev["data"])
    assert data["forced"] is True and data["outside_services"] == ["IS-IIS", "IS-RMS", "IS-DVS", "KONSULTACIJA"]
    # inside the services --force changes nothing and records nothing
    m = pd.register()
    pd.ok("assign", m, "--expert", "jberzins", "--force")
    (ev,) = [e for e in pd.ok("show", m, "--json").json()["events"] if e["kind"] == "assigned"]
    data = ev["data"] if isinstance(ev["data"], dict) else json.loads(ev["data"])
    assert "forced" not in data
    assert pd.ok("audit", "verify").exit_code == 0


def test_reassigning_outside_the_services_needs_force_too(pd, rawdb):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    r = pd("assign", n, "--expert", "mliepa", "--reason", "Atvaļinājumā")
    assert r.exit_code == 3 and "Māris Liepa neapkalpo pakalpojumu EPASTS" in r.stderr
    assert pd.ok("show", n, "--json").json()["expert"] == "jberzins"


# ---------------------------------------------------------------- --urgent needs an urgent variant
def test_urgent_for_a_service_without_an_urgent_variant_is_exit_3_naming_those_that_have_one(pd, rawdb):
    r = pd(*with_option(REGISTER, "--service", "EPASTS-KONTS"), "--urgent")
    assert r.exit_code == 3
    assert r.stderr == (
        "Kļūda: pakalpojumam EPASTS-KONTS kataloga versijā 2026.2 nav steidzamā varianta; --urgent var lietot šiem: "
        "EPASTS, EPASTS-SPAM, INTERNETS, VPN, IS-PIEKLUVE, PAROLE, IS-IIS, IS-RMS, DATORS, TALRUNIS\n")
    assert counts(rawdb)[0] == 0
    assert pd.ok(*with_option(REGISTER, "--service", "EPASTS-KONTS")).json()["urgent"] is False
    assert pd.ok(*REGISTER, "--urgent").json()["urgent"] is True


def test_the_catalog_shows_an_urgent_variant_only_where_there_is_one(pd):
    none = pd.ok("catalog", "show", "EPASTS-KONTS", "--json").json()
    assert (none["urgent_variant"], list(none["times"])) == (False, ["normal"])
    some = pd.ok("catalog", "show", "EPASTS", "--json").json()
    assert (some["urgent_variant"], some["times"]["urgent"]["calendar"]) == (True, "24x7")
    assert "urgent" not in pd.ok("catalog", "show", "EPASTS-KONTS").stdout


# ---------------------------------------------------------------- addresses the mail server can take
@pytest.mark.parametrize("address,words", [
    ("jānis@vp.gov.lv", "pirms '@' ir 'ā'"),
    ("Jānis.Bērziņš@vp.gov.lv", "pirms '@' ir 'ā'"),
    ("janis@pārvalde.lv", "janis@xn--prvalde-s3a.lv"),
])
def test_an_address_the_server_cannot_take_is_exit_3_at_the_desk(pd, rawdb, address, words):
    r = pd(*with_option(REGISTER, "--email", address))
    assert r.exit_code == 3 and words in r.stderr, r.stderr
    assert counts(rawdb) == (0, 0, 0, 0, 0)


def test_a_non_ascii_address_in_contacts_is_exit_7_at_its_line(pd, pd_env):
    from tests.test_yaml_config import edit, line_of, refused

    path = pd_env["PD_CONTACTS"]
    edit(path, "report_recipients: [ikt@vp.gov.lv]", "report_recipients: [ikt@vp.gov.lv, šefs@vp.gov.lv]")
    refused(pd(*REGISTER), path, line_of(path, "šefs"), "pirms '@' ir 'š'")


def test_a_non_ascii_sender_is_exit_7(pd):
    r = pd(*REGISTER, env={"PD_MAIL_FROM": "Dienests <pakalpojumu.dienests@ic.iem.gov.lv>"})
    assert r.exit_code == 0, r.stderr
    r = pd(*REGISTER, env={"PD_MAIL_FROM": "Dienests <dienestš@ic.iem.gov.lv>"})
    assert r.exit_code == 7 and r.stderr.startswith("Kļūda: PD_MAIL_FROM:") and "ASCII" in r.stderr
