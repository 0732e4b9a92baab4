"""How close adding one day comes to the least it could cost: writing the files it changes.

    python bench/floor.py SITE [--cold]

SITE is a site that `run.py` or `compare.py` built (`output/` and the state folder `state/`),
such as /tmp/site-gen-compare/add-day-1/site-100000. This adds one day to it (bench/corpus.py)
and builds it with this checkout; then, as the baseline, it reads every file that build changed
(the two output trees' manifests tell which) and writes it again as a new file in a scratch
folder, on every core, and syncs: what any generator that had those files rendered already
would still do. It prints both times and their ratio, and the changed files by folder.
--cold syncs and empties the page cache before each of the two (root only), as compare.py does.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
from compare import settle_disk  # noqa: E402
from run import site_gen  # noqa: E402
from site_gen.output import OutputTrees  # noqa: E402
from site_gen.search import is_index  # noqa: E402
from site_gen.state import StateStore  # noqa: E402
from site_gen.urls import Urls  # noqa: E402


def changed_files(site: Path) -> list[str]:
    """Locations whose fingerprints differ between the live tree and the other one: what the last build
    wrote (a search shard it indexed again, as each of its files)."""
    trees = OutputTrees(site / "output", StateStore(site / "state"))
    live, old = trees.live(), trees.manifest(trees.other_root()).files
    if not live.manifest.files or not old:
        raise SystemExit(f"{site}: needs two complete output trees (a clean build, then one more)")
    changed = [location for location, print_ in live.manifest.files.items() if old.get(location) != print_]
    files = [location for location in changed if not is_index(location)]
    for shard in filter(is_index, changed):
        files += [path.relative_to(live.root).as_posix() for path in (live.root / shard).rglob("*") if path.is_file()]
    return sorted(files)


def copy_files(task: tuple[Path, Path, list[str]]) -> int:
    """Read each file and write it as a new file under `target`; the bytes moved."""
    live, target, locations = task
    moved = 0
    for location in locations:
        data = (live / Urls.file_for(location)).read_bytes()
        path = target / Urls.file_for(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        moved += len(data)
    return moved


def write_again(live: Path, target: Path, locations: list[str], jobs: int) -> float:
    """Seconds to read these files and write them as new files under `target`, in `jobs` processes."""
    started = time.perf_counter()
    with Pool(jobs) as pool:
        pool.map(copy_files, [(live, target, locations[i::jobs]) for i in range(jobs)])
    os.sync()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--cold", action="store_true", help="empty the page cache before each (root)")
    args = parser.parse_args()
    days = len(list((args.site / "content" / "papers").glob("*/*.yaml")))
    corpus.write_corpus((days + 1) * corpus.PER_DAY, args.site)
    if args.cold:
        settle_disk()
    build = site_gen(args.site, None)
    live = (args.site / "output").resolve()
    locations = changed_files(args.site)
    sizes: Counter[str] = Counter()
    for location in locations:
        kind = "feeds" if location.endswith((".xml", ".json")) else "pages"
        sizes[f"{location.split('/')[0] or 'home'}/ {kind}"] += (live / Urls.file_for(location)).stat().st_size
    target = args.site / "floor-scratch"
    shutil.rmtree(target, ignore_errors=True)
    if args.cold:
        settle_disk()
    floor = write_again(live, target, locations, os.cpu_count() or 1)
    shutil.rmtree(target)
    print(f"adding day {days + 1} ({(days + 1) * corpus.PER_DAY:,} papers) changed {len(locations):,} files, "
          f"{sum(sizes.values()) / 2**20:,.1f} MiB:")
    for folder, size in sizes.most_common(6):
        print(f"  {folder:<20} {size / 2**20:8.1f} MiB")
    print(f"the build: {build.wall:.2f} s; reading and writing its changed files again{' (cold cache)' if args.cold else ''}: "
          f"{floor:.2f} s; build / floor: {build.wall / floor:.2f}x")


if __name__ == "__main__":
    main()
