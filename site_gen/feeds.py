"""RSS 2.0 and Atom feeds (feedgen), deterministic: every date comes from the records."""
from __future__ import annotations

import datetime as dt
import html
import json
from typing import Iterator

import feedgen.version
from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension
from feedgen.feed import FeedGenerator

from . import markup
from .fragments import FragmentStore
from .listings import Listing, feed_kinds
from .config import SiteConfig
from .records import Paper
from .urls import Urls


def as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def entry_format(kind: str) -> str:
    """The feed format ("rss" or "atom") of an entry fragment kind ("rss", "atom-short" …)."""
    return kind.partition("-")[0]


def _elements(text: str, start: str, end: str) -> list[str]:
    """Each element, in order, from its `start` tag to its `end` tag. Tags cannot occur inside
    escaped text, and items and entries do not nest."""
    elements = []
    at = text.find(start)
    while at >= 0:
        last = text.index(end, at) + len(end)
        elements.append(text[at:last])
        at = text.find(start, last)
    return elements


def _insert_before(text: str, closing_tag: str, inserted: str) -> str:
    """`inserted` just before the last `closing_tag`."""
    at = text.rindex(closing_tag)
    return text[:at] + inserted + text[at:]


class FeedWriter:
    """A paper's RSS item and Atom entry are rendered once (see fragments.py); a feed is its head,
    written by feedgen, with the entries of its papers put in where feedgen would put them."""

    ENTRY_KINDS = ("rss", "atom")                 # a paper's entries as the site's feeds carry them
    SHORT_ENTRY_KINDS = ("rss-short", "atom-short")   # … and as term feeds do: a short summary

    def __init__(self, config: SiteConfig, urls: Urls, fragments: FragmentStore):
        self.config = config
        self.urls = urls
        self.fragments = fragments

    def _generator(self, listing: Listing, papers: list[Paper], self_location: str) -> FeedGenerator:
        fg = FeedGenerator()
        fg.load_extension("dc", atom=False, rss=True)
        fg.id(self.urls.absolute(listing.location))
        fg.title(listing.title if listing.location == Urls.HOME else f"{self.config.title}: {listing.title}")
        fg.subtitle(listing.description)
        fg.description(listing.description)
        fg.language(self.config.language)
        fg.author({"name": self.config.title})
        # feedgen takes the RSS <link> from the last link given, so the page link goes last.
        fg.link(href=self.urls.absolute(self_location), rel="self")
        fg.link(href=self.urls.absolute(listing.location), rel="alternate")
        fg.generator("site-gen")
        updated = as_datetime(papers[0].date) if papers else as_datetime(dt.date(1970, 1, 1))
        fg.updated(updated)
        fg.lastBuildDate(updated)
        return fg

    @staticmethod
    def entry_key(paper: Paper) -> str:
        """Everything a feed entry is made from: the record, but for its votes and comments."""
        return paper.content_digest

    def entry_fragment_key(self, paper: Paper) -> str:
        return f"feedgen {feedgen.version.version_str}:{self.entry_key(paper)}"

    def entry_kinds(self, listing: Listing) -> tuple[str, ...]:
        """The fragments a listing's RSS and Atom feeds are made of (of the formats it has). A paper
        is in the feeds of all its categories, topics, authors and organisations: there, a short
        summary keeps the site's size (and the upload after each day) from growing with full
        abstracts times terms."""
        kinds = self.SHORT_ENTRY_KINDS if listing.term_feeds and self.config.term_feed_summary else self.ENTRY_KINDS
        formats = feed_kinds(listing)
        return tuple(kind for kind in kinds if entry_format(kind) in formats)

    def render_entries(self, papers: list[Paper], kinds: tuple[str, ...] = ENTRY_KINDS) -> list[dict[str, str]]:
        """Each paper's entries of these fragment kinds (all full, or all short), exactly as feedgen
        writes them inside a feed (one feed of all the papers, cut into entries: a feed per paper
        costs far more)."""
        if not papers:
            return []
        generator = FeedGenerator()
        generator.load_extension("dc", atom=False, rss=True)
        generator.id(self.urls.absolute(Urls.HOME))
        generator.title(self.config.title)
        generator.description(self.config.title)
        generator.link(href=self.urls.absolute(Urls.HOME), rel="alternate")
        short = kinds[0] in self.SHORT_ENTRY_KINDS
        for paper in papers:
            generator.add_entry(self._new_entry(paper, short), order="append")
        formats = {entry_format(kind) for kind in kinds}
        made = {}
        if "rss" in formats:
            made["rss"] = _elements(generator.rss_str().decode(), "<item>", "</item>")
        if "atom" in formats:
            made["atom"] = _elements(generator.atom_str().decode(), "<entry>", "</entry>")
        if any(len(entries) != len(papers) for entries in made.values()):
            raise RuntimeError(f"feedgen {feedgen.version.version_str}: its feed did not cut into one entry per paper")
        return [{kind: made[entry_format(kind)][i] for kind in kinds} for i in range(len(papers))]

    def short_summary(self, paper: Paper) -> str:
        """The abstract as plain text, cut at a word to at most `term_feed_summary` characters."""
        text = " ".join(markup.plain_text(paper.abstract).split()) if paper.abstract else ""
        limit = self.config.term_feed_summary
        if len(text) <= limit:
            return text
        cut = text.rfind(" ", 0, limit)
        return text[:cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"

    def _new_entry(self, paper: Paper, short: bool = False) -> FeedEntry:
        url = self.urls.absolute(Urls.paper(paper.id))
        entry = FeedEntry()
        entry.register_extension("dc", DcEntryExtension, atom=False, rss=True)
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(paper.title)
        entry.link(href=url, rel="alternate")
        entry.published(as_datetime(paper.published or paper.date))
        entry.updated(as_datetime(paper.date))
        entry.pubDate(as_datetime(paper.date))
        if short:
            if paper.abstract:   # readers take an RSS description as HTML: the text is escaped as such
                entry.summary(html.escape(self.short_summary(paper)), type="html")
        elif paper.abstract:
            entry.summary(markup.abstract_html_for_feeds(paper.abstract), type="html")
        for name in self.named_authors(paper):
            entry.author({"name": name})
        if paper.authors:
            entry.dc.dc_creator(", ".join(self.named_authors(paper)))
        for code in paper.categories:
            entry.category(term=code, scheme="https://arxiv.org/archive/")
        return entry

    def named_authors(self, paper: Paper) -> list[str]:
        """The first `feed_authors` authors, then "et al." for the rest: a feed entry of a paper with
        thousands of authors, repeated in each of their feeds, would make the output grow with the
        square of the count. The paper's page names them all."""
        named = list(paper.authors[:self.config.feed_authors])
        return named + ["et al."] if len(paper.authors) > len(named) else named

    def private_files(self, title: str, locations: list[str], picks: list) -> list[tuple[str, bytes]]:
        """A subscriber's private feeds (RSS, then Atom, at `locations`) of their picks (digest/personal.py),
        each entry saying why it was picked. Rendered here, not from the fragment store: few papers."""
        files = []
        for kind, location in zip(self.ENTRY_KINDS, locations):
            fg = FeedGenerator()
            fg.load_extension("dc", atom=False, rss=True)
            fg.id(self.urls.absolute(location))
            fg.title(title)
            fg.description(f"{title}: papers picked by your library")
            fg.subtitle(f"{title}: papers picked by your library")
            fg.language(self.config.language)
            fg.author({"name": self.config.title})
            fg.link(href=self.urls.absolute(location), rel="self")
            fg.link(href=self.urls.absolute(Urls.HOME), rel="alternate")
            fg.generator("site-gen")
            updated = as_datetime(picks[0].paper.date) if picks else as_datetime(dt.date(1970, 1, 1))
            fg.updated(updated)
            fg.lastBuildDate(updated)
            for pick in picks:
                entry = self._new_entry(pick.paper)
                abstract = markup.abstract_html_for_feeds(pick.paper.abstract) if pick.paper.abstract else ""
                entry.summary(f"<p>{html.escape(pick.reason)}</p>{abstract}", type="html")
                fg.add_entry(entry, order="append")
            files.append((location, fg.rss_str() if kind == "rss" else fg.atom_str()))
        return files

    def newest(self, listing: Listing) -> list[Paper]:
        """Listings with feeds keep their papers newest first."""
        return listing.papers[:self.config.term_feed_items if listing.term_feeds else self.config.feed_items]

    @staticmethod
    def locations(listing: Listing) -> list[str]:
        return [Urls.feed(listing.feeds_at, kind) for kind in feed_kinds(listing)]

    def files(self, listing: Listing) -> Iterator[tuple[str, bytes]]:
        """(location, bytes) of each feed of a listing: RSS and Atom, and JSON Feed for the site's."""
        papers = self.newest(listing)
        entry_kinds = {entry_format(kind): kind for kind in self.entry_kinds(listing)}
        for kind, location in zip(feed_kinds(listing), self.locations(listing)):
            if kind == "json":
                yield location, self.json_feed(listing, papers, location)
            else:
                generator = self._generator(listing, papers, location)
                head = (generator.rss_str if kind == "rss" else generator.atom_str)().decode()
                entries = self.fragments.bodies(entry_kinds[kind], [p.id for p in papers])
                yield location, _insert_before(head, "</channel>" if kind == "rss" else "</feed>",
                                               "".join(entries)).encode()

    def json_feed(self, listing: Listing, papers: list[Paper], self_location: str) -> bytes:
        """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.config.title,
            "home_page_url": self.urls.absolute(listing.location),
            "feed_url": self.urls.absolute(self_location),
            "description": listing.description,
            "language": self.config.language,
            "items": [self._json_item(p) for p in papers],
        }
        return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    def _json_item(self, paper: Paper) -> dict:
        url = self.urls.absolute(Urls.paper(paper.id))
        item = {"id": url, "url": url, "title": paper.title,
                "content_html": markup.abstract_html_for_feeds(paper.abstract),
                "date_published": as_datetime(paper.date).isoformat().replace("+00:00", "Z")}
        if paper.authors:
            item["authors"] = [{"name": name} for name in self.named_authors(paper)]
        if paper.categories:
            item["tags"] = list(paper.categories)
        if "pdf" in paper.link_map:
            item["external_url"] = paper.link_map["pdf"]
        return item
