"""Processes: how many to use, and work done in a process of its own while the build goes on.

Builds fork (never spawn) so that a child shares the parent's papers copy-on-write."""
from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import gc
import multiprocessing
import os
from typing import Any, Callable, Iterator


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
        self.process = None  # memory, for work that needs little of it; its arguments are pickled
        self.nice = nice     # > 0: work that should yield the CPU to this process

    def __enter__(self) -> "Background":
        if self.parallel:
            context = multiprocessing.get_context(self.start)
            self.receiver, sender = context.Pipe(duplex=False)
            self.process = context.Process(target=_send_result, args=(sender, self.function, self.arguments, self.nice))
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


def _send_result(sender: Any, function: Callable[..., Any], arguments: tuple, nice: int) -> None:
    if nice:
        os.nice(nice)
    try:
        outcome = (True, function(*arguments))
    except BaseException as error:  # handed to the parent, which raises it
        outcome = (False, error)
    try:
        sender.send(outcome)
    except Exception as error:      # an error that cannot be pickled: its text will do
        sender.send((False, RuntimeError(f"{function.__name__}: {outcome[1]!r} ({error})")))


def map_on_every_core(function: Callable[[Any], Any], items: list, chunksize: int = 1) -> list:
    """[function(item) for item in items], split among forked workers when there is more than one core."""
    if default_jobs() < 2:
        return [function(item) for item in items]
    with multiprocessing.get_context("fork").Pool(default_jobs()) as pool:
        return pool.map(function, items, chunksize=chunksize)


def map_on_threads(function: Callable[[Any], Any], items: list, jobs: int) -> list:
    """[function(item) for item in items] on up to `jobs` threads: for work that waits on a program
    of its own (each thread runs one), not for Python code. The first error is raised."""
    if jobs < 2 or len(items) < 2:
        return [function(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(function, items))


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
    (a third of the time of reading and grouping 100,000 papers)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
