"""Errors that reach the user: each names the file, line and field, and what was expected."""
from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else self.file
        return f"{location}: {self.field}: {self.message}" if self.field else f"{location}: {self.message}"


class SiteGenError(Exception):
    """An error the user can act on; the CLI prints it without a traceback."""


class ValidationError(SiteGenError):
    """Several problems found at once (records, config, captures)."""

    def __init__(self, problems: list[Problem], what: str = "invalid input"):
        self.problems = sorted(problems)
        super().__init__(f"{what}: {len(self.problems)} problem(s)\n" + "\n".join(map(str, self.problems)))


def describe_os_error(error: OSError | sqlite3.Error, command: str) -> str:
    """A file system error as the operator can act on it, naming the path."""
    if isinstance(error, sqlite3.Error):
        what, full = str(error), "disk is full" in str(error)
    else:
        path = f"{error.filename}: " if error.filename else ""
        what, full = f"{path}{error.strerror or error}", error.errno == errno.ENOSPC
    kept = {"build": "the published site is unchanged", "import": "content/ is unchanged",
            "digest": "the ledger keeps what was sent"}.get(command, "nothing half-written was kept")
    advice = "free some disk space and run it again" if full else "run it again once that is fixed"
    return f"{what}; {kept}: {advice}"
