"""One writer at a time: OS-level locks on the state folder (build, serve), the content folder
(import) and the digest ledger (digest --send).

The locks are filelock's (fcntl on Unix): the kernel lets go of one when its process ends, however
it ends, so a killed command never blocks the next one. Beside each lock a small note says who holds
it (command, pid, since when), so a command that gave up waiting can name the holder.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from .errors import SiteGenError

DEFAULT_WAIT = 60.0   # seconds a command waits for another one's lock


class Busy(SiteGenError):
    """Another command held the lock for longer than this one would wait."""


def _holder(note: Path) -> str:
    try:
        held = json.loads(note.read_text(encoding="utf-8"))
        return f"site-gen {held['command']} (pid {held['pid']}, since {held['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another site-gen command"


@contextlib.contextmanager
def holding(path: Path, what: str, command: str, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold the lock file `path` (guarding `what`) while the body runs; wait up to `wait` seconds
    for it, then raise Busy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    note = path.with_name(path.name + ".holder")
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=max(wait, 0))
    except Timeout:
        raise Busy(f"{_holder(note)} is using {what}; waited {wait:g}s. "
                   "Try again when it is done, or wait longer with --wait SECONDS") from None
    try:
        since = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        note.write_text(json.dumps({"command": command, "pid": os.getpid(), "since": since}), encoding="utf-8")
        yield
    finally:
        note.unlink(missing_ok=True)
        lock.release()


def content_lock(content: Path, command: str, wait: float) -> contextlib.AbstractContextManager[None]:
    """Held by import while it reads and writes content/ (and by a command finishing an import).
    The lock file stands beside the folder, as the output trees do, so it never ends up among the records."""
    content = content.absolute()
    return holding(content.parent / f".{content.name}.site-gen-import.lock", f"{content}/", command, wait)


def state_lock(state: Path, command: str, wait: float) -> contextlib.AbstractContextManager[None]:
    """Held by build (and serve, on its own state folder) while it builds."""
    return holding(state / "build.lock", f"the build state in {state}/", command, wait)


def ledger_lock(state: Path, wait: float) -> contextlib.AbstractContextManager[None]:
    """Held by digest --send while it sends."""
    return holding(state / "digest-ledger.lock", f"the delivery ledger in {state}/", "digest --send", wait)
