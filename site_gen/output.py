"""The output folder, swapped atomically between two trees.

`output/` is a symbolic link to one of two trees beside it (`.output.site-gen-a` and `-b`).
A build brings the tree that is not live up to date — first making it a copy of the live tree
by hard links, then writing over it the files that changed — and flips the link with one rename.
A failed or killed build never touches the live tree, and each file is written as a new inode, so
a file shared with the live tree is never modified in place.

Each tree has a manifest (location → fingerprint, see incremental.py) in the state folder,
written once the tree is complete. While a build changes a tree, every process that changes a
file first notes its location in the tree's change log (`ChangeLog`): a build stopped half-way —
killed, out of memory, interrupted — leaves a tree whose manifest still holds but at the locations
noted, and the next build makes only those again instead of the whole tree (after the machine
itself stopped half-way, the whole tree: the log may have lost its last entries).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Iterator

from .incremental import Manifest, drop_manifest, load_inputs, load_manifest, save_manifest
from .state import StateStore
from .errors import SiteGenError
from .files import naming, write_atomically
from .runtime import Background
from .search import SCRATCH, is_index
from .urls import Urls

# Folders inside output/ that other commands own (site-gen digest writes here); carried across builds.
PRESERVED = ("digests",)
# A manifest's fingerprint for a file whose bytes are not known (a stopped build may have changed
# it): it matches no fingerprint, so the file is made again, or removed if the site no longer has it.
UNKNOWN = ""
# A change log's first entry when its build began on an empty tree: every file then in the tree is in
# the log. (Otherwise the log goes with the tree's manifest: without one, a log tells too little.)
AFRESH = "\x01afresh"
# The entry, written when a build begins, that names the boot of the machine the build runs in.
BOOT = "\x01boot "
# What ChangeLog.stopped() tells of a log from an earlier boot: the machine stopped half-way through
# its build, and the entries not yet written from the file system's cache to the disk were lost.
RESTARTED = "\x01restarted"


@functools.cache
def boot_id() -> str:
    """This boot of the machine (Linux names each); "" where it is not known."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class ChangeLog:
    """The locations of a tree that a build has begun to change, appended to a file by each process
    before it changes one: one write of a few bytes in append mode, so processes writing at once do
    not mix their entries. Kept from the start of a build into the tree until its manifest is saved.

    Its entries are written as the files are, to the file system's cache without waiting for the
    disk: they tell of a build whose processes were killed or stopped. A machine that lost its power
    half-way may have lost entries too, so the log begins with the boot it was written in, on the
    disk before any change: a log of an earlier boot tells that the tree is not known."""

    def __init__(self, path: Path):
        self.path = path
        # (process id, file descriptor): a forked process finds its parent's id here and opens its own
        self._handle: tuple[int, int] | None = None

    def begin(self, afresh: bool) -> None:
        """A build begins to change the tree: an empty one, or one its manifest tells all of."""
        header = (f"{AFRESH}\0" if afresh else "") + f"{BOOT}{boot_id()}\0"
        write_atomically(self.path, header.encode(), sync=True)   # on the disk before the first change

    def note(self, location: str) -> None:
        if self._handle is None or self._handle[0] != os.getpid():
            self._handle = (os.getpid(), os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
        entry = f"{location}\0".encode()
        if os.write(self._handle[1], entry) != len(entry):   # a full disk: the change must not follow
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))

    def stopped(self) -> set[str] | None:
        """What a build stopped half-way had begun to change; None when no build was stopped."""
        try:
            entries = self.path.read_bytes().decode("utf-8", "replace").split("\0")
        except FileNotFoundError:
            return None
        stopped = set(entries[:-1])   # each entry ends with a NUL (the home page's location is "")
        boots = {entry for entry in stopped if entry.startswith(BOOT)}
        stopped -= boots
        if boots - {f"{BOOT}{boot_id()}"}:
            stopped.add(RESTARTED)
        return stopped

    def end(self) -> None:
        """The tree's manifest is saved: what the log told is in it."""
        if self._handle is not None and self._handle[0] == os.getpid():
            os.close(self._handle[1])
        self._handle = None
        self.path.unlink(missing_ok=True)


