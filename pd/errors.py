"""Exit codes (SPEC 11) and the domain errors that carry them.

One place maps a failure to its exit code: every domain error class names its
code, and the CLI's single handler prints ``Error: <message>`` on stderr and
exits with it.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    INVALID_INPUT = 3
    NOT_FOUND = 4
    INVALID_STATE = 5
    NOT_PERMITTED = 6
    CONFIG = 7
    TEMPORARY = 8


class PdError(Exception):
    """Base of every error pd reports to a person (never with a traceback)."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(PdError):
    exit_code = ExitCode.USAGE


class InvalidInput(PdError):
    exit_code = ExitCode.INVALID_INPUT


class NotFound(PdError):
    exit_code = ExitCode.NOT_FOUND


class InvalidState(PdError):
    exit_code = ExitCode.INVALID_STATE


class NotPermitted(PdError):
    exit_code = ExitCode.NOT_PERMITTED


class ConfigError(PdError):
    exit_code = ExitCode.CONFIG


class TemporaryFailure(PdError):
    exit_code = ExitCode.TEMPORARY


#: Errors no mail is to blame for (the configuration, the acting person, the ledger now): taking in
#: mail stops at one, and the mail stays with the mailbox or the MTA to be tried again.
DESK_FAULTS = (ConfigError, NotPermitted, TemporaryFailure)
