"""A request's life (SPEC 2): every allowed transition with its exact result, every refused one (exit 5),
out-of-scope refusals, reassignment, close --auto, and deadlines across Riga's DST changes."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import re

import pytest

from pd.latvian import STATUS_LABELS, label

RIGA = ZoneInfo("Europe/Riga")
STATES = ("registered", "assigned", "in_progress", "returned", "waiting_user", "resolved", "closed", "refused")


# ---------------------------------------------------------------- helpers
def show(pd, n):
    return pd.ok("show", n, "--json").json()


def in_state(pd, state: str, service: str = "EPASTS") -> str:
    """A request of `service` brought to `state` the ordinary way (expert jberzins)."""
    if state == "refused":
        return pd.register(service=service, out_of_scope=True)
    n = pd.register(service=service)
    if state == "registered":
        return n
    pd.ok("assign", n, "--expert", "jberzins")
    if state == "assigned":
        return n
    if state == "returned":
        pd.ok("reject", n, "--reason", "Tas nav e-pasts, bet VPN", user="jberzins")
        return n
    if state == "waiting_user":
        pd.ok("wait", n, "--question", "Kurā datorā tas notiek?", user="jberzins")
        return n
    pd.ok("accept", n, user="jberzins")
    if state == "in_progress":
        return n
    pd.ok("resolve", n, "--result", "Pastkaste atbloķēta", user="jberzins")
    if state == "resolved":
        return n
    assert state == "closed"
    pd.ok("close", n, "--confirmed")
    return n


def process_events(d) -> list[dict]:
    """The request's process events (mail bookkeeping such as mail_skipped left out)."""
    return [e for e in d["events"] if not e["kind"].startswith("mail")]


def transitions(d) -> list[tuple]:
    return [(e["kind"], e["from"], e["to"]) for e in process_events(d)]


def future_date(days: int = 30) -> str:
    return (datetime.now(RIGA).date() + timedelta(days=days)).isoformat()


# ---------------------------------------------------------------- the whole way through
def test_full_cycle_every_step_and_its_history(pd):
    n = pd.register(service="EPASTS", description="Neienāk e-pasts kopš rīta")
    assert n.startswith(f"{datetime.now(RIGA).year}-") and len(n) == 11
    d = show(pd, n)
    assert d["status"] == "registered" and d["expert"] is None and d["response_due"] is None

    d = pd.ok("assign", n, "--expert", "jberzins", "--json").json()
    assert (d["status"], d["expert"]) == ("assigned", "jberzins")
    assert datetime.fromisoformat(d["resolution_due"]) > datetime.fromisoformat(d["response_due"])

    d = pd.ok("accept", n, "--json", user="jberzins").json()
    assert d["status"] == "in_progress" and d["accepted_at"] is not None

    d = pd.ok("wait", n, "--question", "Kāda ir kļūdas ziņa?", "--json", user="jberzins").json()
    assert d["status"] == "waiting_user"

    d = pd.ok("resume", n, "--answer", "Kļūda 0x800CCC0E", "--json", user="jberzins").json()
    assert d["status"] == "in_progress"  # accepted before the pause: back to in_progress

    planned = future_date(14)
    d = pd.ok("note", n, "--text", "Gaidām piegādātāja atbildi", "--delay-reason", "Piegādātāja kļūda",
              "--planned", planned, "--json", user="jberzins").json()
    assert d["status"] == "in_progress"
    assert d["planned_date"] == planned

    d = pd.ok("resolve", n, "--result", "Pastkaste atbloķēta", "--json", user="jberzins").json()
    assert (d["status"], d["result"]) == ("resolved", "Pastkaste atbloķēta")
    assert d["resolved_at"] is not None and d["closed_at"] is None

    d = pd.ok("close", n, "--confirmed", "--json").json()
    assert d["status"] == "closed" and d["closed_at"] is not None

    d = show(pd, n)
    assert transitions(d) == [
        ("registered", None, "registered"),
        ("assigned", "registered", "assigned"),
        ("accepted", "assigned", "in_progress"),
        ("waiting", "in_progress", "waiting_user"),
        ("resumed", "waiting_user", "in_progress"),
        ("delay_reported", "in_progress", "in_progress"),
        ("resolved", "in_progress", "resolved"),
        ("closed", "resolved", "closed"),
    ]
    actors = [e["actor"] for e in process_events(d)]
    assert actors == ["operators1", "operators1", "jberzins", "jberzins", "jberzins", "jberzins", "jberzins",
                      "operators1"]
    delay = process_events(d)[5]["data"]
    assert delay["delay_reason"] == "Piegādātāja kļūda" and delay["planned_date"] == planned


