"""Who is told what (SPEC 15): the one table of the mails each step of a request causes.

A step is an event of the request's history. `mails_for(event)` says which mails it
queues, to whom (a role: the user, the request's expert, the expert it was taken from,
the manager) and of which kind. The desk queues exactly these (`Desk._tell`), and
`pd audit verify` accounts for each outbox row with the same function, so the table
is written once. Pure: no database, no desk.
"""
from __future__ import annotations

import json
from typing import Any

USER, EXPERT, PREVIOUS_EXPERT, MANAGER = "user", "expert", "previous_expert", "manager"

#: SPEC 15's table, by the event each step writes: (recipient role, mail kind).
#: The conditions in `mails_for` narrow some rows (see there).
TABLE: dict[str, tuple[tuple[str, str], ...]] = {
    "refused": ((USER, "refused_user"),),                        # §7.3
    "assigned": ((EXPERT, "assigned_expert"), (USER, "forwarded_user")),   # §8.2, §8.3
    "reassigned": ((EXPERT, "assigned_expert"), (PREVIOUS_EXPERT, "taken_expert")),
    "waiting": ((USER, "question_user"),),                       # §8.8, §9.5
    "resumed": ((EXPERT, "answer_expert"),),
    "delay_reported": ((USER, "delay_user"),),                   # §8.6
    "resolved": ((USER, "resolved_user"),),                      # §8.7
    "reopened": ((USER, "reopened_user"), (EXPERT, "reopened_expert")),    # §8.10
    "closed": ((USER, "closed_user"),),                          # §8.11
    "escalated": ((MANAGER, "escalation_manager"),),             # §8.4
    "reminded": ((EXPERT, "reminder_expert"),),                  # a deadline near
    "mail_received": ((EXPERT, "command_expert"),),              # the expert's word by mail, answered
}


def mails_for(kind: str, *, from_status: str | None = None, to_status: str | None = None,
              actor: str | None = None, data: Any = None) -> list[tuple[str, str]]:
    """The mails one event causes: [(role, mail kind)], in the order they are queued.

    - assigned: the user is told only when the request leaves `registered` (forwarded);
      an assignment after an expert's rejection tells the new expert alone.
    - resumed: the expert gets the user's answer unless the expert resumed it themselves.
    - reopened: the expert is told only when the request went back to them (in_progress).
    - mail_received: a confirmation to the expert only when their mail carried a command
      (`data["command"]`), acted on or not.
    """
    if isinstance(data, (str, bytes)):
        data = json.loads(data or "{}")
    data = data or {}
    rows = TABLE.get(kind, ())
    if kind == "assigned" and from_status != "registered":
        rows = tuple(r for r in rows if r[0] != USER)
    elif kind == "resumed" and (not data.get("expert") or actor == data.get("expert")):
        rows = ()
    elif kind == "reopened" and to_status != "in_progress":
        rows = tuple(r for r in rows if r[0] != EXPERT)
    elif kind == "reassigned" and not data.get("previous"):
        rows = tuple(r for r in rows if r[0] != PREVIOUS_EXPERT)
    elif kind == "mail_received" and not data.get("command"):
        rows = ()
    return list(rows)


#: Why a request was closed (the closing mail says it) [§8.10, §8.11].
CLOSE_WHY = ("confirmed", "no_objection", "operator")
