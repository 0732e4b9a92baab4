"""sitemap.xml (a sitemap index beyond 50,000 URLs) and robots.txt naming it."""
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


def sitemap_files(entries: list[tuple[str, str | None]], urls: Urls) -> Iterator[tuple[str, str]]:
    """(location, text) of sitemap.xml and, for large sites, the sitemaps it indexes."""
    if len(entries) <= MAX_URLS:
        yield "sitemap.xml", _urlset(entries)
        return
    parts = []
    for number, start in enumerate(range(0, len(entries), MAX_URLS), start=1):
        location = f"sitemaps/sitemap-{number}.xml"
        parts.append(location)
        yield location, _urlset(entries[start:start + MAX_URLS])
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">']
    lines += [f"  <sitemap><loc>{escape(urls.absolute(p))}</loc></sitemap>" for p in parts]
    lines.append("</sitemapindex>\n")
    yield "sitemap.xml", "\n".join(lines)


def robots_txt(urls: Urls) -> str:
    """Everything may be crawled but the subscribers' private feeds."""
    return (f"User-agent: *\nAllow: /\nDisallow: {urls.link(Urls.PERSONAL_FEEDS)}\n\n"
            f"Sitemap: {urls.absolute('sitemap.xml')}\n")