def test_wait_before_accepting_resumes_to_assigned(pd):
    n = in_state(pd, "assigned")
    assert pd.ok("wait", n, "--question", "Kurā telpā?", "--json").json()["status"] == "waiting_user"
    d = pd.ok("resume", n, "--json").json()
    assert d["status"] == "assigned" and d["accepted_at"] is None


def test_note_resume_records_the_users_answer_and_resumes(pd):
    n = in_state(pd, "waiting_user")
    d = pd.ok("note", n, "--text", "Lietotājs atbildēja: telpa 214", "--resume", "--json").json()
    assert d["status"] == "assigned"


def test_plain_note_changes_nothing(pd):
    n = in_state(pd, "in_progress")
    before = show(pd, n)
    d = pd.ok("note", n, "--text", "Pārbaudām serveri", "--json", user="jberzins").json()
    after = show(pd, n)
    assert d["status"] == "in_progress"
    for key in ("status", "expert", "response_due", "resolution_due", "planned_date", "accepted_at"):
        assert after[key] == before[key]
    assert process_events(after)[-1]["kind"] == "note"
    assert process_events(after)[-1]["data"]["text"] == "Pārbaudām serveri"


def test_reject_returns_to_desk_then_another_expert(pd):
    n = in_state(pd, "assigned")
    d = pd.ok("reject", n, "--reason", "Tas ir VPN, nevis e-pasts", "--json", user="jberzins").json()
    assert d["status"] == "returned"
    d = pd.ok("assign", n, "--expert", "lkalnina", "--json").json()  # no --reason needed from returned
    assert (d["status"], d["expert"]) == ("assigned", "lkalnina")
    d = pd.ok("accept", n, "--json", user="lkalnina").json()
    assert d["status"] == "in_progress"
    hist = show(pd, n)
    assert transitions(hist)[1:] == [
        ("assigned", "registered", "assigned"),
        ("rejected", "assigned", "returned"),
        ("assigned", "returned", "assigned"),
        ("accepted", "assigned", "in_progress"),
    ]
    rejected = process_events(hist)[2]
    assert rejected["data"]["reason"] == "Tas ir VPN, nevis e-pasts"
    assert rejected["actor"] == "jberzins"
    # the first expert no longer holds it
    assert pd("accept", n, user="jberzins").exit_code in (5, 6)


def test_reject_needs_a_reason(pd):
    n = in_state(pd, "assigned")
    r = pd("reject", n, user="jberzins")
    assert r.exit_code == 2  # the required option is missing: a usage error
    r = pd("reject", n, "--reason", "   ", user="jberzins")
    assert r.exit_code == 3 and "jānorāda iemesls" in r.stderr
    assert show(pd, n)["status"] == "assigned"


@pytest.mark.parametrize("service", ["EPASTS-SPAM", "PAROLE", "IS-DVS", "KONSULTACIJA"])
def test_desk_resolves_itself_where_the_catalog_allows(pd, service):
    n = pd.register(service=service, description="Lietotājs jautā, kā rīkoties")
    d = pd.ok("resolve", n, "--result", "Konsultēts pa tālruni", "--json").json()
    assert (d["status"], d["result"], d["expert"]) == ("resolved", "Konsultēts pa tālruni", None)
    assert transitions(show(pd, n))[-1] == ("resolved", "registered", "resolved")
    # a request the desk resolved without an expert reopens at the desk
    d = pd.ok("reopen", n, "--reason", "Lietotājs iebilst", "--json").json()
    assert d["status"] == "registered" and d["resolved_at"] is None and d["result"] is None


