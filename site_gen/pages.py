"""The page plan: every HTML page of the site, as (location, template, view context).

Pages are produced lazily so a large site never holds all of them at once.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Callable, Iterable, Iterator, Mapping

from .catalog import Catalog, Day, Taxonomy
from .config import SiteConfig
from .incremental import fingerprint
from .listings import Listing, ListingPage, feed_kinds, feed_listings, listing_pages, paged_listings
from .records import Paper
from .search import plan_shards
from .urls import Urls
from .views import Cards, LazyDetail, LazyExcerpt, Link, Views, date_label, date_range_label

RECENT_DAYS = 7
FEED_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}


@dataclass(frozen=True)
class FeedLink:
    kind: str    # "rss" | "atom" | "json"
    title: str
    url: str     # absolute

    @property
    def mime(self) -> str:
        return FEED_TYPES[self.kind]


class FeedLinks(tuple):
    """A page's feed links. Most pages share the site's, so their fingerprint is made once."""

    @functools.cached_property
    def _fingerprint(self) -> str:
        return fingerprint(*self)

    def fingerprint(self) -> str:
        return self._fingerprint


@dataclass(frozen=True)
class PageMeta:
    title: str
    description: str
    url: str                  # absolute, canonical
    og_type: str = "website"
    feeds: FeedLinks = FeedLinks()
    prev_url: str | None = None
    next_url: str | None = None
    searchable: bool = False  # the unit Pagefind indexes (paper pages)


@dataclass(frozen=True)
class Page:
    location: str
    template: str
    context: Mapping[str, Any]
    lastmod: str | None = None  # newest record date shown, for the sitemap


@dataclass(frozen=True)
class Pagination:
    label: str | None       # "Page 2 of 5", "Page 3", or None on a listing's first page of stable pages
    prev_url: str | None
    next_url: str | None


class PaperPageContext(Mapping[str, Any]):
    """A paper page's context, made only when the page is rendered (most of a site's pages are
    paper pages, and most of them are unchanged in a build).

    Its fingerprint is what PagePlanner.paper_context() makes the context from: the paper's key
    (its record and terms) and its related papers' cards. Everything else the context holds comes
    from the config, which is in every page's fingerprint already (the build's signature)."""

    def __init__(self, planner: "PagePlanner", paper: Paper):
        self.planner, self.paper = planner, paper

    @functools.cached_property
    def _context(self) -> dict[str, Any]:
        return self.planner.paper_context(self.paper)

    def __getitem__(self, key: str) -> Any:
        return self._context[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._context)

    def __len__(self) -> int:
        return len(self._context)

    def fingerprint(self) -> tuple:
        return (self.planner.views.paper_key(self.paper), self.planner.related_cards(self.paper).fingerprint())


class PagePlanner:
    def __init__(self, catalog: Catalog, config: SiteConfig, urls: Urls, views: Views | None,
                 related: Mapping[str, list[Paper]] | None = None):
        self.catalog = catalog
        self.config = config
        self.urls = urls
        self.views = views
        self.related = related or {}
        # The pages of the listing asked last: a listing's pages are planned, and rendered, one after another.
        self._pages: tuple[str, list[ListingPage]] = ("", [])

    def feeds_of(self, listing: Listing) -> FeedLinks:
        names = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
        return FeedLinks(FeedLink(kind, f"{listing.title} ({names[kind]})",
                                  self.urls.absolute(Urls.feed(listing.feeds_at, kind))) for kind in feed_kinds(listing))

    @functools.cached_property
    def site_feeds(self) -> FeedLinks:
        return self.feeds_of(next(feed_listings(self.catalog, self.config)))

    @functools.cached_property
    def main_feed(self) -> FeedLinks:
        """The site's first feed: what a page without feeds of its own announces (the home page
        and the feeds page name every format; one link on each of 100,000 pages is enough)."""
        return FeedLinks(self.site_feeds[:1])

    def meta(self, title: str, location: str, description: str | None = None, **extra: Any) -> PageMeta:
        extra.setdefault("feeds", self.main_feed)
        return PageMeta(title, description or self.config.description, self.urls.absolute(location), **extra)

    @functools.cached_property
    def listings(self) -> list[Listing]:
        return list(paged_listings(self.catalog, self.config))

    def pages_of(self, listing: Listing) -> list[ListingPage]:
        if self._pages[0] != listing.location:
            self._pages = (listing.location, listing_pages(listing, self.config.per_page))
        return self._pages[1]

    def plan(self) -> list[tuple]:
        """Every page of the site as a small spec, (kind, *arguments), in site order; `page(spec)`
        makes the page. Specs are cheap and picklable, so a build can split them among workers."""
        return [(kind.name, *arguments) for kind in PAGE_KINDS if kind.wanted(self.config)
                for arguments in kind.plan(self)]

    def page(self, spec: tuple) -> Page:
        kind, *arguments = spec
        return KINDS_BY_NAME[kind].make(self, *arguments)

    def day_at(self, i: int) -> Page:
        days = self.catalog.days
        return self.day_page(days[i], newer=days[i - 1] if i > 0 else None,
                             older=days[i + 1] if i + 1 < len(days) else None)

    def listing_page_at(self, i: int, n: int) -> Page:
        listing = self.listings[i]
        return self.listing_page(listing, self.pages_of(listing)[n])

    def pages(self) -> Iterator[Page]:
        return (self.page(spec) for spec in self.plan())

    def day_link(self, day: Day) -> Link:
        return Link(date_label(day.date), self.urls.link(Urls.day(day.date)), len(day.papers))

    def sidebar(self) -> dict[str, list[Link]]:
        return {
            "recent_days": [self.day_link(d) for d in self.catalog.days[:RECENT_DAYS]],
            **{key: [self.views.term_link(key, t, with_count=True) for t in self.catalog.taxonomies[key].terms]
               if key in self.catalog.taxonomies else [] for key in ("categories", "topics")},
        }

    def home(self) -> Page:
        newest = self.catalog.days[0] if self.catalog.days else None
        context = {
            "page": self.meta(self.config.title, Urls.HOME, feeds=self.site_feeds),
            "day": self.day_view(newest) if newest else None,
            **self.sidebar(),
        }
        return Page(Urls.HOME, "home.html", context, newest.key if newest else None)

    def day_view(self, day: Day) -> dict[str, Any]:
        week, month = (self.catalog.period_of(kind, day.date) for kind in ("weeks", "months"))
        return {"label": date_label(day.date), "date": day.key, "url": self.urls.link(Urls.day(day.date)),
                "count": len(day.papers), "cards": self.views.cards(day.papers),
                "week_url": self.urls.link(Urls.period("weeks", week)),
                "month_url": self.urls.link(Urls.period("months", month))}

    def day_page(self, day: Day, newer: Day | None, older: Day | None) -> Page:
        location = Urls.day(day.date)
        older_link, newer_link = (self.day_link(d) if d else None for d in (older, newer))
        context = {
            "page": self.meta(f"Papers of {date_label(day.date)}", location,
                              f"{len(day.papers)} papers listed on {date_label(day.date)}.",
                              prev_url=older_link.url if older_link else None,
                              next_url=newer_link.url if newer_link else None),
            "day": self.day_view(day),
            "older": older_link,
            "newer": newer_link,
        }
        return Page(location, "day.html", context, day.key)

    def days_archive(self) -> Page:
        months = []
        for key, days in groupby(self.catalog.days, key=lambda d: d.key[:7]):
            days = list(days)
            months.append({
                "label": f"{days[0].date:%B %Y}",
                "url": self.urls.link(Urls.period("months", key)),
                "count": sum(len(d.papers) for d in days),
                "days": [self.day_link(d) for d in days],
            })
        weeks = [Link(w.label, self.urls.link(Urls.period("weeks", w.key)), len(w.papers)) for w in self.catalog.weeks]
        context = {"page": self.meta("Archive", "days/"), "months": months, "weeks": weeks}
        return Page("days/", "days.html", context)

    def taxonomy_index(self, taxonomy: Taxonomy) -> Page:
        location = f"{taxonomy.key}/"
        context = {
            "page": self.meta(taxonomy.title, location),
            "taxonomy": {"key": taxonomy.key, "title": taxonomy.title, "singular": taxonomy.singular},
            "terms": [self.views.term_link(taxonomy, t, with_count=True) for t in taxonomy.terms],
        }
        return Page(location, "taxonomy.html", context)

    def listing_page(self, listing: Listing, at: ListingPage) -> Page:
        feeds = self.feeds_of(listing) or self.main_feed
        older, newer = (Link(n[0], self.urls.link(n[1])) if n else None for n in listing.neighbours)
        crumb = Link(listing.group, self.urls.link(listing.group_location)) if listing.group_location else None
        prev_url, next_url = (self.urls.link(location) if location else None for location in (at.previous, at.next))
        papers = listing.papers[at.papers.start:at.papers.stop]
        first_page = at.number is None
        of_total = f" of {at.total}" if at.total else ""
        label = None if (first_page and not at.total) or at.total == 1 else f"Page {at.number or 1}{of_total}"
        title = listing.title if first_page else f"{listing.title} (page {at.number}{of_total})"
        dates = sorted({p.date for p in papers})
        context = {
            "page": self.meta(title, at.location, listing.description, feeds=feeds,
                              prev_url=prev_url, next_url=next_url),
            "listing": {"title": listing.title, "description": listing.description,
                        # a stable page never shows what keeps changing: the listing's total
                        "count": len(listing.papers) if first_page or at.total else len(papers),
                        "dates": None if first_page or at.total or not dates else date_range_label(dates[0], dates[-1]),
                        "order_note": listing.order_note, "crumb": crumb, "own_feeds": bool(listing.feeds_at),
                        "older": older, "newer": newer},
            "cards": self.views.cards(papers, "line" if listing.compact else "card"),
            "pagination": Pagination(label, prev_url, next_url),
        }
        return Page(at.location, "listing.html", context, dates[-1].isoformat() if dates else None)

    def paper_page(self, paper: Paper) -> Page:
        return Page(Urls.paper(paper.id), "paper.html", PaperPageContext(self, paper), paper.date.isoformat())

    def paper_context(self, paper: Paper) -> dict[str, Any]:
        """Made of the paper (its full record: see Views.record_of), its related papers' cards
        and the build's config alone: see PaperPageContext."""
        paper = self.views.record_of(paper)
        return {
            "page": self.meta(paper.title, Urls.paper(paper.id), LazyExcerpt(self.views, paper, self.config.description),
                              og_type="article", searchable=True),
            "paper": LazyDetail(self.views, paper),
            "day_url": self.urls.link(Urls.day(paper.date)),
            "related": self.related_cards(paper),
        }

    def related_cards(self, paper: Paper) -> Cards:
        return self.views.cards(self.related.get(paper.id, []), "line")

    def feed_groups(self) -> dict[str, list[dict]]:
        """Every listing with feeds, grouped as the feeds page shows them."""
        groups: dict[str, list[dict]] = {}
        for listing in feed_listings(self.catalog, self.config):
            groups.setdefault(listing.group, []).append({
                "title": listing.title, "url": self.urls.link(listing.location),
                "absolute_url": self.urls.absolute(listing.location), "feeds": self.feeds_of(listing)})
        return groups

    def feeds_index(self) -> Page:
        context = {"page": self.meta("Feeds", Urls.FEEDS, "Every feed of the site: RSS, Atom and JSON Feed.",
                                     feeds=self.site_feeds),
                   "groups": self.feed_groups(), "opml_url": self.urls.link(Urls.OPML)}
        return Page(Urls.FEEDS, "feeds.html", context)

    def feeds_opml(self) -> Page:
        """Every public feed in one OPML 2.0 file, which a feed reader imports in one step."""
        return Page(Urls.OPML, "feeds.opml.xml", {"groups": self.feed_groups(), "url": self.urls.absolute(Urls.OPML)})

    def search_page(self) -> Page:
        return Page(Urls.SEARCH, "search.html", {
            "page": self.meta("Search", Urls.SEARCH, "Search every paper of the site."),
            "bundles": [self.urls.link(shard.location)
                        for shard in plan_shards(self.catalog.days, self.config.search_shard_papers)],
        })

    def not_found(self) -> Page:
        return Page("404.html", "404.html", {"page": self.meta("Page not found", "404.html")})


