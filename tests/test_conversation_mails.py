"""Who is told what (SPEC 15), as a model: random sequences of commands, each state change
queuing exactly the mails SPEC 15's table names — recipients and kinds — and no others.

The expected mails are this file's own reading of SPEC 15's table (`expected`), not the
code's table (pd/conversation.py), so the two are checked against each other. The Desk is
driven in-process; the user's mail goes through the real intake (`receive`).
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.intake_mail import plain

USER = "liga.ergle@vugd.gov.lv"
EMAIL = {"jberzins": "janis.berzins@ic.iem.gov.lv", "lkalnina": "laura.kalnina@ic.iem.gov.lv"}
MANAGER = "valdis.kalejs@ic.iem.gov.lv"  # both experts' manager in the shipped contacts
EXPERTS = tuple(EMAIL)


# the states each command acts from (the rest is refused and tells nobody)
FROM = {"assign": ("registered", "returned", "assigned", "in_progress"), "accept": ("assigned",),
        "reject": ("assigned",), "wait": ("assigned", "in_progress"), "resume": ("waiting_user",),
        "note": ("assigned", "in_progress"), "delay": ("assigned", "in_progress", "waiting_user"),
        "resolve": ("in_progress",), "close": ("resolved",), "reopen": ("resolved",), "escalate": ("returned",),
        "user_writes": ("waiting_user", "resolved")}


def expected(command: str, before: dict, after: dict, *, actor: str, **kw) -> set[tuple[str, str]]:
    """SPEC 15's table: what a step that was done tells whom."""
    old, new = before["expert"], after["expert"]
    if command == "assign":
        if before["status"] in ("assigned", "in_progress"):  # a reassignment
            return {(EMAIL[new], "assigned_expert"), (EMAIL[old], "taken_expert")}
        told = {(EMAIL[new], "assigned_expert")}
        return told | ({(USER, "forwarded_user")} if before["status"] == "registered" else set())
    if command == "wait":
        return {(USER, "question_user")}
    if command in ("resume", "answer_by_mail"):
        # the answer goes to the expert who asked, unless they resumed it themselves
        return set() if actor == new else {(EMAIL[new], "answer_expert")}
    if command == "delay":
        return {(USER, "delay_user")}
    if command == "resolve":
        return {(USER, "resolved_user")}
    if command == "reopen":
        back = {(EMAIL[new], "reopened_expert")} if after["status"] == "in_progress" else set()
        return {(USER, "reopened_user")} | back
    if command == "close":
        return {(USER, "closed_user")}
    if command == "escalate":
        return {(MANAGER, "escalation_manager")}
    return set()  # accept, reject, a plain note, a mail that is no answer


