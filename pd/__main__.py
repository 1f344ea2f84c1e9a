"""The `pd` process: the console script and `python -m pd` both start here.

Loading pd.cli (Typer, Click and pd's command table) allocates tens of thousands of objects that
live until the process ends. The cyclic garbage collector would walk them again and again while
they are being created, and on every later collection, finding nothing to free: it is off while
they load, and `gc.freeze()` then sets them aside, so the command runs with the collector as
usual but without that load (docs/benchmarks.md, Start-up). Nothing is frozen at the end: the
exit's last collection is what closes the database connection (peewee keeps it in a cycle).
"""
import gc


def main() -> None:
    gc.disable()
    try:
        from .cli import main as run
    finally:
        gc.freeze()
        gc.enable()
    run()


if __name__ == "__main__":
    main()
