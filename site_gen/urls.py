"""Where every page and feed lives: one place maps things to output paths and URLs.

Internal links are root-relative (base_url's path + the page's path), so the site works
under a sub-path such as https://example.org/papers/; canonical links and feeds are absolute.
"""
from __future__ import annotations

import datetime as dt
import posixpath


class Urls:
    def __init__(self, base_url: str, base_path: str):
        self.base_url = base_url
        self.base_path = base_path

    # --- page locations, relative to the site root ("" is the home page) --------------------
    @staticmethod
    def paper(paper_id: str) -> str:
        return f"papers/{paper_id}/"

    @staticmethod
    def day(date: dt.date) -> str:
        return f"days/{date.isoformat()}/"

    @staticmethod
    def term(taxonomy: str, slug: str) -> str:
        return f"{taxonomy}/{slug}/"

    @staticmethod
    def period(kind: str, key: str) -> str:
        """`weeks/2025-W03/` or `months/2025-01/`."""
        return f"{kind}/{key}/"

    @staticmethod
    def page(location: str, number: int) -> str:
        """A further page of a listing: `categories/cs.LG/page/3/`."""
        return f"{location}page/{number}/"

    @staticmethod
    def feed(location: str, kind: str) -> str:
        """The feed of a listing: `categories/cs.LG/rss.xml`; the site's are under `feeds/`."""
        return f"{location}feed.json" if kind == "json" else f"{location}{kind}.xml"

    HOME = ""
    CODE = "code/"
    FEEDS = "feeds/"     # the site's own feeds, and the page that lists every feed
    OPML = "feeds/feeds.opml"   # every public feed, for a feed reader to import at once
    PERSONAL_FEEDS = "feeds/for/"   # a subscriber's private feeds: feeds/for/<token>/
    SEARCH = "search/"

    # --- turning locations into links and files ---------------------------------------------
    def link(self, location: str) -> str:
        return self.base_path + location

    def absolute(self, location: str) -> str:
        return self.base_url + location

    @staticmethod
    def file_for(location: str) -> str:
        """Output file of a location: directories get index.html. Rejects anything leaving the root."""
        path = location + "index.html" if location == "" or location.endswith("/") else location
        normal = posixpath.normpath(path)
        if normal.startswith(("../", "/")) or normal == ".." or normal != path:
            raise ValueError(f"unsafe output path: {location!r}")
        return path