def test_desk_resolves_a_returned_request_where_allowed(pd):
    n = in_state(pd, "returned", service="EPASTS-SPAM")
    d = pd.ok("resolve", n, "--result", "Vēstule atbloķēta", "--json").json()
    assert d["status"] == "resolved"


@pytest.mark.parametrize("service", ["EPASTS", "VPN", "IS-IIS"])
def test_desk_may_not_resolve_a_service_without_operator_can_resolve(pd, service):
    n = pd.register(service=service)
    r = pd("resolve", n, "--result", "Izdarīts")
    assert r.exit_code == 5
    assert "stāvoklī “reģistrēts”" in r.stderr and service in r.stderr
    assert show(pd, n)["status"] == "registered"


def test_an_expert_may_not_resolve_at_the_desk(pd):
    n = pd.register(service="KONSULTACIJA")
    assert pd("resolve", n, "--result", "x", user="kvitols").exit_code == 6


def test_reopen_goes_back_to_the_expert(pd):
    n = in_state(pd, "resolved")
    d = pd.ok("reopen", n, "--reason", "Joprojām nedarbojas", "--json").json()
    assert (d["status"], d["expert"], d["result"], d["resolved_at"]) == ("in_progress", "jberzins", None, None)
    ev = process_events(show(pd, n))[-1]
    assert (ev["kind"], ev["from"], ev["to"]) == ("reopened", "resolved", "in_progress")
    assert ev["data"]["reason"] == "Joprojām nedarbojas"
    # the expert can work on it and resolve it again
    d = pd.ok("resolve", n, "--result", "Nomainīts profils", "--json", user="jberzins").json()
    assert (d["status"], d["result"]) == ("resolved", "Nomainīts profils")


def test_reopen_needs_a_reason(pd):
    n = in_state(pd, "resolved")
    assert pd("reopen", n).exit_code == 2
    assert show(pd, n)["status"] == "resolved"


# ---------------------------------------------------------------- reassignment
@pytest.mark.parametrize("state", ["assigned", "in_progress"])
def test_reassignment_needs_a_reason(pd, state):
    n = in_state(pd, state)
    r = pd("assign", n, "--expert", "lkalnina")
    assert r.exit_code == 3
    assert "--reason" in r.stderr
    d = show(pd, n)
    assert (d["status"], d["expert"]) == (state, "jberzins")

    d = pd.ok("assign", n, "--expert", "lkalnina", "--reason", "Jānis ir atvaļinājumā", "--json").json()
    assert (d["status"], d["expert"], d["accepted_at"]) == ("assigned", "lkalnina", None)
    ev = process_events(show(pd, n))[-1]
    assert (ev["kind"], ev["from"], ev["to"]) == ("reassigned", state, "assigned")
    assert ev["data"]["reason"] == "Jānis ir atvaļinājumā" and ev["data"]["expert"] == "lkalnina"
    # the new expert accepts; the old one may not
    assert pd("accept", n, user="jberzins").exit_code == 6
    assert pd.ok("accept", n, "--json", user="lkalnina").json()["status"] == "in_progress"


def test_assign_to_someone_who_is_not_an_expert_or_unknown(pd):
    n = pd.register()
    assert pd("assign", n, "--expert", "nezinams").exit_code == 4
    r = pd("assign", n, "--expert", "supervizors")
    assert r.exit_code in (3, 6)
    assert show(pd, n)["status"] == "registered"


