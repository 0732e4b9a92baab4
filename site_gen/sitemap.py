"""sitemap.xml (beyond 50,000 URLs, an index of sitemaps that a new day mostly leaves as they are)
and robots.txt naming it."""
from __future__ import annotations

from typing import Iterator
from xml.sax.saxutils import escape

from .urls import Urls

MAX_URLS = 50_000
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _urlset(entries: list[tuple[str, str | None]]) -> str:
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">']
    for url, lastmod in entries:
        extra = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{escape(url)}</loc>{extra}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines)


def _sitemap_of(location: str, lastmod: str | None) -> str:
    """Which sitemap of a large site lists a page: paper pages by the month they were listed, so
    that a new day changes its own month's sitemap and not those of the months before; every
    other page by its section (authors, categories, days …)."""
    section = location.split("/", 1)[0] if "/" in location else ""
    if section == "papers" and lastmod:
        return f"papers-{lastmod[:7]}"
    return section or "site"


def sitemap_files(entries: list[tuple[str, str | None]], urls: Urls) -> Iterator[tuple[str, str]]:
    """(location, text) of sitemap.xml for the pages at these (location, lastmod); beyond 50,000
    pages, sitemap.xml is an index of one sitemap per month of papers and per section, each cut
    into parts of at most 50,000."""
    if len(entries) <= MAX_URLS:
        yield "sitemap.xml", _urlset([(urls.absolute(location), lastmod) for location, lastmod in entries])
        return
    groups: dict[str, list[tuple[str, str | None]]] = {}
    for location, lastmod in entries:
        groups.setdefault(_sitemap_of(location, lastmod), []).append((urls.absolute(location), lastmod))
    index = []
    for name, group in sorted(groups.items()):
        for part, start in enumerate(range(0, len(group), MAX_URLS), start=1):
            chunk = group[start:start + MAX_URLS]
            location = f"sitemaps/{name}.xml" if part == 1 else f"sitemaps/{name}-{part}.xml"
            newest = max((lastmod for _, lastmod in chunk if lastmod), default=None)
            index.append((location, newest))
            yield location, _urlset(chunk)
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">']
    for location, newest in index:
        extra = f"<lastmod>{newest}</lastmod>" if newest else ""
        lines.append(f"  <sitemap><loc>{escape(urls.absolute(location))}</loc>{extra}</sitemap>")
    lines.append("</sitemapindex>\n")
    yield "sitemap.xml", "\n".join(lines)


def robots_txt(urls: Urls) -> str:
    """Everything may be crawled but the subscribers' private feeds."""
    return (f"User-agent: *\nAllow: /\nDisallow: {urls.link(Urls.PERSONAL_FEEDS)}\n\n"
            f"Sitemap: {urls.absolute('sitemap.xml')}\n")
