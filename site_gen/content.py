"""The content folder: every day file's records, read through a cache of parsed days.

`load_content()` reads content/papers/YYYY/YYYY-MM-DD.yaml (records.py reads and validates
one file) and reports all problems at once. Each day's papers are kept pickled in a cache
file of their own, so a build parses only the days that changed, and a forked worker can
read a day's papers back as objects of its own (`PaperCopies`).
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import Problem, ValidationError
from .files import Stamp, stamp, unchanged
from .runtime import map_on_every_core
from .records import Paper, day_file_path, duplicate_id_problems, read_day_file
from .state import StateStore

RECORDS = "records"   # the state store's group of parsed days


def day_files(content: Path) -> list[Path]:
    return sorted((content / "papers").glob("*/*.yaml"))


@dataclass(frozen=True)
class Records:
    papers: list[Paper]                     # day by day, oldest first, each day in its file's order
    days: tuple[tuple[str, bytes], ...]     # the day files they were read from, in that order, each
                                            # with a digest of its papers (see _day_digest)


def load_content(content: Path, store: StateStore | None = None) -> list[Paper]:
    """Every paper under content/, validated; raises ValidationError listing all problems."""
    return read_records(content, store).papers


def read_records(content: Path, store: StateStore | None = None) -> Records:
    """Every paper under content/, validated, and each day file read with a digest of its papers;
    raises ValidationError listing all problems.

    With a state store, day files whose size and modification time are unchanged since the
    last load are not parsed again (parsing YAML is most of the cost of a large site). Each
    day is an entry of its own, so a new day writes one small file."""
    if not content.is_dir():
        raise ValidationError([Problem(str(content), 0, "", "content folder not found")], "cannot read records")
    why_not = {path: _not_a_file(path) for path in day_files(content)}
    stamps = {path: stamp(path) for path, why in why_not.items() if not why}
    shards = {path: _shard(content, path) for path in stamps}
    cached = {path: _read_shard(store, shards[path], stamped) for path, stamped in stamps.items()} if store else {}
    stale = [path for path in stamps if cached.get(path) is None]
    parsed = dict(zip(stale, _parse_all(stale)))
    problems = [Problem(str(path), 0, "", why) for path, why in why_not.items() if why]
    papers: list[Paper] = []
    days: list[tuple[str, bytes]] = []
    for path, stamped in stamps.items():
        if path in parsed:
            day, day_problems = parsed[path]
            problems.extend(day_problems)
            if store and not day_problems:
                store.save(shards[path], (stamped, time.time_ns(), day), key=_cache_key())
        else:
            day = cached[path]
        papers.extend(day)
        days.append((path.relative_to(content).as_posix(), _day_digest(day)))
    problems.extend(duplicate_id_problems(papers))
    if problems:
        raise ValidationError(problems, "invalid records")
    if store:
        store.prune(RECORDS, shards.values())
    return Records(papers, tuple(days))


def _not_a_file(path: Path) -> str | None:
    """Why a path named like a day file cannot be read as one (a broken link, a folder), or None."""
    if path.is_file():
        return None
    try:
        os.stat(path)
    except FileNotFoundError:
        return "a broken symbolic link: what it points to does not exist"
    except OSError as error:
        return "a symbolic link loop" if error.errno == errno.ELOOP else f"cannot read: {error.strerror}"
    return "a folder, not a day file" if path.is_dir() else "not a regular file"


def _parse_one(path: Path) -> tuple[list[Paper], list[Problem]]:
    problems: list[Problem] = []
    return read_day_file(path, problems), problems


def _parse_all(paths: list[Path]) -> list[tuple[list[Paper], list[Problem]]]:
    """Parse day files, on every core when there are many (YAML parsing is most of a clean build's reading)."""
    if len(paths) < 16:
        return [_parse_one(path) for path in paths]
    return map_on_every_core(_parse_one, paths, chunksize=4)


def _cache_key() -> tuple:
    """Cached papers are pickled objects: they are only good for the same Paper fields."""
    return tuple(f.name for f in fields(Paper))


def _shard(content: Path, path: Path) -> str:
    """The state store's name for a day file's parsed papers."""
    return f"{RECORDS}/{path.relative_to(content).as_posix().replace('/', '_')}"


def _stored_day(store: StateStore, shard: str) -> tuple[Stamp, int, list[Paper]] | None:
    """(stamp of the day file it was parsed from, when it was saved, the papers), as cached."""
    stored = store.load(shard, key=_cache_key())
    return stored if isinstance(stored, tuple) and len(stored) == 3 else None


def _read_shard(store: StateStore, shard: str, current: Stamp) -> list[Paper] | None:
    """The day's papers as last parsed, if that was from a file of the same size and time."""
    stored = _stored_day(store, shard)
    return stored[2] if stored and unchanged(stored[0], current, stored[1]) else None


def _day_digest(papers: list[Paper]) -> bytes:
    return hashlib.blake2b("\0".join(sorted(f"{p.id}:{p.digest}" for p in papers)).encode(), digest_size=16).digest()


class PaperCopies:
    """A process's own copies of the build's papers, read back from the cache, a day at a time.

    A forked process shares its parent's papers copy-on-write, but reading a Python object
    writes to it (its reference count): a render worker that read every field of every paper
    would end up holding its own copy of the memory they fill, a third of a GB at 100,000
    papers. Its own copies of a day's papers are freed when it moves on to the next day. (The
    related-papers process, spawned rather than forked, reads every text it compares this way.)

    A day's copies are used only when they are exactly the build's papers (the digests of every
    record of the day agree); otherwise there are none, and a forked worker uses the build's own.
    """

    def __init__(self, records: Records, content: Path, store: StateStore):
        self.content, self.store = content, store
        self.day_digests = {dt.date.fromisoformat(Path(name).stem): digest for name, digest in records.days}
        self._day: dt.date | None = None
        self._copies: dict[str, Paper] = {}

    def of(self, paper: Paper) -> Paper:
        return self.day(paper.date).get(paper.id, paper)

    def day(self, day: dt.date) -> dict[str, Paper]:
        """Paper id → this process's own copy, for every paper of the day; none when the cache
        does not hold the build's papers of the day."""
        if day != self._day:
            self._day, self._copies = day, self._read(day)
        return self._copies

    def _read(self, day: dt.date) -> dict[str, Paper]:
        stored = _stored_day(self.store, _shard(self.content, day_file_path(self.content, day)))
        if stored is None or _day_digest(stored[2]) != self.day_digests.get(day):
            return {}
        return {paper.id: paper for paper in stored[2]}
