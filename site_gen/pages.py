"""The page plan: every HTML page of the site, as (location, template, view context).

Pages are produced lazily so a large site never holds all of them at once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Iterator

from .catalog import Catalog, Day, Taxonomy, Term
from .config import SiteConfig
from .urls import Urls
from .views import Link, Views, date_label

RECENT_DAYS = 7


@dataclass(frozen=True)
class FeedLink:
    kind: str    # "rss" | "atom"
    title: str
    url: str     # absolute

    @property
    def mime(self) -> str:
        return "application/rss+xml" if self.kind == "rss" else "application/atom+xml"


@dataclass(frozen=True)
class PageMeta:
    title: str
    description: str
    url: str                  # absolute, canonical
    og_type: str = "website"
    feeds: list[FeedLink] = field(default_factory=list)
    prev_url: str | None = None
    next_url: str | None = None


@dataclass(frozen=True)
class Page:
    location: str
    template: str
    context: dict[str, Any]
    # What the page is made from (paper ids), for incremental builds and the sitemap.
    lastmod: str | None = None


@dataclass(frozen=True)
class Pagination:
    number: int
    total: int
    prev_url: str | None
    next_url: str | None


class PagePlanner:
    def __init__(self, catalog: Catalog, config: SiteConfig, urls: Urls, views: Views):
        self.catalog = catalog
        self.config = config
        self.urls = urls
        self.views = views

    def feeds_for(self, title: str, rss: str, atom: str) -> list[FeedLink]:
        return [FeedLink("rss", f"{title} (RSS)", self.urls.absolute(rss)),
                FeedLink("atom", f"{title} (Atom)", self.urls.absolute(atom))]

    @property
    def site_feeds(self) -> list[FeedLink]:
        return self.feeds_for(self.config.title, Urls.site_feed("rss"), Urls.site_feed("atom"))

    def meta(self, title: str, location: str, description: str | None = None, **extra: Any) -> PageMeta:
        extra.setdefault("feeds", self.site_feeds)
        return PageMeta(title, description or self.config.description, self.urls.absolute(location), **extra)

    def pages(self) -> Iterator[Page]:
        yield self.home()
        yield self.days_archive()
        days = self.catalog.days
        for i, day in enumerate(days):
            yield self.day_page(day, newer=days[i - 1] if i > 0 else None,
                                older=days[i + 1] if i + 1 < len(days) else None)
        for taxonomy in self.catalog.taxonomies.values():
            yield self.taxonomy_index(taxonomy)
            for term in taxonomy.terms:
                yield from self.term_pages(taxonomy, term)
        for paper in self.catalog.papers:
            yield self.paper_page(paper)
        yield self.not_found()

    def sidebar(self) -> dict[str, list[Link]]:
        return {
            "recent_days": [Link(date_label(d.date), self.urls.link(Urls.day(d.date)), len(d.papers))
                            for d in self.catalog.days[:RECENT_DAYS]],
            "categories": [self.views.term_link("categories", t, with_count=True)
                           for t in self.catalog.taxonomies["categories"].terms],
            "topics": [self.views.term_link("topics", t, with_count=True)
                       for t in self.catalog.taxonomies["topics"].terms],
        }

    def home(self) -> Page:
        newest = self.catalog.days[0] if self.catalog.days else None
        context = {
            "page": self.meta(self.config.title, ""),
            "day": self.day_view(newest) if newest else None,
            **self.sidebar(),
        }
        return Page("", "home.html", context, newest.key if newest else None)

    def day_view(self, day: Day) -> dict[str, Any]:
        return {"label": date_label(day.date), "date": day.key, "url": self.urls.link(Urls.day(day.date)),
                "papers": self.views.cards(day.papers)}

    def day_page(self, day: Day, newer: Day | None, older: Day | None) -> Page:
        location = Urls.day(day.date)
        prev_url = self.urls.link(Urls.day(older.date)) if older else None
        next_url = self.urls.link(Urls.day(newer.date)) if newer else None
        context = {
            "page": self.meta(f"Papers of {date_label(day.date)}", location,
                              f"{len(day.papers)} papers listed on {date_label(day.date)}.",
                              prev_url=prev_url, next_url=next_url),
            "day": self.day_view(day),
            "older": Link(date_label(older.date), prev_url) if older and prev_url else None,
            "newer": Link(date_label(newer.date), next_url) if newer and next_url else None,
        }
        return Page(location, "day.html", context, day.key)

    def days_archive(self) -> Page:
        months = []
        for month, days in groupby(self.catalog.days, key=lambda d: (d.date.year, d.date.month)):
            days = list(days)
            months.append({
                "label": f"{days[0].date:%B} {month[0]}",
                "count": sum(len(d.papers) for d in days),
                "days": [Link(date_label(d.date), self.urls.link(Urls.day(d.date)), len(d.papers)) for d in days],
            })
        return Page("days/", "days.html", {"page": self.meta("Archive", "days/"), "months": months})

    def taxonomy_index(self, taxonomy: Taxonomy) -> Page:
        location = f"{taxonomy.key}/"
        context = {
            "page": self.meta(taxonomy.title, location),
            "taxonomy": {"key": taxonomy.key, "title": taxonomy.title, "singular": taxonomy.singular},
            "terms": [self.views.term_link(taxonomy, t, with_count=True) for t in taxonomy.terms],
        }
        return Page(location, "taxonomy.html", context)

    def term_pages(self, taxonomy: Taxonomy, term: Term) -> Iterator[Page]:
        per_page = self.config.per_page
        total = max(1, math.ceil(len(term.papers) / per_page))
        feeds = self.feeds_for(term.name, Urls.term_feed(taxonomy.key, term.slug, "rss"),
                               Urls.term_feed(taxonomy.key, term.slug, "atom"))
        for number in range(1, total + 1):
            location = Urls.term(taxonomy.key, term.slug, number)
            prev_url = self.urls.link(Urls.term(taxonomy.key, term.slug, number - 1)) if number > 1 else None
            next_url = self.urls.link(Urls.term(taxonomy.key, term.slug, number + 1)) if number < total else None
            title = term.name if number == 1 else f"{term.name} (page {number} of {total})"
            papers = term.papers[(number - 1) * per_page: number * per_page]
            context = {
                "page": self.meta(title, location, term.description or f"Papers in {taxonomy.singular} {term.name}.",
                                  feeds=feeds, prev_url=prev_url, next_url=next_url),
                "taxonomy": {"key": taxonomy.key, "title": taxonomy.title, "singular": taxonomy.singular,
                             "url": self.urls.link(f"{taxonomy.key}/")},
                "term": {"name": term.name, "slug": term.slug, "description": term.description,
                         "count": len(term.papers)},
                "papers": self.views.cards(papers),
                "pagination": Pagination(number, total, prev_url, next_url),
            }
            yield Page(location, "term.html", context, papers[0].date.isoformat() if papers else None)

    def paper_page(self, paper) -> Page:
        location = Urls.paper(paper.id)
        detail = self.views.detail(paper)
        context = {
            "page": self.meta(paper.title, location, detail.card.excerpt or None, og_type="article"),
            "paper": detail,
            "day_url": self.urls.link(Urls.day(paper.date)),
        }
        return Page(location, "paper.html", context, paper.date.isoformat())

    def not_found(self) -> Page:
        return Page("404.html", "404.html", {"page": self.meta("Page not found", "404.html")})
