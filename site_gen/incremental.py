"""Incremental builds: what each output file was made from, kept between builds.

Every page and feed gets a fingerprint of its inputs: its view context (cards and paper
views count by their papers' keys, not their rendered text), the templates it is made from,
and the build's signature (site-gen's version and the config). A file whose fingerprint
matches the last build's is hard-linked from the previous output instead of rendered.
The manifest is saved (in the state store) only after the new output is in place, so an
interrupted build leaves the previous manifest describing the previous output.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import marshal
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from . import __version__
from .config import SiteConfig
from .files import stamp, unchanged
from .state import RENDERING_LIBRARIES, StateStore, library_versions

_PLAIN = {str, int, float, bool, type(None)}
INPUT_HASHES = "input-hashes"   # the state store's entry: each day file's and template's stamp and hash


def _canonical(value: Any) -> Any:
    """A value's inputs as nested tuples of plain values. Every page of a build is fingerprinted,
    so plain values are told by their exact type first, and each other type's way is found once."""
    kind = type(value)
    return value if kind in _PLAIN else _way_of(kind)(value)


def _all(values: Iterable[Any]) -> tuple:
    return tuple([v if type(v) in _PLAIN else _canonical(v) for v in values])


@functools.lru_cache(maxsize=None)
def _way_of(kind: type) -> Callable[[Any], Any]:
    """How a value of this (not plain) type is made canonical."""
    name = kind.__name__
    if getattr(kind, "fingerprint", None) is not None:
        return lambda value: (name, value.fingerprint())
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda value: (name, *_all([getattr(value, field) for field in names]))
    if issubclass(kind, dict):
        return lambda value: tuple([(_canonical(k), _canonical(v)) for k, v in value.items()])
    if issubclass(kind, (list, tuple)):
        return _all
    if issubclass(kind, (dt.date, Path)):
        return str
    for base in (str, int, float):   # subclasses, such as Markup: told apart from the plain value
        if issubclass(kind, base):
            return lambda value: (name, base(value))
    raise TypeError(f"cannot fingerprint {name}")


def fingerprint(*parts: Any) -> str:
    # marshal's version 2 writes every value in full (no back-references that would depend on
    # which equal objects are the same object) and is six times quicker than repr()
    return hashlib.blake2b(marshal.dumps(_canonical(parts), 2), digest_size=16).hexdigest()


def build_signature(config: SiteConfig) -> str:
    """What every file depends on: the versions of site-gen and of the libraries it renders with,
    and the config (templates count per page)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(__version__.encode())
    digest.update(library_versions(*RENDERING_LIBRARIES).encode())
    # what only fetch, daily and digest use is left out: changing it re-renders nothing
    digest.update(repr(dataclasses.replace(config, email=None, sources={}, fetch=None, deploy=None,
                                           source="")).encode())
    return digest.hexdigest()


def inputs_digest(signature: str, content: Path, template_folders: list[Path], store: StateStore | None = None,
                  other_files: list[Path] = ()) -> str:
    """The test for 'nothing changed': the signature and the bytes of every day file and template
    (hashing is far cheaper than parsing, and unlike modification times it survives a re-import).

    With a state store, a file whose size and modification time are those of the last build keeps
    the hash it had then, so a site of 2,000 day files is not read to find out that nothing changed."""
    stored = store.load(INPUT_HASHES) if store else None
    saved_ns, hashes = stored if isinstance(stored, tuple) and len(stored) == 2 else (0, {})
    day_files = sorted((content / "papers").glob("*/*.yaml"))
    files = [(content, p) for p in day_files if p.is_file()]
    files += [(folder, p) for folder in template_folders for p in sorted(folder.rglob("*")) if p.is_file()]
    files += [(p.parent, p) for p in other_files if p.is_file()]
    current: dict[str, tuple] = {}
    hashed = 0
    digest = hashlib.blake2b(signature.encode(), digest_size=16)
    for path in day_files:   # a broken link or a folder among them is an error the build must report
        if not path.is_file():
            digest.update(f"not a file: {path}\0".encode())
    for root, path in files:
        stamped = stamp(path)
        entry = hashes.get(str(path))
        if entry is None or not unchanged(entry[0], stamped, saved_ns):
            entry = (stamped, hashlib.blake2b(path.read_bytes(), digest_size=16).digest())
            hashed += 1
        current[str(path)] = entry
        digest.update(f"{root.name}/{path.relative_to(root)}\0".encode())
        digest.update(entry[1])
    if store and (hashed or current.keys() != hashes.keys()):
        store.save(INPUT_HASHES, (time.time_ns(), current))
    return digest.hexdigest()


@dataclasses.dataclass
class Manifest:
    inputs: str = ""                    # inputs_digest of the build that made the tree
    files: dict[str, str] = dataclasses.field(default_factory=dict)   # location → fingerprint


def load_manifest(store: StateStore, name: str, root: Path) -> Manifest:
    """A tree's manifest, or an empty one when it is missing, unreadable, from another version of
    site-gen, or the tree itself is gone."""
    manifest = store.load(f"manifests/{name}")
    return manifest if isinstance(manifest, Manifest) and root.is_dir() else Manifest()


def load_inputs(store: StateStore, name: str, root: Path) -> tuple[str, dict[str, int]]:
    """load_manifest(...).inputs and the modification times its tree's folders had when it was
    published, without reading the manifest (a large site's manifest takes seconds): all a
    no-op build reads."""
    stored = store.load(f"manifest-inputs/{name}")
    ok = isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[1], dict) and root.is_dir()
    return stored if ok else ("", {})


def drop_manifest(store: StateStore, name: str) -> None:
    store.drop(f"manifest-inputs/{name}")
    store.drop(f"manifests/{name}")


def save_manifest(store: StateStore, name: str, manifest: Manifest, folders: dict[str, int] | None = None) -> None:
    """On the disk when this returns: the tree's change log, removed next, stands for what the build
    changed in the tree only until then, and after a crash a manifest of an earlier build would
    have later builds link files from the tree as made from inputs they were not made from."""
    store.save(f"manifests/{name}", manifest, durable=True)
    store.save(f"manifest-inputs/{name}", (manifest.inputs, folders or {}), durable=True)
