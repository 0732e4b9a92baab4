"""`site-gen import`: captures → records in content/.

Each capture format has its own reader module with `looks_like(text)` and
`parse(text, file, as_of)`; merging into content/ is in `merge`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationError
from . import arxiv_feed, daily_json, daily_text, listing_text
from .common import CaptureError, Imported
from .journal import finish_interrupted_import, write_all_or_nothing
from .merge import FileSummary, load_index

READERS = {module.FORMAT: module for module in (daily_json, arxiv_feed, daily_text, listing_text)}


def read_capture(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaptureError(str(path), 0, f"cannot read: {exc.strerror}") from None
    if not data.strip():
        raise CaptureError(str(path), 0, "the file is empty")
    if b"\x00" in data[:4096]:
        raise CaptureError(str(path), 0, "binary data, not a saved listing")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptureError(str(path), data[:exc.start].count(b"\n") + 1, "not UTF-8 text") from None


def detect_format(text: str, file: str) -> str:
    for name, reader in READERS.items():
        if reader.looks_like(text):
            return name
    raise CaptureError(file, 1, "not a known capture format (expected one of: "
                       + ", ".join(READERS) + "; use --format to say which)")


def parse_capture(path: Path, as_of: dt.date, fmt: str | None = None) -> tuple[str, list[Imported]]:
    text = read_capture(path)
    fmt = fmt or detect_format(text, str(path))
    try:
        return fmt, READERS[fmt].parse(text, str(path), as_of)
    except (CaptureError, ValidationError):
        raise
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise CaptureError(str(path), 0, f"does not read as {fmt}: {exc}") from None


@dataclass
class ImportResult:
    summaries: list[FileSummary]
    written: list[Path]


def run_import(files: list[Path], content: Path, as_of: dt.date, fmt: str | None = None,
               dry_run: bool = False) -> ImportResult:
    """Parse every file first (nothing is written if any fails), then merge and write the changed day
    files all together (journal.py). The caller holds the content lock."""
    parsed, problems = [], []
    for path in files:
        try:
            parsed.append((path, *parse_capture(path, as_of, fmt)))
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems, "cannot import; nothing was written")
    if not dry_run:
        finish_interrupted_import(content)
    index = load_index(content)
    summaries = []
    for path, name, papers in parsed:
        summary = FileSummary(f"{path} ({name})")
        for imported in papers:
            status, record = index.add(imported)
            summary.counts[status] += 1
            if record:
                summary.days[record.date.isoformat()] += 1
        summaries.append(summary)
    written = [] if dry_run else write_all_or_nothing(content, index.day_texts(content))
    return ImportResult(summaries, written)
