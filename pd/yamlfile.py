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

MAX_BYTES = 2 * 1024 * 1024  # a catalog is a few hundred lines; anything near this is a mistake


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
            raise ConfigError(f"{p}: {size} bytes is too large for a {what} file (limit {MAX_BYTES})")
        return p.read_bytes()
    except ConfigError:
        raise
    except FileNotFoundError as exc:
        hint = " (pd init puts the examples there)" if p.parent == config_dir() else ""
        raise ConfigError(f"{p}: {what} file not found{hint}") from exc
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the {what} file: {exc.strerror or exc}") from exc


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
                raise ConfigError(f"{path}:{key_node.start_mark.line + 1}: a key must be a plain value") from None
            if key in result:
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: duplicate key {key!r} "
                    f"(first at line {result.lines[key]})"
                )
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
            raise ConfigError(f"{path}:{node.start_mark.line + 1}: {node.value!r} is not a real date ({exc})") from None

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
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    try:
        doc = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: YAML nested too deeply") from exc
    if not isinstance(doc, LineDict):
        raise ConfigError(f"{path}:1: the file must be a mapping with 'version' at the top, not {type(doc).__name__}")
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
    return f" (did you mean {close[0]}?)" if close else f" (allowed: {', '.join(names)})"


def check_keys(node: Any, allowed, path: str | Path, what: str) -> None:
    """A strict schema: a key `allowed` does not name is an error at its own line, with a did-you-mean."""
    if not isinstance(node, dict):
        return
    for key in node:
        if key not in allowed:
            raise ConfigError(f"{path}:{line_of(node, key)}: unknown key {key!r} in {what}{did_you_mean(key, allowed)}")
