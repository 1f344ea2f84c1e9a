"""The `pd` command: joins the command groups and turns errors into one line and an exit code.

Commands are listed in `COMMANDS` below, one line each: the command's name and where it lives,
``"module:attribute"``. The attribute is a function (it becomes the command ``pd NAME``, its
docstring the help text) or a ``typer.Typer`` (it becomes the group ``pd NAME …``). Adding a
command module is adding its line(s) there, e.g.::

    "queue": "pd.commands.queue:queue",           # a function
    "intake": "pd.commands.intake:intake_app",    # a typer.Typer group

Nothing is imported or built until it is needed: a run imports the module of the command it
invokes and builds that one Typer command (a group builds only the subcommand invoked).
Building every command's parameters from its signature on every call cost more than
everything else pd does for ``pd show N --json`` (docs/benchmarks.md). ``pd --help`` reads
only the docstrings. A subcommand added to an existing group with ``@group_app.command()``
needs no line here.
"""
from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__, interrupts
from .errors import ExitCode, PdError
from .i18n import N_, _, language, ngettext

# name -> "module:attribute", in the order `pd --help` lists them (the process order).
COMMANDS: dict[str, str] = {
    "register": "pd.commands.requests:register",
    "assign": "pd.commands.requests:assign",
    "accept": "pd.commands.requests:accept",
    "reject": "pd.commands.requests:reject",
    "wait": "pd.commands.requests:wait",
    "resume": "pd.commands.requests:resume",
    "note": "pd.commands.requests:note",
    "resolve": "pd.commands.requests:resolve",
    "close": "pd.commands.requests:close",
    "reopen": "pd.commands.requests:reopen",
    "show": "pd.commands.requests:show",
    "list": "pd.commands.requests:list_",
    "queue": "pd.commands.queue:queue_",
    "search": "pd.commands.search:search",
    "escalate": "pd.commands.escalate:escalate",
    "escalate-overdue": "pd.commands.escalate:escalate_overdue",
    "mail": "pd.commands.mail:mail_app",
    "intake": "pd.commands.intake:intake_app",
    "explain": "pd.commands.calendar:explain",
    "calendar": "pd.commands.calendar:calendar_app",
    "report": "pd.commands.report:report_app",
    "init": "pd.commands.admin:init",
    "info": "pd.commands.admin:info",
    "doctor": "pd.commands.doctor:doctor",
    "catalog": "pd.commands.catalog:catalog_app",
    "contacts": "pd.commands.catalog:contacts_app",
    "config": "pd.commands.admin:config_app",
    "audit": "pd.commands.admin:audit_app",
    "db": "pd.commands.admin:db_app",
    "privacy": "pd.commands.privacy:privacy_app",
    "completion": "pd.commands.completion:completion",
}


def _resolve(spec: str) -> Any:
    module, _, attribute = spec.partition(":")
    return getattr(import_module(module), attribute)


class LazyGroup(TyperGroup):
    """A command group that builds a subcommand only when it is looked up.

    `lazy` maps a name to what builds it: a "module:attribute" string (the root's COMMANDS),
    a Typer CommandInfo or a Typer TyperInfo (a group's registered commands and groups)."""

    lazy: dict[str, Any]

    def list_commands(self, ctx):  # keep the order they were listed (the process order)
        return list(self.lazy) + [n for n in self.commands if n not in self.lazy]

    def _target(self, name: str) -> Any:
        target = self.lazy.get(name)
        return _resolve(target) if isinstance(target, str) else target

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.commands[cmd_name] = _build(cmd_name, self._target(cmd_name))
        return self.commands.get(cmd_name)

    def format_commands(self, ctx, formatter) -> None:
        """`--help` lists the commands from their docstrings, without building them."""
        rows = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        for name in names:
            cmd = self.commands.get(name) or TyperCommand(name=name, help=_(_help_of(self._target(name))))
            if not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)