# ---------------------------------------------------------------- out of scope [§7.3]
def test_out_of_scope_is_refused_with_the_ict_contact_printed_and_stored(pd):
    r = pd.ok("register", "--name", "Pēteris Kļaviņš", "--institution", "VRS", "--service", "DATORS",
              "--location", "Rūdolfa iela 5, Rīga", "--room", "12",
              "--description", "Iestādes iekšējā tīkla printeris", "--channel", "email",
              "--out-of-scope", "--reason", "Iestādes pašas uzturēta iekārta")
    printed = r.stdout + r.stderr
    assert "Edgars Kļaviņš" in printed and "+37167075616" in printed and "edgars.klavins@rs.gov.lv" in printed
    assert r.stdout.startswith("Pieteikums ") and "reģistrēts un noraidīts: nav Centra kompetencē" in r.stdout
    n = re.search(r"\d{4}-\d{6}", r.stdout).group()
    d = show(pd, n)
    assert d["status"] == "refused"
    assert d["refusal_reason"] == "Iestādes pašas uzturēta iekārta"
    assert d["ict_contacts"] == [{"name": "Edgars Kļaviņš", "phone": "+37167075616",
                                  "email": "edgars.klavins@rs.gov.lv"}]
    ev = process_events(d)
    assert [e["kind"] for e in ev] == ["registered", "refused"]
    assert (ev[1]["from"], ev[1]["to"]) == ("registered", "refused")
    assert ev[1]["data"]["ict_contacts"] == ["Edgars Kļaviņš"]
    assert ev[1]["data"]["reason"] == "Iestādes pašas uzturēta iekārta"
    # a refused request goes nowhere
    for args in (["assign", n, "--expert", "rkrumins"], ["resolve", n, "--result", "x"], ["close", n]):
        r = pd(*args)
        assert r.exit_code == 5 and "“noraidīts (nav Centra kompetencē)”" in r.stderr


def test_out_of_scope_json_lists_every_ict_contact(pd):
    d = pd.ok("register", "--name", "Ilze Ozola", "--institution", "VP", "--service", "EPASTS",
              "--description", "Pašvaldības e-pasts", "--channel", "phone", "--out-of-scope", "--json").json()
    assert d["status"] == "refused"
    assert [p["name"] for p in d["ict_contacts"]] == ["Guntis Āboliņš", "Ilze Šķēle"]
    assert d["refusal_reason"]  # a default reason is recorded


# ---------------------------------------------------------------- refused transitions (exit 5)
# command -> (arguments, the states it is allowed from). EPASTS: the desk may not resolve it itself.
def _commands():
    planned = future_date(10)
    return {
        "assign": (["assign", "{n}", "--expert", "lkalnina", "--reason", "Pārdale"],
                   {"registered", "returned", "assigned", "in_progress"}),
        "accept": (["accept", "{n}"], {"assigned"}),
        "reject": (["reject", "{n}", "--reason", "Nav mans"], {"assigned"}),
        "wait": (["wait", "{n}", "--question", "Kurā telpā?"], {"assigned", "in_progress"}),
        "resume": (["resume", "{n}"], {"waiting_user"}),
        "resolve": (["resolve", "{n}", "--result", "Gatavs"], {"in_progress"}),
        "close": (["close", "{n}", "--confirmed"], {"resolved"}),
        "reopen": (["reopen", "{n}", "--reason", "Nestrādā"], {"resolved"}),
        "note --delay-reason": (["note", "{n}", "--text", "Kavējas", "--delay-reason", "Piegāde",
                                 "--planned", planned], {"assigned", "in_progress", "waiting_user"}),
    }


# a word of what can be done next, expected in the message for each state
NEXT = {"registered": "pd assign", "assigned": "pd accept", "in_progress": "pd resolve", "returned": "pd assign",
        "waiting_user": "pd resume", "resolved": "pd close", "closed": "pieteikums ir slēgts",
        "refused": "pieteikums noraidīts"}


def test_every_refused_transition_exits_5_and_names_the_state(pd):
    numbers = {s: in_state(pd, s) for s in STATES}
    events_before = pd.ok("audit", "verify", "--json").json()["events"]
    problems = []
    tried = 0
    for name, (args, allowed) in _commands().items():
        for state in STATES:
            if state in allowed:
                continue
            n = numbers[state]
            tried += 1
            r = pd(*[a.format(n=n) for a in args])
            if r.exit_code != 5:
                problems.append(f"{name} from {state}: exit {r.exit_code} {r.stderr.strip()}")
            elif f"stāvoklī “{label(STATUS_LABELS, state, 'lv')}”" not in r.stderr:
                problems.append(f"{name} from {state}: the message does not name the state: {r.stderr.strip()}")
            elif NEXT[state] not in r.stderr:
                problems.append(f"{name} from {state}: the message does not say what can be done: {r.stderr.strip()}")
            elif "Traceback" in r.stderr or r.stdout.strip():
                problems.append(f"{name} from {state}: stdout/traceback: {r.stdout!r} {r.stderr!r}")
    assert tried == 57
    assert not problems, "\n".join(problems)
    # nothing changed: every request is where it was and no event was written
    for state, n in numbers.items():
        assert show(pd, n)["status"] == state
    assert pd.ok("audit", "verify", "--json").json()["events"] == events_before


