"""The sources `site-gen fetch` knows: what to ask for a day, and what an answer says.

A source turns a day into requests (`first`, then `judge` may ask for the next page) and judges
each answer before anything of it is imported: papers to import, a quiet day (no announcement), a
stale answer (an older batch than the day asked), or Malformed (an HTML error page instead of JSON,
cut-off XML). The papers themselves are read by the importers, as for a capture saved by hand.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlencode

from ..config import SourceConfig
from ..importers.arxiv_feed import ATOM

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


class Malformed(Exception):
    """The answer is not what the source serves; nothing of it may be imported."""


class Verdict(Enum):
    PAPERS = "papers"
    QUIET = "no papers announced"
    STALE = "stale"
    OTHER_DAY = "serves another day"


@dataclass(frozen=True)
class Request:
    name: str       # the capture's file name under captures/YYYY-MM-DD/
    url: str


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    detail: str = ""
    next: Request | None = None     # the next page to fetch


def _xml(body: bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as error:
        raise Malformed(f"not well-formed XML ({error}); {what} cut short or an error page?") from None


class DailyPapers:
    name = "daily_papers"
    format = "daily-json"     # the importer that reads its answers

    def __init__(self, config: SourceConfig):
        self.endpoint = config.endpoint.rstrip("/")

    def first(self, day: dt.date) -> Request:
        return Request(f"{self.name}.json", f"{self.endpoint}/api/daily_papers?date={day.isoformat()}")

    def judge(self, day: dt.date, request: Request, body: bytes) -> Judgement:
        try:
            listing = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise Malformed(f"not JSON ({error}); an error page or a cut-off answer?") from None
        if not isinstance(listing, list):
            raise Malformed(f"expected a JSON list of papers, got {type(listing).__name__}")
        if not listing:
            return Judgement(Verdict.QUIET)
        days = {str((item.get("paper") or {}).get("submittedOnDailyAt", ""))[:10] for item in listing
                if isinstance(item, dict)}
        if day.isoformat() not in days:
            return Judgement(Verdict.STALE, f"lists papers of {', '.join(sorted(days)) or 'no day'}, not {day}")
        return Judgement(Verdict.PAPERS, f"{len(listing)} papers")


class ArxivRss:
    """The announcement feed: only the newest announcement, so a day it does not serve is told apart."""
    name = "arxiv_rss"
    format = "arxiv-feed"

    def __init__(self, config: SourceConfig):
        self.endpoint = config.endpoint.rstrip("/")
        self.categories = "+".join(config.categories)

    def first(self, day: dt.date) -> Request:
        return Request(f"{self.name}-{self.categories}.xml", f"{self.endpoint}/rss/{self.categories}")

    def judge(self, day: dt.date, request: Request, body: bytes) -> Judgement:
        root = _xml(body, "the feed")
        channel = root.find("channel")
        if root.tag != "rss" or channel is None:
            raise Malformed(f"expected an RSS 2.0 feed, got <{root.tag}>")
        stamp = channel.findtext("pubDate") or channel.findtext("lastBuildDate")
        try:
            served = email.utils.parsedate_to_datetime(stamp).date() if stamp else None
        except (TypeError, ValueError):
            served = None
        skip_days = {(d.text or "").strip() for d in channel.iter("day")}
        if f"{day:%A}" in skip_days:
            return Judgement(Verdict.QUIET, f"arXiv announces nothing on {day:%A}s")
        if served is None:
            raise Malformed("the feed has no pubDate or lastBuildDate: cannot tell which day it serves")
        if served < day:
            return Judgement(Verdict.STALE, f"the feed still serves {served}'s announcement")
        if served > day:
            return Judgement(Verdict.OTHER_DAY, f"the feed serves {served}; arxiv_api fetches past days")
        items = len(channel.findall("item"))
        return Judgement(Verdict.PAPERS if items else Verdict.QUIET, f"{items} announcements" if items else "")


class ArxivApi:
    """The search API, by submission date, a page at a time (for backfills)."""
    name = "arxiv_api"
    format = "arxiv-feed"

    def __init__(self, config: SourceConfig):
        self.endpoint = config.endpoint.rstrip("/")
        self.categories = config.categories
        self.page_size = config.page_size

    def _page(self, day: dt.date, start: int) -> Request:
        categories = " OR ".join(f"cat:{code}" for code in self.categories)
        query = urlencode({
            "search_query": f"({categories}) AND submittedDate:[{day:%Y%m%d}0000 TO {day:%Y%m%d}2359]",
            "sortBy": "submittedDate", "sortOrder": "ascending", "start": start, "max_results": self.page_size})
        return Request(f"{self.name}-{'+'.join(self.categories)}-{start:06d}.xml", f"{self.endpoint}/api/query?{query}")

    def first(self, day: dt.date) -> Request:
        return self._page(day, 0)

    def judge(self, day: dt.date, request: Request, body: bytes) -> Judgement:
        root = _xml(body, "the answer")
        if root.tag != f"{ATOM}feed":
            raise Malformed(f"expected an Atom feed, got <{root.tag}>")
        entries = root.findall(f"{ATOM}entry")
        if any((e.findtext(f"{ATOM}title") or "").strip() == "Error" for e in entries):
            raise Malformed("the API answered with an error: "
                            + " ".join((e.findtext(f"{ATOM}summary") or "").split() for e in entries))
        try:
            total = int(root.findtext(f"{OPENSEARCH}totalResults") or "")
            start = int(root.findtext(f"{OPENSEARCH}startIndex") or "0")
        except ValueError:
            raise Malformed("no opensearch:totalResults: cannot tell how many pages there are") from None
        if total == 0:
            return Judgement(Verdict.QUIET)
        if not entries and start < total:
            raise Malformed(f"an empty page at {start} of {total} results (the API is known to do this; try again)")
        following = start + len(entries)
        more = self._page(day, following) if entries and following < total else None
        return Judgement(Verdict.PAPERS, f"{total} papers", more)


Source = DailyPapers | ArxivRss | ArxivApi
KINDS: dict[str, type[Source]] = {kind.name: kind for kind in (DailyPapers, ArxivRss, ArxivApi)}
