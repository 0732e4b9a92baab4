"""Per-paper fragments, rendered once and kept between builds: a paper's card and line (HTML:
see views.Views.CARD_TEMPLATES) and its RSS item and Atom entry.

A paper is listed on many pages (its day, its categories, topics and authors, other papers'
related lists) and carried by many feeds. Its fragments are rendered once, in parallel, and
kept in SQLite under the state folder, each with the key of everything it was made from;
pages and feeds are put together from them. A later build renders only the fragments of new
or changed papers. Workers only read; the parent process is the only writer.
"""
from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Collection, Iterable, Iterator

from .runtime import available_memory

DATABASE = "fragments.sqlite"   # its file in the state folder (see state.StateStore.path)
SCHEMA_VERSION = 5   # 3: bodies stored as text (decompressing cost more than the disk saved); 4: lines;
                     # 5: feed entries unindented
EVERY_PAPERS_KIND = "card"   # listings show every paper; the other kinds only some papers need


def read_ahead(path: Path, share_of_memory: float = 0.25) -> None:
    """Read the store once from front to back, so that the page cache holds it when the workers ask
    for its rows in random order (from a cold cache, they spent twice as long reading rows). Not
    done when the store would fill more than this share of the memory available."""
    try:
        if path.stat().st_size > share_of_memory * available_memory():
            return
        buffer = bytearray(1 << 20)
        with open(path, "rb", buffering=0) as store:
            while store.readinto(buffer):
                pass
    except OSError:   # no store yet (a first build): nothing to read
        pass


class FragmentStore:
    def __init__(self, path: Path):
        self.path = path
        self._connection: sqlite3.Connection | None = None

    @staticmethod
    def prepare(path: Path) -> None:
        """Create (or, when its schema is older, recreate) the database, before any worker opens it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")   # workers read while the parent writes
            # One row: a token every change to the fragments replaces (see generation()).
            db.execute("CREATE TABLE IF NOT EXISTS generation (token TEXT)")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                db.execute("DROP TABLE IF EXISTS fragments")
                db.execute("DELETE FROM generation")
                db.execute("PRAGMA user_version=%d" % SCHEMA_VERSION)
            # A rowid table: bodies of a few KB would overflow the pages of a WITHOUT ROWID b-tree.
            db.execute("CREATE TABLE IF NOT EXISTS fragments (kind TEXT, id TEXT, key TEXT, body TEXT,"
                       " UNIQUE (kind, id))")
            # Every build reads every key: from this index, without visiting the rows and their bodies.
            db.execute("CREATE INDEX IF NOT EXISTS fragment_keys ON fragments (kind, id, key)")
            if db.execute("SELECT token FROM generation").fetchone() is None:
                db.execute("INSERT INTO generation VALUES (?)", [uuid.uuid4().hex])

    @property
    def db(self) -> sqlite3.Connection:
        # Opened on first use, so that a connection is never carried into a forked worker.
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._connection.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost commit costs a re-render
            # No mmap: each worker would count the pages it read of the store (a GB at 100k papers)
            # as its own resident memory, for no measured gain in time.
        return self._connection

    def keys(self, kind: str, ids: Collection[str] | None = None) -> dict[str, str]:
        """Paper id → key of every stored fragment of this kind (of these papers only, if given)."""
        if ids is None:
            return dict(self.db.execute("SELECT id, key FROM fragments WHERE kind = ?", [kind]))
        return dict(self._rows("key", kind, ids))

    def generation(self) -> str | None:
        """A token that every change to the stored fragments replaces: while it is the one a build
        saw, the store holds what that build left (None: not prepared yet)."""
        row = self.db.execute("SELECT token FROM generation").fetchone()
        return row[0] if row else None

    def bodies(self, kind: str, ids: list[str]) -> list[str]:
        """The fragments of these papers, in the order asked; every one must be stored."""
        found = dict(self._rows("body", kind, ids))
        missing = [i for i in ids if i not in found]
        if missing:
            raise LookupError(f"no {kind} fragment stored for {', '.join(missing[:5])}")
        return [found[i] for i in ids]

    def _rows(self, column: str, kind: str, ids: Iterable[str]) -> list[tuple[str, str]]:
        """(id, column) of the stored fragments of this kind of these papers."""
        rows: list[tuple[str, str]] = []
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):  # under SQLite's limit on parameters
            part = unique[start:start + 500]
            rows += self.db.execute(f"SELECT id, {column} FROM fragments WHERE kind = ? AND id IN "
                                    f"({','.join('?' * len(part))})", [kind, *part]).fetchall()
        return rows

    def put(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Store (kind, paper id, key, body) rows, replacing what the papers had before."""
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?, ?, ?)", rows)
            self._new_generation()

    def keep_only(self, ids: list[str]) -> None:
        """Forget the fragments of papers that are gone. Every paper ever stored has a card,
        so there is nothing to forget while those are no more than the papers in `ids`."""
        count = self.db.execute("SELECT COUNT(*) FROM fragments WHERE kind = ?", [EVERY_PAPERS_KIND]).fetchone()[0]
        if count <= len(ids):
            return
        with self._transaction():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS present (id TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM present")
            self.db.executemany("INSERT OR IGNORE INTO present VALUES (?)", ((i,) for i in ids))
            self.db.execute("DELETE FROM fragments WHERE id NOT IN (SELECT id FROM present)")
            self._new_generation()

    def _new_generation(self) -> None:
        """In the transaction of a change: its token is committed with it, or neither is."""
        self.db.execute("DELETE FROM generation")
        self.db.execute("INSERT INTO generation VALUES (?)", [uuid.uuid4().hex])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as error:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            if "full" in str(error):   # SQLITE_FULL: say it as the file system would, with the file
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path)) from None
            raise
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
