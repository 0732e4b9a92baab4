"""Paper records: the contract between import and build (docs/records.md).

`read_day_file()` reads one content/papers/YYYY/YYYY-MM-DD.yaml and validates every record,
collecting all problems; `dump_day()` writes a day file the way the spec asks. The content
folder as a whole is read by content.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from . import yamlio
from .errors import Problem, ValidationError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
CATEGORY_PATTERN = re.compile(r"[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?")
URL_PATTERN = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
DAY_FILE_PATTERN = re.compile(r"(\d{4})-\d{2}-\d{2}\.yaml")


@dataclass(frozen=True, slots=True)
class Paper:
    id: str
    title: str
    date: dt.date
    published: dt.date | None = None
    abstract: str = ""
    authors: tuple[str, ...] = ()
    author_count: int | None = None
    et_al: bool = False
    organization: str | None = None
    categories: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    upvotes: int | None = None
    comments: int | None = None
    submitted_by: str | None = None
    links: tuple[tuple[str, str], ...] = ()
    has_code: bool = False
    summary: str | None = None
    keywords: tuple[str, ...] = ()
    source: str | None = None
    # Where the record was read from, for error messages; not part of the record.
    origin: str = field(default="", compare=False)
    # Hashes made once when the record is read (unpickling a cached day keeps them): the cheap way
    # for an incremental build to tell whether a paper changed. `digest` covers every field of the
    # record; `content_digest` all but the counts that change every day (votes, comments);
    # `text_digest` the title and abstract, all that related papers compare.
    digest: str = field(init=False, repr=False, compare=False)
    content_digest: str = field(init=False, repr=False, compare=False)
    text_digest: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._share_repeated_strings()
        values = {name: getattr(self, name) for name in RECORD_FIELDS}
        object.__setattr__(self, "digest", _hash(values))
        object.__setattr__(self, "content_digest", _hash({k: v for k, v in values.items() if k not in COUNTS}))
        object.__setattr__(self, "text_digest",
                           hashlib.blake2b(f"{self.title}\0{self.abstract}".encode(), digest_size=16).digest())

    def __setstate__(self, state: list[Any]) -> None:
        # Unpickled from the records cache or from a worker process. A pickle gives back as one object
        # what was one when pickled, so within a day file each name is shared still; only authors
        # recur across many days in numbers that matter, so only they are shared again.
        authors = state[_AUTHORS]
        if authors:
            state[_AUTHORS] = tuple(map(sys.intern, authors))
        for set_field, value in zip(_FIELD_SETTERS, state):
            set_field(self, value)

    def _share_repeated_strings(self) -> None:
        """One string object for each author, category and topic, however many papers name it: an
        author of 40 papers is held once, not 40 times (a large site holds every paper in memory).
        Link names are left alone: interning them cost more time than the memory they took."""
        for name in ("authors", "categories", "topics"):
            names = getattr(self, name)
            if names:
                object.__setattr__(self, name, tuple(map(sys.intern, names)))

    @property
    def link_map(self) -> dict[str, str]:
        return dict(self.links)

    @property
    def code_available(self) -> bool:
        return self.has_code or "code" in self.link_map

    @property
    def votes(self) -> int:
        return self.upvotes or 0

    def to_record(self) -> dict[str, Any]:
        """The record as written to a day file: only fields that are set, in the spec's order."""
        record: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            # `is` checks: an upvote count of 0 is a value, while False and () mean "not set".
            if f.name not in RECORD_FIELDS or value is None or value is False or value == () or value == "":
                continue
            if f.name == "links":
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            record[f.name] = value
        return record


# The slots' own descriptors: a daily build unpickles every paper of the site, and calling them is
# quicker than object.__setattr__ and getattr by name. Setters in the order of the pickled state.
_FIELD_SETTERS = tuple(getattr(Paper, f.name).__set__ for f in fields(Paper))
_AUTHORS = [f.name for f in fields(Paper)].index("authors")   # in a pickled paper's list of fields
DERIVED_FIELDS = ("origin", "digest", "content_digest", "text_digest")   # not part of the record
RECORD_FIELDS = tuple(f.name for f in fields(Paper) if f.name not in DERIVED_FIELDS)
COUNTS = ("upvotes", "comments")


def _hash(values: dict[str, Any]) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def with_changes(paper: Paper, **changes: Any) -> Paper:
    return replace(paper, **changes)


# --- field checks: each returns (value, None) or (None, what was expected) -------------------

Check = Callable[[yaml.Node], tuple[Any, str | None]]


def _one_line(node: yaml.Node) -> tuple[Any, str | None]:
    text = yamlio.scalar_text(node)
    if text is None or not text.strip():
        return None, "expected a non-empty string"
    if "\n" in text or "\r" in text:
        return None, "expected a single line of text"
    return text, None


def _text(node: yaml.Node) -> tuple[Any, str | None]:
    if isinstance(node, yaml.ScalarNode) and yamlio.scalar_text(node) is None:
        return "", None
    text = yamlio.scalar_text(node)
    return (text, None) if text is not None else (None, "expected a string")


def _identifier(node: yaml.Node) -> tuple[Any, str | None]:
    text = yamlio.scalar_text(node)
    if text is None or not ID_PATTERN.fullmatch(text):
        return None, "expected an id of letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 128)"
    return text, None


def _title(node: yaml.Node) -> tuple[Any, str | None]:
    text, error = _one_line(node)
    if error is None and len(text) > 500:
        return None, f"expected at most 500 characters, got {len(text)}"
    return text, error


