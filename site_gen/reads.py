"""The dependency check (`site-gen build --check-inputs`): what each page and feed read while it
was rendered, against what its fingerprint declared.

A file's fingerprint declares the papers it is made from: a listing by its cards' papers' keys, a
paper page by its paper's key and its related papers' cards, a feed by its entries' keys. Rendering
reads papers' cards and feed entries from the fragment store and papers' full records. In check
mode both are recorded for every file, paper by paper: a paper a file read but did not declare is
an input an incremental build would miss (a change to that paper would leave the file stale).
Nothing here changes what is rendered; the domain modules never see it.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping

from .records import Paper


class ReadLog:
    """The papers one file declared (asked for their keys) and read, since `clear()`."""

    def __init__(self):
        self.declared: set[str] = set()
        self.read: set[str] = set()

    def clear(self) -> None:
        self.declared.clear()
        self.read.clear()

    def declare(self, ids: Iterable[str]) -> None:
        self.declared.update(ids)

    def undeclared(self) -> list[str]:
        return sorted(self.read - self.declared)


class DeclaringKeys(Mapping[str, str]):
    """Paper id → key (views.paper_keys()); asking for a paper's key declares the paper."""

    def __init__(self, keys: Mapping[str, str], log: ReadLog):
        self.keys, self.log = keys, log

    def __getitem__(self, paper_id: str) -> str:
        self.log.declared.add(paper_id)
        return self.keys[paper_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


class ReadingFragments:
    """The fragment store, noting the papers whose cards and feed entries are read."""

    def __init__(self, store: Any, log: ReadLog):
        self.store, self.log = store, log

    def bodies(self, kind: str, ids: list[str]) -> list[str]:
        self.log.read.update(ids)
        return self.store.bodies(kind, ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def reading_records(record_of: Callable[[Paper], Paper] | None, log: ReadLog) -> Callable[[Paper], Paper]:
    """Views.record_of that notes each paper whose full record is read."""
    def read(paper: Paper) -> Paper:
        log.read.add(paper.id)
        return record_of(paper) if record_of else paper
    return read
