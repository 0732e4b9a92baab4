"""Writing a file so that readers see the old bytes or the new ones, never half; reading back caches;
telling from a file's size and modification time that it did not change."""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def save_pickle(path: Path, value: Any) -> None:
    write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path: Path | None) -> Any:
    """A cache's value, or None when it is missing or unreadable (a cache is never worth an error)."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (TypeError, OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError):
        return None


Stamp = tuple[int, int]   # (size, modification time in ns)

# A file changed within this long before a cache was saved may change again within the same tick of
# the file system's clock, keeping its stamp: such a stamp proves nothing (git calls it "racily clean").
RACY_NS = 2_000_000_000


def stamp(path: Path) -> Stamp:
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns)


def unchanged(recorded: Any, current: Stamp, saved_ns: int) -> bool:
    """A file whose stamp was recorded in a cache saved at `saved_ns` (time.time_ns()) still holds
    the bytes it had then."""
    return recorded == current and current[1] < saved_ns - RACY_NS
