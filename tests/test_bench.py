"""The benchmark harness runs from a clean checkout, at a small size (figures come from bench/, never from tests)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO, snapshot

BENCH = REPO / "bench"


def test_the_corpus_for_one_more_day_is_the_corpus_plus_that_day(tmp_path):
    for count, folder in ((1000, "small"), (1500, "large")):
        subprocess.run([sys.executable, str(BENCH / "corpus.py"), str(count), str(tmp_path / folder)], check=True)
    small, large = snapshot(tmp_path / "small" / "content"), snapshot(tmp_path / "large" / "content")
    assert set(small) < set(large) and len(large) == len(small) + 1
    assert all(large[name] == data for name, data in small.items())


def test_every_scenario_is_measured_and_writes_what_it_should(tmp_path):
    result = subprocess.run([sys.executable, str(BENCH / "run.py"), "--sizes", "1000", "--days-running", "2",
                             "--work", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"[\d.]+", cells[1]):
            rows[cells[0]] = {"wall": float(cells[1]), "pss": float(cells[4].replace(",", "")),
                              "written": int(cells[5]) if cells[5] else None}
    assert list(rows) == ["clean full build", "no-op rebuild", "add one day (fills 2nd tree)", "add one day",
                          "edit one record", "change one template", "delete one record",
                          "add one day, days running (day 1 of 2)", "add one day, days running (day 2 of 2)"]
    assert all(row["wall"] > 0 and row["pss"] > 0 for row in rows.values())
    clean, added, edited = rows["clean full build"]["written"], rows["add one day"]["written"], \
        rows["edit one record"]["written"]
    assert rows["no-op rebuild"]["written"] == 0
    assert 0 < edited < added < clean
    assert "add one day:" in result.stdout and "of the clean build" in result.stdout
    assert re.search(r"add one day, days running, 2 days: mean [\d.]+s = [\d.]+% of the clean build", result.stdout)
    # the disk's cost of a page, before and after, so runs on disks that differ are told apart
    assert len(re.findall(r"file system: a folder and a 6 KB file made in [\d,]+ µs", result.stdout)) == 2


def test_two_commits_are_compared_by_clean_builds_of_one_corpus(tmp_path):
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()
    result = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--size", "500", "--work", str(tmp_path),
                             "HEAD", head, head, "HEAD"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if re.fullmatch(r"\| \S+ \| [\d.]+ \| [\d.]+ \| [\d,]+ \| [\d,]+ \|", line)]
    assert [row.split("|")[1].strip() for row in rows] == ["HEAD", head, head, "HEAD"]
    assert re.search(rf"{head} / HEAD: wall [\d.]+x, CPU [\d.]+x, peak PSS [\d.]+x, peak RSS [\d.]+x "
                     r"\(means of 2 and 2 builds\)", result.stdout)
    assert (tmp_path / "site-500" / "output" / "index.html").is_file()


def test_two_commits_are_compared_by_adding_one_day_to_sites_they_built(tmp_path):
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()
    result = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--size", "500", "--scenario", "add-day",
                             "--work", str(tmp_path), "HEAD", head, head, "HEAD"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "one day added to a built site" in result.stdout
    rows = [line for line in result.stdout.splitlines() if re.fullmatch(r"\| \S+ \| [\d.]+ \| [\d.]+ \| [\d,]+ \| [\d,]+ \|", line)]
    assert [row.split("|")[1].strip() for row in rows] == ["HEAD", head, head, "HEAD"]
    assert re.search(rf"{head} / HEAD: wall [\d.]+x", result.stdout)
    # 500 papers (one day), one day added before measuring, then one for each of its two measured builds
    for site in (tmp_path / "add-day-0" / "site-500", tmp_path / "add-day-1" / "site-500"):
        assert len(list((site / "content" / "papers").glob("*/*.yaml"))) == 4
        assert (site / "output" / "days" / "2020-01-04" / "index.html").is_file()
        assert not (site / "output" / "days" / "2020-01-05").exists()


def test_the_floor_of_adding_a_day_is_writing_again_the_files_its_build_changed(tmp_path):
    sys.path.insert(0, str(BENCH))
    from run import bench_site, site_gen
    site = bench_site(1000, tmp_path)
    site_gen(site, None)
    subprocess.run([sys.executable, str(BENCH / "corpus.py"), "1500", str(site)], check=True)
    site_gen(site, None)
    result = subprocess.run([sys.executable, str(BENCH / "floor.py"), str(site)], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    live = (site / "output").resolve()
    other = next(tree for tree in site.glob(".output.site-gen-*") if tree != live)
    after, before = snapshot(live), snapshot(other)
    changed = {name for name, data in after.items() if before.get(name) != data}
    match = re.search(r"adding day 4 \(2,000 papers\) changed ([\d,]+) files, ([\d.,]+) MiB", result.stdout)
    assert match and int(match.group(1).replace(",", "")) == len(changed)
    assert float(match.group(2).replace(",", "")) == pytest.approx(sum(len(after[n]) for n in changed) / 2**20, abs=0.06)
    assert re.search(r"the build: [\d.]+ s; reading and writing its changed files again: [\d.]+ s; "
                     r"build / floor: [\d.]+x", result.stdout)
    assert (live / "days" / "2020-01-04" / "index.html").is_file() and not (site / "floor-scratch").exists()


def test_search_bench_finds_the_oldest_and_the_newest_paper_in_chromium(tmp_path):
    built = subprocess.run([sys.executable, str(BENCH / "run.py"), "--sizes", "1000", "--search", "--clean-only",
                            "--work", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    result = subprocess.run([sys.executable, str(BENCH / "search.py"), str(tmp_path / "site-1000"), "--queries", "3"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = re.findall(r"^\| (.+?): .* \| ([\d.]+) \| ([\d.]+)x \| (yes|NO) \|$", result.stdout, re.M)
    assert [(label, found) for label, _, _, found in rows] == \
        [("oldest paper", "yes"), ("newest paper", "yes"), ("a paper in between", "yes")]
    assert re.search(r"baseline, a query that matches nothing: [\d.]+ s", result.stdout)
    words = re.findall(r"^\| (\w+) \| [\d.]+ \| [\d.]+x \| ([\d,]+) results? for (\w+) \|$", result.stdout, re.M)
    assert [word for word, _, _ in words] == ["diffusion", "reasoning", "quantization"]
    assert all(int(count.replace(",", "")) > 0 and searched == word for word, count, searched in words)