class Tree:
    """One of the two output trees, with what the last complete build put in it."""

    def __init__(self, root: Path, manifest: Manifest, stamps: dict[str, int] | None = None,
                 changes: ChangeLog | None = None, resumed: int = 0):
        self.root = root
        self.manifest = manifest
        self.stamps = stamps or {}   # its folders' modification times when it was last published
        self.changes = changes       # the tree a build writes into; None for the live tree
        self.resumed = resumed       # files a stopped build had begun to change, made again by this one
        self._folders: set[str] = set()   # made by this process (strings: a Path object takes ten times more)

    def path(self, location: str) -> Path:
        return self.root / Urls.file_for(location)

    def _note(self, location: str) -> None:
        """Before a change at this location: logged, in a tree a build writes into."""
        if self.changes:
            self.changes.note(location)

    def end_changes(self) -> None:
        """Its manifest tells all of it again: the change log has served."""
        if self.changes:
            self.changes.end()

    def _prepare(self, location: str) -> Path:
        path = self.path(location)
        self._note(location)
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        try:
            path.unlink()  # never write through a hard link shared with the live tree
        except FileNotFoundError:
            pass
        return path

    def write(self, location: str, data: str | bytes) -> None:
        path = self._prepare(location)
        with naming(path):
            path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def link_from(self, other: "Tree", location: str) -> bool:
        """Hard-link the other tree's file here; False when it cannot (missing, another file system)."""
        source = other.path(location)
        try:
            os.link(source, self._prepare(location))
            return True
        except OSError:
            return False

    def has(self, location: str, fingerprint: str) -> bool:
        """The tree holds this file as made from these inputs (a manifest is only kept for an intact tree)."""
        return self.manifest.files.get(location) == fingerprint

    def behind(self, live: "Tree") -> list[str]:
        """The live tree's files this tree lacks or holds as made from other inputs, in a fixed
        order (search shards are search.py's); none when nothing is known of the live tree."""
        mine = self.manifest.files
        return [location for location, print_ in live.manifest.files.items()
                if not is_index(location) and mine.get(location) != print_]

    def catch_up(self, live: "Tree", behind: str, stop: Any = None) -> tuple[int, list[str]]:
        """Hard-link the live tree's files at these locations (`behind()`, joined by NULs: one string
        is all a forked process touches of them), in order, until `stop` (an Event) is set: how many
        it went through, and those of them it could not link. Given `stop` (it runs beside the
        build), it then looks at the tree's folders until stopped (`look_at_folders`)."""
        failed = []
        locations = behind.split("\0") if behind else []
        for done, location in enumerate(locations):
            if stop is not None and done % 64 == 0 and stop.is_set():
                return done, failed
            if not self.link_from(live, location):
                failed.append(location)
        if stop is not None:
            self.look_at_folders(stop)
        return len(locations), failed

    def look_at_folders(self, stop: Any) -> None:
        """Read the metadata of every folder the tree had when last published, until `stop` is set, so
        that the file system holds it in memory when publish() checks those folders: from a cold
        cache, that check waited on the disk for a large share of a daily build."""
        base = f"{self.root}{os.sep}"
        for done, folder in enumerate(self.stamps):
            if done % 16 == 0 and stop.is_set():
                return
            with contextlib.suppress(OSError):
                os.stat(base + folder)

    def caught_up(self, live: "Tree", behind: list[str], done: int, failed: list[str]) -> Manifest:
        """This tree's manifest once catch_up() went through `done` of the locations it was `behind`."""
        files = dict(self.manifest.files)
        unlinked = set(failed)   # link_from() had removed the file it was to replace
        for location in behind[:done]:
            if location in unlinked:
                files.pop(location, None)
            else:
                files[location] = live.manifest.files[location]
        return Manifest(files=files)

    def remove(self, location: str) -> None:
        self._note(location)
        if is_index(location):
            shutil.rmtree(self.root / location, ignore_errors=True)
            return
        path = self.path(location)
        path.unlink(missing_ok=True)
        try:
            os.removedirs(path.parent)  # drop folders left empty (a deleted paper's papers/<id>/)
        except OSError:
            pass


