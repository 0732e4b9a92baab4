"""`daily-text`: the saved text of a Daily Papers listing page (captures.md §1)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..records import Paper
from ..slugs import slugify
from .common import DATE, CaptureError, Imported, one_line, resolve_date

FORMAT = "daily-text"
HEADER_LINES = {"new", "get trending papers in your email inbox!", "subscribe", "daily papers"}
BYLINE = re.compile(r"by ?AK and the research community", re.IGNORECASE)
PAGE_DATE = re.compile(rf"{DATE}")
AUTHOR_COUNT = re.compile(r"•\s*(\d+)\s+authors?")
ORGANIZATION = re.compile(r"(\S+)\s+(\S.*)")
META_DATE = re.compile(rf"{DATE}(?: (?P<votes>\d+))?")


@dataclass
class Paragraph:
    line: int          # 1-based line number of its first line
    lines: list[str]   # stripped

    @property
    def is_meta(self) -> bool:
        return len(self.lines) == 3 and self.lines[1] == "·"


def paragraphs(text: str) -> list[Paragraph]:
    found: list[Paragraph] = []
    current: Paragraph | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current = None
        elif current is None:
            current = Paragraph(number, [line])
            found.append(current)
        else:
            current.lines.append(line)
    return found


def is_header(paragraph: Paragraph) -> bool:
    return all(line.casefold() in HEADER_LINES or BYLINE.fullmatch(line) for line in paragraph.lines)


def looks_like(text: str) -> bool:
    first = [p for p in paragraphs(text[:2000])][:6]
    return any(is_header(p) and any(l.casefold() == "daily papers" or BYLINE.fullmatch(l) for l in p.lines)
               for p in first)


def parse(text: str, file: str, as_of: dt.date) -> list[Imported]:
    blocks = paragraphs(text)
    position = 0
    while position < len(blocks) and is_header(blocks[position]):
        position += 1
    page_date = None
    if position < len(blocks) and len(blocks[position].lines) == 1 and PAGE_DATE.fullmatch(blocks[position].lines[0]):
        page_date = resolve_date(PAGE_DATE.fullmatch(blocks[position].lines[0]), as_of, file, blocks[position].line)
        position += 1
    papers = []
    while position < len(blocks):
        title = blocks[position]
        if len(title.lines) != 1 or title.is_meta:
            raise CaptureError(file, title.line, "expected a paper title on one line, followed by its abstract "
                               "and optionally a meta block (• N authors or organisation / · / date)")
        position += 1
        abstract = ""
        if position < len(blocks) and len(blocks[position].lines) == 1:
            abstract = blocks[position].lines[0]
            position += 1
        meta = None
        if position < len(blocks) and blocks[position].is_meta:
            meta = blocks[position]
            position += 1
        elif position < len(blocks) and len(blocks[position].lines) != 1:
            raise CaptureError(file, blocks[position].line, "expected a meta block of three lines "
                               "(• N authors or organisation / · / date [votes])")
        papers.append(Imported(_paper(title, abstract, meta, page_date or as_of, file, as_of), id_from_title=True))
    return papers


def _paper(title: Paragraph, abstract: str, meta: Paragraph | None, default_date: dt.date,
           file: str, as_of: dt.date) -> Paper:
    text = one_line(title.lines[0])
    if len(text) > 500:
        raise CaptureError(file, title.line, "expected a title of at most 500 characters; "
                           "is a title or an abstract missing above this line?")
    fields: dict = {"id": slugify(text), "title": text, "abstract": abstract, "date": default_date,
                    "source": f"{file.rsplit('/', 1)[-1]} ({FORMAT})"}
    if meta:
        who, _dot, when = meta.lines
        if (count := AUTHOR_COUNT.fullmatch(who)):
            fields["author_count"] = int(count.group(1))
        elif (org := ORGANIZATION.fullmatch(who)):
            fields["organization"] = org.group(2)
        else:
            fields["organization"] = who
        date = META_DATE.fullmatch(when)
        if not date:
            raise CaptureError(file, meta.line + 2, "expected a date such as 'Sep 26, 2019' or 'Mar 19 2' "
                               f"(optionally followed by the vote count), got {when!r}")
        fields["date"] = resolve_date(date, as_of, file, meta.line + 2)
        fields["upvotes"] = int(date["votes"]) if date["votes"] else 0
    return Paper(**fields)