def make_machine(ledger, base_settings):
    from pd import escalation
    from pd.desk import Desk, RegisterInput
    from pd.errors import PdError

    desks: dict[str, Desk] = {}

    def desk(login: str) -> Desk:
        if login not in desks:
            desks[login] = Desk(base_settings.replace(user=login), ledger=ledger)
        return desks[login]

    class Conversation(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.numbers: list[str] = []
            self.objection: dict[str, str] = {}  # request -> its first reply after the result not yet decided

        def _row(self, n: str) -> dict:
            from pd.db.models import Request

            return Request.select().where(Request.number == n).dicts().get()

        def _step(self, command: str, n: str, actor: str, call, **kw) -> None:
            import json

            from pd.db.models import OutboxMessage as M

            before = self._row(n)
            last = M.select().order_by(M.id.desc()).first()
            since = last.id if last else 0
            try:
                call(desk(actor))
            except PdError:
                got = list(M.select().where(M.id > since))
                assert got == [], f"a refused {command} queued {[(m.kind, m.recipients) for m in got]}"
                return
            after = self._row(n)
            got = list(M.select().where(M.id > since).order_by(M.id))
            told = {(r, m.kind) for m in got for r in json.loads(m.recipients)}
            assert sum(len(json.loads(m.recipients)) for m in got) == len(told), "a mail queued twice"
            want = expected(command, before, after, actor=actor, **kw)
            assert told == want, (f"{command} of {n} ({before['status']} -> {after['status']}) by {actor}: "
                                  f"queued {sorted(told)}, SPEC 15 says {sorted(want)}")
            for m in got:  # one thread per request
                assert m.subject.startswith(f"[PD {n}] "), m.subject
            self._check_words(command, got, kw)
            if after["status"] != "resolved":
                self.objection.pop(n, None)
            DONE.add((command, before["status"], after["status"]))

        def _check_words(self, command: str, got: list, kw: dict) -> None:
            bodies = {m.kind: " ".join(m.body.split()) for m in got}  # as read, whatever the wrapping
            if command == "wait":
                assert kw["question"] in bodies["question_user"]
            if "answer_expert" in bodies and kw.get("answer"):
                assert kw["answer"] in bodies["answer_expert"]
            if command == "reopen":
                assert kw["reason"] in bodies["reopened_user"]
            if command == "close":
                why = kw.get("reason") or "apstiprinājāt"
                assert why in bodies["closed_user"], bodies["closed_user"]
            if command == "escalate" and kw.get("note"):
                assert f"Operatora piezīme: {kw['note']}" in bodies["escalation_manager"]

        # ------------------------------------------------------------------ rules
        @rule(out_of_scope=st.sampled_from([False, False, False, True]))
        def register(self, out_of_scope):
            from pd.db.models import OutboxMessage as M

            since = M.select().count()
            req = desk("operators1").register(RegisterInput(
                name="Līga Ērgle", institution="VUGD", service="EPASTS", channel="phone",
                description="Nestrādā e-pasts", email=USER), out_of_scope=out_of_scope)
            kinds = [(m.kind, m.recipients) for m in M.select().order_by(M.id)][since:]
            assert kinds == ([("refused_user", f'["{USER}"]')] if out_of_scope else [])
            self.numbers.append(req.number)

        def _pick(self, i: int, command: str | None = None) -> str:
            """Mostly a request the command may act on (so that lives go deep); sometimes any (a refusal)."""
            from pd.db.models import Request

            if command in FROM and i % 5:
                fit = [r.number for r in Request.select(Request.number).where(
                    Request.number.in_(self.numbers) & Request.status.in_(FROM[command])).order_by(Request.id)]
                if fit:
                    return fit[i % len(fit)]
            return self.numbers[-1 - i % min(len(self.numbers), 3)]

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), expert=st.sampled_from(EXPERTS))
        def assign(self, i, expert):
            n = self._pick(i, "assign")
            self._step("assign", n, "operators1",
                       lambda d: d.assign(n, expert, reason="Aizvieto atvaļinājuma laikā", force=True))

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), by_expert=st.booleans(),
              command=st.sampled_from(["accept", "accept", "reject", "wait", "resume", "note", "delay", "resolve",
                                       "resolve"]))
        def expert_step(self, i, by_expert, command):
            n = self._pick(i, command)
            actor = (self._row(n)["expert"] or "operators1") if by_expert else "operators1"
            planned = date.today() + timedelta(days=3)
            question, answer = "Kurā telpā ir dators?", "Telpa 214"
            calls = {
                "accept": lambda d: d.accept(n),
                "reject": lambda d: d.reject(n, "Nav mans pakalpojums"),
                "wait": lambda d: d.wait(n, question),
                "resume": lambda d: d.resume(n, answer=answer),
                "note": lambda d: d.note(n, "Strādājam"),
                "delay": lambda d: d.note(n, "Kavējas", delay_reason="Piegāde", planned=planned),
                "resolve": lambda d: d.resolve(n, "Izdarīts"),
            }
            self._step(command, n, actor, calls[command], question=question, answer=answer)

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), how=st.sampled_from(["confirmed", "reason", "plain"]))
        def close(self, i, how):
            n = self._pick(i, "close")
            reason = "Lietotājs pa tālruni apstiprināja, ka strādā" if how == "reason" else None
            if how == "plain":  # within the objection period, or with a reply undecided: refused, nothing told
                was = self._row(n)["status"]
                self._step("close", n, "operators1", lambda d: d.close(n))
                assert was == "closed" or self._row(n)["status"] != "closed"
                return
            self._step("close", n, "operators1", lambda d: d.close(n, reason=reason, confirmed=how == "confirmed"),
                       reason=reason)

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9))
        def reopen(self, i):
            n = self._pick(i, "reopen")
            reason = "Joprojām nestrādā"
            self._step("reopen", n, "operators1", lambda d: d.reopen(n, reason), reason=reason)

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9))
        def escalate(self, i):
            self._escalate(self._pick(i, "escalate"))

        def _escalate(self, n: str) -> None:
            note = "Pakalpojums ir eksperta kompetencē"
            self._step("escalate", n, "operators1",
                       lambda d: escalation.escalate_manually(d, n, "unjustified-rejection", note, redact=False,
                                                              via="cli"), note=note)

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), text=st.sampled_from(["Telpa 214", "Joprojām nestrādā", "Paldies"]))
        def user_writes(self, i, text):
            """The user answers by mail: while waiting it is the answer (the request resumes and the expert
            is told); after the result it is a possible objection (nobody is told, close waits)."""

            self._user_mail(self._pick(i, "user_writes"), text)

        def _user_mail(self, n: str, text: str) -> None:
            from pd.intake.store import receive

            status = self._row(n)["status"]
            raw = plain(sender=f"Līga Ērgle <{USER}>", subject=f"Re: [PD {n}] Nestrādā e-pasts", body=text + "\n")
            self._step("answer_by_mail" if status == "waiting_user" else "mail", n, "system",
                       lambda d: receive(d.settings, raw, source="test", desk=d), answer=text)
            if status == "resolved":
                first = self.objection.setdefault(n, text)
                # the reply blocks a plain close, naming the reply (exit 5)
                from pd.errors import InvalidState

                try:
                    desk("operators1").close(n)
                except InvalidState as exc:
                    assert f"«{first}»" in str(exc) and USER in str(exc), str(exc)
                else:
                    raise AssertionError("a close went through over the user's reply")

        # the happy path, forward, so that lives go deep (hypothesis picks rules evenly)
        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), choice=st.integers(0, 5))
        def advance(self, i, choice):
            n = self.numbers[-1 - i % min(len(self.numbers), 2)]
            status = self._row(n)["status"]
            if status in ("registered", "returned"):
                if status == "returned" and choice % 2:
                    return self._escalate(n)
                return self._step("assign", n, "operators1", lambda d: d.assign(n, EXPERTS[choice % 2], force=True))
            expert = self._row(n)["expert"]
            if status == "assigned":
                if choice == 5:
                    return self._step("reject", n, expert, lambda d: d.reject(n, "Nav mans"))
                return self._step("accept", n, expert, lambda d: d.accept(n))
            if status == "in_progress":
                if choice < 2:
                    return self._step("wait", n, expert, lambda d: d.wait(n, "Kurā telpā?"), question="Kurā telpā?")
                if choice == 2:
                    return self._step("delay", n, expert, lambda d: d.note(
                        n, "Kavējas", delay_reason="Piegāde", planned=date.today() + timedelta(days=3)))
                return self._step("resolve", n, expert, lambda d: d.resolve(n, "Izdarīts"))
            if status == "waiting_user":
                if choice % 2:
                    return self._user_mail(n, "Telpa 214")
                who = "operators1" if choice < 4 else expert
                return self._step("resume", n, who, lambda d: d.resume(n, answer="Telpa 214"), answer="Telpa 214")
            if status == "resolved":
                if choice == 0:
                    return self._user_mail(n, "Joprojām nestrādā")
                if choice in (1, 2):
                    return self._step("reopen", n, "operators1", lambda d: d.reopen(n, "Joprojām nestrādā"),
                                      reason="Joprojām nestrādā")
                return self._step("close", n, "operators1", lambda d: d.close(n, confirmed=True))

        @precondition(lambda self: self.objection)
        @rule(i=st.integers(0, 9))
        def intake_seen(self, i):
            """The operator decides a reply is no objection: `pd intake seen N`; nobody is told."""
            from pd.intake.items import seen

            n = sorted(self.objection)[i % len(self.objection)]
            self._step("seen", n, "operators1", lambda d: seen(d, n))
            self.objection.pop(n)

        @invariant()
        def the_queue_and_close_agree_on_objections(self):
            """The queue's `objection` entries are exactly the requests `pd close N` refuses for a reply."""
            from datetime import datetime, timezone

            from pd import queue
            from pd.errors import InvalidState

            now = datetime.now(timezone.utc) + timedelta(minutes=1)
            listed = {e["request"] for e in queue.entries(desk("operators1"), now) if e["reason"] == "objection"
                      and e["request"] in self.numbers}  # (the ledger is shared by the examples)
            refused = set()
            for n in self.numbers:
                if self._row(n)["status"] != "resolved":
                    continue
                try:
                    desk("operators1").close(n)
                except InvalidState as exc:
                    if "pēc rezultāta ir atbilde" in str(exc):
                        refused.add(n)
                else:
                    raise AssertionError(f"{n} closed within its objection period with no reason")
            assert listed == refused == set(self.objection), (listed, refused, self.objection)

        # hypothesis picks rules evenly: going forward should win
        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), choice=st.integers(0, 5))
        def advance_again(self, i, choice):
            self.advance(i, choice)

        @precondition(lambda self: self.numbers)
        @rule(i=st.integers(0, 9), choice=st.integers(0, 5))
        def and_advance_again(self, i, choice):
            self.advance(i, choice)

    return Conversation


