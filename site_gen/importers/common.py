"""What every capture reader shares: the imported-paper shape, dates without a year, errors."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import Problem, ValidationError
from ..records import Paper

MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
MONTH = "(?:" + "|".join(MONTHS) + ")"
# "Sep 26, 2019" or "Mar 19": month, day, optional year
DATE = rf"(?P<month>{MONTH}) (?P<day>\d{{1,2}})(?:, (?P<year>\d{{4}}))?"
ARXIV_ID = re.compile(r"(?:arXiv:)?(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)


class CaptureError(ValidationError):
    """A capture that cannot be imported; names the file and line."""

    def __init__(self, file: str, line: int, message: str, field: str = ""):
        super().__init__([Problem(file, line, field, message)], "cannot import")


@dataclass(frozen=True)
class Imported:
    """A paper read from a capture, before it is merged into content/."""
    paper: Paper
    id_from_title: bool = False   # the id is a title slug: may need -2, -3 … when merged
    update_only: bool = False     # arXiv `replace` announcements update, never create


def resolve_date(match: re.Match, as_of: dt.date, file: str, line: int) -> dt.date:
    """A captured date; a yearless one gets the as-of year, or the year before if it would be later."""
    month, day = MONTHS[match["month"]], int(match["day"])
    year = int(match["year"]) if match["year"] else as_of.year
    try:
        date = dt.date(year, month, day)
        if not match["year"] and date > as_of:
            date = dt.date(year - 1, month, day)
    except ValueError:
        raise CaptureError(file, line, f"not a real date: {match.group(0)!r}") from None
    return date


def one_line(text: str) -> str:
    return " ".join(text.split())


def arxiv_record_id(text: str) -> str | None:
    """The record id for an arXiv identifier (version dropped; old-style 'hep-th/9901001' → 'hep-th_9901001')."""
    match = ARXIV_ID.search(text or "")
    return match.group(1).replace("/", "_") if match else None


def arxiv_links(arxiv_id: str) -> tuple[tuple[str, str], ...]:
    native = arxiv_id.replace("_", "/")
    return (("arxiv", f"https://arxiv.org/abs/{native}"), ("pdf", f"https://arxiv.org/pdf/{native}"))