# ---------------------------------------------------------------- close --auto [§8.10]
def test_close_auto_closes_only_what_was_resolved_longer_than_close_after_ago(pd, clock):
    # resolved 6 days ago (close_after is 5d in the shipped catalog) ...
    clock.set("2026-05-04T09:00:00+03:00")
    old = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", old, "--result", "Atbildēts")
    # ... 4 days ago, and a reopened one
    clock.now = datetime.now(timezone.utc) - timedelta(days=6)
    older = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", older, "--result", "Atbildēts")
    reopened = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", reopened, "--result", "Atbildēts")
    pd.ok("reopen", reopened, "--reason", "Iebilst")
    clock.now = datetime.now(timezone.utc) - timedelta(days=4)
    recent = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", recent, "--result", "Atbildēts")
    clock.now = None  # the real clock again

    d = pd.ok("close", "--auto", "--json", user="system").json()
    assert sorted(r["number"] for r in d) == sorted([old, older])
    assert all(r["status"] == "closed" for r in d)
    assert show(pd, recent)["status"] == "resolved"
    assert show(pd, reopened)["status"] == "registered"
    ev = process_events(show(pd, old))[-1]
    assert (ev["kind"], ev["from"], ev["to"], ev["actor"], ev["via"]) == ("closed", "resolved", "closed", "system", "cron")
    assert ev["data"]["auto"] is True
    # a second run closes nothing more
    assert pd.ok("close", "--auto", "--json", user="system").json() == []


@pytest.mark.tampers  # moves resolved_at behind pd's back: the audit rightly reports it
def test_close_auto_through_resolved_at_in_the_ledger(pd):
    """The same, moving resolved_at with the models instead of the clock."""
    n = in_state(pd, "resolved")
    keep = in_state(pd, "resolved")
    from pd.config import load_settings
    from pd.db.models import Request
    from pd.ledger import Ledger

    Ledger(load_settings())
    Request.update(resolved_at=datetime.now(timezone.utc) - timedelta(days=5, minutes=1)).where(
        Request.number == n).execute()
    out = pd.ok("close", "--auto").stdout
    assert n in out and keep not in out
    assert show(pd, n)["status"] == "closed" and show(pd, keep)["status"] == "resolved"


def test_close_needs_a_number_or_auto_not_both(pd):
    n = in_state(pd, "resolved")
    assert pd("close").exit_code == 2
    assert pd("close", n, "--auto").exit_code == 2
    assert show(pd, n)["status"] == "resolved"


def test_close_auto_may_not_be_run_by_an_expert(pd):
    assert pd("close", "--auto", user="jberzins").exit_code == 6


# ---------------------------------------------------------------- idempotency
def test_idempotency_key_returns_the_same_request(pd):
    a = pd.register(idempotency_key="intake-<CAFx1@vp.gov.lv>")
    b = pd.register(idempotency_key="intake-<CAFx1@vp.gov.lv>")
    assert a == b
    # the same key with other content is refused (Stripe's rule), and stores nothing
    r = pd("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS", "--description",
           "Cits apraksts", "--channel", "phone", "--idempotency-key", "intake-<CAFx1@vp.gov.lv>")
    assert r.exit_code == 3 and "ar citu saturu" in r.stderr
    d = pd.ok("list", "--json").json()
    assert [r["number"] for r in d] == [a]
    assert d[0]["description"] == "Neienāk e-pasts kopš rīta"  # the first call's request
    assert [e["kind"] for e in process_events(show(pd, a))] == ["registered"]
    c = pd.register(idempotency_key="intake-<CAFx2@vp.gov.lv>")
    assert c != a and int(c[-6:]) == int(a[-6:]) + 1


