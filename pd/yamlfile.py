"""Read a YAML file into plain data that remembers the line of every key.

Validation errors then name `file:line` (SPEC 7). Duplicate keys, which YAML
parsers silently accept, are errors here.
"""
from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any

from .config import config_dir
from .errors import ConfigError
from .i18n import N_, _

MAX_BYTES = 2 * 1024 * 1024  # a catalog is a few hundred lines; anything near this is a mistake

# What read_bytes says, per kind of file (whole sentences: Latvian declines "catalog" and "contacts").
READ_ERRORS = {
    "catalog": {"large": N_("{path}: {size} bytes is too large for a catalog file (limit {limit})"),
                "missing": N_("{path}: catalog file not found"),
                "missing_here": N_("{path}: catalog file not found (pd init puts the examples there)"),
                "unreadable": N_("{path}: cannot read the catalog file: {error}")},
    "contacts": {"large": N_("{path}: {size} bytes is too large for a contacts file (limit {limit})"),
                 "missing": N_("{path}: contacts file not found"),
                 "missing_here": N_("{path}: contacts file not found (pd init puts the examples there)"),
                 "unreadable": N_("{path}: cannot read the contacts file: {error}")},
}


# Python's own words on a date or time that does not exist (datetime's constructors), said in the desk's
# language; anything else is shown as Python said it.
_DATE_ERRORS = {
    "day is out of range for month": N_("the month has no such day"),
    "month must be in 1..12": N_("the month must be 1 to 12"),
    "hour must be in 0..23": N_("the hour must be 0 to 23"),
    "minute must be in 0..59": N_("the minute must be 0 to 59"),
    "second must be in 0..59": N_("the second must be 0 to 59"),
    "date value out of range": N_("the date is outside the years 1 to 9999"),
}


def date_error(exc: Exception) -> str:
    """Why a date cannot be, in the desk's language ("year 10000 is out of range": years 1 to 9999)."""
    text = str(exc)
    known = _DATE_ERRORS.get(text)
    if known is not None:
        return _(known)
    if text.startswith("year ") and text.endswith(" is out of range"):
        return _("the year must be 1 to 9999")
    return text


class LineDict(dict):
    """A mapping with `line` (its own), `lines` (each key's) and `texts` (each plain scalar value as
    written: `version: 2026.10` is the text "2026.10", not the float 2026.1)."""

    line: int = 0
    lines: dict[Any, int]
    texts: dict[Any, str]


def text_of(node: Any, key: Any) -> str:
    """The value of `key` as the file wrote it (a number keeps its digits), else str(value)."""
    texts = getattr(node, "texts", None)
    if isinstance(texts, dict) and key in texts:
        return texts[key]
    return str(node[key])


class LineList(list):
    line: int = 0
    lines: list[int]


def read_bytes(path: str | Path, what: str) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(_(READ_ERRORS[what]["large"]).format(path=p, size=size, limit=MAX_BYTES))
        return p.read_bytes()
    except ConfigError:
        raise
    except FileNotFoundError as exc:
        key = "missing_here" if p.parent == config_dir() else "missing"
        raise ConfigError(_(READ_ERRORS[what][key]).format(path=p)) from exc
    except OSError as exc:
        raise ConfigError(_(READ_ERRORS[what]["unreadable"]).format(path=p, error=exc.strerror or exc)) from exc



def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse(data: bytes, path: str | Path) -> LineDict:
    """Parse YAML text; raise ConfigError('file:line: reason') on any problem."""
    import yaml  # lazy: start-up; a file the ledger has a snapshot of is never parsed

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def construct_mapping(loader, node, deep=False):  # noqa: ANN001
        loader.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.lines = {}
        result.texts = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise ConfigError(_("{path}:{line}: a key must be a plain value").format(
                    path=path, line=key_node.start_mark.line + 1)) from None
            if key in result:
                raise ConfigError(_("{path}:{line}: duplicate key {key} (first at line {first})").format(
                    path=path, line=key_node.start_mark.line + 1, key=repr(key), first=result.lines[key]))
            result[key] = loader.construct_object(value_node, deep=True)
            result.lines[key] = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.ScalarNode) and not value_node.style:  # plain (C loader: "")
                result.texts[key] = value_node.value
        return result

    def construct_timestamp(loader, node):  # noqa: ANN001
        """A date that does not exist (2028-02-30) is the file's error at its line, not pd's crash."""
        try:
            return base.construct_yaml_timestamp(loader, node)
        except (ValueError, OverflowError) as exc:
            raise ConfigError(_("{path}:{line}: {value} is not a real date ({error})").format(
                path=path, line=node.start_mark.line + 1, value=repr(node.value), error=date_error(exc))) from None

    def construct_sequence(loader, node, deep=False):  # noqa: ANN001
        result = LineList(loader.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.lines = [child.start_mark.line + 1 for child in node.value]
        return result

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_sequence)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(_("{path}: not UTF-8 text (byte {byte})").format(path=path, byte=exc.start)) from exc
    try:
        doc = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(_("{path}:{line}: invalid YAML: {error}").format(
            path=path, line=line, error=exc.problem or exc.context)) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(_("{path}: invalid YAML: {error}").format(path=path, error=exc)) from exc
    except RecursionError as exc:
        raise ConfigError(_("{path}: YAML nested too deeply").format(path=path)) from exc
    if not isinstance(doc, LineDict):
        kind = (_("an empty file") if doc is None else _("a list") if isinstance(doc, list)
                else _("a text") if isinstance(doc, str) else _("a single value"))
        raise ConfigError(_("{path}:1: the file must be a mapping with 'version' at the top, not {type}").format(
            path=path, type=kind))
    return doc


def line_of(obj: Any, key: Any = None) -> int:
    if key is not None:
        lines = getattr(obj, "lines", None)
        if isinstance(lines, dict) and key in lines:
            return lines[key]
        if isinstance(lines, list) and isinstance(key, int) and key < len(lines):
            return lines[key]
    return getattr(obj, "line", 0)


def line_at(obj: Any, path: tuple) -> int:
    """The line of the deepest key of `path` (keys and list indexes) that `obj` holds."""
    line = getattr(obj, "line", 0)
    for key in path:
        found = line_of(obj, key)
        if found:
            line = found
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            break
    return line


def did_you_mean(word: Any, choices) -> str:
    """' (did you mean needs_location?)' for a near miss, else the allowed names."""
    names = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    if close:
        return _(" (did you mean {name}?)").format(name=close[0])
    return _(" (allowed: {names})").format(names=", ".join(names))


def check_keys(node: Any, allowed, path: str | Path, what: str) -> None:
    """A strict schema: a key `allowed` does not name is an error at its own line, with a did-you-mean."""
    if not isinstance(node, dict):
        return
    for key in node:
        if key not in allowed:
            raise ConfigError(_("{path}:{line}: unknown key {key} in {what}{hint}").format(
                path=path, line=line_of(node, key), key=repr(key), what=_(what), hint=did_you_mean(key, allowed)))

