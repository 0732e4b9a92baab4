"""Builds of one corpus by two (or more) commits of site-gen, one after the other, in one command.

    python bench/compare.py --size 100k BEFORE AFTER [--scenario clean|add-day|killed] [--work DIR]

Each commit's site_gen/ and templates/ are taken with `git archive` into the scratch folder and put on
PYTHONPATH, and build the site `run.py` measures (search off, related papers on). The table gives each
build's wall and CPU seconds and the peak RSS and PSS of its whole process tree (run.py's measure()),
then each other commit's figures as ratios of the first's.

--scenario clean (the default): every build starts from an empty state folder and output.
--scenario add-day: each commit gets a site of its own (so that each reads only caches it wrote), built
clean and then once more with one day added (the build that fills the second output tree); every
measured build then adds one more day to that commit's site. A commit named twice adds two days, so
`A B B A` measures each commit on the same two days.
--scenario killed: as add-day, but a build of the new day is first killed with all its processes once
it writes the day's pages (as the OOM killer or `systemctl kill` would); the build measured is the
next one, which finishes the job.

Name a commit more than once to build it more than once: the ratios are of each commit's mean. On
a machine that slows down under sustained load (this project's did, by up to 25 % over a few minutes
of builds), `A B B A` cancels a steady drift that `A B` would count against B. A slowdown that peaks
mid-run (the middle builds slowest) favours A instead: run `B A A B` as well and take the mean of all.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import corpus
from run import BENCH, Measure, bench_site, figures, site_gen, size_of


def checkout(commit: str, work: Path) -> Path:
    """The commit's package and templates, in a folder of their own."""
    folder = work / f"code-{commit}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit, "site_gen", "templates"], cwd=BENCH.parent,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def settle_disk() -> None:
    """Write out the last build's files and, where allowed (root on Linux), empty the page cache: without
    this the second of two 100k builds ran 1.3x slower than the first, whichever commit came second."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commits", nargs="+", help="git commits (or branches, tags), the baseline first")
    parser.add_argument("--size", default="10k", help="corpus size: 10k, 100k, 1m")
    parser.add_argument("--scenario", choices=("clean", "add-day", "killed"), default="clean",
                        help="clean builds from nothing, adding one day to a built site, or that after a killed build")
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-gen-compare"), help="scratch folder")
    args = parser.parse_args()
    count = size_of(args.size)
    codes = {commit: checkout(commit, args.work) for commit in dict.fromkeys(args.commits)}
    build = clean_builds(count, args.work, codes) if args.scenario == "clean" else \
        day_adding_builds(count, args.work, codes, killed_first=args.scenario == "killed")
    what = {"clean": "clean builds", "add-day": "one day added to a built site",
            "killed": "one day added to a built site after a build of it was killed"}[args.scenario]
    print(f"### {count:,} papers, {what}, one after the other\n")
    print("| commit | wall s | CPU s | peak RSS MiB | peak PSS MiB |")
    print("|---|---:|---:|---:|---:|")
    results: dict[str, list] = {}
    for commit in args.commits:
        settle_disk()
        results.setdefault(commit, []).append(build(commit))
        print(f"| {commit} | {figures(results[commit][-1])} |", flush=True)
    baseline, *others = results
    print()
    for commit in others:
        ratio = {name: mean(results[commit], name) / mean(results[baseline], name)
                 for name in ("wall", "cpu", "peak_pss", "peak_rss")}
        print(f"{commit} / {baseline}: wall {ratio['wall']:.3f}x, CPU {ratio['cpu']:.3f}x, "
              f"peak PSS {ratio['peak_pss']:.3f}x, peak RSS {ratio['peak_rss']:.3f}x "
              f"(means of {len(results[commit])} and {len(results[baseline])} builds)")


def clean_builds(count: int, work: Path, codes: dict[str, Path]) -> Callable[[str], Measure]:
    """A build of one shared site from an empty state and output, by the commit named."""
    site = bench_site(count, work)

    def build(commit: str) -> Measure:
        for leftover in ("state", "output", ".output.site-gen-a", ".output.site-gen-b"):
            path = site / leftover
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink(missing_ok=True)
        return site_gen(site, None, codes[commit])
    return build


def day_adding_builds(count: int, work: Path, codes: dict[str, Path], killed_first: bool = False
                      ) -> Callable[[str], Measure]:
    """A build, by the commit named, of its own site with one more day than its last build had
    (`killed_first`: after a build of that day killed half-way)."""
    sizes = {}
    for index, (commit, code) in enumerate(codes.items()):
        site = bench_site(count, work / f"add-day-{index}")
        site_gen(site, None, code)
        corpus.write_corpus(count + corpus.PER_DAY, site)
        site_gen(site, None, code)
        sizes[commit] = (site, count + corpus.PER_DAY)

    def build(commit: str) -> Measure:
        site, size = sizes[commit]
        sizes[commit] = (site, size + corpus.PER_DAY)
        corpus.write_corpus(size + corpus.PER_DAY, site)
        if killed_first:
            kill_while_rendering(site, codes[commit])
        return site_gen(site, None, codes[commit])
    return build


def kill_while_rendering(site: Path, code: Path) -> None:
    """Start a build of the site and kill it, with every process it started, once it has written the
    newest day's page into the tree that is not live."""
    live = (site / "output").resolve()
    tree = next(tree for tree in site.glob(".output.site-gen-*") if tree != live)
    newest = max((site / "content" / "papers").glob("*/*.yaml")).stem
    build = subprocess.Popen([sys.executable, "-m", "site_gen", "build", "--output", "output", "--state", "state"],
                             cwd=site, env={**os.environ, "PYTHONPATH": str(code)}, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (tree / "days" / newest / "index.html").exists():
        if build.poll() is not None:
            raise SystemExit(f"the build of {newest} finished before it could be killed")
        time.sleep(0.01)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()


def mean(measured: list, name: str) -> float:
    return sum(getattr(m, name) for m in measured) / len(measured)


if __name__ == "__main__":
    main()
