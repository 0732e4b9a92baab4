"""Site search: Pagefind indexes the paper pages (marked data-pagefind-body) in shards.

One index over a whole site grows with it, in one process, and has to be made again whenever
any paper changes. So the papers are split into shards of consecutive days — never across a
year, and at most `search_shard_papers` papers — each indexed on its own into
pagefind/<first day>/. The search page loads the newest shard and merges the others in the
browser (Pagefind's mergeIndex). An edited or deleted paper touches only its own shard.

The newest shard is still filling: indexed whole, it would be indexed again every day, at a cost
growing with it. So until it is full it is cut again, the same way, into pieces of a quarter of
its size: a new day indexes only the last piece, and a full shard is indexed once, when the day
after it begins the next.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .errors import SiteGenError
from .incremental import fingerprint
from .runtime import map_on_threads, run_program
from .urls import Urls

if TYPE_CHECKING:
    from .catalog import Day
    from .output import Tree
    from .workers import Written

INDEX_FOLDER = "pagefind"
SCRATCH = ".search-scratch-"   # the prefix of index_shard()'s scratch folders inside a tree
SEP = "\0"                     # in neither a location nor a search key
OPEN_SHARD_PIECES = 4          # the newest shard, still filling, is cut into pieces of a quarter of a shard


@dataclass(frozen=True)
class Shard:
    name: str                    # the first day it holds: "2024-01-01"
    papers: tuple[str, ...]      # the locations of its paper pages

    @property
    def location(self) -> str:
        """Its folder in the output, as the manifest names it."""
        return f"{INDEX_FOLDER}/{self.name}/"


def plan_shards(days: Sequence[Day], most_papers: int) -> list[Shard]:
    """The site's days (newest first) cut into shards, newest first (see the module's doc)."""
    groups = _cut(days[::-1], most_papers)
    if groups:   # the newest shard, still filling, in pieces
        groups[-1:] = _cut(groups[-1], max(1, most_papers // OPEN_SHARD_PIECES))
    return [Shard(group[0].date.isoformat(), tuple(Urls.paper(p.id) for day in group for p in day.papers))
            for group in reversed(groups)]


def _cut(days: Sequence[Day], most_papers: int) -> list[list[Day]]:
    """Days (oldest first) in groups of at most `most_papers` papers (a larger day is a group of its
    own), never across a year. Each year is cut from its first day on, so a new day moves no cut,
    and a changed paper none before it or in another year."""
    groups: list[list[Day]] = []
    papers = 0
    for day in days:
        if not groups or day.date.year != groups[-1][0].date.year or papers + len(day.papers) > most_papers:
            groups.append([])
            papers = 0
        groups[-1].append(day)
        papers += len(day.papers)
    return groups


def is_index(location: str) -> bool:
    """A manifest entry for a search shard (a folder Pagefind writes), not a page or feed."""
    return location.startswith(f"{INDEX_FOLDER}/")


def keep_search_shards(signature: str, shards: list[Shard], written: list[Written], live: Tree,
                       tree: Tree) -> tuple[dict[str, str], list[Shard]]:
    """Each search shard whose papers' indexed text is unchanged is kept (or linked from the live
    tree). Returns every shard's fingerprint, by location, and the shards to index again."""
    search_keys = {w.location: w.search_key for w in written if w.search_key}
    prints, stale = {}, []
    for shard in shards:
        # in location order: the index does not depend on the order votes give a day's papers (one
        # string: a list of pairs is many objects to fingerprint, for every paper of the site)
        print_ = fingerprint(signature, SEP.join(f"{location}{SEP}{search_keys[location]}"
                                                 for location in sorted(shard.papers)))
        prints[shard.location] = print_
        if tree.has(shard.location, print_) and (tree.root / shard.location).is_dir():
            continue
        tree.remove(shard.location)
        if live.has(shard.location, print_) and (live.root / shard.location).is_dir():
            files = [p for p in (live.root / shard.location).rglob("*") if p.is_file()]
            if all(tree.link_from(live, p.relative_to(live.root).as_posix()) for p in files):
                continue
            tree.remove(shard.location)
        stale.append(shard)
    return prints, stale


def index_shards(root: Path, shards: list[Shard], language: str, jobs: int) -> None:
    """Index these shards again, `jobs` at a time (Pagefind indexes on one core; each run's memory is
    that of one shard)."""
    map_on_threads(lambda shard: index_shard(root, shard, language), shards, jobs)


def index_shard(root: Path, shard: Shard, language: str) -> None:
    """Index the shard's paper pages of the site folder `root` into root/pagefind/<name>/.

    Pagefind reads a folder: its pages are hard-linked into a scratch site of their own first.
    Raises SiteGenError with Pagefind's output on failure."""
    output = root / shard.location
    shutil.rmtree(output, ignore_errors=True)
    # in the tree itself, on its file system (a build stopped meanwhile leaves it to the next: output.py)
    with tempfile.TemporaryDirectory(prefix=SCRATCH, dir=root) as scratch:
        for location in shard.papers:
            page = Urls.file_for(location)
            target = Path(scratch, page)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(root / page, target)
            except OSError:
                shutil.copyfile(root / page, target)
        _run_pagefind(Path(scratch), output, language, f"the papers from {shard.name} on")


def _run_pagefind(site: Path, output: Path, language: str, what: str) -> None:
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(output),
               "--force-language", language.split("-")[0], "--silent"]
    try:
        result = run_program(command, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteGenError(f"search indexing (Pagefind) of {what} could not run: {exc}") from None
    if result.returncode != 0 or not (output / "pagefind.js").is_file():
        raise SiteGenError(f"search indexing (Pagefind) of {what} failed:\n" + (result.stderr or result.stdout).strip())
