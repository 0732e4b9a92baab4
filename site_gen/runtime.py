"""The worker runtime: every process a build starts, and how they share memory.

Builds fork (never spawn, but for work that needs little of the parent's memory) so that a child
shares the parent's papers copy-on-write. What that takes is kept here, and only here: pausing
the garbage collector while millions of objects are made, freezing them out of its reach before a
fork, handing freed memory back to the system. The domain modules (records, catalog, views, pages)
know nothing of it."""
from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from typing import Any, Callable, Iterable, Iterator

from tqdm import tqdm


class Background:
    """`function(*arguments)` computed in a forked process while this one goes on (or, without
    `parallel`, here when asked). The process is not a pool worker, so it may start workers of its own.

        with Background(parallel, function, *arguments) as pending:
            ...                       # other work
            value = pending.result()  # its value, or its error raised here
    """

    def __init__(self, parallel: bool, function: Callable[..., Any], *arguments: Any, start: str = "fork",
                 nice: int = 0):
        self.function, self.arguments, self.parallel = function, arguments, parallel
        self.start = start   # "spawn": a fresh process, which shares (and so copies) none of this one's
        self.process = None  # memory, for work that needs little of it; its work is pickled (Parcel);
                             # "forkserver": the same, forked from the server start_forkserver() began
        self.nice = nice     # > 0: work that should yield the CPU to this process

    def __enter__(self) -> "Background":
        if self.parallel:
            context = multiprocessing.get_context(self.start)
            self.receiver, sender = context.Pipe(duplex=False)
            work = (self.function, self.arguments)
            self.parcel = Parcel(work) if self.start != "fork" else None
            self.process = context.Process(target=_send_result, args=(sender, self.parcel or work, self.nice))
            with _forking():
                self.process.start()
            sender.close()
        return self

    def result(self) -> Any:
        if self.process is None:
            return self.function(*self.arguments)
        try:
            ok, value = self.receiver.recv()
        except EOFError:
            self.process.join()
            raise RuntimeError(f"{self.function.__name__}: its process ended with code {self.process.exitcode} "
                               "and no result") from None
        if not ok:
            raise value
        return value

    def __exit__(self, *_) -> None:
        if self.process is not None:   # on an error here, the process may still be at work: stop it
            self.process.terminate()
            self.process.join()
            self.receiver.close()
            if self.parcel is not None:
                self.parcel.discard()


def start_forkserver(modules: Iterable[str]) -> None:
    """Start multiprocessing's fork server, which imports these modules while this process goes on:
    a Background(start="forkserver") begun later finds them imported, as a spawned process would
    not. (The server stays for the life of this process; only the first call's modules count.)"""
    from multiprocessing import forkserver
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(modules))
    forkserver.ensure_running()