def files_in_place(root: Path, locations: Iterable[str], stamps: dict[str, int]) -> tuple[list[str], dict[str, int]]:
    """The locations whose files the tree lacks, and the modification time of every folder holding
    their files (a search shard: its own folder). Adding or removing a file changes its folder's
    time, so the files of a folder whose time is still the one in `stamps` (taken when the tree was
    last published, all its files there) are not looked at one by one: a large site has hundreds
    of thousands, most of them untouched since. Paths are plain strings, for the same reason."""
    base = f"{root}{os.sep}"
    in_folder: dict[str, list[str]] = {"": []}
    for location in locations:
        in_folder.setdefault(_folder_of(location), []).append(location)
    missing, now = [], {}
    for folder, held in in_folder.items():
        try:
            now[folder] = os.stat(base + folder).st_mtime_ns
        except FileNotFoundError:
            missing += held
            continue
        if now[folder] != stamps.get(folder):
            missing += [location for location in held if not os.path.isfile(base + _shown_by(location))]
    return missing, now


def _folder_of(location: str) -> str:
    """The folder holding a location's file: a page's own (`papers/x/` → `papers/x`), a search shard's
    own, a feed's parent. Locations are those the build wrote (Urls.file_for checked them then): this
    runs for every file of the site, so it only cuts strings."""
    return location[:-1] if location.endswith("/") else location.rpartition("/")[0]


def _shown_by(location: str) -> str:
    """The file whose presence shows the location is in place (a search shard's: its pagefind.js)."""
    if is_index(location):
        return f"{location}pagefind.js"
    return Urls.file_for(location)


def _stamps_hold(root: Path, stamps: dict[str, int]) -> bool:
    base = f"{root}{os.sep}"   # string paths: a Path per folder costs more than its stat
    try:
        return bool(stamps) and all(os.stat(base + folder).st_mtime_ns == ns for folder, ns in stamps.items())
    except OSError:
        return False


