"""When each cron job last ran (SPEC 16: `pd doctor` asks). The jobs record themselves: one row
per job in `job_run`, rewritten at the end of every run that was not a dry run."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from . import ledger
from .db.connection import write_transaction
from .db.models import JobRun
from .errors import PdError
from .i18n import _

# job -> how long it may go without a clean run before pd doctor calls for an admin
# (cron: every 5 minutes, every minute, daily).
JOBS: dict[str, int] = {"escalate-overdue": 15 * 60, "mail send": 5 * 60, "close --auto": 26 * 3600}


def record(job: str, error: str | None = None) -> None:
    """This run of `job` ended (cleanly when `error` is None), in a transaction of its own."""
    now = ledger.utcnow()
    values = {JobRun.last_run_at: now, JobRun.last_error: error}
    if error is None:
        values[JobRun.last_ok_at] = now
    with write_transaction():
        JobRun.insert({JobRun.job: job, **values}).on_conflict(
            conflict_target=[JobRun.job], update=values).execute()


@contextmanager
def recorded(job: str) -> Iterator[None]:
    """Record the run of `job` in the block: clean, or with the error that ended it (which stands)."""
    assert job in JOBS, job
    try:
        yield
    except PdError as exc:
        try:
            record(job, str(exc))
        except Exception:  # noqa: BLE001 - the ledger may be why it failed: the job's own error is the one to show
            pass
        raise
    try:
        record(job)
    except PdError as exc:  # the job's work is done and stands; pd doctor will say the run is missing
        sys.stderr.write(_("Warning: this run of {job} was not recorded for pd doctor: {error}").format(
            job=job, error=exc) + "\n")