class Parcel:
    """A spawned process's work, handed over in a file of its own instead of through the pipe that
    starts the process. Python 3.11's spawn writes the arguments into that pipe while still holding
    the pipe's other end itself (CPython gh-118981): a process that died before reading large
    arguments (the OOM killer, a broken install) left the build waiting forever to finish writing."""

    def __init__(self, value: Any):
        handle, self.path = tempfile.mkstemp(prefix="site-gen-work-", suffix=".pickle")
        with os.fdopen(handle, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)

    def open(self) -> Any:
        with open(self.path, "rb") as file:
            return pickle.load(file)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def stopped_like_interrupted() -> None:
    """Make SIGTERM (what `timeout`, systemd and CI runners send) stop this process the way Ctrl-C
    does: as a KeyboardInterrupt, so that what a command was doing unwinds — its processes stopped,
    its locks let go, and what it had made kept where it knows how far it got."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _forking() -> Iterator[None]:
    """SIGTERM held back while this process forks, and delivered once it is done: raised inside the
    callbacks os.fork() runs, its KeyboardInterrupt would be printed and dropped."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _as_a_child() -> None:
    """In each process a command starts: SIGTERM is how the parent stops it, at once (a forked or
    spawned process starts with the signal held back, as it was while it was started)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _send_result(sender: Any, work: tuple[Callable[..., Any], tuple] | Parcel, nice: int) -> None:
    _as_a_child()
    if nice:
        os.nice(nice)
    if isinstance(work, Parcel):
        function, arguments = work.open()
        work.discard()   # at once: a build killed later leaves no file behind
    else:
        function, arguments = work
    try:
        outcome = (True, function(*arguments))
    except BaseException as error:  # handed to the parent, which raises it
        outcome = (False, error)
    try:
        sender.send(outcome)
    except Exception as error:      # an error that cannot be pickled: its text will do
        sender.send((False, RuntimeError(f"{function.__name__}: {outcome[1]!r} ({error})")))


def map_on_every_core(function: Callable[[Any], Any], items: Iterable[Any], chunksize: int = 1) -> list:
    """[function(item) for item in items], split among forked workers when there is more than one core.
    Items are taken from the iterable as the workers are ready for them: a generator of large items
    keeps only a few of them at once."""
    if default_jobs() < 2:
        return [function(item) for item in items]
    with _forked_pool(default_jobs(), _as_a_child) as pool:
        return list(pool.imap(function, items, chunksize=chunksize))


def _forked_pool(jobs: int, initializer: Callable[[], None]) -> Any:
    """A pool of `jobs` forked processes, each first calling `initializer` (which calls _as_a_child)."""
    with _forking():
        return multiprocessing.get_context("fork").Pool(jobs, initializer=initializer)


def map_on_threads(function: Callable[[Any], Any], items: list, jobs: int) -> list:
    """[function(item) for item in items] on up to `jobs` threads: for work that waits on a program
    of its own (each thread runs one, run_program), not for Python code. The first error is raised."""
    def unless_stopping(item: Any) -> Any:   # an item not begun when the command was interrupted
        _PROGRAMS.check()
        return function(item)

    if jobs < 2 or len(items) < 2:
        return [unless_stopping(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(unless_stopping, items))


@contextlib.contextmanager
def meanwhile(function: Callable[..., Any], *arguments: Any) -> Iterator["_Pending"]:
    """`function(*arguments)` on a thread of its own while the block runs: for work that waits on
    programs of its own (run_program), not for Python code. Leaving the block waits for it; leaving
    it with an error (Ctrl-C, SIGTERM) first stops those programs, running and yet to run.

        with meanwhile(function, *arguments) as pending:
            ...                       # other work
            value = pending.result()  # its value, or its error raised here
    """
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            try:
                yield _Pending(thread.submit(function, *arguments))
            except BaseException:
                _PROGRAMS.stop()
                raise
    finally:
        _PROGRAMS.stopping.clear()   # the thread is done: the next command runs its programs


class _Pending:
    """A thread's work, waited for a little at a time. The kernel hands a signal to any thread of the
    process, and the main thread acts on it only once it wakes: waiting without end for the thread,
    it would first wait for every program the thread runs, however long a SIGTERM waits with it."""

    def __init__(self, future: concurrent.futures.Future):
        self.future = future

    def result(self) -> Any:
        while True:
            try:
                return self.future.result(timeout=0.1)
            except concurrent.futures.TimeoutError:
                continue


class ProgramStopped(Exception):
    """A program was not run, or was stopped, because the command that wanted it was interrupted."""


class _Programs:
    """The programs that threads of this process are running: a signal reaches this process alone, so
    an interrupted command stops them itself, instead of waiting for each to end."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopping = threading.Event()

    def check(self) -> None:
        if self.stopping.is_set():
            raise ProgramStopped("the command was interrupted")

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            for process in self.running:
                process.terminate()


_PROGRAMS = _Programs()