def _date(node: yaml.Node) -> tuple[Any, str | None]:
    day = yamlio.parse_iso_date(yamlio.scalar_text(node))
    return (day, None) if day else (None, "expected a date as YYYY-MM-DD")


def _count(node: yaml.Node) -> tuple[Any, str | None]:
    value = yamlio.count_value(node)
    return (value, None) if value is not None else (None, "expected a whole number ≥ 0")


def _flag(node: yaml.Node) -> tuple[Any, str | None]:
    value = yamlio.flag_value(node)
    return (value, None) if value is not None else (None, "expected true or false")


def _list_of(item: Callable[[str], bool], expected: str) -> Check:
    def check(node: yaml.Node) -> tuple[Any, str | None]:
        if not isinstance(node, yaml.SequenceNode):
            return None, f"expected a list of {expected}"
        values = [yamlio.scalar_text(child) for child in node.value]
        if any(v is None or not item(v) for v in values):
            return None, f"expected a list of {expected}"
        return tuple(values), None
    return check


def _links(node: yaml.Node) -> tuple[Any, str | None]:
    if not isinstance(node, yaml.MappingNode):
        return None, "expected a mapping of name → http(s) URL"
    links = []
    for name, value, _line in yamlio.mapping_items(node):
        url = yamlio.scalar_text(value)
        if url is None or not URL_PATTERN.fullmatch(url):
            return None, f"expected an absolute http(s) URL for '{name}'"
        links.append((name, url))
    return tuple(sorted(links)), None


def _nonblank(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text


FIELD_CHECKS: dict[str, Check] = {
    "id": _identifier,
    "title": _title,
    "date": _date,
    "published": _date,
    "abstract": _text,
    "authors": _list_of(_nonblank, "names"),
    "author_count": _count,
    "et_al": _flag,
    "organization": _one_line,
    "categories": _list_of(CATEGORY_PATTERN.fullmatch, "arXiv category codes such as cs.LG"),
    "topics": _list_of(_nonblank, "topic names"),
    "upvotes": _count,
    "comments": _count,
    "submitted_by": _one_line,
    "links": _links,
    "has_code": _flag,
    "summary": _text,
    "keywords": _list_of(_nonblank, "keywords"),
    "source": _one_line,
}
REQUIRED = ("id", "title", "date")


def record_from_node(node: yaml.Node, path: str, problems: list[Problem]) -> Paper | None:
    """Validate one record node; append every problem found and return the Paper if valid."""
    line = yamlio.line_of(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(path, line, "", "expected a record (a mapping of field: value)"))
        return None
    values: dict[str, Any] = {}
    before = len(problems)
    for key, value_node, key_line in yamlio.mapping_items(node):
        check = FIELD_CHECKS.get(key)
        if check is None:
            problems.append(Problem(path, key_line, key, f"unknown field (known: {', '.join(FIELD_CHECKS)})"))
        elif key in values:
            problems.append(Problem(path, key_line, key, "field given twice"))
        else:
            value, error = check(value_node)
            if error:
                problems.append(Problem(path, key_line, key, error))
            else:
                values[key] = value
    for key in REQUIRED:
        if key not in values and not any(p.field == key for p in problems[before:]):
            problems.append(Problem(path, line, key, "required field is missing"))
    if "author_count" in values and values["author_count"] < len(values.get("authors", ())):
        problems.append(Problem(path, line, "author_count", "expected at least the number of listed authors"))
    if len(problems) > before:
        return None
    return Paper(**values, origin=f"{path}:{line}")


def read_day_file(path: Path, problems: list[Problem]) -> list[Paper]:
    """Read one day file; its records must all carry the file's date."""
    label = str(path)
    expected_day = yamlio.parse_iso_date(path.stem)
    if not DAY_FILE_PATTERN.fullmatch(path.name) or expected_day is None or path.parent.name != path.stem[:4]:
        problems.append(Problem(label, 0, "", "expected a day file named papers/YYYY/YYYY-MM-DD.yaml"))
        return []
    try:
        root = yamlio.compose(path)
    except ValidationError as exc:
        problems.extend(exc.problems)
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        problems.append(Problem(label, yamlio.line_of(root), "", "expected a list of paper records"))
        return []
    papers = []
    for node in root.value:
        paper = record_from_node(node, label, problems)
        if paper is None:
            continue
        if paper.date != expected_day:
            date_line = next(line for key, _, line in yamlio.mapping_items(node) if key == "date")
            problems.append(Problem(label, date_line, "date",
                                    f"expected {expected_day.isoformat()} (the file's day), got {paper.date.isoformat()}"))
            continue
        papers.append(paper)
    return papers


def duplicate_id_problems(papers: Iterable[Paper]) -> list[Problem]:
    first_seen: dict[str, Paper] = {}
    problems = []
    for paper in papers:
        if paper.id in first_seen:
            file, _, line = paper.origin.rpartition(":")
            problems.append(Problem(file, int(line), "id",
                                    f"'{paper.id}' is already used at {first_seen[paper.id].origin}"))
        else:
            first_seen[paper.id] = paper
    return problems


def day_file_path(content: Path, day: dt.date) -> Path:
    return content / "papers" / f"{day.year:04d}" / f"{day.isoformat()}.yaml"


def dump_day(papers: Iterable[Paper]) -> str:
    """A day file's text: records sorted by id, block style, readable."""
    records = [p.to_record() for p in sorted(papers, key=lambda p: p.id)]
    return yamlio.dump_readable(records)
