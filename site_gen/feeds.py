"""RSS 2.0 and Atom feeds (feedgen), deterministic: every date comes from the records."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator

from feedgen.feed import FeedGenerator

from . import markup
from .catalog import Catalog
from .config import SiteConfig
from .records import Paper
from .urls import Urls


@dataclass(frozen=True)
class FeedSpec:
    title: str
    description: str
    page_location: str      # the HTML page the feed belongs to
    rss_location: str
    atom_location: str
    papers: list[Paper]     # newest first, already cut to feed_items


def as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def feed_specs(catalog: Catalog, config: SiteConfig) -> Iterator[FeedSpec]:
    limit = config.feed_items
    yield FeedSpec(config.title, config.description, "", Urls.site_feed("rss"), Urls.site_feed("atom"),
                   catalog.papers[:limit])
    for taxonomy in catalog.taxonomies.values():
        for term in taxonomy.terms:
            yield FeedSpec(f"{config.title}: {term.name}",
                           term.description or f"Papers in {taxonomy.singular} {term.name}.",
                           Urls.term(taxonomy.key, term.slug),
                           Urls.term_feed(taxonomy.key, term.slug, "rss"),
                           Urls.term_feed(taxonomy.key, term.slug, "atom"),
                           term.papers[:limit])


class FeedWriter:
    def __init__(self, config: SiteConfig, urls: Urls):
        self.config = config
        self.urls = urls

    def _generator(self, spec: FeedSpec, self_location: str) -> FeedGenerator:
        fg = FeedGenerator()
        fg.load_extension("dc", atom=False, rss=True)
        fg.id(self.urls.absolute(spec.page_location))
        fg.title(spec.title)
        fg.subtitle(spec.description)
        fg.description(spec.description)
        fg.language(self.config.language)
        fg.author({"name": self.config.title})
        # feedgen takes the RSS <link> from the last link given, so the page link goes last.
        fg.link(href=self.urls.absolute(self_location), rel="self")
        fg.link(href=self.urls.absolute(spec.page_location), rel="alternate")
        fg.generator("site-gen")
        updated = as_datetime(spec.papers[0].date) if spec.papers else as_datetime(dt.date(1970, 1, 1))
        fg.updated(updated)
        fg.lastBuildDate(updated)
        for paper in spec.papers:
            self._add_entry(fg, paper)
        return fg

    def _add_entry(self, fg: FeedGenerator, paper: Paper) -> None:
        url = self.urls.absolute(Urls.paper(paper.id))
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(paper.title)
        entry.link(href=url, rel="alternate")
        entry.published(as_datetime(paper.published or paper.date))
        entry.updated(as_datetime(paper.date))
        entry.pubDate(as_datetime(paper.date))
        summary = markup.abstract_html_for_feeds(paper.abstract) if paper.abstract else ""
        if summary:
            entry.summary(summary, type="html")
        for name in paper.authors:
            entry.author({"name": name})
        if paper.authors:
            entry.dc.dc_creator(", ".join(paper.authors))
        for code in paper.categories:
            entry.category(term=code, scheme="https://arxiv.org/archive/")

    def rss(self, spec: FeedSpec) -> bytes:
        return self._generator(spec, spec.rss_location).rss_str(pretty=True)

    def atom(self, spec: FeedSpec) -> bytes:
        return self._generator(spec, spec.atom_location).atom_str(pretty=True)
