"""Merging imported papers into content/ by the rules of docs/records.md."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..content import load_content
from ..records import Paper, day_file_path, dump_day, with_changes
from .common import Imported

LIST_FIELDS = ("categories", "topics", "keywords")


def _merged_list(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(old + new))


def _authors(old: Paper, new: Paper) -> dict:
    """Keep the more complete author list: a shorter or 'et al.' list never replaces a fuller one."""
    keep_old = (not new.authors or len(new.authors) < len(old.authors)
                or (len(new.authors) == len(old.authors) and new.et_al and not old.et_al))
    source = old if keep_old else new
    counts = [c for c in (old.author_count, new.author_count) if c is not None]
    count = max(counts, default=None)
    return {"authors": source.authors, "et_al": source.et_al,
            "author_count": count if count is not None and count >= len(source.authors) else None}


def merge_paper(old: Paper, new: Paper) -> Paper:
    """Same paper seen again: nothing lost, votes updated, lists merged, the day kept."""
    changes: dict = {}
    for name in ("title", "published", "organization", "submitted_by", "summary"):
        if getattr(new, name) is not None:
            changes[name] = getattr(new, name)
    # A listing cuts abstracts short; a cut-down copy never replaces the full text.
    if new.abstract and not old.abstract.startswith(new.abstract.rstrip(" .…")):
        changes["abstract"] = new.abstract
    for name in ("upvotes", "comments"):
        if getattr(new, name) is not None:
            changes[name] = getattr(new, name)
    for name in LIST_FIELDS:
        changes[name] = _merged_list(getattr(old, name), getattr(new, name))
    changes["links"] = tuple(sorted({**old.link_map, **new.link_map}.items()))
    changes["has_code"] = old.has_code or new.has_code
    changes.update(_authors(old, new))
    if changes.get("published") == old.date:
        changes["published"] = None
    return with_changes(old, **changes)


def _same_title(a: Paper, b: Paper) -> bool:
    return " ".join(a.title.casefold().split()) == " ".join(b.title.casefold().split())


@dataclass
class FileSummary:
    file: str
    counts: Counter = field(default_factory=Counter)   # new / updated / unchanged / skipped
    days: Counter = field(default_factory=Counter)     # day → papers touched

    def __str__(self) -> str:
        parts = ", ".join(f"{self.counts[k]} {k}" for k in ("new", "updated", "unchanged", "skipped") if self.counts[k])
        days = ", ".join(f"{day} ({n})" for day, n in sorted(self.days.items()))
        return f"{self.file}: {parts or 'no papers'}" + (f"; days: {days}" if days else "")


class ContentIndex:
    """The records of content/ being merged into, by id, with the days changed so far."""

    def __init__(self, papers: list[Paper]):
        self.by_id = {p.id: p for p in papers}
        self.changed_days: set[dt.date] = set()

    def resolve_id(self, imported: Imported) -> str:
        """The record id: a title slug takes -2, -3 … when a different paper already has it."""
        paper = imported.paper
        if not imported.id_from_title:
            return paper.id
        candidate, suffix = paper.id, 1
        while candidate in self.by_id and not _same_title(self.by_id[candidate], paper):
            suffix += 1
            candidate = f"{paper.id[:76]}-{suffix}"
        return candidate

    def add(self, imported: Imported) -> tuple[str, Paper | None]:
        """Merge one imported paper; returns its status (new/updated/unchanged/skipped) and the record."""
        record_id = self.resolve_id(imported)
        new = with_changes(imported.paper, id=record_id)
        old = self.by_id.get(record_id)
        if old is None:
            if imported.update_only:
                return "skipped", None
            self.by_id[record_id] = new
            self.changed_days.add(new.date)
            return "new", new
        merged = merge_paper(old, new)
        if merged.to_record() == old.to_record():
            return "unchanged", old
        self.by_id[record_id] = merged
        self.changed_days.add(old.date)
        return "updated", merged

    def day_texts(self, content: Path) -> dict[Path, str]:
        by_day: dict[dt.date, list[Paper]] = {}
        for paper in self.by_id.values():
            if paper.date in self.changed_days:
                by_day.setdefault(paper.date, []).append(paper)
        return {day_file_path(content, day): dump_day(papers) for day, papers in sorted(by_day.items())}


def load_index(content: Path) -> ContentIndex:
    return ContentIndex(load_content(content) if (content / "papers").is_dir() else [])
