"""Errors that reach the user: each names the file, line and field, and what was expected."""
from __future__ import annotations

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