@dataclass(frozen=True)
class PageKind:
    """One kind of page: which pages of it a site has, and how one is made."""
    name: str
    plan: Callable[[PagePlanner], Iterable[tuple]]      # the arguments of each page of the kind
    make: Callable[..., Page]                           # (planner, *arguments) → the page
    wanted: Callable[[SiteConfig], bool] = lambda config: True


def _once(planner: PagePlanner) -> list[tuple]:
    return [()]


# Every kind of page, in site order. A new kind of page is one entry here (and its template).
PAGE_KINDS: tuple[PageKind, ...] = (
    PageKind("home", _once, PagePlanner.home),
    PageKind("archive", _once, PagePlanner.days_archive),
    PageKind("day", lambda planner: [(i,) for i in range(len(planner.catalog.days))], PagePlanner.day_at),
    PageKind("taxonomy", lambda planner: [(key,) for key in planner.catalog.taxonomies],
             lambda planner, key: planner.taxonomy_index(planner.catalog.taxonomies[key])),
    PageKind("listing", lambda planner: [(i, n) for i, listing in enumerate(planner.listings)
                                         for n in range(len(planner.pages_of(listing)))], PagePlanner.listing_page_at),
    PageKind("paper", lambda planner: [(i,) for i in range(len(planner.catalog.papers))],
             lambda planner, i: planner.paper_page(planner.catalog.papers[i])),
    PageKind("feeds", _once, PagePlanner.feeds_index),
    PageKind("opml", _once, PagePlanner.feeds_opml),
    PageKind("search", _once, PagePlanner.search_page, wanted=lambda config: config.search),
    PageKind("404", _once, PagePlanner.not_found),
)
KINDS_BY_NAME = {kind.name: kind for kind in PAGE_KINDS}
