"""The `pd` process: the console script and `python -m pd` both start here.

Loading pd.cli (Typer, Click and pd's command table) allocates tens of thousands of objects that
live until the process ends. The cyclic garbage collector would walk them again and again while
they are being created, and on every later collection, finding nothing to free: it is off while
they load, and `gc.freeze()` then sets them aside, so the command runs with the collector as
usual but without that load (docs/benchmarks.md, Start-up). Nothing is frozen at the end: the
exit's last collection is what closes the database connection (peewee keeps it in a cycle).

SIGINT goes through pd.interrupts from the first line pd runs: a Ctrl-C while the modules load
is one line and exit 8; in a command, pd.cli says honestly whether anything was stored.
"""
import gc
import sys


def main() -> None:
    try:
        gc.disable()
        try:
            from . import interrupts

            interrupts.install()  # from here SIGINT goes through pd.interrupts
            from .cli import main as run
        finally:
            gc.freeze()
            gc.enable()
        run()
    except KeyboardInterrupt:  # Ctrl-C while pd loads: one line, never a traceback (nothing was changed yet)
        from . import interrupts

        sys.exit(interrupts.outside_command())


if __name__ == "__main__":
    main()
