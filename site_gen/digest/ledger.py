"""Which (day, subscriber) digests were delivered or refused for good, kept in SQLite in the state folder."""
from __future__ import annotations

import datetime as dt
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
)
"""


class Ledger:
    def __init__(self, state: Path):
        state.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(state / "digest-ledger.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(SCHEMA)

    def status(self, day: dt.date, email: str) -> tuple[str, str] | None:
        """('sent' | 'refused', detail) for a digest already dealt with, else None."""
        row = self.db.execute("SELECT status, detail FROM deliveries WHERE day = ? AND email = ?",
                              (day.isoformat(), email.lower())).fetchone()
        return (row[0], row[1]) if row else None

    def record(self, day: dt.date, email: str, status: str, message_id: str, detail: str = "") -> None:
        """Committed at once: a crash right after a send cannot forget it."""
        self.db.execute("INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?)",
                        (day.isoformat(), email.lower(), status, message_id, detail,
                         dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))

    def close(self) -> None:
        self.db.close()
