"""The `pd` command: joins the command groups and turns errors into one line and an exit code."""
from __future__ import annotations

import os
import sys

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import ExitCode, PdError


class PdGroup(TyperGroup):
    """Every command runs through here: a PdError becomes `Error: …` on stderr and its exit code."""

    def list_commands(self, ctx):  # keep the order commands were added (the process order)
        return list(self.commands)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PdError as exc:
            _fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            # The reader went away (pd list | head): not an error of ours. Quiet the final
            # flush of stdout and exit as a process killed by SIGPIPE would.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(141) from None
        except KeyboardInterrupt:
            _fail("interrupted; nothing was changed by the unfinished command", ExitCode.TEMPORARY)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for a person
            import peewee

            if isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith("typer"):
                raise
            if isinstance(exc, peewee.OperationalError):
                from .db.connection import classify_operational_error

                mapped = classify_operational_error(exc)
                _fail(str(mapped), getattr(mapped, "exit_code", ExitCode.INTERNAL), exc)
            if isinstance(exc, peewee.DatabaseError):
                _fail(f"database error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                      ExitCode.CONFIG, exc)
            if isinstance(exc, OSError) and exc.errno in (28, 30):  # ENOSPC, EROFS
                _fail(f"{exc.strerror}: {exc.filename or ''}".rstrip(": "), ExitCode.CONFIG, exc)
            _fail(f"internal error: {type(exc).__name__}: {exc} (PD_DEBUG=1 shows the traceback)",
                  ExitCode.INTERNAL, exc)


def _fail(message: str, code: int, exc: BaseException | None = None) -> None:
    if exc is not None and os.environ.get("PD_DEBUG") not in (None, "", "0"):
        import traceback

        traceback.print_exception(exc)
    sys.stderr.write(f"Error: {message}\n")
    raise typer.Exit(int(code))


app = typer.Typer(
    cls=PdGroup,
    help="pd — the Service Desk ledger of the IeM Information Centre (internal rules No. 3P).\n\n"
    "Operators register and forward users' requests; experts accept, report and resolve; cron escalates "
    "what is overdue and sends the mail; supervisors send the monthly reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"pd {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Acting person: PD_USER (else the login name); ledger: PD_DATABASE_URL. See README for the rest."""


from .commands import requests as _requests  # noqa: E402
from .commands import escalate as _escalate  # noqa: E402
from .commands import mail as _mail  # noqa: E402
from .commands import mail_fetch as _mail_fetch  # noqa: E402
from .commands import calendar as _calendar  # noqa: E402
from .commands import report as _report  # noqa: E402
from .commands import admin as _admin  # noqa: E402
from .commands import intake as _intake  # noqa: E402
from .commands import queue as _queue  # noqa: E402
from .commands import search as _search  # noqa: E402

_requests.register_commands(app)
_escalate.register_commands(app)
_mail.register_commands(app)
_mail_fetch.register_commands(app)
_calendar.register_commands(app)
_report.register_commands(app)
_admin.register_commands(app)
_intake.register_commands(app)
_queue.register_commands(app)
_search.register_commands(app)


def main() -> None:
    app(prog_name="pd")


if __name__ == "__main__":  # pragma: no cover
    main()
