"""Writing an import's day files all together, also across a crash.

Every changed day file is first written in full to a temporary file beside it. Then a journal
listing the renames to do is saved (atomically), the renames are done, and the journal is removed.
If the process dies before the journal is saved, the temporary files are leftovers and the next
import removes them: content/ keeps the old files. If it dies after, the next command that touches
content/ finishes the renames: content/ gets all the new files. Either way content/ never holds
some files of one import and some of the one before.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..files import naming, write_atomically

JOURNAL = ".site-gen-import.journal"
TEMPORARY_MARK = ".importing-"


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMPORARY_MARK}{os.getpid()}")


def _write_synced(path: Path, text: str) -> None:
    with naming(path), open(_temporary(path), "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_all_or_nothing(content: Path, files: dict[Path, str]) -> list[Path]:
    """Write every file whose text changed; returns those written. The caller holds the content lock."""
    pending: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            pending.append((_temporary(path), path))
            _write_synced(path, text)
        if not pending:
            return []
        write_atomically(content / JOURNAL, json.dumps([[str(t), str(p)] for t, p in pending]).encode(), sync=True)
    except BaseException:
        for temporary, _ in pending:
            temporary.unlink(missing_ok=True)
        raise
    _rename_all(content, pending)
    return [path for _, path in pending]


def _rename_all(content: Path, pending: list[tuple[Path, Path]]) -> None:
    for temporary, path in pending:
        if temporary.exists():
            os.replace(temporary, path)
    (content / JOURNAL).unlink(missing_ok=True)


def finish_interrupted_import(content: Path) -> list[Path]:
    """Complete the renames of an import that was stopped after saving its journal, and remove the
    temporary files of one stopped before; returns the day files completed. The caller holds the
    content lock, so no import is running."""
    journal = content / JOURNAL
    completed: list[Path] = []
    if journal.is_file():
        pending = [(Path(t), Path(p)) for t, p in json.loads(journal.read_text(encoding="utf-8"))]
        completed = [path for temporary, path in pending if temporary.exists()]
        _rename_all(content, pending)
    for leftover in (content / "papers").glob(f"*/.*{TEMPORARY_MARK}*"):
        leftover.unlink(missing_ok=True)
    return completed


def interrupted(content: Path) -> bool:
    """Whether an import left a journal or temporary files behind (cheap: one stat and a glob)."""
    return (content / JOURNAL).exists() or any((content / "papers").glob(f"*/.*{TEMPORARY_MARK}*"))