def _help_of(target: Any) -> str:
    import inspect

    from typer.models import CommandInfo, TyperInfo

    if isinstance(target, typer.Typer):
        target = TyperInfo(target)
    if isinstance(target, TyperInfo):
        from typer.main import solve_typer_info_help

        return solve_typer_info_help(target) or ""
    if isinstance(target, CommandInfo):
        return inspect.cleandoc(target.help) if target.help else (inspect.getdoc(target.callback) or "")
    return inspect.getdoc(target) or ""


# An option's value as --help shows it, by its type, where the command names none (Typer: "<str>")
METAVARS = {"str": N_("<text>"), "text": N_("<text>"), "integer": N_("<number>"), "int range": N_("<number>"),
            "float": N_("<number>"), "float range": N_("<number>"), "directory": N_("<directory>"),
            "file": N_("<file>"), "path": N_("<path>")}


def _speak(cmd):
    """A built command's help in the desk's language (the catalog holds each text as Typer gives it).
    The English is kept beside it, so the same command can speak again in another language (tests
    run many commands, in both languages, in one process)."""
    for owner in (cmd, *cmd.params):
        english = owner.__dict__.setdefault("_pd_english", {})
        for attr in ("help", "short_help"):
            text = english.get(attr) or getattr(owner, attr, None)
            if text:
                english[attr] = text
                setattr(owner, attr, _(text))
        if owner is cmd:  # the usage line's "[OPTIONS]" and a group's "COMMAND [ARGS]..."
            for attr in ("options_metavar", "subcommand_metavar"):
                text = english.get(attr) or getattr(cmd, attr, None)
                if text:
                    english[attr] = text
                    setattr(cmd, attr, _(text))
        if owner is not cmd and owner.param_type_name == "option" and not getattr(owner, "is_flag", False):
            shown = english.get("metavar") or (METAVARS.get(owner.type.name) if owner.metavar is None else None)
            if shown:
                english["metavar"] = shown
                owner.metavar = _(shown)
    return cmd


def _speak_again(group) -> None:
    """Every command built so far speaks the desk's language (it changed since they were built)."""
    _speak(group)
    for cmd in getattr(group, "commands", {}).values():
        _speak_again(cmd) if hasattr(cmd, "commands") else _speak(cmd)


def _build(name: str, target: Any):
    from typer.main import get_command_from_info
    from typer.models import CommandInfo, TyperInfo

    if isinstance(target, typer.Typer):
        target = TyperInfo(target, name=name)
    if isinstance(target, TyperInfo):
        return lazy_group(target)
    if not isinstance(target, CommandInfo):
        target = CommandInfo(name=name, callback=target)
    _evaluate_annotations(target.callback)
    return _speak(get_command_from_info(target, pretty_exceptions_short=app.pretty_exceptions_short,
                                        rich_markup_mode=app.rich_markup_mode))


def _evaluate_annotations(callback: Any) -> None:
    """Evaluate a command's annotations once, before Typer reads them.

    The command modules use ``from __future__ import annotations``, so each annotation is a
    string, and Typer reads them four times while building one command (inspect.signature with
    eval_str and typing.get_type_hints, each twice), compiling and evaluating every string each
    time: for `pd register`'s 21 options that was a fifth of the whole run. Evaluated here once,
    they are the objects Typer would have found without the future import."""
    import inspect

    if callback is not None and any(isinstance(a, str) for a in getattr(callback, "__annotations__", {}).values()):
        callback.__annotations__ = inspect.get_annotations(callback, eval_str=True)


def lazy_group(info, lazy: dict[str, Any] | None = None):
    """The Click group of a Typer app (TyperInfo) whose subcommands are built on first use."""
    from typer.main import get_command_name, get_group_from_info
    from typer.models import DefaultPlaceholder

    inner = info.typer_instance
    if lazy is None:
        lazy = {}
        for c in inner.registered_commands:
            lazy[c.name or get_command_name(c.callback.__name__)] = c
        for g in inner.registered_groups:
            lazy[g.name if not isinstance(g.name, DefaultPlaceholder) else g.typer_instance.info.name] = g
    if inner.registered_callback is not None:
        _evaluate_annotations(inner.registered_callback.callback)
    cls = inner.info.cls if not isinstance(inner.info.cls, DefaultPlaceholder) else None
    if cls is None or not issubclass(cls, LazyGroup):
        info.cls = LazyGroup
    saved = inner.registered_commands, inner.registered_groups
    inner.registered_commands, inner.registered_groups = [], []  # Typer would build them all
    try:
        # the root's settings hold for every group (no rich help, our own error handling)
        group = get_group_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                    rich_markup_mode=app.rich_markup_mode, suggest_commands=inner.suggest_commands)
    finally:
        inner.registered_commands, inner.registered_groups = saved
    group.lazy = lazy
    return _speak(group)


