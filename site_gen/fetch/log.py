"""What `site-gen fetch` remembers between runs (in the state folder): which (source, day) pairs were
fetched completely, for `--missing`, and each URL's validators (ETag, Last-Modified) with the day
they were fetched for, for conditional requests."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..files import write_atomically
from .http import Validators


class FetchLog:
    FILE = "fetch-log.json"

    def __init__(self, state: Path):
        self.path = state / self.FILE
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        self.complete: dict[str, set[str]] = {source: set(days) for source, days in stored.get("complete", {}).items()}
        self.known: dict[str, dict] = stored.get("validators", {})

    def is_complete(self, source: str, day: dt.date) -> bool:
        return day.isoformat() in self.complete.get(source, set())

    def mark_complete(self, source: str, day: dt.date) -> None:
        self.complete.setdefault(source, set()).add(day.isoformat())

    def validators(self, url: str) -> tuple[Validators, str | None]:
        """The validators of the URL's last good answer, and the day it was fetched for."""
        known = self.known.get(url, {})
        return Validators(known.get("etag"), known.get("last_modified")), known.get("day")

    def remember(self, url: str, validators: Validators, day: dt.date) -> None:
        if validators.etag or validators.last_modified:
            self.known[url] = {"etag": validators.etag, "last_modified": validators.last_modified,
                               "day": day.isoformat()}

    def save(self) -> None:
        stored = {"complete": {source: sorted(days) for source, days in sorted(self.complete.items())},
                  "validators": self.known}
        write_atomically(self.path, json.dumps(stored, indent=1, sort_keys=True).encode(), sync=True)
