"""Build-performance scenarios for site-gen, optionally against Hugo and Pelican in the same run.

    python bench/run.py --sizes 10k [--peers] [--search] [--jobs N] [--clean-only] [--days-running N]
                        [--related N] [--work DIR]

For each size it generates the deterministic corpus (bench/corpus.py), then measures with
site-gen: a clean full build, a no-op rebuild, adding one day, editing one record, changing
one template and deleting one record, then adding days one at a time (a day's cost depends on
the day: the newest search shard fills over several days). Each row gives wall and CPU
seconds, the peak RSS of the whole process tree, files written and files written per second. With --peers, Hugo and
Pelican build the same corpus (bench/peers.py) and site-gen's clean build is reported as a
ratio of their wall time and peak memory.
"""
from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
from peers import EQUIVALENT  # noqa: E402
from site_gen.urls import Urls  # noqa: E402


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_rss: int      # bytes, whole process tree: pages shared by forked workers count once per process
    peak_pss: int      # bytes, whole process tree: each shared page split among its sharers
    peak_process: int  # bytes, the largest RSS any one process of the tree reached
    written: int | None
    output: str


def measure(command: list[str], cwd: Path, env: dict | None = None) -> Measure:
    """Run a command; sample the RSS of its whole process tree every 20 ms, and its PSS (slower to
    read: the kernel walks every mapping) every 200 ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **(env or {})})
    peak = peak_pss = peak_process = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss, peak_process
        root = psutil.Process(process.pid)
        for tick in itertools.count():
            if done.is_set():
                return
            try:
                tree = [root] + root.children(recursive=True)
                sizes = [p.memory_info().rss for p in tree if p.is_running()]
                peak, peak_process = max(peak, sum(sizes)), max([peak_process, *sizes])
                if tick % 10 == 0:
                    peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    match = re.search(r"(\d+) files rendered", output)
    return Measure(wall, cpu, peak, peak_pss, peak_process, int(match.group(1)) if match else (0 if "nothing changed" in output else None),
                   output)


def size_of(text: str) -> int:
    text = text.lower().replace("_", "")
    return int(float(text[:-1]) * 1000) if text.endswith("k") else \
        int(float(text[:-1]) * 1_000_000) if text.endswith("m") else int(text)


def bench_site(count: int, work: Path, search: bool = False, related: int | None = None,
               equivalent: bool = False) -> Path:
    """A fresh site of the corpus of `count` papers, with an empty template override folder
    (the equivalent site in a folder of its own, so that it does not replace the default one)."""
    site = work / (f"site-{count}-equivalent" if equivalent else f"site-{count}")
    shutil.rmtree(site, ignore_errors=True)
    corpus.write_corpus(count, site)
    (site / "templates").mkdir()
    extra = "templates: templates\n" + (EQUIVALENT if equivalent else ("" if search else "search: false\n") +
                                        ("" if related is None else f"related: {related}\n"))
    (site / "site.yaml").write_text((site / "site.yaml").read_text() + extra)
    return site


def site_gen(site: Path, jobs: int | None, code: Path = BENCH.parent) -> Measure:
    """`site-gen build` of the site, with the site_gen package found in `code` (this checkout's by default)."""
    command = [sys.executable, "-m", "site_gen", "build", "--output", "output", "--state", "state"]
    return measure(command + (["--jobs", str(jobs)] if jobs else []), site, {"PYTHONPATH": str(code)})


RUNNING = "add one day, days running"


def edit_one_record(site: Path) -> None:
    files = sorted((site / "content" / "papers").glob("*/*.yaml"))
    path = files[len(files) // 2]  # a day in the middle: its listings are not the newest pages
    text = path.read_text()
    path.write_text(re.sub(r"upvotes: (\d+)", lambda m: f"upvotes: {int(m.group(1)) + 1}", text, count=1))


def delete_one_record(site: Path) -> None:
    files = sorted((site / "content" / "papers").glob("*/*.yaml"))
    path = files[len(files) // 3]
    records = path.read_text().split("\n- id: ")
    path.write_text("\n- id: ".join(records[:1] + records[2:]))


def change_one_template(site: Path) -> None:
    """Override the paper page template (the site's override folder is set up, empty, from the start)."""
    source = (BENCH.parent / "templates" / "paper.html").read_text()
    (site / "templates" / "paper.html").write_text(source.replace("<h2>Abstract</h2>", "<h2>Summary</h2>"))


def scenarios(site: Path, count: int, jobs: int | None, clean_only: bool,
              days_running: int) -> Iterator[tuple[str, Measure]]:
    """Each scenario's figures as soon as it is measured."""
    yield "clean full build", site_gen(site, jobs)
    yield "no-op rebuild", site_gen(site, jobs)
    if clean_only:
        return
    corpus.write_corpus(count + corpus.PER_DAY, site)
    # the first change after a clean build also fills the second output tree (hard links)
    yield "add one day (fills 2nd tree)", site_gen(site, jobs)
    corpus.write_corpus(count + 2 * corpus.PER_DAY, site)
    yield "add one day", site_gen(site, jobs)
    edit_one_record(site)
    yield "edit one record", site_gen(site, jobs)
    change_one_template(site)
    yield "change one template", site_gen(site, jobs)
    delete_one_record(site)
    yield "delete one record", site_gen(site, jobs)
    # A day's cost depends on the day: the newest search shard grows and is indexed whole once full.
    for day in range(1, days_running + 1):
        corpus.write_corpus(count + (2 + day) * corpus.PER_DAY, site)
        yield f"{RUNNING} (day {day} of {days_running})", site_gen(site, jobs)


def output_size(output: Path) -> tuple[int, int]:
    """Files and bytes of the live output tree (other commands' folders left out)."""
    files = size = 0
    for path in output.resolve().rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
    return files, size


def file_system_baseline(work: Path, count: int = 2000) -> str:
    """Microseconds to make a folder with one 6 KB page in it, `count` times, in the scratch folder:
    a build writes a folder and a file per page, and on this project's machine that cost moved
    more than tenfold with the state of the disk (a file system crowded with earlier bench trees, or
    still writing them out), for every generator alike: the figures of runs that differ in it do
    not compare (bench/README)."""
    scratch = work / ".file-system-baseline"
    shutil.rmtree(scratch, ignore_errors=True)
    started = time.perf_counter()
    for i in range(count):
        (scratch / str(i)).mkdir(parents=True)
        (scratch / str(i) / "index.html").write_bytes(b"x" * 6000)
    seconds = time.perf_counter() - started
    shutil.rmtree(scratch)
    return f"file system: a folder and a 6 KB file made in {seconds / count * 1e6:,.0f} µs (mean of {count:,})"


def row(name: str, m: Measure) -> str:
    written = "" if m.written is None else str(m.written)
    rate = f"{m.written / m.wall:,.0f}" if m.written else ""
    return f"| {name} | {figures(m)} | {written} | {rate} |"


def figures(m: Measure) -> str:
    return f"{m.wall:.2f} | {m.cpu:.2f} | {m.peak_rss / 2**20:,.0f} | {m.peak_pss / 2**20:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k", help="comma-separated corpus sizes: 10k,100k,1m")
    parser.add_argument("--peers", nargs="?", const="hugo,pelican", default="",
                        help="also build with Hugo and Pelican (or name one: --peers hugo)")
    parser.add_argument("--search", action="store_true", help="keep the Pagefind search index on")
    parser.add_argument("--equivalent", action="store_true",
                        help="measure the scenarios on the equivalent site (categories and topics; no search, no related)")
    parser.add_argument("--jobs", type=int, help="site-gen worker processes (default: every core)")
    parser.add_argument("--clean-only", action="store_true", help="only the clean build and the no-op rebuild")
    parser.add_argument("--days-running", type=int, default=10,
                        help="then add this many days, one build each (default: 10, a search shard's days)")
    parser.add_argument("--related", type=int, help="related papers per paper page (site.yaml `related`; 0: off)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-gen-bench"), help="scratch folder")
    args = parser.parse_args()
    kind = "the equivalent site" if args.equivalent else f"search {'on' if args.search else 'off'}"
    print(f"site-gen build benchmark on {os.cpu_count()} cores; {kind}")
    print(file_system_baseline(args.work) + "\n")
    for size in args.sizes.split(","):
        count = size_of(size)
        site = bench_site(count, args.work, args.search, args.related, args.equivalent)
        print(f"### {count:,} papers\n")
        print("| scenario | wall s | CPU s | peak RSS MiB | peak PSS MiB | files written | files/s |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        rows, notes = [], []
        for name, m in scenarios(site, count, args.jobs, args.clean_only, args.days_running):
            rows.append((name, m))
            print(row(name, m), flush=True)
            if name == "clean full build":
                files, size = output_size(site / "output")
                notes.append(f"output: {files:,} files, {size / 1e9:.2f} GB, {size / count / 1e3:.1f} KB per paper")
                notes.append(f"clean build: the largest process peaked at {m.peak_process / 2**20:,.0f} MiB RSS")
            if name == "add one day":
                import floor   # it imports this module: not at the top
                changed = floor.changed_files(site)
                live = (site / "output").resolve()
                size = sum((live / Urls.file_for(location)).stat().st_size for location in changed)
                notes.append(f"add one day changed {len(changed):,} files, {size / 1e6:,.1f} MB (the upload)")
        clean = rows[0][1]
        if not args.clean_only:
            notes.append(f"add one day: {rows[3][1].wall / clean.wall:.1%} of the clean build; "
                         f"no-op: {rows[1][1].wall:.2f}s")
        running = [m.wall for name, m in rows if name.startswith(RUNNING)]
        if running:
            mean = sum(running) / len(running)
            notes.append(f"{RUNNING}, {len(running)} days: mean {mean:.2f}s = {mean / clean.wall:.1%} of the clean "
                         f"build (fastest {min(running):.2f}s, slowest {max(running):.2f}s)")
        notes.append(f"after the scenarios, {file_system_baseline(args.work)}")
        print("\n" + "\n".join(notes) + "\n")
        if args.peers:
            import peers
            print("Equivalent sites (one page per paper; paginated home, category and topic pages; their feeds):\n")
            print("| generator, clean build | wall s | CPU s | peak RSS MiB | peak PSS MiB |")
            print("|---|---:|---:|---:|---:|")
            same = peers.site_gen_equivalent(site, count, args.work, measure)
            print(f"| site-gen | {figures(same)} |", flush=True)
            ratios = []
            chosen = [(name, build) for name, build in (("Hugo", peers.hugo), ("Pelican", peers.pelican))
                      if name.lower() in args.peers.lower().split(",")]
            for name, build_peer in chosen:
                peer = build_peer(site, count, args.work, measure)
                print(f"| {name} | {figures(peer)} |", flush=True)
                ratios.append(f"site-gen / {name}: wall {same.wall / peer.wall:.3f}x, "
                              f"peak memory {same.peak_rss / peer.peak_rss:.3f}x (RSS), {same.peak_pss / peer.peak_pss:.3f}x (PSS)")
            print("\n" + "\n".join(ratios) + "\n")


if __name__ == "__main__":
    main()
