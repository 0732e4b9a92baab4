"""The change set: which pages and feeds a build looks at, from what changed since the last build.

Every output is fingerprinted to tell whether it changed (incremental.py), and on a large site
nearly all of them are unchanged after a new day, yet each costs its planning and fingerprint.
The last build's index, saved beside its tree's manifest, holds each paper's key
(views.paper_keys: its record and its terms' names) and related papers, and each listing's size.
From it:

- a paper page may differ only when its paper, its list of related papers or one of those changed;
- a listing (its pages and its feeds) may differ only when it holds a changed paper or its size
  changed: a paper that joins or leaves a listing is a changed paper (its terms are in its key),
  and a paper that leaves one without another joining changes its size.

What may differ is planned as before; the rest is carried over with the live tree's fingerprint,
unplanned. Whatever else a page shows comes from the build's signature and templates (the basis):
a build with another basis, or without the last build's index, plans everything. Periods are
always planned: they rank by votes and link to their neighbours.

The same holds for fragments (fragments.py): while the store is as the last build left it (its
generation token unchanged), a stored fragment can be stale only for a changed paper, or for a
paper the last build did not need a fragment of that kind of (a line, a feed entry).

The dependency check (reads.py) plans carried files as well and fails when one's fingerprint is not
the one carried: the incremental property test builds with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable, Iterable, Mapping

from .fragments import EVERY_PAPERS_KIND
from .state import StateStore

INDEX = "build-index"   # the state store's group: one index per output tree
SEP = "\0"              # between paper ids: one string a paper, not a tuple of strings, keeps the index small


@dataclass
class BuildIndex:
    """What a build knew of its papers and listings, for the next build's change set."""
    inputs: str                              # inputs_digest of the build, as its tree's manifest has it
    basis: str                               # its signature and the templates of what can be carried
    keys: dict[str, str]                     # paper id → views.paper_keys()
    related: dict[str, str]                  # paper id → its related papers' ids, joined by SEP (if any)
    sizes: dict[str, int]                    # listing location → its number of papers
    lastmods: dict[str, str | None] = field(default_factory=dict)   # listing page location → its lastmod
    # fragment kind → the papers that needed one (but for EVERY_PAPERS_KIND)
    needs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    fragments: str | None = None             # the fragment store's generation once the build stored its own


@dataclass(frozen=True)
class ChangeSet:
    papers: frozenset[str]       # the papers whose pages are planned
    listings: frozenset[str]     # the listings (locations) whose pages and feeds are planned
    lastmods: Mapping[str, str | None]   # of the last build's listing pages
    changed: frozenset[str]      # the papers whose key changed, or that are new
    needs: Mapping[str, frozenset[str]]   # the last build's (BuildIndex.needs)
    fragments: str | None        # the fragment store's generation the last build left

    def plans_paper(self, paper_id: str) -> bool:
        return paper_id in self.papers

    def fragments_to_check(self, kind: str, needing: Iterable[str], generation: str | None) -> Iterable[str]:
        """Of the papers that need a fragment of this kind, those whose stored one may be stale: all
        of them, unless the store is as the last build left it (`generation`, its token now)."""
        if generation is None or generation != self.fragments:
            return needing
        if kind == EVERY_PAPERS_KIND:   # new papers are changed ones
            return [pid for pid in needing if pid in self.changed]
        before = self.needs.get(kind, frozenset())
        return [pid for pid in needing if pid in self.changed or pid not in before]

    def plans_listing(self, location: str) -> bool:
        return location in self.listings


def change_set(last: BuildIndex | None, now: BuildIndex,
               listings_holding: Callable[[str], Iterable[str]]) -> ChangeSet | None:
    """What this build (`now`) has to plan, given the last build's index; None: everything.
    `listings_holding(paper_id)` names the listings that hold a paper of this build."""
    if last is None or last.basis != now.basis:
        return None
    changed = {paper_id for paper_id, key in now.keys.items() if last.keys.get(paper_id) != key}
    papers = set(changed)
    for paper_id in now.keys:
        related = now.related.get(paper_id, "")
        if related != last.related.get(paper_id, "") or (related and not changed.isdisjoint(related.split(SEP))):
            papers.add(paper_id)
    listings = {location for location, size in now.sizes.items() if last.sizes.get(location) != size}
    for paper_id in changed:
        listings.update(listings_holding(paper_id))
    return ChangeSet(frozenset(papers), frozenset(listings), last.lastmods, frozenset(changed), last.needs,
                     last.fragments)


def load_index(store: StateStore, tree_name: str, inputs: str) -> BuildIndex | None:
    """The index of the build that made a tree whose manifest has these inputs, or None."""
    index = store.load(f"{INDEX}/{tree_name}")
    # one saved by an earlier site-gen may lack fields: not used (this build plans everything)
    complete = isinstance(index, BuildIndex) and all(hasattr(index, f.name) for f in fields(BuildIndex))
    return index if complete and inputs and index.inputs == inputs else None


def save_index(store: StateStore, tree_name: str, index: BuildIndex) -> None:
    store.save(f"{INDEX}/{tree_name}", index)
