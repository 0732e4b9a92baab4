"""The output folder, replaced atomically: a build writes into a staging folder beside it and
swaps it in only when complete, so a failed or killed build leaves the previous site intact."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .urls import Urls

# Folders inside output/ that other commands own (site-gen digest writes here); kept across builds.
PRESERVED = ("digests",)


class StagedOutput:
    def __init__(self, root: Path):
        self.root = root
        self.files_written = 0

    def write(self, location: str, data: str | bytes) -> None:
        path = self.root / Urls.file_for(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.files_written += 1

    def copy_tree(self, source: Path, location: str) -> None:
        shutil.copytree(source, self.root / location, dirs_exist_ok=True)


def _remove_stale_staging(output: Path) -> None:
    for stale in output.parent.glob(f".{output.name}.*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def staged_output(output: Path) -> Iterator[StagedOutput]:
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(output)
    staging = output.parent / f".{output.name}.building-{os.getpid()}"
    staging.mkdir()
    try:
        yield StagedOutput(staging)
        _swap_in(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, output: Path) -> None:
    if output.exists():
        for name in PRESERVED:
            if (output / name).exists() and not (staging / name).exists():
                os.rename(output / name, staging / name)
        retired = output.parent / f".{output.name}.retired-{os.getpid()}"
        os.rename(output, retired)
        os.rename(staging, output)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, output)