DONE: set[tuple] = set()


def test_each_step_tells_exactly_whom_spec_15_says(pd_env):
    from pd.config import load_settings
    from pd.ledger import Ledger

    base = load_settings()
    ledger = Ledger(base)
    try:
        machine = make_machine(ledger, base)
        _one_whole_life(machine())  # every step at least once, whatever the random runs reach
        run_state_machine_as_test(machine, settings=settings(
            max_examples=30, stateful_step_count=40, deadline=None, database=None,
            suppress_health_check=list(HealthCheck)))
    finally:
        ledger.close()
    done = {c for c, _, _ in DONE}
    # the runs went through every step that tells someone
    assert {"assign", "wait", "resume", "answer_by_mail", "delay", "resolve", "reopen", "close", "escalate"} <= done, done
    assert ("reopen", "resolved", "in_progress") in DONE
    assert any(c == "assign" and a in ("assigned", "in_progress") for c, a, _ in DONE)  # a reassignment


def _one_whole_life(m) -> None:
    """A scripted life through the same rules (the model checks each step as in the random runs)."""
    def step(rule, **kw):
        rule(**kw)
        m.the_queue_and_close_agree_on_objections()

    step(m.register, out_of_scope=False)
    for choice in (0, 0, 0, 2, 0, 1, 2, 3, 0, 1, 3):
        # assign, accept, wait, resume (operator), wait, the user's answer by mail, delay, resolve,
        # the user's objection by mail, reopen, resolve
        step(m.advance, i=0, choice=choice)
    step(m.intake_seen, i=0) if m.objection else None
    step(m.close, i=0, how="reason")
    step(m.register, out_of_scope=True)
    step(m.register, out_of_scope=False)
    step(m.assign, i=0, expert="jberzins")
    step(m.assign, i=0, expert="lkalnina")  # a reassignment
    step(m.advance, i=0, choice=5)  # rejected
    step(m.escalate, i=0)
    m.teardown()