def run_program(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """subprocess.run(command, capture_output=True, text=True, timeout=timeout), unless the command
    running it is interrupted meanwhile (ProgramStopped)."""
    with _PROGRAMS.lock:
        _PROGRAMS.check()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _PROGRAMS.running.add(process)
    try:
        with process:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise
    finally:
        with _PROGRAMS.lock:
            _PROGRAMS.running.discard(process)
    _PROGRAMS.check()   # stopped: its output tells nothing
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def available_memory() -> int:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable), or 0 when unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def release_freed_memory() -> None:
    """Hand memory this process has freed back to the system. glibc keeps freed blocks for reuse,
    so pages a forked child still shares would otherwise stay counted twice."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):   # not glibc: nothing to ask
        pass


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large site's papers and catalog are made: they are
    millions of objects without reference cycles, which every full collection would walk again
    (a third of the time of reading and grouping 100,000 papers). What was made is then frozen
    out of the collector's reach until the build's SharedPool ends: enabled again with millions
    of new objects in its youngest generation, it would walk them all at the next allocation,
    and again as they aged."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


_WORKER: Any = None   # a SharedPool's worker object, made before the fork; each forked process inherits it


def _start_worker() -> None:
    _as_a_child()
    # The parent's objects were frozen out of the collector's reach before the fork; collecting
    # rarely keeps a worker from rescanning (and copying, page by page) millions of shared objects.
    gc.set_threshold(200_000, 50, 1_000)


def _call(task: tuple[str, Any]) -> Any:
    if _WORKER is None:
        raise RuntimeError("a worker process was started after the build let go of what it shares")
    method, argument = task
    return getattr(_WORKER, method)(argument)


class SharedPool:
    """Forked processes that call methods of one worker object, made in this process before the
    fork and shared with them copy-on-write; or, with one job, this process alone.

        with SharedPool(worker, jobs, release=job.release) as pool:
            results = pool.map("method", arguments, sizes, progress)
            pool.let_go()             # once this process needs the shared objects no more
            for result in results:
                ...

    Before the fork, this process's objects are frozen out of the collector's reach (a collection
    in a worker would touch, and so copy, every shared object). Once the workers have their first
    tasks and this process needs the shared objects no more, `let_go()` calls `release`, which lets
    go of this process's own references to them, and the memory freed is handed back: a page a
    worker has copied is then no longer held twice.
    """

    def __init__(self, worker: Any, jobs: int, release: Callable[[], None] | None = None):
        self.worker, self.jobs, self.release = worker, jobs, release
        self.pool = None

    def __enter__(self) -> "SharedPool":
        global _WORKER
        _WORKER = self.worker
        if self.jobs > 1:
            # No collection first: the content is made with the collector paused and holds next
            # to no garbage, and a full pass over a large site's objects costs a noticeable part of
            # a daily rebuild (the gc module's documentation advises the same before a fork).
            gc.freeze()
            self.pool = _forked_pool(self.jobs, _start_worker)
            _WORKER = self.worker = None
        return self

    def __exit__(self, *_) -> None:
        global _WORKER
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        gc.unfreeze()   # what collection_paused() or the fork froze is the collector's again
        _WORKER = self.worker = None

    def let_go(self) -> None:
        """Free this process's view of what the workers share, while they work on their tasks."""
        if self.pool is not None and self.release is not None:
            release, self.release = self.release, None
            release()
            release_freed_memory()

    def map(self, method: str, arguments: list, sizes: list[int], progress: bool, unit: str) -> Iterator[Any]:
        """worker.method(argument) for each argument, handed to the workers at once; the results in
        order as they are iterated, with a progress bar."""
        tasks = [(method, argument) for argument in arguments]
        results = self.pool.imap(_call, tasks) if self.pool else map(_call, tasks)
        return self._in_order(results, sizes, progress, unit)

    @staticmethod
    def _in_order(results: Iterator[Any], sizes: list[int], progress: bool, unit: str) -> Iterator[Any]:
        with tqdm(total=sum(sizes), unit=unit, leave=False, disable=not progress, file=sys.stderr) as bar:
            for size, result in zip(sizes, results):
                yield result
                bar.update(size)