# ---------------------------------------------------------------- Click's own words
# Typer (0.28) carries its own copy of Click, whose words are English literals, not gettext: the
# usage line, the help option, and the usage errors. They are said in the desk's language here:
# the prefix and the help option's text by the catalog, the errors rebuilt from what each
# exception holds (its parameter, its option) or, for a message already made, by its pattern.
_CLICK_PATTERNS = (
    (r"(?P<value>.*) is not a valid (?:integer|int range)\.", N_("{value} is not a whole number.")),
    (r"(?P<value>.*) is not a valid (?:float|float range)\.", N_("{value} is not a number.")),
    (r"(?P<value>.*) is not in the range (?P<range>.*)\.", N_("{value} is not in the range {range}.")),
    (r"(?P<value>.*) is not a valid boolean\. Recognized values: (?P<states>.*)",
     N_("{value} is not yes or no; use one of: {states}")),
    (r"(?P<value>.*) does not match the formats? (?P<formats>.*)\.", N_("{value} does not match the format {formats}.")),
    (r"(?P<value>.*) is not a valid UUID\.", N_("{value} is not a valid UUID.")),
    (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", N_("Unexpected extra arguments: {args}")),
    (r"Option (?P<name>.*) requires an argument\.", N_("Option {name} requires a value.")),
    (r"Option (?P<name>.*) requires (?P<n>\d+) arguments\.", N_("Option {name} requires {n} values.")),
    (r"Option (?P<name>.*) does not take a value\.", N_("Option {name} does not take a value.")),
    (r"Argument (?P<name>.*) takes (?P<n>\d+) values\.", N_("Argument {name} takes {n} values.")),
    (r"Takes (?P<n>\d+) values but (?P<given>\d+) given\.", N_("Takes {n} values, {given} given.")),
    (r"(?P<len_type>\d+) values are required, but (?P<given>\d+) given\.", N_("Takes {n} values, {given} given.")),
)


def _click_words(message: str) -> str:
    """A message Typer's Click made in English, in the desk's language (unknown ones stay: pd's own
    messages are translated where they are raised)."""
    import re

    head, sep, suggestion = message.partition(". Did you mean ")  # Typer's own suggestion of a command
    if sep and suggestion.endswith("?"):
        names = suggestion[:-1]
        return _click_words(head + ".") + " " + ngettext(
            "Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)",
            names.count(",") + 1).format(possibility=names, possibilities=names)
    for pattern, msgid in _CLICK_PATTERNS:
        m = re.fullmatch(pattern, message, re.DOTALL)
        if m:
            values = m.groupdict()
            if "len_type" in values:
                values["n"] = values.pop("len_type")
            return _(msgid).format(**values)
    return message


def _usage_error_text(exc) -> str:
    """What a usage error says, in the desk's language (Click's format_message, word for word)."""
    from typer._click import exceptions as e

    if isinstance(exc, e.MissingParameter):
        hint = e._join_param_hints(exc.param_hint if exc.param_hint is not None
                                   else exc.param.get_error_hint(exc.ctx) if exc.param is not None else None)
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else None)
        missing = {"argument": _("Missing argument {name}."), "option": _("Missing option {name}.")}.get(
            kind, _("Missing parameter {name}."))
        text = " ".join(missing.format(name=hint or "").split())
        extra = exc.param.type.get_missing_message(param=exc.param, ctx=exc.ctx) if exc.param is not None else None
        return " ".join(x for x in (text, _click_words(exc.message) if exc.message else "", extra) if x)
    if isinstance(exc, e.NoSuchOption):
        from typer._click.utils import _escape_control_characters

        name = _escape_control_characters(exc.option_name)
        text = (_("No such option: {name}").format(name=name) if exc.message == f"No such option: {name}"
                else _click_words(exc.message))
        if exc.possibilities:
            text += " " + _("(Possible options: {options})").format(options=", ".join(sorted(exc.possibilities)))
        return text
    if isinstance(exc, e.BadParameter):
        hint = exc.param_hint if exc.param_hint is not None else (
            exc.param.get_error_hint(exc.ctx) if exc.param is not None else None)
        if hint is None:
            return _("Invalid value: {message}").format(message=_click_words(exc.message))
        return _("Invalid value for {param_hint}: {message}").format(
            param_hint=e._join_param_hints(hint), message=_click_words(exc.message))
    if isinstance(exc, e.FileError):
        return _("Could not open file {filename}: {message}").format(filename=repr(exc.ui_filename), message=exc.message)
    return _click_words(exc.format_message())