# ---------------------------------------------------------------- deadlines across DST (24x7)
def test_24x7_calendar_across_both_dst_changes():
    from pd.catalog import parse_file
    from pd.config import EXAMPLES_DIR

    cal = parse_file("catalog", str(EXAMPLES_DIR / "catalog.yaml")).calendar("24x7")
    # spring: 29 March 2026, 03:00 becomes 04:00 — two real hours from 01:30 (+02:00) is 04:30 (+03:00)
    due = cal.due(datetime(2026, 3, 29, 1, 30, tzinfo=RIGA), timedelta(hours=2))
    local = due.astimezone(RIGA)
    assert (local.replace(tzinfo=None), local.utcoffset()) == (datetime(2026, 3, 29, 4, 30), timedelta(hours=3))
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    # autumn: 25 October 2026, 04:00 becomes 03:00 — from 02:30 (+03:00) two hours is 03:30 (+02:00)
    due = cal.due(datetime(2026, 10, 25, 2, 30, tzinfo=RIGA), timedelta(hours=2))
    local = due.astimezone(RIGA)
    assert (local.replace(tzinfo=None), local.utcoffset()) == (datetime(2026, 10, 25, 3, 30), timedelta(hours=2))
    assert due == datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
    # elapsed is real time too: 00:00 to 06:00 wall clock is 5 h in spring and 7 h in autumn
    assert cal.elapsed(datetime(2026, 3, 29, 0, 0, tzinfo=RIGA), datetime(2026, 3, 29, 6, 0, tzinfo=RIGA)) == timedelta(hours=5)
    assert cal.elapsed(datetime(2026, 10, 25, 0, 0, tzinfo=RIGA), datetime(2026, 10, 25, 6, 0, tzinfo=RIGA)) == timedelta(hours=7)


@pytest.mark.parametrize("at, response_due, resolution_due", [
    # EPASTS urgent: respond in 30m, resolve in 4h, around the clock
    ("2026-03-29T01:00:00+02:00", "2026-03-29T01:30:00+02:00", "2026-03-29T06:00:00+03:00"),
    ("2026-03-29T02:45:00+02:00", "2026-03-29T04:15:00+03:00", "2026-03-29T07:45:00+03:00"),
    ("2026-10-25T02:30:00+03:00", "2026-10-25T03:00:00+03:00", "2026-10-25T05:30:00+02:00"),
    ("2026-10-25T03:45:00+03:00", "2026-10-25T03:15:00+02:00", "2026-10-25T06:45:00+02:00"),
])
def test_assign_urgent_24x7_deadlines_across_dst(pd, clock, at, response_due, resolution_due):
    clock.set(at)
    n = pd.register(service="EPASTS", urgent=True)
    d = pd.ok("assign", n, "--expert", "jberzins", "--json").json()
    assert d["urgent"] is True
    assert (d["response_due"], d["resolution_due"]) == (response_due, resolution_due)
    assert d["received_at"] == at


def test_pause_moves_the_24x7_deadline_by_the_paused_time(pd, clock):
    clock.set("2026-10-25T01:00:00+03:00")
    n = pd.register(service="EPASTS", urgent=True)
    d = pd.ok("assign", n, "--expert", "jberzins", "--json").json()
    assert d["resolution_due"] == "2026-10-25T04:00:00+02:00"  # 4 real hours, across the autumn change
    clock.advance(minutes=10)
    pd.ok("accept", n, user="jberzins")
    clock.advance(minutes=20)
    pd.ok("wait", n, "--question", "Kura pastkaste?", user="jberzins")
    clock.advance(hours=2, minutes=30)
    d = pd.ok("resume", n, "--json").json()
    assert d["status"] == "in_progress"
    assert d["resolution_due"] == "2026-10-25T06:30:00+02:00"
    ev = process_events(show(pd, n))[-1]
    assert ev["kind"] == "resumed" and ev["data"]["paused_seconds"] == 9000


