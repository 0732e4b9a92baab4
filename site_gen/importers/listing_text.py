"""`listing-text`: three lines per paper — subject/date/Code, title glued to authors, abstract (captures.md §2).

The hard part is the second line, where the author list is glued to the end of the title
(`…Language ModelsHouwen Peng, Kan Wu, Yixuan Wei et al.`). The split is found where a
word of the title runs straight into a capitalised name and everything after it reads as
a list of names.
"""
from __future__ import annotations

import datetime as dt
import re

from ..records import Paper
from ..slugs import slugify
from .common import DATE, CaptureError, Imported, one_line, resolve_date

FORMAT = "listing-text"
HEAD = re.compile(rf"(?P<subject>[A-Za-z][A-Za-z.-]*?){DATE}(?P<code>Code)?")
ET_AL = re.compile(r",?\s+et al\.?$")
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "dos", "das", "du", "la", "le",
             "bin", "binti", "al", "el", "ter", "ten", "y", "e", "zu", "af", "st."}
INITIALS = re.compile(r"(?:[^\W\d_]\.)+(?:-[^\W\d_]\.)*")
MAX_NAME_WORDS = 6


def _name_part(part: str) -> bool:
    """A hyphen/apostrophe-separated part of a name word: capitalised, no run of capitals ('McDonald' ok)."""
    if not part or not part[0].isupper() or not all(c.isalpha() or c == "." for c in part):
        return False
    return not any(a.isupper() and b.isupper() for a, b in zip(part, part[1:]))


def is_name_word(word: str) -> bool:
    if word.lower() in PARTICLES or INITIALS.fullmatch(word):
        return True
    return all(_name_part(p) for p in re.split(r"[-'’]", word) if p) and word[0].isupper()


def is_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= MAX_NAME_WORDS and all(is_name_word(w) for w in words)


def _glued_name_start(piece: str) -> int | None:
    """Where a name starts glued onto the preceding title text, taking the last such place."""
    for i in range(len(piece) - 1, 0, -1):
        if piece[i].isupper() and not piece[i - 1].isspace() and piece[i - 1] not in "-'’":
            tail = piece[i:]
            if len(tail.split()) >= 2 and is_name(tail):
                return i
    return None


def split_title_authors(line: str) -> tuple[str, list[str], bool] | None:
    """(title, authors, et_al) from a glued line, or None when no split reads as title + names."""
    et_al = bool(ET_AL.search(line))
    body = ET_AL.sub("", line) if et_al else line
    pieces = body.split(", ")
    for index, piece in enumerate(pieces):
        rest = pieces[index + 1:]
        if not all(is_name(name) for name in rest):
            continue
        start = _glued_name_start(piece)
        if start is not None:
            title = ", ".join(pieces[:index] + [piece[:start]]).strip()
            return title, [piece[start:].strip(), *(name.strip() for name in rest)], et_al
    return None


def looks_like(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return bool(HEAD.fullmatch(first))


def category_code(subject: str) -> str:
    """`CL` → `cs.CL`; a full code (`stat.ML`) is kept."""
    return subject if "." in subject or subject.islower() else f"cs.{subject}"


def parse(text: str, file: str, as_of: dt.date) -> list[Imported]:
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    papers = []
    for start in range(0, len(lines), 3):
        head, glued, abstract = (lines[start:start + 3] + ["", "", ""])[:3]
        number = start + 1
        match = HEAD.fullmatch(head)
        if not match:
            raise CaptureError(file, number, "expected a subject class glued to a date and optional 'Code' "
                               f"(such as 'CLApr 27Code'), got {head[:80]!r}")
        if not glued:
            raise CaptureError(file, number + 1, "expected the title glued to its author list")
        split = split_title_authors(one_line(glued))
        if split is None or not split[0]:
            raise CaptureError(file, number + 1, "cannot tell the title from the author list "
                               "(expected 'Title' followed directly by 'First Author, Second Author[ et al.]')")
        title, authors, et_al = split
        fields: dict = {"id": slugify(title), "title": title, "date": resolve_date(match, as_of, file, number),
                        "authors": tuple(authors), "et_al": et_al, "abstract": abstract,
                        "categories": (category_code(match["subject"]),), "has_code": bool(match["code"]),
                        "source": f"{file.rsplit('/', 1)[-1]} ({FORMAT})"}
        papers.append(Imported(Paper(**fields), id_from_title=True))
    return papers
