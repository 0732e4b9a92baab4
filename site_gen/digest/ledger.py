"""Which (day, subscriber) digests were delivered or refused for good, kept in SQLite in the state folder.

A recipient is claimed before their message is sent and the claim is turned into `sent` (or
`refused`, or dropped, for a transient failure) right after, each committed at once. A second
sender, which the ledger lock normally keeps out, skips what is claimed. A claim found at the
start of a run belongs to a run that stopped while sending it: whether the message went out is
unknown, so it is reported and not sent again unless the operator says so (--resend-unconfirmed).
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    day TEXT NOT NULL,
    email TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'refused')),
    message_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    PRIMARY KEY (day, email)
);
CREATE TABLE IF NOT EXISTS claims (
    day TEXT NOT NULL,
    email TEXT NOT NULL,
    pid INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (day, email)
);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Ledger:
    def __init__(self, state: Path):
        state.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(state / "digest-ledger.sqlite3", isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def status(self, day: dt.date, email: str) -> tuple[str, str] | None:
        """('sent' | 'refused', detail) for a digest already dealt with, else None."""
        row = self.db.execute("SELECT status, detail FROM deliveries WHERE day = ? AND email = ?",
                              (day.isoformat(), email.lower())).fetchone()
        return (row[0], row[1]) if row else None

    def unconfirmed(self, day: dt.date) -> dict[str, str]:
        """Recipients claimed by an earlier run that stopped before it could say how the send went: email → when."""
        rows = self.db.execute("SELECT email, at FROM claims WHERE day = ? AND pid != ?", (day.isoformat(), os.getpid()))
        return dict(rows.fetchall())

    def claim(self, day: dt.date, email: str, retake: bool = False) -> bool:
        """Claim a recipient for this run; False when another run has them. `retake`: take over an
        unconfirmed claim of a run that stopped."""
        verb = "INSERT OR REPLACE" if retake else "INSERT OR IGNORE"
        cursor = self.db.execute(f"{verb} INTO claims VALUES (?, ?, ?, ?)",
                                 (day.isoformat(), email.lower(), os.getpid(), _now()))
        return cursor.rowcount == 1

    def release(self, day: dt.date, email: str) -> None:
        """Give a claim back after a transient failure: the next run tries again."""
        self.db.execute("DELETE FROM claims WHERE day = ? AND email = ?", (day.isoformat(), email.lower()))

    def record(self, day: dt.date, email: str, status: str, message_id: str, detail: str = "") -> None:
        """The outcome, replacing the claim in one transaction committed at once: a crash right after a
        send cannot forget it."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?)",
                            (day.isoformat(), email.lower(), status, message_id, detail, _now()))
            self.db.execute("DELETE FROM claims WHERE day = ? AND email = ?", (day.isoformat(), email.lower()))

    def close(self) -> None:
        self.db.close()
