"""`daily-json`: the Daily Papers API response, a JSON array (captures.md §3)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..records import URL_PATTERN, Paper
from .common import CaptureError, Imported, arxiv_links, arxiv_record_id, one_line

FORMAT = "daily-json"


def looks_like(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("[")


def _day(value: Any, file: str, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.timezone.utc).date()
    except ValueError:
        raise CaptureError(file, 0, f"expected an ISO 8601 timestamp, got {value!r}", where) from None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _url(value: Any) -> str | None:
    text = _text(value)
    return text if text and URL_PATTERN.fullmatch(text) else None


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def parse(text: str, file: str, as_of: dt.date) -> list[Imported]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptureError(file, exc.lineno, f"invalid JSON ({exc.msg}); is the file truncated?") from None
    if not isinstance(items, list):
        raise CaptureError(file, 1, "expected a JSON array of daily papers")
    return [Imported(_paper(item, index, file, as_of)) for index, item in enumerate(items)]


def _paper(item: Any, index: int, file: str, as_of: dt.date) -> Paper:
    where = f"[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise CaptureError(file, 0, "expected an object with a 'paper' object", where)
    paper = item["paper"]
    record_id = arxiv_record_id(str(paper.get("id", "")))
    title = _text(paper.get("title")) or _text(item.get("title"))
    if not record_id:
        raise CaptureError(file, 0, f"expected an arXiv id, got {paper.get('id')!r}", f"{where}.paper.id")
    if not title:
        raise CaptureError(file, 0, "expected a title", f"{where}.paper.title")
    listed = _day(paper.get("submittedOnDailyAt"), file, f"{where}.paper.submittedOnDailyAt")
    published = _day(paper.get("publishedAt") or item.get("publishedAt"), file, f"{where}.paper.publishedAt")
    authors = [one_line(a["name"]) for a in paper.get("authors") or []
               if isinstance(a, dict) and _text(a.get("name")) and not a.get("hidden")]
    organization = _mapping(item.get("organization")) or _mapping(paper.get("organization"))
    submitter = _mapping(paper.get("submittedOnDailyBy")) or _mapping(item.get("submittedBy"))
    links = dict(arxiv_links(record_id))
    links["hf"] = f"https://huggingface.co/papers/{record_id.replace('_', '/')}"
    if (code := _url(paper.get("githubRepo"))):
        links["code"] = code
    if (project := _url(paper.get("projectPage"))):
        links["project"] = project
    date = listed or published or as_of
    fields: dict[str, Any] = {
        "id": record_id, "title": one_line(title), "date": date,
        "published": published if published and published != date else None,
        "abstract": _text(paper.get("summary")) or _text(item.get("summary")) or "",
        "authors": tuple(authors),
        "organization": _text(organization.get("fullname")) or _text(organization.get("name")),
        "upvotes": paper.get("upvotes") if isinstance(paper.get("upvotes"), int) and paper["upvotes"] >= 0 else None,
        "comments": item.get("numComments") if isinstance(item.get("numComments"), int) and item["numComments"] >= 0 else None,
        "submitted_by": _text(submitter.get("fullname")) or _text(submitter.get("user")),
        "links": tuple(sorted(links.items())),
        "has_code": "code" in links,
        "summary": _text(paper.get("ai_summary")),
        "keywords": tuple(dict.fromkeys(one_line(k) for k in paper.get("ai_keywords") or []
                                        if isinstance(k, str) and k.strip())),
        "source": f"{file.rsplit('/', 1)[-1]} ({FORMAT})",
    }
    if fields["organization"]:
        fields["organization"] = one_line(fields["organization"])
    if fields["submitted_by"]:
        fields["submitted_by"] = one_line(fields["submitted_by"])
    return Paper(**fields)
