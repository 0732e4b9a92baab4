"""Listings: the paginated paper lists of the site (taxonomy terms, papers with code, weeks,
months) and which of them have feeds. Pages, feeds and the feeds index all read this one list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .catalog import Catalog, Period, Taxonomy, Term
from .config import SiteConfig
from .records import Paper
from .urls import Urls


@dataclass(frozen=True, slots=True)
class Listing:
    location: str                 # first page: "categories/cs.LG/"
    title: str
    description: str
    papers: list[Paper]           # in display order
    group: str                    # what it belongs to: "Categories", "With code", "Weeks" …
    group_location: str | None    # the index page of the group, for the breadcrumb
    feeds_at: str | None          # folder of rss.xml / atom.xml, or None for no feeds
    order_note: str = "newest first"
    neighbours: tuple[tuple[str, str] | None, tuple[str, str] | None] = (None, None)  # (older, newer): (label, location)
    stable_pages: bool = True     # grows only at the front (newest first): see listing_pages()
    feed_formats: tuple[str, ...] = ("rss", "atom")
    term_feeds: bool = False      # a taxonomy term's: its feeds are shorter (config term_feed_*)
    compact: bool = False         # one line per paper, not a card (config compact_taxonomies)


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a listing: which of its papers it shows and where it sits in reading order."""
    location: str
    papers: range                 # indexes into listing.papers
    number: int | None            # in its URL (…/page/3/); None for the listing's own location
    total: int | None             # pages in all; None when the pages are stable (the total keeps growing)
    previous: str | None          # location of the page before it in reading order
    next: str | None


def listing_pages(listing: Listing, per_page: int) -> list[ListingPage]:
    """The pages of a listing, in reading order.

    A listing that only grows at the front (newest first) has stable pages, counted from its
    oldest paper: page 1 holds the oldest `per_page` papers and keeps holding them as new papers
    arrive, so a new day rewrites the listing's first page and at most two more. The first page
    holds the rest: `per_page` to 2 × `per_page` - 1 papers. Other listings (most voted first)
    are paginated from the front: page 2 holds papers `per_page` + 1 to 2 × `per_page`.
    """
    count = len(listing.papers)
    if listing.stable_pages:
        archived = max(0, count // per_page - 1)
        first = count - archived * per_page
        numbers: list[int | None] = [None, *range(archived, 0, -1)]
        spans = [range(0, first)] + [range(count - k * per_page, count - (k - 1) * per_page)
                                     for k in range(archived, 0, -1)]
        total = None
    else:
        total = max(1, -(-count // per_page))
        numbers = [None, *range(2, total + 1)]
        spans = [range((k - 1) * per_page, min(k * per_page, count)) for k in range(1, total + 1)]
    locations = [listing.location if n is None else Urls.page(listing.location, n) for n in numbers]
    return [ListingPage(location, span, number, total,
                        locations[i - 1] if i > 0 else None, locations[i + 1] if i + 1 < len(locations) else None)
            for i, (location, span, number) in enumerate(zip(locations, spans, numbers))]


def feed_kinds(listing: Listing) -> tuple[str, ...]:
    return listing.feed_formats if listing.feeds_at is not None else ()


def site_feed_listing(catalog: Catalog, config: SiteConfig) -> Listing:
    return Listing(Urls.HOME, config.title, config.description, catalog.papers, "Site", None, Urls.FEEDS,
                   feed_formats=("rss", "atom", "json"))


def term_listing(taxonomy: Taxonomy, term: Term, config: SiteConfig) -> Listing:
    """A term's papers. Its feeds are the term feeds of the config (formats, items, summaries): a
    paper is in the feeds of each of its terms, so these set the size of the site and the upload."""
    location = Urls.term(taxonomy.key, term.slug)
    return Listing(location, term.name, term.description or f"Papers in {taxonomy.singular} {term.name}.",
                   term.papers, taxonomy.title, f"{taxonomy.key}/", location,
                   feed_formats=config.term_feed_formats, term_feeds=True,
                   compact=taxonomy.key in config.compact_taxonomies)


def code_listing(catalog: Catalog) -> Listing:
    return Listing(Urls.CODE, "Papers with code", "Papers whose authors released code.", catalog.with_code,
                   "With code", None, Urls.CODE)


def period_listings(periods: list[Period], title: str, top: int) -> Iterator[Listing]:
    """Weeks and months, each its `top` most voted papers (all when 0). Votes reorder a period's
    papers every day, so each of its pages is written again: the cap bounds what that costs."""
    for i, period in enumerate(periods):
        older = periods[i + 1] if i + 1 < len(periods) else None
        newer = periods[i - 1] if i > 0 else None
        shown = period.papers[:top] if top else period.papers
        order = "most voted first" if len(shown) == len(period.papers) else f"the most voted of {len(period.papers):,}"
        yield Listing(Urls.period(period.kind, period.key), period.label,
                      f"The most voted papers of {period.label}.", shown, title, "days/", None,
                      order, stable_pages=False,
                      neighbours=tuple((p.label, Urls.period(p.kind, p.key)) if p else None for p in (older, newer)))


def listings_holding(catalog: Catalog, paper: Paper) -> list[str]:
    """The locations of the listings that hold the paper, but for periods: the site feed's, papers
    with code, and its terms'."""
    locations = [Urls.HOME, Urls.CODE] if paper.code_available else [Urls.HOME]
    for taxonomy in catalog.taxonomies.values():
        locations += [Urls.term(taxonomy.key, term.slug) for term in taxonomy.of_paper.get(paper.id, ())]
    return locations


def feed_listings(catalog: Catalog, config: SiteConfig) -> Iterator[Listing]:
    """Every listing that has feeds, the site's first."""
    yield site_feed_listing(catalog, config)
    yield code_listing(catalog)
    for taxonomy in catalog.taxonomies.values():
        for term in taxonomy.terms:
            yield term_listing(taxonomy, term, config)


def paged_listings(catalog: Catalog, config: SiteConfig) -> Iterator[Listing]:
    """Every listing that gets its own paginated pages."""
    yield code_listing(catalog)
    for taxonomy in catalog.taxonomies.values():
        for term in taxonomy.terms:
            yield term_listing(taxonomy, term, config)
    yield from period_listings(catalog.weeks, "Weeks", config.trending_papers)
    yield from period_listings(catalog.months, "Months", config.trending_papers)