def _next_dst_sundays() -> tuple[date, date]:
    """The next last-Sunday-of-March and last-Sunday-of-October at least two days ahead."""
    today = datetime.now(RIGA).date()

    def last_sunday(y, m):
        d = date(y, m, 31)
        return d - timedelta(days=(d.weekday() - 6) % 7)

    spring = next(last_sunday(y, 3) for y in range(today.year, today.year + 3) if last_sunday(y, 3) > today + timedelta(days=2))
    autumn = next(last_sunday(y, 10) for y in range(today.year, today.year + 3) if last_sunday(y, 10) > today + timedelta(days=2))
    return spring, autumn


def test_explicit_deadlines_are_read_in_riga_time_across_dst(pd):
    spring, autumn = _next_dst_sundays()
    n = pd.register()
    d = pd.ok("assign", n, "--expert", "jberzins", "--respond-by", f"{spring}T02:30",
              "--resolve-by", f"{spring.day:02d}.{spring.month:02d}.{spring.year} 05:00", "--json").json()
    assert d["response_due"] == f"{spring}T02:30:00+02:00"
    assert d["resolution_due"] == f"{spring}T05:00:00+03:00"

    # autumn: an explicit offset picks the second 03:30; the first is summer time
    m = pd.register()
    d = pd.ok("assign", m, "--expert", "jberzins", "--respond-by", f"{autumn}T03:30+03:00",
              "--resolve-by", f"{autumn}T03:30+02:00", "--json").json()
    assert d["response_due"] == f"{autumn}T03:30:00+03:00"
    assert d["resolution_due"] == f"{autumn}T03:30:00+02:00"
    assert datetime.fromisoformat(d["resolution_due"]) - datetime.fromisoformat(d["response_due"]) == timedelta(hours=1)
    # UTC input is shown on the Riga clock
    k = pd.register()
    d = pd.ok("assign", k, "--expert", "jberzins", "--respond-by", f"{autumn}T00:30:00Z",
              "--resolve-by", f"{autumn}T01:30:00Z", "--json").json()
    assert (d["response_due"], d["resolution_due"]) == (f"{autumn}T03:30:00+03:00", f"{autumn}T03:30:00+02:00")


def test_explicit_deadline_in_the_past_is_refused(pd):
    n = pd.register()
    r = pd("assign", n, "--expert", "jberzins", "--respond-by", "2020-01-01T10:00", "--resolve-by", "2020-01-02T10:00")
    assert r.exit_code == 3 and "--respond-by ir pagātnē" in r.stderr
    assert show(pd, n)["status"] == "registered"


def test_out_of_scope_history_reads_registered_then_refused(pd):
    n = pd.register(out_of_scope=True, reason="VP IKT nodaļas kompetence")
    assert transitions(show(pd, n)) == [("registered", None, "registered"), ("refused", "registered", "refused")]


def test_reopen_returns_a_desk_resolved_request_to_the_desk_not_to_the_rejecting_expert(pd):
    n = pd.register(service="EPASTS-SPAM")
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("reject", n, "--reason", "Nav mans", user="jberzins")
    pd.ok("resolve", n, "--result", "Operators atbloķēja")
    pd.ok("reopen", n, "--reason", "Joprojām bloķē")
    d = show(pd, n)
    assert d["status"] == "returned"
    assert pd("resolve", n, "--result", "x", user="jberzins").exit_code == 6
    pd.ok("assign", n, "--expert", "lkalnina", "--force")  # nobody else serves EPASTS-SPAM


def test_reopen_returns_an_expert_resolved_request_to_the_expert(pd):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    pd.ok("resolve", n, "--result", "Izdarīts", user="jberzins")
    pd.ok("reopen", n, "--reason", "Nestrādā")
    assert show(pd, n)["status"] == "in_progress"
    pd.ok("resolve", n, "--result", "Tagad strādā", user="jberzins")


def test_unknown_person_may_not_read_the_ledger(pd):
    for args in (("audit", "verify"), ("catalog", "list"), ("contacts", "show", "jberzins"), ("info",),
                 ("catalog", "history")):
        r = pd(*args, user="nezinams")
        assert r.exit_code == 6, (args, r.stderr)
