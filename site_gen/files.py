"""Writing a file so that readers see the old bytes or the new ones, never half; reading back caches."""
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
