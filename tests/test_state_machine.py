"""The request's life (SPEC 2) as a state machine, driven by hypothesis in any order.

Whatever the order of register/assign/accept/reject/wait/resume/note/resolve/close/reopen/escalate and
escalate-overdue, by whichever person: every request is in a state SPEC 2 names; a command does exactly
what SPEC 2's table allows from the request's state, and anything else is refused (exit 5 for the state,
6 for the person, 3 for the input) and changes nothing; replaying a request's events gives its status;
after every step the whole ledger audits clean (`pd audit verify`: rows replayed from events, every
assignment, escalation and outbox row accounted for) and the numbers are gap-free.

The Desk is driven in-process (one ledger for the whole run; each example registers its own requests).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from pd.latvian import STATUS_LABELS, label

STATES = {"registered", "assigned", "in_progress", "returned", "waiting_user", "resolved", "closed", "refused"}
OPEN = {"registered", "assigned", "in_progress", "returned", "waiting_user"}

# SPEC 2: command -> the states it may start from (the rest is exit 5)
FROM = {
    "assign": {"registered", "returned", "assigned", "in_progress"},
    "accept": {"assigned"},
    "reject": {"assigned"},
    "wait": {"assigned", "in_progress"},
    "resume": {"waiting_user"},
    "note": STATES - {"closed", "refused"},
    "delay": {"assigned", "in_progress", "waiting_user"},
    "resolve": {"registered", "returned", "in_progress"},
    "close": {"resolved"},
    "reopen": {"resolved"},
}
# every status change an event may record (from, to)
TRANSITIONS = {
    (None, "registered"), (None, "refused"), ("registered", "refused"),
    ("registered", "assigned"), ("returned", "assigned"), ("assigned", "assigned"), ("in_progress", "assigned"),
    ("assigned", "in_progress"), ("assigned", "returned"),
    ("assigned", "waiting_user"), ("in_progress", "waiting_user"),
    ("waiting_user", "in_progress"), ("waiting_user", "assigned"),
    ("registered", "resolved"), ("returned", "resolved"), ("in_progress", "resolved"),
    ("resolved", "closed"), ("resolved", "in_progress"), ("resolved", "registered"), ("resolved", "returned"),
}
OPERATOR_CAN_RESOLVE = {"PAROLE": True, "EPASTS": False}
EXPERTS = ("jberzins", "lkalnina")
FORWARD = st.sampled_from(["assign", "accept", "accept", "resolve", "resolve", "close", "reject", "wait", "resume",
                           "note", "reopen"])
PICK = st.integers(0, 45).map(lambda i: i if i >= 40 else i % 2)  # mostly the newest two requests
ACTORS = ("operators1", "operators1", "operators1", "expert", "expert", "other")  # the desk; the request's own expert; an expert it is not assigned to


def _snapshot(number: str) -> tuple:
    from pd.db.models import Escalation, Event, OutboxMessage, Request

    row = Request.select().where(Request.number == number).dicts().get()
    return row, Event.select().count(), OutboxMessage.select().count(), Escalation.select().count()


def _check_history(number: str) -> None:
    from pd.db.models import Event, Request

    req = Request.get(Request.number == number)
    assert req.status in STATES
    evs = list(Event.select().where(Event.request == req).order_by(Event.id))
    assert evs and evs[0].kind == "registered"
    status = None
    for e in evs:
        if e.to_status is None:
            continue
        if e.from_status != e.to_status:
            assert (e.from_status, e.to_status) in TRANSITIONS, (number, e.kind, e.from_status, e.to_status)
        status = e.to_status
    assert status == req.status, f"{number}: events replay to {status}, the request is {req.status}"
    from pd.db.models import Assignment

    current = list(Assignment.select().where((Assignment.request == req) & Assignment.ended_at.is_null()))
    if req.status in ("assigned", "in_progress", "waiting_user"):
        assert len(current) == 1 and current[0].expert == req.expert, f"{number} is {req.status} without its expert"
    else:
        assert current == [], f"{number} is {req.status} but assignment {current[0].id} is still open"


def make_machine(ledger, base_settings):
    from pd import escalation
    from pd.desk import Desk, RegisterInput
    from pd.errors import ExitCode, PdError

    desks: dict[str, Desk] = {}

    def desk(login: str) -> Desk:
        if login not in desks:
            desks[login] = Desk(base_settings.replace(user=login), ledger=ledger)
        return desks[login]

    class DeskMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.numbers: list[str] = []
            self.steps = {"ok": 0, 5: 0, 6: 0, 3: 0}
            self.audits = 0

        # ------------------------------------------------------------------ helpers
        def _who(self, actor: str, row: dict) -> str:
            if actor == "operators1":
                return "operators1"
            expert = row["expert"] or EXPERTS[0]
            if actor == "expert":
                return expert
            return next(e for e in EXPERTS if e != expert)

        def _expect(self, command: str, login: str, row: dict, **kw) -> tuple[str, object]:
            """What SPEC 2 and SPEC 9 say must happen: ('ok', new status) or ('error', exit code)."""
            status, is_operator = row["status"], login == "operators1"
            own = row["expert"] is not None and login == row["expert"]
            if command == "assign":
                if not is_operator:
                    return "error", 6
                if status not in FROM["assign"]:
                    return "error", 5
                if status in ("assigned", "in_progress") and (not kw["reason"] or kw["expert"] == row["expert"]):
                    return "error", 3
                return "ok", "assigned"
            if command in ("accept", "reject", "wait"):
                if not (own or is_operator):
                    return "error", 6
                if status not in FROM[command]:
                    return "error", 5
                return "ok", {"accept": "in_progress", "reject": "returned", "wait": "waiting_user"}[command]
            if command == "resume":
                if not (own or is_operator):
                    return "error", 6
                if status != "waiting_user":
                    return "error", 5
                return "ok", "in_progress" if row["accepted_at"] else "assigned"
            if command == "note":
                if not (own or is_operator):
                    return "error", 6
                if status not in FROM["delay" if kw["delay"] else "note"]:
                    return "error", 5
                return "ok", status
            if command == "resolve":
                if status in ("registered", "returned"):
                    if not is_operator:
                        return "error", 6
                    return ("ok", "resolved") if OPERATOR_CAN_RESOLVE[row["service"]] else ("error", 5)
                if not (own or is_operator):
                    return "error", 6
                return ("ok", "resolved") if status == "in_progress" else ("error", 5)
            if command == "close":
                if not is_operator:
                    return "error", 6
                return ("ok", "closed") if status == "resolved" else ("error", 5)
            if command == "reopen":
                if not is_operator:
                    return "error", 6
                if status != "resolved":
                    return "error", 5
                # back to whoever resolved it: the expert (in_progress), or the desk's state it was resolved from
                return "ok", kw["resolved_from"] if kw["resolved_from"] in ("in_progress", "returned") else "registered"
            raise AssertionError(command)

        def _apply(self, command: str, number: str, actor: str, call, **kw) -> None:
            before = _snapshot(number)
            row = before[0]
            login = self._who(actor, row)
            if command == "reopen":
                from pd.db.models import Event

                last = (Event.select().where((Event.request == row["id"]) & (Event.kind == "resolved"))
                        .order_by(Event.id.desc()).first())
                kw["resolved_from"] = last.from_status if last else None
            expected = self._expect(command, login, row, **kw)
            try:
                call(desk(login))
            except PdError as exc:
                outcome = ("error", int(exc.exit_code))
                after = _snapshot(number)
                assert after == before, f"refused {command} changed the ledger ({exc})"
                if outcome[1] == ExitCode.INVALID_STATE:
                    assert f"stāvoklī “{label(STATUS_LABELS, row['status'], 'lv')}”" in str(exc), \
                        f"the refusal does not name the state: {exc}"
            else:
                after = _snapshot(number)
                outcome = ("ok", after[0]["status"])
                assert after[1] > before[1], f"{command} changed {number} without an event"
                if outcome[1] != row["status"]:
                    assert (row["status"], outcome[1]) in TRANSITIONS
            assert outcome == expected, (
                f"{command} of {number} ({row['status']}, expert {row['expert']}) by {login}: "
                f"got {outcome}, SPEC says {expected}")
            self.steps["ok" if outcome[0] == "ok" else outcome[1]] += 1
            if outcome[0] == "ok":
                VISITED.add((command, row["status"], outcome[1]))
            _check_history(number)

        # ------------------------------------------------------------------ rules
        @rule(service=st.sampled_from(sorted(OPERATOR_CAN_RESOLVE)),
              out_of_scope=st.sampled_from([False, False, False, False, True]),
              by_expert=st.sampled_from([False, False, False, False, False, True]))
        def register(self, service, out_of_scope, by_expert):
            from pd.db.models import Event

            events = Event.select().count()
            data = RegisterInput(name="Līga Ērgle", institution="VUGD", service=service, channel="phone",
                                 description="Nestrādā", email="liga.ergle@vugd.gov.lv")
            if by_expert:
                try:
                    desk("jberzins").register(data, out_of_scope=out_of_scope)
                except PdError as exc:
                    assert exc.exit_code == ExitCode.NOT_PERMITTED
                    assert Event.select().count() == events
                    return
                raise AssertionError("an expert registered a request")
            req = desk("operators1").register(data, out_of_scope=out_of_scope)
            assert req.status == ("refused" if out_of_scope else "registered")
            self.numbers.append(req.number)
            _check_history(req.number)

        def _pick(self, i: int) -> str:
            """Mostly the newest requests, so that their lives go deep; sometimes any."""
            return self.numbers[-1 - i % len(self.numbers)] if i < 40 else self.numbers[i % len(self.numbers)]

        def _do(self, command: str, n: str, actor: str, *, expert: str = EXPERTS[0], reason: bool = True,
                delay: bool = False) -> None:
            planned = date.today() + timedelta(days=3)
            calls = {
                # the model is about states, not who serves which service: outside them is --force
                "assign": lambda d: d.assign(n, expert, reason="Cits eksperts" if reason else None, force=True),
                "accept": lambda d: d.accept(n),
                "reject": lambda d: d.reject(n, "Nav mans pakalpojums"),
                "wait": lambda d: d.wait(n, "Kurā telpā?"),
                "resume": lambda d: d.resume(n, answer="Telpa 214"),
                "note": lambda d: d.note(n, "Progress", delay_reason="Piegāde" if delay else None,
                                         planned=planned if delay else None),
                "resolve": lambda d: d.resolve(n, "Izdarīts"),
                "close": lambda d: d.close(n, confirmed=True),
                "reopen": lambda d: d.reopen(n, "Joprojām nestrādā"),
            }
            self._apply(command, n, actor, calls[command], expert=expert, reason=reason, delay=delay)

        @precondition(lambda self: self.numbers)
        @rule(command=st.sampled_from(sorted(FROM.keys() - {"delay"})), i=PICK, actor=st.sampled_from(ACTORS),
              expert=st.sampled_from(EXPERTS), reason=st.booleans(), delay=st.booleans())
        def any_command(self, command, i, actor, expert, reason, delay):
            """Any command on any request by anyone: SPEC 2 decides whether it is done or refused."""
            self._do(command, self._pick(i), actor, expert=expert, reason=reason, delay=delay)

        def _forward(self, command, i, own, delay):
            """A command on a request in a state it may start from, by the desk or the request's own expert
            (so that the lives go deep: resolved, closed, reopened, waiting and resumed)."""
            from pd.db.models import Request

            rows = [r.number for r in Request.select(Request.number).where(
                Request.number.in_(self.numbers) & Request.status.in_(FROM[command])).order_by(Request.id)]
            if not rows:
                return
            n = rows[i % len(rows)]
            current = Request.get(Request.number == n).expert
            other = next(e for e in EXPERTS if e != current)
            self._do(command, n, "expert" if own and current else "operators1", expert=other, reason=True, delay=delay)

        # three rules for the same step forward: hypothesis picks rules evenly, and going forward should win
        @precondition(lambda self: self.numbers)
        @rule(command=FORWARD, i=st.integers(0, 100), own=st.booleans(), delay=st.booleans())
        def step_forward(self, command, i, own, delay):
            self._forward(command, i, own, delay)

        @precondition(lambda self: self.numbers)
        @rule(command=FORWARD, i=st.integers(0, 100), own=st.booleans(), delay=st.booleans())
        def another_step_forward(self, command, i, own, delay):
            self._forward(command, i, own, delay)

        @precondition(lambda self: self.numbers)
        @rule(command=FORWARD, i=st.integers(0, 100), own=st.booleans(), delay=st.booleans())
        def yet_another_step_forward(self, command, i, own, delay):
            self._forward(command, i, own, delay)

        @precondition(lambda self: self.numbers)
        @rule(i=PICK)
        def escalate_rejection(self, i):
            """pd escalate N --reason unjustified-rejection: no state change; once per rejection."""
            from pd.db.models import Assignment, Escalation, Request

            n = self._pick(i)
            req = Request.get(Request.number == n)
            rejected = (Assignment.select().where((Assignment.request == req) & (Assignment.ended_reason == "rejected"))
                        .order_by(Assignment.id.desc()).first())
            done = rejected is not None and Escalation.select().where(
                (Escalation.request == req) & (Escalation.reason == "unjustified_rejection")
                & (Escalation.assignment_key == rejected.id)).exists()
            before = _snapshot(n)
            try:
                escalation.escalate_manually(desk("operators1"), n, "unjustified-rejection", None, redact=False,
                                             via="phone")
            except PdError as exc:
                assert exc.exit_code == ExitCode.INVALID_STATE and (rejected is None or done), str(exc)
                assert _snapshot(n) == before
            else:
                assert rejected is not None and not done
                after = _snapshot(n)
                assert after[0]["status"] == before[0]["status"] and after[3] == before[3] + 1
            _check_history(n)

        @precondition(lambda self: self.numbers)
        @rule(days=st.integers(0, 30))
        def escalate_overdue(self, days):
            """The cron job never changes a state; a second run at the same instant escalates nothing."""
            from pd.db.models import Request

            now = datetime.now(timezone.utc) + timedelta(days=days)
            before = {r.number: r.status for r in Request.select(Request.number, Request.status)
                      .where(Request.number.in_(self.numbers))}
            from tests.conftest import clock_at

            with clock_at(now.isoformat()):  # cron runs then: a --now later than the clock is refused
                escalation.run(desk("system"), now, via="cron")
                assert escalation.run(desk("system"), now, via="cron").escalations == []
            after = {r.number: r.status for r in Request.select(Request.number, Request.status)
                     .where(Request.number.in_(self.numbers))}
            assert after == before

        @invariant()
        def states_are_spec_states(self):
            from pd.db.models import Request

            if self.numbers:
                seen = {r.status for r in Request.select(Request.status).where(Request.number.in_(self.numbers))}
                assert seen <= STATES

        @invariant()
        def the_whole_ledger_audits_and_numbers_are_gap_free(self):
            """After every step: `pd audit verify` (the chain, each request's row replayed from its events,
            every assignment, escalation and outbox row accounted for by the event that made it, SQLite's
            integrity check) finds nothing, and each year's numbers are 1..N with the sequence at N."""
            from pd import audit
            from pd.db.models import NumberSequence, Request

            result = audit.verify()
            assert result["ok"], result["problems"]
            by_year: dict[int, list[int]] = {}
            for (number,) in Request.select(Request.number).tuples():
                year, seq = number.split("-")
                by_year.setdefault(int(year), []).append(int(seq))
            for year, seqs in by_year.items():
                assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"the numbers of {year} have a gap"
                assert NumberSequence.get_by_id(year).last == len(seqs)
            self.audits += 1

        def teardown(self):
            from pd.ledger import verify_chain

            for n in self.numbers:
                _check_history(n)
            chain = verify_chain()
            assert chain["ok"], chain["problems"]
            TOTALS.append(dict(self.steps, audits=self.audits))

    return DeskMachine


TOTALS: list[dict] = []
VISITED: set[tuple] = set()


def test_any_order_of_commands_keeps_the_request_in_a_spec_state(pd_env):
    from pd.config import load_settings
    from pd.ledger import Ledger

    base = load_settings()
    ledger = Ledger(base)
    try:
        machine = make_machine(ledger, base)
        run_state_machine_as_test(machine, settings=settings(
            max_examples=40, stateful_step_count=40, deadline=None, derandomize=False, database=None,
            suppress_health_check=list(HealthCheck)))
    finally:
        ledger.close()
    summary = {k: sum(t[k] for t in TOTALS) for k in ("ok", 5, 6, 3, "audits")}
    print("state machine steps:", summary, "in", len(TOTALS), "examples")
    print("transitions taken:", sorted(VISITED))
    assert summary["ok"] > 0 and summary[5] > 0  # it did go through transitions and refusals
    assert summary["audits"] >= summary["ok"]  # the whole-ledger audit ran after every step
