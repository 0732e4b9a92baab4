"""RSS 2.0 and Atom feeds (feedgen), deterministic: every date comes from the records."""
from __future__ import annotations

import datetime as dt
import json
from typing import Iterator

from feedgen.feed import FeedGenerator

from . import markup
from .catalog import Catalog, newest_first
from .listings import Listing, feed_listings
from .config import SiteConfig
from .records import Paper
from .urls import Urls


def as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


class FeedWriter:
    def __init__(self, config: SiteConfig, urls: Urls):
        self.config = config
        self.urls = urls

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
        for paper in papers:
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

    def newest(self, listing: Listing) -> list[Paper]:
        return sorted(listing.papers, key=newest_first)[:self.config.feed_items]

    def files(self, listing: Listing) -> Iterator[tuple[str, bytes]]:
        """(location, bytes) of each feed of a listing: RSS and Atom, and JSON Feed for the site's."""
        papers = self.newest(listing)
        rss, atom = Urls.feed(listing.feeds_at, "rss"), Urls.feed(listing.feeds_at, "atom")
        yield rss, self._generator(listing, papers, rss).rss_str(pretty=True)
        yield atom, self._generator(listing, papers, atom).atom_str(pretty=True)
        if listing.feeds_at == Urls.FEEDS:
            location = Urls.feed(listing.feeds_at, "json")
            yield location, self.json_feed(listing, papers, location)

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
            item["authors"] = [{"name": name} for name in paper.authors]
        if paper.categories:
            item["tags"] = list(paper.categories)
        if "pdf" in paper.link_map:
            item["external_url"] = paper.link_map["pdf"]
        return item


def write_feeds(catalog: Catalog, config: SiteConfig, urls: Urls) -> Iterator[tuple[str, bytes]]:
    writer = FeedWriter(config, urls)
    for listing in feed_listings(catalog, config):
        yield from writer.files(listing)