def _show_usage_error(exc, file=None) -> None:
    """Click's UsageError.show, in the desk's language: the usage line, where to find help, the error."""
    from typer._click.utils import echo

    color = None
    if exc.ctx is not None:
        hint = ""
        if exc.ctx.command.get_help_option(exc.ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(
                command=exc.ctx.command_path, option=max(exc.ctx.help_option_names, key=len)) + "\n"
        color = exc.ctx.color
        echo(f"{exc.ctx.get_usage()}\n{hint}", file=file, err=file is None, color=color)
    echo(_("Error: {message}").format(message=_usage_error_text(exc)), file=file, err=file is None, color=color)


def _show_error(exc, file=None) -> None:
    from typer._click.utils import echo

    echo(_("Error: {message}").format(message=_usage_error_text(exc)), file=file, err=file is None,
         color=exc.show_color)


def _speak_click() -> None:
    """Point Typer's Click at the desk's language (attributes only: nothing is imported or built)."""
    from typer._click import core, exceptions, formatting

    if getattr(formatting.HelpFormatter, "_pd", False):
        return
    write_usage = formatting.HelpFormatter.write_usage
    get_help_option = core.Command.get_help_option

    def usage(self, prog, args="", prefix=None):
        return write_usage(self, prog, args, _("Usage:") + " " if prefix is None else prefix)

    def help_option(self, ctx):
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = _("Show this message and exit.")
        return option

    formatting.HelpFormatter.write_usage = usage
    formatting.HelpFormatter._pd = True
    core.Command.get_help_option = help_option
    exceptions.UsageError.show = _show_usage_error
    exceptions.ClickException.show = _show_error


class PdGroup(LazyGroup):
    """Every command runs through here: a PdError becomes `Error: …` on stderr and its exit code."""

    lazy = COMMANDS
    _spoken: str | None = None  # the language the commands built so far speak

    def make_context(self, *args, **kwargs):
        lang = language()
        if self._spoken != lang:  # the root's own help and options (and any built before, in another language)
            self._spoken = lang
            _speak_again(self)
            _speak_click()
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:  # Click would say "Aborted!" with exit 1
            _fail(interrupts.words("startup"), ExitCode.TEMPORARY)
        except Exception as exc:  # noqa: BLE001 - Click's usage errors, printed by Click (exit 2)
            _clean_usage_error(exc)
            raise

    def invoke(self, ctx):
        interrupts.reset()
        previous = interrupts.install()
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
            # Honest: "nothing was changed" only when no transaction of this command committed.
            _fail(*interrupts.interrupted_message())
        except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for a person
            import peewee

            if isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith("typer"):
                _clean_usage_error(exc)
                raise
            if isinstance(exc, peewee.OperationalError):
                from .ledger import classify_operational_error

                mapped = classify_operational_error(exc)
                _fail(str(mapped), getattr(mapped, "exit_code", ExitCode.INTERNAL), exc)
            if isinstance(exc, peewee.DatabaseError):
                _fail(_("database error: {detail}").format(
                      detail=str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
                      ExitCode.CONFIG, exc)
            if isinstance(exc, OverflowError):  # a date or number past what Python or the database holds
                _fail(_("a value is out of range: {detail}").format(detail=exc), ExitCode.INVALID_INPUT, exc)
            if isinstance(exc, OSError) and exc.errno in (28, 30):  # ENOSPC, EROFS
                if exc.filename:
                    what = (_("the disk is full: {file}") if exc.errno == 28
                            else _("the file system is read-only: {file}")).format(file=exc.filename)
                else:
                    what = _("the disk is full") if exc.errno == 28 else _("the file system is read-only")
                _fail(what, ExitCode.CONFIG, exc)
            _fail(_("internal error: {kind}: {detail} (PD_DEBUG=1 shows the traceback)").format(
                      kind=type(exc).__name__, detail=exc),
                  ExitCode.INTERNAL, exc)
        finally:
            if interrupts.release(stay_held=True):  # a Ctrl-C held while the stored change printed its output
                sys.stderr.write(interrupts.words("late") + "\n")
            interrupts.restore(previous)


def _fail(message: str, code: int, exc: BaseException | None = None) -> None:
    if exc is not None and os.environ.get("PD_DEBUG") not in (None, "", "0"):
        import traceback

        traceback.print_exception(exc)
    sys.stderr.write(_("Error: {message}").format(message=error_text(message)) + "\n")
    raise typer.Exit(int(code))


def _clean_usage_error(exc: BaseException) -> None:
    """Click prints its usage errors itself (exit 2): their message gets the same care as ours."""
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        exc.message = error_text(message)  # type: ignore[attr-defined]


LONG_WORD = 256     # a value longer than this is cut in an error message (a file path is not)…
LONG_MESSAGE = 1000  # …and so is a message longer than this


def error_text(message: str) -> str:
    """An error message fit to print: a long value is cut (a 5,000-character argument is not
    repeated), whatever the password guard flags is [REDACTED] (a password typed into --phone does
    not come back in the phone's error), and control characters are shown, not obeyed."""
    import re

    from .guard import redact
    from .visible import visible

    def shortened(start: str, n: int) -> str:
        return ngettext("{start}…({n} character)", "{start}…({n} characters)", n).format(start=start, n=n)

    def cut(m: re.Match) -> str:
        word = m.group()
        return shortened(word[:60], len(word))

    text = re.sub(rf"\S{{{LONG_WORD + 1},}}", cut, message)
    if len(text) > LONG_MESSAGE:
        text = shortened(text[:LONG_MESSAGE - 40], len(message))
    return visible(redact(text))


app = typer.Typer(
    cls=PdGroup,
    help="pd — the Service Desk ledger of the IeM Information Centre (internal rules No. 3P).\n\n"
    "Operators register and forward users' requests; experts accept, report and resolve; cron escalates "
    "what is overdue and sends the mail; supervisors send the monthly reports.",
    no_args_is_help=True,
    add_completion=False,  # our own two options below: Typer's build them on every call (~2 ms)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"pd {__version__}")
        raise typer.Exit()


def _completion(install: bool):
    def callback(ctx, param, value):
        if value and not ctx.resilient_parsing:
            from typer.completion import install_callback, show_callback

            (install_callback if install else show_callback)(ctx, param, value)
        return value
    return callback


@app.callback()
def main_callback(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    install_completion: bool = typer.Option(False, "--install-completion", callback=_completion(True), is_eager=True,
                                            expose_value=False, help="Install completion for the current shell."),
    show_completion: bool = typer.Option(False, "--show-completion", callback=_completion(False), is_eager=True,
                                         expose_value=False, help="Show the completion script for the current shell."),
) -> None:
    """Acting person: PD_USER (else the login name); ledger: PD_DATABASE_URL. See README for the rest."""


_evaluate_annotations(main_callback)


def main() -> None:
    if "_PD_COMPLETE" in os.environ:  # the shell asks for completions: Typer's completion classes
        from typer._completion_classes import completion_init

        completion_init()
    app(prog_name="pd")


if __name__ == "__main__":  # pragma: no cover
    main()
