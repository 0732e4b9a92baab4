"""`arxiv-feed`: arXiv's daily RSS 2.0 or Atom category feeds (captures.md §4)."""
from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from typing import Iterator

from ..records import CATEGORY_PATTERN, Paper
from .common import CaptureError, Imported, arxiv_links, arxiv_record_id, one_line

FORMAT = "arxiv-feed"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
NEW_KINDS = {"new", "cross"}
UPDATE_KINDS = {"replace", "replace-cross"}
ABSTRACT = re.compile(r"Abstract:\s*(.*)", re.DOTALL)


def looks_like(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:500]
    return head.startswith("<") and ("<rss" in head or "<feed" in head or head.startswith("<?xml"))


def parse(text: str, file: str, as_of: dt.date) -> list[Imported]:
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise CaptureError(file, line, f"invalid XML ({exc}); is the file truncated?") from None
    if root.tag == "rss":
        entries = _rss_entries(root)
    elif root.tag == f"{ATOM}feed":
        entries = _atom_entries(root)
    else:
        raise CaptureError(file, 1, f"expected an RSS 2.0 <rss> or Atom <feed> document, got <{root.tag}>")
    papers = []
    for index, entry in enumerate(entries):
        imported = _imported(entry, f"item[{index}]", file, as_of)
        if imported:
            papers.append(imported)
    return papers


def _rss_entries(root: ET.Element) -> Iterator[dict]:
    for item in root.iter("item"):
        yield {
            "id": item.findtext("guid") or item.findtext("link") or "",
            "title": item.findtext("title") or "",
            "description": item.findtext("description") or "",
            "categories": [c.text or "" for c in item.findall("category")],
            "authors": _split_creators(item.findtext(f"{DC}creator") or ""),
            "date": _rss_date(item.findtext("pubDate")),
            "kind": (item.findtext(f"{ARXIV}announce_type") or "new").strip(),
        }


def _atom_entries(root: ET.Element) -> Iterator[dict]:
    for entry in root.iter(f"{ATOM}entry"):
        yield {
            "id": entry.findtext(f"{ATOM}id") or "",
            "title": entry.findtext(f"{ATOM}title") or "",
            "description": entry.findtext(f"{ATOM}summary") or "",
            "categories": [c.get("term", "") for c in entry.findall(f"{ATOM}category")],
            "authors": [one_line(a.findtext(f"{ATOM}name") or "") for a in entry.findall(f"{ATOM}author")],
            "date": _atom_date(entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")),
            "kind": (entry.findtext(f"{ARXIV}announce_type") or "new").strip(),
        }


def _split_creators(text: str) -> list[str]:
    return [one_line(name) for name in re.split(r",\s*|\s+and\s+", text) if name.strip()]


def _rss_date(text: str | None) -> dt.date | None:
    try:
        return email.utils.parsedate_to_datetime(text).date() if text else None
    except (TypeError, ValueError):
        return None


def _atom_date(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date() if text else None
    except ValueError:
        return None


def _imported(entry: dict, where: str, file: str, as_of: dt.date) -> Imported | None:
    kind = entry["kind"]
    if kind not in NEW_KINDS | UPDATE_KINDS:
        return None
    record_id = arxiv_record_id(entry["id"])
    if not record_id:
        raise CaptureError(file, 0, f"expected an arXiv identifier, got {entry['id']!r}", f"{where}.guid")
    title = one_line(entry["title"])
    if not title:
        raise CaptureError(file, 0, "expected a title", f"{where}.title")
    match = ABSTRACT.search(entry["description"])
    abstract = (match.group(1) if match else entry["description"]).strip()
    categories = tuple(dict.fromkeys(c.strip() for c in entry["categories"] if CATEGORY_PATTERN.fullmatch(c.strip())))
    paper = Paper(
        id=record_id, title=title, date=entry["date"] or as_of, abstract=abstract,
        authors=tuple(a for a in entry["authors"] if a), categories=categories,
        links=arxiv_links(record_id), source=f"{file.rsplit('/', 1)[-1]} ({FORMAT})",
    )
    return Imported(paper, update_only=kind in UPDATE_KINDS)
