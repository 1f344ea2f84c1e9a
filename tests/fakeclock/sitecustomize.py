"""For tests only: a `pd` subprocess whose clock reads PD_TEST_CLOCK (frozen), as the `clock`
fixture does in-process. `pd escalate-overdue --now` later than the clock is refused (SPEC 5),
so a test that plays a scenario in 2027 runs the process at that time. Put on PYTHONPATH by
tests.conftest.clock_env; pd itself has no way to set its clock."""
import os

if os.environ.get("PD_TEST_CLOCK"):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import pd.desk
    import pd.ledger

    _at = datetime.fromisoformat(os.environ["PD_TEST_CLOCK"])
    if _at.tzinfo is None:
        _at = _at.replace(tzinfo=ZoneInfo("Europe/Riga"))
    pd.ledger.utcnow = pd.desk.utcnow = lambda: _at
