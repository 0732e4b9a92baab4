"""The W3C feed validator's rules that site-gen's feeds must obey, checked without the network.

RSS 2.0: channel title/link/description, atom:link rel=self, items with a title or
description, a guid, an absolute link, RFC 822 dates. Atom: feed id/title/updated/author,
a self link, entries with id/title/updated and an alternate link, RFC 3339 dates, absolute
URIs. Every feed must also parse with feedparser without a bozo error.
"""
from __future__ import annotations

import email.utils
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
RFC822 = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")


def is_absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_rss(data: bytes, self_url: str) -> list[str]:
    errors = []
    channel = ET.fromstring(data).find("channel")
    for name in ("title", "link", "description"):
        if not (channel.findtext(name) or "").strip():
            errors.append(f"channel lacks {name}")
    if not is_absolute(channel.findtext("link")):
        errors.append("channel link is not absolute")
    selfs = [l for l in channel.findall(f"{ATOM}link") if l.get("rel") == "self"]
    if len(selfs) != 1 or selfs[0].get("href") != self_url:
        errors.append(f"atom:link rel=self should be {self_url}")
    for name in ("lastBuildDate", "pubDate"):
        value = channel.findtext(name)
        if value is not None and not (RFC822.fullmatch(value) and email.utils.parsedate_to_datetime(value)):
            errors.append(f"channel {name} is not RFC 822: {value}")
    guids = set()
    for item in channel.findall("item"):
        guid = item.findtext("guid")
        if not guid:
            errors.append("item lacks guid")
        elif guid in guids:
            errors.append(f"duplicate guid {guid}")
        guids.add(guid)
        if item.find("guid").get("isPermaLink", "true") == "true" and not is_absolute(guid):
            errors.append(f"permalink guid is not absolute: {guid}")
        if not is_absolute(item.findtext("link")):
            errors.append(f"item link is not absolute: {item.findtext('link')}")
        if not RFC822.fullmatch(item.findtext("pubDate") or ""):
            errors.append(f"item pubDate is not RFC 822: {item.findtext('pubDate')}")
        if item.find("author") is not None and "@" not in item.findtext("author"):
            errors.append("RSS author must be an email address")
    return errors


def check_atom(data: bytes, self_url: str) -> list[str]:
    errors = []
    feed = ET.fromstring(data)
    for name in ("id", "title", "updated"):
        if not (feed.findtext(ATOM + name) or "").strip():
            errors.append(f"feed lacks {name}")
    if not RFC3339.fullmatch(feed.findtext(ATOM + "updated") or ""):
        errors.append("feed updated is not RFC 3339")
    if feed.find(f"{ATOM}author/{ATOM}name") is None:
        errors.append("feed lacks an author")
    selfs = [l for l in feed.findall(f"{ATOM}link") if l.get("rel") == "self"]
    if len(selfs) != 1 or selfs[0].get("href") != self_url:
        errors.append(f"link rel=self should be {self_url}")
    ids = set()
    for entry in feed.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(ATOM + "id")
        if not entry_id or entry_id in ids or not is_absolute(entry_id):
            errors.append(f"entry id missing, duplicate or not absolute: {entry_id}")
        ids.add(entry_id)
        for name in ("updated", "published"):
            value = entry.findtext(ATOM + name)
            if value is not None and not RFC3339.fullmatch(value):
                errors.append(f"entry {name} is not RFC 3339: {value}")
        if not entry.findtext(ATOM + "title"):
            errors.append("entry lacks title")
        links = [l for l in entry.findall(f"{ATOM}link") if l.get("rel", "alternate") == "alternate"]
        if not links or not all(is_absolute(l.get("href")) for l in links):
            errors.append("entry lacks an absolute alternate link")
    return errors


def check_feed(data: bytes, self_url: str) -> list[str]:
    parsed = feedparser.parse(data)
    errors = [f"feedparser: {parsed.bozo_exception}"] if parsed.bozo else []
    root = ET.fromstring(data)
    return errors + (check_rss(data, self_url) if root.tag == "rss" else check_atom(data, self_url))
