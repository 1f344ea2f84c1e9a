"""Regular expressions compiled on first use.

A module-level ``re.compile`` runs when the module is imported, and most of pd's patterns are
needed by few commands (a mail's wording, a duration in a catalog being checked): compiling them
all cost every command's start-up (docs/benchmarks.md, Start-up). ``LazyPattern(...)`` is used
like the compiled pattern it stands for.
"""
from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def __getattr__(self, name: str) -> Any:  # match, search, sub, finditer, findall, fullmatch, split, pattern…
        return getattr(self.compiled, name)
