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


@dataclass(frozen=True)
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


def feed_kinds(listing: Listing) -> tuple[str, ...]:
    """Every listing with feeds has RSS and Atom; the site's own also has a JSON Feed."""
    if listing.feeds_at is None:
        return ()
    return ("rss", "atom", "json") if listing.feeds_at == Urls.FEEDS else ("rss", "atom")


def site_feed_listing(catalog: Catalog, config: SiteConfig) -> Listing:
    return Listing(Urls.HOME, config.title, config.description, catalog.papers, "Site", None, Urls.FEEDS)


def term_listing(taxonomy: Taxonomy, term: Term) -> Listing:
    location = Urls.term(taxonomy.key, term.slug)
    return Listing(location, term.name, term.description or f"Papers in {taxonomy.singular} {term.name}.",
                   term.papers, taxonomy.title, f"{taxonomy.key}/", location)


def code_listing(catalog: Catalog) -> Listing:
    return Listing(Urls.CODE, "Papers with code", "Papers whose authors released code.", catalog.with_code,
                   "With code", None, Urls.CODE)


def period_listings(periods: list[Period], title: str) -> Iterator[Listing]:
    for i, period in enumerate(periods):
        older = periods[i + 1] if i + 1 < len(periods) else None
        newer = periods[i - 1] if i > 0 else None
        yield Listing(Urls.period(period.kind, period.key), period.label,
                      f"The most voted papers of {period.label}.", period.papers, title, "days/", None,
                      "most voted first",
                      tuple((p.label, Urls.period(p.kind, p.key)) if p else None for p in (older, newer)))


def feed_listings(catalog: Catalog, config: SiteConfig) -> Iterator[Listing]:
    """Every listing that has feeds, the site's first."""
    yield site_feed_listing(catalog, config)
    yield code_listing(catalog)
    for taxonomy in catalog.taxonomies.values():
        for term in taxonomy.terms:
            yield term_listing(taxonomy, term)


def paged_listings(catalog: Catalog) -> Iterator[Listing]:
    """Every listing that gets its own paginated pages."""
    yield code_listing(catalog)
    for taxonomy in catalog.taxonomies.values():
        for term in taxonomy.terms:
            yield term_listing(taxonomy, term)
    yield from period_listings(catalog.weeks, "Weeks")
    yield from period_listings(catalog.months, "Months")