class OutputTrees:
    def __init__(self, output: Path, state: StateStore):
        self.output = output.absolute()
        self.state = state
        self.trees = [self.output.parent / f".{self.output.name}.site-gen-{name}" for name in ("a", "b")]

    def live_root(self) -> Path | None:
        if self.output.is_symlink():
            target = Path(os.path.realpath(self.output))
            if target in self.trees and target.is_dir():
                return target
        return None

    def manifest(self, root: Path) -> Manifest:
        """What the last complete build put in this tree (empty when unknown)."""
        return load_manifest(self.state, self.manifest_name(root), root)

    def other_root(self) -> Path:
        """The tree that is not live: the one the next build writes into."""
        return self.trees[1] if self.live_root() == self.trees[0] else self.trees[0]

    @staticmethod
    def manifest_name(root: Path) -> str:
        return f"{root.name.lstrip('.')}-{hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()}"

    def live_inputs(self, expected: str | None = None) -> str:
        """What the live tree was built from (its manifest's `inputs`), or "" when unknown, when it
        is not `expected` (if given), or when something changed the tree since it was published (a
        folder's modification time moved). The folders are looked at last: a build with work to do
        does not stat every folder of the site."""
        root = self.live_root()
        if root is None:
            return ""
        inputs, stamps = load_inputs(self.state, self.manifest_name(root), root)
        if expected is not None and inputs != expected:
            return ""
        return inputs if _stamps_hold(root, stamps) else ""

    def live(self) -> Tree:
        root = self.live_root()
        return Tree(root, self.manifest(root)) if root else Tree(self.output, Manifest())

    def next_tree(self) -> Tree:
        """The tree to build into. A build into it that was stopped half-way is taken up where it
        stopped: the files it had begun to change are unknown, the others are as its manifest says.
        A tree of which nothing is known is started afresh."""
        root = self.other_root()
        name = self.manifest_name(root)
        manifest = self.manifest(root)
        _, stamps = load_inputs(self.state, name, root)
        changes = ChangeLog(self.state.path(f"changing-{name}"))
        stopped = changes.stopped() if root.is_dir() else None
        if stopped is not None and RESTARTED in stopped:   # the log may have lost entries: nothing is known
            manifest, stopped = Manifest(), None
        if stopped is not None and (manifest.files or AFRESH in stopped):
            stopped.discard(AFRESH)
            manifest = Manifest(files={**manifest.files, **dict.fromkeys(stopped, UNKNOWN)})
            for scratch in root.glob(f"{SCRATCH}*"):
                shutil.rmtree(scratch, ignore_errors=True)
        else:
            stopped = None
            if not manifest.files and root.exists():
                shutil.rmtree(root)
            changes.begin(afresh=not manifest.files)
        root.mkdir(parents=True, exist_ok=True)
        return Tree(root, manifest, stamps if manifest.files else {}, changes, len(stopped or ()))

    @contextlib.contextmanager
    def catching_up(self, tree: Tree, live: Tree, parallel: bool) -> Iterator[None]:
        """While the body runs, a forked process hard-links into the tree the files the last build
        changed (Tree.catch_up): disk work beside the CPU work of reading and grouping the records.
        It stops when the body ends, so the build never waits for it (rendering links whatever it did
        not reach), and the tree's manifest then says what it did. If the body fails, that manifest
        is saved: the next build starts from the tree as it is. Without `parallel` it all happens after
        the body."""
        stop = multiprocessing.get_context("fork").Event() if parallel else None
        behind = tree.behind(live)

        def stop_and_take_stock() -> None:
            if stop is not None:
                stop.set()
            tree.manifest = tree.caught_up(live, behind, *catching_up.result())

        with Background(parallel, tree.catch_up, live, "\0".join(behind), stop, nice=10) as catching_up:
            try:
                yield
            except BaseException:
                with contextlib.suppress(BaseException):   # the body's error is the one to report
                    stop_and_take_stock()
                    self._save(tree, tree.manifest)
                raise
            stop_and_take_stock()

    def _save(self, tree: Tree, manifest: Manifest, stamps: dict[str, int] | None = None) -> None:
        """The tree holds what `manifest` says: its change log has served."""
        save_manifest(self.state, self.manifest_name(tree.root), manifest, stamps)
        tree.end_changes()

    def _forget(self, tree: Tree) -> None:
        """Something other than the build changed the tree: the next build starts it afresh."""
        drop_manifest(self.state, self.manifest_name(tree.root))
        tree.end_changes()

    def publish(self, tree: Tree, manifest: Manifest) -> None:
        """Make the tree live, once it holds every file of its manifest (else SiteGenError, and the
        live tree stays)."""
        missing, stamps = files_in_place(tree.root, manifest.files, tree.stamps)
        if missing:
            self._forget(tree)
            raise SiteGenError(f"{len(missing)} files of the new site went missing from {tree.root} while it "
                               f"was built (e.g. {missing[0]}): something else changed it. Nothing was "
                               "published; build again")
        # On the disk before the manifest and the link say the tree is whole: after a power cut the
        # live tree would otherwise hold files the cache had not written yet, and nothing would
        # make them again (the files are written without waiting for the disk, so this is one wait).
        os.sync()
        live = self.live_root()
        source = live or (self.output if self.output.is_dir() else None)
        for name in PRESERVED:
            if source and (source / name).exists() and not (tree.root / name).exists():
                os.rename(source / name, tree.root / name)
        self._save(tree, manifest, stamps)
        link = self.output.parent / f".{self.output.name}.link-{os.getpid()}"
        link.unlink(missing_ok=True)
        os.symlink(tree.root.name, link)
        if self.output.exists() and not self.output.is_symlink():
            # first build over a plain folder: move it aside, put the link in its place
            retired = self.output.parent / f".{self.output.name}.retired-{os.getpid()}"
            os.rename(self.output, retired)
            os.rename(link, self.output)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(link, self.output)  # atomic: readers see the old tree or the new one
