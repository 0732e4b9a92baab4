"""Clean builds of one corpus by two (or more) commits of site-gen, one after the other, in one command.

    python bench/compare.py --size 100k BEFORE AFTER [--work DIR]

Each commit's site_gen/ and templates/ are taken with `git archive` into the scratch folder and put on
PYTHONPATH; every build starts from an empty state folder and output, on the site `run.py` measures
(search off, related papers on). The table gives each build's wall and CPU seconds and the peak RSS
and PSS of its whole process tree (run.py's measure()), then each other commit's figures as ratios of
the first's.

Name a commit more than once to build it more than once: the ratios are of each commit's mean. On
a machine that slows down under sustained load (this project's did, by up to 25 % over a few minutes
of builds), `A B B A` cancels a steady drift that `A B` would count against B.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

from run import BENCH, bench_site, figures, site_gen, size_of


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
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-gen-compare"), help="scratch folder")
    args = parser.parse_args()
    count = size_of(args.size)
    site = bench_site(count, args.work)
    print(f"### {count:,} papers, clean builds one after the other\n")
    print("| commit | wall s | CPU s | peak RSS MiB | peak PSS MiB |")
    print("|---|---:|---:|---:|---:|")
    results: dict[str, list] = {}
    codes = {commit: checkout(commit, args.work) for commit in dict.fromkeys(args.commits)}
    for commit in args.commits:
        for leftover in ("state", "output", ".output.site-gen-a", ".output.site-gen-b"):
            path = site / leftover
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink(missing_ok=True)
        settle_disk()
        results.setdefault(commit, []).append(site_gen(site, None, codes[commit]))
        print(f"| {commit} | {figures(results[commit][-1])} |", flush=True)
    baseline, *others = results
    print()
    for commit in others:
        ratio = {name: mean(results[commit], name) / mean(results[baseline], name)
                 for name in ("wall", "cpu", "peak_pss", "peak_rss")}
        print(f"{commit} / {baseline}: wall {ratio['wall']:.3f}x, CPU {ratio['cpu']:.3f}x, "
              f"peak PSS {ratio['peak_pss']:.3f}x, peak RSS {ratio['peak_rss']:.3f}x "
              f"(means of {len(results[commit])} and {len(results[baseline])} builds)")


def mean(measured: list, name: str) -> float:
    return sum(getattr(m, name) for m in measured) / len(measured)


if __name__ == "__main__":
    main()
