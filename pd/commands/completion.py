"""Shell completion: `pd completion bash|zsh|fish` prints the script (pd --install-completion installs it).

The completion of values (service and institution codes, experts, open request numbers) lives
in `complete_*` functions below; each imports the domain only when the shell asks, so the
commands themselves pay nothing for it.
"""
from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import _

SHELLS = ("bash", "zsh", "fish")


def completion(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.", metavar="SHELL")],
) -> None:
    """Print the shell's completion script for pd (commands, options, codes, experts, numbers).

    Example: pd completion bash > ~/.local/share/bash-completion/completions/pd
    (or once: pd --install-completion)
    """
    if shell not in SHELLS:
        raise typer.BadParameter(_("use one of {choices}").format(choices=", ".join(SHELLS)), param_hint="SHELL")
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="pd", complete_var="_PD_COMPLETE", shell=shell))


# ---------------------------------------------------------------- values, for the shell only
def _desk():
    from ..config import load_settings
    from ..desk import Desk

    return Desk(load_settings())


def _quiet(fn):
    """A completion that fails (no ledger yet, a bad YAML) offers nothing rather than a traceback."""
    def wrapper(incomplete: str):
        try:
            return list(fn(incomplete))
        except Exception:  # noqa: BLE001 - the shell shows nothing; the command will say what is wrong
            return []
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_quiet
def complete_service(incomplete: str):
    cat = _desk().catalog
    for s in cat.services.values():
        if s.code.lower().startswith(incomplete.lower()):
            yield (s.code, s.name.get("lv") or next(iter(s.name.values()), ""))


@_quiet
def complete_institution(incomplete: str):
    con = _desk().contacts
    for i in con.institutions.values():
        if i.code.lower().startswith(incomplete.lower()):
            yield (i.code, i.name)


@_quiet
def complete_expert(incomplete: str):
    con = _desk().contacts
    for p in con.staff.values():
        if p.has("expert") and p.login.lower().startswith(incomplete.lower()):
            yield (p.login, p.name)


@_quiet
def complete_channel(incomplete: str):
    from ..desk import CHANNELS

    return [c for c in CHANNELS if c.startswith(incomplete.lower())]


@_quiet
def complete_open_number(incomplete: str):
    return _desk().numbers(incomplete, open_only=True)


@_quiet
def complete_number(incomplete: str):
    return [number for number, _ in _desk().numbers(incomplete)]
