"""The state folder (`.site-gen/`): everything a build or a digest keeps between runs, in one place.

A cache is a named entry ("topics", "records/2024_2024-01-02.yaml", "manifests/a"), pickled and
saved atomically together with the version key of the code that wrote it: site-gen's version and
the versions of the libraries that shape what is cached or rendered from it. An entry written under
another version key, or with another `key` of its own (the settings it was computed with), reads as
missing, so an upgrade starts every cache afresh instead of trusting it. A cache is never worth an
error: an unreadable entry reads as missing too.

What has a format of its own (the fragment database) lives in the folder under a name, `path()`;
so do records that are not caches and must survive an upgrade (the digest's delivery ledger).
"""
from __future__ import annotations

import functools
import importlib.metadata
from pathlib import Path
from typing import Any, Hashable, Iterable

from . import __version__
from .files import load_pickle, save_pickle

# The libraries whose version can change the bytes of a page, feed or search index.
RENDERING_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "mdit-py-plugins", "latex2mathml", "feedgen", "lxml",
                       "python-slugify", "pagefind")
# … and those whose version can change a cached value (parsed libraries, word counts, similarities).
COMPUTING_LIBRARIES = ("pyyaml", "bibtexparser", "scikit-learn", "scipy", "numpy")

SUFFIX = ".pickle"


@functools.lru_cache(maxsize=None)
def library_versions(*packages: str) -> str:
    """The installed versions of these packages: what a cached result made with them depends on."""
    found = []
    for package in packages:
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} none")
    return ", ".join(found)


def version_key() -> str:
    """The code a cached value was made by: an entry saved under another key is not read."""
    return f"site-gen {__version__}; {library_versions(*RENDERING_LIBRARIES, *COMPUTING_LIBRARIES)}"


class StateStore:
    """Named caches in a state folder (see the module's docstring). The store is a path and
    nothing more, so it is handed to worker processes as it is."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"StateStore({str(self.folder)!r})"

    def _file(self, name: str) -> Path:
        return self.folder / f"{name}{SUFFIX}"

    def load(self, name: str, key: Hashable = None) -> Any:
        """The value last saved as `name` with this `key` by this version of the code, or None."""
        stored = load_pickle(self._file(name))
        if isinstance(stored, tuple) and len(stored) == 3 and stored[0] == version_key() and stored[1] == key:
            return stored[2]
        return None

    def save(self, name: str, value: Any, key: Hashable = None, durable: bool = False) -> None:
        """Readers see the old value or the new one, never half of either. `durable`: on the disk
        when this returns (what a crash of the machine must not take back, write_atomically)."""
        save_pickle(self._file(name), (version_key(), key, value), sync=durable)

    def drop(self, name: str) -> None:
        self._file(name).unlink(missing_ok=True)

    def names(self, group: str) -> set[str]:
        """The names of the entries saved in a group ("records" for "records/…")."""
        folder = self.folder / group
        return {f"{group}/{path.name[:-len(SUFFIX)]}" for path in folder.glob(f"*{SUFFIX}")} if folder.is_dir() else set()

    def prune(self, group: str, keep: Iterable[str]) -> None:
        """Drop the group's entries for what no longer exists: all but those named in `keep`."""
        for name in self.names(group) - set(keep):
            self.drop(name)

    def path(self, name: str) -> Path:
        """Where a file of a format of its own is kept (its folder made)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / name
