"""Writing a file so that readers see the old bytes or the new ones, never half; reading back caches;
telling from a file's size and modification time that it did not change."""
from __future__ import annotations

import contextlib
import os
import pickle
from pathlib import Path
from typing import Any, Iterator

TEMPORARY_SUFFIX = ".site-gen-tmp"


def write_atomically(path: Path, data: bytes, sync: bool = False) -> None:
    """Readers see the old bytes or the new; a failed write (a full disk) leaves no temporary file.
    `sync`: for what must survive a crash of the machine, and be known to before what follows it:
    the bytes are on the disk before the rename, and the rename is before this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMPORARY_SUFFIX}")
    try:
        with naming(path), open(temporary, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if sync:
        sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """The names made, replaced or removed in a folder on the disk (a file's own fsync does not
    write its name)."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """An OSError raised while writing a file names it (a write to a full disk does not by itself)."""
    try:
        yield
    except OSError as error:
        if error.filename is None:
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise


def remove_temporaries(folder: Path) -> None:
    """Temporary files that a killed process left in a folder it wrote with write_atomically. The
    caller holds the folder's lock, so no living process is writing them."""
    for leftover in folder.rglob(f".*{TEMPORARY_SUFFIX}") if folder.is_dir() else []:
        leftover.unlink(missing_ok=True)


def save_pickle(path: Path, value: Any, sync: bool = False) -> None:
    write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), sync)


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
